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

import email.utils
import http.client
import json
import logging
import random
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
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


def _remaining(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


class _Deadline:
    """After connecting, a socket gets only the rest of the send's budget as its timeout."""

    deadline: float = float("inf")
    sock: Any

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock.settimeout(_remaining(self.deadline))


class _DeadlineHTTPConnection(_Deadline, http.client.HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_Deadline, http.client.HTTPSConnection):
    pass


def _connections(kind: type[_Deadline], deadline: float) -> Any:
    """The connection factory ``do_open`` wants: ``kind`` connections bound to ``deadline``."""

    def factory(host: str, **kwargs: Any) -> Any:
        conn = kind(host, **kwargs)  # type: ignore[call-arg]
        conn.deadline = deadline
        return conn

    return factory


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connections(_DeadlineHTTPConnection, self._deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: float, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._deadline = deadline
        self._ctx = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connections(_DeadlineHTTPSConnection, self._deadline), req, context=self._ctx)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would become a GET (and carry a signed URL elsewhere): report it instead."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> None:
        return None


_SSL_CONTEXT: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:  # created lazily: loading the CA store costs a few ms of cold start
        _SSL_CONTEXT = ssl.create_default_context()
    return _SSL_CONTEXT


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float, deadline: float) -> Response:
    """POST once. HTTP error statuses are returned; transport failures raise OSError/HTTPException."""
    opener = urllib.request.build_opener(_DeadlineHTTPHandler(deadline),
                                         _DeadlineHTTPSHandler(deadline, _ssl_context()), _NoRedirect())
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"User-Agent": USER_AGENT, **headers})
    try:
        with opener.open(request, timeout=timeout) as resp:
            return Response(resp.status, resp.read(MAX_RESPONSE_BYTES), dict(resp.headers.items()))
    except urllib.error.HTTPError as exc:
        try:
            data = exc.read(MAX_RESPONSE_BYTES)
        except (OSError, http.client.HTTPException):
            data = b""
        finally:
            exc.close()
        return Response(exc.code, data, dict(exc.headers.items()) if exc.headers else {})


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


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
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
        except (OSError, http.client.HTTPException) as exc:
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
