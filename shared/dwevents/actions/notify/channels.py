"""The destinations: DingTalk, Feishu/Lark, WeCom, Slack, a generic JSON webhook, and the console.

Each channel renders a :class:`~dwevents.actions.notify.message.Notification` the way its platform
documents, signs it (:mod:`.signing`), posts it (:mod:`.transport`) and reads the platform's
*body-level* status: DingTalk, Feishu and WeCom answer HTTP 200 for a rejected message, so a 200 alone
is never reported as delivered. Sources for formats, limits and error codes:

* DingTalk — 自定义机器人接入 / "Custom bot access",
  https://open.dingtalk.com/document/robots/custom-robot-access
* Feishu — 自定义机器人使用指南 / "Custom bot guide",
  https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
* WeCom — 群机器人配置说明 / "Group bot configuration", https://developer.work.weixin.qq.com/document/path/91770
* Slack — "Sending messages using incoming webhooks", https://api.slack.com/messaging/webhooks

Secrets, signed URLs and URL tokens never reach the logs or :attr:`SendResult.error`: targets are
logged through :func:`dwevents.redact.redact_url` and every error text is scrubbed of the channel's
secrets.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from dwevents.actions.notify.message import (
    ICON,
    LABEL,
    Notification,
    SendResult,
    footer,
    headline,
    truncate,
    truncate_bytes,
)
from dwevents.actions.notify.signing import dingtalk_signed_url, feishu_signed_fields, webhook_signed_headers
from dwevents.actions.notify.transport import (
    Outcome,
    Response,
    RetryPolicy,
    Scrubber,
    http_outcome,
    post,
    post_json,
    retry_until,
)
from dwevents.redact import redact_url

__all__ = ["Channel", "ConsoleChannel", "DingTalkChannel", "FeishuChannel", "SlackChannel", "WeComChannel",
           "WebhookChannel"]

logger = logging.getLogger("dwevents.actions.notify")

# Body-level codes that mean "throttled / busy, try again" (anything else non-zero is permanent).
#: DingTalk: 130101 "send too fast, exceed 20 times per minute"; -1 "系统繁忙".
DINGTALK_RETRY_CODES = frozenset({130101, -1})
#: Feishu: 11232 rate limit (100/min, 5/s per bot); 9499 is a malformed request and is not retried.
FEISHU_RETRY_CODES = frozenset({11232})
#: WeCom: 45009 "api freq out of limit" (20/min per bot); -1 "system busy".
WECOM_RETRY_CODES = frozenset({45009, -1})
_OPEN_LABEL = "Open in DataWorks"


class Channel(ABC):
    """One configured destination. :meth:`send` never raises for delivery problems; it reports them."""

    name: str
    kind: str = ""

    def __init__(self, name: str, *, retry: RetryPolicy | None = None) -> None:
        self.name = name
        self.retry = retry or RetryPolicy()
        self._scrub = Scrubber()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, target={self.target})"

    @property
    def target(self) -> str:
        """Where messages go, safe to log."""
        return self.kind

    @abstractmethod
    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> Outcome:
        """One delivery attempt; transport exceptions propagate to :func:`retry_until`."""

    def send(self, n: Notification, *, deadline: float) -> SendResult:
        """Deliver ``n`` before ``deadline`` (a :func:`time.monotonic` instant), retrying what may pass."""
        result = retry_until(lambda timeout: self._attempt(n, timeout=timeout, deadline=deadline),
                             deadline=deadline, policy=self.retry, scrub=self._scrub,
                             label=f"notification {n.message_id} via {self.name} ({self.target})")
        status = result.last.status if result.last else None
        if result.ok:
            logger.info("notification %s sent via %s (%s) after %d attempt(s)", n.message_id, self.name,
                        self.target, result.count)
        else:
            logger.warning("notification %s NOT delivered via %s (%s) after %d attempt(s): %s",
                           n.message_id, self.name, self.target, result.count, result.error)
        return SendResult(self.name, self.kind, result.ok, result.count, status, result.error, result.sent_at)


class _HttpChannel(Channel):
    """A channel that POSTs JSON to a URL that is itself a credential."""

    def __init__(self, name: str, url: str, *, retry: RetryPolicy | None = None,
                 extra_secrets: Sequence[str | None] = (), hide_params: Sequence[str] = ()) -> None:
        super().__init__(name, retry=retry)
        self.url = url
        self._scrub = Scrubber(url, extra_secrets, hide_params=hide_params)

    @property
    def target(self) -> str:
        return redact_url(self.url)

    @abstractmethod
    def payload(self, n: Notification) -> dict[str, Any]:
        """The platform JSON for ``n`` (without any signature)."""


def _errcode_outcome(resp: Response, code_keys: Sequence[str], msg_keys: Sequence[str],
                     retry_codes: frozenset[int], name: str) -> Outcome:
    """Read a chat platform's ``{"errcode": 0}``-style answer; only code 0 with a 2xx is delivered."""
    data = resp.json()
    code: Any = None
    if isinstance(data, dict):
        code = next((data[k] for k in code_keys if k in data), None)
    http_failure = http_outcome(resp)
    if code is None:
        if http_failure:
            return http_failure
        return Outcome(False, resp.status, f"HTTP {resp.status}: not a {name} response: {resp.excerpt()}")
    message = next((str(data[k]) for k in msg_keys if data.get(k)), "")
    if code == 0 and 200 <= resp.status < 300:
        return Outcome(True, resp.status)
    throttled = isinstance(code, int) and code in retry_codes
    transient = throttled or bool(http_failure and http_failure.transient)
    error = f"{name} {code_keys[0]} {code}" + (f": {message}" if message else "")
    return Outcome(False, resp.status, error, transient=transient,
                   retry_after=resp.retry_after() if transient else None)


class DingTalkChannel(_HttpChannel):
    """DingTalk custom robot (自定义机器人): markdown message, optional 加签 signing and @mentions."""

    kind = "dingtalk"

    def __init__(self, name: str, url: str, secret: str | None = None, at_mobiles: Sequence[str] = (),
                 at_all: bool = False, *, retry: RetryPolicy | None = None) -> None:
        # The signature changes with every request, so it is hidden by its query parameter name.
        super().__init__(name, url, retry=retry, extra_secrets=[secret], hide_params=("sign",))
        self.secret = secret
        self.at_mobiles = tuple(at_mobiles)
        self.at_all = at_all

    def payload(self, n: Notification) -> dict[str, Any]:
        lines = [f"### {ICON[n.severity]} {headline(n)}", "", n.text, ""]
        lines += [f"- **{k}**: {v}" for k, v in n.fields.items()]
        if n.link:
            lines += ["", f"[{_OPEN_LABEL}]({n.link})"]
        lines += ["", f"###### {footer(n)}"]
        if self.at_mobiles:  # DingTalk only notifies mentioned mobiles that also appear in the text
            lines += ["", " ".join(f"@{m}" for m in self.at_mobiles)]
        return {"msgtype": "markdown",
                "markdown": {"title": truncate(headline(n), 64), "text": truncate("\n".join(lines), 5000)},
                "at": {"atMobiles": list(self.at_mobiles), "isAtAll": self.at_all}}

    def signed_url(self, now: float | None = None) -> str:
        """The webhook URL with ``timestamp`` (ms) and URL-encoded ``sign`` appended when a secret is set."""
        return dingtalk_signed_url(self.url, self.secret, now) if self.secret else self.url

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> Outcome:
        resp = post_json(self.signed_url(), self.payload(n), timeout=timeout, deadline=deadline)
        return _errcode_outcome(resp, ("errcode",), ("errmsg",), DINGTALK_RETRY_CODES, "DingTalk")


_FEISHU_TEMPLATE = {"info": "blue", "warning": "orange", "critical": "red"}


class FeishuChannel(_HttpChannel):
    """Feishu / Lark custom bot: an interactive card coloured by severity, optional signature."""

    kind = "feishu"

    def __init__(self, name: str, url: str, secret: str | None = None, *,
                 retry: RetryPolicy | None = None) -> None:
        super().__init__(name, url, retry=retry, extra_secrets=[secret])
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
                 "text": {"tag": "plain_text", "content": _OPEN_LABEL}}]})
        elements.append({"tag": "note", "elements": [{"tag": "plain_text", "content": footer(n)}]})
        return {"msg_type": "interactive",
                "card": {"config": {"wide_screen_mode": True},
                         "header": {"template": _FEISHU_TEMPLATE[n.severity],
                                    "title": {"tag": "plain_text", "content": headline(n)}},
                         "elements": elements}}

    def signed_payload(self, n: Notification, now: float | None = None) -> dict[str, Any]:
        payload = self.payload(n)
        return {**feishu_signed_fields(self.secret, now), **payload} if self.secret else payload

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> Outcome:
        resp = post_json(self.url, self.signed_payload(n), timeout=timeout, deadline=deadline)
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
        lines = [f"### <font color=\"{color}\">[{LABEL[n.severity]}]</font> {n.title}", n.text]
        lines += [f"> **{k}**: <font color=\"comment\">{v}</font>" for k, v in n.fields.items()]
        if n.link:
            lines.append(f"[{_OPEN_LABEL}]({n.link})")
        lines.append(f"<font color=\"comment\">{footer(n)}</font>")
        content = truncate_bytes("\n".join(lines), self.MAX_MARKDOWN_BYTES)
        return {"msgtype": "markdown", "markdown": {"content": content}}

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> Outcome:
        resp = post_json(self.url, self.payload(n), timeout=timeout, deadline=deadline)
        return _errcode_outcome(resp, ("errcode",), ("errmsg",), WECOM_RETRY_CODES, "WeCom")


class SlackChannel(_HttpChannel):
    """Slack incoming webhook: Block Kit blocks plus the ``text`` fallback used in notifications."""

    kind = "slack"

    def payload(self, n: Notification) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": truncate(
                f"{ICON[n.severity]} {headline(n)}", 150), "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate(n.text or " ", 3000)}},
        ]
        items = list(n.fields.items())[:10]  # Slack allows at most 10 fields per section
        if items:
            blocks.append({"type": "section", "fields": [
                {"type": "mrkdwn", "text": truncate(f"*{k}*\n{v}", 2000)} for k, v in items]})
        if n.link:
            blocks.append({"type": "actions", "elements": [
                {"type": "button", "url": n.link, "text": {"type": "plain_text", "text": _OPEN_LABEL}}]})
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer(n)}]})
        return {"text": truncate(f"{headline(n)}: {n.text}", 3000), "blocks": blocks}

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> Outcome:
        resp = post_json(self.url, self.payload(n), timeout=timeout, deadline=deadline)
        failure = http_outcome(resp)
        if failure:
            return failure
        if resp.status == 200 and resp.body.strip() == b"ok":  # Slack answers the literal text "ok"
            return Outcome(True, resp.status)
        return Outcome(False, resp.status, f"Slack HTTP {resp.status}: {resp.excerpt() or 'empty response'}")


class WebhookChannel(_HttpChannel):
    """Any HTTP endpoint: the notification as JSON, optionally HMAC-signed, with custom headers."""

    kind = "webhook"

    def __init__(self, name: str, url: str, secret: str | None = None,
                 headers: Mapping[str, str] | None = None, *, retry: RetryPolicy | None = None) -> None:
        headers = dict(headers or {})
        super().__init__(name, url, retry=retry, extra_secrets=[secret, *headers.values()])
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
            headers.update(webhook_signed_headers(self.secret, body, now))
        return body, headers

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> Outcome:
        body, headers = self.signed_request(n)
        resp = post(self.url, body, headers, timeout=timeout, deadline=deadline)
        failure = http_outcome(resp)
        if failure:
            return failure
        if 200 <= resp.status < 300:
            return Outcome(True, resp.status)
        return Outcome(False, resp.status, f"HTTP {resp.status}: {resp.excerpt()}")


class ConsoleChannel(Channel):
    """Writes the message to the log — the fallback, so a notification is never silently dropped."""

    kind = "console"

    def render(self, n: Notification) -> str:
        lines = [f"{ICON[n.severity]} {headline(n)}", n.text]
        lines += [f"  {k}: {v}" for k, v in n.fields.items()]
        if n.link:
            lines.append(f"  link: {n.link}")
        lines.append(f"  ({footer(n)})")
        return "\n".join(lines)

    def _attempt(self, n: Notification, *, timeout: float, deadline: float) -> Outcome:
        level = logging.INFO if n.severity == "info" else logging.WARNING
        if not logger.isEnabledFor(level):
            level = logging.WARNING  # INFO is filtered out here: raise it rather than lose the message
        logger.log(level, "notification [%s]\n%s", self.name, self.render(n))
        return Outcome(True, None)

    def send(self, n: Notification, *, deadline: float) -> SendResult:
        self._attempt(n, timeout=0.0, deadline=deadline)  # logging needs no deadline, and never retries
        return SendResult(self.name, self.kind, True, 1, None, None, datetime.now(timezone.utc))
