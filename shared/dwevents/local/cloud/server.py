"""The local cloud stand-in: EventBridge, Function Compute 3.0 and STS on one loopback port.

Why: ``dwevents.deploy`` (bus tool, remote invoke, doctor) and ``dwevents replay`` drive the *official*
SDKs; testing them against mocks would test the mocks. This is a real HTTP server on 127.0.0.1 that speaks
what those SDKs put on the wire and answers as the API pages document (see the modules beside this one):

* EventBridge 2020-04-01 (RPC: ``POST /``, action in ``x-acs-action``, parameters in the query string,
  lists as JSON strings): rules, targets, buses, the service-linked-role check (eventbridge.py) and the
  event trace (trace.py);
* FC 3.0 (ROA: ``/2023-03-30/functions/...``, ``/2023-03-30/layers/...``): InvokeFunction, GetFunction,
  CreateLayerVersion and GetLayerVersion (fc.py);
* STS 2015-04-01 GetCallerIdentity (RPC), https://help.aliyun.com/zh/ram/developer-reference/
  api-sts-2015-04-01-getcalleridentity: ``AccountId``, ``Arn``, ``IdentityType``, ``UserId``,
  ``PrincipalId``.

Every request's ACS3 signature is verified against the configured test credentials (dwevents/local/acs3.py);
a wrong secret or an unknown key gets the cloud's codes (RPC: ``SignatureDoesNotMatch`` 400,
``InvalidAccessKeyId.NotFound`` 404; FC: ``SignatureNotMatch`` / ``InvalidAccessKeyID`` 403).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
import zlib
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from dwevents.errors import DwEventsError
from dwevents.local import acs3
from dwevents.local.cloud import eventbridge, fc, trace
from dwevents.local.cloud.state import (
    ApiError,
    InvokeHandler,
    RecordedCall,
    StoredFunction,
    StoredRule,
    TracedEvent,
    now_ms,
)

logger = logging.getLogger(__name__)

EVENTBRIDGE_VERSION = "2020-04-01"
STS_VERSION = "2015-04-01"
#: The service-linked role EventBridge uses to invoke Function Compute.
SEND_TO_FC_ROLE = "AliyunServiceRoleForEventBridgeSendToFC"
_FC_SIGNATURE_CODES = {
    "SignatureDoesNotMatch": "SignatureNotMatch",
    "InvalidAccessKeyId.NotFound": "InvalidAccessKeyID",
}


class CloudApiStandIn:
    """EventBridge + FC 3.0 + STS on one loopback port; a context manager that serves in a thread.

    ``credentials`` maps access key id → secret; requests signed with anything else are refused. Point an
    SDK at it with ``endpoint=stand_in.endpoint`` and ``protocol="http"``. ``list_page_size`` and
    ``trace_page_size`` cap every List*/QueryTracedEvents page (the cloud caps them too), so paging gets
    exercised.
    """

    def __init__(
        self,
        credentials: Mapping[str, str],
        *,
        account_id: str = "1234567890123456",
        region: str = "cn-hangzhou",
        buses: tuple[str, ...] = ("default",),
        list_page_size: int = 10,
        trace_page_size: int = 100,
        service_linked_roles: tuple[str, ...] = (SEND_TO_FC_ROLE,),
    ) -> None:
        self.credentials = dict(credentials)
        self.account_id = account_id
        self.region = region
        self.list_page_size = list_page_size
        self.trace_page_size = trace_page_size
        self.lock = threading.RLock()
        self.buses: dict[str, dict[str, StoredRule]] = {name: {} for name in buses}
        self.bus_descriptions: dict[str, str] = {}
        self.functions: dict[str, StoredFunction] = {}
        #: layer name → {"next": next version number, "versions": {number: Layer}}; and each zip received.
        self.layers: dict[str, dict[str, Any]] = {}
        self.layer_zips: dict[tuple[str, int], bytes] = {}
        self.service_linked_roles: set[str] = set(service_linked_roles)
        self.traced: list[TracedEvent] = []
        self.calls: list[RecordedCall] = []
        self.invocations: list[tuple[Any, bytes]] = []
        self.started_ms = now_ms()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> CloudApiStandIn:
        if self._server is not None:
            return self
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name="cloud-api-stand-in", daemon=True
        )
        self._thread.start()
        logger.debug("cloud API stand-in listening on %s", self.endpoint)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> CloudApiStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """``host:port`` as the Alibaba Cloud SDKs take it (no scheme)."""
        return f"127.0.0.1:{self.port}"

    # -- test-facing state --------------------------------------------------------------------------
    def remove_bus(self, name: str) -> None:
        with self.lock:
            self.buses.pop(name, None)

    def add_function(
        self,
        name: str,
        *,
        runtime: str = "python3.12",
        handler: str = "index.handler",
        role: str = "",
        handler_fn: InvokeHandler | None = None,
        **fields: Any,
    ) -> None:
        """A deployed function as GetFunction reports it (``handler_fn`` runs it when invoked)."""
        with self.lock:
            self.functions[name] = StoredFunction(
                name, runtime, handler, role, handler_fn=handler_fn, **fields
            )

    def register_function(self, name: str, handler_fn: InvokeHandler) -> None:
        """Make ``name`` invocable (creating it with default metadata when it does not exist yet)."""
        with self.lock:
            if name in self.functions:
                self.functions[name].handler_fn = handler_fn
            else:
                self.functions[name] = StoredFunction(name, handler_fn=handler_fn)

    def remove_function(self, name: str) -> None:
        with self.lock:
            self.functions.pop(name, None)

    def rules(self, bus: str) -> dict[str, StoredRule]:
        """A snapshot of the rules on ``bus`` (copies; mutate through the API)."""
        with self.lock:
            return {name: rule.copy() for name, rule in self.buses.get(bus, {}).items()}

    def seed_rule(
        self,
        bus: str,
        name: str,
        *,
        filter_pattern: str,
        description: str = "",
        targets: Mapping[str, Mapping[str, Any]] | None = None,
        status: str = "ENABLE",
    ) -> None:
        """Put a rule on a bus directly (no validation), e.g. one somebody else created by hand."""
        with self.lock:
            self.buses.setdefault(bus, {})[name] = StoredRule(
                bus,
                name,
                description,
                filter_pattern,
                status,
                now_ms(),
                {k: json.loads(json.dumps(v)) for k, v in (targets or {}).items()},
            )

    def publish(self, bus: str, event: Mapping[str, Any], received_ms: int | None = None) -> TracedEvent:
        """``event`` reaches ``bus`` (as DataWorks would put it there): traced, matched, pushed."""
        return trace.publish(self, bus, event, received_ms)

    def deliver(self, function: str, payload: bytes, invocation_type: str) -> None:
        """An EventBridge push to ``function``: raises ApiError (no such function) or, for the function's own
        failure, a DwEventsError with its error body."""
        _, headers, body = fc.invoke(
            self, function, {}, {"x-fc-invocation-type": invocation_type}, payload, str(uuid.uuid4()).upper()
        )
        if headers.get("x-fc-error-type"):
            raise DwEventsError(body.decode("utf-8", "replace")[:200])

    def mutating_calls(self) -> list[RecordedCall]:
        with self.lock:
            return [c for c in self.calls if c.action in eventbridge.MUTATING_ACTIONS]

    def record(self, call: RecordedCall) -> None:
        with self.lock:
            self.calls.append(call)

    def secret_for(self, key_id: str) -> str | None:
        return self.credentials.get(key_id)

    # -- RPC dispatch -------------------------------------------------------------------------------
    def rpc(self, version: str, action: str, params: Mapping[str, str], key_id: str) -> dict[str, Any]:
        if version == STS_VERSION:
            if action != "GetCallerIdentity":
                raise ApiError(404, "InvalidAction.NotFound", f"Specified api is not found: {action}")
            user = f"2{zlib.crc32(key_id.encode()):010d}"
            return {
                "AccountId": self.account_id,
                "IdentityType": "RAMUser",
                "UserId": user,
                "PrincipalId": user,
                "Arn": f"acs:ram::{self.account_id}:user/{key_id}",
            }
        if version != EVENTBRIDGE_VERSION:
            raise ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.")
        handler = eventbridge.ACTIONS.get(action) or trace.ACTIONS.get(action)
        if handler is None:
            raise ApiError(404, "InvalidAction.NotFound", f"Specified api is not found: {action}")
        with self.lock:
            data = handler(self, params)
        body: dict[str, Any] = {"Success": True, "Code": "Success", "Message": ""}
        if data is not None:
            body["Data"] = data
        return body


def _flatten(query: Mapping[str, list[str]]) -> dict[str, str]:
    return {key: values[-1] for key, values in query.items()}


def _make_handler(stand_in: CloudApiStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "dwevents-cloud-stand-in"

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("stand-in: " + format, *args)

        def do_POST(self) -> None:
            self._dispatch()

        def do_GET(self) -> None:
            self._dispatch()

        def _dispatch(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            query = parse_qs(split.query, keep_blank_values=True)
            headers = {k.lower(): v for k, v in self.headers.items()}
            request_id = str(uuid.uuid4()).upper()
            if split.path.startswith((fc.API_PREFIX, fc.LAYERS_PREFIX)):
                self._fc(split.path, query, headers, body, request_id)
            else:
                self._rpc(split.path, query, headers, body, request_id)

        def _verify(
            self, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str], body: bytes
        ) -> str:
            return acs3.verify(self.command, path, dict(query), headers, body, stand_in.secret_for)

        def _rpc(
            self,
            path: str,
            query: dict[str, list[str]],
            headers: dict[str, str],
            body: bytes,
            request_id: str,
        ) -> None:
            action = headers.get("x-acs-action", "")
            params = _flatten(query)
            if body and "application/x-www-form-urlencoded" in headers.get("content-type", ""):
                params.update(_flatten(parse_qs(body.decode(), keep_blank_values=True)))
            version = headers.get("x-acs-version", "")
            api = "sts" if version == STS_VERSION else "eventbridge"
            try:
                key_id = self._verify(path, query, headers, body)
                if path != "/":
                    raise ApiError(404, "InvalidAction.NotFound", f"path {path} is not an RPC path")
                answer = stand_in.rpc(version, action, params, key_id)
                status = 200
            except acs3.SignatureError as exc:
                status, answer = exc.status, {"Code": exc.code, "Message": str(exc)}
            except ApiError as exc:
                status, answer = exc.status, {"Code": exc.code, "Message": str(exc), "Success": False}
            answer["RequestId"] = request_id
            stand_in.record(RecordedCall(api, action, status, params))
            self._send(
                status,
                {"content-type": "application/json;charset=utf-8", "x-acs-request-id": request_id},
                json.dumps(answer).encode(),
            )

        def _fc(
            self,
            path: str,
            query: dict[str, list[str]],
            headers: dict[str, str],
            body: bytes,
            request_id: str,
        ) -> None:
            status, action = 500, "InvokeFunction"
            if path.startswith(fc.LAYERS_PREFIX):
                action = fc.layer_action(self.command, path)
            try:
                try:
                    self._verify(path, query, headers, body)
                except acs3.SignatureError as exc:
                    raise ApiError(403, _FC_SIGNATURE_CODES.get(exc.code, exc.code), str(exc)) from None
                name, _, tail = path[len(fc.API_PREFIX) :].partition("/")
                if path.startswith(fc.LAYERS_PREFIX):
                    status, out_headers, out = fc.layers(stand_in, action, self.command, path, body)
                elif self.command == "GET" and not tail:
                    action = "GetFunction"
                    status, out_headers, out = fc.get_function(stand_in, unquote(name))
                elif self.command == "POST" and tail == "invocations":
                    status, out_headers, out = fc.invoke(
                        stand_in, unquote(name), _flatten(query), headers, body, request_id
                    )
                else:
                    raise ApiError(
                        400, "PathNotSupported", f"'{self.command}' against '{path}' is not supported"
                    )
                out_headers["x-fc-request-id"] = request_id
            except ApiError as exc:
                status = exc.status
                out_headers = {"x-fc-request-id": request_id, "content-type": "application/json"}
                out = json.dumps({"Code": exc.code, "Message": str(exc), "RequestId": request_id}).encode()
            stand_in.record(RecordedCall("fc", action, status, {"path": path}))
            self._send(status, out_headers, out)

        def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
