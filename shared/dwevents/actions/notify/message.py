"""What a notification says, and what became of it: the values routing hands to the channels.

Routing (:mod:`dwevents.actions.routes`) decides *what* to say — a :class:`Notification` with a title,
a sentence, a severity, the key facts and an optional link; each channel decides how that looks on its
platform, with the shared pieces below (headline, footer, truncation) so every platform reads alike.
A channel answers with a :class:`SendResult`, which is what the event's action report shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, get_args

from dwevents.behaviour import Severity

__all__ = [
    "SEVERITIES",
    "Notification",
    "SendResult",
    "Severity",
    "footer",
    "headline",
    "truncate",
    "truncate_bytes",
]

SEVERITIES: tuple[str, ...] = get_args(Severity)

#: How each severity is labelled and marked in a message (the label is also what keyword filters see).
LABEL = {"info": "INFO", "warning": "WARNING", "critical": "CRITICAL"}
ICON = {"info": "🔵", "warning": "🟠", "critical": "🔴"}


@dataclass(frozen=True)
class Notification:
    """What to say; channels decide how it looks on their platform."""

    title: str
    text: str
    severity: Severity
    event_type: str | None
    message_id: str
    #: Key facts (workspace, node, owner, …) shown as a list or a grid below the sentence.
    fields: Mapping[str, str] = field(default_factory=dict)
    #: Where to look in the console; rendered as a button or link.
    link: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {self.severity!r}")


@dataclass(frozen=True)
class SendResult:
    """The outcome of one channel's ``send``: ``ok`` only when the platform accepted the message.

    ``error`` is already scrubbed of the channel's secrets, so the report may be logged and stored.
    """

    channel: str
    kind: str
    ok: bool
    attempts: int
    status: int | None
    error: str | None
    sent_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "kind": self.kind, "ok": self.ok, "attempts": self.attempts,
                "status": self.status, "error": self.error,
                "sent_at": self.sent_at.isoformat() if self.sent_at else None}


def headline(n: Notification) -> str:
    """``[CRITICAL] title`` — the label first, so a chat preview shows how bad it is."""
    return f"[{LABEL[n.severity]}] {n.title}"


def footer(n: Notification) -> str:
    """The event type and message id, so a reader can find the event in the logs."""
    parts = [f"event: {n.event_type}"] if n.event_type else []
    return " · ".join([*parts, f"id: {n.message_id}"])


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, an ellipsis marking the cut (platforms reject longer fields)."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def truncate_bytes(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes (WeCom counts bytes), never splitting a character."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - len("…".encode())].decode("utf-8", "ignore") + "…"
