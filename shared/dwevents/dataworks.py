"""Thin wrapper over the official DataWorks SDK (``alibabacloud-dataworks-public20200518``).

Why a wrapper: the SDK costs ~0.6 s and ~60 MB to import (reference/sdk-wire.md), so it is imported
lazily — on the first call or in :meth:`DataWorksClient.warm` (the FC initializer) — and importing this
module pulls in no ``alibabacloud`` / ``Tea`` / ``darabonba`` module. It also pins the behaviour the
reply path relies on: exactly one HTTP attempt per call (the caller owns retries and the deadline), a
per-call timeout budget, and SDK exceptions mapped to :class:`~dwevents.errors.ReplyError` with the
DataWorks error code, the HTTP status and whether a retry can help.

Credentials and request headers are never logged; the SDK's own header-dumping debug loggers
(``DEBUG=sdk``) are silenced when the SDK is loaded.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dwevents import env
from dwevents.catalogue import ReplyApi
from dwevents.errors import ConfigError, ReplyError
from dwevents.verdict import truncate_tip

logger = logging.getLogger(__name__)

API_VERSION = "2020-05-18"
#: Per-attempt timeout cap (seconds) when DWEVENTS_DATAWORKS_TIMEOUT_MS is unset.
DEFAULT_ATTEMPT_TIMEOUT_S = 5.0
#: Upper bound of the connect share of a call's timeout budget (the rest is for the response).
CONNECT_TIMEOUT_CAP_S = 1.0
#: Codes that mean "try again later" whatever the HTTP status (DataWorks documents
#: ``InternalError.UserId.Missing`` as a 400 "internal error, try again later").
_TRANSIENT_CODE_PREFIXES = ("Throttling", "InternalError", "ServiceUnavailable", "SignatureNonceUsed")
#: The SDK loggers that print every request header (Authorization, x-acs-security-token) on DEBUG=sdk.
_HEADER_DUMPING_LOGGERS = ("darabonba-core", "alibabacloud-tea")
_QUERY_IN_TEXT = re.compile(r"(/[^\s?'\"]*)\?[^\s'\")]*")
_IDE_RESULTS = frozenset({"OK", "WARN", "FAIL"})
#: The SDK method behind each action (note "ideevent" is one word in the SDK).
_SDK_METHODS = {
    "UpdateIDEEventResult": "update_ideevent_result_with_options",
    "UpdateWorkbenchEventResult": "update_workbench_event_result_with_options",
    "CallbackExtension": "callback_extension_with_options",
    "GetIDEEventDetail": "get_ideevent_detail_with_options",
    "GetExtension": "get_extension_with_options",
    "GetOptionValueForProject": "get_option_value_for_project_with_options",
}
#: Actions whose parameters the SDK sends in the query string rather than the form body.
_QUERY_ACTIONS = frozenset({"UpdateWorkbenchEventResult", "GetExtension"})
_TRANSPORTS = ("sdk", "lean")


def _mask(value: str | None, keep: int = 0) -> str | None:
    if not value:
        return value
    return (value[:keep] + "***") if keep else "***"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class DataWorksSettings:
    """Where and as whom to call the DataWorks API. ``repr`` never shows the secret or the token."""

    endpoint: str
    protocol: str = "https"
    region: str | None = None
    access_key_id: str | None = field(default=None, repr=False)
    access_key_secret: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    #: Cap on one attempt (connect + response); :func:`dwevents.reply.send_verdict` also bounds it by
    #: the time left before its deadline.
    attempt_timeout_s: float = DEFAULT_ATTEMPT_TIMEOUT_S
    #: ``sdk`` (default: the official SDK) or ``lean`` (dwevents.dataworks_lean: http.client + ACS3).
    transport: str = "sdk"

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
        if self.transport not in _TRANSPORTS:
            raise ConfigError(
                f"transport must be sdk or lean, not {self.transport!r}", key=env.DATAWORKS_TRANSPORT
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

    @classmethod
    def from_env(cls, context: Any = None, environ: Mapping[str, str] | None = None) -> DataWorksSettings:
        """Settings for this invocation.

        Credentials: the FC context's temporary role credentials (``context.credentials``, Python 3.10
        runtime and older) win, else the ``ALIBABA_CLOUD_*`` variables (what FC sets on Python 3.12 and
        what a local run uses). Region: DWEVENTS_REGION, FC_REGION, ALIBABA_CLOUD_REGION_ID,
        ``context.region``. Endpoint: DWEVENTS_DATAWORKS_ENDPOINT, else ``dataworks.<region>.aliyuncs.com``
        (``dataworks-vpc.<region>…`` with DWEVENTS_DATAWORKS_VPC=true).
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
        endpoint = (environ.get(env.DATAWORKS_ENDPOINT) or "").strip()
        if not endpoint:
            if not region:
                raise ConfigError(
                    f"set {env.DATAWORKS_ENDPOINT} or a region ({env.REGION}, {env.FC_REGION})",
                    key=env.DATAWORKS_ENDPOINT,
                    source="environment",
                )
            host = "dataworks-vpc" if _truthy(environ.get(env.DATAWORKS_VPC)) else "dataworks"
            endpoint = f"{host}.{region}.aliyuncs.com"
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
            endpoint=endpoint,
            protocol=environ.get(env.DATAWORKS_PROTOCOL) or "https",
            region=str(region) if region else None,
            access_key_id=key_id,
            access_key_secret=secret,
            security_token=token,
            attempt_timeout_s=timeout_s,
            transport=(environ.get(env.DATAWORKS_TRANSPORT) or "sdk").strip().lower(),
        )


class DataWorksError(ReplyError):
    """A DataWorks API call failed; adds the action and the request id (quote it to Alibaba support)."""

    def __init__(
        self,
        message: str,
        *,
        action: str,
        code: str = "",
        status: int | None = None,
        transient: bool = True,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status, transient=transient)
        self.action = action
        self.request_id = request_id


def wire_verdict(api: ReplyApi, check_result: str, tip: str) -> tuple[str, str]:
    """The exact ``CheckResult`` and tip text sent for ``api``.

    Operation Center (UpdateWorkbenchEventResult) knows only ``OK`` and ``Fail``: WARN is sent as
    ``OK`` — the operation proceeds, as a warning would — and the tip keeps a ``WARN:`` prefix so the
    warning is not lost. CallbackExtension requires a message with FAIL, so an empty one gets a default.
    """
    result = str(check_result).strip().upper()
    if result not in _IDE_RESULTS:
        raise ValueError(f"check result must be OK, WARN or FAIL, not {check_result!r}")
    text = truncate_tip(tip)
    if api is ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT:
        if result == "WARN":
            return "OK", truncate_tip(f"WARN: {text}" if text else "WARN")
        return ("Fail" if result == "FAIL" else "OK"), text
    if api is ReplyApi.CALLBACK_EXTENSION and result == "FAIL" and not text:
        return result, "Blocked by the extension."
    if api is ReplyApi.RETURN:
        raise ValueError("ReplyApi.RETURN is answered by the function's return value, not an API call")
    return result, text


def _scrub(text: str) -> str:
    """Drop query strings from transport error texts (they can carry parameters we did not mean to log)."""
    return _QUERY_IN_TEXT.sub(r"\1?…", text)


def _none_if_blank(value: Any) -> str | None:
    text = "" if value is None else str(value)
    return None if text in ("", "None") else text


def is_transient(status: int | None, code: str) -> bool:
    """429 / 5xx, or a code that says "try again later" whatever the status."""
    return (status is not None and (status == 429 or status >= 500)) or code.startswith(
        _TRANSIENT_CODE_PREFIXES
    )


def _snake(name: str) -> str:
    """Wire parameter name → the SDK request model's keyword (MessageId → message_id)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _is_success(body: Mapping[str, Any]) -> bool:
    value = body.get("Success", True)
    if isinstance(value, str):
        return value.strip().lower() != "false"
    return value is not False


class DataWorksClient:
    """One DataWorks API client per settings. Thread-safe; the SDK client is built once, lazily."""

    def __init__(self, settings: DataWorksSettings) -> None:
        self.settings = settings
        self._client: Any = None
        self._sdk: Any = None  # (models module, RuntimeOptions, exception classes)
        self._lean: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DataWorksClient({self.settings!r})"

    # -- lifecycle --------------------------------------------------------------------------------
    def warm(self) -> None:
        """Import the SDK and build its client now (FC initializer), so the first verdict does not pay."""
        self._ensure()

    def _ensure(self) -> Any:
        if self._client is not None:
            return self._client
        with self._lock:
            if self._client is None and self.settings.transport == "lean":
                from dwevents.dataworks_lean import LeanTransport

                self._lean = LeanTransport(self.settings)
                self._client = self._lean
            elif self._client is None:
                try:
                    from alibabacloud_dataworks_public20200518 import models
                    from alibabacloud_dataworks_public20200518.client import Client
                    from alibabacloud_tea_openapi import exceptions as openapi_errors
                    from alibabacloud_tea_openapi.utils_models import Config
                    from darabonba.exceptions import UnretryableException
                    from darabonba.runtime import RuntimeOptions
                except ImportError as exc:  # pragma: no cover - depends on the install
                    raise ConfigError(
                        "the DataWorks SDK is not installed: pip install 'dwevents[dataworks]'",
                        key="alibabacloud-dataworks-public20200518",
                    ) from exc
                for name in _HEADER_DUMPING_LOGGERS:
                    logging.getLogger(name).disabled = True
                s = self.settings
                config = Config(
                    access_key_id=s.access_key_id,
                    access_key_secret=s.access_key_secret,
                    security_token=s.security_token,
                    endpoint=s.endpoint,
                    protocol=s.protocol,
                    region_id=s.region,
                    retry_options=None,  # one attempt: send_verdict owns retries
                    connect_timeout=int(CONNECT_TIMEOUT_CAP_S * 1000),
                    read_timeout=int(s.attempt_timeout_s * 1000),
                )
                self._sdk = (
                    models,
                    RuntimeOptions,
                    openapi_errors.AlibabaCloudException,
                    UnretryableException,
                )
                self._client = Client(config)
                logger.debug("DataWorks SDK client ready for %s://%s", s.protocol, s.endpoint)
        return self._client

    # -- one call -----------------------------------------------------------------------------------
    def _runtime(self, timeout_s: float) -> Any:
        """Split the call's budget: at most a third (≤1 s) to connect, the rest to read the answer."""
        total_ms = max(2, int(timeout_s * 1000))
        connect_ms = max(1, min(int(CONNECT_TIMEOUT_CAP_S * 1000), total_ms // 3))
        runtime_options = self._sdk[1]
        return runtime_options(
            connect_timeout=connect_ms,
            read_timeout=max(1, total_ms - connect_ms),
            autoretry=False,
            max_attempts=1,
        )

    def _call(self, action: str, params: Mapping[str, Any], timeout_s: float) -> dict[str, Any]:
        """One attempt of ``action`` with wire-named ``params``; the body of the answer as a dict."""
        client = self._ensure()
        if self._lean is not None:
            return dict(
                self._lean.call(action, params, in_query=action in _QUERY_ACTIONS, timeout_s=timeout_s)
            )
        models, _, cloud_error, unretryable = self._sdk
        request = getattr(models, f"{action}Request")(**{_snake(k): v for k, v in params.items()})
        try:
            response = getattr(client, _SDK_METHODS[action])(request, self._runtime(timeout_s))
        except cloud_error as exc:
            raise self._from_cloud_error(action, exc) from None
        except unretryable as exc:
            raise self._from_transport_error(action, exc.inner_exception) from None
        except Exception as exc:  # the SDK raises plain exceptions for bad config/credentials
            code = _none_if_blank(getattr(exc, "code", None)) or type(exc).__name__
            raise DataWorksError(
                f"{action} failed: {code}: {_scrub(str(exc))}", action=action, code=code, transient=False
            ) from None
        body = response.body.to_map() if response.body is not None else {}
        return dict(body)

    @staticmethod
    def _from_cloud_error(action: str, exc: Any) -> DataWorksError:
        status = getattr(exc, "status_code", None)
        code = _none_if_blank(getattr(exc, "code", None)) or ""
        request_id = _none_if_blank(getattr(exc, "request_id", None))
        data = getattr(exc, "data", None)
        detail = data.get("Message") if isinstance(data, dict) else None
        where = f"HTTP {status} " if status is not None else ""
        message = f"{action} failed: {where}{code or 'error'}: {detail or getattr(exc, 'message', '')}"
        return DataWorksError(
            _scrub(message),
            action=action,
            code=code,
            status=status,
            transient=is_transient(status, code),
            request_id=request_id,
        )

    @staticmethod
    def _from_transport_error(action: str, inner: BaseException | None) -> DataWorksError:
        """Connection refused/reset, timeouts, an unreadable (non-JSON) answer: all worth a retry."""
        raw = getattr(inner, "message", None) or (str(inner) if inner is not None else "no response")
        text = _scrub(str(raw))
        if isinstance(inner, ValueError):  # JSON decoding of a non-JSON body; the status is lost
            code = "Transport.InvalidResponse"
        elif "timed out" in text.lower() or "timeout" in text.lower():
            code = "Transport.Timeout"
        else:
            code = "Transport.Connection"
        return DataWorksError(f"{action} failed: {code}: {text}", action=action, code=code, transient=True)

    @staticmethod
    def _check_success(action: str, body: Mapping[str, Any]) -> None:
        if not _is_success(body):
            raise DataWorksError(
                f"{action} answered Success=false",
                action=action,
                code="Success.False",
                status=200,
                transient=False,
                request_id=_none_if_blank(body.get("RequestId")),
            )

    def _verdict(
        self,
        api: ReplyApi,
        text_field: str,
        message_id: str,
        extension_code: str,
        check_result: str,
        tip: str,
        timeout_s: float,
    ) -> dict[str, Any]:
        result, text = wire_verdict(api, check_result, tip)
        params = {
            "MessageId": message_id,
            "ExtensionCode": extension_code,
            "CheckResult": result,
            text_field: text,
        }
        body = self._call(api.value, params, timeout_s)
        self._check_success(api.value, body)
        return body

    # -- verdicts -----------------------------------------------------------------------------------
    def update_ide_event_result(
        self, message_id: str, extension_code: str, check_result: str, tip: str, *, timeout_s: float
    ) -> dict[str, Any]:
        """Data Studio extension points: CheckResult OK | WARN | FAIL with CheckResultTip."""
        return self._verdict(
            ReplyApi.UPDATE_IDE_EVENT_RESULT,
            "CheckResultTip",
            message_id,
            extension_code,
            check_result,
            tip,
            timeout_s,
        )

    def update_workbench_event_result(
        self, message_id: str, extension_code: str, check_result: str, tip: str, *, timeout_s: float
    ) -> dict[str, Any]:
        """Operation Center extension points: only OK / Fail exist there, WARN goes as OK (wire_verdict)."""
        return self._verdict(
            ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT,
            "CheckResultTip",
            message_id,
            extension_code,
            check_result,
            tip,
            timeout_s,
        )

    def callback_extension(
        self, message_id: str, extension_code: str, check_result: str, check_message: str, *, timeout_s: float
    ) -> dict[str, Any]:
        """The generic callback; its text field is CheckMessage (mandatory with FAIL)."""
        return self._verdict(
            ReplyApi.CALLBACK_EXTENSION,
            "CheckMessage",
            message_id,
            extension_code,
            check_result,
            check_message,
            timeout_s,
        )

    # -- lookups ------------------------------------------------------------------------------------
    def get_ide_event_detail(self, message_id: str, project_id: int, *, timeout_s: float) -> dict[str, Any]:
        """The data snapshot of a Data Studio extension point: the ``EventDetail`` map (may be empty)."""
        body = self._call(
            "GetIDEEventDetail", {"MessageId": message_id, "ProjectId": int(project_id)}, timeout_s
        )
        return dict(body.get("EventDetail") or {})

    def get_extension(self, extension_code: str, *, timeout_s: float) -> dict[str, Any]:
        """The extension's registration, notably ``ParameterSetting`` (extension.project.disabled=…)."""
        body = self._call("GetExtension", {"ExtensionCode": extension_code}, timeout_s)
        return dict(body.get("Extension") or {})

    def get_option_value_for_project(
        self, extension_code: str, project_id: int | str, *, timeout_s: float
    ) -> dict[str, Any]:
        """The extension's options for one workspace; ``OptionValue`` is a JSON string, returned parsed."""
        params = {"ExtensionCode": extension_code, "ProjectId": str(project_id)}
        body = self._call("GetOptionValueForProject", params, timeout_s)
        raw = body.get("OptionValue")
        if raw in (None, ""):
            return {}
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            raise DataWorksError(
                "GetOptionValueForProject: OptionValue is not JSON",
                action="GetOptionValueForProject",
                code="InvalidOptionValue",
                status=200,
                transient=False,
                request_id=_none_if_blank(body.get("RequestId")),
            ) from None
        if not isinstance(value, dict):
            raise DataWorksError(
                "GetOptionValueForProject: OptionValue is not a JSON object",
                action="GetOptionValueForProject",
                code="InvalidOptionValue",
                status=200,
                transient=False,
                request_id=_none_if_blank(body.get("RequestId")),
            )
        return value
