"""Channel configuration (dwevents.actions.notify.config) and its place in the config file
(``notifications.channels`` of dwevents.config): one strict model per ``type``, errors on one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dwevents.actions.notify import (
    Channel,
    ConsoleChannel,
    DingTalkChannel,
    FeishuChannel,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
    build_channel,
)
from dwevents.actions.notify.config import DingTalkConfig, WebhookConfig, WeComConfig
from dwevents.config import load_settings
from dwevents.errors import ConfigError
from dwevents.local.webhook_receiver import WebhookReceiver

from .conftest import DING_SECRET, DING_TOKEN, NOTE, in_5s

DT = "https://x/?access_token=t"
WECOM_NO_KEY = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
TYPES = "(one of: console, dingtalk, feishu, slack, webhook, wecom)"


@pytest.mark.parametrize(("spec", "message"), [
    ({"type": "dingtalk"}, "channels.ops.url: Field required"),
    ({}, f"channels.ops: a channel needs a type {TYPES}"),
    ({"type": "pager"}, f"channels.ops: unknown channel type 'pager' {TYPES}"),
    ({"type": "slack", "url": "https://h/x", "secrete": "s"}, "channels.ops.secrete: unknown key"),
    ({"type": "slack", "url": "ftp://hooks.slack.com/x"}, "channels.ops.url: must be an http(s) URL"),
    ({"type": "slack", "url": ""}, "channels.ops.url: must not be empty"),
    ({"type": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send"}, "channels.ops.url: a DingTalk"),
    ({"type": "wecom", "url": WECOM_NO_KEY}, "channels.ops.url: a WeCom"),
    ({"type": "dingtalk", "url": DT, "at_mobiles": "138"}, "channels.ops.at_mobiles:"),
    ({"type": "dingtalk", "url": DT, "at_mobiles": [13800000000]}, "channels.ops.at_mobiles[0]:"),
    ({"type": "dingtalk", "url": DT, "at_all": "yes"}, "channels.ops.at_all:"),
    ({"type": "feishu", "url": "https://x/hook/t", "secret": 42},
     "channels.ops.secret: Input should be a valid string"),
    ({"type": "webhook", "url": "https://x/", "headers": {"Bad Header": "v"}},
     "channels.ops.headers: 'Bad Header' is not a valid HTTP header name"),
    ({"type": "webhook", "url": "https://x/", "timeout": 0}, "channels.ops.timeout:"),
    ({"type": "webhook", "url": "https://x/", "timeout": True}, "channels.ops.timeout:"),
    ({"type": "webhook", "url": "https://x/", "max_attempts": 99}, "channels.ops.max_attempts:"),
    ({"type": "console", "url": "https://x/"}, "channels.ops.url: unknown key"),
])
def test_build_channel_errors_name_the_key(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_channel("ops", spec)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


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
    assert channel.retry.attempt_timeout == 5.0
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
    ({"type": "wework", "url": "https://x/?key=k"}, WeComChannel),
    ({"type": "slack", "url": "https://x/"}, SlackChannel),
    ({"type": "http", "url": "http://x/"}, WebhookChannel),
    ({"type": "webhook", "url": "http://x/"}, WebhookChannel),
])
def test_build_channel_builds_each_type(spec: dict[str, Any], cls: type[Channel]) -> None:
    channel = build_channel("ops", spec)
    assert isinstance(channel, cls) and channel.name == "ops"


# --------------------------------------------------------------------------------------------
# In the config file
# --------------------------------------------------------------------------------------------


def _settings(tmp_path: Path, channels: str, environ: dict[str, str] | None = None) -> Any:
    path = tmp_path / "dwevents.yaml"
    path.write_text("notifications:\n  channels:\n" + channels)
    return load_settings(path, environ=environ or {})


def test_a_typo_in_a_channel_reads_as_one_line_naming_file_and_key(tmp_path: Path) -> None:
    # GIVEN a Slack channel with a misspelt key
    with pytest.raises(ConfigError) as err:
        _settings(tmp_path, "    ops: {type: slack, url: 'https://hooks.slack.com/x/y', secrete: s}\n")
    # THEN the error names the file and the key in the file's own words, without the union's tag
    assert str(err.value) == f"{tmp_path / 'dwevents.yaml'} notifications.channels.ops.secrete: unknown key"


def test_an_unknown_channel_type_in_the_file_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        _settings(tmp_path, "    ops: {type: pager, url: 'https://x/'}\n")
    assert str(err.value).endswith(f"notifications.channels.ops: unknown channel type 'pager' {TYPES}")


def test_channel_secrets_resolve_from_the_environment_the_settings_were_loaded_with(tmp_path: Path) -> None:
    # GIVEN secrets referenced as ${env:NAME} and an explicit environment (not os.environ)
    settings = _settings(
        tmp_path,
        "    ops: {type: webhook, url: '${env:HOOK_URL}', secret: '${env:HOOK_SECRET}',\n"
        "          headers: {Authorization: 'Bearer ${env:HOOK_TOKEN}'}}\n",
        environ={"HOOK_URL": "https://ops.example.com/hook?k=url-token-0123", "HOOK_SECRET": "s3cr3t-value",
                 "HOOK_TOKEN": "tok-0123456789"},
    )
    config = settings.notifications.channels["ops"]
    # THEN the model holds the resolved values, and no repr or JSON dump of the settings shows them
    assert isinstance(config, WebhookConfig)
    assert config.url.get_secret_value() == "https://ops.example.com/hook?k=url-token-0123"
    assert config.headers["Authorization"].get_secret_value() == "Bearer tok-0123456789"
    for shown in (repr(settings), settings.model_dump_json()):
        for secret in ("url-token-0123", "s3cr3t-value", "tok-0123456789"):
            assert secret not in shown
    channel = build_channel("ops", config)
    assert isinstance(channel, WebhookChannel) and channel.secret == "s3cr3t-value"


@pytest.mark.parametrize(("url", "model", "signed"), [
    ("https://oapi.dingtalk.com/robot/send?access_token=x", DingTalkConfig, True),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", WeComConfig, False),
    ("https://ops.example.com/hooks/dataworks", WebhookConfig, True),
])
def test_the_one_variable_set_up_picks_the_platform_from_the_url(url: str, model: type, signed: bool) -> None:
    # GIVEN only DWEVENTS_WEBHOOK_URL (and a secret)
    settings = load_settings(environ={"DWEVENTS_WEBHOOK_URL": url, "DWEVENTS_WEBHOOK_SECRET": "sec-0123"})
    # THEN a channel "webhook" of the URL's platform is what the default routes use
    config = settings.notifications.channels["webhook"]
    assert isinstance(config, model) and settings.notifications.default_channels == ["webhook"]
    assert (getattr(config, "secret", None) is not None) is signed


def test_a_bad_webhook_url_in_the_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"DWEVENTS_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send"})
    assert str(err.value) == ("<defaults> notifications.channels.webhook.url: a DingTalk robot URL carries "
                              "?access_token=... (set by $DWEVENTS_WEBHOOK_URL)")
