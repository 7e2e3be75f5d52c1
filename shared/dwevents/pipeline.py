"""One event through the stages: id → trust → idempotency → verdict → record → audit and reactions.

The promise, stage by stage (the README's failure contract):

* **an extension point gets exactly one verdict per delivery**, whatever fails before the decision: a
  broken config or rules file, an unreadable payload (when its id and type can be read), a decider
  that raises or returns nonsense, an unreachable idempotency store (then at-least-once: the verdict is
  decided and sent anyway). The verdict is recorded the moment it is sent, before audit, metrics or
  notifications run, so a retry re-sends the recorded verdict and never decides again;
* **permanent** problems (undecodable input, an event refused as not ours, an id that can never be
  answered) are logged, dead-lettered and not retried;
* **transient** problems (a notification not delivered, Redis unavailable for a regular event, another
  invocation holding the event, a verdict DataWorks did not acknowledge, an unexpected exception) mark
  the event for retry; the invocation raises the retry error after every other event is done;
* one event's failure, in any stage, never stops the other events of its batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dwevents import jsontext, logs
from dwevents.actions.audit import AuditSink, audit_record
from dwevents.actions.metrics import metric_set
from dwevents.catalogue import BY_TYPE, Kind, lookup
from dwevents.config import Settings
from dwevents.context import Invocation
from dwevents.deadletter import DeadLetterSink
from dwevents.envelope import DataWorksEvent
from dwevents.errors import AlreadyInProgressError, DeliveryError, DwEventsError, RefusedEventError
from dwevents.extension import ExtensionService, stored_verdict
from dwevents.idempotency import Idempotency, Ticket
from dwevents.models.base import GenericPayload
from dwevents.results import DirectAnswer, EventResult, Outcome, VerdictReport
from dwevents.router import Router
from dwevents.trust import check_trust, is_unknown_blocking_direct
from dwevents.verdict import Verdict

logger = logging.getLogger("dwevents.runtime")

NO_CODE = "not answered: no extension code configured"


def needs_verdict(event: DataWorksEvent) -> bool:
    """Whether DataWorks may be waiting for an answer to this message.

    Types that are both extension point and regular event (file commit/deploy/delete) share one
    ``type``, and ``blockBusiness`` cannot tell them apart: the documented samples carry
    ``blockBusiness: false`` even for pure pre-events such as run-file. So every such event is
    answered: an unneeded reply is rejected harmlessly, a missing one leaves a deploy stuck in Checking.
    """
    if event.delivery == "fc-direct":
        return True
    return event.spec is not None and event.spec.kind is not Kind.REGULAR


def salvage(element: Any) -> DataWorksEvent | None:
    """The envelope of an element that did not decode, when its id and type can still be read: enough
    to answer an extension point with the fail-mode verdict. The payload is left empty."""
    if not isinstance(element, Mapping):
        return None
    empty = GenericPayload.model_validate({})
    if "messageId" in element or "messageBody" in element:
        message_id, event_type = element.get("messageId"), element.get("eventType")
        if not isinstance(message_id, str) or not message_id or not isinstance(event_type, str):
            return None
        spec = lookup(None, event_type)
        block = element.get("blockBusiness")
        return DataWorksEvent(
            message_id, spec.type if spec else None, spec.event_code if spec else None, "acs.dataworks",
            None, None, None, None, empty, spec, "fc-direct",
            attributes={"messageId": message_id, "eventType": event_type},
            block_business=block if isinstance(block, bool) else None,
        )  # fmt: skip
    message_id, type_ = element.get("id"), element.get("type")
    if not isinstance(message_id, str) or not message_id or not isinstance(type_, str):
        return None
    source, account = element.get("source"), element.get("aliyunaccountid")
    return DataWorksEvent(
        message_id, type_, BY_TYPE[type_].event_code if type_ in BY_TYPE else None,
        source if isinstance(source, str) else None, None,
        account if isinstance(account, str) else None, None, None, empty, BY_TYPE.get(type_), "cloudevent",
        attributes={"id": message_id, "type": type_, "source": source, "aliyunaccountid": account},
    )  # fmt: skip


def _verdict_detail(report: VerdictReport | None) -> dict[str, Any] | None:
    """What the audit record says of an extension point's verdict (the verdict's own log lines are
    DEBUG: this is the one INFO line of the event)."""
    if report is None:
        return None
    detail = {
        "verdict": report.result.value,
        "rule": report.rule,
        "verdict_origin": report.origin,
        "acknowledged": report.acknowledged,
        "attempts": report.attempts,
        "dataworks_request_id": report.request_id,
    }
    return {k: v for k, v in detail.items() if v is not None}


def sendable(message_id: str) -> bool:
    """Whether the id can go out in a request (a lone surrogate cannot be encoded as UTF-8)."""
    try:
        message_id.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass
class Pipeline:
    """The collaborators one function instance built at cold start, and the per-event flow."""

    category: str
    settings: Settings
    router: Router
    idempotency: Idempotency
    audit: AuditSink
    dead_letter: DeadLetterSink
    extension: ExtensionService | None
    default_reaction: Callable[[DataWorksEvent, Invocation, Verdict | None], Any]
    #: The configuration or rules error this instance started with; extension points get the fail mode.
    setup_error: str | None = None

    # -- entry -------------------------------------------------------------------------------------

    def run(
        self, event: DataWorksEvent, invocation: Invocation, *, unreadable: str | None = None
    ) -> tuple[EventResult, DirectAnswer | None]:
        """Process one event; never raises. ``unreadable`` is the decode error of a salvaged event."""
        result = EventResult(
            event.message_id, event.type, event.event_code, invocation.function_name, Outcome.PROCESSED
        )
        with logs.log_context(message_id=event.message_id, type=event.type):
            try:
                self._run(event, invocation, result, unreadable)
            except Exception as exc:  # a bug in a stage or in user code: retry, bounded by EventBridge
                logger.exception("event failed with an unexpected error")
                result.outcome, result.retry = Outcome.FAILED, True
                result.error = logs.error_text(f"{type(exc).__name__}: {logs.describe(exc)}")
        return result, self._direct_answer(event, invocation, result)

    def _direct_answer(
        self, event: DataWorksEvent, invocation: Invocation, result: EventResult
    ) -> DirectAnswer | None:
        if event.delivery != "fc-direct" or (result.outcome is Outcome.REFUSED and result.verdict is None):
            return None
        report = result.verdict
        if report is None:  # trusted, but something failed before a verdict: DataWorks still waits
            if self.extension is None:
                return None
            verdict = self.extension.fail_mode(f"the event could not be processed ({result.error})")
            report = self.extension.send(event, verdict, invocation)
            result.verdict = report
        return DirectAnswer(report.result, report.tip, event.message_id)

    # -- stages ------------------------------------------------------------------------------------

    def _run(
        self, event: DataWorksEvent, invocation: Invocation, result: EventResult, unreadable: str | None
    ) -> None:
        if not sendable(event.message_id):
            why = "the event id cannot be encoded as UTF-8 (lone surrogate); DataWorks cannot be answered"
            logger.error("%s: %r", why, event.message_id)  # the log formatters escape it
            self._dead_letter(event, why)
            result.outcome, result.error = Outcome.FAILED, why
            return
        if not self._trusted(event, invocation, result):
            return
        forced = letter = None
        if self.setup_error is not None:
            # The error itself is logged once, at cold start; per event only a pointer to it.
            forced = f"configuration error: {self.setup_error}"
            letter = "not processed: the function's configuration is broken (see the cold-start error)"
        elif unreadable is not None:
            forced, letter = f"the event could not be read: {unreadable}", f"undecodable: {unreadable}"
        if forced is not None and not needs_verdict(event):
            result.outcome, result.error = Outcome.FAILED, forced
            # A regular event under a broken configuration waits for the fix (retry, then FC's
            # dead-letter destination); an unreadable one never improves.
            result.retry = self.setup_error is not None
            if not result.retry:
                self._dead_letter(event, str(letter))
            return
        ticket = self._claim(event, invocation, result)
        if result.outcome is not Outcome.PROCESSED:
            return
        if ticket is not None and ticket.duplicate:
            self._duplicate(event, invocation, ticket, result)
            return
        recorded = False
        if needs_verdict(event):
            recorded = self._verdict(event, invocation, ticket, result, forced)
        if forced is not None:
            self._dead_letter(event, str(letter))
            result.outcome, result.error = Outcome.FAILED, forced
        else:
            try:
                self._react(event, invocation, result)
            except Exception as exc:
                if recorded:
                    # The verdict is out and recorded: a retry would only re-send it. Keep it visible.
                    text = logs.error_text(f"{type(exc).__name__}: {logs.describe(exc)}")
                    logger.error("after the verdict: %s; not retried because the verdict was sent", text)
                    self._dead_letter(event, f"after the verdict: {text}")
                    result.error = text
                else:
                    if ticket is not None:
                        self.idempotency.release(ticket)
                    if not isinstance(exc, DwEventsError):
                        raise
                    kind = "transient" if exc.transient else "permanent"
                    logger.error("event failed (%s): %s", kind, logs.error_text(exc))
                    result.outcome, result.error, result.retry = (
                        Outcome.FAILED,
                        logs.error_text(exc),
                        exc.transient,
                    )
                    if not exc.transient:
                        self._dead_letter(event, str(result.error))
                    return
        if ticket is not None and not recorded:
            self.idempotency.complete(ticket, self._record(result))
        if result.verdict is not None and not result.verdict.acknowledged:
            result.retry = True
            result.error = (
                result.error or f"DataWorks did not acknowledge the verdict: {result.verdict.error}"
            )

    def _trusted(self, event: DataWorksEvent, invocation: Invocation, result: EventResult) -> bool:
        try:
            check_trust(
                event, trust=self.settings.trust, category=self.category, account_id=invocation.account_id
            )
            return True
        except RefusedEventError as exc:
            reason = logs.error_text(exc) or "refused"
        if is_unknown_blocking_direct(event, self.category) and self.extension is not None:
            # DataWorks invoked us and waits: an unknown type still gets the fail-mode answer.
            logger.warning("unknown FC-direct eventType with blockBusiness: answering with the fail mode")
            result.verdict = self.extension.send(event, self.extension.fail_mode(reason), invocation)
        logger.warning("refused: %s", reason)
        result.outcome, result.error = Outcome.REFUSED, reason
        try:
            self.audit.write(
                audit_record(event, function=result.function, outcome="refused", detail={"error": reason})
            )
        except Exception as exc:
            logger.error(
                "could not audit a refused event: %s", logs.error_text(f"{type(exc).__name__}: {exc}")
            )
        self._dead_letter(event, f"refused: {reason}")
        return False

    def _claim(self, event: DataWorksEvent, invocation: Invocation, result: EventResult) -> Ticket | None:
        try:
            return self.idempotency.claim(
                event.source, event.message_id, remaining_ms=invocation.remaining_ms()
            )
        except AlreadyInProgressError as exc:
            logger.warning("another invocation is processing this event: %s", exc)
            result.outcome, result.error, result.retry = Outcome.FAILED, str(exc), True
            return None
        except DwEventsError as exc:
            text = logs.error_text(exc)
            if needs_verdict(event):
                logger.warning(
                    "idempotency store unavailable or failing (%s); answering anyway, at least once",
                    text,
                )
                return None
            logger.error("idempotency store failed: %s", text)
            result.outcome, result.error, result.retry = Outcome.FAILED, text, exc.transient
            if not exc.transient:  # e.g. a foreign value under the key: retrying cannot help
                self._dead_letter(event, f"idempotency store: {text}")
            return None

    def _verdict(
        self,
        event: DataWorksEvent,
        invocation: Invocation,
        ticket: Ticket | None,
        result: EventResult,
        forced: str | None,
    ) -> bool:
        """Decide (or take the fail mode), send, and record at once. True when a verdict went out."""
        extension = self.extension
        if extension is None or not extension.can_answer(event):
            logger.info(NO_CODE)
            result.actions.append({"action": "verdict", "sent": False, "reason": NO_CODE})
            return False
        if forced is not None:
            report = extension.send(event, extension.fail_mode(forced), invocation)
        else:
            report = extension.answer(event, invocation, decider=self.router.decider_for(event))
        result.verdict = report
        if ticket is not None:
            # Recorded before anything else can fail. Should the store refuse, the claim still holds
            # off duplicates until the deadline, and nothing here decides again.
            self.idempotency.complete(ticket, self._record(result))
        return True

    def _duplicate(
        self, event: DataWorksEvent, invocation: Invocation, ticket: Ticket, result: EventResult
    ) -> None:
        stored = ticket.stored or {}
        result.outcome = Outcome.DUPLICATE
        result.actions = [{"action": "skip", "reason": "already processed", "first": stored.get("at")}]
        verdict = stored_verdict(stored.get("verdict") or {})
        if verdict is not None and self.extension is not None and self.extension.can_answer(event):
            result.verdict = self.extension.send(event, verdict, invocation)
            if not result.verdict.acknowledged:
                result.retry = True
                result.error = f"DataWorks did not acknowledge the verdict: {result.verdict.error}"

    def _react(self, event: DataWorksEvent, invocation: Invocation, result: EventResult) -> None:
        """Audit first, then the reaction (a registered one, or metrics and notifications).

        One log line per event: with the default reaction, the metric values ride on the audit record
        (``record.metrics``, their dimensions once in ``record.metric_dims``) instead of a line each; a
        registered reaction replaces them (it may call ``app.default_action``, which logs them itself)."""
        verdict = result.verdict
        record = audit_record(
            event, function=result.function, outcome="processed", detail=_verdict_detail(verdict)
        )
        custom = self.router.is_custom(event)
        metrics = metric_set(event) if not custom and self.settings.metrics.enabled else None
        if metrics is not None:
            record["metric_dims"], record["metrics"] = metrics.dims, metrics.values
        self.audit.write(record)
        result.actions.insert(0, {"action": "audit", "record": record})
        if metrics is not None:
            result.actions.append({"action": "metrics", "lines": metrics.lines()})
        if custom:
            outcome = self.router.resolve(event)(event, invocation)
        else:  # the default reaction also gets the verdict: routes may filter on it, texts say it
            decided = verdict.verdict if verdict is not None else None
            outcome = self.default_reaction(event, invocation, decided)
        if isinstance(outcome, Mapping):
            result.actions.extend(outcome.get("actions") or [])
        failed = [a for a in result.actions if a.get("action") == "notify" and not a.get("ok")]
        if failed:
            raise DeliveryError(
                f"{len(failed)} notification(s) not delivered: "
                + "; ".join(f"{d.get('channel')}: {d.get('error')}" for d in failed)
            )

    # -- helpers -----------------------------------------------------------------------------------

    @staticmethod
    def _record(result: EventResult) -> dict[str, Any]:
        """What a duplicate needs, and nothing else: no actions, no texts from DataWorks, no credentials."""
        verdict: VerdictReport | None = result.verdict
        return {
            "outcome": result.outcome.value,
            "verdict": None
            if verdict is None
            else {
                "result": verdict.result.value,
                "tip": verdict.tip,
                "rule": verdict.rule,
                "origin": verdict.origin,
            },
            "at": jsontext.now_text(),
        }

    def _dead_letter(self, event: DataWorksEvent, reason: str) -> None:
        try:
            raw: Any = dict(event.as_cloudevent())
        except Exception:
            raw = {"id": event.message_id, "type": event.type}
        self.dead_letter.put(raw, reason, message_id=event.message_id)


__all__ = ["NO_CODE", "Pipeline", "needs_verdict", "salvage", "sendable"]
