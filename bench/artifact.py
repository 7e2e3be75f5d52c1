"""Artifact and upload sizes per function, from the deploy build's own output.

Runs ``python -m dwevents.deploy.build`` (the step ``s deploy`` runs in pre-deploy) for this host's Python
version, so the same artifact can also be cold-started here (bench/cold_start.py ``--artifact``), into
``.s/bench-build/`` (dependency sets cached there between runs). Then, for every directory of the output:

* a function (it has ``index.py``): its tree (bytes, files) and its zip (deflate, what ``s deploy`` sends);
* each layer the build writes (``layers/<name>/``, the dependencies): the same, counted once per deploy.

``upload per deploy`` = Σ function zips + Σ layer zips. ``without sharing`` = what the same files would
cost if every function carried its layers itself (the layout before issue 12's goal 6).

    python bench/artifact.py [--only InstanceStatusChanges,FileChange] [--no-build]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from _harness import ROOT, write_json

BUILD_ROOT = ROOT / ".s" / "bench-build"
OUT = BUILD_ROOT / "out"


def build(only: list[str] | None = None) -> float:
    """Build into .s/bench-build/out; → seconds taken. Raises with pip's/the build's message on failure."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = [
        sys.executable,
        "-m",
        "dwevents.deploy.build",
        "--syaml",
        str(ROOT / "s.yaml"),
        "--out",
        str(OUT),
        "--cache-dir",
        str(BUILD_ROOT / "deps"),
        "--python-version",
        version,
    ]
    if only:
        command += ["--only", ",".join(only)]
    import shutil
    import time

    shutil.rmtree(OUT, ignore_errors=True)  # no stale function or layer from an earlier build is counted
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the build failed:\n{done.stderr[-2000:]}{done.stdout[-2000:]}")
    return time.monotonic() - started


def tree(path: Path) -> tuple[int, int]:
    size = files = 0
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            size += os.lstat(os.path.join(dirpath, name)).st_size
            files += 1
    return size, files


def zipped(path: Path) -> int:
    """Bytes of the directory as a deflated zip (symlinks followed, like a code upload)."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "code.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for dirpath, _dirs, names in os.walk(path):
                for name in sorted(names):
                    full = Path(dirpath) / name
                    zf.write(full, full.relative_to(path).as_posix())
        return archive.stat().st_size


def sizes(out: Path = OUT, *, zip_them: bool = True) -> dict[str, Any]:
    functions: dict[str, Any] = {}
    shared: dict[str, Any] = {}
    units: list[tuple[Path, bool]] = []
    for entry in sorted(out.iterdir()):
        if not entry.is_dir() or entry.name.startswith("."):
            continue
        if (entry / "index.py").is_file():
            units.append((entry, True))
        else:  # the build's layers/<name>/ (each uploaded once), or any other shared directory
            inner = [p for p in sorted(entry.iterdir()) if p.is_dir()]
            units.extend((p, False) for p in (inner if entry.name == "layers" else [entry]))
    for path, is_function in units:
        size, files = tree(path)
        row: dict[str, Any] = {
            "tree_bytes": size,
            "files": files,
            "zip_bytes": zipped(path) if zip_them else None,
        }
        if is_function:
            info = path / "BUILD-INFO.json"
            row["layers"] = json.loads(info.read_text())["layers"] if info.is_file() else []
        (functions if is_function else shared)[path.name] = row
    total_zip = sum(r["zip_bytes"] or 0 for r in [*functions.values(), *shared.values()])
    total_tree = sum(r["tree_bytes"] for r in [*functions.values(), *shared.values()])

    def with_layers(row: dict[str, Any], key: str) -> int:
        return int(row[key] or 0) + sum(
            int(shared[n][key] or 0) for n in row.get("layers", []) if n in shared
        )

    return {
        "out": str(out),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "functions": functions,
        "shared": shared,
        "upload_zip_bytes": total_zip,
        "upload_tree_bytes": total_tree,
        "upload_files": sum(r["files"] for r in [*functions.values(), *shared.values()]),
        "without_sharing_zip_bytes": sum(with_layers(r, "zip_bytes") for r in functions.values()),
        "without_sharing_tree_bytes": sum(with_layers(r, "tree_bytes") for r in functions.values()),
    }


def measure(*, only: list[str] | None = None, do_build: bool = True, zip_them: bool = True) -> dict[str, Any]:
    seconds = build(only) if do_build else None
    if not OUT.is_dir():
        raise RuntimeError(f"no build output in {OUT}: run without --no-build")
    result = sizes(OUT, zip_them=zip_them)
    result["build_seconds"] = round(seconds, 1) if seconds is not None else None
    result["only"] = only or []
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated categories (default: all)")
    parser.add_argument("--no-build", action="store_true", help="measure the last build output as it is")
    args = parser.parse_args(argv)
    only = [c for c in args.only.split(",") if c]
    result = measure(only=only, do_build=not args.no_build)
    print(f"{'directory':<26}{'files':>7}{'tree MB':>9}{'zip MB':>8}")
    for group in ("functions", "shared"):
        for name, row in result[group].items():
            print(f"{name:<26}{row['files']:>7}{row['tree_bytes'] / 1e6:>9.1f}{row['zip_bytes'] / 1e6:>8.1f}")
    print(
        f"upload per deploy: {result['upload_zip_bytes'] / 1e6:.0f} MB zipped, "
        f"{result['upload_files']} files ({result['upload_tree_bytes'] / 1e6:.0f} MB unpacked)"
    )
    write_json("artifact", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
