"""The guaranteed send: one verdict to DataWorks, retried inside the invocation's deadline.

Why its own module: DataWorks keeps the user's operation in "Checking" until the extension answers, so
a verdict lost to a throttle or a network blip blocks a person. :func:`send_verdict` maps the verdict to
the wire once (:func:`~dwevents.dataworks.wire.wire_verdict`), retries transient failures (429, 5xx,
connection errors, timeouts) with full-jitter exponential backoff (:mod:`dwevents.retry`) until
``deadline``, sizes each attempt to the time left, stops at once on a permanent error (a 4xx such as
``SignatureDoesNotMatch``, logged with the DataWorks error code), and never raises for transport errors:
it returns a :class:`ReplyReceipt` and the caller decides (dead-letter, alert, EventBridge retry).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from dwevents.catalogue import ReplyApi
from dwevents.dataworks.client import DataWorksClient
from dwevents.dataworks.wire import wire_verdict
from dwevents.errors import CloudApiError
from dwevents.retry import Backoff
from dwevents.verdict import Verdict

logger = logging.getLogger(__name__)

#: Full jitter, first ceiling 0.1 s, doubling per failed attempt up to 2 s.
BACKOFF = Backoff(base=0.1, cap=2.0, jitter="full")
#: Below this much time left an attempt cannot complete; give up instead of sending a doomed request.
MIN_ATTEMPT_S = 0.05


@dataclass(frozen=True)
class ReplyReceipt:
    """What happened to one verdict. ``result_sent`` / ``tip_sent`` are the exact wire values (e.g.
    ``OK`` and a ``WARN:``-prefixed tip for Operation Center); ``sent_at`` is when the acknowledged
    attempt started (UTC); ``request_id`` is DataWorks' id of the last answer, success or error."""

    api: str
    result_sent: str
    tip_sent: str
    acknowledged: bool
    attempts: int
    sent_at: datetime | None
    request_id: str | None
    error: str | None
    error_code: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "result_sent": self.result_sent,
            "tip_sent": self.tip_sent,
            "acknowledged": self.acknowledged,
            "attempts": self.attempts,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "request_id": self.request_id,
            "error": self.error,
            "error_code": self.error_code,
        }


def send_verdict(
    client: DataWorksClient,
    api: ReplyApi,
    *,
    message_id: str,
    extension_code: str,
    verdict: Verdict,
    deadline: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    backoff: Backoff = BACKOFF,
) -> ReplyReceipt:
    """Send ``verdict`` through ``api`` and keep trying transient failures until ``deadline``
    (a ``time.monotonic()`` instant). Raises only ValueError for ``ReplyApi.RETURN``."""
    if api is ReplyApi.RETURN:
        raise ValueError(
            "ReplyApi.RETURN is answered by the function's return value; send_verdict does not apply"
        )
    wire = wire_verdict(api, verdict.result.value, verdict.tip)
    cap = client.settings.attempt_timeout_s
    started = clock()
    attempts = 0
    error: str | None = "deadline reached before the first attempt"
    error_code: str | None = "DeadlineExceeded"
    request_id: str | None = None

    def receipt(acknowledged: bool, sent_at: datetime | None = None) -> ReplyReceipt:
        return ReplyReceipt(
            api.value,
            wire.check_result,
            wire.text,
            acknowledged,
            attempts,
            sent_at,
            request_id,
            None if acknowledged else error,
            None if acknowledged else error_code,
        )

    while (left := deadline - clock()) >= MIN_ATTEMPT_S:
        attempts += 1
        sent_at = datetime.now(timezone.utc)
        try:
            body = client.reply(wire, message_id, extension_code, timeout_s=min(cap, left))
        except CloudApiError as exc:
            error, error_code = str(exc), exc.code or None
            request_id = exc.request_id or request_id
            if not exc.transient:
                logger.error(
                    "verdict %s for message %s rejected by DataWorks (%s, HTTP %s): not retried",
                    api.value,
                    message_id,
                    exc.code or "no code",
                    exc.status,
                )
                return receipt(False)
            # Never sleep away more than half of what is left: a last attempt beats giving up early.
            left = deadline - clock()
            delay = min(backoff.delay(attempts), max(0.0, left / 2))
            logger.warning(
                "verdict %s for message %s: attempt %d failed (%s, HTTP %s); %s",
                api.value,
                message_id,
                attempts,
                exc.code or "no code",
                exc.status,
                f"retrying in {delay:.2f}s" if left - delay >= MIN_ATTEMPT_S else "no time left",
            )
            if left - delay < MIN_ATTEMPT_S:
                break
            sleep(delay)
            continue
        except Exception as exc:  # a bug or a broken install must not take the invocation down
            error, error_code = f"{type(exc).__name__}: {exc}", type(exc).__name__
            logger.exception("verdict %s for message %s: unexpected error", api.value, message_id)
            return receipt(False)
        request_id = str(body.get("RequestId") or "") or None
        # DEBUG: the event's audit record carries the verdict, its acknowledgement and request id (one
        # INFO line per event); failures above stay WARNING / ERROR lines of their own.
        logger.debug(
            "verdict %s=%s for message %s acknowledged after %d attempt(s) in %.0f ms (request %s)",
            api.value,
            wire.check_result,
            message_id,
            attempts,
            (clock() - started) * 1000,
            request_id,
        )
        return receipt(True, sent_at)
    logger.error(
        "verdict %s for message %s NOT acknowledged by the deadline after %d attempt(s): %s",
        api.value,
        message_id,
        attempts,
        error_code,
    )
    return receipt(False)
