"""Metric lines from instance and workflow status changes, in a shape SLS can chart.

Each line is a structured log record on the ``dwevents.metrics`` logger with ``metric``, ``value``,
``unit`` and dimensions (workspace, node, status, dag type). Durations come from the payload's own
timestamps (waiting for time, waiting for resources, running); outcome counts are 1 per event.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import Enum
from typing import Any

from dwevents.envelope import DataWorksEvent
from dwevents.models.base import field_value

logger = logging.getLogger("dwevents.metrics")

_PHASES = (
    ("waiting_for_time", "time_wait_duration"),
    ("waiting_for_resources", "resource_wait_duration"),
    ("running", "run_duration"),
)


def _name(value: Any) -> Any:
    return value.name if isinstance(value, Enum) else value


def _seconds(value: Any) -> float | None:
    if isinstance(value, timedelta):
        return round(value.total_seconds(), 3)
    if isinstance(value, (int, float)):
        return float(value)
    return None


def metric_lines(event: DataWorksEvent) -> list[dict[str, Any]]:
    """The metric records for one event (empty for events that carry no status)."""
    code = event.event_code
    payload = event.payload
    if code == "instance-status-changes":
        dims = {
            "workspace_id": field_value(payload, "app_id") or field_value(payload, "project_id"),
            "node_id": field_value(payload, "node_id"),
            "instance_id": field_value(payload, "task_id"),
            "status": _name(field_value(payload, "status")),
            "dag_type": _name(field_value(payload, "dag_type")),
        }
        lines = [{"metric": "dataworks.instance.status", "value": 1, "unit": "count", **dims}]
        for phase, attr in _PHASES:
            seconds = _seconds(field_value(payload, attr))
            if seconds is not None:
                lines.append(
                    {
                        "metric": "dataworks.instance.duration",
                        "phase": phase,
                        "value": seconds,
                        "unit": "s",
                        **dims,
                    }
                )
        return lines
    if code == "dag-status-changes":
        dims = {
            "workspace_id": field_value(payload, "project_id"),
            "dag_id": field_value(payload, "dag_id"),
            "dag_name": field_value(payload, "dag_name"),
            "status": _name(field_value(payload, "status")),
            "dag_type": _name(field_value(payload, "dag_type")),
        }
        return [{"metric": "dataworks.workflow.status", "value": 1, "unit": "count", **dims}]
    return []


def emit(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        logger.info("metric %s=%s", line["metric"], line["value"], extra={"metric_line": line})
