"""Custom-bus rules (dwevents.deploy.bus), driven through the real EventBridge SDK against the local
stand-in: every call is ACS3-signed, sent over HTTP and checked, so plan/apply/undo are tested as they
run after ``s deploy``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwevents.catalogue import Level, specs_for_category
from dwevents.deploy import bus
from dwevents.local.cloud_api import CloudApiStandIn

ROOT = Path(__file__).resolve().parents[2]
AK, SECRET = "LTAI-test-deployer", "deployer-secret"
BUS = "dw-openevent"
REGION = "cn-hangzhou"
ACCOUNT = "1234567890123456"


def pattern(category: str) -> dict[str, list[str]]:
    return {"source": ["acs.dataworks"], "type": [s.type for s in specs_for_category(category)]}


def write_syaml(path: Path, categories: dict[str, dict[str, list[str]]], *, prefix: str = "dwevents") -> Path:
    """A small Serverless Devs 3.x file shaped like the real one: one fc3 resource per category, every
    pattern declared once in ``vars.patterns``, and a trigger referring to it for tenant-level ones only."""
    lines = ["edition: 3.0.0", "name: dwevents", "vars:", f"  region: {REGION}", f"  prefix: {prefix}",
             f"  eventBus: {BUS}", "  patterns:"]
    lines += [f"    {category}: '{json.dumps(pat)}'" for category, pat in categories.items()]
    lines.append("resources:")
    for category in categories:
        lines += [f"  {category}:", "    component: fc3", "    props:", "      region: ${vars.region}",
                  f"      functionName: ${{vars.prefix}}-{category.lower()}",
                  f"      code: ./functions/{category}",
                  "      handler: index.handler", "      runtime: python3.12"]
        if bus.function_level(category) is Level.TENANT:
            lines += ["      triggers:", "        - triggerName: dataworks",
                      "          triggerType: eventbridge", "          triggerConfig:",
                      f"            eventRuleFilterPattern: ${{vars.patterns.{category}}}",
                      "            eventSourceConfig: {eventSourceType: Default}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudApiStandIn]:
    for name in ("DWEVENTS_EVENT_BUS", "DWEVENTS_REGION", "ALIBABA_CLOUD_REGION_ID", "FC_REGION",
                 "ALIBABA_CLOUD_ACCOUNT_ID", "FC_ACCOUNT_ID", "ALIBABA_CLOUD_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    with CloudApiStandIn({AK: SECRET}, account_id=ACCOUNT, region=REGION, buses=("default", BUS),
                         list_page_size=2) as stand_in:
        yield stand_in


@pytest.fixture()
def syaml(tmp_path: Path) -> Path:
    categories = ("FileChange", "NodeChange", "ProjectChange")
    return write_syaml(tmp_path / "s.yaml", {c: pattern(c) for c in categories})


def cli(cloud: CloudApiStandIn, command: str, syaml: Path | None, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    args = [command, "--account-id", ACCOUNT, "--endpoint", cloud.endpoint, "--protocol", "http", *extra]
    if syaml is not None:
        args += ["--syaml", str(syaml)]
    return bus.run(args, out=out), out.getvalue()


WORKSPACE_RULES = {"dwevents-filechange", "dwevents-nodechange"}


def test_plan_on_an_empty_bus_creates_one_rule_per_workspace_function(cloud: CloudApiStandIn,
                                                                      syaml: Path) -> None:
    # GIVEN an empty custom bus and an s.yaml with two workspace-level functions and one tenant-level one
    # WHEN planning
    code, out = cli(cloud, "plan", syaml)
    # THEN two rules are to be created, the tenant-level function is named as skipped, nothing changed
    assert code == 0
    assert "2 to create, 0 to update, 0 to delete" in out
    assert {line.split()[2] for line in out.splitlines() if line.startswith("  + create")} == WORKSPACE_RULES
    assert "dwevents-projectchange: tenant-level" in out
    assert cloud.mutating_calls() == []
    assert cloud.rules(BUS) == {}


def test_apply_creates_fc3_targets_that_carry_the_complete_event(cloud: CloudApiStandIn, syaml: Path) -> None:
    # GIVEN an empty bus
    # WHEN applying
    code, out = cli(cloud, "apply", syaml)
    # THEN each workspace function has one rule with its s.yaml pattern, our marker, and an FC target
    assert code == 0 and "applied 2 change(s)" in out
    rules = cloud.rules(BUS)
    assert set(rules) == WORKSPACE_RULES
    rule = rules["dwevents-filechange"]
    assert json.loads(rule.filter_pattern) == pattern("FileChange")
    assert bus.MARKER in rule.description and "stack=dwevents" in rule.description
    (target,) = rule.targets.values()
    assert target["Type"] == "acs.fc.function"
    assert target["Endpoint"] == f"acs:fc:{REGION}:{ACCOUNT}:functions/dwevents-filechange"
    params = {p["ResourceKey"]: p for p in target["ParamList"]}
    assert params["Body"] == {"ResourceKey": "Body", "Form": "ORIGINAL"}
    assert params["functionName"]["Value"] == "dwevents-filechange"
    assert params["Qualifier"]["Value"] == "LATEST"
    assert "serviceName" not in params
    # AND nothing went to the default bus
    assert cloud.rules("default") == {}


def test_a_second_apply_changes_nothing(cloud: CloudApiStandIn, syaml: Path) -> None:
    # GIVEN the rules applied once
    cli(cloud, "apply", syaml)
    before = len(cloud.mutating_calls())
    # WHEN planning and applying again
    plan_code, plan_out = cli(cloud, "plan", syaml)
    apply_code, apply_out = cli(cloud, "apply", syaml)
    # THEN the plan is empty and the second apply sends no mutating call
    assert plan_code == apply_code == 0
    assert "0 to create, 0 to update, 0 to delete, 2 unchanged" in plan_out
    assert "nothing to do" in apply_out
    assert len(cloud.mutating_calls()) == before


def test_changing_one_pattern_updates_exactly_that_rule(cloud: CloudApiStandIn, syaml: Path,
                                                        tmp_path: Path) -> None:
    # GIVEN applied rules, then one function's pattern narrowed in s.yaml
    cli(cloud, "apply", syaml)
    narrowed = {"source": ["acs.dataworks"], "type": ["dataworks:FileChange:CommitFile"]}
    changed = write_syaml(tmp_path / "s.yaml", {"FileChange": narrowed, "NodeChange": pattern("NodeChange"),
                                                "ProjectChange": pattern("ProjectChange")})
    before = len(cloud.mutating_calls())
    # WHEN planning and applying
    _, plan_out = cli(cloud, "plan", changed)
    _, _ = cli(cloud, "apply", changed)
    # THEN one update (the pattern), carried out with a single UpdateRule
    assert "0 to create, 1 to update, 0 to delete, 1 unchanged" in plan_out
    assert "~ update dwevents-filechange (FilterPattern)" in plan_out
    assert [c.action for c in cloud.mutating_calls()[before:]] == ["UpdateRule"]
    assert json.loads(cloud.rules(BUS)["dwevents-filechange"].filter_pattern) == narrowed


def test_a_drifted_target_is_put_back(cloud: CloudApiStandIn, syaml: Path) -> None:
    # GIVEN applied rules whose target somebody re-pointed by hand
    cli(cloud, "apply", syaml)
    cloud.seed_rule(BUS, "dwevents-nodechange", filter_pattern=json.dumps(pattern("NodeChange")),
                    description=cloud.rules(BUS)["dwevents-nodechange"].description,
                    targets={bus.TARGET_ID: {"Id": bus.TARGET_ID, "Type": "acs.fc.function",
                                             "Endpoint": "acs:fc:cn-hangzhou:1:functions/elsewhere",
                                             "ParamList": []}})
    before = len(cloud.mutating_calls())
    # WHEN applying
    _, out = cli(cloud, "apply", syaml)
    # THEN only the target is rewritten
    assert "update dwevents-nodechange (Endpoint; param functionName" in out
    assert [c.action for c in cloud.mutating_calls()[before:]] == ["PutTargets"]
    target = cloud.rules(BUS)["dwevents-nodechange"].targets[bus.TARGET_ID]
    assert target["Endpoint"].endswith(":functions/dwevents-nodechange")


def test_dry_run_mutates_nothing(cloud: CloudApiStandIn, syaml: Path) -> None:
    # GIVEN an empty bus
    # WHEN applying with --dry-run
    code, out = cli(cloud, "apply", syaml, "--dry-run")
    # THEN the plan is printed, and only reads reached EventBridge
    assert code == 0
    assert "2 to create" in out and "dry run: nothing changed" in out
    assert cloud.mutating_calls() == []
    assert {c.action for c in cloud.calls} <= {"ListRules", "GetRule"}
    assert cloud.rules(BUS) == {}


def test_undo_removes_only_the_rules_it_manages(cloud: CloudApiStandIn, syaml: Path, tmp_path: Path) -> None:
    # GIVEN our rules, a foreign rule, a look-alike without our marker, and a staging stack's rule
    cli(cloud, "apply", syaml)
    cloud.seed_rule(BUS, "team-alerts", filter_pattern='{"source":["acs.dataworks"]}', description="ops")
    cloud.seed_rule(BUS, "dwevents-handmade", filter_pattern='{"source":["acs.dataworks"]}',
                    description="made in the console")
    staging = write_syaml(tmp_path / "staging.yaml", {"FileChange": pattern("FileChange")}, prefix="staging")
    cli(cloud, "apply", staging)
    assert "dwevents-staging-filechange" in cloud.rules(BUS)
    # WHEN undoing (the production stack, as s.yaml names it)
    code, out = cli(cloud, "undo", syaml)
    # THEN exactly our two rules are gone (targets first, then the rule), everything else survives
    assert code == 0 and "0 to create, 0 to update, 2 to delete" in out
    assert set(cloud.rules(BUS)) == {"team-alerts", "dwevents-handmade", "dwevents-staging-filechange"}
    deletes = [c.action for c in cloud.mutating_calls() if c.action.startswith("Delete")]
    assert deletes == ["DeleteTargets", "DeleteRule"] * 2


def test_tenant_level_functions_get_no_custom_bus_rule(cloud: CloudApiStandIn, tmp_path: Path) -> None:
    # GIVEN only tenant-level functions (their events go to the default bus, the s.yaml trigger covers them)
    tenant = write_syaml(tmp_path / "s.yaml", {c: pattern(c) for c in
                                               ("ProjectChange", "ResourcesDownload", "ResourcesUpload")})
    # WHEN applying
    code, out = cli(cloud, "apply", tenant)
    # THEN no rule anywhere, and the output says why
    assert code == 0 and "nothing to do" in out
    assert out.count("tenant-level") == 3
    assert cloud.rules(BUS) == {} and cloud.rules("default") == {}


def test_the_project_syaml_mirrors_its_workspace_level_vars_patterns(cloud: CloudApiStandIn,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the project's own s.yaml: patterns declared once in vars.patterns, triggers only on tenant-level
    from dwevents.deploy.syaml import load_syaml

    monkeypatch.delenv("DWEVENTS_PREFIX", raising=False)
    declared = load_syaml(ROOT / "s.yaml", environ={})
    # WHEN applying it (success-deploy passes --account-id ${config('AccountID')}, expanded by `s`)
    code, out = cli(cloud, "apply", ROOT / "s.yaml", "--bus", BUS)
    # THEN one rule per workspace-level function, with exactly its vars.patterns declaration
    assert code == 0 and "applied 10 change(s)" in out, out
    rules = cloud.rules(BUS)
    for decl in declared.functions:
        name = bus.rule_name(decl.name)
        if decl.default_bus_trigger:
            assert name not in rules and f"{decl.name}: tenant-level" in out
        else:
            declaration = declared.vars["patterns"][decl.category]
            assert json.loads(rules[name].filter_pattern) == json.loads(declaration)
    assert len(rules) == 10 and cloud.rules("default") == {}


def test_a_same_named_rule_that_is_not_ours_is_a_conflict_left_alone(cloud: CloudApiStandIn,
                                                                     syaml: Path) -> None:
    # GIVEN a rule with our name but without our marker (made by hand)
    cloud.seed_rule(BUS, "dwevents-filechange", filter_pattern='{"source":["x"]}',
                    description="mine")
    # WHEN applying
    code, out = cli(cloud, "apply", syaml)
    # THEN it is reported and untouched, the other rule is created, and the exit code says so
    assert code == 1
    assert "! conflict dwevents-filechange" in out
    assert cloud.rules(BUS)["dwevents-filechange"].description == "mine"
    assert "dwevents-nodechange" in cloud.rules(BUS)


def test_a_function_removed_from_syaml_loses_its_rule(cloud: CloudApiStandIn, syaml: Path,
                                                      tmp_path: Path) -> None:
    # GIVEN applied rules, then NodeChange dropped from s.yaml
    cli(cloud, "apply", syaml)
    smaller = write_syaml(tmp_path / "s.yaml", {"FileChange": pattern("FileChange")})
    # WHEN applying with and without pruning
    _, kept = cli(cloud, "apply", smaller, "--no-prune")
    assert "dwevents-nodechange" in cloud.rules(BUS) and "nothing to do" in kept
    _, pruned = cli(cloud, "apply", smaller)
    # THEN by default its rule is deleted
    assert "- delete dwevents-nodechange" in pruned
    assert set(cloud.rules(BUS)) == {"dwevents-filechange"}


def test_fc2_service_switches_to_the_documented_fc2_target_form(cloud: CloudApiStandIn, syaml: Path) -> None:
    # WHEN applying with --fc2-service
    cli(cloud, "apply", syaml, "--fc2-service", "legacy")
    # THEN the target uses the services/<svc>.<qualifier>/functions/<fn> endpoint and a serviceName param
    target = cloud.rules(BUS)["dwevents-filechange"].targets[bus.TARGET_ID]
    assert target["Endpoint"] == (f"acs:fc:{REGION}:{ACCOUNT}:services/legacy.LATEST/functions/"
                                  "dwevents-filechange")
    assert {"ResourceKey": "serviceName", "Form": "CONSTANT", "Value": "legacy"} in target["ParamList"]


def test_a_wrong_secret_is_one_clear_line_without_a_traceback(cloud: CloudApiStandIn, syaml: Path) -> None:
    # GIVEN the deployer's secret is wrong
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "not-the-secret"}
    # WHEN the CLI runs as the s.yaml action does
    proc = subprocess.run([sys.executable, "-m", "dwevents.deploy.bus", "plan", "--syaml", str(syaml),
                           "--account-id", ACCOUNT, "--endpoint", cloud.endpoint, "--protocol", "http"],
                          env=env, capture_output=True, text=True, timeout=60)
    # THEN it fails with the cloud's code and a hint, and neither the secret nor a traceback is printed
    assert proc.returncode == 2
    assert "SignatureDoesNotMatch" in proc.stderr and "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "not-the-secret" not in proc.stderr + proc.stdout
    assert cloud.mutating_calls() == []


def test_a_missing_bus_is_a_clear_error(cloud: CloudApiStandIn, syaml: Path) -> None:
    # GIVEN a bus name that does not exist
    # WHEN planning
    with pytest.raises(bus.BusError) as caught:
        cli(cloud, "plan", syaml, "--bus", "no-such-bus")
    # THEN the error names the call and the cloud's code
    assert caught.value.code == "EventBusNotExist"
    assert "EventBridge ListRules" in str(caught.value)


def test_missing_credentials_are_named_before_any_call(cloud: CloudApiStandIn, syaml: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN no keys in the environment (Serverless Devs does not pass its `access` keys to actions)
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    # WHEN the entry point runs
    code = bus.main(["plan", "--syaml", str(syaml), "--account-id", ACCOUNT, "--endpoint", cloud.endpoint,
                     "--protocol", "http"])
    # THEN it says which variables to export, and EventBridge was never called
    err = capsys.readouterr().err
    assert code == 2 and "export ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET" in err
    assert cloud.calls == []
