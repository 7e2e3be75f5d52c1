"""One signed HTTPS POST with a hard deadline, retried while it may still pass.

Why hand-rolled on :mod:`urllib`: the platform SDKs (and ``requests``) would slow every Function
Compute cold start for what is one POST. What this module guarantees, whatever the platform:

* a **hard deadline** — the socket timeout after connecting is the time left, so a server that holds
  its answer cannot keep the invocation past the caller's :func:`time.monotonic` instant;
* **redirects are refused** — a redirected POST would become a GET and could carry a signed URL to
  another host, so a 3xx is reported as a failure;
* a **bounded read** — at most 64 KiB of any answer is read;
* **retries** of what may pass later (transport errors, HTTP 408/425/429/5xx, a platform's rate-limit
  codes) with the package's one backoff, :class:`dwevents.retry.Backoff` ("equal" jitter: rate-limited
  webhooks are never hammered), waiting at least what ``Retry-After`` asks — delay-seconds or an
  HTTP-date, RFC 9110 "HTTP Semantics" §10.2.3, https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3;
* **scrubbed errors** — every error text passes the channel's :class:`Scrubber` before anyone sees it.
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from dwevents.redact import url_secrets
from dwevents.retry import Backoff

__all__ = ["Attempts", "Outcome", "Response", "RetryPolicy", "Scrubber", "http_outcome", "post",
           "retry_until"]

logger = logging.getLogger("dwevents.actions.notify")

USER_AGENT = "dwevents-notify/1"
MAX_RESPONSE_BYTES = 64 * 1024
_RETRY_HTTP = frozenset({408, 425, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a channel tries. The caller's deadline always wins over these numbers."""

    max_attempts: int = 5
    base_delay: float = 0.25  # seconds; attempt n waits ~base · 2^(n-1), jittered
    max_delay: float = 4.0
    attempt_timeout: float = 10.0  # per HTTP attempt, further capped by the time left
    min_attempt_time: float = 0.05  # don't start an attempt with less time than this left

    @property
    def backoff(self) -> Backoff:
        return Backoff(base=self.base_delay, cap=self.max_delay, jitter="equal")


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to; ``transient`` failures are retried, after ``retry_after`` at least."""

    ok: bool
    status: int | None
    error: str | None = None
    transient: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def excerpt(self, limit: int = 200) -> str:
        text = self.body.decode("utf-8", "replace").strip().replace("\n", " ")
        return text if len(text) <= limit else text[:limit] + "…"

    def retry_after(self, now: float | None = None) -> float | None:
        """Seconds the server asked us to wait (``Retry-After``: delay-seconds or an HTTP-date)."""
        value = {k.lower(): v for k, v in self.headers.items()}.get("retry-after")
        if value is None:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        import email.utils  # only for an HTTP-date Retry-After: the module costs cold-start time

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Scrubber:
    """Replaces a channel's secrets (and their URL-encoded forms) by ``***`` in any text."""

    def __init__(self, url: str | None = None, secrets: Iterable[str | None] = (), *,
                 hide_params: Iterable[str] = ()) -> None:
        found = {s for s in secrets if s}
        if url:
            found |= {url, *url_secrets(url)}
        self._secrets = sorted(found, key=len, reverse=True)  # longest first: a URL before its token
        #: Query parameters whose value changes per request (a signature): hidden wherever they appear.
        self._params = [re.compile(rf"(\b{re.escape(name)}=)[^&\s\"']+") for name in hide_params]

    def __call__(self, text: str) -> str:
        for pattern in self._params:
            text = pattern.sub(r"\1***", text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
            quoted = urllib.parse.quote_plus(secret)
            if quoted != secret:
                text = text.replace(quoted, "***")
        return text


# --------------------------------------------------------------------------------------------
# One POST
# --------------------------------------------------------------------------------------------


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float, deadline: float) -> Response:
    """POST once. HTTP error statuses are returned; transport failures raise OSError/HTTPException.

    The HTTP machinery is imported on the first send (see :mod:`dwevents.actions.notify._http`)."""
    from dwevents.actions.notify import _http

    status, data, got = _http.post(
        url, body, {"User-Agent": USER_AGENT, **headers}, timeout=timeout, deadline=deadline,
        max_bytes=MAX_RESPONSE_BYTES,
    )
    return Response(status, data, got)


def post_json(url: str, payload: Mapping[str, Any], *, timeout: float, deadline: float,
              headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return post(url, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
                timeout=timeout, deadline=deadline)


def http_outcome(resp: Response) -> Outcome | None:
    """The outcome when the HTTP status alone decides (errors); None when the body must be read."""
    if resp.status in _RETRY_HTTP or resp.status >= 500:
        return Outcome(False, resp.status, f"HTTP {resp.status}: {resp.excerpt()}", transient=True,
                       retry_after=resp.retry_after())
    if 300 <= resp.status < 400:
        return Outcome(False, resp.status, f"HTTP {resp.status}: redirect not followed")
    return None


def _transport_error(exc: BaseException) -> bool:
    """OSError (URLError is one) or ``http.client.HTTPException``: what a failed POST raises. The HTTP
    module is imported only by a send, so an HTTPException can exist only when it was."""
    if isinstance(exc, OSError):
        return True
    client = sys.modules.get("http.client")
    return client is not None and isinstance(exc, client.HTTPException)


def _describe(exc: BaseException) -> str:
    error = sys.modules.get("urllib.error")
    if error is not None and isinstance(exc, error.URLError) and not isinstance(exc, error.HTTPError):
        reason = exc.reason
        return f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else str(reason)
    return f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------------------------
# Retries until the deadline
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempts:
    """What :func:`retry_until` came to: the last outcome, how many attempts, and why it stopped."""

    last: Outcome | None
    count: int
    stop_reason: str = ""
    sent_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.last is not None and self.last.ok

    @property
    def error(self) -> str | None:
        if self.ok:
            return None
        error = self.last.error if self.last and self.last.error else "not sent"
        if self.stop_reason:
            error = f"{error} ({self.stop_reason})" if self.last else self.stop_reason
        return error


def retry_until(attempt: Callable[[float], Outcome], *, deadline: float, policy: RetryPolicy,
                scrub: Callable[[str], str] = str, label: str = "",
                sleep: Callable[[float], None] = time.sleep,
                rng: Callable[[float, float], float] = random.uniform) -> Attempts:
    """Call ``attempt(timeout)`` until it succeeds, fails for good, runs out of attempts or of time.

    ``deadline`` is a :func:`time.monotonic` instant; no attempt starts with less than
    ``policy.min_attempt_time`` left, and no wait is started that would end past it.
    """
    count = 0
    last: Outcome | None = None
    while True:
        left = deadline - time.monotonic()
        if left < policy.min_attempt_time:
            return Attempts(last, count, "deadline reached" if count else "no time left before the deadline")
        count += 1
        try:
            outcome = attempt(min(policy.attempt_timeout, left))
        except Exception as exc:
            if not _transport_error(exc):
                raise
            outcome = Outcome(False, None, f"transport error: {_describe(exc)}", transient=True)
        if outcome.error:
            outcome = replace(outcome, error=scrub(outcome.error))
        last = outcome
        if outcome.ok:
            return Attempts(outcome, count, sent_at=datetime.now(timezone.utc))
        logger.info("%s: attempt %d failed: %s", label, count, outcome.error)
        if not outcome.transient:
            return Attempts(outcome, count)
        if count >= policy.max_attempts:
            return Attempts(outcome, count, f"gave up after {count} attempts")
        delay = policy.backoff.delay(count, retry_after=outcome.retry_after, rng=rng)
        if time.monotonic() + delay + policy.min_attempt_time > deadline:
            return Attempts(outcome, count, "no time left for another attempt before the deadline")
        sleep(delay)
