"""Which events notify whom, and what the message says.

Routes pair events (eventCodes) and an optional EventBridge pattern (the same matcher as the local
router) with channels. The default routes are the ones a data-platform team expects on day one; with
no channel configured they go to the console, so nothing is silently dropped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

from dwevents.actions.notify import Channel, ConsoleChannel, Delivery, Notification, Severity, build_channel
from dwevents.catalogue import lookup
from dwevents.config import NotificationsConfig
from dwevents.envelope import DataWorksEvent
from dwevents.errors import ConfigError
from dwevents.local.pattern import EventPattern, compile_pattern
from dwevents.models.base import field_value

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    name: str
    events: frozenset[str]
    pattern: EventPattern | None
    channels: tuple[str, ...]
    severity: Severity | None = None

    def matches(self, event: DataWorksEvent) -> bool:
        code = event.spec.event_code if event.spec is not None else event.event_code
        if code not in self.events and event.type not in self.events:
            return False
        return self.pattern is None or self.pattern.matches(event.as_cloudevent())


#: (name, eventCodes, pattern) of the routes every team wants.
DEFAULT_ROUTES: tuple[tuple[str, tuple[str, ...], dict[str, Any] | None], ...] = (
    ("instance-failed", ("instance-status-changes",), {"data": {"status": [5]}}),
    ("workflow-failed", ("dag-status-changes",), {"data": {"status": [5]}}),
    ("monitoring-alert", ("workbench-monitor-alert",), None),
    ("data-quality-threshold", ("dqc-check-finished-event",), {"data": {"checkResult": [1, 2]}}),
    ("workspace-deleted", ("project-deleted",), None),
    ("permission-request-finished", ("approval-change-finished",), None),
)


class Notifier:
    """Builds channels and routes once (cold start); sends each matching event to its channels."""

    def __init__(self, config: NotificationsConfig) -> None:
        self.config = config
        self.channels: dict[str, Channel] = {}
        for name, spec in config.channels.items():
            try:
                self.channels[name] = build_channel(name, spec)
            except ConfigError as exc:  # build_channel names "channels.<name>.<key>"; anchor it in the file
                key = f"notifications.{exc.key}" if exc.key else f"notifications.channels.{name}"
                raise ConfigError(exc.detail, key=key) from None
        fallback = tuple(config.default_channels) or ("console",)
        if "console" in fallback and "console" not in self.channels:
            self.channels["console"] = ConsoleChannel("console")
        self.routes: list[Route] = []
        if config.default_routes:
            for name, default_codes, default_when in DEFAULT_ROUTES:
                compiled = compile_pattern(default_when) if default_when else None
                self.routes.append(Route(name, frozenset(default_codes), compiled, fallback))
        for i, route in enumerate(config.routes):
            codes: set[str] = set()
            for wanted in route.events:
                found = lookup(wanted if ":" in wanted else None, wanted)
                codes.add(found.event_code if found else wanted)
            try:
                when = compile_pattern(route.when) if route.when else None
            except ConfigError as exc:
                raise ConfigError(exc.detail, key=f"notifications.routes[{i}].when") from None
            targets = tuple(route.channels) or fallback
            for name in targets:
                if name == "console" and name not in self.channels:
                    self.channels[name] = ConsoleChannel(name)
            self.routes.append(Route(route.name, frozenset(codes), when, targets, route.severity))

    def matching(self, event: DataWorksEvent) -> list[Route]:
        return [route for route in self.routes if route.matches(event)]

    def notify(self, event: DataWorksEvent, *, deadline: float) -> list[dict[str, Any]]:
        """Send to every channel of every matching route (each channel once). Returns delivery reports."""
        routes = self.matching(event)
        if not routes:
            return []
        message = render(event)
        sent: dict[str, dict[str, Any]] = {}
        cap = time.monotonic() + self.config.max_delivery_seconds
        for route in routes:
            note = message if route.severity is None else _with_severity(message, route.severity)
            for name in route.channels:
                if name in sent:
                    continue
                delivery: Delivery = self.channels[name].send(note, deadline=min(deadline, cap))
                report = delivery.as_dict()
                report.update({"route": route.name, "title": note.title, "text": note.text})
                sent[name] = report
        return list(sent.values())


def _with_severity(n: Notification, severity: Severity) -> Notification:
    return Notification(
        title=n.title,
        text=n.text,
        severity=severity,
        event_type=n.event_type,
        message_id=n.message_id,
        fields=n.fields,
        link=n.link,
    )


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


def _v(payload: Any, *names: str) -> Any:
    for name in names:
        value = field_value(payload, name)
        if value not in (None, "", []):
            if isinstance(value, list):
                return ", ".join(str(v.name if isinstance(v, Enum) else v) for v in value)
            return value.name if isinstance(value, Enum) else value
    return None


def _minutes(delta: Any) -> str | None:
    if not isinstance(delta, timedelta):
        return None
    minutes = delta.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{delta.total_seconds():.0f} s"


def render(event: DataWorksEvent) -> Notification:
    """A readable title and sentence for the event, with the key facts as fields."""
    p = event.payload
    code = event.event_code or ""
    ws = _v(p, "project_id", "app_id", "workspace_id")
    severity: Severity = "info"
    fields: dict[str, str] = {}
    if code == "instance-status-changes":
        status = _v(p, "status")
        node = _v(p, "node_name") or _v(p, "node_id")
        took = _minutes(field_value(p, "run_duration"))
        verb = str(status).lower().replace("_", " ") if status is not None else "changed status"
        text = f"Instance {_v(p, 'task_id')} of node {node} {verb} in workspace {ws}"
        text += f" after {took}" if took else ""
        severity = "critical" if str(status).upper() in ("FAILED", "5") else "info"
        title = f"DataWorks instance {verb}"
    elif code == "dag-status-changes":
        status = _v(p, "status")
        verb = str(status).lower().replace("_", " ") if status is not None else "changed status"
        name, flow = _v(p, "dag_name") or _v(p, "dag_id"), _v(p, "flow_name")
        label = f"{name} ({flow})" if flow and flow != name else f"{name}"
        text = f"Workflow {label} {verb} in workspace {ws}, business date {_v(p, 'biz_date')}"
        severity = "critical" if str(status).upper() in ("FAILED", "5") else "info"
        title = f"DataWorks workflow {verb}"
    elif code == "workbench-monitor-alert":
        alarm = _v(p, "alarm_type")
        if _v(p, "baseline_name") or _v(p, "baseline_id"):
            text = (
                f"Baseline {_v(p, 'baseline_name') or _v(p, 'baseline_id')} is "
                f"{str(_v(p, 'baseline_status')).lower()} in workspace {ws}"
            )
        elif _v(p, "resource_group_name", "resource_group_identifier"):
            text = (
                f"Resource group {_v(p, 'resource_group_name', 'resource_group_identifier')} alert "
                f"{_v(p, 'remind_type')} in workspace {ws}"
            )
        elif _v(p, "remind_name", "remind_id"):
            text = (
                f"Rule {_v(p, 'remind_name') or _v(p, 'remind_id')} fired ({_v(p, 'remind_type')}) for "
                f"nodes {_v(p, 'node_ids')} in workspace {ws}"
            )
        else:
            text = f"Event alert on topic {_v(p, 'topic_id')} for node {_v(p, 'node_id')} in workspace {ws}"
        severity = "warning"
        title = f"DataWorks monitoring alert ({alarm or 'alert'})"
    elif code == "dqc-check-finished-event":
        result = _v(p, "check_result")
        level = str(result).lower().replace("_", " ")
        samples = field_value(p, "sample_value") or []
        value = field_value(samples[-1], "value") if samples else None
        measured = f"{_v(p, 'method_name') or 'value'}({_v(p, 'property_name') or '*'})"
        detail = f"{measured} = {value}" if value is not None else measured
        expected = _v(p, "expect_value")
        if expected is not None:
            detail += f", threshold {_v(p, 'op') or ''} {expected}".replace("  ", " ")
        text = (
            f"Data quality rule {_v(p, 'rule_name') or _v(p, 'rule_id')} on {_v(p, 'table_name')} "
            f"[{_v(p, 'actual_expression')}] reached {level} ({detail}) in workspace {ws}"
        )
        severity = "critical" if str(result).upper().startswith("CRITICAL") or result == 2 else "warning"
        title = "DataWorks data quality check"
    elif code == "project-deleted":
        text = f"Workspace {_v(p, 'project_name') or ws} ({ws}) was deleted by {_v(p, 'operator')}"
        severity = "warning"
        title = "DataWorks workspace deleted"
    elif code == "approval-change-finished":
        process = field_value(p, "process")
        who = _v(process, "applicant_name", "applicant") if process is not None else None
        what = _v(process, "title") if process is not None else None
        status = _v(p, "status") or (_v(process, "status") if process is not None else None)
        text = (
            f"Permission request {what or _v(p, 'process_id') or ''} by {who or 'someone'} "
            f"finished{f' ({status})' if status else ''} in workspace {ws}"
        ).replace("request  by", "request by")
        if _v(p, "assignee_name"):
            text += f"; decided by {_v(p, 'assignee_name')}"
        if _v(p, "comments"):
            text += f": {_v(p, 'comments')}"
        title = "DataWorks permission request finished"
    else:
        spec = event.spec
        title = f"DataWorks: {spec.title if spec else event.type}"
        text = f"{title} in workspace {ws} by {_v(p, 'operator')}"
    if ws is not None:  # the channels add the event type and message id themselves
        fields["workspace"] = str(ws)
    return Notification(
        title=title,
        text=text,
        severity=severity,
        event_type=event.type,
        message_id=event.message_id,
        fields=fields,
    )
