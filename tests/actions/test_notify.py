"""Notification channels against the local webhook receiver, which verifies each platform's signature
and payload format the way the platform does. A message counts as delivered only when the receiver
accepted it; nothing here asserts on durations except "returned before the deadline + slack"."""

from __future__ import annotations

import json
import logging
import socket
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from dwevents.actions.notify import (
    Channel,
    ConsoleChannel,
    Delivery,
    DingTalkChannel,
    FeishuChannel,
    Notification,
    RetryPolicy,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
    build_channel,
    dingtalk_sign,
    feishu_sign,
    redact_url,
    webhook_signature,
)
from dwevents.errors import ConfigError
from dwevents.local.webhook_receiver import WebhookReceiver

DING_SECRET = "SECdingtalk0123456789abcdef"
FEISHU_SECRET = "feishu-secret-0123456789"
HOOK_SECRET = "hook-secret-0123456789"
SLACK_TOKEN = "xoxslacktoken0123456789"
WECOM_KEY = "wecom-key-0123456789abcdef"
DING_TOKEN = "dingtalk-access-token-0123456789"
FEISHU_TOKEN = "feishu-hook-token-0123456789"
#: Every string that must never show up in logs or in Delivery.error.
SECRETS = (DING_SECRET, FEISHU_SECRET, HOOK_SECRET, SLACK_TOKEN, WECOM_KEY, DING_TOKEN, FEISHU_TOKEN)
SLACK_S = 1.0  # "returned before the deadline + slack"
FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05)
KINDS = ("dingtalk", "feishu", "wecom", "slack", "webhook")

NOTE = Notification(title="DataWorks instance failed", text="Instance 42 of node ods_orders failed",
                    severity="critical", event_type="dataworks:InstanceStatusChanges:InstanceStatusChanges",
                    message_id="msg-0001", fields={"workspace": "1234", "node": "ods_orders"},
                    link="https://dataworks.console.aliyun.com/instance/42")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(dingtalk_secret=DING_SECRET, feishu_secret=FEISHU_SECRET, webhook_secret=HOOK_SECRET,
                         dingtalk_token=DING_TOKEN, feishu_token=FEISHU_TOKEN, wecom_key=WECOM_KEY,
                         slack_token=SLACK_TOKEN) as r:
        yield r


def channel_for(kind: str, r: WebhookReceiver, *, secret: str | None = None, url: str | None = None,
                retry: RetryPolicy = FAST) -> Channel:
    """A channel of ``kind`` pointed at the receiver, signed with the right secret unless told otherwise."""
    url = url or r.url(kind)
    if kind == "dingtalk":
        return DingTalkChannel("ops", url, secret or DING_SECRET, at_mobiles=["13800000000"], retry=retry)
    if kind == "feishu":
        return FeishuChannel("ops", url, secret or FEISHU_SECRET, retry=retry)
    if kind == "wecom":
        return WeComChannel("ops", url, retry=retry)
    if kind == "slack":
        return SlackChannel("ops", url, retry=retry)
    return WebhookChannel("ops", url, secret or HOOK_SECRET, {"X-Team": "data"}, retry=retry)


def in_5s() -> float:
    return time.monotonic() + 5


# --------------------------------------------------------------------------------------------
# Signing: known-answer vectors computed outside this code (openssl, and Node's crypto)
# --------------------------------------------------------------------------------------------


def test_dingtalk_sign_matches_an_independent_hmac() -> None:
    # GIVEN vectors from `printf '<ts>\n<secret>' | openssl dgst -sha256 -hmac '<secret>' -binary | base64`
    # WHEN signing THEN the base64 HMAC matches, '+' and '/' included (they must be URL-encoded later)
    assert dingtalk_sign("1599360473000", "this is secret") == "hXZTWifRGHclNuZSKxoXc//sh51SWfVfRIhcdeKs63I="
    assert dingtalk_sign("1599360473001", "this is secret") == "FFa7lqbDg9nUpjv2PsmsNQx0pUOYra+izTNB/0xfMGY="


def test_dingtalk_signed_url_url_encodes_the_sign() -> None:
    # GIVEN a robot URL and a secret whose signature at this instant contains '+' and '/'
    channel = DingTalkChannel("ops", "https://oapi.dingtalk.com/robot/send?access_token=t", "this is secret")
    # WHEN the URL is signed at 1599360473.001 s
    url = channel.signed_url(now=1599360473.001)
    # THEN timestamp (ms) and the percent-encoded sign are appended to the existing query
    query = urllib.parse.urlsplit(url).query
    assert "timestamp=1599360473001" in query
    assert "sign=FFa7lqbDg9nUpjv2PsmsNQx0pUOYra%2BizTNB%2F0xfMGY%3D" in query
    assert query.startswith("access_token=t&")


def test_feishu_sign_uses_timestamp_and_secret_as_the_key() -> None:
    # GIVEN the vector from `openssl dgst -sha256 -mac HMAC -macopt key:"<ts>\n<secret>"` on empty input
    # (the same value another project's Node test pins) THEN ours agrees
    assert feishu_sign("1756800000", "orbit-test-secret") == "sN+9ZKa5w6BQmKyxCaxNA1DWEgtEnZaOcfEOCqZ26fg="


def test_webhook_signature_covers_timestamp_and_body() -> None:
    a = webhook_signature("s", "1700000000", b'{"a":1}')
    assert a.startswith("sha256=") and len(a) == len("sha256=") + 64
    assert a != webhook_signature("s", "1700000001", b'{"a":1}')
    assert a != webhook_signature("s", "1700000000", b'{"a":2}')


# --------------------------------------------------------------------------------------------
# Delivery through the receiver
# --------------------------------------------------------------------------------------------


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


@pytest.mark.parametrize("kind", KINDS)
def test_two_server_errors_then_success_is_delivered_on_the_third_attempt(receiver: WebhookReceiver,
                                                                           kind: str) -> None:
    # GIVEN the platform answers HTTP 500 twice
    receiver.inject(kind, status=500, times=2)
    # WHEN sending
    delivery = channel_for(kind, receiver).send(NOTE, deadline=in_5s())
    # THEN the third attempt delivers it, once
    assert delivery.ok, delivery.error
    assert delivery.attempts == 3
    assert len(receiver.received) == 1
    assert [state for _, state in receiver.requests] == ["injected", "injected", "accepted"]


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


def test_http_429_is_retried_and_400_is_not(receiver: WebhookReceiver) -> None:
    receiver.inject("slack", status=429, body="rate_limited")
    assert channel_for("slack", receiver).send(NOTE, deadline=in_5s()).attempts == 2
    receiver.inject("webhook", status=400, body="nope")
    delivery = channel_for("webhook", receiver).send(NOTE, deadline=in_5s())
    assert not delivery.ok and delivery.attempts == 1 and delivery.status == 400


def test_a_redirect_is_not_followed(receiver: WebhookReceiver) -> None:
    receiver.inject("webhook", status=302, body="moved")
    delivery = channel_for("webhook", receiver).send(NOTE, deadline=in_5s())
    assert not delivery.ok and delivery.status == 302 and "redirect" in (delivery.error or "")


def test_retries_stop_after_max_attempts(receiver: WebhookReceiver) -> None:
    receiver.inject("wecom", status=503, times=10)
    delivery = channel_for("wecom", receiver, retry=RetryPolicy(3, 0.01, 0.02)).send(NOTE, deadline=in_5s())
    assert not delivery.ok and delivery.attempts == 3 and delivery.status == 503
    assert "gave up after 3 attempts" in (delivery.error or "")


@pytest.mark.parametrize("kind", KINDS)
def test_a_hanging_receiver_fails_by_the_deadline(receiver: WebhookReceiver, kind: str) -> None:
    # GIVEN a platform that holds every answer far longer than we have
    receiver.inject(kind, delay=30, status=200, body="late", times=10)
    channel = channel_for(kind, receiver, retry=RetryPolicy(attempt_timeout=10))
    deadline = time.monotonic() + 0.5
    # WHEN sending with half a second left
    delivery = channel.send(NOTE, deadline=deadline)
    # THEN it returns a failure by the deadline (+ slack), never "sent"
    assert time.monotonic() < deadline + SLACK_S
    assert not delivery.ok and delivery.sent_at is None
    assert delivery.attempts >= 1
    assert "timed out" in (delivery.error or "")


def test_no_attempt_once_the_deadline_has_passed(receiver: WebhookReceiver) -> None:
    delivery = channel_for("slack", receiver).send(NOTE, deadline=time.monotonic() - 1)
    assert not delivery.ok and delivery.attempts == 0 and receiver.requests == []


def test_connection_refused_is_a_retried_transport_error() -> None:
    # GIVEN a port nobody listens on
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    channel = SlackChannel("ops", f"http://127.0.0.1:{port}/slack/services/T/B/x",
                           retry=RetryPolicy(3, 0.01, 0.02))
    delivery = channel.send(NOTE, deadline=in_5s())
    assert not delivery.ok and delivery.attempts == 3 and delivery.status is None
    assert "transport error" in (delivery.error or "")


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
    deliveries: list[Delivery] = []
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
    # THEN no secret, token or signed URL shows up in any log line or Delivery error
    assert any(not d.ok for d in deliveries) and any(d.ok for d in deliveries)
    texts = [caplog.text, *(d.error or "" for d in deliveries), *(repr(build_channel(
        "x", {"type": k, "url": receiver.url(k)})) for k in KINDS)]
    for text in texts:
        for secret in (*SECRETS, "header-secret-0123456789", urllib.parse.quote_plus(DING_SECRET)):
            assert secret not in text
        assert "sign=" not in text.replace("sign=***", "")


def test_redact_url_keeps_host_and_hides_tokens() -> None:
    assert redact_url("https://oapi.dingtalk.com/robot/send?access_token=abc") == \
        "https://oapi.dingtalk.com/robot/send?***"
    feishu = "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd"
    assert redact_url(feishu) == "https://open.feishu.cn/open-apis/bot/v2/hook/***"


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


# --------------------------------------------------------------------------------------------
# build_channel
# --------------------------------------------------------------------------------------------


DT = "https://x/?access_token=t"
WECOM_NO_KEY = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"


@pytest.mark.parametrize(("spec", "message"), [
    ({"type": "dingtalk"}, "channels.ops.url: required"),
    ({}, "channels.ops.type: required"),
    ({"type": "pager"}, "channels.ops.type: unknown channel type 'pager'"),
    ({"type": "slack", "url": "https://h/x", "secrete": "s"}, "channels.ops.secrete: unknown key"),
    ({"type": "slack", "url": "ftp://hooks.slack.com/x"}, "channels.ops.url: must be an http(s) URL"),
    ({"type": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send"}, "channels.ops.url: a DingTalk"),
    ({"type": "wecom", "url": WECOM_NO_KEY}, "channels.ops.url: a WeCom"),
    ({"type": "dingtalk", "url": DT, "at_mobiles": "138"}, "channels.ops.at_mobiles:"),
    ({"type": "dingtalk", "url": DT, "at_all": "yes"}, "channels.ops.at_all:"),
    ({"type": "feishu", "url": "https://x/hook/t", "secret": 42}, "channels.ops.secret: must be a string"),
    ({"type": "webhook", "url": "https://x/", "headers": {"Bad Header": "v"}}, "channels.ops.headers.Bad "),
    ({"type": "webhook", "url": "https://x/", "timeout": 0}, "channels.ops.timeout:"),
    ({"type": "webhook", "url": "https://x/", "max_attempts": 99}, "channels.ops.max_attempts:"),
])
def test_build_channel_errors_name_the_key(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_channel("ops", spec)
    assert str(err.value).startswith(message)


def test_build_channel_resolves_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                             receiver: WebhookReceiver) -> None:
    # GIVEN the secret and the URL token only in the environment
    monkeypatch.setenv("DT_SECRET", DING_SECRET)
    monkeypatch.setenv("DT_TOKEN", DING_TOKEN)
    url = receiver.url("dingtalk").replace(DING_TOKEN, "${env:DT_TOKEN}")
    channel = build_channel("ops", {"type": "dingtalk", "url": url, "secret": "${env:DT_SECRET}",
                                    "at_all": True, "timeout": 5, "max_attempts": 2})
    # THEN the channel signs correctly and is delivered
    assert isinstance(channel, DingTalkChannel) and channel.retry.max_attempts == 2
    assert channel.send(NOTE, deadline=in_5s()).ok
    assert receiver.received[0].payload["at"]["isAtAll"] is True


def test_build_channel_names_a_missing_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    with pytest.raises(ConfigError) as err:
        build_channel("ops", {"type": "feishu", "url": "https://x/hook/t", "secret": "${env:NO_SUCH_SECRET}"})
    assert str(err.value) == "channels.ops.secret: environment variable NO_SUCH_SECRET is not set"


@pytest.mark.parametrize(("spec", "cls"), [
    ({"type": "console"}, ConsoleChannel), ({"type": "lark", "url": "https://x/hook/t"}, FeishuChannel),
    ({"type": "WeCom", "url": "https://x/?key=k"}, WeComChannel),
    ({"type": "slack", "url": "https://x/"}, SlackChannel),
    ({"type": "webhook", "url": "http://x/"}, WebhookChannel),
])
def test_build_channel_builds_each_type(spec: dict[str, Any], cls: type[Channel]) -> None:
    channel = build_channel("ops", spec)
    assert isinstance(channel, cls) and channel.name == "ops"


def test_notification_rejects_an_unknown_severity() -> None:
    with pytest.raises(ValueError, match="severity"):
        Notification(title="t", text="x", severity="fatal", event_type=None, message_id="m")  # type: ignore[arg-type]
