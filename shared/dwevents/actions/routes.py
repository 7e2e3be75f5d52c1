"""Which events notify whom, and what the message says.

Routes pair events (eventCodes) and an optional EventBridge pattern (the same language as the
EventBridge rules, :mod:`dwevents.pattern`) with channels. The default routes are the ones a data-platform
team expects on day one; they, and every message's title, sentence and severity, come from the behaviour
table (:mod:`dwevents.behaviour`), which reads the event's facts (:mod:`dwevents.models.facts`). With no
channel configured they go to the console, so nothing is silently dropped.

A route may also filter on the verdict an extension point got (``verdicts: [FAIL]``: deploys that were
blocked). A notification about a verdict says what was decided, on what, by which rule, by whom and
where: "File deployment of ods_orders_di blocked by rule no-drop-table: DROP TABLE at line 2 — by
analyst.wang in workspace 42". It carries no console link: the DataWorks documentation gives no URL form
for a node, file or instance page (searched: the API references and user guides of DataWorks), so a link
would be a guess; the message id and the workspace id let a reader find the object.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dwevents.actions.notify import Channel, ConsoleChannel, Notification, SendResult, Severity, build_channel
from dwevents.behaviour import behaviour_of, default_routes
from dwevents.catalogue import lookup
from dwevents.config import NotificationsConfig
from dwevents.envelope import DataWorksEvent
from dwevents.errors import ConfigError
from dwevents.models.facts import Facts, facts_of
from dwevents.pattern import EventPattern, compile_pattern
from dwevents.verdict import CheckResult, Verdict

logger = logging.getLogger(__name__)
#: At most this many (eventCode, type) pairs keep their routes (types from the catalogue, plus any
#: unknown type a sender invents: bounded so those cannot grow the index).
_MAX_INDEXED = 256


@dataclass(frozen=True)
class Route:
    name: str
    events: frozenset[str]
    pattern: EventPattern | None
    channels: tuple[str, ...]
    severity: Severity | None = None
    #: A default route's test on the event's facts (the behaviour table's ``notify_when``).
    takes: Callable[[Facts], bool] | None = None
    #: Only extension points that got one of these verdicts (empty: any event, verdict or not).
    verdicts: frozenset[str] = frozenset()

    def matches(self, event: DataWorksEvent, verdict: Verdict | None = None) -> bool:
        code = event.spec.event_code if event.spec is not None else event.event_code
        if code not in self.events and event.type not in self.events:
            return False
        if self.verdicts and (verdict is None or verdict.result.value not in self.verdicts):
            return False
        if self.takes is not None and not self.takes(facts_of(event.payload)):
            return False
        return self.pattern is None or self.pattern.matches(event.as_cloudevent())


class Notifier:
    """Builds channels and routes once (cold start); sends each matching event to its channels."""

    def __init__(self, config: NotificationsConfig) -> None:
        self.config = config
        self.channels: dict[str, Channel] = {}
        for name, spec in config.channels.items():  # validated when the settings were loaded
            self.channels[name] = build_channel(name, spec)
        fallback = tuple(config.default_channels) or ("console",)
        if "console" in fallback and "console" not in self.channels:
            self.channels["console"] = ConsoleChannel("console")
        self.routes: list[Route] = []
        #: Routes by (eventCode, type): most routes name other types, and a function meets few types.
        self._by_event: dict[tuple[str | None, str | None], list[Route]] = {}
        if config.default_routes:
            for name, code, takes in default_routes():
                self.routes.append(Route(name, frozenset({code}), None, fallback, takes=takes))
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
            verdicts = frozenset(route.verdicts)
            self.routes.append(
                Route(route.name, frozenset(codes), when, targets, route.severity, verdicts=verdicts)
            )

    def matching(self, event: DataWorksEvent, verdict: Verdict | None = None) -> list[Route]:
        code = event.spec.event_code if event.spec is not None else event.event_code
        key = (code, event.type)
        candidates = self._by_event.get(key)
        if candidates is None:  # the routes naming this code or type, in order: once per type met
            candidates = [r for r in self.routes if code in r.events or event.type in r.events]
            if len(self._by_event) < _MAX_INDEXED:
                self._by_event[key] = candidates
        return [route for route in candidates if route.matches(event, verdict)]

    def notify(
        self, event: DataWorksEvent, *, deadline: float, verdict: Verdict | None = None
    ) -> list[dict[str, Any]]:
        """Send to every channel of every matching route (each channel once). Returns delivery reports.

        ``verdict``: what an extension point got (routes may filter on it; the text then says it)."""
        routes = self.matching(event, verdict)
        if not routes:
            return []
        message = render(event, verdict)
        sent: dict[str, dict[str, Any]] = {}
        cap = time.monotonic() + self.config.max_delivery_seconds
        for route in routes:
            note = message if route.severity is None else _with_severity(message, route.severity)
            for name in route.channels:
                if name in sent:
                    continue
                delivery: SendResult = self.channels[name].send(note, deadline=min(deadline, cap))
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


def render(event: DataWorksEvent, verdict: Verdict | None = None) -> Notification:
    """A readable title and sentence for the event, with the key facts as fields (and, for an extension
    point's verdict, what was decided by which rule: :func:`render_verdict`)."""
    facts = facts_of(event.payload)
    if verdict is not None:
        return render_verdict(event, facts, verdict)
    behaviour = behaviour_of(event)
    fields: dict[str, str] = {}
    if facts.workspace_id is not None:  # the channels add the event type and message id themselves
        fields["workspace"] = str(facts.workspace_id)
    return Notification(
        title=behaviour.title(facts),
        text=behaviour.sentence(facts),
        severity=behaviour.severity(facts),
        event_type=event.type,
        message_id=event.message_id,
        fields=fields,
    )


#: How a verdict reads in a sentence, and how urgent it is.
_DECIDED = {CheckResult.FAIL: "blocked", CheckResult.WARN: "warned", CheckResult.OK: "allowed"}
_URGENCY: dict[CheckResult, Severity] = {
    CheckResult.FAIL: "critical",
    CheckResult.WARN: "warning",
    CheckResult.OK: "info",
}


def render_verdict(event: DataWorksEvent, facts: Facts, verdict: Verdict) -> Notification:
    """ "File deployment of ods_orders_di blocked by rule no-drop-table: DROP TABLE at line 2 — by
    analyst.wang in workspace 42": the operation (the catalogue's title), the object's name, the verdict,
    the rule and its tip, who and where; the names as fields."""
    title = event.spec.title if event.spec is not None else event.event_code or "DataWorks event"
    operation = title.replace(" (pre-event)", "")
    thing = _object_name(facts)
    decided = _DECIDED[verdict.result]
    head = f"{operation} of {thing}" if thing else operation
    why = f" by rule {verdict.rule}" if verdict.rule else ""
    tip = verdict.tip.removeprefix("WARN: ") if verdict.tip else ""
    text = f"{head} {decided}{why}" + (f": {tip}" if tip else "")
    who = f"by {facts.operator}" if facts.operator else ""
    where = _workspace(facts)
    if who or where:
        text += " — " + " ".join(p for p in (who, f"in {where}" if where else "") if p)
    fields: dict[str, str] = {"verdict": verdict.result.value}
    for key, value in (
        ("rule", verdict.rule),
        ("workspace", where),
        ("operator", facts.operator),
        ("owner", facts.owner if facts.owner != facts.operator else None),
        ("node", facts.node_name or (str(facts.node_id) if facts.node_id is not None else None)),
        ("file", facts.file_name),
        ("table", ", ".join(facts.tables) or None),
    ):
        if value:
            fields[key] = str(value)
    return Notification(
        title=f"DataWorks: {operation} {decided}" + (f": {thing}" if thing else ""),
        text=text,
        severity=_URGENCY[verdict.result],
        event_type=event.type,
        message_id=event.message_id,
        fields=fields,
    )


def _object_name(f: Facts) -> str | None:
    """The name a person knows the object by: file, node, named object, workflow, table, instance."""
    for value in (f.file_name, f.node_name, f.name, f.workflow_name, f.flow_name):
        if value:
            return str(value)
    if f.tables:
        return ", ".join(f.tables[:3]) + (f" and {len(f.tables) - 3} more" if len(f.tables) > 3 else "")
    if f.node_id is not None:
        return f"node {f.node_id}"
    if f.instance_id is not None:
        return f"instance {f.instance_id}"
    if f.node_ids:
        return f"node {f.node_ids[0]}" if len(f.node_ids) == 1 else f"{len(f.node_ids)} nodes"
    if f.instance_ids:
        count = len(f.instance_ids)
        return f"instance {f.instance_ids[0]}" if count == 1 else f"{count} instances"
    return None


def _workspace(f: Facts) -> str | None:
    if f.workspace_name and f.workspace_id is not None:
        return f"workspace {f.workspace_name} ({f.workspace_id})"
    if f.workspace_id is not None:
        return f"workspace {f.workspace_id}"
    return f"workspace {f.workspace_name}" if f.workspace_name else None
