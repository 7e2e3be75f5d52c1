"""Where and as whom the DataWorks API is called: endpoint (host[:port]), protocol, region, credentials,
per-attempt timeout and transport.

Why one place: the endpoint can come from the environment (``DWEVENTS_DATAWORKS_ENDPOINT``) or from the
config file (``extension.dataworks.endpoint``); both must be known *before* the settings are validated,
otherwise an endpoint given only in the config file fails for want of a region.
The default endpoint is ``dataworks.<region>.aliyuncs.com`` (``dataworks-vpc.<region>.aliyuncs.com``
inside a VPC), the pattern of the official SDK's endpoint map (``alibabacloud-dataworks-public20200518``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dwevents import env
from dwevents.errors import ConfigError

API_VERSION = "2020-05-18"
#: Per-attempt timeout cap (seconds) when DWEVENTS_DATAWORKS_TIMEOUT_MS is unset.
DEFAULT_ATTEMPT_TIMEOUT_S = 5.0
#: Upper bound of the connect share of a call's timeout budget (the rest is for the response).
CONNECT_TIMEOUT_CAP_S = 1.0
#: ``lean`` (http.client + ACS3 signing, the default) or ``sdk`` (the official SDK).
TRANSPORTS = ("lean", "sdk")
DEFAULT_TRANSPORT = "lean"


def _mask(value: str | None, keep: int = 0) -> str | None:
    if not value:
        return value
    return (value[:keep] + "***") if keep else "***"


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class DataWorksSettings:
    """Where and as whom to call the DataWorks API. ``repr`` never shows the secret or the token."""

    endpoint: str
    protocol: str = "https"
    region: str | None = None
    access_key_id: str | None = field(default=None, repr=False)
    access_key_secret: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    #: Cap on one attempt (connect + response); send_verdict also bounds it by the time left.
    attempt_timeout_s: float = DEFAULT_ATTEMPT_TIMEOUT_S
    #: ``lean`` (default) or ``sdk``; see docs/decisions/dataworks-transport.md.
    transport: str = DEFAULT_TRANSPORT

    def __post_init__(self) -> None:
        endpoint = self.endpoint.strip()
        protocol = self.protocol.strip().lower()
        # Accept "http://host:port" for convenience: the SDK wants the scheme apart from the host.
        for scheme in ("http", "https"):
            if endpoint.lower().startswith(scheme + "://"):
                endpoint, protocol = endpoint[len(scheme) + 3 :], scheme
        endpoint = endpoint.rstrip("/")
        if not endpoint:
            raise ConfigError("DataWorks endpoint is empty", key=env.DATAWORKS_ENDPOINT)
        if protocol not in ("http", "https"):
            raise ConfigError(
                f"protocol must be http or https, not {self.protocol!r}", key=env.DATAWORKS_PROTOCOL
            )
        if self.attempt_timeout_s <= 0:
            raise ConfigError("attempt timeout must be positive", key=env.DATAWORKS_TIMEOUT_MS)
        if self.transport not in TRANSPORTS:
            raise ConfigError(
                f"transport must be lean or sdk, not {self.transport!r}", key=env.DATAWORKS_TRANSPORT
            )
        object.__setattr__(self, "endpoint", endpoint)
        object.__setattr__(self, "protocol", protocol)

    def __repr__(self) -> str:
        return (
            f"DataWorksSettings(endpoint={self.endpoint!r}, protocol={self.protocol!r}, "
            f"region={self.region!r}, access_key_id={_mask(self.access_key_id, 4)!r}, "
            f"access_key_secret={_mask(self.access_key_secret)!r}, "
            f"security_token={_mask(self.security_token)!r}, attempt_timeout_s={self.attempt_timeout_s}, "
            f"transport={self.transport!r})"
        )

    __str__ = __repr__

    @property
    def has_credentials(self) -> bool:
        return bool(self.access_key_id and self.access_key_secret)

    @property
    def host(self) -> str:
        """The host without the port (what the endpoint names)."""
        return self.endpoint.rpartition(":")[0] if ":" in self.endpoint else self.endpoint

    @classmethod
    def from_env(
        cls,
        context: Any = None,
        environ: Mapping[str, str] | None = None,
        *,
        endpoint: str | None = None,
        protocol: str | None = None,
        vpc: bool | None = None,
    ) -> DataWorksSettings:
        """Settings for this invocation.

        ``endpoint`` / ``protocol`` / ``vpc`` are the config file's ``extension.dataworks`` values (which
        already carry the environment overrides, see dwevents/config.py); given, they win over the
        variables and are applied *before* validation, so an endpoint needs no region.

        Credentials: the FC context's temporary role credentials (``context.credentials``, Python 3.10
        runtime) win, else the ``ALIBABA_CLOUD_*`` variables (what FC sets on Python 3.12 and what a local
        run uses). Region: DWEVENTS_REGION, FC_REGION, ALIBABA_CLOUD_REGION_ID, ``context.region``.
        Endpoint: the argument, DWEVENTS_DATAWORKS_ENDPOINT, else ``dataworks.<region>.aliyuncs.com``
        (``dataworks-vpc.<region>…`` with DWEVENTS_DATAWORKS_VPC=true or ``vpc=True``).
        """
        environ = os.environ if environ is None else environ
        key_id = environ.get(env.ACCESS_KEY_ID) or None
        secret = environ.get(env.ACCESS_KEY_SECRET) or None
        token = environ.get(env.SECURITY_TOKEN) or None
        creds = getattr(context, "credentials", None) if context is not None else None
        ctx_key_id = getattr(creds, "access_key_id", None) if creds is not None else None
        ctx_secret = getattr(creds, "access_key_secret", None) if creds is not None else None
        if ctx_key_id and ctx_secret:
            key_id, secret = str(ctx_key_id), str(ctx_secret)
            token = str(getattr(creds, "security_token", "") or "") or None

        region = (
            environ.get(env.REGION)
            or environ.get(env.FC_REGION)
            or environ.get(env.CLOUD_REGION)
            or (getattr(context, "region", None) if context is not None else None)
            or None
        )
        chosen = (endpoint or environ.get(env.DATAWORKS_ENDPOINT) or "").strip()
        if not chosen:
            if not region:
                raise ConfigError(
                    f"set {env.DATAWORKS_ENDPOINT} (or extension.dataworks.endpoint) or a region "
                    f"({env.REGION}, {env.FC_REGION})",
                    key=env.DATAWORKS_ENDPOINT,
                    source="environment",
                )
            in_vpc = _truthy(vpc) if vpc is not None else _truthy(environ.get(env.DATAWORKS_VPC))
            chosen = f"{'dataworks-vpc' if in_vpc else 'dataworks'}.{region}.aliyuncs.com"
        timeout_s = DEFAULT_ATTEMPT_TIMEOUT_S
        raw_timeout = (environ.get(env.DATAWORKS_TIMEOUT_MS) or "").strip()
        if raw_timeout:
            try:
                timeout_s = float(raw_timeout) / 1000.0
            except ValueError:
                raise ConfigError(
                    f"not a number: {raw_timeout!r}", key=env.DATAWORKS_TIMEOUT_MS, source="environment"
                ) from None
        return cls(
            endpoint=chosen,
            protocol=protocol or environ.get(env.DATAWORKS_PROTOCOL) or "https",
            region=str(region) if region else None,
            access_key_id=key_id,
            access_key_secret=secret,
            security_token=token,
            attempt_timeout_s=timeout_s,
            transport=(environ.get(env.DATAWORKS_TRANSPORT) or DEFAULT_TRANSPORT).strip().lower(),
        )
