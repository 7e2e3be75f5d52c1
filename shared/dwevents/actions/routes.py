"""Which events notify whom, and what the message says.

Routes pair events (eventCodes) and an optional EventBridge pattern (the same language as the
EventBridge rules, :mod:`dwevents.pattern`) with channels. The default routes are the ones a data-platform
team expects on day one; they, and every message's title, sentence and severity, come from the behaviour
table (:mod:`dwevents.behaviour`), which reads the event's facts (:mod:`dwevents.models.facts`). With no
channel configured they go to the console, so nothing is silently dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dwevents.actions.notify import Channel, ConsoleChannel, Delivery, Notification, Severity, build_channel
from dwevents.behaviour import behaviour_of, default_routes
from dwevents.catalogue import lookup
from dwevents.config import NotificationsConfig
from dwevents.envelope import DataWorksEvent
from dwevents.errors import ConfigError
from dwevents.models.facts import Facts, facts_of
from dwevents.pattern import EventPattern, compile_pattern

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    name: str
    events: frozenset[str]
    pattern: EventPattern | None
    channels: tuple[str, ...]
    severity: Severity | None = None
    #: A default route's test on the event's facts (the behaviour table's ``notify_when``).
    takes: Callable[[Facts], bool] | None = None

    def matches(self, event: DataWorksEvent) -> bool:
        code = event.spec.event_code if event.spec is not None else event.event_code
        if code not in self.events and event.type not in self.events:
            return False
        if self.takes is not None and not self.takes(facts_of(event.payload)):
            return False
        return self.pattern is None or self.pattern.matches(event.as_cloudevent())


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


def render(event: DataWorksEvent) -> Notification:
    """A readable title and sentence for the event, with the key facts as fields."""
    facts = facts_of(event.payload)
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
