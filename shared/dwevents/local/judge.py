"""Judge events with a rules file through the real function pipeline, sending nothing to DataWorks.

``dwevents replay`` and ``dwevents rules test`` both need "the verdict this function would send for this
event under these rules, and why". Rather than re-implementing the decision, each event goes through
:class:`~dwevents.runtime.FunctionApp` — decoding, trust, routing, deciding, the fail mode — with two
things swapped:

* the DataWorks client's transport is a :class:`RecordingTransport`: verdicts are recorded and
  acknowledged locally, never sent; the read-only lookups (GetIDEEventDetail, GetExtension,
  GetOptionValueForProject) are answered from the fixtures / ``--code`` first, then — when credentials
  are configured — by the real DataWorks API (read-only calls only), else a code lookup fails with
  "code unavailable" (a code rule is never silently OK);
* the policy's clock is the event's own time (what a freeze would have said then), or ``--now``.

Both go in through the seams :class:`~dwevents.runtime.FunctionApp` offers tools
(``dataworks_client``, ``policy_clock``). Notifications, metrics, audit and dead-letter output are switched
off for these runs, and so is recording.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dwevents import env
from dwevents.errors import CloudApiError, DwEventsError
from dwevents.local.overrides import Fixtures, local_account, parse_time, refusal_hint

#: The extension code replies carry when none is configured (they are only recorded).
REPLAY_EXTENSION_CODE = "dwevents-replay"
VERDICT_ACTIONS = frozenset({"UpdateIDEEventResult", "UpdateWorkbenchEventResult", "CallbackExtension"})
READ_ACTIONS = frozenset({"GetIDEEventDetail", "GetExtension", "GetOptionValueForProject"})
UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class RecordedVerdict:
    action: str
    message_id: str
    check_result: str
    tip: str


class CodeUnavailableError(CloudApiError):
    """No snapshot of the event's code: no fixture, no ``--code``, and DataWorks could not give one."""


@dataclass
class RecordingTransport:
    """A DataWorks transport that never writes: verdicts are kept here, lookups answered locally or read."""

    fixtures: Fixtures = field(default_factory=Fixtures)
    #: A real client for the read-only lookups (None: no credentials, local answers only).
    reader: Any = None
    verdicts: list[RecordedVerdict] = field(default_factory=list)
    #: Per message id: where its code came from (``fixtures``, ``--code``, ``GetIDEEventDetail``) or why not.
    code_sources: dict[str, str] = field(default_factory=dict)
    #: Per message id: the snapshot a code rule read.
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def warm(self) -> None:
        """Nothing to import: the reader (if any) warms on first use."""

    def call(self, action: str, params: Mapping[str, Any], *, timeout_s: float) -> dict[str, Any]:
        request_id = f"replay-{uuid.uuid4()}"
        if action in VERDICT_ACTIONS:
            text = str(params.get("CheckMessage", params.get("CheckResultTip", "")))
            with self._lock:
                self.verdicts.append(
                    RecordedVerdict(
                        action, str(params.get("MessageId")), str(params.get("CheckResult")), text
                    )
                )
            return {"RequestId": request_id, "Success": True}
        if action == "GetIDEEventDetail":
            return {"RequestId": request_id, "EventDetail": self._detail(params, timeout_s)}
        if action == "GetExtension":
            code = str(params.get("ExtensionCode"))
            if code in self.fixtures.extensions:
                ext = dict(self.fixtures.extensions[code])
                setting = ext.pop("parameter_setting", ext.pop("ParameterSetting", ""))
                return {"RequestId": request_id, "Extension": {"ParameterSetting": setting or "", **ext}}
            return self._read(action, params, timeout_s) or {"RequestId": request_id, "Extension": {}}
        if action == "GetOptionValueForProject":
            key = (str(params.get("ExtensionCode")), str(params.get("ProjectId")))
            if key in self.fixtures.options:
                return {"RequestId": request_id, "OptionValue": json.dumps(self.fixtures.options[key])}
            if self.fixtures.default_options is not None:
                return {"RequestId": request_id, "OptionValue": json.dumps(self.fixtures.default_options)}
            return self._read(action, params, timeout_s) or {"RequestId": request_id, "OptionValue": "{}"}
        raise CloudApiError(f"{action}: not available in a replay", action=action, code="Replay.NotSupported")

    def _detail(self, params: Mapping[str, Any], timeout_s: float) -> dict[str, Any]:
        message_id = str(params.get("MessageId"))
        own = self.fixtures.event_details.get(message_id)
        if own is not None:
            self.code_sources[message_id], self.details[message_id] = "fixtures", own
            return own
        if self.fixtures.default_detail is not None:
            self.code_sources[message_id] = self.fixtures.code_source or "fixtures"
            self.details[message_id] = self.fixtures.default_detail
            return self.fixtures.default_detail
        why = "no --code, no fixture and no DataWorks credentials to read it"
        if self.reader is not None:
            try:
                body = self.reader.call("GetIDEEventDetail", params, timeout_s=timeout_s)
            except CloudApiError as exc:
                why = f"GetIDEEventDetail: {exc}"
            else:
                detail = body.get("EventDetail")
                if isinstance(detail, Mapping) and detail:
                    self.code_sources[message_id] = "GetIDEEventDetail"
                    self.details[message_id] = dict(detail)
                    return dict(detail)
                why = "GetIDEEventDetail returned no snapshot (expired?)"
        self.code_sources[message_id] = "unavailable"
        self.unavailable[message_id] = why
        raise CodeUnavailableError(
            f"code unavailable: {why}", action="GetIDEEventDetail", code="CodeUnavailable"
        )

    def _read(self, action: str, params: Mapping[str, Any], timeout_s: float) -> dict[str, Any] | None:
        if self.reader is None or action not in READ_ACTIONS:
            return None
        result: dict[str, Any] = self.reader.call(action, params, timeout_s=timeout_s)
        return result


def recording_client(transport: RecordingTransport) -> Any:
    """A real :class:`~dwevents.dataworks.client.DataWorksClient` (verdict mapping, success checks) whose
    transport is ``transport``: nothing it sends leaves the process."""
    from dwevents.dataworks.client import DataWorksClient
    from dwevents.dataworks.settings import DataWorksSettings

    settings = DataWorksSettings(endpoint="dwevents-replay.invalid", protocol="https")
    return DataWorksClient(settings, transport=transport)


def reader_from_env(environ: Mapping[str, str]) -> Any:
    """A real DataWorks client for the read-only lookups, or None without credentials."""
    from dwevents.dataworks.client import DataWorksClient
    from dwevents.dataworks.settings import DataWorksSettings

    try:
        settings = DataWorksSettings.from_env(None, environ=environ)
    except DwEventsError:
        return None
    return DataWorksClient(settings) if settings.has_credentials else None


# ================================================================================================
# Judging
# ================================================================================================


@dataclass
class Judgement:
    """What one rules file makes of one event: the function's outcome and the verdict it would send."""

    outcome: str
    message_id: str | None = None
    type: str | None = None
    event_code: str | None = None
    result: str | None = None
    rule: str | None = None
    tip: str | None = None
    origin: str | None = None
    code: str | None = None
    error: str | None = None
    clock: str | None = None
    #: The code snapshot a code rule read (not part of the report).
    detail: dict[str, Any] | None = field(default=None, repr=False)

    def verdict_dict(self) -> dict[str, Any] | None:
        if self.result is None:
            return None
        return {
            "result": self.result,
            "rule": self.rule,
            "tip": self.tip,
            "origin": self.origin,
            "code": self.code,
        }


def event_time(document: Any) -> datetime | None:
    """The instant a delivered event happened (CloudEvent ``time``), if it says."""
    if not isinstance(document, Mapping):
        return None
    for key in ("time", "aliyunpublishtime"):
        value = document.get(key)
        if isinstance(value, str) and value:
            try:
                return parse_time(value, key)
            except DwEventsError:
                continue
    return None


class Judge:
    """One rules file, one :class:`FunctionApp` per category, all sharing a recording transport."""

    def __init__(
        self,
        rules: str | Path | None,
        *,
        environ: Mapping[str, str],
        transport: RecordingTransport,
        now: datetime | None = None,
        function_timeout_s: int = 60,
    ) -> None:
        self.rules = str(rules) if rules is not None else None
        self.environ = dict(environ)
        self.transport = transport
        self.now = now
        self.timeout_s = function_timeout_s
        self._apps: dict[str, Any] = {}
        self._clock_value: datetime = datetime.now(timezone.utc)

    def _clock(self) -> datetime:
        return self._clock_value

    # -- building the functions ------------------------------------------------------------------

    def _environ(self) -> dict[str, str]:
        environ = dict(self.environ)
        for name in (env.REDIS_URL, env.WEBHOOK_URL, env.WEBHOOK_SECRET, env.RECORD):
            environ.pop(name, None)
        if self.rules is not None:
            environ[env.RULES_FILE] = self.rules
        else:
            environ.pop(env.RULES_FILE, None)
        environ.setdefault(env.EXTENSION_CODE, REPLAY_EXTENSION_CODE)
        return environ

    def settings(self) -> Any:
        """The configured settings with every side effect switched off (and these rules)."""
        from dwevents.config import (
            AuditConfig,
            DeadLetterConfig,
            IdempotencyConfig,
            MetricsConfig,
            NotificationsConfig,
            load_settings,
        )

        settings = load_settings(environ=self._environ())
        if self.rules is None:
            settings.extension.rules_file = None
        return settings.model_copy(
            update={
                "notifications": NotificationsConfig(default_routes=False),
                "audit": AuditConfig(log=False),
                "metrics": MetricsConfig(enabled=False),
                "dead_letter": DeadLetterConfig(),
                "idempotency": IdempotencyConfig(),
            }
        )

    def app(self, category: str) -> Any:
        if category not in self._apps:
            from dwevents.runtime import FunctionApp

            self._apps[category] = FunctionApp(
                category,
                settings=self.settings(),
                environ=self._environ(),
                dataworks_client=recording_client(self.transport),
                policy_clock=self._clock,
            )
        return self._apps[category]

    # -- one event -------------------------------------------------------------------------------

    def judge(self, payload: bytes, document: Any, *, now: datetime | None = None) -> Judgement:
        """Run one delivery through its category's function; the first event's outcome and verdict."""
        from dwevents.envelope import decode_batch
        from dwevents.errors import DecodeError
        from dwevents.local.fc_context import FunctionMeta, local_context

        try:
            items = decode_batch(payload)
        except DecodeError as exc:
            return Judgement("failed", error=str(exc))
        item = items[0] if items else DecodeError("no event")
        if isinstance(item, DecodeError):
            return Judgement("failed", error=str(item))
        base = Judgement("unrouted", item.message_id, item.type, item.event_code)
        category = item.category
        if category is None:
            base.error = f"no function handles type {item.type!r}"
            return base
        self._clock_value = now or self.now or event_time(document) or datetime.now(timezone.utc)
        base.clock = self._clock_value.isoformat()
        app = self.app(category)
        context = local_context(
            FunctionMeta(name=f"dwevents-replay-{category}", timeout=self.timeout_s),
            account_id=local_account(document, self.environ),
        )
        result = app.process(payload, context)
        first = result.events[0] if result.events else None
        if first is None:
            base.outcome, base.error = "failed", "the function reported no result"
            return base
        base.outcome, base.error = first.outcome.value, first.error
        if base.outcome == "refused":
            base.error = refusal_hint(base.error, self.environ)
        if first.verdict is not None:
            base.result, base.rule = first.verdict.result.value, first.verdict.rule
            base.tip, base.origin = first.verdict.tip, first.verdict.origin
        message_id = item.message_id or ""
        base.code = self.transport.code_sources.pop(message_id, None)
        base.detail = self.transport.details.pop(message_id, None)
        why = self.transport.unavailable.pop(message_id, None)
        if why is not None and base.origin in ("fail-open", "fail-closed"):
            base.result, base.rule, base.tip = UNKNOWN, None, f"code unavailable: {why}"
        return base
