"""The actions configuration: one YAML file, validated at cold start, with environment overrides.

Nothing is required: the embedded defaults run locally (memory idempotency store, audit to the log,
notifications to the console, fail-open WARN for extension points). A bad file makes
:func:`load_settings` raise :class:`ConfigError` naming the key, e.g.
``config.yaml: notifications.routes[0].channels: ...``; a function keeps that error and runs with
:func:`settings_despite` (see :mod:`dwevents.runtime`), so extension points still get a verdict.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from dwevents import env
from dwevents.actions.notify.config import SIGNED_TYPES, ChannelConfig, channel_error_key, webhook_type
from dwevents.errors import ConfigError
from dwevents.models import prebuilt
from dwevents.schema import Strict, describe_error, is_json_file, load_json


def _dataworks_source() -> list[str]:
    return ["acs.dataworks"]


class TrustConfig(Strict):
    """Which events are ours. Empty ``allowed_accounts`` means: the function's own account only."""

    allowed_sources: list[str] = Field(default_factory=_dataworks_source)
    allowed_accounts: list[str] = Field(default_factory=list)
    #: RawData deliveries carry neither source nor account, so they cannot be checked.
    allow_rawdata: bool = False


class IdempotencyConfig(Strict):
    redis_url: str | None = None
    ttl_seconds: int = Field(3600, ge=60, le=7 * 86400)
    #: Key prefix; unset → ``dwevents:<FC function name>`` (``dwevents:<category>`` outside FC), so two
    #: functions, or two deployments sharing one Redis, never read each other's records.
    namespace: str | None = Field(None, min_length=1, max_length=200)
    #: The in-memory store (no Redis) keeps at most this many records and this many bytes of them.
    memory_items: int = Field(10_000, ge=10)
    memory_bytes: int = Field(8 * 1024 * 1024, ge=64 * 1024)


class AuditConfig(Strict):
    log: bool = True
    #: Append every audit record to this JSON-lines file (local use).
    file: str | None = None


class MetricsConfig(Strict):
    enabled: bool = True


class RouteConfig(Strict):
    """Send events matching ``events`` (eventCodes or types) and ``when`` (an EventBridge pattern);
    with ``verdicts``, only extension points that got one of those verdicts (e.g. ``[FAIL]``: blocked)."""

    name: str
    events: list[str]
    when: dict[str, Any] | None = None
    channels: list[str] = Field(default_factory=list)
    severity: Literal["info", "warning", "critical"] | None = None
    verdicts: list[Literal["OK", "WARN", "FAIL"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _verdicts_need_extension_points(self) -> RouteConfig:
        from dwevents.catalogue import lookup

        if self.verdicts:
            specs = [(e, lookup(e if ":" in e else None, e)) for e in self.events]
            regular = [e for e, spec in specs if spec is not None and not spec.is_extension]
            if regular:
                raise ValueError(f"verdicts: {', '.join(regular)} never gets a verdict (a regular event)")
        return self

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        from dwevents.catalogue import lookup

        unknown = [v for v in value if lookup(v if ":" in v else None, v) is None]
        if unknown:
            raise ValueError(f"unknown event type or eventCode: {', '.join(unknown)}")
        if not value:
            raise ValueError("at least one event is required")
        return value


class NotificationsConfig(Strict):
    #: Include the routes a user expects (instance/workflow failed, alerts, DQ, workspace deleted, ...).
    default_routes: bool = True
    #: Channels the default routes go to; empty → the console, so nothing is silently dropped.
    default_channels: list[str] = Field(default_factory=list)
    #: Channel name → its configuration; ``type`` picks the model (see dwevents.actions.notify.config).
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    routes: list[RouteConfig] = Field(default_factory=list)
    #: Seconds a delivery may take at most (retries included), within the invocation deadline.
    max_delivery_seconds: float = Field(10.0, gt=0, le=300)


class DeadLetterConfig(Strict):
    #: Append undeliverable events (undecodable, unknown, refused) to this JSON-lines file.
    file: str | None = None


class DataWorksApiConfig(Strict):
    endpoint: str | None = None
    protocol: Literal["https", "http"] = "https"
    vpc: bool = False


class ExtensionConfig(Strict):
    code: str | None = None
    #: Verdict when the policy raises or runs out of time: fail-open (OK/WARN) or fail-closed (FAIL).
    fail_mode: Literal["OK", "WARN", "FAIL"] = "WARN"
    deadline_margin_ms: int = Field(1500, ge=0, le=60_000)
    max_decision_ms: int = Field(20_000, ge=100, le=600_000)
    rules_file: str | None = None
    extension_params_cache_seconds: int = Field(300, ge=0, le=86400)
    dataworks: DataWorksApiConfig = Field(default_factory=DataWorksApiConfig)

    @field_validator("fail_mode", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        """``fail`` means FAIL: a case slip must not turn fail-closed into the fail-open default."""
        return value.strip().upper() if isinstance(value, str) else value


class Settings(Strict):
    trust: TrustConfig = Field(default_factory=TrustConfig)
    idempotency: IdempotencyConfig = Field(default_factory=IdempotencyConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    notifications: NotificationsConfig = Field(default_factory=NotificationsConfig)
    dead_letter: DeadLetterConfig = Field(default_factory=DeadLetterConfig)
    extension: ExtensionConfig = Field(default_factory=ExtensionConfig)


#: Environment variable → dotted config key it overrides.
ENV_OVERRIDES: dict[str, str] = {
    env.REDIS_URL: "idempotency.redis_url",
    env.IDEMPOTENCY_TTL: "idempotency.ttl_seconds",
    env.IDEMPOTENCY_NAMESPACE: "idempotency.namespace",
    env.ALLOWED_ACCOUNTS: "trust.allowed_accounts",
    env.ALLOWED_SOURCES: "trust.allowed_sources",
    env.EXTENSION_CODE: "extension.code",
    env.FAIL_MODE: "extension.fail_mode",
    env.DEADLINE_MARGIN_MS: "extension.deadline_margin_ms",
    env.MAX_DECISION_MS: "extension.max_decision_ms",
    env.RULES_FILE: "extension.rules_file",
    env.DATAWORKS_ENDPOINT: "extension.dataworks.endpoint",
    env.DATAWORKS_PROTOCOL: "extension.dataworks.protocol",
    env.DATAWORKS_VPC: "extension.dataworks.vpc",
}
_LIST_KEYS = {"trust.allowed_accounts", "trust.allowed_sources"}


def load_settings(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the file named by ``path`` or ``$DWEVENTS_CONFIG`` (if any), then apply env overrides."""
    environ = os.environ if environ is None else environ
    path = path or environ.get(env.CONFIG_FILE) or None
    source = str(path) if path else "<defaults>"
    data: dict[str, Any] = {}
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file ({exc.strerror})", source=source) from None
    if path and is_json_file(path):  # JSON needs no YAML parser (cold start)
        data = load_json(text, source=source)
    elif path:
        import yaml  # only when there is a file: a function on the defaults never imports it

        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"not valid YAML{where}", source=source) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError("expected a mapping at the top level", source=source)
        data = loaded or {}
    webhook_from_env = _webhook_from_env(data, environ)
    for var, dotted in ENV_OVERRIDES.items():
        if var in environ and environ[var] != "":
            raw: Any = environ[var]
            if dotted in _LIST_KEYS:
                raw = [item.strip() for item in raw.split(",") if item.strip()]
            _set_dotted(data, dotted, raw)
    prebuilt.install(Settings)  # validators without pydantic's schema generation (cold start)
    try:
        # The context gives channel secrets written ${env:NAME} the same environment as the overrides.
        settings = Settings.model_validate(data, context={"environ": environ})
    except ValidationError as exc:
        key, message = describe_error(exc, name_item=channel_error_key)
        overridden = [v for v, d in ENV_OVERRIDES.items() if key.startswith(d) and v in environ]
        if webhook_from_env and key.startswith("notifications.channels.webhook"):
            overridden.append(env.WEBHOOK_URL)
        hint = f" (set by ${overridden[0]})" if overridden else ""
        raise ConfigError(f"{message}{hint}", key=key, source=source) from None
    _check_references(settings, source)
    return settings


def settings_despite(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings a function runs with while its config or rules file is broken.

    The file is ignored; each environment override that is valid on its own still applies, so
    ``DWEVENTS_FAIL_MODE``, the extension code, the DataWorks endpoint and the trusted accounts keep
    working: the runtime can still answer every extension point (with the fail-mode verdict naming
    the error) and refuse what is not ours.
    """
    environ = os.environ if environ is None else environ
    prebuilt.install(Settings)
    data: dict[str, Any] = {}
    for var, dotted in ENV_OVERRIDES.items():
        if environ.get(var, "") == "":
            continue
        raw: Any = environ[var]
        if dotted in _LIST_KEYS:
            raw = [item.strip() for item in raw.split(",") if item.strip()]
        attempt = copy.deepcopy(data)
        _set_dotted(attempt, dotted, raw)
        try:
            Settings.model_validate(attempt)
        except ValidationError:
            continue
        data = attempt
    return Settings.model_validate(data)


def _webhook_from_env(data: dict[str, Any], environ: Mapping[str, str]) -> bool:
    """``DWEVENTS_WEBHOOK_URL`` (+ ``_SECRET``) adds a channel ``webhook`` that the default routes use;
    its platform is read from the URL's host. True when the channel was added (and not in the file)."""
    url = environ.get(env.WEBHOOK_URL, "").strip()
    if not url:
        return False
    notifications = data.setdefault("notifications", {})
    if not isinstance(notifications, dict):
        return False
    channels = notifications.setdefault("channels", {})
    if isinstance(channels, dict) and "webhook" not in channels:
        channel: dict[str, Any] = {"type": webhook_type(url), "url": url}
        secret = environ.get(env.WEBHOOK_SECRET, "").strip()
        if secret and channel["type"] in SIGNED_TYPES:
            channel["secret"] = secret
        channels["webhook"] = channel
        notifications.setdefault("default_channels", ["webhook"])
        return True
    return False


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[leaf] = value


def _check_references(settings: Settings, source: str) -> None:
    """Cross-field checks pydantic cannot express: routes name channels that exist."""
    known = set(settings.notifications.channels)
    for i, route in enumerate(settings.notifications.routes):
        for j, name in enumerate(route.channels):
            if name not in known:
                raise ConfigError(
                    f"unknown channel {name!r} (defined: {', '.join(sorted(known)) or 'none'})",
                    key=f"notifications.routes[{i}].channels[{j}]",
                    source=source,
                )
    for j, name in enumerate(settings.notifications.default_channels):
        if name not in known:
            raise ConfigError(
                f"unknown channel {name!r}", key=f"notifications.default_channels[{j}]", source=source
            )
