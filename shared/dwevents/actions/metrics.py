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

from dwevents.behaviour import MetricLine, MetricSet, behaviour_of
from dwevents.envelope import DataWorksEvent
from dwevents.models.facts import facts_of

logger = logging.getLogger("dwevents.metrics")


def metric_set(event: DataWorksEvent) -> MetricSet | None:
    """The event's metric values and shared dimensions (None for events that carry no status)."""
    metrics = behaviour_of(event).metrics
    return metrics(facts_of(event.payload)) if metrics is not None else None


def metric_lines(event: DataWorksEvent) -> list[MetricLine]:
    """The metric records for one event, one per value (empty for events that carry no status)."""
    found = metric_set(event)
    return found.lines() if found is not None else []


def emit(lines: list[MetricLine]) -> None:
    for line in lines:
        logger.info("metric %s=%s", line["metric"], line["value"], extra={"metric_line": line})
