"""Publishing the dependency layers (dwevents/deploy/layers.py): ``python -m dwevents.deploy.publish_layers``.

Runs in s.yaml's pre-deploy, after the build: for every layer the build wrote, GetLayerVersion (version 1),
and CreateLayerVersion only when it does not exist
(https://help.aliyun.com/zh/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-createlayerversion;
the zip goes inline as ``code.zipFile``). Like every ``run:`` action it takes the caller's
``ALIBABA_CLOUD_*`` keys, not the ``access`` ones (docs/deploy.md).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dwevents.deploy.deps import BuildError
from dwevents.deploy.layers import INFO_SUFFIX, LAYER_VERSION, LAYERS_DIR, check, expected_names

logger = logging.getLogger(__name__)

__all__ = ["built_layers", "main", "publish", "zip_layer"]


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
        prog="python -m dwevents.deploy.publish_layers",
        description="Publish the built dependency layers that FC does not have yet (pre-deploy).",
    )
    parser.add_argument(
        "--names", action="store_true", help="only print the layer names s.yaml must deploy, then exit"
    )
    parser.add_argument("--syaml", type=Path, default=Path("s.yaml"), help="project file (default s.yaml)")
    parser.add_argument("--out", type=Path, help="build output (default .s/build beside s.yaml)")
    parser.add_argument("--endpoint", help="FC API host[:port] (default fcv3.<region>.aliyuncs.com)")
    parser.add_argument("--protocol", default="https", choices=["https", "http"], help="default https")
    parser.add_argument("--python-version", help="with --names: another runtime's version")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="layers: %(message)s")
    try:
        syaml = load_syaml(args.syaml)
        if args.names:
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
