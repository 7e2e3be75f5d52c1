"""The local EventBridge: route events through the rules declared in ``s.yaml`` to in-process handlers.

What EventBridge does, on one machine: every function's ``eventRuleFilterPattern`` is matched against
each event with Alibaba's pattern semantics (:mod:`dwevents.pattern`); every matching function
receives the event as bytes with an FC3-like context built from its ``s.yaml`` declaration (name,
handler, memory, timeout, environment). None matching is reported as ``unrouted``, as EventBridge
would drop it. An FC-direct extension message has no envelope to match: it goes straight to the
function its ``eventType`` names, as DataWorks invokes that function itself.

Each function built on :class:`~dwevents.runtime.FunctionApp` runs through its in-process API
(``app.process``), so the reports are the runtime's typed results, and the handler's return value is
derived from them exactly as FC would receive it.

Extension functions reply to the local DataWorks API stand-in unless an endpoint is configured.

Local-loop choices (dwevents/local/overrides.py): each delivery runs in the account of its own
``aliyunaccountid`` unless ``DWEVENTS_ALLOWED_ACCOUNTS`` or ``FC_ACCOUNT_ID`` is set (the runtime's
trust check itself is unchanged, and a refusal says how to allow the account); ``/code/...`` paths in
``DWEVENTS_CONFIG`` / ``DWEVENTS_RULES`` resolve to the project directory; ``fixtures`` (``--code``,
``--fixtures``) are loaded into the stand-in after ``events/dataworks-api-fixtures.yaml``; ``now``
(``--now``) is the rules' clock in every function.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from dwevents import env
from dwevents.catalogue import lookup
from dwevents.envelope import parse_json
from dwevents.errors import DecodeError, DwEventsError
from dwevents.local.fc_context import FunctionMeta, local_context
from dwevents.local.overrides import Fixtures, local_account, local_environ, local_path, refusal_hint
from dwevents.pattern import EventPattern, compile_pattern
from dwevents.results import EventResult, Outcome, VerdictReport
from dwevents.runtime import FunctionApp

logger = logging.getLogger(__name__)

LOCAL_EXTENSION_CODE = "dwevents-local"
FIXTURES_FILE = "dataworks-api-fixtures.yaml"
NO_MATCH = "no function's rule matches this event (EventBridge would not deliver it)"


@dataclass
class LocalFunction:
    """One function of ``s.yaml``, loaded from its ``index.py`` as FC would load it."""

    name: str
    category: str
    code_dir: Path
    meta: FunctionMeta
    pattern: EventPattern | None
    environment: dict[str, str]
    runtime: str = "python3.12"
    module: ModuleType | None = None
    initialized: bool = False

    def load(self) -> ModuleType:
        if self.module is None:
            path = self.code_dir / "index.py"
            spec = importlib.util.spec_from_file_location(
                f"dwevents_local_fn_{self.name.replace('-', '_')}", path
            )
            if spec is None or spec.loader is None:
                raise DwEventsError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self.module = module
        return self.module


@dataclass
class EventReport:
    """Per event: which functions ran it and what they did (the ``--json`` contract)."""

    message_id: str | None
    type: str | None
    functions: list[str]
    outcome: Outcome
    actions: list[dict[str, Any]] = field(default_factory=list)
    verdict: VerdictReport | None = None
    error: str | None = None
    source_file: str | None = None
    returned: Any = None

    def as_dict(self) -> dict[str, Any]:
        out = {
            "message_id": self.message_id,
            "type": self.type,
            "functions": self.functions,
            "outcome": self.outcome.value,
            "actions": self.actions,
            "verdict": self.verdict.as_dict() if self.verdict is not None else None,
        }
        if self.error:
            out["error"] = self.error
        if self.source_file:
            out["file"] = self.source_file
        return out


class LocalBus:
    """Reads ``s.yaml``, owns the local stand-ins, invokes handlers in-process."""

    def __init__(
        self,
        syaml: str | Path = "s.yaml",
        *,
        environ: Mapping[str, str] | None = None,
        use_standin: bool | None = None,
        fixtures: Fixtures | None = None,
        now: datetime | None = None,
    ) -> None:
        from dwevents.deploy.syaml import load_syaml

        self.syaml_path = Path(syaml)
        self.root = self.syaml_path.resolve().parent
        self.environ = local_environ(os.environ if environ is None else environ, self.root)
        self.now = now
        declared = load_syaml(self.syaml_path)
        self.functions: list[LocalFunction] = []
        for decl in declared.functions:
            code_dir = self.root / "functions" / decl.category
            pattern = compile_pattern(decl.pattern) if decl.pattern else None
            environment = {
                k: str(v)
                for k, v in (decl.environment or {}).items()
                if v is not None and "${" not in str(v) and str(v) != ""
            }
            meta = FunctionMeta(
                name=decl.name,
                handler=decl.handler or "index.handler",
                memory=int(decl.memory_size or 256),
                timeout=int(decl.timeout or 60),
                initializer=decl.initializer,
            )
            self.functions.append(
                LocalFunction(decl.name, decl.category, code_dir, meta, pattern, environment, decl.runtime)
            )
        wants_standin = (
            use_standin if use_standin is not None else not self.environ.get(env.DATAWORKS_ENDPOINT)
        )
        self.dataworks: Any = None
        self._stack = contextlib.ExitStack()
        if wants_standin:
            from dwevents.local.dataworks.server import DataWorksApiStandIn

            self.dataworks = self._stack.enter_context(DataWorksApiStandIn())
            shipped = self.root / "events" / FIXTURES_FILE
            if shipped.exists():
                samples = Fixtures.load(shipped)
                if fixtures is not None and fixtures.code_source is not None:
                    samples.event_details.clear()  # --code is what *every* event reads, the samples too
                samples.apply_to(self.dataworks)
            if fixtures is not None:
                fixtures.apply_to(self.dataworks)
        elif fixtures is not None and (fixtures.event_details or fixtures.default_detail is not None):
            raise DwEventsError(
                "--code/--fixtures answer through the local DataWorks stand-in: "
                f"unset {env.DATAWORKS_ENDPOINT}"
            )

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> LocalBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- routing ---------------------------------------------------------------------------------

    def route(self, event: Mapping[str, Any]) -> list[LocalFunction]:
        """Functions whose rule matches a CloudEvent; for FC-direct, the function of its event code."""
        if "messageBody" in event or "messageId" in event:
            spec = _direct_spec(event)
            return [f for f in self.functions if spec is not None and f.category == spec.category]
        return [f for f in self.functions if f.pattern is not None and f.pattern.matches(event)]

    # -- invoking --------------------------------------------------------------------------------

    def invoke_bytes(self, raw: bytes, *, source_file: str | None = None) -> list[EventReport]:
        """Route and invoke everything in one input (a CloudEvent, a batch array or an FC-direct message).

        A batch array is delivered as EventBridge's event-streaming mode would: each function gets the
        events its rule matches as one array, in order; the reports come back per event.
        """
        try:
            document = parse_json(raw)
        except DecodeError as exc:
            return [EventReport(None, None, [], Outcome.FAILED, error=str(exc), source_file=source_file)]
        if not isinstance(document, list):
            if not isinstance(document, Mapping):
                return [
                    EventReport(
                        None,
                        None,
                        [],
                        Outcome.FAILED,
                        error="event is not a JSON object",
                        source_file=source_file,
                    )
                ]
            return [self.invoke_event(document, source_file=source_file)]
        reports: list[EventReport] = []
        batches: dict[str, tuple[LocalFunction, list[tuple[Mapping[str, Any], EventReport]]]] = {}
        for event in document:
            if not isinstance(event, Mapping):
                reports.append(
                    EventReport(
                        None,
                        None,
                        [],
                        Outcome.FAILED,
                        error="event is not a JSON object",
                        source_file=source_file,
                    )
                )
                continue
            report = self._new_report(event, source_file)
            reports.append(report)
            for fn in self.route(event):
                batches.setdefault(fn.name, (fn, []))[1].append((event, report))
        for fn, members in batches.values():
            payload = json.dumps([event for event, _ in members], ensure_ascii=False).encode()
            self._invoke(fn, payload, [report for _, report in members])
        for report in reports:
            if not report.functions and report.outcome is Outcome.UNROUTED:
                report.error = report.error or NO_MATCH
        return reports

    def invoke_event(self, event: Mapping[str, Any], *, source_file: str | None = None) -> EventReport:
        report = self._new_report(event, source_file)
        if not report.functions:
            report.error = NO_MATCH
            return report
        payload = json.dumps(event, ensure_ascii=False).encode()
        for fn in self.route(event):
            self._invoke(fn, payload, [report])
        return report

    def _new_report(self, event: Mapping[str, Any], source_file: str | None) -> EventReport:
        message_id = event.get("id") or event.get("messageId")
        type_ = event.get("type")
        if type_ is None and ("messageBody" in event or "messageId" in event):
            spec = _direct_spec(event)
            type_ = spec.type if spec else None
        return EventReport(
            str(message_id) if message_id else None,
            type_,
            [f.name for f in self.route(event)],
            Outcome.UNROUTED,
            source_file=source_file,
        )

    def _invoke(self, fn: LocalFunction, payload: bytes, reports: list[EventReport]) -> None:
        with self._function_env(fn):
            module = fn.load()
            account = local_account(json.loads(payload), self.environ)
            context = local_context(fn.meta, account_id=account, runtime=fn.runtime)
            app = getattr(module, "app", None)
            if self.now is not None and isinstance(app, FunctionApp) and not app.started:
                app.set_policy_clock(_fixed(self.now))
            if not fn.initialized and hasattr(module, "initialize"):
                module.initialize(context)
                fn.initialized = True
            events, returned, error = _call(module, payload, context)
        for i, report in enumerate(reports):
            report.returned = returned
            result = _result_for(report, events, i)
            if result is not None:
                report.outcome = result.outcome
                report.actions.extend(result.actions)
                if result.verdict is not None:
                    report.verdict = result.verdict
                if result.error and not report.error:
                    report.error = result.error
            if error:
                report.error = error if not report.error else f"{report.error}; {error}"
                if report.outcome in (Outcome.UNROUTED, Outcome.PROCESSED):
                    report.outcome = Outcome.FAILED
            if report.outcome is Outcome.REFUSED:
                report.error = refusal_hint(report.error, self.environ)

    @contextlib.contextmanager
    def _function_env(self, fn: LocalFunction) -> Iterator[None]:
        """The environment FC would give the function: s.yaml's variables plus local defaults."""
        overlay = dict(fn.environment)
        overlay.setdefault(env.FC_FUNCTION_NAME, fn.name)
        for key in (env.EXTENSION_CODE, env.ALLOWED_ACCOUNTS, env.CONFIG_FILE, env.RULES_FILE, env.REDIS_URL):
            if self.environ.get(key):
                overlay[key] = self.environ[key]
        overlay.setdefault(env.EXTENSION_CODE, LOCAL_EXTENSION_CODE)
        overlay.setdefault(env.LOG_FORMAT, "text")
        for key in (env.CONFIG_FILE, env.RULES_FILE):
            if overlay.get(key):
                overlay[key] = local_path(overlay[key], self.root)
        if self.dataworks is not None:
            overlay.update(self.dataworks.client_env())
        saved = {k: os.environ.get(k) for k in [*overlay, env.SECURITY_TOKEN]}
        os.environ.update(overlay)
        if self.dataworks is not None and env.SECURITY_TOKEN not in overlay:
            os.environ.pop(env.SECURITY_TOKEN, None)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _fixed(now: datetime) -> Callable[[], datetime]:
    return lambda: now


def _direct_spec(event: Mapping[str, Any]) -> Any:
    """The catalogue entry an FC-direct message's own ``eventType`` names (never the body's eventCode)."""
    event_type = event.get("eventType")
    return lookup(None, event_type) if isinstance(event_type, str) else None


def _call(module: ModuleType, payload: bytes, context: Any) -> tuple[list[EventResult], Any, str | None]:
    """Invoke a function as FC would: the typed results, what the handler returned, and its error.

    A :class:`FunctionApp` runs in-process (typed results; the return value derived from them); any
    other ``handler`` is called and its JSON read for the outcome and error of each event.
    """
    app = getattr(module, "app", None)
    try:
        if isinstance(app, FunctionApp):
            result = app.process(payload, context)
            try:
                return result.events, json.loads(result.handler_return()), None
            except DwEventsError as exc:  # RetryBatchError: EventBridge would retry
                return result.events, None, f"{type(exc).__name__}: {exc}"
        returned = module.handler(payload, context)
        parsed = json.loads(returned) if isinstance(returned, (str, bytes)) else returned
    except DwEventsError as exc:
        return [], None, f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # the handler raised: FC would answer UnhandledInvocationError
        logger.exception("function raised")
        return [], None, f"UnhandledInvocationError: {type(exc).__name__}: {exc}"
    events = parsed.get("events") if isinstance(parsed, Mapping) else None
    return (
        [_from_wire(e) for e in events if isinstance(e, Mapping)] if isinstance(events, list) else [],
        parsed,
        None,
    )


def _from_wire(doc: Mapping[str, Any]) -> EventResult:
    """An event result read back from a handler's JSON (only what a report shows)."""
    outcome = doc.get("outcome")
    return EventResult(
        doc.get("message_id"),
        doc.get("type"),
        doc.get("event_code"),
        str(doc.get("function") or ""),
        Outcome(outcome) if outcome in Outcome._value2member_map_ else Outcome.FAILED,
        actions=list(doc.get("actions") or []),
        error=doc.get("error"),
        retry=bool(doc.get("retry")),
    )


def _result_for(report: EventReport, results: list[EventResult], index: int) -> EventResult | None:
    for result in results:
        if report.message_id and result.message_id == report.message_id:
            return result
    return results[index] if index < len(results) else None


def load_fixtures(standin: Any, path: Path) -> None:
    """Load what the stand-in answers (code snapshots, extension parameters, options) from YAML."""
    Fixtures.load(path).apply_to(standin)
