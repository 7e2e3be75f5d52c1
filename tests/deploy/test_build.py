"""The deployment artifact: built without Docker, importable with nothing but itself on sys.path.

Builds one regular (MonitorAlert) and one extension (NodeChange) function for the runtime in s.yaml.
``index`` is then imported by an interpreter of the runtime's version in ``python -I -S`` (no site-packages,
no PYTHON* variables) with only the artifact on ``sys.path``. When this host has no such interpreter, the
wheels (``cpython-312`` extension modules) cannot load on the host's Python, so a variant built for the
host's version is imported instead — same build code, other ``--python-version``.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dwevents.deploy.build import find_interpreter
from dwevents.deploy.syaml import load_syaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REGULAR, EXTENSION = "MonitorAlert", "NodeChange"
SDK = "alibabacloud_dataworks_public20200518"
HOST_VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"


def run_build(out: Path, *extra: str) -> str:
    done = subprocess.run([sys.executable, "-m", "dwevents.deploy.build", "--syaml", str(ROOT / "s.yaml"),
                           "--out", str(out), "--only", f"{REGULAR},{EXTENSION}", *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def runtime_version() -> str:
    versions = {decl.python_version for decl in load_syaml(ROOT / "s.yaml", environ={}).functions}
    assert len(versions) == 1, versions
    version = versions.pop()
    assert version is not None
    return version


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory, runtime_version: str) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("build")
    summary = run_build(out)
    assert REGULAR in summary and EXTENSION in summary and "MB" in summary
    return out, summary


@pytest.fixture(scope="module")
def importable(tmp_path_factory: pytest.TempPathFactory, artifact: tuple[Path, str],
               runtime_version: str) -> tuple[Path, str]:
    """(artifact root, interpreter) — the real one when the runtime's Python is here, else a host variant."""
    interpreter = find_interpreter(runtime_version)
    if interpreter is not None:
        return artifact[0], interpreter
    out = tmp_path_factory.mktemp("build-host")
    run_build(out, "--python-version", HOST_VERSION)
    return out, sys.executable


def import_in_isolation(interpreter: str, code_dir: Path) -> dict[str, Any]:
    probe = f"""
import importlib, json, sys
sys.path.insert(0, {str(code_dir)!r})
index = importlib.import_module("index")
try:
    importlib.import_module("{SDK}.client")
    sdk = True
except ImportError:
    sdk = False
import dwevents
print(json.dumps({{
    "handler": callable(getattr(index, "handler", None)),
    "initialize": callable(getattr(index, "initialize", None)),
    "dwevents": dwevents.__file__,
    "sdk": sdk,
    "site": [p for p in sys.path if "site-packages" in p or "dist-packages" in p],
    "pyc": index.__cached__,
}}))
"""
    done = subprocess.run([interpreter, "-I", "-S", "-c", probe], cwd=code_dir.parent, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_trees_hold_function_package_and_the_right_dependencies(artifact: tuple[Path, str]) -> None:
    out, _ = artifact
    for category, extension in ((REGULAR, False), (EXTENSION, True)):
        tree = out / category
        assert (tree / "index.py").is_file()
        assert (tree / "dwevents" / "catalogue.py").is_file()
        assert not (tree / "dwevents" / "deploy").exists()  # deploy tools never run in FC
        assert (tree / "pydantic").is_dir() and (tree / "yaml").is_dir()
        assert (tree / SDK).is_dir() is extension, category
        assert (tree / "alibabacloud_credentials").is_dir() is extension, category
        assert not (tree / "bin").exists()
        info = json.loads((tree / "BUILD-INFO.json").read_text())
        assert info["kind"] == ("extension" if extension else "regular")
        assert any(d.startswith("pydantic-") for d in info["distributions"])


def test_wheels_and_bytecode_are_for_the_runtime(artifact: tuple[Path, str], runtime_version: str) -> None:
    out, summary = artifact
    tag = "cpython-" + runtime_version.replace(".", "")
    tree = out / EXTENSION
    native = list((tree / "pydantic_core").glob("_pydantic_core.*.so"))
    assert native and all(tag in so.name for so in native), native
    foreign = [p for p in tree.rglob("*.pyc") if tag not in p.name]
    assert foreign == [], f"bytecode for another Python: {foreign[:3]}"
    if find_interpreter(runtime_version) is None:
        assert "none" in summary  # said so, shipped sources only
        pytest.skip(f"no Python {runtime_version} on this host to byte-compile with")
    for module in (tree / "index.py", tree / "dwevents" / "catalogue.py", tree / SDK / "client.py"):
        pyc = module.parent / "__pycache__" / f"{module.stem}.{tag}.pyc"
        flags = struct.unpack("<I", pyc.read_bytes()[4:8])[0]
        assert flags == 0b01, f"{pyc}: want hash-based, unchecked (flags {flags:#b})"


def test_handlers_import_with_only_the_artifact(importable: tuple[Path, str]) -> None:
    out, interpreter = importable
    regular = import_in_isolation(interpreter, out / REGULAR)
    extension = import_in_isolation(interpreter, out / EXTENSION)
    for category, result in ((REGULAR, regular), (EXTENSION, extension)):
        assert result["handler"] and result["initialize"], category
        assert result["dwevents"].startswith(str(out / category)), result
        assert result["site"] == [], "site-packages leaked into the isolated interpreter"
    assert regular["sdk"] is False  # regular-only functions never ship the DataWorks SDK
    assert extension["sdk"] is True


def test_offline_without_the_wheels_fails_with_pips_reason(tmp_path: Path) -> None:
    from dwevents.deploy.build import BuildError, install_dependencies

    with pytest.raises(BuildError, match="pip could not install"):
        install_dependencies(["pydantic>=2.6,<3"], "3.12", tmp_path / "cache", offline_wheels=tmp_path)
    assert not any((tmp_path / "cache").iterdir())  # no half-installed set left to be reused


def test_a_wrong_target_python_is_refused() -> None:
    from dwevents.deploy.build import BuildError

    with pytest.raises(BuildError, match=r"not 2\.7"):
        find_interpreter("2.7", explicit=sys.executable)
