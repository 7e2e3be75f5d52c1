"""Invoke a deployed FC 3.0 function (smoke tests after ``s deploy``, replaying a sample event).

dwevents invokes deployed functions through the Function Compute 3.0 SDK (``alibabacloud-fc20230330``,
``POST /2023-03-30/functions/<name>/invocations``), not ``fc2``: ``fc2`` is the FC 2.0 client, every call
needs a service name (``/2016-08-15/services/<service>/functions/<name>/invocations``) and functions
created with FC 3.0 have no service. The FC 3.0 SDK is also ACS3-signed like the other Alibaba Cloud SDKs
the project uses, and it reports a function's own failure in the ``x-fc-error-type`` header instead of
raising after logging every request header (STS token included) to the root logger, as ``fc2`` does.

A function error is a *result* (``error_type`` set, the function's JSON error body in ``body``); an API
error — wrong key, unknown function, unreachable endpoint — raises :class:`dwevents.errors.CloudApiError`
(``action="InvokeFunction"``).
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from dwevents.deploy._sdk import Credentials, call_sdk, openapi_config

logger = logging.getLogger(__name__)

INVOCATION_TYPES = ("Sync", "Async")


@dataclass(frozen=True)
class RemoteResult:
    """What FC answered. ``error_type`` is ``x-fc-error-type`` (e.g. ``UnhandledInvocationError``)."""

    status: int
    request_id: str
    body: bytes
    error_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.error_type is None and 200 <= self.status < 300

    def json(self) -> Any:
        """The body parsed as JSON (the function's return value, or FC's error object)."""
        return json.loads(self.body) if self.body else None


def invoke_remote(
    function_name: str,
    payload: bytes,
    *,
    region: str,
    qualifier: str = "LATEST",
    invocation_type: str = "Sync",
    endpoint: str | None = None,
    protocol: str = "https",
    credentials: Credentials | None = None,
    timeout_s: float = 60.0,
) -> RemoteResult:
    """Invoke ``function_name`` once with ``payload`` as the event; no retries (the caller decides).

    ``endpoint`` is ``host[:port]`` without a scheme (default ``fcv3.<region>.aliyuncs.com`` from the SDK);
    ``credentials`` default to the ``ALIBABA_CLOUD_*`` variables (``MissingCredentialsError`` without them).
    """
    if invocation_type not in INVOCATION_TYPES:
        raise ValueError(f"invocation_type must be one of {INVOCATION_TYPES}, not {invocation_type!r}")
    from alibabacloud_fc20230330 import models as fc_models
    from alibabacloud_fc20230330.client import Client
    from alibabacloud_tea_util.models import RuntimeOptions

    timeout_ms = int(timeout_s * 1000)
    client = Client(
        openapi_config(
            region=region,
            endpoint=endpoint,
            protocol=protocol,
            credentials=credentials,
            read_timeout_ms=timeout_ms,
        )
    )
    request = fc_models.InvokeFunctionRequest(body=io.BytesIO(payload), qualifier=qualifier)
    headers = fc_models.InvokeFunctionHeaders(x_fc_invocation_type=invocation_type)
    runtime = RuntimeOptions(read_timeout=timeout_ms, connect_timeout=min(timeout_ms, 5000))
    response = call_sdk(
        "FC",
        "InvokeFunction",
        lambda: client.invoke_function_with_options(function_name, request, headers, runtime),
        function_name,
    )
    response_headers = {str(k).lower(): str(v) for k, v in (response.headers or {}).items()}
    body = _read(response.body)
    result = RemoteResult(
        status=int(response.status_code or 0),
        request_id=response_headers.get("x-fc-request-id", ""),
        body=body,
        error_type=response_headers.get("x-fc-error-type") or None,
        headers=response_headers,
    )
    if result.error_type:
        logger.info(
            "function %s failed (%s), request id %s", function_name, result.error_type, result.request_id
        )
    return result


def _read(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data if isinstance(data, bytes) else str(data).encode()
    return str(body).encode()
