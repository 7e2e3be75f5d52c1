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
- CreateLayerVersion, ``POST /2023-03-30/layers/{layerName}/versions`` with a ``CreateLayerVersionInput``
  body (``code`` as an ``InputCodeLocation``: ``zipFile`` base64, or an OSS bucket and object;
  ``compatibleRuntime``; ``description``; ``license``):
  https://help.aliyun.com/zh/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-createlayerversion
  — the ``Layer`` structure, versions numbered from 1 per name and never reused. GetLayerVersion,
  ``GET /2023-03-30/layers/{layerName}/versions/{version}``:
  https://help.aliyun.com/zh/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-getlayerversion.
  The pages give no error code for a missing layer version; the stand-in answers 404 ``LayerNotFound``
  (dwevents relies on the 404 only). ``codeChecksum`` is FC's CRC-64 of the zip; the stand-in gives the
  zip's CRC-32 (nothing in dwevents reads it).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import re
import traceback
import zipfile
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dwevents.local.cloud.state import ApiError, FcInvocation, result_bytes

if TYPE_CHECKING:
    from dwevents.local.cloud.server import CloudApiStandIn

logger = logging.getLogger(__name__)

API_PREFIX = "/2023-03-30/functions/"
LAYERS_PREFIX = "/2023-03-30/layers/"
#: FC's rule for a layer name: a letter first, then letters, digits, ``_`` or ``-``, at most 64 in all.
LAYER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
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
    invocation = FcInvocation(
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


def layer_action(method: str, path: str) -> str:
    """Which layer API a request is (or ``PathNotSupported``)."""
    rest = path[len(LAYERS_PREFIX) :].partition("/")[2]
    if method == "POST" and rest == "versions":
        return "CreateLayerVersion"
    if method == "GET" and rest.startswith("versions/") and rest.count("/") == 1:
        return "GetLayerVersion"
    return "PathNotSupported"


def layers(
    cloud: CloudApiStandIn, action: str, method: str, path: str, body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """One layer API call (``action`` from :func:`layer_action`): → (HTTP status, headers, body)."""
    name, _, rest = path[len(LAYERS_PREFIX) :].partition("/")
    if action == "CreateLayerVersion":
        return create_layer_version(cloud, name, body)
    if action == "GetLayerVersion":
        return get_layer_version(cloud, name, rest.split("/", 1)[1])
    raise ApiError(400, "PathNotSupported", f"'{method}' against '{path}' is not supported")


def _json(body: dict[str, object]) -> tuple[int, dict[str, str], bytes]:
    return 200, {"content-type": "application/json"}, json.dumps(body).encode()


def create_layer_version(cloud: CloudApiStandIn, name: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    if not LAYER_NAME.match(name):
        raise ApiError(400, "InvalidArgument", f"layer name '{name}' is not valid")
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        raise ApiError(400, "InvalidArgument", "the body is not JSON") from None
    code = document.get("code") if isinstance(document, dict) else None
    if not isinstance(code, dict):
        raise ApiError(400, "InvalidArgument", "code is required")
    runtimes = document.get("compatibleRuntime")
    if not isinstance(runtimes, list) or not all(isinstance(r, str) for r in runtimes):
        raise ApiError(400, "InvalidArgument", "compatibleRuntime must be a list of runtimes")
    if isinstance(code.get("zipFile"), str):
        try:
            data = base64.b64decode(code["zipFile"], validate=True)
            zipfile.ZipFile(io.BytesIO(data)).testzip()
        except (binascii.Error, zipfile.BadZipFile, ValueError):
            raise ApiError(400, "InvalidArgument", "code.zipFile is not a base64-encoded zip file") from None
    elif code.get("ossBucketName") and code.get("ossObjectName"):
        data = b""  # the stand-in has no OSS: the object is taken as given
    else:
        raise ApiError(400, "InvalidArgument", "code needs zipFile, or ossBucketName and ossObjectName")
    with cloud.lock:
        entry = cloud.layers.setdefault(name, {"next": 1, "versions": {}})
        version = int(entry["next"])
        entry["next"] = version + 1
        layer = {
            "layerName": name,
            "version": version,
            "layerVersionArn": f"acs:fc:{cloud.region}:{cloud.account_id}:layers/{name}/versions/{version}",
            "description": str(document.get("description") or ""),
            "compatibleRuntime": runtimes,
            "license": str(document.get("license") or ""),
            "acl": "0",
            "codeSize": len(data),
            "codeChecksum": str(zlib.crc32(data)),
            "createTime": "2026-01-01T00:00:00Z",
            "code": {"repositoryType": "OSS", "location": f"https://stand-in/layers/{name}/{version}.zip"},
        }
        entry["versions"][version] = layer
        cloud.layer_zips[(name, version)] = data
    return _json(layer)


def get_layer_version(cloud: CloudApiStandIn, name: str, version: str) -> tuple[int, dict[str, str], bytes]:
    with cloud.lock:
        entry = cloud.layers.get(name) or {}
        layer = (entry.get("versions") or {}).get(int(version)) if version.isdigit() else None
    if layer is None:
        raise ApiError(404, "LayerNotFound", f"layer '{name}' version '{version}' does not exist")
    return _json(layer)
