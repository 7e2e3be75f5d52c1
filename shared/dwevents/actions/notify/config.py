"""Channel configuration: one strict model per channel type, chosen by ``type`` (a discriminated union).

The models sit in the config file's ``notifications.channels.<name>`` (see :mod:`dwevents.config`), so
a typo anywhere reads like every other config error, on one line:
``dwevents.yaml: notifications.channels.ops.secrete: unknown key`` — and a typo such as ``secrete``
can never silently disable signing.

Secrets — and webhook URLs, which are credentials too — may be written ``${env:NAME}`` to keep them out
of the file; the reference is resolved while the file is validated, from the environment
:func:`dwevents.config.load_settings` was given, and the values are kept as :class:`pydantic.SecretStr`
so no repr or dump of the settings shows them. ``type`` is case-insensitive and accepts the aliases
``lark`` (Feishu), ``wework``/``wechat_work`` (WeCom) and ``http`` (webhook).
"""

from __future__ import annotations

import functools
import os
import re
import urllib.parse
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from dwevents.actions.notify.channels import (
    Channel,
    ConsoleChannel,
    DingTalkChannel,
    FeishuChannel,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
)
from dwevents.actions.notify.transport import RetryPolicy
from dwevents.errors import ConfigError
from dwevents.redact import redact_url
from dwevents.schema import Strict, describe_error

__all__ = ["CHANNEL_TYPES", "ChannelConfig", "build_channel", "channel_error_key", "webhook_type"]

CHANNEL_TYPES = ("console", "dingtalk", "feishu", "slack", "webhook", "wecom")
ALIASES = {"lark": "feishu", "wework": "wecom", "wechat_work": "wecom", "http": "webhook"}
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
#: RFC 9110 "HTTP Semantics" §5.1 field names are tokens: https://www.rfc-editor.org/rfc/rfc9110#section-5.1
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _environ(info: ValidationInfo) -> Mapping[str, str]:
    context = info.context if isinstance(info.context, dict) else {}
    environ = context.get("environ")
    return environ if isinstance(environ, Mapping) else os.environ


def resolve_env(value: str, environ: Mapping[str, str]) -> str:
    """Replace every ``${env:NAME}`` in ``value`` by that variable; a missing or empty one is an error."""

    def one(match: re.Match[str]) -> str:
        var = match.group(1)
        found = environ.get(var)
        if not found:
            raise ValueError(f"environment variable {var} is {'empty' if found == '' else 'not set'}")
        return found

    return _ENV_REF.sub(one, value)


def _from_env(value: Any, info: ValidationInfo) -> Any:
    """Resolve env references in a string (other types reach the type check untouched); "" is unset."""
    if isinstance(value, str):
        return resolve_env(value, _environ(info)) or None
    return value


def _url_from_env(value: Any, info: ValidationInfo) -> Any:
    resolved = _from_env(value, info)
    if value is not None and resolved is None:
        raise ValueError("must not be empty")
    if isinstance(resolved, str):
        try:
            parts = urllib.parse.urlsplit(resolved)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ValueError("not a valid URL") from None
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"must be an http(s) URL with a host, got {redact_url(resolved)}")
    return resolved


def _query(url: SecretStr) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url.get_secret_value()).query))


WebhookUrl = Annotated[SecretStr, BeforeValidator(_url_from_env)]
Secret = Annotated[SecretStr | None, BeforeValidator(_from_env)]


class _ChannelConfig(Strict):
    """What every channel accepts: per-attempt timeout and attempt count (the deadline still wins)."""

    #: Seconds one HTTP attempt may take.
    timeout: Annotated[float, Field(gt=0, le=60, strict=True)] | None = None
    max_attempts: Annotated[int, Field(ge=1, le=10, strict=True)] | None = None

    def retry_policy(self) -> RetryPolicy | None:
        if self.timeout is None and self.max_attempts is None:
            return None
        default = RetryPolicy()
        return RetryPolicy(max_attempts=self.max_attempts or default.max_attempts,
                           attempt_timeout=float(self.timeout or default.attempt_timeout))

    def build(self, name: str) -> Channel:
        raise NotImplementedError


class DingTalkConfig(_ChannelConfig):
    type: Literal["dingtalk"] = "dingtalk"
    url: WebhookUrl
    secret: Secret = None
    #: Mobiles to @mention (DingTalk notifies them only when they also appear in the text, which we do).
    at_mobiles: list[Annotated[str, Field(min_length=1, strict=True)]] = Field(default_factory=list)
    at_all: Annotated[bool, Field(strict=True)] = False

    @field_validator("url")
    @classmethod
    def _has_token(cls, url: SecretStr) -> SecretStr:
        if not _query(url).get("access_token"):
            raise ValueError("a DingTalk robot URL carries ?access_token=...")
        return url

    def build(self, name: str) -> Channel:
        return DingTalkChannel(name, self.url.get_secret_value(), _plain(self.secret), tuple(self.at_mobiles),
                               self.at_all, retry=self.retry_policy())


class FeishuConfig(_ChannelConfig):
    type: Literal["feishu"] = "feishu"
    url: WebhookUrl
    secret: Secret = None

    def build(self, name: str) -> Channel:
        return FeishuChannel(name, self.url.get_secret_value(), _plain(self.secret),
                             retry=self.retry_policy())


class WeComConfig(_ChannelConfig):
    type: Literal["wecom"] = "wecom"
    url: WebhookUrl

    @field_validator("url")
    @classmethod
    def _has_key(cls, url: SecretStr) -> SecretStr:
        if not _query(url).get("key"):
            raise ValueError("a WeCom bot URL carries ?key=...")
        return url

    def build(self, name: str) -> Channel:
        return WeComChannel(name, self.url.get_secret_value(), retry=self.retry_policy())


class SlackConfig(_ChannelConfig):
    type: Literal["slack"] = "slack"
    url: WebhookUrl

    def build(self, name: str) -> Channel:
        return SlackChannel(name, self.url.get_secret_value(), retry=self.retry_policy())


class WebhookConfig(_ChannelConfig):
    type: Literal["webhook"] = "webhook"
    url: WebhookUrl
    secret: Secret = None
    #: Extra request headers (e.g. ``Authorization``); values may be ``${env:NAME}`` and are secrets.
    headers: dict[str, Annotated[SecretStr, BeforeValidator(_from_env)]] = Field(default_factory=dict)

    @field_validator("headers")
    @classmethod
    def _valid_headers(cls, headers: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, value in headers.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid HTTP header name")
            if any(c in value.get_secret_value() for c in "\r\n"):
                raise ValueError(f"the value of {name} must not contain line breaks")
        return headers

    def build(self, name: str) -> Channel:
        headers = {k: v.get_secret_value() for k, v in self.headers.items()}
        return WebhookChannel(name, self.url.get_secret_value(), _plain(self.secret), headers,
                              retry=self.retry_policy())


class ConsoleConfig(_ChannelConfig):
    type: Literal["console"] = "console"

    def build(self, name: str) -> Channel:
        return ConsoleChannel(name)


def _plain(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def _normalise_type(value: Any) -> Any:
    """Pick the model by ``type``: case-insensitive, aliases allowed; a missing or unknown one is named."""
    if not isinstance(value, Mapping):
        return value  # the union reports it
    raw = value.get("type")
    if raw is None or raw == "":
        raise ValueError(f"a channel needs a type (one of: {', '.join(CHANNEL_TYPES)})")
    if not isinstance(raw, str):
        raise ValueError(f"type must be a string (one of: {', '.join(CHANNEL_TYPES)})")
    kind = ALIASES.get(raw.lower(), raw.lower())
    if kind not in CHANNEL_TYPES:
        raise ValueError(f"unknown channel type {raw!r} (one of: {', '.join(CHANNEL_TYPES)})")
    return {**value, "type": kind}


ChannelConfig = Annotated[
    DingTalkConfig | FeishuConfig | WeComConfig | SlackConfig | WebhookConfig | ConsoleConfig,
    Field(discriminator="type"),
    BeforeValidator(_normalise_type),
]


@functools.cache
def _adapter() -> TypeAdapter[Any]:
    """The channel union's validator, built on first use: most functions validate their channels as
    part of the settings (prebuilt), and building it at import cost every cold start a schema build."""
    return TypeAdapter(ChannelConfig)


def _key(loc: tuple[Any, ...]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def channel_error_key(loc: tuple[Any, ...]) -> str | None:
    """The config key of an error inside a channel, without the union tag pydantic puts in its location
    (``notifications.channels.ops.slack.secrete`` → ``notifications.channels.ops.secrete``); for
    :func:`dwevents.schema.describe_error`'s ``name_item``. None when ``loc`` is not inside a channel."""
    for i in range(len(loc) - 2):
        if loc[i] == "channels" and loc[i + 2] in CHANNEL_TYPES:
            return _key(loc[: i + 2] + loc[i + 3 :])
    if loc and loc[0] in CHANNEL_TYPES:  # a channel validated on its own (build_channel)
        return _key(loc[1:])
    return None


def parse_channel(spec: Mapping[str, Any], *, environ: Mapping[str, str] | None = None) -> Any:
    """Validate one channel entry on its own; errors are ValidationErrors located within the entry."""
    context = {"environ": environ if environ is not None else os.environ}
    return _adapter().validate_python(spec, context=context)


def build_channel(name: str, spec: Mapping[str, Any] | _ChannelConfig,
                  *, environ: Mapping[str, str] | None = None) -> Channel:
    """The channel for one ``channels.<name>`` entry: a validated model, or a raw mapping validated here
    (errors name the key, e.g. ``channels.ops.url: a DingTalk robot URL carries ?access_token=...``)."""
    if isinstance(spec, _ChannelConfig):
        return spec.build(name)
    try:
        config: _ChannelConfig = parse_channel(spec, environ=environ)
    except ValidationError as exc:
        key, message = describe_error(exc, name_item=channel_error_key)
        raise ConfigError(message, key=".".join(p for p in (f"channels.{name}", key) if p)) from None
    return config.build(name)


#: Host fragments that identify a webhook's platform (``DWEVENTS_WEBHOOK_URL`` needs no type).
_WEBHOOK_HOSTS = (
    ("oapi.dingtalk.com", "dingtalk"),
    ("open.feishu.cn", "feishu"),
    ("open.larksuite.com", "feishu"),
    ("qyapi.weixin.qq.com", "wecom"),
    ("hooks.slack.com", "slack"),
)
#: The channel types that take a signing ``secret``.
SIGNED_TYPES = frozenset({"dingtalk", "feishu", "webhook"})


def webhook_type(url: str) -> str:
    """The channel type a webhook URL belongs to; a generic JSON webhook when the host is not known."""
    lowered = url.lower()
    return next((kind for host, kind in _WEBHOOK_HOSTS if host in lowered), "webhook")
