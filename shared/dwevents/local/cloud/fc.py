"""Function Compute 3.0 (``alibabacloud_fc20230330``, ROA style) as the API pages document it.

- InvokeFunction, ``POST /2023-03-30/functions/{functionName}/invocations[?qualifier=]`` with the raw
  payload as body and ``x-fc-invocation-type`` (``Sync`` default, ``Async``):
  https://help.aliyun.com/zh/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-invokefunction.
  The answer is the function's return value with ``x-fc-request-id``; when the function raises, HTTP 200
  with ``x-fc-error-type: UnhandledInvocationError`` and FC's ``{"errorMessage", "errorType",
  "stackTrace"}`` body; an asynchronous call answers 202 with an empty body.
- GetFunction, ``GET /2023-03-30/functions/{functionName}[?qualifier=]``:
  https://help.aliyun.com/zh/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-getfunction —
  the ``Function`` structure (``functionName``, ``functionArn``, ``runtime``, ``handler``, ``role``, ...).
- An unknown function answers 404 ``FunctionNotFound`` with ``{"Code", "Message", "RequestId"}``.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dwevents.local.cloud.state import ApiError, Invocation, result_bytes

if TYPE_CHECKING:
    from dwevents.local.cloud.server import CloudApiStandIn

logger = logging.getLogger(__name__)

API_PREFIX = "/2023-03-30/functions/"
#: Not handed to registered functions: signing material has no business in a handler.
PRIVATE_HEADERS = frozenset({"authorization", "x-acs-security-token", "x-acs-accesskey-id"})


def not_found(name: str) -> ApiError:
    return ApiError(404, "FunctionNotFound", f"function '{name}' does not exist")


def invoke(
    cloud: CloudApiStandIn,
    function_name: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload: bytes,
    request_id: str,
) -> tuple[int, dict[str, str], bytes]:
    """One InvokeFunction: → (HTTP status, headers, body)."""
    with cloud.lock:
        stored = cloud.functions.get(function_name)
    if stored is None:
        raise not_found(function_name)
    invocation_type = headers.get("x-fc-invocation-type", "Sync") or "Sync"
    visible = {k: v for k, v in headers.items() if k not in PRIVATE_HEADERS}
    invocation = Invocation(
        function_name, query.get("qualifier", "LATEST") or "LATEST", invocation_type, request_id, visible
    )
    with cloud.lock:
        cloud.invocations.append((invocation, payload))
    out_headers = {"x-fc-request-id": request_id}
    asynchronous = invocation_type.lower() == "async"
    try:
        result = stored.handler_fn(payload, invocation) if stored.handler_fn else None
    except Exception as exc:  # the function's own failure: FC reports it, the API call succeeds
        logger.debug("stand-in function %s raised %s", function_name, type(exc).__name__)
        if asynchronous:
            return 202, out_headers, b""
        frames = [
            [f'File "{f.filename}"', f"line {f.lineno}", f"in {f.name}", f.line or ""]
            for f in traceback.extract_tb(exc.__traceback__)[1:]
        ]  # drop the stand-in's frame
        body = json.dumps(
            {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": frames}
        ).encode()
        out_headers.update(
            {"x-fc-error-type": "UnhandledInvocationError", "content-type": "application/json"}
        )
        return 200, out_headers, body
    if asynchronous:
        return 202, out_headers, b""
    return 200, out_headers, result_bytes(result)


def get_function(cloud: CloudApiStandIn, function_name: str) -> tuple[int, dict[str, str], bytes]:
    with cloud.lock:
        stored = cloud.functions.get(function_name)
    if stored is None:
        raise not_found(function_name)
    body = json.dumps(stored.describe(cloud.region, cloud.account_id)).encode()
    return 200, {"content-type": "application/json"}, body
