"""Every fc3 resource in s.yaml validates against the fc3 component's own props schema (copied in data/).

The schema's ``triggerConfig`` is an ``anyOf`` that includes a bare ``{"type": "object"}``, so it accepts
any trigger config; the eventbridge ones are therefore also checked against ``IEventBridge`` directly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dwevents.deploy.syaml import load_syaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCHEMA_PATH = HERE / "data" / "fc3-props.schema.json"
#: What a deployer exports; the optional variables keep their '' defaults.
DEPLOY_ENV = {
    "DWEVENTS_ROLE_ARN": "acs:ram::1234567890123456:role/dwevents-fc",
    "DWEVENTS_DLQ_ARN": "acs:mns:cn-hangzhou:1234567890123456:/queues/dwevents-dlq/messages",
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return doc


@pytest.fixture(scope="module")
def resources() -> dict[str, dict[str, Any]]:
    declared = load_syaml(ROOT / "s.yaml", environ=DEPLOY_ENV)
    assert declared.missing_env == []
    return {decl.resource: decl.props for decl in declared.functions}


def test_schema_copy_is_the_fc3_props_schema(schema: dict[str, Any]) -> None:
    assert "IEventBridge" in schema["definitions"]
    assert {"python3.10", "python3.12"} <= set(schema["definitions"]["IRuntime"]["enum"])
    assert schema["required"] == ["functionName", "region", "runtime"]


def test_every_resource_validates(schema: dict[str, Any], resources: dict[str, dict[str, Any]]) -> None:
    validator = jsonschema.Draft7Validator(schema)
    assert len(resources) == 13
    problems = [
        f"{name}: {'/'.join(map(str, e.absolute_path)) or '(props)'}: {e.message}"
        for name, props in resources.items()
        for e in validator.iter_errors(props)
    ]
    assert problems == []


def test_no_resource_carries_an_fc3_trigger(resources: dict[str, dict[str, Any]]) -> None:
    """Every EventBridge rule comes from the bus tool (documented target parameters on both buses)."""
    assert all("triggers" not in props for props in resources.values())


def test_a_fresh_clone_renders_valid_props_with_no_variable_set(schema: dict[str, Any]) -> None:
    declared = load_syaml(ROOT / "s.yaml", environ={})
    assert declared.missing_env == []
    validator = jsonschema.Draft7Validator(schema)
    problems = [
        f"{decl.resource}: {e.message}"
        for decl in declared.functions
        for e in validator.iter_errors(decl.props)
    ]
    assert problems == []


def test_sizing_follows_fc_rules(resources: dict[str, dict[str, Any]]) -> None:
    """vCPU : memory (GB) between 1:1 and 1:4; cpu and diskSize set together; values are strings."""
    for name, props in resources.items():
        cpu, memory_gb = props["cpu"], props["memorySize"] / 1024
        assert cpu <= memory_gb <= 4 * cpu, name
        assert props["diskSize"] in (512, 10240), name
        assert props["instanceLifecycleConfig"]["initializer"]["timeout"] <= props["timeout"], name
        assert all(isinstance(v, str) for v in props["environmentVariables"].values()), name


def test_the_schema_rejects_what_it_should(
    schema: dict[str, Any], resources: dict[str, dict[str, Any]]
) -> None:
    """Guard against a validator that accepts anything (wrong draft, wrong file)."""
    validator = jsonschema.Draft7Validator(schema)
    props = dict(resources["NodeChange"])
    assert not validator.is_valid({**props, "runtime": "python3.11"})  # not an FC runtime
    assert not validator.is_valid({**props, "memorySize": 300})  # not a multiple of 64
    assert not validator.is_valid({**props, "environmentVariables": {"N": 1}})  # values must be strings
    assert not validator.is_valid({k: v for k, v in props.items() if k != "handler"})
