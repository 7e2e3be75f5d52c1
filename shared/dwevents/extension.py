"""Extension points: decide inside a deadline, then reply exactly once, whatever happens.

Learned from crhelper (https://github.com/aws-cloudformation/custom-resource-helper): the deadline
comes from the invocation context (time left minus a safety margin, capped by configuration); anything
that goes wrong while deciding turns into the configured fail-open (OK/WARN) or fail-closed (FAIL)
verdict with a tip saying why.

Where the decision runs (issue 12: a thread hand-off cost more than all the rest of a warm verdict):

* **inline**, on the invocation's thread, when nothing in it can block past its share of the time: the
  rules alone (no ``@app.decide`` decider). The rules engine is CPU work bounded by the rules and the
  event, and its DataWorks lookups carry their deadline: each call's timeout is the time left until
  ``decide_by``, and the lean transport bounds the connect, the write and every read of the answer by
  it (:mod:`dwevents.dataworks.lean`), so a lookup that hangs raises a timeout → the fail-mode verdict,
  in time. A transport that bounds each read on its own only (the SDK) keeps lookups in a worker.
  (A pathological regular expression is no argument for a worker: the ``re`` engine holds the GIL for the
  whole match, so a waiting caller could not send the fail-mode verdict in the meantime either.)
* **in a pooled worker thread** (:mod:`dwevents.workerpool`) when a decider runs: user code may block
  (a hung HTTP call, a lock, a sleep) and is abandoned at the deadline.

Who decides: the rules file, a decider registered with ``@app.decide``, or both — then the stricter
verdict wins (FAIL over WARN over OK; on a tie the decider's, whose tip is the more specific).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from dwevents import env, logs
from dwevents.catalogue import ReplyApi
from dwevents.config import ExtensionConfig
from dwevents.context import Invocation
from dwevents.envelope import DataWorksEvent
from dwevents.results import VerdictReport
from dwevents.router import Decider
from dwevents.verdict import CheckResult, Verdict
from dwevents.workerpool import WorkerPool

if TYPE_CHECKING:
    from dwevents.dataworks.client import DataWorksClient
    from dwevents.policy import PolicyEngine

logger = logging.getLogger(__name__)

#: Share of the time left that deciding may use; the rest is kept for the reply and its retries.
DECIDE_SHARE = 0.6
#: What a decider may return besides a Verdict or a CheckResult (case and spaces ignored). ``Fail`` is
#: how Operation Center's English page spells it; it means FAIL.
RESULT_NAMES = {name: CheckResult[name] for name in CheckResult.__members__}


def as_verdict(value: Any, decider: str = "the decider") -> Verdict:
    """What a decider returned, as a Verdict: a Verdict, a CheckResult, or one of the strings
    ``OK`` / ``WARN`` / ``FAIL`` (any case). Anything else raises TypeError naming what came back,
    which the caller turns into the fail-mode verdict."""
    if isinstance(value, Verdict):
        return value
    if isinstance(value, CheckResult):
        return Verdict(value, "", None, "decider")
    if isinstance(value, str) and value.strip().upper() in RESULT_NAMES:
        return Verdict(RESULT_NAMES[value.strip().upper()], "", None, "decider")
    shown = repr(value) if isinstance(value, str) else type(value).__name__
    raise TypeError(f"{decider} returned {shown[:60]}, not a Verdict or OK/WARN/FAIL")


def stricter(rules: Verdict, decider: Verdict) -> Verdict:
    """The verdict that blocks more; the decider's on a tie."""
    return rules if rules.result.severity > decider.result.severity else decider


class ExtensionService:
    """Owns the rules, the DataWorks client and the verdict flow for one function instance."""

    def __init__(
        self,
        config: ExtensionConfig,
        *,
        policy: PolicyEngine | None,
        environ: Mapping[str, str] | None = None,
        client: DataWorksClient | None = None,
    ) -> None:
        from dwevents.policy import ExtensionParamCache

        self.config = config
        self.policy = policy
        self.environ = os.environ if environ is None else environ
        self._client = client
        self._pinned = client is not None  # a client given by the caller (tests, replay) is used as is
        #: The credentials the current client was built for (see :meth:`client_for`).
        self._client_key: tuple[Any, ...] | None = None
        self._lock = threading.Lock()
        self.param_cache = ExtensionParamCache(ttl_s=config.extension_params_cache_seconds)
        #: Where decisions run (a hung one is abandoned at its deadline, see dwevents/workerpool.py).
        self.workers = WorkerPool("decide")

    # -- wiring ----------------------------------------------------------------------------------

    def client_for(self, context: Any) -> DataWorksClient:
        """The client for this invocation's credentials.

        FC rotates the role's STS credentials during an instance's life (python3.10 hands fresh ones in
        the context, python3.12 in the environment), so they are read per invocation and the client is
        rebuilt when they change; the SDK itself is imported only once per process. The rest of the
        settings (endpoint, region, protocol, timeout, transport) is the function's configuration, fixed
        for an instance's life (FC starts new instances when it changes): reading the credentials alone
        keeps this off the verdict's path (building the settings from ``os.environ`` costs ~25 µs).
        """
        if self._pinned:
            assert self._client is not None
            return self._client
        key = self._credentials_key(context)
        client = self._client
        if client is not None and key == self._client_key:
            return client
        from dwevents.dataworks.client import DataWorksClient
        from dwevents.dataworks.settings import DataWorksSettings

        api = self.config.dataworks
        settings = DataWorksSettings.from_env(
            context, environ=self.environ, endpoint=api.endpoint, protocol=api.protocol, vpc=api.vpc
        )
        with self._lock:
            if self._client is None or self._client.settings != settings:
                self._client = DataWorksClient(settings)
            self._client_key = key
            return self._client

    def _credentials_key(self, context: Any) -> tuple[Any, ...]:
        """What may change between invocations of one instance: the credentials (context, environment)."""
        creds = getattr(context, "credentials", None) if context is not None else None
        environ = self.environ
        return (
            getattr(creds, "access_key_id", None),
            getattr(creds, "access_key_secret", None),
            getattr(creds, "security_token", None),
            getattr(context, "region", None) if context is not None else None,
            environ.get(env.ACCESS_KEY_ID),
            environ.get(env.ACCESS_KEY_SECRET),
            environ.get(env.SECURITY_TOKEN),
        )

    def warm(self) -> None:
        """Import the transport and build the client once per instance (FC initializer)."""
        self.client_for(None).warm()

    @property
    def code(self) -> str | None:
        return self.config.code or None

    def can_answer(self, event: DataWorksEvent) -> bool:
        """An FC-direct message is answered by the return value; every other API needs the code."""
        return event.reply_api is ReplyApi.RETURN or self.code is not None

    # -- the flow --------------------------------------------------------------------------------

    def deadline(self, invocation: Invocation) -> float:
        """The monotonic instant by which the verdict must be out (margin kept, capped)."""
        now = time.monotonic()
        # The margin never takes more than a quarter of the function's timeout: a short timeout still
        # leaves time to decide and answer.
        margin = min(self.config.deadline_margin_ms / 1000.0, invocation.timeout_s * 0.25)
        by_context = invocation.deadline - margin
        return max(now, min(by_context, now + self.config.max_decision_ms / 1000.0))

    def decide(
        self,
        event: DataWorksEvent,
        invocation: Invocation,
        deadline: float,
        *,
        decider: Decider | None = None,
    ) -> Verdict:
        """The rules' and/or the decider's verdict, or the fail-mode verdict when deciding raises, returns
        something that is not a verdict, or runs past its share of the time."""
        from dwevents.policy import Enricher

        now = time.monotonic()
        decide_by = now + max(0.0, (deadline - now) * DECIDE_SHARE)
        enricher = Enricher(
            lambda: self.client_for(invocation.context), self.code, self.param_cache, deadline=decide_by
        )
        use_rules = decider is None or decider.rules

        def run() -> Verdict:
            verdict = None
            if use_rules:
                if self.policy is None:
                    raise RuntimeError("no rules loaded")
                verdict = self.policy.evaluate(event, enricher)
            if decider is not None:
                own = as_verdict(decider.fn(event, invocation), f"decider {decider.name}")
                verdict = own if verdict is None else stricter(verdict, own)
            assert verdict is not None
            return verdict

        try:
            if self._inline(event, invocation, decider):
                done, value = True, run()
            else:
                done, value = self.workers.run(run, timeout=decide_by - time.monotonic())
        except BaseException as exc:
            logger.error(
                "deciding failed: %s: %s; sending the %s verdict",
                type(exc).__name__,
                logs.describe(exc),
                self.config.fail_mode,
                exc_info=exc,
            )
            return self.fail_mode(f"the check failed ({type(exc).__name__}: {logs.describe(exc)})")
        if not done:
            waited = int((time.monotonic() - now) * 1000)
            logger.error("no verdict within %d ms; sending the %s verdict", waited, self.config.fail_mode)
            return self.fail_mode(f"the check did not finish within {waited} ms")
        verdict: Verdict = value
        if logger.isEnabledFor(logging.DEBUG):  # the audit record of the event says it (one INFO line)
            logger.debug("verdict %s by rule %s", verdict.result.value, verdict.rule)
        return verdict

    def _inline(self, event: DataWorksEvent, invocation: Invocation, decider: Decider | None) -> bool:
        """Whether nothing in the decision can block past its deadline (see the module docstring): the
        rules alone, when they fetch nothing from DataWorks (GetExtension, cached per extension code, is
        not counted) or the transport bounds whole calls by their timeout. A decider runs in a worker."""
        if decider is not None or self.policy is None:
            return False
        if not self.policy.needs_dataworks_data(event):
            return True
        return self.client_for(invocation.context).deadline_bounded

    def fail_mode(self, why: str) -> Verdict:
        """The configured verdict for "could not decide", with a tip saying why."""
        result = CheckResult(self.config.fail_mode)
        origin = "fail-closed" if result is CheckResult.FAIL else "fail-open"
        tip = f"dwevents: {logs.redact(why)}; {origin} ({result.value}) by configuration"
        return Verdict(result, tip, None, origin)

    def send(
        self, event: DataWorksEvent, verdict: Verdict, invocation: Invocation, deadline: float | None = None
    ) -> VerdictReport:
        """Reply once (retrying transient failures inside the deadline); never raises for transport
        problems: the report says whether DataWorks acknowledged."""
        api = event.reply_api or ReplyApi.CALLBACK_EXTENSION
        if api is ReplyApi.RETURN:
            now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
            return VerdictReport(
                verdict.result,
                api,
                verdict.tip,
                verdict.rule,
                verdict.origin,
                True,
                0,
                verdict.result.value,
                now,
            )
        if self.code is None:
            raise RuntimeError("an extension code is required to send a verdict through the API")
        from dwevents.dataworks.reply import send_verdict

        if deadline is None:
            deadline = self.deadline(invocation)
        try:
            client = self.client_for(invocation.context)
            receipt = send_verdict(
                client,
                api,
                message_id=event.message_id,
                extension_code=self.code,
                verdict=verdict,
                deadline=deadline,
            )
        except Exception as exc:  # no client (bad credentials setup) or a bug: not acknowledged, say why
            logger.error(
                "verdict %s not sent: %s: %s", verdict.result.value, type(exc).__name__, logs.describe(exc)
            )
            return VerdictReport(
                verdict.result,
                api,
                verdict.tip,
                verdict.rule,
                verdict.origin,
                acknowledged=False,
                error=logs.error_text(f"{type(exc).__name__}: {logs.describe(exc)}"),
                error_code=type(exc).__name__,
            )
        if not receipt.acknowledged:
            logger.error(
                "verdict %s not acknowledged by DataWorks after %d attempt(s): %s",
                verdict.result.value,
                receipt.attempts,
                logs.error_text(receipt.error),
            )
        return VerdictReport(
            verdict.result,
            api,
            verdict.tip,
            verdict.rule,
            verdict.origin,
            acknowledged=receipt.acknowledged,
            attempts=receipt.attempts,
            sent_as=receipt.result_sent,
            sent_at=receipt.sent_at.isoformat(timespec="milliseconds") if receipt.sent_at else None,
            request_id=receipt.request_id,
            error=logs.error_text(receipt.error),
            error_code=receipt.error_code,
        )

    def answer(
        self, event: DataWorksEvent, invocation: Invocation, *, decider: Decider | None = None
    ) -> VerdictReport:
        """Decide, then send: the whole verdict flow for a first delivery."""
        deadline = self.deadline(invocation)
        return self.send(
            event, self.decide(event, invocation, deadline, decider=decider), invocation, deadline
        )


def stored_verdict(record: Mapping[str, Any]) -> Verdict | None:
    """The verdict an idempotency record kept (origin ``stored``), or None when it kept none."""
    if not isinstance(record, Mapping) or record.get("result") not in RESULT_NAMES:
        return None
    rule = record.get("rule")
    return Verdict.from_dict(
        {
            "result": str(record["result"]),
            "tip": str(record.get("tip") or ""),
            "rule": rule if isinstance(rule, str) else None,
            "origin": "stored",
        }
    )
