"""Metric lines from instance and workflow status changes, in a shape SLS can chart.

Each line is a structured log record on the ``dwevents.metrics`` logger with ``metric``, ``value``,
``unit`` and dimensions (workspace, node, status, dag type). Which events yield lines, and their values,
is the behaviour table's (:mod:`dwevents.behaviour`): durations come from the event's facts (waiting for
time, waiting for resources, running); outcome counts are 1 per event.
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


def emit(lines: list[MetricLine]) -> None:
    for line in lines:
        logger.info("metric %s=%s", line["metric"], line["value"], extra={"metric_line": line})
