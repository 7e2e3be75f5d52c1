"""A local stand-in for the chat platforms' webhooks, strict enough that tests mean something.

Each path checks what the real platform checks and answers in that platform's own format, so a
channel that signs wrongly, sends the wrong shape, or trusts HTTP 200 fails here the way it would fail
in production (the checks and their sources are in :mod:`.platforms`):

* ``/dingtalk?access_token=T`` — custom robot. Wrong token → ``{"errcode":300005,"errmsg":"token is
  not exist"}``; with a secret, ``timestamp`` (ms, within 1 h) and ``sign`` query parameters where
  ``sign = base64(HMAC-SHA256(secret, timestamp + "\\n" + secret))`` URL-encoded; failures →
  ``{"errcode":310000,"errmsg":"sign not match" | "invalid timestamp"}``; all with HTTP 200.
* ``/feishu/hook/T`` — Feishu/Lark custom bot. Wrong token → code 19001; with a secret, body
  ``timestamp`` (s, within 1 h) and ``sign``, else code 19021; malformed body → code 9499 "Bad Request".
* ``/wecom?key=K`` — WeCom group bot. Wrong key → errcode 93000; text over 2048 bytes or markdown over
  4096 bytes → errcode 40058.
* ``/slack/services/T000LOCAL/B000LOCAL/T`` — Slack incoming webhook. Wrong token → 403
  ``invalid_token``; bad JSON → 400 ``invalid_payload``; neither text nor blocks → 400 ``no_text``.
* ``/webhook`` — generic webhook: ``X-Dwevents-Signature: sha256=hex(HMAC-SHA256(secret, timestamp +
  "." + body))`` with ``X-Dwevents-Timestamp`` within 5 minutes, else 401.

Modules: :mod:`.platforms` (what each platform checks), :mod:`.server` (``WebhookReceiver``: the HTTP
server, injected faults, the record of what arrived), ``__main__`` (``python -m
dwevents.local.webhook_receiver``, to point a real configuration at it and watch what arrives).
"""

from __future__ import annotations

from .platforms import KINDS
from .server import ReceivedMessage, RejectedMessage, WebhookReceiver

__all__ = ["KINDS", "ReceivedMessage", "RejectedMessage", "WebhookReceiver"]
