"""``dwevents doctor`` against the local cloud stand-in (EventBridge, FC 3.0, STS: real SDKs, signed HTTP)
and the DataWorks stand-in (GetExtension): a healthy account first, then each broken prerequisite, which
must produce its FAIL line (and exit 1) while the rest stays ok."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dwevents.catalogue import CATALOGUE
from dwevents.cli import main
from dwevents.deploy import bus
from dwevents.deploy.syaml import SYaml, load_syaml
from dwevents.deploy.targets import TARGET_ID
from dwevents.local.cloud import CloudApiStandIn, FcInvocation
from dwevents.local.dataworks.server import DataWorksApiStandIn

ROOT = Path(__file__).resolve().parents[2]
AK, SECRET = "LTAI-doctor", "doctor-secret"
ACCOUNT, REGION, BUS = "1234567890123456", "cn-hangzhou", "dw-openevent"
ROLE = f"acs:ram::{ACCOUNT}:role/dwevents-fc"
CODE = "ext-doctor"
DLQ = f"acs:mns:{REGION}:{ACCOUNT}:/queues/dwevents-dlq"
DEPLOY_ENV = {
    "DWEVENTS_ROLE_ARN": ROLE,
    "DWEVENTS_EXTENSION_CODE": CODE,
    "DWEVENTS_EVENT_BUS": BUS,
    "DWEVENTS_DLQ_ARN": DLQ,
}
EXTENSION_CODES = sorted({spec.event_code for spec in CATALOGUE if spec.is_extension})


@dataclass
class Account:
    cloud: CloudApiStandIn
    dataworks: DataWorksApiStandIn
    declared: SYaml

    def doctor(self, *extra: str) -> tuple[int, str]:
        out = io.StringIO()
        code = main(
            [
                "doctor",
                "--syaml",
                str(ROOT / "s.yaml"),
                "--endpoint",
                self.cloud.endpoint,
                "--protocol",
                "http",
                "--dataworks-endpoint",
                f"http://{self.dataworks.endpoint}",
                *extra,
            ],
            out=out,
        )
        return code, out.getvalue()


def lines(out: str, status: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(status)]


def apply_rules(cloud: CloudApiStandIn) -> int:
    """The bus tool's ``apply`` for the project's s.yaml against the stand-in (exit status)."""
    argv = ["apply", "--syaml", str(ROOT / "s.yaml"), "--account-id", ACCOUNT]
    return bus.run([*argv, "--endpoint", cloud.endpoint, "--protocol", "http"], out=io.StringIO())


@pytest.fixture()
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    """A healthy deployment: every function, both buses' rules applied by the bus tool, the service-linked
    role, an online extension subscribed to every extension point the functions answer."""
    for name in list(os.environ):
        if name.startswith(("DWEVENTS_", "ALIBABA_CLOUD_", "FC_")):
            monkeypatch.delenv(name)
    for name, value in {
        **DEPLOY_ENV,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": AK,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    declared = load_syaml(ROOT / "s.yaml")
    with (
        CloudApiStandIn({AK: SECRET}, account_id=ACCOUNT, region=REGION, buses=("default", BUS)) as cloud,
        DataWorksApiStandIn(access_keys={AK: SECRET}) as dataworks,
    ):
        for decl in declared.functions:
            cloud.add_function(
                decl.name,
                runtime=decl.runtime,
                handler=decl.handler,
                role=ROLE,
                environment=dict(decl.environment),
            )
        assert apply_rules(cloud) == 0
        dataworks.set_extension(CODE, Status=1, BindEventList=[{"EventCode": c} for c in EXTENSION_CODES])
        yield Account(cloud, dataworks, declared)


def test_a_healthy_account_has_no_fail_and_shows_the_stored_endpoints(account: Account) -> None:
    before = len(account.cloud.mutating_calls())
    # WHEN the doctor runs against the healthy account
    code, out = account.doctor()
    # THEN nothing FAILs, every function and rule is ok, and each rule shows the endpoint the cloud stored
    assert code == 0, out
    assert lines(out, "FAIL") == []
    assert lines(out, "warn") == []
    assert len([line for line in lines(out, "ok") if "  function " in line]) == 13
    assert "ok    credentials  account 1234567890123456" in out
    assert "ok    region  cn-hangzhou (s.yaml vars.region)" in out
    rule_lines = [line for line in lines(out, "ok") if "  rule " in line]
    assert len(rule_lines) == 16
    assert (
        f"rule {BUS}/dwevents-node-change  stored endpoint "
        f"acs:fc:{REGION}:{ACCOUNT}:functions/dwevents-node-change"
    ) in out
    assert "ok    service-linked role  AliyunServiceRoleForEventBridgeSendToFC" in out
    assert f"ok    extension  {CODE} is online" in out
    # AND it changed nothing
    assert len(account.cloud.mutating_calls()) == before


def test_json_output_for_ci(account: Account) -> None:
    code, out = account.doctor("--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert {c["status"] for c in report["checks"]} == {"ok"}
    assert all(set(c) == {"status", "check", "found", "fix"} for c in report["checks"])


def test_no_credentials(account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    code, out = account.doctor()
    assert code == 1
    [fail] = lines(out, "FAIL")
    assert (
        "credentials" in fail
        and "export ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET" in fail
    )


def test_wrong_credentials(account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
    code, out = account.doctor()
    assert code == 1
    [fail] = lines(out, "FAIL")
    assert "credentials  STS GetCallerIdentity: SignatureDoesNotMatch" in fail and "wrong" not in out


@pytest.mark.parametrize("variable", ["DWEVENTS_REGION", "ALIBABA_CLOUD_REGION_ID", "FC_REGION"])
def test_a_region_variable_that_disagrees_with_syaml(
    account: Account, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "cn-shanghai")
    calls = len(account.cloud.calls)
    code, out = account.doctor()
    assert code == 1
    [fail] = lines(out, "FAIL")
    assert f"${variable}=cn-shanghai differs from s.yaml vars.region=cn-hangzhou" in fail
    assert len(account.cloud.calls) == calls  # nothing was asked of a region nobody chose


def test_a_missing_function(account: Account) -> None:
    account.cloud.remove_function("dwevents-monitor-alert")
    code, out = account.doctor()
    assert code == 1
    [fail] = lines(out, "FAIL")
    assert "function dwevents-monitor-alert  not found in FC 3.0 (cn-hangzhou)  run `s deploy`" in fail


def test_a_function_with_another_runtime_and_no_role(account: Account) -> None:
    account.cloud.add_function("dwevents-node-change", runtime="python3.10", handler="index.handler", role="")
    code, out = account.doctor()
    fails = lines(out, "FAIL")
    assert code == 1 and len(fails) == 2
    assert "function dwevents-node-change  runtime 'python3.10' (s.yaml: 'python3.12')" in fails[0]
    assert "execution role  no role on dwevents-node-change" in fails[1]


def test_a_missing_custom_bus_says_to_bind_it_in_dataworks(account: Account) -> None:
    account.cloud.remove_bus(BUS)
    code, out = account.doctor()
    [fail] = lines(out, "FAIL")
    assert code == 1 and f"bus {BUS}  does not exist in cn-hangzhou" in fail
    assert "DataWorks Open Platform > OpenEvent > distribution channel" in fail


def test_a_missing_rule(account: Account) -> None:
    rule = account.cloud.rules("default")["dwevents-project-change"]
    account.cloud.buses["default"].pop(rule.name)
    code, out = account.doctor()
    [fail] = lines(out, "FAIL")
    assert (
        code == 1
        and "rule default/dwevents-project-change  missing  run `python3 -m dwevents.deploy.bus" in fail
    )


def test_a_rule_someone_changed_shows_what_the_cloud_stored(account: Account) -> None:
    rule = account.cloud.rules(BUS)["dwevents-file-change"]
    target = dict(rule.targets[TARGET_ID])
    target["Endpoint"] = f"acs:fc:{REGION}:{ACCOUNT}:services/x.LATEST/functions/dwevents-file-change"
    account.cloud.seed_rule(
        BUS,
        rule.name,
        filter_pattern=rule.filter_pattern,
        description=rule.description,
        targets={TARGET_ID: target},
    )
    code, out = account.doctor()
    [fail] = lines(out, "FAIL")
    assert code == 1 and "differs from the plan: Endpoint; stored endpoint acs:fc:cn-hangzhou:" in fail
    assert "services/x.LATEST/functions/dwevents-file-change" in fail


def test_a_rule_that_is_not_ours(account: Account) -> None:
    account.cloud.seed_rule(
        BUS, "dwevents-dqc-check", filter_pattern='{"source":["acs.dataworks"]}', description="made by hand"
    )
    code, out = account.doctor()
    [fail] = lines(out, "FAIL")
    assert code == 1 and f"rule {BUS}/dwevents-dqc-check  belongs to nobody (no dwevents marker)" in fail


def test_no_service_linked_role(account: Account) -> None:
    account.cloud.service_linked_roles.clear()
    code, out = account.doctor()
    [fail] = lines(out, "FAIL")
    assert code == 1 and "service-linked role  AliyunServiceRoleForEventBridgeSendToFC does not exist" in fail


def test_a_disabled_extension(account: Account) -> None:
    account.dataworks.set_extension(CODE, Status=3)
    code, out = account.doctor()
    [fail] = lines(out, "FAIL")
    assert code == 1 and f"extension  {CODE} is disabled  enable it" in fail


def test_an_extension_point_subscribed_that_no_function_answers(account: Account, tmp_path: Path) -> None:
    # GIVEN a deployment without DqcCheck while the extension still subscribes its extension points
    text = (ROOT / "s.yaml").read_text(encoding="utf-8")
    start = text.index("  DqcCheck:  #")
    end = text.index("code: ./.s/build/DqcCheck\n", start) + len("code: ./.s/build/DqcCheck\n")
    smaller = tmp_path / "s.yaml"
    smaller.write_text(text[:start] + text[end:], encoding="utf-8")
    account.cloud.remove_function("dwevents-dqc-check")
    # WHEN the doctor checks that deployment
    code, out = account.doctor("--syaml", str(smaller))
    # THEN it names the points DataWorks would wait on in vain
    fails = lines(out, "FAIL")
    assert code == 1 and len(fails) == 1, out
    assert "extension points  subscribed but no deployed function answers: " in fails[0]
    dqc = [spec.event_code for spec in CATALOGUE if spec.category == "DqcCheck" and spec.is_extension]
    assert dqc and all(code in fails[0] for code in dqc)


def test_alerts_only_warns_without_failing(account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN no extension code anywhere (an alerts-only deployment)
    monkeypatch.delenv("DWEVENTS_EXTENSION_CODE")
    for decl in account.declared.functions:
        environment = {k: v for k, v in decl.environment.items() if k != "DWEVENTS_EXTENSION_CODE"}
        account.cloud.add_function(
            decl.name, runtime=decl.runtime, handler=decl.handler, role=ROLE, environment=environment
        )
    code, out = account.doctor()
    # THEN the doctor warns that extension events reach the functions unanswered, and passes
    assert code == 0, out
    [warn] = lines(out, "warn")
    assert "extension  no extension code set" in warn and "audited as 'not answered'" in warn


def test_no_dead_letter_queue_is_a_warning(account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the rules applied without a dead-letter queue (it is optional)
    monkeypatch.delenv("DWEVENTS_DLQ_ARN")
    apply_rules(account.cloud)
    code, out = account.doctor()
    # THEN the doctor passes and says what is lost
    assert code == 0, out
    [warn] = lines(out, "warn")
    assert "dead-letter queue  none: an event that still fails after EventBridge's retries is dropped" in warn


# -- --probe: real events through the event trace ------------------------------------------------------


def sample(category: str) -> dict[str, Any]:
    path = next((ROOT / "events" / category).glob("*.json"))
    document = json.loads(path.read_text(encoding="utf-8"))
    return document[0] if isinstance(document, list) else document


def test_probe_follows_events_to_their_functions(account: Account) -> None:
    # GIVEN events DataWorks put on the buses: a workspace-level one on the custom bus, a tenant-level one
    # on both
    account.cloud.publish(BUS, sample("FileChange"))
    account.cloud.publish(BUS, sample("ProjectChange"))
    account.cloud.publish("default", sample("ProjectChange"))
    # WHEN probing
    code, out = account.doctor("--probe")
    # THEN each rule that matched an event delivered it, and the tenant-level event's buses are named
    assert code == 0, out
    assert (
        f"ok    delivery {BUS}/dwevents-file-change  1 of 1 event(s) delivered to dwevents-file-change" in out
    )
    assert "ok    delivery default/dwevents-project-change  1 of 1" in out
    assert f"ok    tenant-level events  arrived on: default (1), {BUS} (1)" in out


def test_probe_names_a_failed_delivery(account: Account) -> None:
    def broken(payload: bytes, invocation: FcInvocation) -> None:
        raise RuntimeError("boom")

    account.cloud.register_function("dwevents-file-change", broken)
    account.cloud.publish(BUS, sample("FileChange"))
    code, out = account.doctor("--probe")
    [fail] = lines(out, "FAIL")
    assert code == 1 and f"delivery {BUS}/dwevents-file-change  0 of 1 event(s) delivered" in fail
    assert "[500]UnhandledInvocationError ×1" in fail


def test_probe_with_no_events_says_so(account: Account) -> None:
    code, out = account.doctor("--probe", "--since", "1h")
    assert code == 0
    assert f"warn  probe {BUS}  no DataWorks event in the window" in out


def test_help_needs_only_the_base_install() -> None:
    blocker = (
        "import importlib.abc, sys\n"
        "class B(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0].startswith(('alibabacloud', 'Tea', 'darabonba')):\n"
        "            raise ModuleNotFoundError(name, name=name)\n"
        "sys.meta_path.insert(0, B())\n"
        "from dwevents.cli import main\n"
        "sys.exit(main(['doctor', '--help']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocker], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "--probe" in done.stdout and "ok|FAIL|warn" in done.stdout
