"""The dependency layers (dwevents/deploy/layers.py, publish.py): named by content, written once, published
once — through the official FC SDK against the local cloud stand-in.

Pages: "创建自定义层" (https://help.aliyun.com/zh/functioncompute/create-a-custom-layer: the layer zip holds
``python/``, FC mounts it at ``/opt``, ``/opt/python`` is on the module path) and CreateLayerVersion
(https://help.aliyun.com/zh/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-createlayerversion).
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwevents.deploy._sdk import Credentials
from dwevents.deploy.deps import BuildError, project_requirements
from dwevents.deploy.layers import (
    INFO_SUFFIX,
    LAYERS_DIR,
    check,
    check_layer_names,
    expected_names,
    plan,
    split_layer,
)
from dwevents.deploy.publish_layers import publish
from dwevents.deploy.syaml import load_syaml
from dwevents.local.cloud import CloudApiStandIn

ROOT = Path(__file__).resolve().parents[2]
AK, SECRET = "LTAI-layers-test", "layers-test-secret"


# -- names -------------------------------------------------------------------------------------------


def test_layer_names_say_what_they_hold() -> None:
    groups = project_requirements(ROOT)
    deps, sdk = plan(groups, "3.12")
    # GIVEN the same inputs THEN the same names; another Python THEN other names
    assert [deps.name, sdk.name] == [s.name for s in plan(groups, "3.12")]
    assert {s.name for s in plan(groups, "3.10")}.isdisjoint({deps.name, sdk.name})
    assert deps.name.startswith("dwevents-deps-py312-") and sdk.name.startswith("dwevents-dataworks-py312-")
    # the deps layer: base requirements and redis, for every function; the other adds the SDK
    assert any(r.startswith("pydantic") for r in deps.requirements)
    assert any(r.startswith("redis") for r in deps.requirements)
    assert not any(r.startswith("alibabacloud-dataworks") for r in deps.requirements)
    assert any(r.startswith("alibabacloud-dataworks") for r in sdk.requirements) and sdk.extension_only
    # a different requirement set THEN a different name
    changed = {**groups, None: [*groups[None], "tzdata>=2024"]}
    assert plan(changed, "3.12")[0].name != deps.name


def test_s_yaml_deploys_the_layers_the_requirements_make() -> None:
    syaml = load_syaml(ROOT / "s.yaml", environ={})
    assert check(syaml) == []
    assert dict(syaml.vars["layers"]) == expected_names("3.12", root=ROOT)


def test_a_stale_layer_name_in_s_yaml_is_reported_with_the_name_to_write(tmp_path: Path) -> None:
    # GIVEN an s.yaml whose deps layer name is not the one the requirements make
    text = (ROOT / "s.yaml").read_text(encoding="utf-8")
    wanted = expected_names("3.12", root=ROOT)["deps"]
    (tmp_path / "s.yaml").write_text(text.replace(wanted, "dwevents-deps-py312-0000000000"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    # WHEN checked THEN one line says which name to write, and the build refuses the same
    problems = check(load_syaml(tmp_path / "s.yaml", environ={}), root=ROOT)
    assert any("vars.layers.deps" in p and wanted in p for p in problems), problems
    with pytest.raises(BuildError, match=wanted):
        check_layer_names(
            plan(project_requirements(ROOT), "3.12"),
            {"deps": "dwevents-deps-py312-0000000000", "dataworks": "x"},
            overridden=False,
        )


# -- the split: the SDK layer holds only what the deps layer lacks --------------------------------------


def _install(tree: Path, dists: dict[str, str]) -> None:
    """A pip-like target directory: per distribution a package and a dist-info with RECORD."""
    for name, version in dists.items():
        package = name.replace("-", "_")
        (tree / package).mkdir(parents=True, exist_ok=True)
        (tree / package / "__init__.py").write_text(f"VERSION = {version!r}\n")
        info = tree / f"{package}-{version}.dist-info"
        info.mkdir(exist_ok=True)
        (info / "RECORD").write_text(f"{package}/__init__.py,,\n{info.name}/RECORD,,\n")


def test_the_sdk_layer_leaves_out_every_distribution_of_the_deps_layer(tmp_path: Path) -> None:
    # GIVEN the base install and the install with the dataworks extra (a superset)
    base, full = tmp_path / "base", tmp_path / "full"
    _install(base, {"pydantic": "2.13.4", "typing-extensions": "4.15.0"})
    _install(full, {"pydantic": "2.13.4", "typing-extensions": "4.15.0", "alibabacloud-sdk": "10.1.0"})
    # WHEN the SDK layer is split off
    extra = split_layer(base, full, tmp_path / "layer")
    # THEN it holds the SDK and nothing the deps layer already has, under python/
    assert extra == ["alibabacloud-sdk-10.1.0"]
    assert sorted(p.name for p in (tmp_path / "layer" / "python").iterdir()) == [
        "alibabacloud_sdk",
        "alibabacloud_sdk-10.1.0.dist-info",
    ]


def test_a_distribution_resolved_to_two_versions_is_refused(tmp_path: Path) -> None:
    base, full = tmp_path / "base", tmp_path / "full"
    _install(base, {"typing-extensions": "4.15.0"})
    _install(full, {"typing-extensions": "4.12.0", "alibabacloud-sdk": "10.1.0"})
    with pytest.raises(BuildError, match=r"typing-extensions resolved to 4\.12\.0"):
        split_layer(base, full, tmp_path / "layer")


# -- publishing, through the official SDK --------------------------------------------------------------


@pytest.fixture()
def cloud() -> Iterator[CloudApiStandIn]:
    with CloudApiStandIn({AK: SECRET}) as stand_in:
        yield stand_in


def _built(out: Path, name: str) -> None:
    layer = out / LAYERS_DIR / name / "python" / "somepkg"
    layer.mkdir(parents=True)
    (layer / "__init__.py").write_text("X = 1\n")
    info = {"key": "deps", "runtimes": ["python3.12"], "distributions": ["somepkg-1.0"]}
    (out / LAYERS_DIR / f"{name}{INFO_SUFFIX}").write_text(json.dumps(info))


def _publish(out: Path, cloud: CloudApiStandIn) -> list[str]:
    return publish(
        out,
        region="cn-hangzhou",
        endpoint=cloud.endpoint,
        protocol="http",
        credentials=Credentials(AK, SECRET),
    )


def test_a_new_layer_is_published_once_as_version_1(tmp_path: Path, cloud: CloudApiStandIn) -> None:
    # GIVEN a built layer FC does not have
    _built(tmp_path, "dwevents-deps-py312-abc")
    # WHEN published THEN version 1 is created, with the zip holding python/... and the runtime
    assert _publish(tmp_path, cloud) == ["dwevents-deps-py312-abc"]
    layer = cloud.layers["dwevents-deps-py312-abc"]["versions"][1]
    assert layer["compatibleRuntime"] == ["python3.12"] and "somepkg-1.0" in layer["description"]
    names = zipfile.ZipFile(io.BytesIO(cloud.layer_zips[("dwevents-deps-py312-abc", 1)])).namelist()
    assert names == ["python/somepkg/__init__.py"]
    # WHEN the next deploy publishes again THEN nothing is uploaded (GetLayerVersion finds version 1)
    assert _publish(tmp_path, cloud) == []
    assert [c.action for c in cloud.calls] == ["GetLayerVersion", "CreateLayerVersion", "GetLayerVersion"]


def test_a_layer_that_can_no_longer_be_version_1_is_an_error(tmp_path: Path, cloud: CloudApiStandIn) -> None:
    # GIVEN a layer whose version 1 was deleted by hand (FC never reuses a version number)
    _built(tmp_path, "dwevents-deps-py312-abc")
    cloud.layers["dwevents-deps-py312-abc"] = {"next": 2, "versions": {}}
    # WHEN published THEN the deploy stops, naming the layer (s.yaml deploys version 1)
    with pytest.raises(BuildError, match="dwevents-deps-py312-abc was published as version 2"):
        _publish(tmp_path, cloud)


def test_publishing_what_was_not_built_is_refused(tmp_path: Path, cloud: CloudApiStandIn) -> None:
    with pytest.raises(BuildError, match="not built: nope"):
        publish(tmp_path, region="cn-hangzhou", endpoint=cloud.endpoint, protocol="http",
                credentials=Credentials(AK, SECRET), names=["nope"])  # fmt: skip
