"""Each platform's rendering, signing and body-level answer (dwevents.actions.notify.channels), checked
against the local webhook receiver, which verifies them the way the platform documents. A message counts
as delivered only when the receiver accepted it."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from typing import Any

import pytest

from dwevents.actions.notify import ConsoleChannel, Notification, RetryPolicy, SendResult, build_channel
from dwevents.local.webhook_receiver import WebhookReceiver

from .conftest import (
    DING_SECRET,
    FEISHU_SECRET,
    HOOK_SECRET,
    KINDS,
    NOTE,
    SECRETS,
    SLACK_TOKEN,
    WECOM_KEY,
    channel_for,
    in_5s,
)


@pytest.mark.parametrize("kind", KINDS)
def test_signed_message_reaches_the_receiver_and_verifies(receiver: WebhookReceiver, kind: str) -> None:
    # GIVEN a channel configured with the receiver's URL and the expected secret
    channel = channel_for(kind, receiver)
    # WHEN a critical notification is sent
    delivery = channel.send(NOTE, deadline=in_5s())
    # THEN the platform accepted it on the first attempt, and the receiver holds exactly that message
    assert delivery.ok, delivery.error
    assert (delivery.attempts, delivery.error, delivery.kind) == (1, None, kind)
    assert delivery.sent_at is not None
    assert receiver.rejected == []
    [message] = receiver.received
    assert message.channel == kind
    rendered = json.dumps(message.payload, ensure_ascii=False)
    assert "CRITICAL" in rendered or message.payload.get("severity") == "critical"
    assert "Instance 42 of node ods_orders failed" in rendered
    assert "msg-0001" in rendered


def test_dingtalk_renders_markdown_with_mentions(receiver: WebhookReceiver) -> None:
    channel_for("dingtalk", receiver).send(NOTE, deadline=in_5s())
    payload = receiver.received[0].payload
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"].startswith("[CRITICAL]")
    assert "- **workspace**: 1234" in payload["markdown"]["text"]
    assert "@13800000000" in payload["markdown"]["text"]  # DingTalk only notifies mobiles named in the text
    assert payload["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}


def test_feishu_sends_a_card_coloured_by_severity(receiver: WebhookReceiver) -> None:
    channel_for("feishu", receiver).send(NOTE, deadline=in_5s())
    payload = receiver.received[0].payload
    assert payload["msg_type"] == "interactive"
    assert payload["card"]["header"]["template"] == "red"
    assert isinstance(payload["timestamp"], str) and payload["sign"]


def test_wecom_sends_markdown_within_the_byte_limit(receiver: WebhookReceiver) -> None:
    # GIVEN a notification far above WeCom's 4096-byte markdown limit (multi-byte characters)
    long_note = Notification(title="告警", text="数据质量" * 2000, severity="warning", event_type=None,
                             message_id="m-long")
    # WHEN sent THEN it is truncated to fit and accepted rather than rejected with errcode 40058
    assert channel_for("wecom", receiver).send(long_note, deadline=in_5s()).ok
    content = receiver.received[0].payload["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert '<font color="warning">[WARNING]</font>' in content


def test_slack_sends_blocks_with_a_fallback_text(receiver: WebhookReceiver) -> None:
    channel_for("slack", receiver).send(NOTE, deadline=in_5s())
    payload = receiver.received[0].payload
    assert payload["text"].startswith("[CRITICAL] DataWorks instance failed")
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "section", "actions", "context"]


def test_webhook_sends_the_notification_as_json_with_custom_headers(receiver: WebhookReceiver) -> None:
    channel_for("webhook", receiver).send(NOTE, deadline=in_5s())
    message = receiver.received[0]
    assert message.payload["message_id"] == "msg-0001"
    assert message.payload["fields"] == {"workspace": "1234", "node": "ods_orders"}
    assert message.headers["x-team"] == "data"
    assert message.headers["x-dwevents-message-id"] == "msg-0001"
    assert message.headers["x-dwevents-signature"].startswith("sha256=")


@pytest.mark.parametrize(("kind", "reason", "code"), [("dingtalk", "sign not match", "errcode 310000"),
                                                      ("feishu", "sign match fail", "code 19021"),
                                                      ("webhook", "invalid signature", "HTTP 401")])
def test_wrong_secret_is_rejected_and_reported_failed(receiver: WebhookReceiver, kind: str, reason: str,
                                                      code: str) -> None:
    # GIVEN a channel signing with the wrong secret
    channel = channel_for(kind, receiver, secret="SECwrong-secret-value")
    # WHEN sending
    delivery = channel.send(NOTE, deadline=in_5s())
    # THEN the receiver refused it and the delivery says so — once, a bad signature is not retried
    assert not delivery.ok
    assert delivery.sent_at is None
    assert delivery.attempts == 1
    assert code in (delivery.error or "")
    assert receiver.received == []
    assert [r.reason for r in receiver.rejected] == [reason]


@pytest.mark.parametrize("kind", ["wecom", "slack"])
def test_wrong_url_token_is_reported_failed(receiver: WebhookReceiver, kind: str) -> None:
    # GIVEN an unsigned platform whose URL token is wrong
    bad_url = receiver.url(kind).replace(WECOM_KEY if kind == "wecom" else SLACK_TOKEN, "not-the-token")
    delivery = channel_for(kind, receiver, url=bad_url).send(NOTE, deadline=in_5s())
    # THEN not delivered (WeCom answers HTTP 200 with errcode 93000; Slack 403 invalid_token)
    assert not delivery.ok and delivery.attempts == 1
    assert "93000" in (delivery.error or "") or "invalid_token" in (delivery.error or "")
    assert receiver.received == []


@pytest.mark.parametrize(("kind", "body", "code"), [
    ("dingtalk", {"errcode": 310000, "errmsg": "keywords not in content"}, "310000"),
    ("feishu", {"code": 19024, "msg": "Key Words Not Found"}, "19024"),
    ("feishu", {"StatusCode": 9499, "StatusMessage": "Bad Request"}, "9499"),
    ("wecom", {"errcode": 93000, "errmsg": "invalid webhook url"}, "93000"),
    ("slack", "invalid_payload", "invalid_payload"),
])
def test_platform_error_with_http_200_is_not_ok(receiver: WebhookReceiver, kind: str, body: Any,
                                                code: str) -> None:
    # GIVEN the platform answers HTTP 200 but its body says the message was refused
    receiver.inject(kind, status=200, body=body)
    # WHEN sending
    delivery = channel_for(kind, receiver).send(NOTE, deadline=in_5s())
    # THEN the delivery is a failure naming the platform's code, and is not retried
    assert not delivery.ok
    assert delivery.status == 200 and delivery.attempts == 1
    assert code in (delivery.error or "")


@pytest.mark.parametrize(("kind", "body"), [
    ("dingtalk", {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
    ("feishu", {"code": 11232, "msg": "frequency limited"}),
    ("wecom", {"errcode": 45009, "errmsg": "api freq out of limit"}),
])
def test_platform_rate_limit_code_is_retried(receiver: WebhookReceiver, kind: str, body: Any) -> None:
    receiver.inject(kind, status=200, body=body)
    delivery = channel_for(kind, receiver).send(NOTE, deadline=in_5s())
    assert delivery.ok and delivery.attempts == 2


def test_delivery_as_dict_is_json_ready(receiver: WebhookReceiver) -> None:
    report = channel_for("slack", receiver).send(NOTE, deadline=in_5s()).as_dict()
    assert json.loads(json.dumps(report))["ok"] is True
    assert set(report) == {"channel", "kind", "ok", "attempts", "status", "error", "sent_at"}


# --------------------------------------------------------------------------------------------
# Secrets stay out of logs and errors
# --------------------------------------------------------------------------------------------


def test_secrets_never_appear_in_logs_or_errors(receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    deliveries: list[SendResult] = []
    # GIVEN successes, signature failures, reflected error bodies and transport errors on every channel
    own_secret = {"dingtalk": DING_SECRET, "feishu": FEISHU_SECRET, "webhook": HOOK_SECRET}
    for kind in KINDS:
        deliveries.append(channel_for(kind, receiver).send(NOTE, deadline=in_5s()))
        echo = f"upstream echoed {receiver.url(kind)} {own_secret.get(kind, '')}"
        receiver.inject(kind, status=500, body=echo)
        deliveries.append(channel_for(kind, receiver, retry=RetryPolicy(1)).send(NOTE, deadline=in_5s()))
    deliveries.append(channel_for("dingtalk", receiver, secret="SECwrong-0123456789").send(NOTE,
                                                                                          deadline=in_5s()))
    monkeypatch.setenv("HOOK_TOKEN", "Bearer header-secret-0123456789")
    header_channel = build_channel("ops", {"type": "webhook", "url": receiver.url("webhook"),
                                           "headers": {"Authorization": "${env:HOOK_TOKEN}"}})
    receiver.inject("webhook", status=500, body="Authorization was Bearer header-secret-0123456789")
    deliveries.append(header_channel.send(NOTE, deadline=in_5s()))
    # THEN no secret, token or signed URL shows up in any log line or SendResult error
    assert any(not d.ok for d in deliveries) and any(d.ok for d in deliveries)
    texts = [caplog.text, *(d.error or "" for d in deliveries), *(repr(build_channel(
        "x", {"type": k, "url": receiver.url(k)})) for k in KINDS)]
    for text in texts:
        for secret in (*SECRETS, "header-secret-0123456789", urllib.parse.quote_plus(DING_SECRET)):
            assert secret not in text
        assert "sign=" not in text.replace("sign=***", "")


# --------------------------------------------------------------------------------------------
# Console
# --------------------------------------------------------------------------------------------


def test_console_logs_the_message_even_when_info_is_filtered(caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN logging at WARNING only, and an info-level notification
    caplog.set_level(logging.WARNING, logger="dwevents.actions.notify")
    info_note = Notification(title="Workspace deleted", text="ws 1 deleted", severity="info",
                             event_type=None, message_id="m-2")
    # WHEN it goes to the console THEN it is logged (raised to WARNING), never silently dropped
    delivery = ConsoleChannel("console").send(info_note, deadline=time.monotonic() - 1)
    assert delivery.ok and delivery.attempts == 1
    assert "[INFO] Workspace deleted" in caplog.text and "ws 1 deleted" in caplog.text
