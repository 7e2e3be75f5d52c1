"""Shared set-up for the notification tests: the local webhook receiver, which verifies each platform's
signature and payload format the way the platform documents, and one channel of each kind pointed at it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from dwevents.actions.notify import (
    Channel,
    DingTalkChannel,
    FeishuChannel,
    Notification,
    RetryPolicy,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
)
from dwevents.local.webhook_receiver import WebhookReceiver

DING_SECRET = "SECdingtalk0123456789abcdef"
FEISHU_SECRET = "feishu-secret-0123456789"
HOOK_SECRET = "hook-secret-0123456789"
SLACK_TOKEN = "xoxslacktoken0123456789"
WECOM_KEY = "wecom-key-0123456789abcdef"
DING_TOKEN = "dingtalk-access-token-0123456789"
FEISHU_TOKEN = "feishu-hook-token-0123456789"
#: Every string that must never show up in logs or in SendResult.error.
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
