"""The HTTP side of the stand-in: parse, inject faults, check route and signature, dispatch, answer
``{"RequestId", …}`` or ``{"RequestId", "Code", "Message"}`` with the documented HTTP status."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import uuid
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from dwevents.local.dataworks.auth import check_route, now
from dwevents.local.dataworks.records import RequestRecord
from dwevents.local.dataworks.spec import StandInError

if TYPE_CHECKING:
    from dwevents.local.dataworks.server import DataWorksApiStandIn

logger = logging.getLogger(__name__)

#: Codes and messages of injected faults, from the DataWorks API pages' error tables (e.g.
#: "UpdateIDEEventResult - 更新扩展点事件的检查结果", https://help.aliyun.com/document_detail/338386.htm).
DEFAULT_ERRORS = {
    400: ("InvalidParameter", "The specified parameter is invalid."),
    403: (
        "Forbidden.Access",
        "Access is forbidden. Please first activate DataWorks Enterprise Edition or Flagship Edition.",
    ),
    404: ("InvalidApi.NotFound", "Specified api is not found, please check your url and method."),
    429: ("Throttling.User", "Your request is too frequent. Try again later."),
    500: ("InternalError.System", "An internal system error occurred. Try again later."),
    503: ("ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
}
_SECRET_HEADERS = {"authorization", "x-acs-security-token"}


def _single(raw: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


class Handler(BaseHTTPRequestHandler):
    standin: DataWorksApiStandIn
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's pooled connections expect
    disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid 40 ms stalls
    server_version = "DataWorksStandIn/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        standin = self.standin
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = _single(split.query)
        form: dict[str, str] = {}
        if "x-www-form-urlencoded" in (self.headers.get("Content-Type") or "") and body:
            form = _single(body.decode("utf-8"))
        params = {**query, **form}
        lowered = {k.lower(): v for k, v in self.headers.items()}
        action = lowered.get("x-acs-action", "")
        auth = lowered.get("authorization", "")
        signed = (
            tuple(h for h in auth.split("SignedHeaders=", 1)[-1].split(",", 1)[0].split(";") if h)
            if auth
            else ()
        )
        request_id = str(uuid.uuid4()).upper()

        def record(status: int, code: str, key_id: str = "") -> None:
            standin.record(
                RequestRecord(
                    action,
                    status,
                    code,
                    params,
                    key_id,
                    now(),
                    method,
                    split.path,
                    query,
                    form,
                    body,
                    {k: v for k, v in lowered.items() if k not in _SECRET_HEADERS},
                    signed,
                    self.path,
                )
            )

        fault = standin.take_fault(action)
        if fault is not None:
            if fault.delay_s > 0 and standin.closing.wait(fault.delay_s):
                return
            if fault.drop:
                # Recorded before the connection goes: a client that resends at once must find its
                # dropped request already on the record, in arrival order.
                record(0, "dropped")
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.status is not None:
                code, message = DEFAULT_ERRORS.get(fault.status, ("Error", "Injected error."))
                code = fault.code or code
                record(fault.status, code)
                self._reply(fault.status, {"Code": code, "Message": message}, request_id)
                return
        key_id = ""
        try:
            action = check_route(method, split.path, lowered)
            key_id = standin.auth.authenticate(method, query, lowered, body)
            answer = standin.dispatch(action, params, key_id, "x-acs-security-token" in lowered)
        except StandInError as err:
            record(err.status, err.code, key_id)
            self._reply(err.status, {"Code": err.code, "Message": err.message}, request_id)
            return
        record(200, "", key_id)
        self._reply(200, answer, request_id)

    def _reply(self, status: int, payload: dict[str, Any], request_id: str) -> None:
        data = json.dumps({"RequestId": request_id, **payload}, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-acs-request-id", request_id)
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout) before the answer: nothing to do
            self.close_connection = True
