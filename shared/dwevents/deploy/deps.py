"""The functions' dependencies for the FC runtime, installed without Docker, and the bytecode compiler.

Dependencies are what ``pip install --target --platform manylinux… --implementation cp --python-version
<runtime's> --only-binary=:all:`` resolves for the project's own requirements (the ``dataworks`` extra only
where a category has an extension point, ``redis`` unless left out). Each distinct set is installed once into
a cache keyed by its inputs; dwevents/deploy/build.py links it into every function that needs it.

Bytecode. A ``.pyc`` is only valid for the interpreter version that wrote it (magic number and the
``cpython-3XY`` file tag), and FC cannot be relied on to write ``__pycache__`` under ``/code``, so uncompiled
code is recompiled on every cold start. The build therefore compiles with an interpreter of the *runtime's*
version (:func:`find_interpreter`), never with a different host version, in ``unchecked-hash`` mode:
``s deploy`` zips the tree and zip keeps timestamps at 2-second DOS resolution in local time, so
timestamp-checked ``.pyc`` files would be judged stale after unpacking.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from dwevents.errors import DwEventsError

logger = logging.getLogger(__name__)

BASE_PLATFORM = "manylinux2014_x86_64"
#: glibc of the Debian each FC Python runtime runs on (3.12: Debian 11; 3.10/3.9: Debian 10; 3.6: Debian 9).
RUNTIME_GLIBC = {"3.12": "2_31", "3.10": "2_28", "3.9": "2_28", "3.6": "2_24"}
COMPLETE = ".complete.json"


class BuildError(DwEventsError, RuntimeError):
    """The artifact could not be built; the message says which step and why."""


# -- requirements -------------------------------------------------------------------------------

_EXTRA = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")


def _split_requirements(lines: Iterable[str]) -> dict[str | None, list[str]]:
    """``{None: base, "dataworks": [...], ...}`` from ``Requires-Dist`` lines."""
    groups: dict[str | None, list[str]] = {}
    for line in lines:
        spec, _, marker = line.partition(";")
        extra = _EXTRA.search(marker)
        rest = _EXTRA.sub("", marker).strip() if extra else marker.strip()
        rest = re.sub(r"^and\s+|\s+and$", "", rest).strip()
        requirement = spec.strip() + (f"; {rest}" if rest else "")
        groups.setdefault(extra.group(1) if extra else None, []).append(requirement)
    return groups


def project_requirements(project_root: Path | None = None) -> dict[str | None, list[str]]:
    """The project's runtime requirements by extra: installed metadata first, ``pyproject.toml`` second."""
    from importlib import metadata

    try:
        lines = metadata.requires("dwevents") or []
        if lines:
            return _split_requirements(lines)
    except metadata.PackageNotFoundError:
        pass
    pyproject = (project_root or Path.cwd()) / "pyproject.toml"
    try:
        import tomllib
    except ModuleNotFoundError as exc:  # Python 3.10 without installed metadata
        raise BuildError("install the project (pip install -e .) so its requirements can be read") from exc
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    groups: dict[str | None, list[str]] = {None: list(project.get("dependencies", []))}
    for extra, items in project.get("optional-dependencies", {}).items():
        groups[extra] = [item for item in items if not item.startswith("dwevents[")]
    return groups


def function_requirements(groups: dict[str | None, list[str]], extras: Sequence[str]) -> list[str]:
    found = list(groups.get(None, []))
    for extra in extras:
        if extra not in groups:
            raise BuildError(f"the project has no extra {extra!r}")
        found.extend(groups[extra])
    return sorted(dict.fromkeys(found))


# -- interpreters -------------------------------------------------------------------------------


def _version_of(executable: str) -> str | None:
    try:
        done = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _numeric_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path))


def find_interpreter(version: str, explicit: str | None = None) -> str | None:
    """A CPython ``version`` (``3.12``) on this host to byte-compile for the runtime, or None."""
    if explicit:
        found = _version_of(explicit)
        if found != version:
            raise BuildError(f"--target-python {explicit} is Python {found or '?'}, not {version}")
        return explicit
    candidates: list[str] = []
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        candidates.append(sys.executable)
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    for root in dict.fromkeys(filter(None, [os.environ.get("PYENV_ROOT"), str(Path.home() / ".pyenv")])):
        pattern = os.path.join(root, "versions", f"{version}.*", "bin", f"python{version}")
        candidates.extend(sorted(glob.glob(pattern), key=_numeric_key, reverse=True))
    uv = shutil.which("uv")
    if uv:
        try:
            done = subprocess.run(
                [uv, "python", "find", "--no-python-downloads", version],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            if done.returncode == 0 and done.stdout.strip():
                candidates.append(done.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    for candidate in dict.fromkeys(candidates):
        if _version_of(candidate) == version:
            return candidate
    return None


def byte_compile(interpreter: str, paths: Sequence[Path]) -> None:
    """Compile ``paths`` (files or trees) with ``interpreter``: unchecked-hash .pyc, optimisation level 0."""
    if not paths:
        return
    command = [
        interpreter,
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "--invalidation-mode",
        "unchecked-hash",
        *map(str, paths),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # A dependency may carry files that are not valid Python for this version (templates, tests):
        # those stay uncompiled, everything else is compiled. Say so instead of failing the deploy.
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        logger.warning("compileall reported problems (%d lines), first: %s", len(lines), lines[:3])


# -- dependency sets ----------------------------------------------------------------------------


def platforms_for(python_version: str) -> list[str]:
    glibc = RUNTIME_GLIBC.get(python_version, "2_28")
    return [BASE_PLATFORM, f"manylinux_{glibc}_x86_64"]


def link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def install_dependencies(
    requirements: Sequence[str],
    python_version: str,
    cache_dir: Path,
    *,
    offline_wheels: Path | None = None,
    interpreter: str | None = None,
    refresh: bool = False,
) -> Path:
    """Install one dependency set for the target once (cached by its inputs); returns its directory."""
    platforms = platforms_for(python_version)
    key_source = json.dumps(
        {
            "requirements": list(requirements),
            "python": python_version,
            "platforms": platforms,
            "offline": str(offline_wheels or ""),
        },
        sort_keys=True,
    )
    key = hashlib.sha256(key_source.encode()).hexdigest()[:16]
    target = cache_dir / f"py{python_version}-{key}"
    marker = target / COMPLETE
    if target.exists() and marker.exists() and not refresh:
        info = json.loads(marker.read_text())
        if interpreter and info.get("bytecode") == "none":
            byte_compile(interpreter, [target])
            info["bytecode"] = f"cpython-{python_version.replace('.', '')} unchecked-hash"
            marker.write_text(json.dumps(info, indent=2))
        logger.info("dependencies for Python %s: cached %s", python_version, target.name)
        return target
    staging = cache_dir / f"{target.name}.tmp{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        str(staging),
        "--no-compile",
        "--no-warn-conflicts",
        "--disable-pip-version-check",
        "--quiet",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        python_version,
    ]
    for platform in platforms:
        command += ["--platform", platform]
    if offline_wheels is not None:
        command += ["--no-index", "--find-links", str(offline_wheels)]
    command += list(requirements)
    logger.info(
        "installing for Python %s (%s): %s", python_version, ", ".join(platforms), " ".join(requirements)
    )
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        lines = [line for line in done.stderr.splitlines() if not line.startswith("WARNING: Loc")]
        tail = "\n".join(lines[-15:])
        raise BuildError(
            f"pip could not install {' '.join(requirements)} for Python {python_version}:\n{tail}"
        )
    shutil.rmtree(staging / "bin", ignore_errors=True)  # console scripts with this host's shebang
    bytecode = "none"
    if interpreter:
        byte_compile(interpreter, [staging])
        bytecode = f"cpython-{python_version.replace('.', '')} unchecked-hash"
    distributions = sorted(path.name[: -len(".dist-info")] for path in staging.glob("*.dist-info"))
    (staging / COMPLETE).write_text(
        json.dumps(
            {
                "requirements": list(requirements),
                "python": python_version,
                "platforms": platforms,
                "distributions": distributions,
                "bytecode": bytecode,
            },
            indent=2,
        )
    )
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target
