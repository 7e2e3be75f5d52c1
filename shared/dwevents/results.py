"""What one invocation did, typed: per event an :class:`EventResult`, per verdict a :class:`VerdictReport`.

Why typed: the same facts are read by the handler's JSON return, the local emulator, the CLI and the
tests; dataclasses keep one spelling of every field, and :meth:`as_dict` is the only place the wire shape
(the handler's documented return value) is written. Nothing here is converted to a dict inside the
runtime; that happens at the edges.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from dwevents import jsontext
from dwevents.catalogue import ReplyApi
from dwevents.errors import TransientError
from dwevents.verdict import CheckResult, Verdict


class Outcome(str, Enum):
    """What happened to one event (the ``outcome`` wire value)."""

    #: The event ran: audit, reactions and, for an extension point, the verdict.
    PROCESSED = "processed"
    #: Already processed by an earlier delivery: nothing re-ran; a stored verdict was re-sent.
    DUPLICATE = "duplicate"
    #: Well formed but not for this function (source, account, category, delivery path).
    REFUSED = "refused"
    #: Could not be processed; ``retry`` says whether EventBridge should deliver it again.
    FAILED = "failed"
    #: No action for it (no route, or no function's rule matches in the emulator).
    UNROUTED = "unrouted"


class RetryBatchError(TransientError):
    """Raised at the end of an invocation so EventBridge retries; names the events that need it."""


@dataclass(frozen=True)
class VerdictReport:
    """The verdict an extension point got and what happened when it was sent.

    ``result``/``tip``/``rule``/``origin`` are the decision; ``api`` how it went back;
    ``acknowledged`` whether DataWorks took it (always true for ``return``: the return value answers).
    ``error`` is already scrubbed of credentials and echoed request headers (see :mod:`dwevents.logs`).
    """

    result: CheckResult
    api: ReplyApi
    tip: str = ""
    rule: str | None = None
    origin: str = "policy"
    acknowledged: bool = False
    attempts: int = 0
    sent_as: str | None = None
    sent_at: str | None = None
    request_id: str | None = None
    error: str | None = None
    error_code: str | None = None

    @property
    def verdict(self) -> Verdict:
        return Verdict(self.result, self.tip, self.rule, self.origin)

    def as_dict(self) -> dict[str, Any]:
        return {
            "result": self.result.value,
            "api": self.api.value,
            "tip": self.tip,
            "rule": self.rule,
            "origin": self.origin,
            "acknowledged": self.acknowledged,
            "attempts": self.attempts,
            "sent_as": self.sent_as,
            "sent_at": self.sent_at,
            "request_id": self.request_id,
            "error": self.error,
            "error_code": self.error_code,
        }


@dataclass
class EventResult:
    """What happened to one event (one element of the handler's ``events``)."""

    message_id: str | None
    type: str | None
    event_code: str | None
    function: str
    outcome: Outcome
    actions: list[dict[str, Any]] = field(default_factory=list)
    verdict: VerdictReport | None = None
    error: str | None = None
    retry: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "type": self.type,
            "event_code": self.event_code,
            "function": self.function,
            "outcome": self.outcome.value,
            "actions": self.actions,
            "verdict": self.verdict.as_dict() if self.verdict is not None else None,
            "error": self.error,
            "retry": self.retry,
        }

    def summary(self) -> dict[str, Any]:
        """:meth:`as_dict` as the handler returns it: the audit record and the metric values were
        already logged on the audit line, so the return says that they were, and does not repeat them
        (writing them twice cost more than the rest of a regular event's processing)."""
        out = self.as_dict()
        out["actions"] = [_summary(action) for action in self.actions]
        return out


@dataclass(frozen=True)
class DirectAnswer:
    """The ExtensionResponse an FC-direct message gets as the function's return value."""

    check_result: CheckResult
    tip: str
    message_id: str

    def as_dict(self) -> dict[str, str]:
        return {
            "checkResult": self.check_result.value,
            "checkResultTip": self.tip,
            "messageId": self.message_id,
        }


@dataclass
class InvocationResult:
    """Everything one handler call did; :meth:`handler_return` is what FC gets back."""

    request_id: str
    function: str
    events: list[EventResult]
    #: FC-direct only: DataWorks reads the verdict from the return value.
    answer: DirectAnswer | None = None

    @property
    def needs_retry(self) -> bool:
        return any(e.retry for e in self.events)

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "function": self.function,
            "events": [e.as_dict() for e in self.events],
        }

    def summary(self) -> dict[str, Any]:
        """The handler's JSON return for EventBridge deliveries: :meth:`as_dict` with every event's
        actions summarised (:meth:`EventResult.summary`)."""
        return {
            "request_id": self.request_id,
            "function": self.function,
            "events": [e.summary() for e in self.events],
        }

    def raise_for_retry(self) -> None:
        """Raise :class:`RetryBatchError` naming the events EventBridge should deliver again."""
        failed = [str(e.message_id) for e in self.events if e.retry]
        if failed:
            raise RetryBatchError(f"{len(failed)} event(s) need a retry: {', '.join(failed)}")

    def handler_return(self) -> str:
        """The JSON text FC returns, or the retry error.

        An FC-direct message always gets its ExtensionResponse: DataWorks invoked the function itself
        and reads the answer from the return value (there is no EventBridge retry to ask for), so a
        failure there was already turned into the fail-mode answer.
        """
        if self.answer is not None:
            return dumps(self.answer.as_dict())
        self.raise_for_retry()
        return dumps(self.summary())


def _summary(action: dict[str, Any]) -> dict[str, Any]:
    """One action as the handler's return shows it: the audit record and metric lines by reference."""
    kind = action.get("action")
    if kind == "audit" and "record" in action:
        return {"action": "audit", "logged": True}
    if kind == "metrics" and "lines" in action:
        return {"action": "metrics", "values": len(action["lines"]), "logged": "audit record"}
    return action


def dumps(doc: Any) -> str:
    """JSON text that can always be written out: lone surrogates (an odd event id) are escaped."""
    text = jsontext.dumps(doc)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(doc, ensure_ascii=True, default=str)
    return text
