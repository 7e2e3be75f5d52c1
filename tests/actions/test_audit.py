"""dwevents.actions.audit: one record per event from the event's facts, the same values the policy,
the notification and the metrics read."""

from __future__ import annotations

import json
from pathlib import Path

from dwevents.actions.audit import AuditSink, audit_record
from dwevents.actions.metrics import metric_lines
from dwevents.actions.routes import render
from dwevents.models.facts import facts_of
from dwevents.policy.checks import SUBJECTS

from ..conftest import decode_sample


def test_given_a_failed_instance_then_the_record_names_workspace_node_instance_and_status() -> None:
    record = audit_record(
        decode_sample("InstanceStatusChanges/instance-status-changes"), function="fn", outcome="processed"
    )
    assert {
        k: record[k] for k in ("event_code", "workspace_id", "node", "instance", "status", "outcome")
    } == {
        "event_code": "instance-status-changes",
        "workspace_id": 42,
        "node": 700001234,
        "instance": 7001,
        "status": "FAILED",
        "outcome": "processed",
    }
    assert "who" not in record  # the payload names no operator: absent keys are left out, never null


def test_given_a_batch_operation_then_node_and_instance_are_lists() -> None:
    assert audit_record(decode_sample("NodeChange/freeze-node"), function=None, outcome="processed")[
        "node"
    ] == [
        700001234,
        700001235,
    ]
    record = audit_record(decode_sample("InstanceChange/kill-instance"), function=None, outcome="processed")
    assert record["instance"] == [7001] and record["who"] == "207712345678901234"


def test_given_an_event_then_audit_policy_notification_and_metrics_agree_on_the_workspace() -> None:
    # GIVEN the instance sample (workspace in appId, not projectId: the field lists used to disagree)
    event = decode_sample("InstanceStatusChanges/instance-status-changes")
    # WHEN each reader takes the workspace
    audit = audit_record(event, function=None, outcome="processed")["workspace_id"]
    policy = SUBJECTS["workspace"](facts_of(event.payload))
    notification = render(event).fields["workspace"]
    metric = {line["workspace_id"] for line in metric_lines(event)}
    # THEN they all read the same one
    assert (audit, policy, notification, metric) == (42, ["42"], "42", {42})


def test_given_a_file_sink_then_records_are_appended_as_json_lines(tmp_path: Path) -> None:
    sink = AuditSink(log=False, file=str(tmp_path / "audit" / "audit.jsonl"))
    record = audit_record(decode_sample("FileChange/deploy-file"), function="fn", outcome="processed")
    sink.write(record)
    sink.write(record)
    lines = (tmp_path / "audit" / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["file"] for line in lines] == ["ods_orders_di", "ods_orders_di"]
