"""The functions' shared dependencies as Function Compute layers: built once, uploaded once per content.

Why: every function used to carry its own copy of the dependencies — 13 uploads of the same pydantic, and
10 of the DataWorks SDK, per deploy (issue 12). Two layers now hold them, and each function's code is
its own files, the ``dwevents`` package and the project's ``config/`` only:

* ``deps`` — the base requirements and ``redis``: attached to every function;
* ``dataworks`` — the ``dataworks`` extra (the official SDK, for ``DWEVENTS_DATAWORKS_TRANSPORT=sdk``)
  less every distribution ``deps`` already has: attached to the functions with extension points.

FC unpacks a function's layers into ``/opt`` and puts ``/opt/python`` on the Python runtime's module path
("创建自定义层", https://help.aliyun.com/zh/functioncompute/create-a-custom-layer), so each layer's zip holds
``python/<packages>``.

A layer's **name says what it holds**: ``dwevents-<key>-py<XY>-<hash>``, the hash taken over the layer's
requirement specifiers, the runtime's Python version and the platform tags pip installs for. s.yaml names
the layers once (``vars.layers``) and every function refers to version 1 of them; ``python -m
dwevents.deploy.syaml check`` (and the build) fail when the names are not the ones the project's
requirements give, with the names to write. ``python -m dwevents.deploy.publish_layers``
(the deploy's pre-deploy step, after the build) creates a layer only when
its version 1 does not exist yet, so an unchanged dependency set is never uploaded again. A layer whose
name exists at another version than 1 (deleted and published again by hand) is an error naming it: the
ARN in s.yaml would not be the content built here. Within the specifiers, the versions pip resolves on
the day of the first publish are the ones deployed until the specifiers (hence the name) change; the
layer's description lists them, and ``publish`` warns when this build resolved others.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dwevents.deploy.deps import (
    COMPLETE,
    BuildError,
    function_requirements,
    install_dependencies,
    link_or_copy,
    platforms_for,
    project_requirements,
)

if TYPE_CHECKING:
    from dwevents.deploy.syaml import SYaml

__all__ = [
    "LAYERS_DIR",
    "LAYERS_VAR",
    "LayerBuild",
    "LayerSpec",
    "check",
    "check_layer_names",
    "expected_names",
    "layer_arn",
    "plan",
    "split_layer",
    "write_layers",
]

logger = logging.getLogger(__name__)

#: ``<out>/layers/<name>/python/...``: each layer's tree beside the functions' in the build output.
LAYERS_DIR = "layers"
#: ``vars.<LAYERS_VAR>.<key>``: the layer names s.yaml deploys.
LAYERS_VAR = "layers"
#: What a function refers to (one version per name: the name says the content).
LAYER_VERSION = 1
#: The form every fc3 ``layers`` entry of s.yaml takes (``${config('AccountID')}`` is the account of the
#: ``access`` credential, expanded by ``s deploy``; ``s preview`` shows it as written).
ARN_FORM = "acs:fc:${vars.region}:${config('AccountID')}:layers/${vars.layers.%s}/versions/1"
#: The same, rendered (what dwevents.deploy.syaml and ``s preview`` give).
RENDERED_ARN = "acs:fc:{region}:${{config('AccountID')}}:layers/{name}/versions/1"
INFO_SUFFIX = ".json"


@dataclass(frozen=True)
class LayerSpec:
    key: str
    name: str
    requirements: tuple[str, ...]
    #: Attached only to the functions that have extension points.
    extension_only: bool


def _name(key: str, requirements: Sequence[str], python_version: str) -> str:
    source = json.dumps(
        {
            "requirements": sorted(requirements),
            "python": python_version,
            "platforms": platforms_for(python_version),
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(source.encode()).hexdigest()[:10]
    return f"dwevents-{key}-py{python_version.replace('.', '')}-{digest}"


def plan(
    groups: Mapping[str | None, list[str]], python_version: str, *, redis: bool = True
) -> list[LayerSpec]:
    """The layers of one runtime: ``deps`` for every function, ``dataworks`` for extension functions."""
    base = function_requirements(dict(groups), ["redis"] if redis else [])
    full = function_requirements(dict(groups), ["dataworks", "redis"] if redis else ["dataworks"])
    return [
        LayerSpec("deps", _name("deps", base, python_version), tuple(base), False),
        LayerSpec("dataworks", _name("dataworks", full, python_version), tuple(full), True),
    ]


def expected_names(python_version: str, *, root: Path | None = None, redis: bool = True) -> dict[str, str]:
    """``{key: name}`` as s.yaml ``vars.layers`` must write them for ``python_version``."""
    return {spec.key: spec.name for spec in plan(project_requirements(root), python_version, redis=redis)}


def layer_arn(region: str, account_id: str, name: str) -> str:
    return f"acs:fc:{region}:{account_id}:layers/{name}/versions/{LAYER_VERSION}"


# -- building -----------------------------------------------------------------------------------------

_DIST_INFO = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+)\.dist-info$")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(tree: Path) -> dict[str, tuple[str, Path]]:
    """``{normalized name: (version, dist-info dir)}`` of what pip installed into ``tree``."""
    found: dict[str, tuple[str, Path]] = {}
    for entry in tree.glob("*.dist-info"):
        match = _DIST_INFO.match(entry.name)
        if match:
            found[_normal(match.group("name"))] = (match.group("version"), entry)
    return found


def _record_paths(dist_info: Path) -> set[str]:
    """The top-level entries a distribution installed (from its RECORD), plus its dist-info directory."""
    tops = {dist_info.name}
    record = dist_info / "RECORD"
    if record.is_file():
        for line in record.read_text(encoding="utf-8").splitlines():
            path = line.split(",", 1)[0]
            if path and not path.startswith(("..", "/")):
                tops.add(path.split("/", 1)[0])
    return tops


def fill(layer_dir: Path, source: Path, *, skip: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """``layer_dir/python/`` ← every top-level entry of ``source`` but ``skip`` (hard links, or copies)."""
    shutil.rmtree(layer_dir, ignore_errors=True)
    target = layer_dir / "python"
    target.mkdir(parents=True)
    for entry in sorted(source.iterdir()):
        if entry.name in skip or entry.name.startswith(".") or entry.name == "bin":
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, copy_function=link_or_copy, symlinks=True)
        else:
            link_or_copy(str(entry), str(target / entry.name))


def split_layer(base: Path, full: Path, dest: Path) -> list[str]:
    """``dest`` ← what ``full`` (an install of a superset) has beyond ``base``: every distribution of
    ``full`` not in ``base``; → those distributions. A distribution both hold at different versions is
    an error (two layers would put two versions of it on one sys.path)."""
    have = distributions(base)
    skip: set[str] = set()
    extra: list[str] = []
    for name, (version, dist_info) in sorted(distributions(full).items()):
        if name in have:
            if have[name][0] != version:
                raise BuildError(
                    f"{name} resolved to {version} with the dataworks extra but {have[name][0]} without it; "
                    "pin it in pyproject.toml so both layers agree"
                )
            skip |= _record_paths(dist_info)
        else:
            extra.append(f"{name}-{version}")
    fill(dest, full, skip=skip)
    return extra


# -- checking s.yaml ----------------------------------------------------------------------------------


def check(syaml: SYaml, *, root: Path | None = None) -> list[str]:
    """Every disagreement between s.yaml's layers and the project's requirements, one line each."""
    problems: list[str] = []
    declared = syaml.vars.get(LAYERS_VAR) if isinstance(syaml.vars, Mapping) else None
    versions = sorted({decl.python_version for decl in syaml.functions if decl.python_version})
    if len(versions) > 1:
        return [f"vars.{LAYERS_VAR}: one set of layers serves one Python version; s.yaml has {versions}"]
    if not versions:
        return problems
    wanted = expected_names(versions[0], root=root or syaml.root)
    if not isinstance(declared, Mapping):
        declared = {}
        problems.append(f"vars.{LAYERS_VAR}: missing; write {json.dumps(wanted)}")
    for key, name in wanted.items():
        if declared and declared.get(key) != name:
            problems.append(
                f"vars.{LAYERS_VAR}.{key}: {declared.get(key)!r}, but the requirements of this project for "
                f"Python {versions[0]} make {name!r} (write that name: it is what the build produces)"
            )
    region = str(syaml.vars.get("region") or "") if isinstance(syaml.vars, Mapping) else ""
    for decl in syaml.functions:
        keys = ["deps", "dataworks"] if decl.is_extension else ["deps"]
        want = [RENDERED_ARN.format(region=region, name=declared.get(key, wanted[key])) for key in keys]
        have = decl.props.get("layers")
        if have != want:
            problems.append(f"{decl.resource}: layers must be {want} (have {have})")
    return problems


# -- writing the layers (the build) -------------------------------------------------------------------


def tree_size(root: Path) -> tuple[int, int]:
    """(bytes, files) of a directory tree."""
    size = files = 0
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            size += path.stat().st_size
            files += 1
    return size, files


@dataclass
class LayerBuild:
    name: str
    key: str
    path: Path
    python_version: str
    size_bytes: int
    files: int
    distributions: list[str]


def write_layers(
    out: Path,
    specs: Sequence[LayerSpec],
    python_version: str,
    cache_dir: Path,
    *,
    with_dataworks: bool,
    offline_wheels: Path | None,
    interpreter: str | None,
    refresh: bool,
) -> dict[str, LayerBuild]:
    """Install each layer's requirements once (cached) and write its tree; → ``{key: LayerBuild}``."""
    built: dict[str, LayerBuild] = {}
    installed: dict[str, Path] = {}
    for spec in specs:
        if spec.extension_only and not with_dataworks:
            continue
        installed[spec.key] = install_dependencies(
            list(spec.requirements),
            python_version,
            cache_dir,
            offline_wheels=offline_wheels,
            interpreter=interpreter,
            refresh=refresh,
        )
        layer_dir = out / LAYERS_DIR / spec.name
        if spec.extension_only:
            names = split_layer(installed["deps"], installed[spec.key], layer_dir)
        else:
            fill(layer_dir, installed[spec.key])
            names = [f"{n}-{v}" for n, (v, _) in sorted(distributions(installed[spec.key]).items())]
        size, files = tree_size(layer_dir)
        info = json.loads((installed[spec.key] / COMPLETE).read_text())
        (out / LAYERS_DIR / f"{spec.name}{INFO_SUFFIX}").write_text(
            json.dumps(
                {
                    "key": spec.key,
                    "name": spec.name,
                    "python": python_version,
                    "runtimes": [f"python{python_version}"],
                    "platforms": info["platforms"],
                    "requirements": list(spec.requirements),
                    "distributions": names,
                    "bytecode": info["bytecode"],
                },
                indent=2,
            )
            + "\n"
        )
        built[spec.key] = LayerBuild(spec.name, spec.key, layer_dir, python_version, size, files, names)
    return built


def check_layer_names(specs: Sequence[LayerSpec], declared: object, *, overridden: bool) -> None:
    """s.yaml must deploy the layers this build makes (their names say their content)."""
    if declared is None:
        return
    wanted = {spec.key: spec.name for spec in specs}
    have = dict(declared) if isinstance(declared, dict) else {}
    if have == wanted:
        return
    if overridden:
        logger.warning("layers built for another Python than s.yaml's runtime: %s (not deployable)", wanted)
        return
    raise BuildError(
        f"s.yaml vars.layers is {have}, but this project's requirements make {wanted}: write those names "
        "in s.yaml (`python -m dwevents.deploy.publish_layers --names` prints them)"
    )
