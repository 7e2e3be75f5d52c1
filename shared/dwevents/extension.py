"""Extension points: decide inside a deadline, then reply exactly once, whatever happens.

Learned from crhelper: the deadline comes from the invocation context (time left minus a safety
margin, capped by configuration); deciding runs in a worker thread so a hung rule or a slow
enrichment call cannot eat the time the reply needs; anything that goes wrong while deciding turns
into the configured fail-open (OK/WARN) or fail-closed (FAIL) verdict with a tip saying why.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from dwevents.catalogue import ReplyApi
from dwevents.config import ExtensionConfig
from dwevents.context import Invocation
from dwevents.envelope import DataWorksEvent
from dwevents.errors import ConfigError
from dwevents.verdict import CheckResult, Verdict

if TYPE_CHECKING:
    from dwevents.dataworks import DataWorksClient
    from dwevents.policy import PolicyEngine

logger = logging.getLogger(__name__)

#: Share of the time left that deciding may use; the rest is kept for the reply and its retries.
DECIDE_SHARE = 0.6


def as_verdict(value: Any) -> Verdict:
    """What a registered action may return for an extension point: a Verdict, a CheckResult, or
    "OK" / "WARN" / "FAIL" (case-insensitive); anything else is a bug in the action."""
    if isinstance(value, Verdict):
        return value
    if isinstance(value, CheckResult):
        return Verdict(value, "", None, "action")
    if isinstance(value, str) and value.upper() in CheckResult.__members__:
        return Verdict(CheckResult(value.upper()), "", None, "action")
    raise TypeError(f"an extension action must return a Verdict or OK/WARN/FAIL, not {type(value).__name__}")


class ExtensionService:
    """Owns the policy, the DataWorks client and the verdict flow for one function instance."""

    def __init__(
        self,
        config: ExtensionConfig,
        *,
        environ: Mapping[str, str] | None = None,
        client: DataWorksClient | None = None,
        policy: PolicyEngine | None = None,
    ) -> None:
        self.config = config
        self.environ = os.environ if environ is None else environ
        self._client = client
        self._pinned = client is not None  # a client given by the caller (tests) is used as is
        self._lock = threading.Lock()
        from dwevents.policy import ExtensionParamCache, PolicyEngine

        self.policy = policy or PolicyEngine.load(config.rules_file)
        self.param_cache = ExtensionParamCache(ttl_s=config.extension_params_cache_seconds)

    # -- wiring ----------------------------------------------------------------------------------

    @property
    def client(self) -> DataWorksClient:
        return self.client_for(None)

    def client_for(self, context: Any) -> DataWorksClient:
        """The client for this invocation's credentials.

        FC rotates the role's STS credentials during an instance's life (python3.10 hands fresh ones in
        the context, python3.12 in the environment), so the settings are read per invocation and the
        client is rebuilt when they change; the SDK itself is imported only once per process.
        """
        if self._pinned:
            assert self._client is not None
            return self._client
        from dwevents.dataworks import DataWorksClient, DataWorksSettings

        settings = DataWorksSettings.from_env(context, environ=self.environ)
        api = self.config.dataworks
        if api.endpoint:
            settings = dataclasses.replace(settings, endpoint=api.endpoint, protocol=api.protocol)
        elif api.vpc and settings.region and settings.endpoint.startswith("dataworks."):
            settings = dataclasses.replace(settings, endpoint=f"dataworks-vpc.{settings.region}.aliyuncs.com")
        with self._lock:
            if self._client is None or self._client.settings != settings:
                self._client = DataWorksClient(settings)
            return self._client

    def warm(self) -> None:
        """Import the SDK and build the client once per instance (FC initializer)."""
        self.client.warm()

    @property
    def extension_code(self) -> str:
        if not self.config.code:
            raise ConfigError(
                "an extension code is required to answer extension points",
                key="extension.code (DWEVENTS_EXTENSION_CODE)",
            )
        return self.config.code

    # -- the flow --------------------------------------------------------------------------------

    def handle(
        self, event: DataWorksEvent, invocation: Invocation, decide: Callable[[], Any] | None = None
    ) -> dict[str, Any]:
        """Decide (the policy, or ``decide`` when an action is registered) and reply. Never raises for
        policy, action or transport problems; the report says what happened."""
        deadline = self._deadline(invocation)
        client = self.client_for(invocation.context)
        verdict = self.decide(event, deadline, client, decider=decide)
        return self._send(event, verdict, deadline, client)

    def resend(
        self, event: DataWorksEvent, stored: Mapping[str, Any], invocation: Invocation
    ) -> dict[str, Any]:
        """A duplicate delivery: send the verdict decided the first time, do not decide again."""
        verdict = Verdict(
            CheckResult(str(stored["result"])), str(stored.get("tip") or ""), stored.get("rule"), "stored"
        )
        return self._send(event, verdict, self._deadline(invocation), self.client_for(invocation.context))

    def _deadline(self, invocation: Invocation) -> float:
        now = time.monotonic()
        # The margin never takes more than a quarter of the function's timeout: a short timeout still
        # leaves time to decide and answer.
        margin = min(self.config.deadline_margin_ms / 1000.0, invocation.timeout_s * 0.25)
        by_context = invocation.deadline - margin
        return max(now, min(by_context, now + self.config.max_decision_ms / 1000.0))

    def decide(
        self,
        event: DataWorksEvent,
        deadline: float,
        client: DataWorksClient | None = None,
        *,
        decider: Callable[[], Any] | None = None,
    ) -> Verdict:
        """The policy's verdict, or the fail-mode verdict when it raises or runs past its share of time."""
        from dwevents.policy import Enricher

        now = time.monotonic()
        decide_by = now + max(0.0, (deadline - now) * DECIDE_SHARE)
        box: dict[str, Any] = {}
        enricher = Enricher(
            lambda: client or self.client,
            self.extension_code if self.config.code else None,
            self.param_cache,
            deadline=decide_by,
        )

        def run() -> None:
            try:
                if decider is None:
                    box["verdict"] = self.policy.evaluate(event, enricher)
                else:
                    box["verdict"] = as_verdict(decider())
            except BaseException as exc:
                box["error"] = exc

        worker = threading.Thread(target=run, name=f"policy-{event.message_id}", daemon=True)
        worker.start()
        worker.join(timeout=max(0.0, decide_by - time.monotonic()))
        if worker.is_alive():
            waited = int((time.monotonic() - now) * 1000)
            logger.error(
                "policy did not decide within %d ms; sending the %s verdict", waited, self.config.fail_mode
            )
            return self._fail_mode(f"the check did not finish within {waited} ms")
        if "error" in box:
            exc = box["error"]
            logger.error(
                "policy failed: %s: %s; sending the %s verdict",
                type(exc).__name__,
                exc,
                self.config.fail_mode,
                exc_info=exc,
            )
            return self._fail_mode(f"the check failed ({type(exc).__name__}: {exc})")
        verdict: Verdict = box["verdict"]
        logger.info("verdict %s%s", verdict.result.value, f" by rule {verdict.rule}" if verdict.rule else "")
        return verdict

    def _fail_mode(self, why: str) -> Verdict:
        result = CheckResult(self.config.fail_mode)
        origin = "fail-closed" if result is CheckResult.FAIL else "fail-open"
        return Verdict(result, f"dwevents: {why}; {origin} ({result.value}) by configuration", None, origin)

    def _send(
        self, event: DataWorksEvent, verdict: Verdict, deadline: float, client: DataWorksClient
    ) -> dict[str, Any]:
        api = event.reply_api or ReplyApi.CALLBACK_EXTENSION
        report: dict[str, Any] = {
            "result": verdict.result.value,
            "api": api.value,
            "tip": verdict.tip,
            "rule": verdict.rule,
            "origin": verdict.origin,
        }
        if api is ReplyApi.RETURN:
            report.update(
                acknowledged=True,
                attempts=0,
                sent_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            )
            return report
        from dwevents.reply import send_verdict

        receipt = send_verdict(
            client,
            api,
            message_id=event.message_id,
            extension_code=self.extension_code,
            verdict=verdict,
            deadline=deadline,
        )
        report.update(
            acknowledged=receipt.acknowledged,
            attempts=receipt.attempts,
            sent_as=receipt.result_sent,
            sent_at=receipt.sent_at.isoformat(timespec="milliseconds") if receipt.sent_at else None,
            request_id=receipt.request_id,
            error=receipt.error,
            error_code=receipt.error_code,
        )
        if not receipt.acknowledged:
            logger.error(
                "verdict %s not acknowledged by DataWorks after %d attempt(s): %s",
                verdict.result.value,
                receipt.attempts,
                receipt.error,
            )
        return report
