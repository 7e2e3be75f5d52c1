"""How each platform wants a message signed, each as its documentation describes it.

The local webhook receiver (:mod:`dwevents.local.webhook_receiver`) verifies signatures with its own
code, written from the same documents, so a mistake here cannot be mirrored there. The tests pin each
function with known-answer vectors computed outside this code.

* DingTalk custom robot, "加签" — 自定义机器人安全设置 / "Custom bot security settings",
  https://open.dingtalk.com/document/robots/customize-robot-security-settings :
  ``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=timestamp_ms + "\\n" + secret)))``, sent as
  ``&timestamp=…&sign=…`` query parameters; the timestamp must be within one hour of DingTalk's clock.
* Feishu / Lark custom bot — 自定义机器人使用指南 / "Custom bot guide",
  https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot :
  ``sign = base64(HMAC-SHA256(key=timestamp_s + "\\n" + secret, msg=b""))`` — the *key* is the string —
  sent as ``"timestamp"`` (seconds, a string) and ``"sign"`` in the JSON body; within one hour.
* WeCom group bot and Slack incoming webhook: no signing, the URL itself is the credential.
* Generic webhook (this project's own scheme; the local receiver shows a verifier):
  ``X-Dwevents-Signature: sha256=hex(HMAC-SHA256(key=secret, msg=timestamp + "." + body))`` with
  ``X-Dwevents-Timestamp`` (seconds); receivers should allow about five minutes of clock skew.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "dingtalk_sign", "dingtalk_signed_url", "feishu_sign",
           "feishu_signed_fields", "webhook_signature", "webhook_signed_headers"]

SIGNATURE_HEADER = "X-Dwevents-Signature"
TIMESTAMP_HEADER = "X-Dwevents-Timestamp"


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def dingtalk_sign(timestamp_ms: str, secret: str) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")) — not yet URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_signed_url(url: str, secret: str, now: float | None = None) -> str:
    """``url`` with ``timestamp`` (ms) and the URL-encoded ``sign`` appended to its query."""
    timestamp = str(int(_now(now) * 1000))
    query = urllib.parse.urlencode({"timestamp": timestamp, "sign": dingtalk_sign(timestamp, secret)})
    return f"{url}{'&' if '?' in url else '?'}{query}"  # urlencode quotes '+' and '/' of base64


def feishu_sign(timestamp_s: str, secret: str) -> str:
    """Feishu/Lark: base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) — the key is the string."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_signed_fields(secret: str, now: float | None = None) -> dict[str, str]:
    """The ``timestamp`` and ``sign`` members a signed Feishu message carries in its JSON body."""
    timestamp = str(int(_now(now)))
    return {"timestamp": timestamp, "sign": feishu_sign(timestamp, secret)}


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Generic webhook: ``sha256=`` + hex(HMAC-SHA256(secret, f"{timestamp}." + body))."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The timestamp and signature headers of a signed generic-webhook request."""
    timestamp = str(int(_now(now)))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: webhook_signature(secret, timestamp, body)}
