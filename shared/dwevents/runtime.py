"""The FC function for one DataWorks category: ``handler`` and ``initialize``, and where users plug in.

``@app.decide("deploy-file")`` registers a decider (returns the verdict for an extension point,
combined with the rules' verdict unless ``rules=False``); ``@app.on("instance-status-changes")``
registers a reaction (runs after the audit and the verdict, never decides). The per-event flow lives in
:mod:`dwevents.pipeline`; results are typed (:mod:`dwevents.results`) and turned into JSON only by
:meth:`FunctionApp.handler`.

Cold start never raises for a configuration problem: a broken config or rules file is kept, logged
once at ERROR, and every extension point then gets the fail-mode verdict with a tip naming the error
(``DWEVENTS_FAIL_MODE`` is still read from the environment), while regular events raise the retry
error so EventBridge keeps them until the configuration is fixed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from dwevents import logs
from dwevents.catalogue import CATEGORIES, specs_for_category
from dwevents.config import NotificationsConfig, Settings, load_settings, settings_despite
from dwevents.context import Invocation, invocation_from
from dwevents.envelope import DataWorksEvent, decode_batch, parse_json
from dwevents.errors import ConfigError, DecodeError, DwEventsError
from dwevents.pipeline import Pipeline, salvage
from dwevents.recorder import Recorder
from dwevents.results import EventResult, InvocationResult, Outcome, RetryBatchError
from dwevents.router import Action, Router
from dwevents.trust import FC_DIRECT_EVENT_CODES
from dwevents.verdict import Verdict

if TYPE_CHECKING:
    from dwevents.actions.routes import Notifier
    from dwevents.dataworks.client import DataWorksClient
    from dwevents.extension import ExtensionService

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Action)

__all__ = ["FunctionApp", "InvocationResult", "RetryBatchError"]


class FunctionApp:
    """The FC function for one DataWorks category. ``handler`` and ``initialize`` are FC's entry points.

    ``settings``, ``dataworks_client`` and ``policy_clock`` are seams for tests and tools (replay): a
    given client is used as is for every DataWorks call, a given clock is the rules' notion of now.
    """

    def __init__(
        self,
        category: str,
        *,
        settings: Settings | None = None,
        router: Router | None = None,
        environ: Mapping[str, str] | None = None,
        dataworks_client: DataWorksClient | None = None,
        policy_clock: Callable[[], datetime] | None = None,
    ) -> None:
        if category not in CATEGORIES:
            raise ConfigError(f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")
        self.category = category
        self.environ = environ
        self.extension_points = tuple(s for s in specs_for_category(category) if s.is_extension)
        self.router = router or Router(category)
        self._settings = settings
        self._client = dataworks_client
        self._policy_clock = policy_clock
        self._lock = threading.Lock()
        self._pipeline: Pipeline | None = None
        self._notifier: Notifier | None = None
        self._recorder: Recorder | None = None

    # -- registration ----------------------------------------------------------------------------

    def on(self, *keys: str) -> Callable[[F], F]:
        """Register a reaction (see :meth:`Router.on`): runs after audit and verdict, never decides."""
        return self.router.on(*keys)

    def decide(self, *keys: str, rules: bool = True) -> Callable[[F], F]:
        """Register a decider for extension points (see :meth:`Router.decide`)."""
        return self.router.decide(*keys, rules=rules)

    def set_policy_clock(self, clock: Callable[[], datetime]) -> None:
        """The rules' notion of now, like the ``policy_clock`` argument, for an app constructed elsewhere
        (a function's ``index.py``: ``dwevents invoke --now``, replay). Only before the app starts: the
        policy is built, with its clock, at the cold start."""
        if self.started:
            raise DwEventsError("set_policy_clock: the app has already started; set the clock before")
        self._policy_clock = clock

    # -- FC entry points -------------------------------------------------------------------------

    def initialize(self, context: Any) -> None:
        """FC initializer: load config and rules, connect stores, import the reply transport once.

        Never raises for configuration: see the module docstring.
        """
        pipeline = self.pipeline(context)
        if pipeline.extension is not None and pipeline.extension.code is not None:
            try:
                pipeline.extension.warm()
            except Exception as exc:  # the first verdict retries the import and reports the error
                logger.error("could not prepare the DataWorks client: %s", logs.error_text(exc))

    def handler(self, event: bytes, context: Any) -> str:
        """FC handler: returns JSON text; raises :class:`RetryBatchError` when EventBridge should retry."""
        return self.process(event, context).handler_return()

    # -- in-process API ----------------------------------------------------------------------------

    def process(self, raw: Any, context: Any) -> InvocationResult:
        """What :meth:`handler` does, returned typed and without raising (tests, emulator, replay)."""
        invocation = invocation_from(context)
        pipeline = self.pipeline(context)
        if self._recorder is not None:  # DWEVENTS_RECORD: keep the delivery for `dwevents replay`
            self._recorder.record(raw, function=invocation.function_name, request_id=invocation.request_id)
        result = InvocationResult(invocation.request_id, invocation.function_name, [])
        with logs.log_context(request_id=invocation.request_id, function=invocation.function_name):
            straight = _decode_bytes(raw)
            if straight is not None:  # the common case: every event decoded in one pass from the bytes
                for item in straight:
                    self._one(pipeline, item, None, invocation, result)
                return result
            try:
                document = parse_json(raw)
                items = _decode(document)
            except DecodeError as exc:
                logger.error("cannot decode the invocation payload: %s", exc)
                pipeline.dead_letter.put(raw, f"undecodable: {exc}")
                result.events.append(self._failed(invocation, logs.error_text(exc)))
                return result
            elements = document if isinstance(document, list) else [document]
            for index, item in enumerate(items):
                self._one(
                    pipeline, item, elements[index] if index < len(elements) else None, invocation, result
                )
        return result

    def _one(
        self,
        pipeline: Pipeline,
        item: DataWorksEvent | DecodeError,
        element: Any,
        invocation: Invocation,
        result: InvocationResult,
    ) -> None:
        if isinstance(item, DataWorksEvent):
            event_result, answer = pipeline.run(item, invocation)
        else:
            reason = logs.error_text(item) or "undecodable"
            salvaged = salvage(element)
            if salvaged is None:
                logger.error("cannot decode event: %s", reason)
                pipeline.dead_letter.put(element, f"undecodable: {reason}")
                result.events.append(self._failed(invocation, reason))
                return
            event_result, answer = pipeline.run(salvaged, invocation, unreadable=reason)
        result.events.append(event_result)
        if answer is not None:
            result.answer = answer

    @staticmethod
    def _failed(invocation: Invocation, error: str | None) -> EventResult:
        return EventResult(None, None, None, invocation.function_name, Outcome.FAILED, error=error)

    def default_action(
        self, event: DataWorksEvent, invocation: Invocation, verdict: Verdict | None = None
    ) -> dict[str, Any]:
        """The default reaction: metric lines and notifications. Call it from your own reaction to keep
        them (audit and verdict are the pipeline's and always happen). ``verdict``: what the extension
        point got, for routes that filter on it (``notifications.routes[].verdicts``).

        Called this way the metric values are logged here, one line each; when no reaction is
        registered the pipeline puts them on the event's audit record instead (one line per event)."""
        from dwevents.actions.metrics import emit, metric_lines

        pipeline = self.pipeline(invocation.context)
        actions: list[dict[str, Any]] = []
        if pipeline.settings.metrics.enabled:
            lines = metric_lines(event)
            if lines:
                emit(lines)
                actions.append({"action": "metrics", "lines": lines})
        return {"actions": actions + self._notify(event, invocation, verdict)}

    def _notifications(
        self, event: DataWorksEvent, invocation: Invocation, verdict: Verdict | None = None
    ) -> dict[str, Any]:
        """The pipeline's default reaction: the notifications (the metrics are on the audit record)."""
        return {"actions": self._notify(event, invocation, verdict)}

    def _notify(
        self, event: DataWorksEvent, invocation: Invocation, verdict: Verdict | None
    ) -> list[dict[str, Any]]:
        assert self._notifier is not None
        deliveries = self._notifier.notify(event, deadline=invocation.deadline - 1.0, verdict=verdict)
        return [{"action": "notify", **delivery} for delivery in deliveries]

    # -- cold start ---------------------------------------------------------------------------------

    @property
    def extension(self) -> ExtensionService | None:
        return self._pipeline.extension if self._pipeline is not None else None

    @property
    def started(self) -> bool:
        """Whether the cold start (config, rules, stores) has happened."""
        return self._pipeline is not None

    @property
    def setup_error(self) -> str | None:
        """The configuration or rules error this instance started with (None when healthy)."""
        return self._pipeline.setup_error if self._pipeline is not None else None

    def pipeline(self, context: Any = None) -> Pipeline:
        """The per-instance collaborators, built once (thread-safe)."""
        if self._pipeline is not None:
            return self._pipeline
        with self._lock:
            if self._pipeline is None:
                self._pipeline = self._build(context)
            return self._pipeline

    def _build(self, context: Any) -> Pipeline:
        from dwevents.actions.audit import AuditSink
        from dwevents.actions.routes import Notifier
        from dwevents.deadletter import DeadLetterSink

        logs.configure()
        environ = self.environ
        self._recorder = Recorder.from_env(environ)
        if environ is not None:
            logs.add_secrets(logs.secrets_of(environ))
        error: str | None = None
        try:
            settings = self._settings or load_settings(environ=environ)
        except ConfigError as exc:
            error = logs.error_text(exc)
            settings = settings_despite(environ)
        policy = None
        if self.extension_points:
            policy, rules_error = self._policy(settings)
            error = error or rules_error
        try:
            self._notifier = Notifier(settings.notifications)
        except Exception as exc:  # a channel the notifier cannot build: console only, and say so
            error = error or logs.error_text(exc)
            self._notifier = Notifier(NotificationsConfig())
        idempotency, store_error = self._idempotency(settings, context)
        error = error or store_error
        extension = None
        if self.extension_points:
            from dwevents.extension import ExtensionService

            extension = ExtensionService(
                settings.extension, policy=policy, environ=environ, client=self._client
            )
        if not self.router.has_default:
            self.router.default(self.default_action)
        pipeline = Pipeline(
            category=self.category,
            settings=settings,
            router=self.router,
            idempotency=idempotency,
            audit=AuditSink(log=settings.audit.log, file=settings.audit.file),
            dead_letter=DeadLetterSink(settings.dead_letter.file),
            extension=extension,
            default_reaction=self._notifications,
            setup_error=error,
        )
        self._log_cold_start(pipeline)
        return pipeline

    def _policy(self, settings: Settings) -> tuple[Any, str | None]:
        from dwevents.policy import PolicyEngine

        kwargs = {"clock": self._policy_clock} if self._policy_clock is not None else {}
        try:
            return PolicyEngine.load(settings.extension.rules_file, **kwargs), None
        except Exception as exc:  # ConfigError, or anything a broken rules file provokes
            return None, logs.error_text(
                exc if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
            )

    def _idempotency(self, settings: Settings, context: Any) -> tuple[Any, str | None]:
        from dwevents.idempotency import Idempotency, MemoryStore, store_from_url

        config = settings.idempotency
        function = invocation_from(context).function_name if context is not None else ""
        namespace = config.namespace or f"dwevents:{function or self.category}"
        error = None
        store: Any = None
        if config.redis_url:
            try:
                store = store_from_url(config.redis_url)
            except ConfigError as exc:
                error = logs.error_text(exc)
        if store is None:
            store = MemoryStore(max_items=config.memory_items, max_bytes=config.memory_bytes)
        return Idempotency(store, ttl_s=config.ttl_seconds, namespace=namespace), error

    def _log_cold_start(self, pipeline: Pipeline) -> None:
        if pipeline.setup_error is not None:
            logger.error(
                "%s started with a configuration error: %s. Extension points get the %s verdict naming "
                "it; regular events are retried until it is fixed",
                self.category,
                pipeline.setup_error,
                pipeline.settings.extension.fail_mode,
            )
        if not self.extension_points:
            return
        deciders: dict[str, list[str]] = {}
        for spec in self.extension_points:
            deciders.setdefault(self.router.who_decides(spec), []).append(spec.event_code)
        for who, codes in deciders.items():
            logger.info("%s: %s decided by %s", self.category, ", ".join(codes), who)
        if pipeline.extension is not None and pipeline.extension.code is None:
            direct = (
                "; FC-direct messages are still answered" if self.category in FC_DIRECT_EVENT_CODES else ""
            )
            logger.warning(
                "%s: no extension code configured (DWEVENTS_EXTENSION_CODE): extension points are audited "
                "and reacted to, not answered%s",
                self.category,
                direct,
            )


def _decode_bytes(raw: Any) -> list[DataWorksEvent | DecodeError] | None:
    """The events of ``raw`` bytes decoded straight from the bytes (one pydantic-core pass for a single
    event), or None when anything did not decode: the general path then parses once more and keeps the
    parsed elements, so an unreadable event can still be answered (see :func:`salvage`)."""
    if type(raw) is not bytes:
        return None
    try:
        items = decode_batch(raw)
    except DecodeError:
        return None
    return None if any(isinstance(item, DecodeError) for item in items) else items


def _decode(document: Any) -> list[DataWorksEvent | DecodeError]:
    """Each element decoded on its own; a single event that does not decode comes back in place too, so
    its id and type can still be read for a verdict (only a bad batch as a whole raises)."""
    if isinstance(document, list):
        return decode_batch(document)
    try:
        return decode_batch(document)
    except DecodeError as exc:
        return [exc]
