"""What the deploy tools share about the Alibaba Cloud Tea/OpenAPI SDKs: credentials, config, errors.

Kept apart so the bus tool, remote invoke and the doctor build the SDK ``Config`` the same way and turn an
SDK exception into one :class:`dwevents.errors.CloudApiError` line (code, HTTP status, request id, the
server's message) — never a traceback from deep inside the SDK and never a key. The SDK packages are
imported inside the functions (cold start).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dwevents import env
from dwevents.errors import CloudApiError, ConfigError

#: Also read: the account that owns the functions (needed for target ARNs).
ACCOUNT_ID = env.ACCOUNT_ID
T = TypeVar("T")


@dataclass(frozen=True)
class Credentials:
    """An AccessKey pair (plus STS token). ``repr`` never shows the secret or the token."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials | None:
        """The ``ALIBABA_CLOUD_*`` variables (what FC sets for a role, and what CI usually exports)."""
        source = os.environ if environ is None else environ
        key_id, secret = source.get(env.ACCESS_KEY_ID), source.get(env.ACCESS_KEY_SECRET)
        if not key_id or not secret:
            return None
        return cls(key_id, secret, source.get(env.SECURITY_TOKEN) or None)


@dataclass(frozen=True)
class SdkFailure:
    """An SDK exception reduced to what a person needs to act on it."""

    code: str
    message: str
    status: int | None = None
    request_id: str | None = None
    transient: bool = False

    def describe(self, what: str) -> str:
        status = f" (HTTP {self.status})" if self.status else ""
        request = f" [request id {self.request_id}]" if self.request_id else ""
        return f"{what}: {self.code}{status}: {self.message}{request}{_hint(self.code)}"

    def error(self, service: str, action: str, subject: str = "") -> CloudApiError:
        """The one API error class (dwevents.errors.CloudApiError), message naming call and cause."""
        what = f"{service} {action}" + (f" '{subject}'" if subject else "")
        return CloudApiError(
            self.describe(what),
            action=action,
            code=self.code,
            status=self.status,
            request_id=self.request_id,
            transient=self.transient,
        )


def _hint(code: str) -> str:
    lowered = code.lower()
    if "signature" in lowered:
        return f" — check {env.ACCESS_KEY_SECRET} (and {env.SECURITY_TOKEN} for STS keys)"
    if "accesskey" in lowered:
        return f" — check {env.ACCESS_KEY_ID}"
    if code in ("Unreachable",):
        return " — check --endpoint/--protocol/--region and the network"
    return ""


class MissingCredentialsError(ConfigError):
    """No keys given and none in the ``ALIBABA_CLOUD_*`` variables."""


def require_credentials(credentials: Credentials | None = None) -> Credentials:
    """Explicit keys, else the environment; else a clear error.

    Deliberately not the SDK's default chain: it ends by probing the ECS metadata service, logs a
    traceback per attempt and surfaces as an opaque transport failure — the wrong experience for a
    deploy step, where the keys are simply missing from the environment.
    """
    found = credentials or Credentials.from_env()
    if found is None:
        raise MissingCredentialsError(
            f"no credentials: export {env.ACCESS_KEY_ID} and {env.ACCESS_KEY_SECRET} (plus "
            f"{env.SECURITY_TOKEN} for STS keys); Serverless Devs does not pass its `access` keys to "
            "`run:` actions",
            key=env.ACCESS_KEY_ID,
        )
    return found


def openapi_config(
    *,
    region: str,
    endpoint: str | None = None,
    protocol: str = "https",
    credentials: Credentials | None = None,
    connect_timeout_ms: int = 5000,
    read_timeout_ms: int = 10000,
) -> Any:
    """An ``alibabacloud_tea_openapi`` ``Config`` signed with :func:`require_credentials`' keys."""
    creds = require_credentials(credentials)
    from alibabacloud_tea_openapi import models as open_api_models

    config = open_api_models.Config(
        region_id=region, protocol=protocol, connect_timeout=connect_timeout_ms, read_timeout=read_timeout_ms
    )
    if endpoint:
        config.endpoint = endpoint
    config.access_key_id = creds.access_key_id
    config.access_key_secret = creds.access_key_secret
    if creds.security_token:
        config.security_token = creds.security_token
    return config


def sdk_failure(exc: BaseException) -> SdkFailure | None:
    """Reduce a Tea/Darabonba SDK exception; ``None`` when ``exc`` is not one of theirs."""
    module = type(exc).__module__ or ""
    if not module.startswith(("Tea", "darabonba", "alibabacloud_")):
        return None
    status = getattr(exc, "status_code", None)
    data = getattr(exc, "data", None)
    body = data if isinstance(data, dict) else {}
    code = str(getattr(exc, "code", None) or body.get("Code") or body.get("code") or "")
    message = str(body.get("Message") or body.get("message") or body.get("errorMessage") or "")
    request_id = getattr(exc, "request_id", None) or body.get("RequestId") or body.get("requestId")
    if type(exc).__name__ == "UnretryableException":
        inner = getattr(exc, "inner_exception", None)
        if inner is not None and "Credential" in type(inner).__name__:
            return SdkFailure("CredentialsUnavailable", _first_line(str(inner)))
        reason = type(inner).__name__ if inner is not None else "no response"
        return SdkFailure("Unreachable", f"no usable answer from the endpoint ({reason})", transient=True)
    if not code:
        code = type(exc).__name__
    if not message:
        message = _first_line(getattr(exc, "message", None) or str(exc))
    transient = bool(status and (status >= 500 or status == 429)) or "Throttling" in code
    return SdkFailure(
        code, message, int(status) if status else None, str(request_id) if request_id else None, transient
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else ""


def call_sdk(service: str, action: str, call: Callable[[], Any], subject: str = "") -> Any:
    """Run one SDK call; a Tea/Darabonba exception becomes :class:`CloudApiError`, a body that says
    ``Success: false`` under HTTP 200 (EventBridge does that) too."""
    try:
        response = call()
    except Exception as exc:
        failure = sdk_failure(exc)
        if failure is None:
            raise
        raise failure.error(service, action, subject) from None
    body = getattr(response, "body", None)
    if body is not None and getattr(body, "success", None) is False:
        code = str(getattr(body, "code", "") or "")
        raise CloudApiError(
            f"{service} {action}: {code}: {getattr(body, 'message', '')} "
            f"[request id {getattr(body, 'request_id', '')}]",
            action=action,
            code=code,
            request_id=getattr(body, "request_id", None),
        )
    return response


def unless_absent(code: str, call: Callable[[], T]) -> T | None:
    """``call()``, or None when the cloud answers ``code`` (the thing asked for does not exist)."""
    try:
        return call()
    except CloudApiError as exc:
        if exc.code == code:
            return None
        raise


class SdkApi:
    """Base of the tools' SDK adapters: one official client of one product, built (and its SDK imported)
    when the adapter is, with the ``Config`` every adapter shares (:func:`openapi_config`)."""

    def __init__(
        self,
        *,
        region: str,
        endpoint: str | None = None,
        protocol: str = "https",
        credentials: Credentials | None = None,
    ) -> None:
        client_class = self._sdk()  # first: a missing SDK is reported before missing keys
        self._protocol = protocol
        self._client = client_class(
            openapi_config(
                region=region,
                endpoint=endpoint or self.default_endpoint(region),
                protocol=protocol,
                credentials=credentials,
            )
        )

    def _sdk(self) -> Any:
        """Import the product's SDK (keeping its models as ``self._m``); return its client class."""
        raise NotImplementedError

    def default_endpoint(self, region: str) -> str | None:
        """The endpoint when none is given; None lets the SDK pick the region's."""
        return None
