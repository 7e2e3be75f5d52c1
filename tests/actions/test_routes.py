"""Notification routes and texts, and the whole path from a DataWorks event to a signed webhook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dwevents import decode_one
from dwevents.actions.routes import Notifier, render
from dwevents.config import load_settings, webhook_type
from dwevents.local.webhook_receiver import WebhookReceiver
from dwevents.runtime import FunctionApp

from ..conftest import SAMPLE_ACCOUNT, load_sample


def _event(name: str, **data: Any) -> Any:
    doc = load_sample(name)
    doc["data"].update(data)
    return decode_one(json.dumps(doc))


@pytest.mark.parametrize(
    ("sample", "route", "text"),
    [
        (
            "InstanceStatusChanges/instance-status-changes",
            "instance-failed",
            "Instance 7001 of node 700001234 failed in workspace 42 after 12 min",
        ),
        ("DagStatusChanges/dag-status-changes", "workflow-failed", "failed in workspace 42"),
        ("MonitorAlert/workbench-monitor-alert", "monitoring-alert", "Baseline"),
        ("MonitorAlert/workbench-monitor-alert.task-rule", "monitoring-alert", "700001234, 700001235"),
        ("DqcCheck/dqc-check-finished-event", "data-quality-threshold", "reached critical"),
        ("ProjectChange/project-deleted", "workspace-deleted", "was deleted by"),
        (
            "ApprovalChange/approval-change-finished",
            "permission-request-finished",
            "by analyst.wang finished",
        ),
    ],
)
def test_given_a_default_route_event_then_it_matches_and_reads_well(
    sample: str, route: str, text: str
) -> None:
    notifier = Notifier(load_settings(environ={}).notifications)
    event = decode_one(json.dumps(load_sample(sample)))
    assert [r.name for r in notifier.matching(event)] == [route]
    message = render(event)
    assert text in message.text and "None" not in message.text


def test_given_a_successful_instance_then_no_default_route_matches() -> None:
    notifier = Notifier(load_settings(environ={}).notifications)
    assert (
        notifier.matching(
            decode_one(json.dumps(load_sample("InstanceStatusChanges/instance-status-changes.success")))
        )
        == []
    )


def test_given_a_passing_dq_check_then_no_notification() -> None:
    notifier = Notifier(load_settings(environ={}).notifications)
    assert notifier.matching(_event("DqcCheck/dqc-check-finished-event", checkResult=0)) == []


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://oapi.dingtalk.com/robot/send?access_token=x", "dingtalk"),
        ("https://open.feishu.cn/open-apis/bot/v2/hook/x", "feishu"),
        ("https://open.larksuite.com/open-apis/bot/v2/hook/x", "feishu"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", "wecom"),
        ("https://hooks.slack.com/services/T/B/x", "slack"),
        ("https://ops.example.com/hooks/dataworks", "webhook"),
    ],
)
def test_given_a_webhook_url_then_its_platform_is_recognised(url: str, kind: str) -> None:
    assert webhook_type(url) == kind


def test_given_a_dingtalk_channel_in_the_config_when_an_instance_fails_then_a_signed_message_arrives(
    tmp_path: Path, fc_context: Any
) -> None:
    # GIVEN a DingTalk robot with signing (the local receiver verifies the HMAC-SHA256 sign like DingTalk)
    with WebhookReceiver(dingtalk_secret="SEC-test-secret") as receiver:
        config = tmp_path / "dwevents.yaml"
        config.write_text(
            "notifications:\n"
            "  default_channels: [ops]\n"
            "  channels:\n"
            f"    ops: {{type: dingtalk, url: '{receiver.url('dingtalk')}', secret: SEC-test-secret}}\n"
        )
        app = FunctionApp(
            "InstanceStatusChanges",
            environ={"DWEVENTS_CONFIG": str(config), "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT},
        )
        # WHEN a failed instance event is handled
        result = app.process(
            json.dumps(load_sample("InstanceStatusChanges/instance-status-changes")).encode(), fc_context()
        )
        # THEN DingTalk accepted exactly one markdown message naming the instance
        [notify] = [a for a in result.events[0].actions if a["action"] == "notify"]
        assert notify["ok"] is True and notify["channel"] == "ops"
        [message] = receiver.received
        assert message.channel == "dingtalk" and "Instance 7001" in json.dumps(
            message.payload, ensure_ascii=False
        )


def test_given_a_wrong_signing_secret_then_the_event_is_retried_not_reported_sent(fc_context: Any) -> None:
    # GIVEN the one-variable set-up (DWEVENTS_WEBHOOK_URL/_SECRET) with a secret the receiver rejects
    with WebhookReceiver(webhook_secret="right-secret") as receiver:
        app = FunctionApp(
            "DagStatusChanges",
            environ={
                "DWEVENTS_WEBHOOK_URL": receiver.url("webhook"),
                "DWEVENTS_WEBHOOK_SECRET": "wrong-secret",
                "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
            },
        )
        # WHEN a failed workflow is handled
        [result] = app.process(
            json.dumps(load_sample("DagStatusChanges/dag-status-changes")).encode(), fc_context()
        ).events
        # THEN nothing was accepted, the delivery is a transient failure and EventBridge will retry
        assert receiver.received == []
        assert result.outcome == "failed" and result.retry is True
        assert "not delivered" in (result.error or "")


def test_given_routes_for_several_types_then_each_event_matches_the_same_routes_every_time() -> None:
    """GIVEN the default routes (one per type) and events of several types in turn, WHEN matched twice
    (the second time from the per-type index), THEN each gets exactly the routes that name its type,
    in order, and a route's own test (failed or not) still decides."""
    notifier = Notifier(load_settings(environ={}).notifications)
    failed = _event("InstanceStatusChanges/instance-status-changes")
    fine = _event("InstanceStatusChanges/instance-status-changes", status="SUCCESS")
    workflow = decode_one(json.dumps(load_sample("DagStatusChanges/dag-status-changes")))
    deleted = decode_one(json.dumps(load_sample("ProjectChange/project-deleted")))
    expected = {
        id(failed): [r for r in notifier.routes if r.matches(failed)],
        id(fine): [],
        id(workflow): [r for r in notifier.routes if r.matches(workflow)],
        id(deleted): [r for r in notifier.routes if r.matches(deleted)],
    }
    for _ in range(2):
        for event in (failed, fine, workflow, deleted):
            assert notifier.matching(event) == expected[id(event)]
    assert [r.name for r in expected[id(failed)]] == ["instance-failed"]
