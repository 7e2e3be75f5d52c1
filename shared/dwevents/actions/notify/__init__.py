"""Notifications: deliver one DataWorks notification to a chat bot, a JSON webhook or the console.

The package in the order a message travels:

* :mod:`.message` — the :class:`Notification` routing hands in and the :class:`SendResult` it gets back;
* :mod:`.config` — ``notifications.channels.<name>`` of the config file, one model per channel type;
* :mod:`.channels` — how each platform renders, signs and answers;
* :mod:`.signing` — the platforms' documented signatures;
* :mod:`.transport` — one POST with a hard deadline, refused redirects, a bounded read, and retries.
"""

from dwevents.actions.notify.channels import (
    Channel,
    ConsoleChannel,
    DingTalkChannel,
    FeishuChannel,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
)
from dwevents.actions.notify.config import CHANNEL_TYPES, ChannelConfig, build_channel, webhook_type
from dwevents.actions.notify.message import SEVERITIES, Notification, SendResult, Severity
from dwevents.actions.notify.signing import dingtalk_sign, feishu_sign, webhook_signature
from dwevents.actions.notify.transport import RetryPolicy
from dwevents.redact import redact_url

__all__ = [
    "CHANNEL_TYPES",
    "SEVERITIES",
    "Channel",
    "ChannelConfig",
    "ConsoleChannel",
    "DingTalkChannel",
    "FeishuChannel",
    "Notification",
    "RetryPolicy",
    "SendResult",
    "Severity",
    "SlackChannel",
    "WeComChannel",
    "WebhookChannel",
    "build_channel",
    "dingtalk_sign",
    "feishu_sign",
    "redact_url",
    "webhook_signature",
    "webhook_type",
]
