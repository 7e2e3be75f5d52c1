"""One code path for every function: decode → trust → idempotency → route → action → result.

Failure contract (documented in the README):

* **permanent** problems — input that does not decode, an event refused as not ours (foreign source
  or account, another function's type), no route — are logged, written to the dead-letter sink, and
  *not* raised: retrying cannot fix them and EventBridge would retry forever;
* **transient** problems — a notification that could not be delivered, Redis unavailable, another
  instance holding the same event, DataWorks not acknowledging a verdict, an unexpected exception —
  make the invocation raise :class:`RetryBatchError` *after* every other event of the batch is done,
  so EventBridge retries the batch; the idempotency records keep finished events from running twice;
* an extension point always gets exactly one verdict: the policy's, or the configured fail-open /
  fail-closed one when deciding failed; a duplicate re-sends the stored verdict.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dwevents import logs
from dwevents.actions.audit import AuditSink, audit_record
from dwevents.actions.metrics import emit, metric_lines
from dwevents.catalogue import CATEGORIES, Kind, specs_for_category
from dwevents.config import Settings, load_settings
from dwevents.context import Invocation, invocation_from
from dwevents.envelope import DataWorksEvent, decode_batch
from dwevents.errors import (
    AlreadyInProgressError,
    DecodeError,
    DeliveryError,
    DwEventsError,
    RefusedEventError,
    RouteNotFoundError,
    TransientError,
)
from dwevents.router import Router

logger = logging.getLogger(__name__)

Outcome = str  # processed | duplicate | refused | failed | unrouted


class RetryBatchError(TransientError):
    """Raised at the end of an invocation so EventBridge retries; names the events that need it."""


@dataclass
class EventResult:
    """What happened to one event (the ``dwevents invoke --json`` contract)."""

    message_id: str | None
    type: str | None
    event_code: str | None
    function: str
    outcome: Outcome
    actions: list[dict[str, Any]] = field(default_factory=list)
    verdict: dict[str, Any] | None = None
    error: str | None = None
    retry: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "type": self.type,
            "event_code": self.event_code,
            "function": self.function,
            "outcome": self.outcome,
            "actions": self.actions,
            "verdict": self.verdict,
            "error": self.error,
            "retry": self.retry,
        }


@dataclass
class InvocationResult:
    request_id: str
    function: str
    events: list[EventResult]
    #: FC-direct only: the ExtensionResponse DataWorks reads from the return value.
    response: dict[str, Any] | None = None

    @property
    def needs_retry(self) -> bool:
        return any(e.retry for e in self.events)

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "function": self.function,
            "events": [e.as_dict() for e in self.events],
        }


class DeadLetterSink:
    """Where permanently failed events go: an ERROR log line (SLS can alert on it) and optionally a file."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()

    def put(self, raw: Any, reason: str, *, message_id: str | None = None) -> None:
        excerpt = raw if isinstance(raw, (dict, list)) else _excerpt(raw)
        logger.error(
            "dead-letter: %s", reason, extra={"dead_letter": True, "dead_letter_message_id": message_id}
        )
        if self.path:
            line = json.dumps(
                {"reason": reason, "message_id": message_id, "event": excerpt},
                ensure_ascii=False,
                default=str,
            )
            with self._lock, open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")


def _excerpt(raw: Any, limit: int = 4096) -> str:
    if isinstance(raw, (bytes, bytearray)):
        raw = bytes(raw[:limit]).decode("utf-8", "replace")
    text = str(raw)
    return text if len(text) <= limit else text[:limit] + "…"


def needs_verdict(event: DataWorksEvent) -> bool:
    """Whether DataWorks may be waiting for an answer to this message.

    Types that are both extension point and regular event (file commit/deploy/delete) share one
    ``type``, and ``blockBusiness`` cannot tell them apart: the documented samples carry
    ``blockBusiness: false`` even for pure pre-events such as run-file. So every such event is
    answered: an unneeded reply is rejected harmlessly, a missing one leaves a deploy stuck in Checking.
    """
    if event.delivery == "fc-direct":
        return True
    spec = event.spec
    return spec is not None and spec.kind is not Kind.REGULAR


#: Categories whose extension points can also arrive FC-direct, answered by the return value (no code needed).
_FC_DIRECT_CATEGORIES = frozenset({"ResourcesDownload", "ResourcesUpload"})


def _missing_extension_code(category: str) -> None:
    """No extension code: the OpenAPI replies cannot be sent. Fail the cold start, naming the key."""
    from dwevents.errors import ConfigError

    message = (
        "an extension code is required to answer extension points "
        "(the code shown on DataWorks Open Platform > Extensions)"
    )
    if category in _FC_DIRECT_CATEGORIES:
        logger.warning("%s: %s; only FC-direct messages can be answered", category, message)
        return
    raise ConfigError(message, key="extension.code", source="$DWEVENTS_EXTENSION_CODE")


class FunctionApp:
    """The FC function for one DataWorks category. ``handler`` and ``initialize`` are FC's entry points."""

    def __init__(
        self,
        category: str,
        *,
        settings: Settings | None = None,
        router: Router | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")
        self.category = category
        self.environ = environ
        self.has_extensions = any(s.kind is not Kind.REGULAR for s in specs_for_category(category))
        self.router = router or Router(category)
        self._settings = settings
        self._lock = threading.Lock()
        self._ready = False
        self.last_result: InvocationResult | None = None

    # -- FC entry points -------------------------------------------------------------------------

    def initialize(self, context: Any) -> None:
        """FC initializer: validate config and rules, connect stores, import the SDK once if needed."""
        self._setup()
        if self.has_extensions and self.extension is not None:
            self.extension.warm()

    def handler(self, event: bytes, context: Any) -> str:
        """FC handler: returns JSON text; raises :class:`RetryBatchError` when EventBridge should retry."""
        result = self.process(event, context)
        self.last_result = result
        if result.needs_retry:
            failed = [e.message_id for e in result.events if e.retry]
            raise RetryBatchError(f"{len(failed)} event(s) need a retry: {', '.join(map(str, failed))}")
        if result.response is not None:
            return json.dumps(result.response, ensure_ascii=False)
        return json.dumps(result.as_dict(), ensure_ascii=False, default=str)

    # -- the pipeline ------------------------------------------------------------------------------

    def process(self, raw: Any, context: Any) -> InvocationResult:
        invocation = invocation_from(context)
        self._setup()
        with logs.log_context(request_id=invocation.request_id, function=invocation.function_name):
            try:
                items = decode_batch(raw)
            except DecodeError as exc:
                logger.error("cannot decode the invocation payload: %s", exc)
                self.dead_letter.put(raw, f"undecodable: {exc}")
                return InvocationResult(
                    invocation.request_id,
                    invocation.function_name,
                    [EventResult(None, None, None, invocation.function_name, "failed", error=str(exc))],
                )
            results: list[EventResult] = []
            response: dict[str, Any] | None = None
            for item in items:
                if isinstance(item, DecodeError):
                    logger.error("cannot decode event: %s", item)
                    self.dead_letter.put(raw, f"undecodable: {item}")
                    results.append(
                        EventResult(None, None, None, invocation.function_name, "failed", error=str(item))
                    )
                    continue
                result = self._process_event(item, invocation)
                results.append(result)
                if item.delivery == "fc-direct" and result.verdict is not None:
                    response = {
                        "checkResult": result.verdict["result"],
                        "checkResultTip": result.verdict.get("tip", ""),
                        "messageId": item.message_id,
                    }
            return InvocationResult(invocation.request_id, invocation.function_name, results, response)

    def _process_event(self, event: DataWorksEvent, invocation: Invocation) -> EventResult:
        fn = invocation.function_name
        base = EventResult(event.message_id, event.type, event.event_code, fn, "processed")
        with logs.log_context(message_id=event.message_id, type=event.type):
            try:
                self._check_trust(event, invocation)
            except RefusedEventError as exc:
                logger.warning("refused: %s", exc)
                self.audit.write(
                    audit_record(event, function=fn, outcome="refused", detail={"error": str(exc)})
                )
                self.dead_letter.put(
                    dict(event.as_cloudevent()), f"refused: {exc}", message_id=event.message_id
                )
                base.outcome, base.error = "refused", str(exc)
                return base
            try:
                action = self.router.resolve(event)
            except RouteNotFoundError as exc:
                logger.error("%s", exc)
                self.dead_letter.put(dict(event.as_cloudevent()), str(exc), message_id=event.message_id)
                base.outcome, base.error = "unrouted", str(exc)
                return base
            try:
                stored, duplicate = self.idempotency.run(
                    event.source,
                    event.message_id,
                    lambda: self._run(event, action, invocation),
                    remaining_ms=invocation.remaining_ms(),
                )
            except AlreadyInProgressError as exc:
                logger.warning("another invocation is processing this event: %s", exc)
                base.outcome, base.error, base.retry = "failed", str(exc), True
                return base
            except DwEventsError as exc:
                logger.error("event failed (%s): %s", "transient" if exc.transient else "permanent", exc)
                base.outcome, base.error, base.retry = "failed", str(exc), exc.transient
                if not exc.transient:
                    self.dead_letter.put(dict(event.as_cloudevent()), str(exc), message_id=event.message_id)
                return base
            except Exception as exc:  # a bug in an action: retry (bounded by EventBridge's policy)
                logger.exception("event failed with an unexpected error")
                base.outcome, base.error, base.retry = "failed", f"{type(exc).__name__}: {exc}", True
                return base
            base.actions = list(stored.get("actions", []))
            base.verdict = stored.get("verdict")
            if duplicate:
                base.outcome = "duplicate"
                base.actions = [{"action": "skip", "reason": "already processed", "first": stored.get("at")}]
                if base.verdict is not None and self.extension is not None:
                    base.verdict = self.extension.resend(event, base.verdict, invocation)
            if base.verdict is not None and base.verdict.get("acknowledged") is False:
                base.retry = True
                base.error = f"DataWorks did not acknowledge the verdict: {base.verdict.get('error')}"
            return base

    def _check_trust(self, event: DataWorksEvent, invocation: Invocation) -> None:
        trust = self.settings.trust
        if event.delivery == "rawdata" and not trust.allow_rawdata:
            raise RefusedEventError(
                "RawData delivery carries no source or account to verify; use the "
                "CloudEvents schema or set trust.allow_rawdata"
            )
        if event.delivery == "cloudevent" and event.source not in trust.allowed_sources:
            raise RefusedEventError(
                f"source {event.source!r} is not allowed (expected {', '.join(trust.allowed_sources)})"
            )
        if event.delivery == "cloudevent":
            allowed = set(trust.allowed_accounts) or (
                {invocation.account_id} if invocation.account_id else set()
            )
            if not allowed:
                raise RefusedEventError(
                    "no account to check the event against: set trust.allowed_accounts "
                    "or DWEVENTS_ALLOWED_ACCOUNTS"
                )
            if event.account not in allowed:
                raise RefusedEventError(f"account {event.account!r} is not allowed")
        if event.category != self.category:
            raise RefusedEventError(
                f"type {event.type!r} belongs to the {event.category} function, not {self.category}"
            )

    # -- what happens to an accepted event ----------------------------------------------------

    def _run(self, event: DataWorksEvent, action: Any, invocation: Invocation) -> dict[str, Any]:
        """The verdict (extension points), the routed action, and always one audit record.

        For an extension point a registered action is the decider: it runs inside the decision deadline
        and returns a :class:`~dwevents.verdict.Verdict` (or "OK" / "WARN" / "FAIL"); if it raises, times
        out or returns anything else, the fail-mode verdict goes out. The default route decides with the
        policy rules. Either way exactly one verdict is sent before anything else happens.
        """
        actions: list[dict[str, Any]] = []
        verdict: dict[str, Any] | None = None
        custom = action != self.default_action
        if needs_verdict(event):
            if self.extension is None:
                raise RouteNotFoundError(
                    f"{event.type} is an extension point but {self.category} has no "
                    "extension support configured"
                )
            decide = (lambda: action(event, invocation)) if custom else None
            verdict = self.extension.handle(event, invocation, decide=decide)
            actions.append({"action": "verdict", **verdict})
            outcome = self.default_action(event, invocation)
        else:
            outcome = action(event, invocation)
        if isinstance(outcome, dict):
            actions.extend(outcome.get("actions") or [])
        record = audit_record(
            event,
            function=invocation.function_name,
            outcome="processed",
            detail={"verdict": verdict["result"]} if verdict else None,
        )
        self.audit.write(record)
        actions.insert(0, {"action": "audit", "record": record})
        failed = [a for a in actions if a.get("action") == "notify" and not a.get("ok")]
        if failed:
            text = f"{len(failed)} notification(s) not delivered: " + "; ".join(
                f"{d.get('channel')}: {d.get('error')}" for d in failed
            )
            if verdict is None:
                raise DeliveryError(text)
            # The verdict is already with DataWorks: a retry would decide and send it a second time.
            logger.error("%s; not retried because the verdict was sent", text)
            self.dead_letter.put(dict(event.as_cloudevent()), text, message_id=event.message_id)
        return {"actions": actions, "verdict": verdict, "at": record["recorded_at"]}

    def default_action(self, event: DataWorksEvent, invocation: Invocation) -> dict[str, Any]:
        """The default route: metric lines and notifications (audit and verdict are the pipeline's)."""
        actions: list[dict[str, Any]] = []
        if self.settings.metrics.enabled:
            lines = metric_lines(event)
            if lines:
                emit(lines)
                actions.append({"action": "metrics", "lines": lines})
        for delivery in self.notifier.notify(event, deadline=invocation.deadline - 1.0):
            actions.append({"action": "notify", **delivery})
        return {"actions": actions}

    # -- lazily built collaborators (cold start) -----------------------------------------------

    def _setup(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            from dwevents.actions.routes import Notifier
            from dwevents.idempotency import Idempotency, MemoryStore, store_from_url

            settings = self._settings or load_settings(environ=self.environ)
            self.settings = settings
            logs.configure()
            store = (
                store_from_url(settings.idempotency.redis_url)
                if settings.idempotency.redis_url
                else MemoryStore(max_items=settings.idempotency.memory_items)
            )
            # Namespaced per function: two functions never share records even on one Redis.
            self.idempotency = Idempotency(
                store, ttl_s=settings.idempotency.ttl_seconds, namespace=f"dwevents:{self.category}"
            )
            self.audit = AuditSink(log=settings.audit.log, file=settings.audit.file)
            self.dead_letter = DeadLetterSink(settings.dead_letter.file)
            self.notifier = Notifier(settings.notifications)
            self.extension = None
            if self.has_extensions:
                from dwevents.extension import ExtensionService

                self.extension = ExtensionService(settings.extension, environ=self.environ)
                if not settings.extension.code:
                    _missing_extension_code(self.category)
            if not self.router.has_default:
                self.router.default(self.default_action)
            self._ready = True
