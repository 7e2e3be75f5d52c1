"""The bus rules (dwevents.deploy.bus), driven through the real EventBridge SDK against the local stand-in:
every call is ACS3-signed, sent over HTTP and checked against the documented parameters (the stand-in
refuses an FC target without InvocationType or DataFormat), so plan/apply/undo are tested as they run
after ``s deploy``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dwevents.catalogue import specs_for_category
from dwevents.deploy import bus
from dwevents.deploy.targets import MARKER, TARGET_ID, rule_name
from dwevents.errors import CloudApiError
from dwevents.local.cloud import CloudApiStandIn

ROOT = Path(__file__).resolve().parents[2]
AK, SECRET = "LTAI-test-deployer", "deployer-secret"
BUS = "dw-openevent"
REGION = "cn-hangzhou"
ACCOUNT = "1234567890123456"


def pattern(category: str) -> dict[str, list[str]]:
    return {"source": ["acs.dataworks"], "type": [s.type for s in specs_for_category(category)]}


def write_syaml(
    path: Path,
    categories: dict[str, dict[str, list[str]]],
    *,
    prefix: str = "dwevents",
    extra_vars: tuple[str, ...] = (),
) -> Path:
    """A small Serverless Devs 3.x file shaped like the real one: one fc3 resource per category, every
    pattern declared once in ``vars.patterns``, no triggers."""
    lines = [
        "edition: 3.0.0",
        "name: dwevents",
        "vars:",
        f"  region: {REGION}",
        f"  prefix: {prefix}",
        f"  eventBus: {BUS}",
        *[f"  {line}" for line in extra_vars],
        "  patterns:",
    ]
    lines += [f"    {category}: '{json.dumps(pat)}'" for category, pat in categories.items()]
    lines.append("resources:")
    for category in categories:
        lines += [
            f"  {category}:",
            "    component: fc3",
            "    props:",
            "      region: ${vars.region}",
            f"      functionName: ${{vars.prefix}}-{category.lower()}",
            f"      code: ./functions/{category}",
            "      handler: index.handler",
            "      runtime: python3.12",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudApiStandIn]:
    for name in (
        "DWEVENTS_EVENT_BUS",
        "DWEVENTS_REGION",
        "ALIBABA_CLOUD_REGION_ID",
        "FC_REGION",
        "ALIBABA_CLOUD_ACCOUNT_ID",
        "FC_ACCOUNT_ID",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "DWEVENTS_PREFIX",
        "DWEVENTS_TENANT_BUS",
        "DWEVENTS_DLQ_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    with CloudApiStandIn(
        {AK: SECRET}, account_id=ACCOUNT, region=REGION, buses=("default", BUS), list_page_size=2
    ) as stand_in:
        yield stand_in


@pytest.fixture()
def syaml(tmp_path: Path) -> Path:
    categories = ("FileChange", "NodeChange", "ProjectChange")
    return write_syaml(tmp_path / "s.yaml", {c: pattern(c) for c in categories})


def argv(cloud: CloudApiStandIn, command: str, syaml: Path | None, *extra: str) -> list[str]:
    """The bus tool's arguments against the stand-in (as the s.yaml actions pass them)."""
    args = [command, "--account-id", ACCOUNT, "--endpoint", cloud.endpoint, "--protocol", "http", *extra]
    return [*args, "--syaml", str(syaml)] if syaml is not None else args


def cli(cloud: CloudApiStandIn, command: str, syaml: Path | None, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    return bus.run(argv(cloud, command, syaml, *extra), out=out), out.getvalue()


CUSTOM_RULES = {"dwevents-filechange", "dwevents-nodechange", "dwevents-projectchange"}
#: The Function Compute target parameters the EventBridge page "事件目标参数" (event target parameters,
#: https://help.aliyun.com/document_detail/185887.html) marks required; serviceName only with the 2.0 form.
DOCUMENTED_FC_PARAMS = {"functionName", "Qualifier", "Body", "InvocationType", "DataFormat"}


def params_of(target: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {p["ResourceKey"]: p for p in target["ParamList"]}


def test_plan_on_empty_buses_creates_one_rule_per_function_and_a_default_bus_rule_for_tenant_ones(
    cloud: CloudApiStandIn, syaml: Path
) -> None:
    # GIVEN empty buses and an s.yaml with two workspace-level functions and one tenant-level one
    # WHEN planning
    code, out = cli(cloud, "plan", syaml)
    # THEN three custom-bus rules and one default-bus rule are to be created, and nothing changed
    assert code == 0, out
    assert f"EventBridge bus '{BUS}': 3 to create, 0 to update, 0 to delete" in out
    assert "EventBridge bus 'default': 1 to create" in out
    creates = {line.split()[2] for line in out.splitlines() if line.startswith("  + create")}
    assert creates == CUSTOM_RULES
    assert cloud.mutating_calls() == [] and cloud.rules(BUS) == {}


def test_apply_sends_every_documented_fc_target_parameter(cloud: CloudApiStandIn, syaml: Path) -> None:
    # GIVEN empty buses (the stand-in refuses an FC target missing a documented parameter)
    # WHEN applying
    code, out = cli(cloud, "apply", syaml)
    # THEN every function has its rule with its pattern, our marker and one FC 3.0 target
    assert code == 0 and "applied 4 change(s)" in out, out
    rules = cloud.rules(BUS)
    assert set(rules) == CUSTOM_RULES
    rule = rules["dwevents-filechange"]
    assert json.loads(rule.filter_pattern) == pattern("FileChange")
    assert MARKER in rule.description and "stack=dwevents" in rule.description
    (target,) = rule.targets.values()
    assert target["Type"] == "acs.fc.function"
    assert target["Endpoint"] == f"acs:fc:{REGION}:{ACCOUNT}:functions/dwevents-filechange"
    params = params_of(target)
    assert set(params) == DOCUMENTED_FC_PARAMS
    assert params["Body"] == {"ResourceKey": "Body", "Form": "ORIGINAL"}
    assert params["functionName"]["Value"] == "dwevents-filechange"
    assert params["Qualifier"]["Value"] == "LATEST"
    assert params["DataFormat"]["Value"] == "Object"
    # AND the tenant-level function has the same rule on the default bus, nobody else is there
    assert set(cloud.rules("default")) == {"dwevents-projectchange"}
    assert cloud.rules("default")["dwevents-projectchange"].targets == rules["dwevents-projectchange"].targets


def test_invocation_type_and_retry_are_chosen_per_function_kind(
    cloud: CloudApiStandIn, tmp_path: Path
) -> None:
    # GIVEN an extension-capable function and a regular one
    syaml = write_syaml(tmp_path / "s.yaml", {c: pattern(c) for c in ("NodeChange", "MonitorAlert")})
    # WHEN applying with the default (auto)
    cli(cloud, "apply", syaml)
    rules = cloud.rules(BUS)
    extension = rules["dwevents-nodechange"].targets[TARGET_ID]
    regular = rules["dwevents-monitoralert"].targets[TARGET_ID]
    # THEN both are invoked synchronously, the extension retried briefly, the regular one for a day
    assert params_of(extension)["InvocationType"]["Value"] == "Sync"
    assert extension["PushRetryStrategy"] == "BACKOFF_RETRY"
    assert params_of(regular)["InvocationType"]["Value"] == "Sync"
    assert regular["PushRetryStrategy"] == "EXPONENTIAL_DECAY_RETRY"
    # AND --invocation-type Async switches every target (FC's async config then carries the retries)
    _, out = cli(cloud, "apply", syaml, "--invocation-type", "Async")
    assert "param InvocationType" in out
    assert all(
        params_of(r.targets[TARGET_ID])["InvocationType"]["Value"] == "Async"
        for r in cloud.rules(BUS).values()
    )


def test_a_dead_letter_queue_goes_on_every_target(cloud: CloudApiStandIn, syaml: Path) -> None:
    dlq = f"acs:mns:{REGION}:{ACCOUNT}:/queues/dwevents-dlq"
    # WHEN applying with a DLQ, then again without one
    cli(cloud, "apply", syaml, "--dlq-arn", dlq)
    targets = [r.targets[TARGET_ID] for b in (BUS, "default") for r in cloud.rules(b).values()]
    # THEN every target carries it
    assert len(targets) == 4 and all(t["DeadLetterQueue"] == {"Arn": dlq} for t in targets)
    _, out = cli(cloud, "plan", syaml)
    assert out.count("DeadLetterQueue") == 4


@pytest.mark.parametrize(
    ("arn", "message"),
    [
        ("arn:aws:sqs:us-east-1:1:q", "is not an MNS queue"),
        (
            f"acs:mns:cn-shanghai:{ACCOUNT}:/queues/dlq",
            "dlqArn is in region cn-shanghai, the rules in cn-hangzhou",
        ),
    ],
)
def test_an_unusable_dead_letter_arn_is_refused_before_any_call(
    cloud: CloudApiStandIn, syaml: Path, arn: str, message: str
) -> None:
    with pytest.raises(bus.ConfigError, match=message):
        cli(cloud, "apply", syaml, "--dlq-arn", arn)
    assert cloud.calls == []


def test_a_second_apply_changes_nothing(cloud: CloudApiStandIn, syaml: Path) -> None:
    # GIVEN the rules applied once
    cli(cloud, "apply", syaml)
    before = len(cloud.mutating_calls())
    # WHEN planning and applying again
    plan_code, plan_out = cli(cloud, "plan", syaml)
    apply_code, apply_out = cli(cloud, "apply", syaml)
    # THEN the plans are empty and the second apply sends no mutating call
    assert plan_code == apply_code == 0
    assert "0 to create, 0 to update, 0 to delete, 3 unchanged" in plan_out
    assert "0 to create, 0 to update, 0 to delete, 1 unchanged" in plan_out
    assert "nothing to do" in apply_out
    assert len(cloud.mutating_calls()) == before


def test_changing_one_pattern_updates_exactly_that_rule(
    cloud: CloudApiStandIn, syaml: Path, tmp_path: Path
) -> None:
    # GIVEN applied rules, then one function's pattern narrowed in s.yaml
    cli(cloud, "apply", syaml)
    narrowed = {"source": ["acs.dataworks"], "type": ["dataworks:FileChange:CommitFile"]}
    changed = write_syaml(
        tmp_path / "s.yaml",
        {
            "FileChange": narrowed,
            "NodeChange": pattern("NodeChange"),
            "ProjectChange": pattern("ProjectChange"),
        },
    )
    before = len(cloud.mutating_calls())
    # WHEN planning and applying
    _, plan_out = cli(cloud, "plan", changed)
    cli(cloud, "apply", changed)
    # THEN one update (the pattern), carried out with a single UpdateRule
    assert "0 to create, 1 to update, 0 to delete, 2 unchanged" in plan_out
    assert "~ update dwevents-filechange (FilterPattern)" in plan_out
    assert [c.action for c in cloud.mutating_calls()[before:]] == ["UpdateRule"]
    assert json.loads(cloud.rules(BUS)["dwevents-filechange"].filter_pattern) == narrowed


def test_a_target_someone_changed_is_put_back(cloud: CloudApiStandIn, syaml: Path) -> None:
    # GIVEN applied rules whose target somebody re-pointed by hand
    cli(cloud, "apply", syaml)
    cloud.seed_rule(
        BUS,
        "dwevents-nodechange",
        filter_pattern=json.dumps(pattern("NodeChange")),
        description=cloud.rules(BUS)["dwevents-nodechange"].description,
        targets={
            TARGET_ID: {
                "Id": TARGET_ID,
                "Type": "acs.fc.function",
                "Endpoint": "acs:fc:cn-hangzhou:1:functions/elsewhere",
                "ParamList": [],
            }
        },
    )
    before = len(cloud.mutating_calls())
    # WHEN applying
    _, out = cli(cloud, "apply", syaml)
    # THEN only the target is rewritten
    assert "update dwevents-nodechange (Endpoint; param functionName" in out
    assert [c.action for c in cloud.mutating_calls()[before:]] == ["PutTargets"]
    target = cloud.rules(BUS)["dwevents-nodechange"].targets[TARGET_ID]
    assert target["Endpoint"].endswith(":functions/dwevents-nodechange")


def test_dry_run_mutates_nothing(cloud: CloudApiStandIn, syaml: Path) -> None:
    # WHEN applying with --dry-run
    code, out = cli(cloud, "apply", syaml, "--dry-run")
    # THEN the plan is printed, and only reads reached EventBridge
    assert code == 0
    assert "3 to create" in out and "dry run: nothing changed" in out
    assert cloud.mutating_calls() == []
    assert {c.action for c in cloud.calls} <= {"ListRules", "GetRule"}


def test_undo_removes_only_the_rules_it_manages_on_both_buses(
    cloud: CloudApiStandIn, syaml: Path, tmp_path: Path
) -> None:
    # GIVEN our rules, a foreign rule, a look-alike without our marker, and a staging stack's rule
    cli(cloud, "apply", syaml)
    cloud.seed_rule(BUS, "team-alerts", filter_pattern='{"source":["acs.dataworks"]}', description="ops")
    cloud.seed_rule(
        "default",
        "dwevents-handmade",
        filter_pattern='{"source":["acs.dataworks"]}',
        description="made in the console",
    )
    staging = write_syaml(tmp_path / "staging.yaml", {"FileChange": pattern("FileChange")}, prefix="staging")
    cli(cloud, "apply", staging)
    assert "dwevents-staging-filechange" in cloud.rules(BUS)
    # WHEN undoing (the production stack, as s.yaml names it)
    code, out = cli(cloud, "undo", syaml)
    # THEN exactly our four rules are gone (targets first, then the rule), everything else survives
    assert code == 0 and "0 to create, 0 to update, 3 to delete" in out
    assert set(cloud.rules(BUS)) == {"team-alerts", "dwevents-staging-filechange"}
    assert set(cloud.rules("default")) == {"dwevents-handmade"}
    deletes = [c.action for c in cloud.mutating_calls() if c.action.startswith("Delete")]
    assert deletes == ["DeleteTargets", "DeleteRule"] * 4


@pytest.mark.parametrize(
    ("mode", "custom", "default"),
    [
        ("both", CUSTOM_RULES, {"dwevents-projectchange"}),
        ("custom", CUSTOM_RULES, set()),
        ("default", CUSTOM_RULES - {"dwevents-projectchange"}, {"dwevents-projectchange"}),
    ],
)
def test_the_tenant_bus_setting_picks_where_tenant_functions_get_rules(
    cloud: CloudApiStandIn, tmp_path: Path, mode: str, custom: set[str], default: set[str]
) -> None:
    # GIVEN s.yaml's vars.tenantBus
    syaml = write_syaml(
        tmp_path / "s.yaml",
        {c: pattern(c) for c in ("FileChange", "NodeChange", "ProjectChange")},
        extra_vars=(f"tenantBus: {mode}",),
    )
    # WHEN applying
    code, _ = cli(cloud, "apply", syaml)
    # THEN the tenant-level function's rule is where the setting says, workspace ones on the custom bus
    assert code == 0
    assert set(cloud.rules(BUS)) == custom and set(cloud.rules("default")) == default


def test_changing_the_tenant_bus_setting_prunes_the_rule_left_behind(
    cloud: CloudApiStandIn, syaml: Path
) -> None:
    # GIVEN rules on both buses
    cli(cloud, "apply", syaml)
    # WHEN the setting becomes `custom`
    _, out = cli(cloud, "apply", syaml, "--tenant-bus", "custom")
    # THEN the default-bus rule is deleted
    assert "- delete dwevents-projectchange" in out
    assert cloud.rules("default") == {} and "dwevents-projectchange" in cloud.rules(BUS)


def test_the_project_syaml_gets_13_custom_bus_rules_and_3_default_bus_ones(
    cloud: CloudApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the project's own s.yaml: patterns declared once in vars.patterns
    from dwevents.deploy.syaml import load_syaml

    declared = load_syaml(ROOT / "s.yaml", environ={})
    # WHEN applying it (success-deploy passes --account-id ${config('AccountID')}, expanded by `s`)
    code, out = cli(cloud, "apply", ROOT / "s.yaml", "--bus", BUS)
    # THEN one rule per function on the custom bus with exactly its vars.patterns declaration
    assert code == 0 and "applied 16 change(s)" in out, out
    rules = cloud.rules(BUS)
    assert len(rules) == 13
    for decl in declared.functions:
        declaration = declared.vars["patterns"][decl.category]
        assert json.loads(rules[rule_name(decl.name)].filter_pattern) == json.loads(declaration)
    assert set(cloud.rules("default")) == {
        "dwevents-project-change",
        "dwevents-resources-download",
        "dwevents-resources-upload",
    }


def test_a_same_named_rule_that_is_not_ours_is_a_conflict_left_alone(
    cloud: CloudApiStandIn, syaml: Path
) -> None:
    # GIVEN a rule with our name but without our marker (made by hand)
    cloud.seed_rule(BUS, "dwevents-filechange", filter_pattern='{"source":["x"]}', description="mine")
    # WHEN applying
    code, out = cli(cloud, "apply", syaml)
    # THEN it is reported and untouched, the other rules are created, and the exit code says so
    assert code == 1
    assert "! conflict dwevents-filechange" in out
    assert cloud.rules(BUS)["dwevents-filechange"].description == "mine"
    assert "dwevents-nodechange" in cloud.rules(BUS)


def test_a_function_removed_from_syaml_loses_its_rule(
    cloud: CloudApiStandIn, syaml: Path, tmp_path: Path
) -> None:
    # GIVEN applied rules, then NodeChange and ProjectChange dropped from s.yaml
    cli(cloud, "apply", syaml)
    smaller = write_syaml(tmp_path / "s.yaml", {"FileChange": pattern("FileChange")})
    # WHEN applying with and without pruning
    _, kept = cli(cloud, "apply", smaller, "--no-prune")
    assert "dwevents-nodechange" in cloud.rules(BUS) and "nothing to do" in kept
    _, pruned = cli(cloud, "apply", smaller)
    # THEN by default their rules are deleted, on both buses
    assert "- delete dwevents-nodechange" in pruned
    assert set(cloud.rules(BUS)) == {"dwevents-filechange"} and cloud.rules("default") == {}


def test_fc2_service_switches_to_the_documented_fc2_target_form(cloud: CloudApiStandIn, syaml: Path) -> None:
    # WHEN applying with --fc2-service
    cli(cloud, "apply", syaml, "--fc2-service", "legacy")
    # THEN the target uses the services/<svc>.<qualifier>/functions/<fn> endpoint and a serviceName param
    target = cloud.rules(BUS)["dwevents-filechange"].targets[TARGET_ID]
    assert target["Endpoint"] == (
        f"acs:fc:{REGION}:{ACCOUNT}:services/legacy.LATEST/functions/dwevents-filechange"
    )
    assert set(params_of(target)) == DOCUMENTED_FC_PARAMS | {"serviceName"}
    assert params_of(target)["serviceName"] == {
        "ResourceKey": "serviceName",
        "Form": "CONSTANT",
        "Value": "legacy",
    }


def test_a_wrong_secret_is_one_clear_line_without_a_traceback(cloud: CloudApiStandIn, syaml: Path) -> None:
    # GIVEN the deployer's secret is wrong
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "not-the-secret"}
    # WHEN the CLI runs as the s.yaml action does
    proc = subprocess.run(
        [sys.executable, "-m", "dwevents.deploy.bus", *argv(cloud, "plan", syaml)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # THEN it fails with the cloud's code and a hint, and neither the secret nor a traceback is printed
    assert proc.returncode == 2
    assert "SignatureDoesNotMatch" in proc.stderr and "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "not-the-secret" not in proc.stderr + proc.stdout
    assert cloud.mutating_calls() == []


def test_a_missing_bus_is_a_clear_error(cloud: CloudApiStandIn, syaml: Path) -> None:
    # GIVEN a bus name that does not exist
    # WHEN planning
    with pytest.raises(CloudApiError) as caught:
        cli(cloud, "plan", syaml, "--bus", "no-such-bus")
    # THEN the error names the call and the cloud's code
    assert caught.value.code == "EventBusNotExist" and caught.value.action == "ListRules"
    assert "EventBridge ListRules" in str(caught.value)


def test_missing_credentials_are_named_before_any_call(
    cloud: CloudApiStandIn, syaml: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN no keys in the environment (Serverless Devs does not pass its `access` keys to actions)
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    # WHEN the entry point runs
    code = bus.main(argv(cloud, "plan", syaml))
    # THEN it says which variables to export, and EventBridge was never called
    err = capsys.readouterr().err
    assert code == 2 and "export ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET" in err
    assert cloud.calls == []


def test_an_unknown_region_is_one_line_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str], syaml: Path
) -> None:
    code = bus.main(["plan", "--offline", "--syaml", str(syaml), "--region", "cn-hangzou"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "unknown region 'cn-hangzou' (from --region)" in err and "cn-hangzhou" in err
