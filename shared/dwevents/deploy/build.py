"""Build each function's code directory for FC 3.0 without Docker: the tree ``s deploy`` uploads.

``python -m dwevents.deploy.build [--syaml s.yaml] [--out .s/build] [--python-version 3.12]
[--offline-wheels DIR] [--only NodeChange,MonitorAlert] [--config-dir config]`` (``pre-deploy`` in s.yaml
runs it).

Each ``<out>/<Category>/`` gets the function's own files (``functions/<Category>/``), the project's shared
configuration (a top-level ``config/`` directory beside s.yaml, when there is one, copied to ``config/`` so
that ``DWEVENTS_CONFIG=/code/config/dwevents.yaml`` works in every function; its README.md stays behind),
the ``dwevents`` package without the tools that never run in FC (``local``, ``deploy``, ``cli``,
``__main__`` and the test client): nothing in the tree is there by accident. The dependencies
(dwevents/deploy/deps.py) are not in it: they go into the FC layers of dwevents/deploy/layers.py, written
once under ``<out>/layers/<name>/python/`` and published once by ``python -m dwevents.deploy.layers
publish`` (pre-deploy), so a deploy uploads each dependency once, not once per function.

Configuration is checked before anything is uploaded: for every function the build loads the config file
and the rules file exactly as the function will at cold start — the files copied into its tree, the
environment s.yaml gives it, ``/code/`` meaning the function's directory — and fails with the error
(dwevents/deploy/configcheck.py). A typo in a rules file thus stops ``s deploy`` instead of leaving every
extension point to the fail-mode verdict.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dwevents.deploy.configcheck import check_function
from dwevents.deploy.deps import (
    BuildError,
    byte_compile,
    find_interpreter,
    install_dependencies,
    project_requirements,
)
from dwevents.deploy.layers import LayerBuild, check_layer_names, plan, write_layers
from dwevents.deploy.prebuilt import write_entries
from dwevents.errors import DwEventsError

__all__ = [
    "BUILD_INFO",
    "BuildError",
    "BuildResult",
    "FunctionBuild",
    "assemble",
    "build",
    "copy_config",
    "find_interpreter",
    "install_dependencies",
    "main",
]

logger = logging.getLogger(__name__)

DEFAULT_OUT = Path(".s/build")
BUILD_INFO = "BUILD-INFO.json"
#: The project's shared configuration directory (beside s.yaml), and its name in each function's /code.
CONFIG_DIR = "config"
#: Files of ``config/`` that document the directory and are not shipped.
CONFIG_DOCS = frozenset({"README.md"})
DEFAULT_PYTHON_VERSION = "3.12"
#: dwevents subpackages and modules that never run inside a function (the tools and the test client).
EXCLUDED_SUBPACKAGES = frozenset({"deploy", "local", "cli", "__main__.py", "testing.py"})
_JUNK = ("__pycache__", "*.pyc", "*.pyo", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".DS_Store")


@dataclass
class FunctionBuild:
    category: str
    path: Path
    extension: bool
    python_version: str
    size_bytes: int
    files: int
    bytecode: str
    layers: list[str] = field(default_factory=list)


@dataclass
class BuildResult:
    out: Path
    functions: list[FunctionBuild] = field(default_factory=list)
    layers: list[LayerBuild] = field(default_factory=list)
    seconds: float = 0.0


# -- assembling ---------------------------------------------------------------------------------


def _tree_size(root: Path) -> tuple[int, int]:
    size = files = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            size += os.lstat(os.path.join(dirpath, name)).st_size
            files += 1
    return size, files


def _package_ignore(package_root: Path) -> Callable[[str, list[str]], set[str]]:
    junk = shutil.ignore_patterns(*_JUNK)

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = set(junk(directory, names))
        if Path(directory) == package_root:
            skipped |= EXCLUDED_SUBPACKAGES & set(names)
        if Path(directory) == package_root / "models":  # this host's entries: the build writes its own
            skipped |= {"_prebuilt"} & set(names)
        return skipped

    return ignore


def copy_config(config_dir: Path | None, dest: Path) -> list[str]:
    """Copy the project's ``config/`` into the function tree ``dest`` as ``dest/config/`` (``/code/config/``
    in FC); → the copied files, relative to ``dest``. Nothing happens when ``config_dir`` is None, missing,
    or holds only its README; a ``config`` the function already has is an error, not a silent merge."""
    if config_dir is None or not config_dir.is_dir():
        return []
    junk = shutil.ignore_patterns(*_JUNK)

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = set(junk(directory, names))
        if Path(directory) == config_dir:
            skipped |= CONFIG_DOCS & set(names)
        return skipped

    target = dest / CONFIG_DIR
    if target.exists():
        raise BuildError(
            f"{dest.name}: the function has its own {CONFIG_DIR}/, which the project's "
            f"{config_dir} would overwrite; move those files into {config_dir}"
        )
    shutil.copytree(config_dir, target, ignore=ignore)
    files = sorted(str(path.relative_to(dest).as_posix()) for path in target.rglob("*") if path.is_file())
    if not files:
        shutil.rmtree(target)
    return files


def assemble(
    category: str,
    function_dir: Path,
    dest: Path,
    interpreter: str | None,
    python_version: str,
    extension: bool,
    layers: Sequence[LayerBuild],
    config_dir: Path | None = None,
) -> None:
    """One function's tree: its own files, the shared config and dwevents (compiled); its dependencies
    are the ``layers`` it is deployed with (named in BUILD-INFO.json)."""
    import dwevents

    package_root = Path(dwevents.__file__).resolve().parent
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(function_dir, dest, ignore=shutil.ignore_patterns(*_JUNK, "tests"))
    own = [dest / name for name in os.listdir(dest)]
    config_files = copy_config(config_dir, dest)
    shutil.copytree(package_root, dest / "dwevents", ignore=_package_ignore(package_root))
    for layer in layers:
        clash = sorted({p.name for p in (layer.path / "python").iterdir()} & set(os.listdir(dest)))
        if clash:
            raise BuildError(f"{category}: {', '.join(clash)} of the function would hide layer {layer.name}")
    entries = write_entries(category, dest, [layer.path / "python" for layer in layers], interpreter)
    if interpreter:
        byte_compile(interpreter, [*own, dest / "dwevents"])
    (dest / BUILD_INFO).write_text(
        json.dumps(
            {
                "category": category,
                "kind": "extension" if extension else "regular",
                "python": python_version,
                "layers": [layer.name for layer in layers],
                "distributions": sorted(d for layer in layers for d in layer.distributions),
                "config": config_files,
                "bytecode": _bytecode_label(python_version, interpreter, "none"),
                "dwevents": getattr(dwevents, "__version__", "?"),
                "prebuilt_schemas": entries,
            },
            indent=2,
        )
        + "\n"
    )


def _bytecode_label(python_version: str, interpreter: str | None, deps_bytecode: str) -> str:
    if interpreter:
        return f"cpython-{python_version.replace('.', '')} unchecked-hash"
    return "none" if deps_bytecode == "none" else f"{deps_bytecode} (cached dependencies only)"


def build(
    *,
    syaml_path: Path | None = Path("s.yaml"),
    out: Path | None = None,
    functions_dir: Path | None = None,
    only: Sequence[str] = (),
    python_version: str | None = None,
    offline_wheels: Path | None = None,
    target_python: str | None = None,
    redis: bool = True,
    compile_bytecode: bool = True,
    cache_dir: Path | None = None,
    refresh: bool = False,
    config_dir: Path | None = None,
    check_config: bool = True,
) -> BuildResult:
    """Build the code directory of every function (or of ``only``); see the module docstring.

    ``config_dir`` defaults to ``config/`` beside s.yaml (copied into every function when it exists);
    ``check_config`` loads each function's config and rules as it will (ConfigError when broken)."""
    from dwevents.catalogue import CATEGORIES, specs_for_category

    started = time.monotonic()
    root = syaml_path.resolve().parent if syaml_path is not None else Path.cwd()
    out = (out or root / DEFAULT_OUT).resolve()
    functions_dir = (functions_dir or root / "functions").resolve()
    cache_dir = (cache_dir or out / ".deps").resolve()
    config_dir = (config_dir or root / CONFIG_DIR).resolve()

    runtimes: dict[str, str] = {}
    environments: dict[str, dict[str, str]] = {}
    elsewhere: list[str] = []
    if syaml_path is not None:
        from dwevents.deploy.syaml import load_syaml

        syaml = load_syaml(syaml_path)
        for decl in syaml.functions:
            version = decl.python_version
            if version is None:
                raise BuildError(f"{decl.resource}: runtime {decl.runtime!r} is not a Python runtime")
            runtimes[decl.category] = version
            environments[decl.category] = dict(decl.environment)
            if decl.code and decl.code_path(root) != out / decl.category:
                elsewhere.append(decl.resource)
        if elsewhere:
            logger.warning("s.yaml deploys %s from elsewhere than %s/<Category>", ", ".join(elsewhere), out)
    else:
        runtimes = {
            path.name: DEFAULT_PYTHON_VERSION
            for path in sorted(functions_dir.iterdir())
            if (path / "index.py").is_file()
        }
    categories = list(only) or list(runtimes)
    unknown = [c for c in categories if c not in runtimes]
    if unknown:
        raise BuildError(f"no function for {', '.join(unknown)} (known: {', '.join(runtimes)})")

    groups = project_requirements(root)
    declared_layers = syaml.vars.get("layers") if syaml_path is not None else None
    interpreters: dict[str, str | None] = {}
    result = BuildResult(out=out)
    out.mkdir(parents=True, exist_ok=True)
    by_version: dict[str, list[str]] = {}
    for category in categories:
        if category not in CATEGORIES:
            raise BuildError(f"{category} is not a catalogue category")
        by_version.setdefault(python_version or runtimes[category], []).append(category)
    for version, members in by_version.items():
        interpreters[version] = find_interpreter(version, target_python) if compile_bytecode else None
        if compile_bytecode and interpreters[version] is None:
            logger.warning(
                "no Python %s on this host: shipping sources only (slower cold starts); "
                "pass --target-python or install python%s",
                version,
                version,
            )
        specs = plan(groups, version, redis=redis)
        check_layer_names(specs, declared_layers, overridden=python_version is not None)
        extension_of = {c: any(spec.is_extension for spec in specs_for_category(c)) for c in members}
        layers = write_layers(
            out,
            specs,
            version,
            cache_dir,
            with_dataworks=any(extension_of.values()),
            offline_wheels=offline_wheels,
            interpreter=interpreters[version],
            refresh=refresh,
        )
        result.layers.extend(layers.values())
        for category in members:
            extension = extension_of[category]
            attached = [layers["deps"], *([layers["dataworks"]] if extension else [])]
            function_dir = functions_dir / category
            if not (function_dir / "index.py").is_file():
                raise BuildError(f"{function_dir}/index.py is missing")
            dest = out / category
            assemble(
                category, function_dir, dest, interpreters[version], version, extension, attached, config_dir
            )
            if check_config:
                checked = check_function(
                    environments.get(category, {}), dest, extension=extension, name=category
                )
                logger.info("%s: config %s, rules %s", category, checked.config, checked.rules or "(none)")
            size, files = _tree_size(dest)
            result.functions.append(
                FunctionBuild(
                    category=category,
                    path=dest,
                    extension=extension,
                    python_version=version,
                    size_bytes=size,
                    files=files,
                    bytecode=json.loads((dest / BUILD_INFO).read_text())["bytecode"],
                    layers=[layer.name for layer in attached],
                )
            )
    result.seconds = time.monotonic() - started
    return result


def summary(result: BuildResult) -> str:
    lines = [f"{'function':24} {'kind':10} {'python':7} {'files':>6} {'size':>9}  bytecode"]
    for item in result.functions:
        kind = "extension" if item.extension else "regular"
        lines.append(
            f"{item.category:24} {kind:10} {item.python_version:7} {item.files:6d} "
            f"{item.size_bytes / 1e6:7.1f} MB  {item.bytecode}"
        )
    for layer in result.layers:
        lines.append(
            f"{layer.name:40} layer      {layer.python_version:7} {layer.files:6d} "
            f"{layer.size_bytes / 1e6:7.1f} MB  ({layer.key})"
        )
    total = sum(item.size_bytes for item in result.functions) + sum(x.size_bytes for x in result.layers)
    lines.append(
        f"{len(result.functions)} functions and {len(result.layers)} layers in {result.out} "
        f"({total / 1e6:.0f} MB uploaded in all, each layer once) in {result.seconds:.1f} s"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m dwevents.deploy.build",
        description="Build every function's FC code directory (no Docker).",
    )
    parser.add_argument(
        "--syaml",
        type=Path,
        default=Path("s.yaml"),
        help="project file: functions, runtimes, code paths (default s.yaml)",
    )
    parser.add_argument("--out", type=Path, help="output root (default .s/build beside s.yaml)")
    parser.add_argument("--functions-dir", type=Path, help="default functions/ beside s.yaml")
    parser.add_argument(
        "--config-dir",
        type=Path,
        help="copied into every function as config/ (default: config/ beside s.yaml)",
    )
    parser.add_argument("--only", default="", help="comma-separated categories (default: all)")
    parser.add_argument("--python-version", help="override the runtimes' version, e.g. 3.10")
    parser.add_argument("--offline-wheels", type=Path, help="install only from this wheel directory")
    parser.add_argument("--target-python", help="interpreter of the runtime's version, for the bytecode")
    parser.add_argument("--no-compile", action="store_true", help="ship sources only")
    parser.add_argument("--no-redis", action="store_true", help="leave the redis client out")
    parser.add_argument("--cache-dir", type=Path, help="dependency cache (default <out>/.deps)")
    parser.add_argument("--refresh", action="store_true", help="reinstall cached dependency sets")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="build: %(message)s")
    try:
        result = build(
            syaml_path=args.syaml,
            out=args.out,
            functions_dir=args.functions_dir,
            only=[c for c in args.only.split(",") if c],
            python_version=args.python_version,
            offline_wheels=args.offline_wheels,
            target_python=args.target_python,
            redis=not args.no_redis,
            compile_bytecode=not args.no_compile,
            cache_dir=args.cache_dir,
            refresh=args.refresh,
            config_dir=args.config_dir,
        )
    except DwEventsError as exc:  # BuildError, and a ConfigError from s.yaml or a function's config/rules
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
