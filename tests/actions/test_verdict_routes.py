"""Notifications routed by the verdict an extension point got: the route filter, the text (what, which rule,
who, where), and the whole path to a signed DingTalk webhook when the rules block a deploy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dwevents
from dwevents import decode_one
from dwevents.actions.routes import Notifier, render
from dwevents.config import load_settings
from dwevents.errors import ConfigError
from dwevents.local.webhook_receiver import WebhookReceiver
from dwevents.runtime import FunctionApp
from dwevents.verdict import CheckResult, Verdict

from ..conftest import SAMPLE_ACCOUNT, load_sample

RULES = Path(dwevents.__file__).parent / "data" / "rules"
BLOCKED = Verdict(CheckResult.FAIL, "Destructive statement at line 2: DROP TABLE t;", "no-drop-table")


def _notifier(tmp_path: Path, routes: str) -> Notifier:
    config = tmp_path / "dwevents.yaml"
    config.write_text("notifications:\n  default_routes: false\n  routes:\n" + routes, encoding="utf-8")
    return Notifier(load_settings(environ={"DWEVENTS_CONFIG": str(config)}).notifications)


def _deploy(**data: Any) -> Any:
    doc = load_sample("FileChange/deploy-file")
    doc["data"].update(data)
    return decode_one(json.dumps(doc))


def test_given_a_route_on_fail_verdicts_then_only_blocked_events_match(tmp_path: Path) -> None:
    notifier = _notifier(tmp_path, "    - {name: blocked, events: [deploy-file], verdicts: [FAIL]}\n")
    event = _deploy()
    assert [r.name for r in notifier.matching(event, BLOCKED)] == ["blocked"]
    assert notifier.matching(event, Verdict(CheckResult.WARN, "x", "r")) == []
    assert notifier.matching(event, Verdict(CheckResult.OK)) == []
    assert notifier.matching(event) == []  # no verdict at all (e.g. not answered): no match


def test_given_a_route_without_verdicts_then_it_matches_whatever_the_verdict(tmp_path: Path) -> None:
    notifier = _notifier(tmp_path, "    - {name: deploys, events: [deploy-file]}\n")
    assert [r.name for r in notifier.matching(_deploy(), Verdict(CheckResult.OK))] == ["deploys"]


def test_given_a_blocked_deploy_then_the_text_says_what_by_which_rule_who_and_where() -> None:
    # GIVEN the deploy of ods_orders_di by analyst.wang in workspace 42, blocked by no-drop-table
    event = _deploy(fileName="ods_orders_di", operator="analyst.wang", projectId=42)
    # WHEN rendered with its verdict
    message = render(event, BLOCKED)
    # THEN one sentence carries all of it, the names are fields, and it is critical
    assert message.text == (
        "File deployment of ods_orders_di blocked by rule no-drop-table: Destructive statement at line 2: "
        "DROP TABLE t; — by analyst.wang in workspace 42"
    )
    assert message.title == "DataWorks: File deployment blocked: ods_orders_di"
    assert message.severity == "critical" and message.link is None
    assert {k: message.fields[k] for k in ("verdict", "rule", "operator", "file")} == {
        "verdict": "FAIL",
        "rule": "no-drop-table",
        "operator": "analyst.wang",
        "file": "ods_orders_di",
    }


@pytest.mark.parametrize(
    ("sample", "result", "expect"),
    [
        ("NodeChange/undeploy-node", CheckResult.WARN, "Node undeploy of "),
        ("ProjectChange/delete-project", CheckResult.OK, "Workspace deletion allowed"),
        ("ResourcesDownload/download-resources", CheckResult.FAIL, "Data download, file generation of "),
    ],
)
def test_given_other_extension_points_then_the_text_names_them_without_none(
    sample: str, result: CheckResult, expect: str
) -> None:
    message = render(decode_one(json.dumps(load_sample(sample))), Verdict(result, "why", "rule-x"))
    assert message.text.startswith(expect) and "None" not in message.text


def test_given_verdicts_on_a_regular_event_then_the_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="instance-status-changes never gets a verdict"):
        _notifier(tmp_path, "    - {name: x, events: [instance-status-changes], verdicts: [FAIL]}\n")


def test_given_an_unknown_verdict_then_the_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"notifications.routes\[0\].verdicts"):
        _notifier(tmp_path, "    - {name: x, events: [deploy-file], verdicts: [BLOCKED]}\n")


def _deploy_through_forbidden_sql(
    tmp_path: Path, standin: Any, fc_context: Any, receiver: WebhookReceiver, code: str
) -> Any:
    """Handle the deploy sample whose file holds ``code`` under the forbidden-sql rules, with a route of
    FAIL verdicts to the receiver's DingTalk robot; the event's result."""
    doc = load_sample("FileChange/deploy-file")
    standin.set_file_content(doc["id"], code)
    config = tmp_path / "dwevents.yaml"
    config.write_text(
        "notifications:\n"
        "  channels:\n"
        f"    ops: {{type: dingtalk, url: '{receiver.url('dingtalk')}', secret: SEC-test-secret}}\n"
        "  routes:\n"
        "    - {name: blocked-deploys, events: [deploy-file, commit-file], verdicts: [FAIL],\n"
        "       channels: [ops]}\n",
        encoding="utf-8",
    )
    app = FunctionApp(
        "FileChange",
        environ={
            **standin.client_env(),
            "DWEVENTS_CONFIG": str(config),
            "DWEVENTS_RULES": str(RULES / "forbidden-sql.yaml"),
            "DWEVENTS_EXTENSION_CODE": "ext-test",
            "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
        },
    )
    [result] = app.process(json.dumps(doc).encode(), fc_context()).events
    return result


def test_given_rules_that_block_a_deploy_then_dingtalk_gets_the_blocked_message(
    tmp_path: Path, standin: Any, fc_context: Any
) -> None:
    # GIVEN forbidden-sql rules, a deploy whose code drops a table, and a route of FAIL verdicts to DingTalk
    with WebhookReceiver(dingtalk_secret="SEC-test-secret") as receiver:
        # WHEN the deploy is handled
        result = _deploy_through_forbidden_sql(
            tmp_path, standin, fc_context, receiver, "SELECT 1;\nDROP TABLE ods_orders;"
        )
        # THEN DataWorks got FAIL, and DingTalk accepted one message naming the rule and the line
        assert result.verdict is not None and result.verdict.result is CheckResult.FAIL
        [notify] = [a for a in result.actions if a["action"] == "notify"]
        assert notify["ok"] is True and notify["route"] == "blocked-deploys"
        [message] = receiver.received
        text = json.dumps(message.payload, ensure_ascii=False)
        assert "blocked by rule no-drop-table" in text and "line 2" in text and "workspace 42" in text


def test_given_rules_that_pass_then_the_fail_route_sends_nothing(
    tmp_path: Path, standin: Any, fc_context: Any
) -> None:
    with WebhookReceiver(dingtalk_secret="SEC-test-secret") as receiver:
        result = _deploy_through_forbidden_sql(tmp_path, standin, fc_context, receiver, "SELECT 1;")
        assert result.verdict is not None and result.verdict.result is CheckResult.OK
        assert receiver.received == []
