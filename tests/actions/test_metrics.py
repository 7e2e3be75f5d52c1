"""dwevents.actions.metrics: metric lines of instance and workflow status changes, from the facts."""

from __future__ import annotations

import logging

import pytest

from dwevents.actions.metrics import emit, metric_lines

from ..conftest import decode_sample


def test_given_an_instance_status_change_then_a_count_and_one_duration_per_phase() -> None:
    lines = metric_lines(decode_sample("InstanceStatusChanges/instance-status-changes"))
    assert [(line["metric"], line.get("phase"), line["value"]) for line in lines] == [
        ("dataworks.instance.status", None, 1),
        ("dataworks.instance.duration", "waiting_for_time", 1670.0),
        ("dataworks.instance.duration", "waiting_for_resources", 41.0),
        ("dataworks.instance.duration", "running", 732.0),
    ]
    assert {
        (line["workspace_id"], line["node_id"], line["instance_id"], line["status"]) for line in lines
    } == {(42, 700001234, 7001, "FAILED")}


def test_given_a_workflow_status_change_then_one_count_with_its_dimensions() -> None:
    [line] = metric_lines(decode_sample("DagStatusChanges/dag-status-changes"))
    assert line == {
        "metric": "dataworks.workflow.status",
        "value": 1,
        "unit": "count",
        "workspace_id": 42,
        "dag_id": 3002,
        "dag_name": "P_dw_sales_daily_20240602_101500",
        "status": "FAILED",
        "dag_type": "BACKFILL",
    }


@pytest.mark.parametrize("sample", ["FileChange/commit-file", "ProjectChange/project-deleted"])
def test_given_an_event_without_status_metrics_then_no_lines(sample: str) -> None:
    assert metric_lines(decode_sample(sample)) == []


def test_emit_logs_one_structured_record_per_line(caplog: pytest.LogCaptureFixture) -> None:
    lines = metric_lines(decode_sample("DagStatusChanges/dag-status-changes"))
    with caplog.at_level(logging.INFO, logger="dwevents.metrics"):
        emit(lines)
    assert [r.metric_line for r in caplog.records] == lines  # type: ignore[attr-defined]


def test_given_a_metric_set_then_its_lines_carry_every_shared_dimension_once_each() -> None:
    """GIVEN an instance status change, WHEN its metrics are read as a set, THEN the dimensions are
    written once and the lines are the values with them (what the audit record and emit() show)."""
    from dwevents.actions.metrics import metric_set

    found = metric_set(decode_sample("InstanceStatusChanges/instance-status-changes"))
    assert found is not None
    assert found.dims == {
        "workspace_id": 42, "node_id": 700001234, "instance_id": 7001, "status": "FAILED",
        "dag_type": "SCHEDULED",
    }  # fmt: skip
    assert set(found.values[0]) == {"metric", "value", "unit"}
    assert found.lines() == metric_lines(decode_sample("InstanceStatusChanges/instance-status-changes"))
    assert metric_set(decode_sample("FileChange/commit-file")) is None
