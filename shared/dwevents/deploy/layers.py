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
requirements give, with the names to write. ``publish`` (the deploy's pre-deploy step, after the build)
creates a layer only when its version 1 does not exist yet (GetLayerVersion, then CreateLayerVersion:
https://help.aliyun.com/zh/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-createlayerversion),
so an unchanged dependency set is never uploaded again. A layer whose name already exists at another
version than 1 (deleted and published again by hand) is an error naming it: the ARN in s.yaml would not
be the content built here. Within the specifiers, the versions pip resolves on the day of the first
publish are the ones deployed until the specifiers (hence the name) change; the layer's description
lists them, and ``publish`` warns when this build resolved others.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwevents.deploy.deps import (
    BuildError,
    function_requirements,
    link_or_copy,
    platforms_for,
    project_requirements,
)

if TYPE_CHECKING:
    from dwevents.deploy.syaml import SYaml

__all__ = [
    "LAYERS_DIR",
    "LAYERS_VAR",
    "LayerSpec",
    "check",
    "expected_names",
    "layer_arn",
    "plan",
    "publish",
    "split_layer",
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


# -- publishing ---------------------------------------------------------------------------------------


def zip_layer(layer_dir: Path) -> bytes:
    """The layer's zip, ``python/...`` at its root, entries in a stable order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for dirpath, dirnames, names in os.walk(layer_dir):
            dirnames.sort()
            for name in sorted(names):
                full = Path(dirpath) / name
                archive.write(full, full.relative_to(layer_dir).as_posix())
    return buffer.getvalue()


def built_layers(out: Path) -> dict[str, dict[str, Any]]:
    """``{name: info}`` of the layers a build wrote under ``<out>/layers``."""
    found: dict[str, dict[str, Any]] = {}
    base = out / LAYERS_DIR
    for info_path in sorted(base.glob(f"*{INFO_SUFFIX}")):
        name = info_path.name[: -len(INFO_SUFFIX)]
        if (base / name / "python").is_dir():
            found[name] = json.loads(info_path.read_text(encoding="utf-8"))
    return found


def publish(
    out: Path,
    *,
    region: str,
    endpoint: str | None = None,
    protocol: str = "https",
    credentials: Any = None,
    names: Sequence[str] = (),
) -> list[str]:
    """Create version 1 of every built layer (or of ``names``) that does not exist yet; → the layers
    created. Raises :class:`~dwevents.errors.CloudApiError` for an API failure and
    :class:`BuildError` when a layer exists at another version."""
    from alibabacloud_fc20230330 import models
    from alibabacloud_fc20230330.client import Client

    from dwevents.deploy._sdk import call_sdk, openapi_config
    from dwevents.errors import CloudApiError

    layers = built_layers(out)
    wanted = list(names) or list(layers)
    missing = [name for name in wanted if name not in layers]
    if missing:
        raise BuildError(f"not built: {', '.join(missing)}; run `python -m dwevents.deploy.build` first")
    client = Client(
        openapi_config(region=region, endpoint=endpoint, protocol=protocol, credentials=credentials)
    )
    created: list[str] = []
    for name in wanted:
        info = layers[name]

        def get(layer: str = name) -> Any:
            return client.get_layer_version(layer, str(LAYER_VERSION))

        try:
            found = call_sdk("FC", "GetLayerVersion", get, name)
        except CloudApiError as exc:
            if exc.status != 404:
                raise
            found = None
        if found is not None:
            _check_published(name, found.body, info)
            logger.info("layer %s version 1 exists: not uploaded again", name)
            continue
        body = models.CreateLayerVersionInput(
            code=models.InputCodeLocation(
                zip_file=base64.b64encode(zip_layer(out / LAYERS_DIR / name)).decode()
            ),
            compatible_runtime=list(info["runtimes"]),
            description=_description(info),
        )

        def create(layer: str = name, body: Any = body) -> Any:
            return client.create_layer_version(layer, models.CreateLayerVersionRequest(body=body))

        response = call_sdk("FC", "CreateLayerVersion", create, name)
        version = getattr(response.body, "version", None)
        if version != LAYER_VERSION:
            raise BuildError(
                f"layer {name} was published as version {version}, but s.yaml deploys version "
                f"{LAYER_VERSION}: a version 1 was deleted by hand; delete every version of {name} "
                "(s cli fc3 layer remove) and deploy again"
            )
        logger.info("layer %s published (%s)", name, getattr(response.body, "layer_version_arn", ""))
        created.append(name)
    return created


def _description(info: Mapping[str, Any]) -> str:
    """What the layer holds, in its description (FC keeps it with the version): the distributions."""
    text = f"dwevents {info['key']}: " + " ".join(info["distributions"])
    return text if len(text) <= 256 else text[:255] + "…"


def _check_published(name: str, layer: Any, info: Mapping[str, Any]) -> None:
    published = str(getattr(layer, "description", "") or "")
    if published and published != _description(info):
        logger.warning(
            "layer %s version 1 was published with other resolved versions than this build (%s); the "
            "functions keep the published ones until the requirements (and so the layer name) change",
            name,
            published,
        )


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from dwevents.deploy.syaml import load_syaml
    from dwevents.errors import DwEventsError

    parser = argparse.ArgumentParser(
        prog="python -m dwevents.deploy.layers",
        description="Publish the built dependency layers that FC does not have yet (pre-deploy).",
    )
    parser.add_argument(
        "command", choices=["publish", "names"], help="publish the layers, or print their names"
    )
    parser.add_argument("--syaml", type=Path, default=Path("s.yaml"), help="project file (default s.yaml)")
    parser.add_argument("--out", type=Path, help="build output (default .s/build beside s.yaml)")
    parser.add_argument("--endpoint", help="FC API host[:port] (default fcv3.<region>.aliyuncs.com)")
    parser.add_argument("--protocol", default="https", choices=["https", "http"], help="default https")
    parser.add_argument("--python-version", help="for `names`: another runtime's version")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="layers: %(message)s")
    try:
        syaml = load_syaml(args.syaml)
        if args.command == "names":
            versions = sorted({d.python_version for d in syaml.functions if d.python_version})
            version = args.python_version or (versions[0] if versions else "3.12")
            print(json.dumps(expected_names(version, root=syaml.root), indent=2))
            return 0
        problems = check(syaml)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
        region = str(syaml.vars.get("region") or "")
        out = args.out or syaml.root / ".s" / "build"
        created = publish(out, region=region, endpoint=args.endpoint, protocol=args.protocol)
    except DwEventsError as exc:
        print(f"layers: {exc}", file=sys.stderr)
        return 1
    print(f"layers published: {', '.join(created) or 'none (all exist)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
