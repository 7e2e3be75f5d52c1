"""The deployment artifact: built without Docker, importable with nothing but itself on sys.path.

Builds one regular (MonitorAlert) and one extension (NodeChange) function for the runtime in s.yaml.
``index`` is then imported by an interpreter of the runtime's version in ``python -I -S`` (no site-packages,
no PYTHON* variables) with only the artifact on ``sys.path``: the function's tree, then its layers'
``python/`` directories (what FC mounts as ``/opt/python``). When this host has no such interpreter, the
wheels (``cpython-312`` extension modules) cannot load on the host's Python, so a variant built for the
host's version is imported instead — same build code, other ``--python-version``.

The project's ``config/`` directory reaches every function as ``/code/config/``: unit-tested on the copy step
(cheap, no pip) and on a whole function tree assembled from a fake dependency set.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dwevents.deploy.build import BUILD_INFO, BuildError, assemble, copy_config, find_interpreter
from dwevents.deploy.configcheck import check_function
from dwevents.deploy.layers import LAYERS_DIR, LayerBuild
from dwevents.deploy.syaml import load_syaml
from dwevents.errors import ConfigError

slow = pytest.mark.slow  # the tests that run pip and build real trees

ROOT = Path(__file__).resolve().parents[2]
REGULAR, EXTENSION = "MonitorAlert", "NodeChange"
SDK = "alibabacloud_dataworks_public20200518"
HOST_VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"


def run_build(out: Path, *extra: str) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dwevents.deploy.build",
            "--syaml",
            str(ROOT / "s.yaml"),
            "--out",
            str(out),
            "--only",
            f"{REGULAR},{EXTENSION}",
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
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
def importable(
    tmp_path_factory: pytest.TempPathFactory, artifact: tuple[Path, str], runtime_version: str
) -> tuple[Path, str]:
    """(artifact root, interpreter) — the real one when the runtime's Python is here, else a host variant."""
    interpreter = find_interpreter(runtime_version)
    if interpreter is not None:
        return artifact[0], interpreter
    out = tmp_path_factory.mktemp("build-host")
    run_build(out, "--python-version", HOST_VERSION)
    return out, sys.executable


def layer_paths(code_dir: Path) -> list[str]:
    """The ``python/`` directories of the layers a function is built for (FC's ``/opt/python``)."""
    info = json.loads((code_dir / BUILD_INFO).read_text())
    return [str(code_dir.parent / LAYERS_DIR / name / "python") for name in info["layers"]]


def import_in_isolation(interpreter: str, code_dir: Path) -> dict[str, Any]:
    probe = f"""
import importlib, json, sys
sys.path[:0] = [{str(code_dir)!r}, *{layer_paths(code_dir)!r}]
index = importlib.import_module("index")
try:
    importlib.import_module("{SDK}.client")
    sdk = True
except ImportError:
    sdk = False
import dwevents, pydantic
print(json.dumps({{
    "handler": callable(getattr(index, "handler", None)),
    "initialize": callable(getattr(index, "initialize", None)),
    "dwevents": dwevents.__file__,
    "pydantic": pydantic.__file__,
    "sdk": sdk,
    "site": [p for p in sys.path if "site-packages" in p or "dist-packages" in p],
    "pyc": index.__cached__,
}}))
"""
    done = subprocess.run(
        [interpreter, "-I", "-S", "-c", probe],
        cwd=code_dir.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@slow
def test_trees_hold_function_and_package_and_the_layers_the_dependencies(artifact: tuple[Path, str]) -> None:
    out, summary = artifact
    layers = {}
    for category, extension in ((REGULAR, False), (EXTENSION, True)):
        tree = out / category
        assert (tree / "index.py").is_file()
        assert (tree / "dwevents" / "catalogue.py").is_file()
        for tool in ("deploy", "local", "cli", "__main__.py", "testing.py"):  # never run in FC
            assert not (tree / "dwevents" / tool).exists(), tool
        # no dependency in the function's own tree: they are the layers' (uploaded once per deploy)
        assert not (tree / "pydantic").exists() and not (tree / SDK).exists()
        assert list(tree.glob("*.dist-info")) == []
        info = json.loads((tree / "BUILD-INFO.json").read_text())
        assert info["kind"] == ("extension" if extension else "regular")
        assert len(info["layers"]) == (2 if extension else 1)
        layers[category] = info["layers"]
        shared = [p for p in sorted((ROOT / "config").rglob("*")) if p.is_file() and p.name != "README.md"]
        assert info["config"] == [f"config/{p.relative_to(ROOT / 'config').as_posix()}" for p in shared]
        assert not (tree / "config" / "README.md").exists()
        assert any(d.startswith("pydantic-") for d in info["distributions"])
    # one deps layer for both, the SDK's only for the extension function, each written once
    deps_layer, sdk_layer = layers[EXTENSION]
    assert layers[REGULAR] == [deps_layer]
    deps, sdk = out / LAYERS_DIR / deps_layer / "python", out / LAYERS_DIR / sdk_layer / "python"
    assert (deps / "pydantic").is_dir() and (deps / "yaml").is_dir() and (deps / "redis").is_dir()
    assert (sdk / SDK).is_dir() and (sdk / "alibabacloud_credentials").is_dir()
    assert not (sdk / "pydantic").exists(), "the SDK layer repeats a distribution of the deps layer"
    assert not (deps / "bin").exists() and not (sdk / "bin").exists()
    assert deps_layer in summary and "each layer once" in summary


@slow
def test_wheels_and_bytecode_are_for_the_runtime(artifact: tuple[Path, str], runtime_version: str) -> None:
    out, summary = artifact
    tag = "cpython-" + runtime_version.replace(".", "")
    tree = out / EXTENSION
    deps, sdk = (Path(p) for p in layer_paths(tree))
    native = list((deps / "pydantic_core").glob("_pydantic_core.*.so"))
    assert native and all(tag in so.name for so in native), native
    foreign = [p for root in (tree, deps, sdk) for p in root.rglob("*.pyc") if tag not in p.name]
    assert foreign == [], f"bytecode for another Python: {foreign[:3]}"
    if find_interpreter(runtime_version) is None:
        assert "none" in summary  # said so, shipped sources only
        pytest.skip(f"no Python {runtime_version} on this host to byte-compile with")
    for module in (tree / "index.py", tree / "dwevents" / "catalogue.py", sdk / SDK / "client.py"):
        pyc = module.parent / "__pycache__" / f"{module.stem}.{tag}.pyc"
        flags = struct.unpack("<I", pyc.read_bytes()[4:8])[0]
        assert flags == 0b01, f"{pyc}: want hash-based, unchecked (flags {flags:#b})"


@slow
def test_handlers_import_with_only_the_artifact(importable: tuple[Path, str]) -> None:
    out, interpreter = importable
    regular = import_in_isolation(interpreter, out / REGULAR)
    extension = import_in_isolation(interpreter, out / EXTENSION)
    for category, result in ((REGULAR, regular), (EXTENSION, extension)):
        assert result["handler"] and result["initialize"], category
        assert result["dwevents"].startswith(str(out / category)), result
        assert result["pydantic"].startswith(str(out / LAYERS_DIR)), result  # from the deps layer
        assert result["site"] == [], "site-packages leaked into the isolated interpreter"
    assert regular["sdk"] is False  # regular-only functions never ship the DataWorks SDK
    assert extension["sdk"] is True


@slow
def test_offline_without_the_wheels_fails_with_pips_reason(tmp_path: Path) -> None:
    from dwevents.deploy.build import install_dependencies

    with pytest.raises(BuildError, match="pip could not install"):
        install_dependencies(["pydantic>=2.6,<3"], "3.12", tmp_path / "cache", offline_wheels=tmp_path)
    assert not any((tmp_path / "cache").iterdir())  # no half-installed set left to be reused


def test_a_wrong_target_python_is_refused() -> None:
    with pytest.raises(BuildError, match=r"not 2\.7"):
        find_interpreter("2.7", explicit=sys.executable)


# -- the shared config directory (cheap: no pip) -----------------------------------------------------


def _config_tree(root: Path) -> Path:
    config = root / "config"
    (config / "policies").mkdir(parents=True)
    (config / "dwevents.yaml").write_text("actions: {}\n")
    (config / "policies" / "rules.yaml").write_text("rules: []\n")
    (config / "README.md").write_text("docs, not shipped\n")
    (config / "__pycache__").mkdir()
    (config / "__pycache__" / "x.cpython-312.pyc").write_bytes(b"junk")
    return config


def test_copy_config_puts_the_project_config_under_code_config(tmp_path: Path) -> None:
    config = _config_tree(tmp_path / "project")
    dest = tmp_path / "out" / "NodeChange"
    dest.mkdir(parents=True)
    copied = copy_config(config, dest)
    assert copied == ["config/dwevents.yaml", "config/policies/rules.yaml"]
    assert (dest / "config" / "dwevents.yaml").read_text() == "actions: {}\n"  # /code/config/dwevents.yaml
    assert not (dest / "config" / "README.md").exists() and not (dest / "config" / "__pycache__").exists()


def test_copy_config_without_config_files_adds_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "fn"
    dest.mkdir()
    assert copy_config(None, dest) == [] and copy_config(tmp_path / "missing", dest) == []
    only_docs = tmp_path / "config"
    only_docs.mkdir()
    (only_docs / "README.md").write_text("just the docs")
    assert copy_config(only_docs, dest) == []
    assert list(dest.iterdir()) == []


def test_copy_config_refuses_to_merge_into_a_functions_own_config(tmp_path: Path) -> None:
    config = _config_tree(tmp_path / "project")
    dest = tmp_path / "fn"
    (dest / "config").mkdir(parents=True)
    with pytest.raises(BuildError, match="its own config/"):
        copy_config(config, dest)


def _fake_layers(tmp_path: Path, extension: bool) -> list[LayerBuild]:
    """Stand-in layers (one package each), as write_layers leaves them."""
    out = []
    for key in ("deps", "dataworks") if extension else ("deps",):
        path = tmp_path / LAYERS_DIR / f"fake-{key}"
        (path / "python" / f"{key}_pkg").mkdir(parents=True, exist_ok=True)
        out.append(LayerBuild(f"fake-{key}", key, path, "3.12", 0, 1, [f"{key}-pkg-1.0"]))
    return out


def test_every_assembled_function_carries_the_config_and_names_its_layers(tmp_path: Path) -> None:
    """The whole assembly step with stand-in layers: config/ sits beside index.py in each tree, and the
    dependencies stay in the layers."""
    config = _config_tree(tmp_path / "project")
    for category in (REGULAR, EXTENSION):
        dest = tmp_path / "out" / category
        layers = _fake_layers(tmp_path, category == EXTENSION)
        assemble(
            category, ROOT / "functions" / category, dest, None, "3.12", category == EXTENSION, layers, config
        )
        assert (dest / "index.py").is_file() and not (dest / "deps_pkg").exists()
        assert (dest / "config" / "dwevents.yaml").is_file(), category
        info = json.loads((dest / BUILD_INFO).read_text())
        assert info["config"] == ["config/dwevents.yaml", "config/policies/rules.yaml"]
        assert info["layers"] == [layer.name for layer in layers]
        assert info["distributions"] == sorted(d for layer in layers for d in layer.distributions)


def test_a_function_file_that_would_hide_a_layer_package_is_refused(tmp_path: Path) -> None:
    # GIVEN a function folder with a module named like a package of its layer
    function_dir = tmp_path / "functions" / REGULAR
    function_dir.mkdir(parents=True)
    (function_dir / "index.py").write_text("")
    (function_dir / "deps_pkg").mkdir()
    # WHEN assembled THEN the build says which name would shadow which layer
    with pytest.raises(BuildError, match="deps_pkg of the function would hide layer fake-deps"):
        assemble(
            REGULAR,
            function_dir,
            tmp_path / "out" / REGULAR,
            None,
            "3.12",
            False,
            _fake_layers(tmp_path, False),
        )


def test_the_project_config_dir_is_documented_and_its_readme_never_shipped(tmp_path: Path) -> None:
    readme = ROOT / "config" / "README.md"
    assert readme.is_file() and "/code/config/" in readme.read_text(encoding="utf-8")
    assert "config/README.md" not in copy_config(ROOT / "config", tmp_path)


def _assembled(tmp_path: Path, category: str, config: Path) -> Path:
    dest = tmp_path / "out" / category
    layers = _fake_layers(tmp_path, category == EXTENSION)
    assemble(
        category, ROOT / "functions" / category, dest, None, "3.12", category == EXTENSION, layers, config
    )
    return dest


def test_the_tools_are_left_out_of_every_function(tmp_path: Path) -> None:
    dest = _assembled(tmp_path, EXTENSION, _config_tree(tmp_path / "project"))
    package = dest / "dwevents"
    assert (package / "runtime.py").is_file() and (package / "catalogue.py").is_file()
    assert [
        name for name in ("local", "deploy", "cli", "__main__.py", "testing.py") if (package / name).exists()
    ] == []


BROKEN_RULES = "version: 1\nrules:\n  - name: no-drop\n    events: [commit-file]\n    chek: {}\n"


def test_a_broken_rules_file_in_the_package_fails_the_check_naming_file_and_function(tmp_path: Path) -> None:
    # GIVEN the project's config/ with a broken rules file, copied into an extension function as FC sees it
    config = _config_tree(tmp_path / "project")
    (config / "rules.yaml").write_text(BROKEN_RULES)
    dest = _assembled(tmp_path, EXTENSION, config)
    # WHEN checking with the function's environment (a /code/ path, as s.yaml gives it)
    with pytest.raises(ConfigError) as caught:
        check_function({"DWEVENTS_RULES": "/code/config/rules.yaml"}, dest, extension=True, name=EXTENSION)
    # THEN the error names the function and the copied file
    assert str(caught.value).startswith(f"{EXTENSION}: ")
    assert str(dest / "config" / "rules.yaml") in str(caught.value)


def test_a_rules_path_that_is_not_in_the_package_fails_the_check(tmp_path: Path) -> None:
    dest = _assembled(tmp_path, EXTENSION, _config_tree(tmp_path / "project"))
    with pytest.raises(ConfigError, match="cannot read rules file"):
        check_function({"DWEVENTS_RULES": "/code/config/no-such.yaml"}, dest, extension=True)


def test_a_valid_configuration_passes_and_regular_functions_never_load_rules(tmp_path: Path) -> None:
    config = _config_tree(tmp_path / "project")
    (config / "rules.yaml").write_text(BROKEN_RULES)
    extension = _assembled(tmp_path, EXTENSION, config)
    checked = check_function({"DWEVENTS_CONFIG": "", "DWEVENTS_RULES": ""}, extension, extension=True)
    assert checked.rules == "default rules" and checked.rule_count and checked.rule_count > 0
    regular = _assembled(tmp_path, REGULAR, config)
    assert (
        check_function({"DWEVENTS_RULES": "/code/config/rules.yaml"}, regular, extension=False).rules is None
    )


def test_a_broken_config_file_fails_the_check(tmp_path: Path) -> None:
    config = _config_tree(tmp_path / "project")
    (config / "dwevents.yaml").write_text("idempotency: {ttl_seconds: soon}\n")
    dest = _assembled(tmp_path, REGULAR, config)
    with pytest.raises(ConfigError, match="ttl_seconds"):
        check_function({"DWEVENTS_CONFIG": "/code/config/dwevents.yaml"}, dest, extension=False)


@slow
def test_the_build_refuses_to_ship_a_broken_rules_file(tmp_path: Path, artifact: tuple[Path, str]) -> None:
    # GIVEN the deployer points DWEVENTS_RULES at a file of the project's config/ that is broken
    out, _ = artifact
    project = tmp_path / "project"
    config = _config_tree(project)
    (config / "rules.yaml").write_text(BROKEN_RULES)
    env = {**os.environ, "DWEVENTS_RULES": "/code/config/rules.yaml"}
    # WHEN the pre-deploy build runs (dependencies from the cache the first build filled)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dwevents.deploy.build",
            "--syaml",
            str(ROOT / "s.yaml"),
            "--out",
            str(tmp_path / "out"),
            "--only",
            EXTENSION,
            "--config-dir",
            str(config),
            "--cache-dir",
            str(out / ".deps"),
            "--no-compile",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    # THEN it fails with one line naming the function and the file: s deploy stops before uploading
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"build failed: {EXTENSION}: " in done.stderr and "rules.yaml" in done.stderr
