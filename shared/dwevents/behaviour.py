"""What each event type does besides being decoded, in ONE table keyed by eventCode, beside the catalogue.

A row says how the event reads to a person (title, one sentence, severity), whether it notifies by default
(the route's name and which events of that type it takes) and which metric lines it yields. Every entry is
a function of :class:`~dwevents.models.facts.Facts`, never of payload field names, so the audit record,
the notification text, the metrics and the policy subjects cannot disagree about where the workspace or
the status is.

An eventCode without a row reads as "DataWorks: <catalogue title> in workspace <id> by <operator>",
notifies nobody by default and yields no metric. Adding an event type: one catalogue row
(:mod:`dwevents.catalogue`), one model with its facts (:mod:`dwevents.models.facts`), one sample under
``events/``, and a row here only if it needs more than the default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from dwevents.models.facts import Facts, label, plain

if TYPE_CHECKING:
    from dwevents.envelope import DataWorksEvent

__all__ = ["BEHAVIOURS", "Behaviour", "MetricLine", "MetricSet", "Severity", "behaviour_of", "default_routes"]

#: How urgent a notification is (what channels show as colour or prefix).
Severity = Literal["info", "warning", "critical"]
#: One metric line: ``metric``, ``value``, ``unit`` and dimensions (what SLS charts).
MetricLine = dict[str, Any]


@dataclass(frozen=True)
class MetricSet:
    """One event's metric values and the dimensions they all share, each written once.

    Why this shape: the audit record carries it as is (``metric_dims``, ``metrics``: one log line per
    event), and :meth:`lines` gives the one-line-per-value form only where it is logged that way."""

    dims: dict[str, Any]
    #: Per value: ``metric``, ``value``, ``unit`` (and ``phase`` for durations).
    values: list[dict[str, Any]]

    def lines(self) -> list[MetricLine]:
        return [{**value, **self.dims} for value in self.values]


def _always(_: Facts) -> bool:
    return True


def _info(_: Facts) -> Severity:
    return "info"


@dataclass(frozen=True)
class Behaviour:
    """How one event type reads and acts (see the module docstring)."""

    title: Callable[[Facts], str]
    sentence: Callable[[Facts], str]
    severity: Callable[[Facts], Severity] = _info
    #: Name of the default notification route for this type; None: no default route.
    route: str | None = None
    #: Which events of this type the default route takes.
    notify_when: Callable[[Facts], bool] = _always
    metrics: Callable[[Facts], MetricSet] | None = None


# --------------------------------------------------------------------------------------------
# Wording helpers
# --------------------------------------------------------------------------------------------


def _verb(f: Facts) -> str:
    """``failed``, ``success``, ``wait resource`` … from the status enum's name."""
    status = label(f.status)
    return status.lower().replace("_", " ") if status is not None else "changed status"


def _took(delta: timedelta | None) -> str | None:
    if delta is None:
        return None
    minutes = delta.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{delta.total_seconds():.0f} s"


def _critical_if_failed(f: Facts) -> Severity:
    return "critical" if f.failed else "info"


def _failed(f: Facts) -> bool:
    return f.failed


def _seconds(delta: timedelta | None) -> float | None:
    return round(delta.total_seconds(), 3) if delta is not None else None


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


def _instance_sentence(f: Facts) -> str:
    took = _took(f.run_time)
    node = f.node_name or f.node_id
    text = f"Instance {f.instance_id} of node {node} {_verb(f)} in workspace {f.workspace_id}"
    return text + (f" after {took}" if took else "")


#: Metric phase name → the Facts duration that measures it.
_PHASES = (
    ("waiting_for_time", "wait_time"),
    ("waiting_for_resources", "resource_wait"),
    ("running", "run_time"),
)


def _instance_metrics(f: Facts) -> MetricSet:
    dims = {
        "workspace_id": f.workspace_id,
        "node_id": f.node_id,
        "instance_id": f.instance_id,
        "status": plain(f.status),
        "dag_type": plain(f.dag_type),
    }
    values: list[dict[str, Any]] = [{"metric": "dataworks.instance.status", "value": 1, "unit": "count"}]
    for phase, fact in _PHASES:
        seconds = _seconds(getattr(f, fact))
        if seconds is not None:
            values.append(
                {"metric": "dataworks.instance.duration", "phase": phase, "value": seconds, "unit": "s"}
            )
    return MetricSet(dims, values)


def _workflow_sentence(f: Facts) -> str:
    name, flow = f.workflow_name or f.workflow_id, f.flow_name
    shown = f"{name} ({flow})" if flow and flow != name else f"{name}"
    return f"Workflow {shown} {_verb(f)} in workspace {f.workspace_id}, business date {f.business_date}"


def _workflow_metrics(f: Facts) -> MetricSet:
    dims = {
        "workspace_id": f.workspace_id,
        "dag_id": f.workflow_id,
        "dag_name": f.workflow_name,
        "status": plain(f.status),
        "dag_type": plain(f.dag_type),
    }
    return MetricSet(dims, [{"metric": "dataworks.workflow.status", "value": 1, "unit": "count"}])


def _alert_sentence(f: Facts) -> str:
    ws, status = f.workspace_id, label(f.status)
    if f.subject == "baseline":
        return f"Baseline {f.name or f.object_id} is {(status or 'none').lower()} in workspace {ws}"
    if f.subject == "resource group":
        return f"Resource group {f.name} alert {status} in workspace {ws}"
    if f.subject == "rule":
        nodes = label(f.node_ids)
        return f"Rule {f.name or f.object_id} fired ({status}) for nodes {nodes} in workspace {ws}"
    if f.subject == "topic":
        return f"Event alert on topic {f.object_id} for node {f.node_id} in workspace {ws}"
    return f"Monitoring alert ({label(f.alarm) or 'alert'}) in workspace {ws}"


def _quality_sentence(f: Facts) -> str:
    level = (label(f.status) or "none").lower().replace("_", " ")
    table = f.tables[0] if f.tables else None
    return (
        f"Data quality rule {f.name or f.object_id} on {table} [{f.scope}] reached {level} ({f.measure}) "
        f"in workspace {f.workspace_id}"
    )


def _approval_sentence(f: Facts) -> str:
    status = label(f.status)
    what = f" {f.name or f.object_id}" if (f.name or f.object_id) else ""
    text = (
        f"Permission request{what} by {f.operator or 'someone'} finished{f' ({status})' if status else ''} "
        f"in workspace {f.workspace_id}"
    )
    if f.decided_by:
        text += f"; decided by {f.decided_by}"
    if f.comment:
        text += f": {f.comment}"
    return text


BEHAVIOURS: dict[str, Behaviour] = {
    "instance-status-changes": Behaviour(
        title=lambda f: f"DataWorks instance {_verb(f)}",
        sentence=_instance_sentence,
        severity=_critical_if_failed,
        route="instance-failed",
        notify_when=_failed,
        metrics=_instance_metrics,
    ),
    "dag-status-changes": Behaviour(
        title=lambda f: f"DataWorks workflow {_verb(f)}",
        sentence=_workflow_sentence,
        severity=_critical_if_failed,
        route="workflow-failed",
        notify_when=_failed,
        metrics=_workflow_metrics,
    ),
    "workbench-monitor-alert": Behaviour(
        title=lambda f: f"DataWorks monitoring alert ({label(f.alarm) or 'alert'})",
        sentence=_alert_sentence,
        severity=lambda f: "warning",
        route="monitoring-alert",
    ),
    "dqc-check-finished-event": Behaviour(
        title=lambda f: "DataWorks data quality check",
        sentence=_quality_sentence,
        severity=lambda f: "critical" if f.threshold == "critical" else "warning",
        route="data-quality-threshold",
        notify_when=lambda f: f.threshold is not None,
    ),
    "project-deleted": Behaviour(
        title=lambda f: "DataWorks workspace deleted",
        sentence=lambda f: (
            f"Workspace {f.workspace_name or f.workspace_id} ({f.workspace_id}) was deleted by {f.operator}"
        ),
        severity=lambda f: "warning",
        route="workspace-deleted",
    ),
    "approval-change-finished": Behaviour(
        title=lambda f: "DataWorks permission request finished",
        sentence=_approval_sentence,
        route="permission-request-finished",
    ),
}


@lru_cache(maxsize=128)
def _default(title: str) -> Behaviour:
    return Behaviour(
        title=lambda f: title,
        sentence=lambda f: f"{title} in workspace {f.workspace_id} by {f.operator}",
    )


def behaviour_of(event: DataWorksEvent) -> Behaviour:
    """The row of the event's type (by its catalogue eventCode), or the default reading."""
    code = event.spec.event_code if event.spec is not None else event.event_code
    found = BEHAVIOURS.get(code or "")
    if found is not None:
        return found
    return _default(f"DataWorks: {event.spec.title if event.spec else event.type}")


def default_routes() -> list[tuple[str, str, Callable[[Facts], bool]]]:
    """(route name, eventCode, which events it takes) of every row with a default route."""
    return [(row.route, code, row.notify_when) for code, row in BEHAVIOURS.items() if row.route is not None]
