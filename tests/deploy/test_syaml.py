"""s.yaml against the catalogue and the functions/ tree, and the reader every tool shares (load_syaml)."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dwevents.catalogue import CATALOGUE, CATEGORIES, Level, specs_for_category
from dwevents.deploy.patterns import expected_patterns
from dwevents.deploy.syaml import (
    DATAWORKS_SOURCE,
    SYamlError,
    check,
    expected_pattern,
    load_syaml,
    pattern_json,
    sync,
    sync_text,
)
from dwevents.errors import ConfigError
from dwevents.pattern import compile_pattern

ROOT = Path(__file__).resolve().parents[2]
SYAML = ROOT / "s.yaml"
FUNCTIONS = ROOT / "functions"
SECRETISH = re.compile(
    r"SECRET|TOKEN|PASSWORD|PASSWD|ACCESS_?KEY|PRIVATE|CREDENTIAL|REDIS_?URL|WEBHOOK_?URL", re.IGNORECASE
)
ENV_REF = re.compile(r"""^\$\{env\(\s*['"][A-Za-z_][A-Za-z0-9_]*['"]\s*(,\s*['"]['"]\s*)?\)\}$""")
VARS_REF = re.compile(r"^\$\{vars\.([A-Za-z0-9_]+)\}$")
TENANT = {c for c in CATEGORIES if all(s.level is Level.TENANT for s in specs_for_category(c))}


@pytest.fixture(scope="module")
def declared() -> Any:
    return load_syaml(SYAML, environ={})


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(SYAML.read_text(encoding="utf-8"))
    return doc


def cloud_event(type_: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": "1",
        "source": DATAWORKS_SOURCE,
        "type": type_,
        "data": {"eventCode": "x"},
        "aliyunaccountid": "1",
        "aliyuneventbusname": "default",
    }


# -- s.yaml ↔ catalogue ------------------------------------------------------------------------


def test_every_catalogue_type_reaches_exactly_one_function(declared: Any) -> None:
    compiled = [(decl, compile_pattern(decl.pattern)) for decl in declared.functions]
    for spec in CATALOGUE:
        hits = [decl.category for decl, pattern in compiled if pattern.matches(cloud_event(spec.type))]
        assert hits == [spec.category], f"{spec.type} reaches {hits}"


def test_vars_patterns_declare_each_function_once_as_json_naming_known_types(raw: dict[str, Any]) -> None:
    known = {spec.type for spec in CATALOGUE}
    patterns = raw["vars"]["patterns"]
    assert list(patterns) == list(CATEGORIES)  # one declaration per category, catalogue order
    for category, text in patterns.items():
        assert isinstance(text, str), f"{category}: the fc3 schema wants a JSON *string*"
        pattern = json.loads(text)
        assert set(pattern) == {"source", "type"}, category
        assert pattern["source"] == [DATAWORKS_SOURCE], category
        assert set(pattern["type"]) <= known, f"{category}: unknown {set(pattern['type']) - known}"
        assert text == pattern_json(expected_pattern(category)), f"{category}: stale; run syaml sync"
    assert patterns == expected_patterns()


def test_no_function_has_an_fc3_trigger_and_every_pattern_is_the_vars_declaration(
    raw: dict[str, Any], declared: Any
) -> None:
    # The bus tool owns every rule (custom bus, and the default bus for tenant-level functions), so the
    # documented target parameters are on all of them; an fc3 trigger would add a second default-bus rule.
    assert {"ProjectChange", "ResourcesDownload", "ResourcesUpload"} == TENANT
    for decl in declared.functions:
        assert decl.tenant_level is (decl.category in TENANT)
        assert raw["resources"][decl.resource]["props"].get("triggers") is None, decl.resource
        assert not decl.default_bus_trigger and decl.trigger_name is None
        assert decl.pattern_origin == f"vars.patterns.{decl.category}"
        assert decl.pattern == json.loads(raw["vars"]["patterns"][decl.category])


def test_check_finds_no_problem(declared: Any) -> None:
    assert check(declared) == []


def test_functions_dir_and_resources_match(declared: Any) -> None:
    dirs = {path.name for path in FUNCTIONS.iterdir() if (path / "index.py").is_file()}
    resources = {decl.category for decl in declared.functions}
    assert dirs == resources
    assert resources == set(CATEGORIES)
    assert len(declared.functions) == len(CATEGORIES) == 13
    for decl in declared.functions:
        assert decl.resource == decl.category
        assert decl.code == f"./.s/build/{decl.category}"  # the build's output, see dwevents.deploy.build


def test_handlers_and_initializers_exist(declared: Any) -> None:
    for decl in declared.functions:
        assert decl.handler == "index.handler"
        assert decl.initializer == "index.initialize"
        tree = ast.parse((FUNCTIONS / decl.category / "index.py").read_text(encoding="utf-8"))
        names = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        names |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert {"handler", "initialize"} <= names, decl.category


def test_extension_functions_get_the_code_and_time_and_no_function_an_async_config(declared: Any) -> None:
    # Retries and the dead-letter queue live on the EventBridge targets (dwevents/deploy/targets.py).
    for decl in declared.functions:
        extension = any(spec.is_extension for spec in specs_for_category(decl.category))
        assert decl.is_extension is extension
        assert decl.runtime in ("python3.10", "python3.12")
        assert decl.async_invocation is None and "asyncInvokeConfig" not in decl.props
        if extension:
            assert decl.timeout is not None and decl.timeout >= 60
            assert "DWEVENTS_EXTENSION_CODE" in decl.environment
        else:
            assert "DWEVENTS_EXTENSION_CODE" not in decl.environment
        assert decl.environment["DWEVENTS_LOG_FORMAT"] == "json"
        assert decl.memory_size is not None and 128 <= decl.memory_size <= 1024


def test_actions_build_before_and_mirror_rules_after_deploy(raw: dict[str, Any]) -> None:
    assert raw["edition"] == "3.0.0" and raw["name"] == "dwevents" and raw["access"] == "default"
    pre = [step["run"] for step in raw["actions"]["pre-deploy"]]
    post = [step["run"] for step in raw["actions"]["success-deploy"]]
    remove = [step["run"] for step in raw["actions"]["pre-remove"]]
    assert pre[0] == "python3 -m dwevents.deploy.preflight --syaml s.yaml"
    assert pre[1].startswith("python3 -m dwevents.deploy.build") and "--out .s/build" in pre[1]
    assert "python3 -m dwevents.deploy.bus apply --syaml s.yaml --account-id ${config('AccountID')}" in post
    assert remove == ["python3 -m dwevents.deploy.bus undo --syaml s.yaml"]
    for name in (
        "region",
        "eventBus",
        "tenantBus",
        "extensionCode",
        "redisUrl",
        "roleArn",
        "dlqArn",
        "allowedAccounts",
        "webhookUrl",
        "webhookSecret",
        "patterns",
    ):
        assert name in raw["vars"], name


# -- no literal secrets ------------------------------------------------------------------------


def _secret_values(node: Any, path: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if SECRETISH.search(str(key)) and not isinstance(value, (dict, list)):
                found.append((where, value))
            found.extend(_secret_values(value, where))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_secret_values(value, f"{path}[{index}]"))
    return found


def test_no_literal_secrets(raw: dict[str, Any]) -> None:
    variables = raw["vars"]
    checked = 0
    for where, value in _secret_values(raw):
        checked += 1
        text = str(value)
        ref = VARS_REF.match(text)
        if ref:  # a vars reference is fine when that var itself only comes from the environment
            text = str(variables[ref.group(1)])
        assert ENV_REF.match(text), f"{where} = {value!r}: secrets come only from ${{env('NAME')}}"
    assert checked >= 6  # the env map's secret-ish keys and the vars they use
    for var in ("redisUrl", "webhookUrl", "webhookSecret"):
        assert ENV_REF.match(variables[var]), var
    text = SYAML.read_text(encoding="utf-8")
    assert not re.search(r"LTAI[0-9A-Za-z]{12,}", text), "an AccessKey id in s.yaml"
    assert not re.search(r"rediss?://[^$'\s]*:[^$'\s@]+@", text.replace("<password>", "")), "a Redis password"
    assert not re.search(r"(?<![0-9])[0-9]{16}(?![0-9])", text), "an account id: use ${config('AccountID')}"


# -- the reader itself ---------------------------------------------------------------------------


def test_cli_check_passes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dwevents.deploy.syaml", "check", str(SYAML)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "13 functions, 0 problems" in done.stdout


def test_env_resolution_and_placeholders() -> None:
    environ = {"DWEVENTS_ROLE_ARN": "acs:ram::1:role/fc", "DWEVENTS_FAIL_MODE": "FAIL"}
    declared = load_syaml(SYAML, environ=environ)
    fn = declared.function("NodeChange")
    assert fn.props["role"] == "acs:ram::1:role/fc"
    assert fn.environment["DWEVENTS_FAIL_MODE"] == "FAIL"
    assert fn.environment["DWEVENTS_REDIS_URL"] == ""  # default ''
    assert declared.missing_env == []  # every variable has a default: `s preview` works on a fresh clone
    assert fn.name == "dwevents-node-change" and fn.python_version in ("3.10", "3.12")
    assert declared.by_name("dwevents-monitor-alert").category == "MonitorAlert"
    assert declared.vars["eventBus"]


def test_template_extend_vars_and_merge_keys(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("""
edition: 3.0.0
name: t
access: default
vars:
  region: cn-shanghai
  mem: 512
  nested: {a: {b: deep}}
  name: ${env('T_NAME', 'fallback')}
  full: ${vars.name}-x
template:
  base:
    region: ${vars.region}
    runtime: python3.10
    handler: index.handler
    vpcConfig: auto
    environmentVariables: {A: a, B: b}
    triggers: [{triggerName: old, triggerType: http}]
  anchors: &common
    memorySize: ${vars.mem}
    description: "${vars.nested.a.b} ${vars.mem} ${env('T_UNSET')} ${path('.')}"
resources:
  One:
    component: fc3
    extend: {name: base, ignore: [vpcConfig]}
    props:
      <<: *common
      functionName: ${vars.full}
      code: ./.s/build/One
      environmentVariables: {B: bb, C: 3}
      triggers:
        - triggerName: eb
          triggerType: eventbridge
          triggerConfig: {eventRuleFilterPattern: '{"source":["acs.dataworks"]}', asyncInvocationType: true}
  Other:
    component: some-other-component
    props: {}
""")
    declared = load_syaml(tmp_path / "s.yaml", environ={})
    [fn] = declared.functions
    assert fn.props["region"] == "cn-shanghai" and fn.runtime == "python3.10"
    assert "vpcConfig" not in fn.props  # extend.ignore
    assert fn.environment == {"A": "a", "B": "bb", "C": "3"}  # dicts merge, values become strings
    assert [t["triggerName"] for t in fn.triggers] == ["eb"]  # lists replace (as `s preview` does)
    assert fn.memory_size == 512 and isinstance(fn.props["memorySize"], int)  # whole reference keeps its type
    assert fn.props["description"] == "deep 512 ${env('T_UNSET')} ${path('.')}"
    assert fn.name == "fallback-x" and fn.category == "One"
    assert fn.pattern == {"source": ["acs.dataworks"]} and fn.async_invocation is True
    assert declared.missing_env == ["T_UNSET"]
    assert load_syaml(tmp_path / "s.yaml", environ={"T_NAME": "set"}).functions[0].name == "set-x"


def test_bad_files_raise_syaml_error(tmp_path: Path) -> None:
    with pytest.raises(SYamlError):
        load_syaml(tmp_path / "missing.yaml")
    (tmp_path / "s.yaml").write_text("edition: 3.0.0\nname: x\n")
    with pytest.raises(SYamlError, match="resources"):
        load_syaml(tmp_path / "s.yaml")
    (tmp_path / "s.yaml").write_text("""resources:
  A:
    component: fc3
    props:
      code: ./A
      triggers: [{triggerName: t, triggerType: eventbridge, triggerConfig: {eventRuleFilterPattern: '{'}}]
""")
    with pytest.raises(SYamlError, match="not JSON"):
        load_syaml(tmp_path / "s.yaml")
    (tmp_path / "s.yaml").write_text("""vars:
  patterns: {A: '{"source": '}
resources:
  A: {component: fc3, props: {code: ./A}}
""")
    with pytest.raises(SYamlError, match=r"vars\.patterns\.A is not JSON"):
        load_syaml(tmp_path / "s.yaml")


def test_pattern_comes_from_the_trigger_or_else_from_vars_patterns(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("""
vars:
  patterns:
    Tenant: '{"source":["acs.dataworks"],"type":["t"]}'
    Workspace: '{"source":["acs.dataworks"],"type":["w"]}'
    Inline: '{"source":["acs.dataworks"],"type":["declared"]}'
resources:
  Tenant:
    component: fc3
    props:
      code: ./.s/build/Tenant
      triggers:
        - {triggerName: oss, triggerType: oss, triggerConfig: {events: [x]}}
        - triggerName: dw
          triggerType: eventbridge
          triggerConfig:
            eventRuleFilterPattern: ${vars.patterns.Tenant}
            eventSourceConfig: {eventSourceType: Default}
  Workspace:
    component: fc3
    props: {code: ./.s/build/Workspace}
  Inline:
    component: fc3
    props:
      code: ./.s/build/Inline
      triggers:
        - triggerName: mns
          triggerType: eventbridge
          triggerConfig: {eventRuleFilterPattern: '{"x":["mns"]}', eventSourceConfig: {eventSourceType: MNS}}
        - triggerName: dw
          triggerType: eventbridge
          triggerConfig: {eventRuleFilterPattern: '{"source":["acs.dataworks"],"type":["inline"]}'}
  Nothing:
    component: fc3
    props: {code: ./.s/build/Nothing}
""")
    declared = load_syaml(tmp_path / "s.yaml", environ={})
    tenant, workspace, inline, nothing = declared.functions
    assert tenant.default_bus_trigger and tenant.trigger_name == "dw"
    assert tenant.pattern == {"source": ["acs.dataworks"], "type": ["t"]}
    assert tenant.pattern_origin == "vars.patterns.Tenant"
    assert not workspace.default_bus_trigger and workspace.trigger_name is None
    assert workspace.pattern == {"source": ["acs.dataworks"], "type": ["w"]}
    assert workspace.pattern_origin == "vars.patterns.Workspace"
    # an MNS-sourced eventbridge trigger is not a default-bus rule; the inline default-bus one wins over vars
    assert inline.trigger_name == "dw" and inline.pattern["type"] == ["inline"]
    assert inline.pattern_origin == "trigger"
    assert nothing.pattern == {} and nothing.pattern_origin is None and not nothing.default_bus_trigger


def _variant(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = SYAML.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_wants_no_fc3_trigger_on_any_function(tmp_path: Path) -> None:
    def with_trigger(category: str) -> tuple[str, str]:
        return (
            f"      code: ./.s/build/{category}\n",
            f"""      code: ./.s/build/{category}
      triggers:
        - triggerName: dataworks
          triggerType: eventbridge
          triggerConfig:
            eventSourceConfig: {{eventSourceType: Default}}
            eventRuleFilterPattern: ${{vars.patterns.{category}}}
""",
        )

    path = _variant(tmp_path, with_trigger("NodeChange"), with_trigger("ProjectChange"))
    problems = check(load_syaml(path, environ={}))
    assert len(problems) == 2, problems
    assert problems[0].startswith("NodeChange: drop fc3 eventbridge trigger 'dataworks'")
    assert "workspace-level events never reach the default bus" in problems[0]
    assert problems[1].startswith("ProjectChange: drop fc3 eventbridge trigger 'dataworks'")
    assert "the bus tool puts its default-bus rule (vars.tenantBus)" in problems[1]
    done = subprocess.run(
        [sys.executable, "-m", "dwevents.deploy.syaml", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "13 functions, 2 problems" in done.stdout


def test_syaml_errors_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_syaml(tmp_path / "missing.yaml")


def test_sync_rewrites_a_stale_pattern_keeping_the_rest(tmp_path: Path) -> None:
    original = SYAML.read_text(encoding="utf-8")
    copy = _variant(
        tmp_path,
        (
            '"dataworks:MonitorAlert:WorkbenchMonitorAlert"',
            '"dataworks:MonitorAlert:WorkbenchMonitorAlert","dataworks:MonitorAlert:Gone"',
        ),
    )
    problems = check(load_syaml(copy, environ={}))
    assert problems == [
        "vars.patterns.MonitorAlert: pattern names types not of MonitorAlert: dataworks:MonitorAlert:Gone"
    ]
    assert sync(copy) == ["MonitorAlert"]
    assert copy.read_text(encoding="utf-8") == original
    assert sync(copy) == []


def test_sync_adds_missing_entries_drops_unknown_ones_and_keeps_comments(tmp_path: Path) -> None:
    original = SYAML.read_text(encoding="utf-8")
    upload = f"    ResourcesUpload: '{expected_patterns()['ResourcesUpload']}'\n"
    comment = "    # a comment inside the block\n"
    copy = _variant(tmp_path, (upload, comment + '    Retired: \'{"source":["x"]}\'\n'))
    problems = check(load_syaml(copy, environ={}))
    assert "vars.patterns.Retired: not a catalogue category" in problems
    assert "vars.patterns.ResourcesUpload: missing" in problems
    assert sorted(sync(copy)) == ["ResourcesUpload", "Retired"]
    assert copy.read_text(encoding="utf-8") == original.replace(upload, comment + upload)
    assert check(load_syaml(copy, environ={})) == []


def test_sync_creates_the_block_when_vars_has_none(tmp_path: Path) -> None:
    text = SYAML.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    head = lines.index("  patterns:\n")
    without = "".join(lines[:head] + lines[head + 1 + len(CATEGORIES) :])
    assert "vars.patterns" in without  # the comments that explain it stay
    restored, changed = sync_text(without)
    assert changed == list(CATEGORIES)
    assert restored == text
    assert (
        "vars.patterns: missing"
        in check(
            load_syaml(
                _variant(tmp_path, ("".join(lines[head : head + 1 + len(CATEGORIES)]), "")), environ={}
            )
        )[0]
    )
    with pytest.raises(SYamlError, match="no top-level `vars:`"):
        sync_text("resources: {}\n")


def test_load_is_fast() -> None:
    import time

    started = time.perf_counter()
    for _ in range(10):
        load_syaml(SYAML, environ={})
    assert (time.perf_counter() - started) / 10 < 0.25  # the emulator loads it on every run


def test_sync_refuses_a_flow_style_patterns_mapping() -> None:
    with pytest.raises(SYamlError, match="block mapping"):
        sync_text("vars:\n  region: x\n  patterns: {NodeChange: '{}'}\nresources: {}\n")
