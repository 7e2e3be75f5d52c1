"""dwevents.behaviour: the one per-eventCode table (title, sentence, severity, default route, metrics)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dwevents import decode_one
from dwevents.actions.routes import render
from dwevents.behaviour import BEHAVIOURS, behaviour_of, default_routes
from dwevents.catalogue import BY_CODE
from dwevents.config import load_settings
from dwevents.models.facts import facts_of

from .conftest import decode_sample, load_sample


def _changed(name: str, **data: Any) -> Any:
    doc = load_sample(name)
    doc["data"].update(data)
    return decode_one(json.dumps(doc))


@pytest.mark.parametrize("code", list(BEHAVIOURS))
def test_every_row_is_a_catalogue_event_code(code: str) -> None:
    assert code in BY_CODE and BY_CODE[code].event_code == code


def test_the_default_routes_are_the_rows_with_a_route() -> None:
    assert [(name, code) for name, code, _ in default_routes()] == [
        ("instance-failed", "instance-status-changes"),
        ("workflow-failed", "dag-status-changes"),
        ("monitoring-alert", "workbench-monitor-alert"),
        ("data-quality-threshold", "dqc-check-finished-event"),
        ("workspace-deleted", "project-deleted"),
        ("permission-request-finished", "approval-change-finished"),
    ]


@pytest.mark.parametrize(
    ("status", "severity", "title", "notifies"),
    [(5, "critical", "DataWorks instance failed", True), (6, "info", "DataWorks instance success", False)],
)
def test_given_an_instance_status_then_severity_title_and_route_follow_failed(
    status: int, severity: str, title: str, notifies: bool
) -> None:
    event = _changed("InstanceStatusChanges/instance-status-changes", status=status)
    row, facts = behaviour_of(event), facts_of(event.payload)
    assert (row.severity(facts), row.title(facts), row.notify_when(facts)) == (severity, title, notifies)


@pytest.mark.parametrize(
    ("check_result", "severity", "notifies"),
    [(2, "critical", True), (1, "warning", True), (0, "warning", False), (-1, "warning", False)],
    ids=["critical", "warning", "passed", "exception"],
)
def test_given_a_quality_check_then_the_threshold_decides_severity_and_route(
    check_result: int, severity: str, notifies: bool
) -> None:
    event = _changed("DqcCheck/dqc-check-finished-event", checkResult=check_result)
    row, facts = behaviour_of(event), facts_of(event.payload)
    assert (row.severity(facts), row.notify_when(facts)) == (severity, notifies)


def test_given_an_event_without_a_row_then_the_catalogue_title_and_facts_read_it() -> None:
    # GIVEN a file deployment (no row of its own) WHEN rendered
    message = render(decode_sample("FileChange/deploy-file"))
    # THEN the default sentence: catalogue title, workspace and operator from the facts
    assert message.title == "DataWorks: File deployment (pre-event)"
    assert message.text == "DataWorks: File deployment (pre-event) in workspace 42 by 207947397706614299"
    assert message.severity == "info" and message.fields == {"workspace": "42"}


@pytest.mark.parametrize(
    ("sample", "text"),
    [
        ("MonitorAlert/workbench-monitor-alert", "Baseline sales_daily_baseline is warning in workspace 42"),
        (
            "MonitorAlert/workbench-monitor-alert.topic",
            "Event alert on topic 20001 for node 700001234 in workspace 42",
        ),
        (
            "MonitorAlert/workbench-monitor-alert.resource-group",
            "Resource group dw_sched_group alert RES_GROUP",
        ),
        (
            "MonitorAlert/workbench-monitor-alert.task-rule",
            "Rule dw_sales_daily failed fired (ERROR) for nodes 700001234, 700001235 in workspace 42",
        ),
    ],
    ids=["baseline", "topic", "resource-group", "task-rule"],
)
def test_given_each_alert_shape_then_the_sentence_names_its_subject(sample: str, text: str) -> None:
    assert render(decode_sample(sample)).text.startswith(text)


def test_given_no_default_routes_configured_then_none_are_built() -> None:
    from dwevents.actions.routes import Notifier

    settings = load_settings(environ={})
    config = settings.notifications.model_copy(update={"default_routes": False})
    assert Notifier(config).routes == []
