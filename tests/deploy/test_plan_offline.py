"""``python -m dwevents.deploy.bus plan --offline --json --syaml s.yaml``: the rules ``apply`` would create,
printed with the base install only (no cloud SDK importable), no credentials, no network and none of the
``ALIBABA_CLOUD*`` / ``DWEVENTS_*`` / ``FC_*`` variables; stdout is JSON only, warnings go to stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dwevents.catalogue import CATEGORIES, Level, specs_for_category
from dwevents.deploy.syaml import load_syaml

ROOT = Path(__file__).resolve().parents[2]
#: The Function Compute parameters of the EventBridge page "事件目标参数" (event target parameters,
#: https://help.aliyun.com/document_detail/185887.html): serviceName (2.0 endpoint form only),
#: functionName, Qualifier, Body, InvocationType (Sync | Async), DataFormat.
DOCUMENTED = {"functionName", "Qualifier", "Body", "InvocationType", "DataFormat"}
#: Runs the CLI with every cloud SDK made unimportable: what a base install (no [deploy] extra) has.
BASE_INSTALL = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0].startswith(('alibabacloud', 'Tea', 'darabonba')):
            raise ModuleNotFoundError(f'No module named {name!r} (blocked: base install)', name=name)
        return None
sys.meta_path.insert(0, Block())
from dwevents.deploy.bus import main
sys.exit(main(sys.argv[1:]))
"""


def clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALIBABA_CLOUD", "DWEVENTS_", "FC_", "HTTP_PROXY", "HTTPS_PROXY"))
    }


def offline_plan(*extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            BASE_INSTALL,
            "plan",
            "--offline",
            "--json",
            "--syaml",
            str(ROOT / "s.yaml"),
            *extra,
        ],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def plan() -> tuple[list[dict[str, Any]], str]:
    done = offline_plan()
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_stdout_is_one_json_array_and_warnings_go_to_stderr(plan: tuple[list[dict[str, Any]], str]) -> None:
    rules, stderr = plan
    assert isinstance(rules, list) and rules
    assert "warning: account id unknown" in stderr and "warning: no dead-letter queue" in stderr


def test_every_function_has_a_custom_bus_rule_and_tenant_ones_a_default_bus_rule_too(
    plan: tuple[list[dict[str, Any]], str],
) -> None:
    rules, _ = plan
    declared = load_syaml(ROOT / "s.yaml", environ={})
    by_bus: dict[str, set[str]] = {}
    for rule in rules:
        assert set(rule) >= {"name", "bus", "pattern", "targets"}
        by_bus.setdefault(rule["bus"], set()).add(rule["function"])
    assert by_bus["dataworks-openevent"] == {fn.name for fn in declared.functions}
    tenant = {
        fn.name
        for fn in declared.functions
        if all(s.level is Level.TENANT for s in specs_for_category(fn.category))
    }
    assert by_bus["default"] == tenant and len(tenant) == 3
    assert len(rules) == len(CATEGORIES) + 3


def test_each_target_carries_every_documented_parameter(plan: tuple[list[dict[str, Any]], str]) -> None:
    rules, _ = plan
    for rule in rules:
        (target,) = rule["targets"]
        assert target["type"] == "acs.fc.function"
        assert target["endpoint"] == f"acs:fc:cn-hangzhou:<account-id>:functions/{rule['function']}"
        params = {p["ResourceKey"]: p for p in target["params"]}
        assert set(params) == DOCUMENTED, rule["name"]
        assert params["Body"] == {"ResourceKey": "Body", "Form": "ORIGINAL"}
        assert params["InvocationType"]["Value"] in {"Sync", "Async"}
        assert params["DataFormat"]["Value"] == "Object"
        assert params["functionName"]["Value"] == rule["function"]
        assert target["pushRetryStrategy"] in {"BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY"}


def test_the_2_0_form_adds_service_name_and_the_account_id_fills_the_endpoint() -> None:
    done = offline_plan("--fc2-service", "legacy", "--account-id", "1234567890123456")
    assert done.returncode == 0, done.stderr
    target = json.loads(done.stdout)[0]["targets"][0]
    assert {p["ResourceKey"] for p in target["params"]} == DOCUMENTED | {"serviceName"}
    assert target["endpoint"].startswith("acs:fc:cn-hangzhou:1234567890123456:services/legacy.LATEST/")


def test_s_remove_undoes_the_managed_rules_first() -> None:
    declared = load_syaml(ROOT / "s.yaml", environ={})
    [undo] = declared.actions["pre-remove"]
    assert undo["run"].startswith("python3 -m dwevents.deploy.bus undo --syaml s.yaml")
    assert [a["run"].split()[2] for a in declared.actions["pre-deploy"]] == [
        "dwevents.deploy.preflight",
        "dwevents.deploy.build",
        "dwevents.deploy.publish_layers",  # publishes the dependency layers the build wrote
    ]
