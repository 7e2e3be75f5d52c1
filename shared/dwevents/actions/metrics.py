"""Metric lines from instance and workflow status changes, in a shape SLS can chart.

A metric line has ``metric``, ``value``, ``unit`` and dimensions (workspace, node, status, dag type). With
the default reaction the values ride on the event's audit record (``record.metrics``, dimensions once in
``record.metric_dims``: one log line per event); :func:`emit` logs them one line each on the
``dwevents.metrics`` logger (what ``app.default_action`` does when a registered reaction calls it).
Which events yield lines, and their values, is the behaviour table's (:mod:`dwevents.behaviour`):
durations come from the event's facts (waiting for time, waiting for resources, running); outcome counts
are 1 per event.
"""

from __future__ import annotations

import logging

from dwevents.behaviour import MetricLine, behaviour_of
from dwevents.envelope import DataWorksEvent
from dwevents.models.facts import facts_of

logger = logging.getLogger("dwevents.metrics")


def metric_lines(event: DataWorksEvent) -> list[MetricLine]:
    """The metric records for one event (empty for events that carry no status)."""
    metrics = behaviour_of(event).metrics
    return metrics(facts_of(event.payload)) if metrics is not None else []


#: The keys that make a metric value; every other key of a line is a dimension.
_VALUE_KEYS = ("metric", "phase", "value", "unit")


def on_audit_record(lines: list[MetricLine]) -> tuple[dict[str, object], list[dict[str, object]]]:
    """The lines as the audit record carries them: the dimensions shared by every line once, then per
    line its metric, phase, value, unit (and any dimension it does not share). Same information as the
    lines, written once: the audit line is the one log line of a regular event."""
    if not lines:
        return {}, []
    first = lines[0]
    shared = {
        k: v
        for k, v in first.items()
        if k not in _VALUE_KEYS and all(k in line and line[k] == v for line in lines[1:])
    }
    values = [{k: v for k, v in line.items() if k not in shared} for line in lines]
    return shared, values


def emit(lines: list[MetricLine]) -> None:
    for line in lines:
        logger.info("metric %s=%s", line["metric"], line["value"], extra={"metric_line": line})
