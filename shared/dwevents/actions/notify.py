"""Notification channels: deliver one DataWorks notification to a chat bot or a JSON webhook.

Why hand-rolled on :mod:`urllib`: the platform SDKs (and ``requests``) would slow every Function
Compute cold start for what is one signed HTTPS POST. Each channel signs the request the way its
platform documents, retries transient failures (connection errors, timeouts, HTTP 408/429/5xx,
documented rate-limit codes) with jittered exponential backoff until the caller's deadline, and reads
the platform's *body-level* status: DingTalk, Feishu and WeCom answer HTTP 200 for a rejected message,
so a 200 alone is never reported as delivered.

Signing (the local receiver re-implements the verification on its own, from the same documents):

* DingTalk custom robot ("加签"): ``sign = urlencode(base64(HMAC-SHA256(key=secret,
  msg=timestamp_ms + "\\n" + secret)))``, sent as ``&timestamp=..&sign=..`` query parameters; the
  timestamp must be within one hour of DingTalk's clock.
* Feishu / Lark custom bot: ``sign = base64(HMAC-SHA256(key=timestamp_s + "\\n" + secret, msg=b""))``,
  sent as ``"timestamp"`` (string, seconds) and ``"sign"`` in the JSON body; within one hour.
* WeCom group bot and Slack incoming webhook: no signing, the URL itself is the credential.
* Generic webhook: ``X-Dwevents-Signature: sha256=hex(HMAC-SHA256(key=secret, msg=timestamp + "." +
  body))`` with ``X-Dwevents-Timestamp`` (seconds); receivers should allow about five minutes of skew.

Sources: DingTalk open.dingtalk.com/document/robots/customize-robot-security-settings; Feishu
open.feishu.cn/document/client-docs/bot-v3/add-custom-bot; WeCom developer.work.weixin.qq.com/document/
path/91770; Slack api.slack.com/messaging/webhooks and the 2016-05-17 changelog on webhook errors.

Secrets, signed URLs and URL tokens never reach the logs or :attr:`Delivery.error`: URLs are logged
redacted and every error text is scrubbed of the channel's secrets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import os
import random
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, get_args

from dwevents.errors import ConfigError

logger = logging.getLogger(__name__)

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[str, ...] = get_args(Severity)

_LABEL = {"info": "INFO", "warning": "WARNING", "critical": "CRITICAL"}
_ICON = {"info": "🔵", "warning": "🟠", "critical": "🔴"}
_USER_AGENT = "dwevents-notify/1"
_MAX_RESPONSE_BYTES = 64 * 1024

# Body-level codes that mean "throttled / busy, try again" (anything else non-zero is permanent).
#: DingTalk: 130101 "send too fast, exceed 20 times per minute"; -1 "系统繁忙".
DINGTALK_RETRY_CODES = frozenset({130101, -1})
#: Feishu: 11232 rate limit (100/min, 5/s per bot); 9499 is a malformed request and is not retried.
FEISHU_RETRY_CODES = frozenset({11232})
#: WeCom: 45009 "api freq out of limit" (20/min per bot); -1 "system busy".
WECOM_RETRY_CODES = frozenset({45009, -1})
_RETRY_HTTP = frozenset({408, 425, 429})


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    """What to say; channels decide how it looks on their platform."""

    title: str
    text: str
    severity: Severity
    event_type: str | None
    message_id: str
    fields: Mapping[str, str] = field(default_factory=dict)
    link: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {self.severity!r}")


@dataclass(frozen=True)
class Delivery:
    """The outcome of one :meth:`Channel.send`: ``ok`` only when the platform accepted the message."""

    channel: str
    kind: str
    ok: bool
    attempts: int
    status: int | None
    error: str | None
    sent_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "kind": self.kind, "ok": self.ok, "attempts": self.attempts,
                "status": self.status, "error": self.error,
                "sent_at": self.sent_at.isoformat() if self.sent_at else None}


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a channel tries. The caller's deadline always wins over these numbers."""

    max_attempts: int = 5
    base_delay: float = 0.25  # seconds; attempt n waits ~base * 2**(n-1), jittered
    max_delay: float = 4.0
    attempt_timeout: float = 10.0  # per HTTP attempt, further capped by the time left
    min_attempt_time: float = 0.05  # don't start an attempt with less time than this left


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    status: int | None
    error: str | None = None
    transient: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class _Response:
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


# --------------------------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------------------------


def dingtalk_sign(timestamp_ms: str, secret: str) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")) — not yet URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(timestamp_s: str, secret: str) -> str:
    """Feishu/Lark: base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) — the key is the string."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Generic webhook: ``sha256=`` + hex(HMAC-SHA256(secret, f"{timestamp}." + body))."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# --------------------------------------------------------------------------------------------
# Redaction
# --------------------------------------------------------------------------------------------


def _looks_secret(segment: str) -> bool:
    has_digit = any(c.isdigit() for c in segment)
    has_alpha = any(c.isalpha() for c in segment)
    return len(segment) >= 16 or (len(segment) >= 8 and has_digit and has_alpha)


def redact_url(url: str) -> str:
    """``scheme://host/path`` without query or fragment, token-like path segments replaced by ``***``."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<invalid url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    path = "/".join("***" if _looks_secret(seg) else seg for seg in parts.path.split("/"))
    return f"{parts.scheme}://{host}{path}" + ("?***" if parts.query else "")


def _url_secrets(url: str) -> list[str]:
    """The parts of a webhook URL that are credentials (query values, token-like path segments)."""
    parts = urllib.parse.urlsplit(url)
    found = [v for _, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=False)]
    found += [seg for seg in parts.path.split("/") if _looks_secret(seg)]
    found += [parts.query] if parts.query else []
    return [s for s in found if len(s) >= 4]


# --------------------------------------------------------------------------------------------
# HTTP with a deadline
# --------------------------------------------------------------------------------------------


def _remaining(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


class _DeadlineHTTPConnection(http.client.HTTPConnection):
    deadline: float = float("inf")

    def connect(self) -> None:
        super().connect()
        self.sock.settimeout(_remaining(self.deadline))  # after connect, the rest of the budget only


class _DeadlineHTTPSConnection(http.client.HTTPSConnection):
    deadline: float = float("inf")

    def connect(self) -> None:
        super().connect()
        self.sock.settimeout(_remaining(self.deadline))


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        deadline = self._deadline

        def factory(host: str, **kwargs: Any) -> http.client.HTTPConnection:
            conn = _DeadlineHTTPConnection(host, **kwargs)
            conn.deadline = deadline
            return conn

        return self.do_open(factory, req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: float, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._deadline = deadline
        self._ctx = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        deadline = self._deadline

        def factory(host: str, **kwargs: Any) -> http.client.HTTPSConnection:
            conn = _DeadlineHTTPSConnection(host, **kwargs)
            conn.deadline = deadline
            return conn

        return self.do_open(factory, req, context=self._ctx)


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


def _post(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float, deadline: float) -> _Response:
    """POST once. HTTP error statuses are returned; transport failures raise OSError/HTTPException."""
    opener = urllib.request.build_opener(_DeadlineHTTPHandler(deadline),
                                         _DeadlineHTTPSHandler(deadline, _ssl_context()), _NoRedirect())
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"User-Agent": _USER_AGENT, **headers})
    try:
        with opener.open(request, timeout=timeout) as resp:
            return _Response(resp.status, resp.read(_MAX_RESPONSE_BYTES), dict(resp.headers.items()))
    except urllib.error.HTTPError as exc:
        try:
            data = exc.read(_MAX_RESPONSE_BYTES)
        except (OSError, http.client.HTTPException):
            data = b""
        finally:
            exc.close()
        return _Response(exc.code, data, dict(exc.headers.items()) if exc.headers else {})


def _retry_after(resp: _Response) -> float | None:
    value = {k.lower(): v for k, v in resp.headers.items()}.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _http_outcome(resp: _Response) -> _Outcome | None:
    """The outcome when the HTTP status alone decides (errors); None when the body must be read."""
    if resp.status in _RETRY_HTTP or resp.status >= 500:
        return _Outcome(False, resp.status, f"HTTP {resp.status}: {resp.excerpt()}", transient=True,
                        retry_after=_retry_after(resp))
    if 300 <= resp.status < 400:
        return _Outcome(False, resp.status, f"HTTP {resp.status}: redirect not followed")
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        reason = exc.reason
        return f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else str(reason)
    return f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------------------------


def _headline(n: Notification) -> str:
    return f"[{_LABEL[n.severity]}] {n.title}"


def _footer(n: Notification) -> str:
    parts = [f"event: {n.event_type}"] if n.event_type else []
    return " · ".join([*parts, f"id: {n.message_id}"])


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _truncate_bytes(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - len("…".encode())].decode("utf-8", "ignore") + "…"


# --------------------------------------------------------------------------------------------
# Channels
# --------------------------------------------------------------------------------------------


class Channel(ABC):
    """One configured destination. :meth:`send` never raises for delivery problems; it reports them."""

    name: str
    kind: str = ""

    def __init__(self, name: str, *, retry: RetryPolicy | None = None) -> None:
        self.name = name
        self.retry = retry or RetryPolicy()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, target={self.target})"

    @property
    def target(self) -> str:
        """Where messages go, safe to log."""
        return self.kind

    def _scrub(self, text: str) -> str:
        return text

    @abstractmethod
    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> _Outcome:
        """One delivery attempt; transport exceptions propagate to :meth:`send`."""

    def send(self, n: Notification, *, deadline: float) -> Delivery:
        """Deliver ``n`` before ``deadline`` (a :func:`time.monotonic` instant), retrying what may pass."""
        policy = self.retry
        attempts = 0
        last: _Outcome | None = None
        stop_reason = ""
        while True:
            left = deadline - time.monotonic()
            if left < policy.min_attempt_time:
                stop_reason = "deadline reached" if attempts else "no time left before the deadline"
                break
            attempts += 1
            try:
                outcome = self._attempt(n, timeout=min(policy.attempt_timeout, left), deadline=deadline)
            except (OSError, http.client.HTTPException) as exc:
                outcome = _Outcome(False, None, f"transport error: {_describe(exc)}", transient=True)
            if outcome.error:
                outcome = _Outcome(outcome.ok, outcome.status, self._scrub(outcome.error), outcome.transient,
                                   outcome.retry_after)
            last = outcome
            if outcome.ok:
                logger.info("notification %s sent via %s (%s) after %d attempt(s)", n.message_id, self.name,
                            self.target, attempts)
                return Delivery(self.name, self.kind, True, attempts, outcome.status, None,
                                datetime.now(timezone.utc))
            logger.info("notification %s via %s (%s), attempt %d failed: %s", n.message_id, self.name,
                        self.target, attempts, outcome.error)
            if not outcome.transient:
                break
            if attempts >= policy.max_attempts:
                stop_reason = f"gave up after {attempts} attempts"
                break
            backoff = min(policy.max_delay, policy.base_delay * 2 ** (attempts - 1))
            delay = random.uniform(backoff / 2, backoff)  # "equal jitter": spread, but never hammer
            if outcome.retry_after is not None:
                delay = max(delay, outcome.retry_after)
            if time.monotonic() + delay + policy.min_attempt_time > deadline:
                stop_reason = "no time left for another attempt before the deadline"
                break
            time.sleep(delay)
        error = last.error if last and last.error else "not sent"
        if stop_reason:
            error = f"{error} ({stop_reason})" if last else stop_reason
        logger.warning("notification %s NOT delivered via %s (%s) after %d attempt(s): %s", n.message_id,
                       self.name, self.target, attempts, error)
        return Delivery(self.name, self.kind, False, attempts, last.status if last else None, error, None)


class _HttpChannel(Channel):
    """A channel that POSTs JSON to a URL that is itself a credential."""

    def __init__(self, name: str, url: str, *, retry: RetryPolicy | None = None,
                 extra_secrets: Sequence[str] = ()) -> None:
        super().__init__(name, retry=retry)
        self.url = url
        self._secrets = sorted({url, *_url_secrets(url), *(s for s in extra_secrets if s)}, key=len,
                               reverse=True)

    @property
    def target(self) -> str:
        return redact_url(self.url)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, "***")
                quoted = urllib.parse.quote_plus(secret)
                if quoted != secret:
                    text = text.replace(quoted, "***")
        return text

    def _post_json(self, url: str, payload: Mapping[str, Any], *, timeout: float, deadline: float,
                   headers: Mapping[str, str] | None = None) -> _Response:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return _post(url, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
                     timeout=timeout, deadline=deadline)

    @abstractmethod
    def payload(self, n: Notification) -> dict[str, Any]:
        """The platform JSON for ``n`` (without any signature)."""


def _errcode_outcome(resp: _Response, code_keys: Sequence[str], msg_keys: Sequence[str],
                     retry_codes: frozenset[int], name: str) -> _Outcome:
    data = resp.json()
    code: Any = None
    if isinstance(data, dict):
        code = next((data[k] for k in code_keys if k in data), None)
    http_failure = _http_outcome(resp)
    if code is None:
        if http_failure:
            return http_failure
        return _Outcome(False, resp.status, f"HTTP {resp.status}: not a {name} response: {resp.excerpt()}")
    message = next((str(data[k]) for k in msg_keys if data.get(k)), "")
    if code == 0 and 200 <= resp.status < 300:
        return _Outcome(True, resp.status)
    transient = (isinstance(code, int) and code in retry_codes) or bool(http_failure
                                                                        and http_failure.transient)
    error = f"{name} {code_keys[0]} {code}" + (f": {message}" if message else "")
    return _Outcome(False, resp.status, error, transient=transient,
                    retry_after=_retry_after(resp) if transient else None)


class DingTalkChannel(_HttpChannel):
    """DingTalk custom robot (自定义机器人): markdown message, optional 加签 signing and @mentions."""

    kind = "dingtalk"

    def __init__(self, name: str, url: str, secret: str | None = None, at_mobiles: Sequence[str] = (),
                 at_all: bool = False, *, retry: RetryPolicy | None = None) -> None:
        super().__init__(name, url, retry=retry, extra_secrets=[secret] if secret else [])
        self.secret = secret
        self.at_mobiles = tuple(at_mobiles)
        self.at_all = at_all

    def payload(self, n: Notification) -> dict[str, Any]:
        lines = [f"### {_ICON[n.severity]} {_headline(n)}", "", n.text, ""]
        lines += [f"- **{k}**: {v}" for k, v in n.fields.items()]
        if n.link:
            lines += ["", f"[Open in DataWorks]({n.link})"]
        lines += ["", f"###### {_footer(n)}"]
        if self.at_mobiles:  # DingTalk only notifies mentioned mobiles that also appear in the text
            lines += ["", " ".join(f"@{m}" for m in self.at_mobiles)]
        return {"msgtype": "markdown",
                "markdown": {"title": _truncate(_headline(n), 64), "text": _truncate("\n".join(lines), 5000)},
                "at": {"atMobiles": list(self.at_mobiles), "isAtAll": self.at_all}}

    def signed_url(self, now: float | None = None) -> str:
        """The webhook URL with ``timestamp`` (ms) and URL-encoded ``sign`` appended when a secret is set."""
        if not self.secret:
            return self.url
        timestamp = str(int((time.time() if now is None else now) * 1000))
        sign = dingtalk_sign(timestamp, self.secret)
        query = urllib.parse.urlencode({"timestamp": timestamp, "sign": sign})  # quote_plus: + → %2B
        return f"{self.url}{'&' if '?' in self.url else '?'}{query}"

    def _scrub(self, text: str) -> str:
        text = re.sub(r"(sign=)[^&\s\"']+", r"\1***", text)
        return super()._scrub(text)

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> _Outcome:
        resp = self._post_json(self.signed_url(), self.payload(n), timeout=timeout, deadline=deadline)
        return _errcode_outcome(resp, ("errcode",), ("errmsg",), DINGTALK_RETRY_CODES, "DingTalk")


_FEISHU_TEMPLATE = {"info": "blue", "warning": "orange", "critical": "red"}


class FeishuChannel(_HttpChannel):
    """Feishu / Lark custom bot: an interactive card coloured by severity, optional signature."""

    kind = "feishu"

    def __init__(self, name: str, url: str, secret: str | None = None, *,
                 retry: RetryPolicy | None = None) -> None:
        super().__init__(name, url, retry=retry, extra_secrets=[secret] if secret else [])
        self.secret = secret

    def payload(self, n: Notification) -> dict[str, Any]:
        elements: list[dict[str, Any]] = [{"tag": "div", "text": {"tag": "lark_md", "content": n.text}}]
        if n.fields:
            elements.append({"tag": "div", "fields": [
                {"is_short": True, "text": {"tag": "lark_md", "content": f"**{k}**\n{v}"}}
                for k, v in n.fields.items()]})
        if n.link:
            elements.append({"tag": "action", "actions": [
                {"tag": "button", "type": "primary", "url": n.link,
                 "text": {"tag": "plain_text", "content": "Open in DataWorks"}}]})
        elements.append({"tag": "note", "elements": [{"tag": "plain_text", "content": _footer(n)}]})
        return {"msg_type": "interactive",
                "card": {"config": {"wide_screen_mode": True},
                         "header": {"template": _FEISHU_TEMPLATE[n.severity],
                                    "title": {"tag": "plain_text", "content": _headline(n)}},
                         "elements": elements}}

    def signed_payload(self, n: Notification, now: float | None = None) -> dict[str, Any]:
        payload = self.payload(n)
        if self.secret:
            timestamp = str(int(time.time() if now is None else now))
            payload = {"timestamp": timestamp, "sign": feishu_sign(timestamp, self.secret), **payload}
        return payload

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> _Outcome:
        resp = self._post_json(self.url, self.signed_payload(n), timeout=timeout, deadline=deadline)
        # "code" is current; "StatusCode" is the legacy field older bots still answer with.
        return _errcode_outcome(resp, ("code", "StatusCode"), ("msg", "StatusMessage"), FEISHU_RETRY_CODES,
                                "Feishu")


_WECOM_COLOR = {"info": "info", "warning": "warning", "critical": "warning"}


class WeComChannel(_HttpChannel):
    """WeCom (企业微信) group bot: markdown capped at the documented 4096 bytes; the key is the secret."""

    kind = "wecom"
    MAX_MARKDOWN_BYTES = 4096

    def __init__(self, name: str, url: str, *, retry: RetryPolicy | None = None) -> None:
        super().__init__(name, url, retry=retry)

    def payload(self, n: Notification) -> dict[str, Any]:
        color = _WECOM_COLOR[n.severity]
        lines = [f"### <font color=\"{color}\">[{_LABEL[n.severity]}]</font> {n.title}", n.text]
        lines += [f"> **{k}**: <font color=\"comment\">{v}</font>" for k, v in n.fields.items()]
        if n.link:
            lines.append(f"[Open in DataWorks]({n.link})")
        lines.append(f"<font color=\"comment\">{_footer(n)}</font>")
        content = _truncate_bytes("\n".join(lines), self.MAX_MARKDOWN_BYTES)
        return {"msgtype": "markdown", "markdown": {"content": content}}

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> _Outcome:
        resp = self._post_json(self.url, self.payload(n), timeout=timeout, deadline=deadline)
        return _errcode_outcome(resp, ("errcode",), ("errmsg",), WECOM_RETRY_CODES, "WeCom")


class SlackChannel(_HttpChannel):
    """Slack incoming webhook: Block Kit blocks plus the ``text`` fallback used in notifications."""

    kind = "slack"

    def payload(self, n: Notification) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": _truncate(
                f"{_ICON[n.severity]} {_headline(n)}", 150), "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(n.text or " ", 3000)}},
        ]
        items = list(n.fields.items())[:10]  # Slack allows at most 10 fields per section
        if items:
            blocks.append({"type": "section", "fields": [
                {"type": "mrkdwn", "text": _truncate(f"*{k}*\n{v}", 2000)} for k, v in items]})
        if n.link:
            blocks.append({"type": "actions", "elements": [
                {"type": "button", "url": n.link,
                 "text": {"type": "plain_text", "text": "Open in DataWorks"}}]})
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _footer(n)}]})
        return {"text": _truncate(f"{_headline(n)}: {n.text}", 3000), "blocks": blocks}

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> _Outcome:
        resp = self._post_json(self.url, self.payload(n), timeout=timeout, deadline=deadline)
        failure = _http_outcome(resp)
        if failure:
            return failure
        if resp.status == 200 and resp.body.strip() == b"ok":
            return _Outcome(True, resp.status)
        return _Outcome(False, resp.status, f"Slack HTTP {resp.status}: {resp.excerpt() or 'empty response'}")


class WebhookChannel(_HttpChannel):
    """Any HTTP endpoint: the notification as JSON, optionally HMAC-signed, with custom headers."""

    kind = "webhook"
    SIGNATURE_HEADER = "X-Dwevents-Signature"
    TIMESTAMP_HEADER = "X-Dwevents-Timestamp"

    def __init__(self, name: str, url: str, secret: str | None = None,
                 headers: Mapping[str, str] | None = None, *, retry: RetryPolicy | None = None) -> None:
        headers = dict(headers or {})
        super().__init__(name, url, retry=retry, extra_secrets=[secret or "", *headers.values()])
        self.secret = secret
        self.headers = headers

    def payload(self, n: Notification) -> dict[str, Any]:
        return {"kind": "dwevents.notification", "version": 1, "channel": self.name, "title": n.title,
                "text": n.text, "severity": n.severity, "event_type": n.event_type,
                "message_id": n.message_id, "fields": dict(n.fields), "link": n.link}

    def signed_request(self, n: Notification, now: float | None = None) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(self.payload(n), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Dwevents-Message-Id": n.message_id,
                   **self.headers}
        if self.secret:
            timestamp = str(int(time.time() if now is None else now))
            headers[self.TIMESTAMP_HEADER] = timestamp
            headers[self.SIGNATURE_HEADER] = webhook_signature(self.secret, timestamp, body)
        return body, headers

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> _Outcome:
        body, headers = self.signed_request(n)
        resp = _post(self.url, body, headers, timeout=timeout, deadline=deadline)
        failure = _http_outcome(resp)
        if failure:
            return failure
        if 200 <= resp.status < 300:
            return _Outcome(True, resp.status)
        return _Outcome(False, resp.status, f"HTTP {resp.status}: {resp.excerpt()}")


class ConsoleChannel(Channel):
    """Writes the message to the log — the fallback, so a notification is never silently dropped."""

    kind = "console"

    def render(self, n: Notification) -> str:
        lines = [f"{_ICON[n.severity]} {_headline(n)}", n.text]
        lines += [f"  {k}: {v}" for k, v in n.fields.items()]
        if n.link:
            lines.append(f"  link: {n.link}")
        lines.append(f"  ({_footer(n)})")
        return "\n".join(lines)

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> _Outcome:
        level = logging.INFO if n.severity == "info" else logging.WARNING
        if not logger.isEnabledFor(level):
            level = logging.WARNING  # INFO is filtered out here: raise it rather than lose the message
        logger.log(level, "notification [%s]\n%s", self.name, self.render(n))
        return _Outcome(True, None)

    def send(self, n: Notification, *, deadline: float) -> Delivery:
        self._attempt(n, timeout=0.0, deadline=deadline)  # logging needs no deadline, and never retries
        return Delivery(self.name, self.kind, True, 1, None, None, datetime.now(timezone.utc))


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------

_ALIASES = {"lark": "feishu", "wework": "wecom", "wechat_work": "wecom", "http": "webhook"}
_COMMON_KEYS = {"type", "timeout", "max_attempts"}
_KEYS: dict[str, set[str]] = {
    "dingtalk": {"url", "secret", "at_mobiles", "at_all"},
    "feishu": {"url", "secret"},
    "wecom": {"url"},
    "slack": {"url"},
    "webhook": {"url", "secret", "headers"},
    "console": set(),
}
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _resolve(value: Any, key: str) -> Any:
    """Replace every ``${env:NAME}`` in a string by that environment variable (missing → ConfigError)."""
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        var = match.group(1)
        found = os.environ.get(var)
        if not found:
            state = "empty" if found == "" else "not set"
            raise ConfigError(f"environment variable {var} is {state}", key=key)
        return found

    return _ENV_REF.sub(one, value)


def _string(spec: Mapping[str, Any], name: str, prefix: str, *, required: bool) -> str | None:
    key = f"{prefix}.{name}"
    value = spec.get(name)
    if value is None or value == "":
        if required:
            raise ConfigError("required", key=key)
        return None
    if not isinstance(value, str):
        raise ConfigError(f"must be a string, not {type(value).__name__}", key=key)
    resolved = _resolve(value, key)
    if required and not resolved:
        raise ConfigError("required", key=key)
    return str(resolved) or None


def _url(spec: Mapping[str, Any], prefix: str, kind: str) -> str:
    key = f"{prefix}.url"
    url = _string(spec, "url", prefix, required=True)
    assert url is not None
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError("not a valid URL", key=key) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"must be an http(s) URL with a host, got {redact_url(url)}", key=key)
    query = dict(urllib.parse.parse_qsl(parts.query))
    if kind == "dingtalk" and not query.get("access_token"):
        raise ConfigError("a DingTalk robot URL carries ?access_token=...", key=key)
    if kind == "wecom" and not query.get("key"):
        raise ConfigError("a WeCom bot URL carries ?key=...", key=key)
    return url


def _retry(spec: Mapping[str, Any], prefix: str) -> RetryPolicy | None:
    timeout, attempts = spec.get("timeout"), spec.get("max_attempts")
    if timeout is None and attempts is None:
        return None
    policy = RetryPolicy()
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 60:
            raise ConfigError("must be a number of seconds in (0, 60]", key=f"{prefix}.timeout")
        policy = RetryPolicy(policy.max_attempts, policy.base_delay, policy.max_delay, float(timeout))
    if attempts is not None:
        if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 10:
            raise ConfigError("must be an integer from 1 to 10", key=f"{prefix}.max_attempts")
        policy = RetryPolicy(attempts, policy.base_delay, policy.max_delay, policy.attempt_timeout)
    return policy


def build_channel(name: str, spec: Mapping[str, Any]) -> Channel:
    """Validate one ``channels.<name>`` entry and build its channel; errors name the offending key.

    Secrets (and URLs, which are credentials too) may be written ``${env:NAME}`` to keep them out of
    the config file; unknown keys are rejected so a typo such as ``secrete`` can't silently disable signing.
    """
    prefix = f"channels.{name}"
    if not isinstance(spec, Mapping):
        raise ConfigError(f"must be a mapping, not {type(spec).__name__}", key=prefix)
    raw_type = spec.get("type")
    if not raw_type:
        raise ConfigError("required", key=f"{prefix}.type")
    if not isinstance(raw_type, str):
        raise ConfigError("must be a string", key=f"{prefix}.type")
    kind = _ALIASES.get(raw_type.lower(), raw_type.lower())
    if kind not in _KEYS:
        raise ConfigError(f"unknown channel type {raw_type!r} (one of: {', '.join(sorted(_KEYS))})",
                          key=f"{prefix}.type")
    allowed = _KEYS[kind] | _COMMON_KEYS
    for key in spec:
        if key not in allowed:
            raise ConfigError(f"unknown key for a {kind} channel (allowed: {', '.join(sorted(allowed))})",
                              key=f"{prefix}.{key}")
    retry = _retry(spec, prefix)
    if kind == "console":
        return ConsoleChannel(name)
    url = _url(spec, prefix, kind)
    if kind == "dingtalk":
        mobiles = spec.get("at_mobiles", [])
        if isinstance(mobiles, str) or not isinstance(mobiles, Sequence) or \
                not all(isinstance(m, str) and m for m in mobiles):
            raise ConfigError("must be a list of mobile numbers (strings)", key=f"{prefix}.at_mobiles")
        at_all = spec.get("at_all", False)
        if not isinstance(at_all, bool):
            raise ConfigError("must be true or false", key=f"{prefix}.at_all")
        return DingTalkChannel(name, url, _string(spec, "secret", prefix, required=False), tuple(mobiles),
                               at_all, retry=retry)
    if kind == "feishu":
        return FeishuChannel(name, url, _string(spec, "secret", prefix, required=False), retry=retry)
    if kind == "wecom":
        return WeComChannel(name, url, retry=retry)
    if kind == "slack":
        return SlackChannel(name, url, retry=retry)
    raw_headers = spec.get("headers", {}) or {}
    if not isinstance(raw_headers, Mapping):
        raise ConfigError("must be a mapping of header name to value", key=f"{prefix}.headers")
    headers: dict[str, str] = {}
    for header, value in raw_headers.items():
        key = f"{prefix}.headers.{header}"
        if not isinstance(header, str) or not _HEADER_NAME.match(header):
            raise ConfigError("not a valid HTTP header name", key=key)
        if not isinstance(value, str):
            raise ConfigError("must be a string", key=key)
        resolved = str(_resolve(value, key))
        if "\r" in resolved or "\n" in resolved:
            raise ConfigError("must not contain line breaks", key=key)
        headers[header] = resolved
    return WebhookChannel(name, url, _string(spec, "secret", prefix, required=False), headers, retry=retry)
