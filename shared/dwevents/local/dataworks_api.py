"""A local DataWorks API stand-in: a real HTTP server speaking the RPC protocol the official SDK uses.

Why: the reply path is tested by driving the real SDK over real HTTP, so what is tested is what goes on
the wire. The server checks the SDK's ACS3-HMAC-SHA256 signature with configured test credentials
(rejecting a wrong secret with ``SignatureDoesNotMatch`` as DataWorks would), records every verdict,
serves fixtures for the lookup APIs, and injects faults (throttling, server errors, hangs, dropped
connections) so the retry and deadline logic can be exercised.

Request shape (reference/sdk-wire.md): ``POST /`` with ``x-acs-action`` / ``x-acs-version`` headers,
parameters in the form body and/or the query string, JSON answers carrying ``RequestId``; errors are
``{"RequestId", "Code", "Message"}`` with the HTTP status DataWorks uses.

``python -m dwevents.local.dataworks_api`` serves until Ctrl-C and prints the verdicts it receives.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dwevents.local.acs3 import SignatureError, verify

logger = logging.getLogger(__name__)

DEFAULT_ACCESS_KEY_ID = "LTAI-dwevents-local"
DEFAULT_ACCESS_KEY_SECRET = "dwevents-local-secret"
API_VERSION = "2020-05-18"
#: Alibaba Cloud rejects requests whose x-acs-date is further than this from its clock.
MAX_CLOCK_SKEW = timedelta(minutes=15)

VERDICT_ACTIONS = ("UpdateIDEEventResult", "UpdateWorkbenchEventResult", "CallbackExtension")
_ALLOWED_RESULTS = {
    "UpdateIDEEventResult": ("OK", "WARN", "FAIL"),
    "UpdateWorkbenchEventResult": ("OK", "Fail"),  # Operation Center: "Valid values: OK and Fail"
    "CallbackExtension": ("OK", "WARN", "FAIL"),
}
_DEFAULT_ERRORS = {
    400: ("InvalidParameter", "The specified parameter is invalid."),
    403: (
        "Forbidden.Access",
        "Access is forbidden. Please first activate DataWorks Enterprise Edition or Flagship Edition.",
    ),
    404: ("InvalidAction.NotFound", "Specified api is not found, please check your url and method."),
    429: ("Throttling.User", "Your request is too frequent. Try again later."),
    500: ("InternalError.System", "An internal system error occurred. Try again later."),
    503: ("ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
}

DEFAULT_EVENT_DETAIL: dict[str, Any] = {
    "CommittedFile": {
        "ChangeType": "UPDATE",
        "Comment": "local stand-in",
        "Committor": "local-user",
        "Content": "SELECT 1;",
        "FileId": 1,
        "FileName": "local_file",
        "FileType": 10,
        "NodeId": 1,
        "UseType": "NORMAL",
        "FilePropertyContent": {
            "BusinessId": 1,
            "CurrentVersion": 1,
            "DataSourceName": "odps_first",
            "FolderId": "folder",
            "Owner": "local-user",
            "ParentFileId": 0,
        },
    }
}


@dataclass(frozen=True)
class VerdictRecord:
    """One verdict DataWorks received (tip is CheckResultTip, or CheckMessage for CallbackExtension)."""

    action: str
    message_id: str
    extension_code: str
    check_result: str
    tip: str
    received_at: datetime
    access_key_id: str = ""
    security_token: bool = False


@dataclass(frozen=True)
class RequestRecord:
    """Every request that reached the server, answered or not (status 0 = dropped)."""

    action: str
    status: int
    code: str
    params: dict[str, str]
    access_key_id: str
    received_at: datetime


@dataclass
class Fault:
    action: str | None
    status: int | None
    code: str | None
    delay_s: float
    drop: bool
    times: int


@dataclass
class _Fixtures:
    default_event_detail: dict[str, Any] = field(
        default_factory=lambda: json.loads(json.dumps(DEFAULT_EVENT_DETAIL))
    )
    event_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    extensions: dict[str, dict[str, Any]] = field(default_factory=dict)
    option_values: dict[tuple[str, str], str] = field(default_factory=dict)


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class DataWorksApiStandIn:
    """The stand-in server. Use as a context manager; point the client at :attr:`endpoint` over http."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_keys: Mapping[str, str] | None = None,
        security_tokens: Mapping[str, str] | None = None,
        on_verdict: Callable[[VerdictRecord], None] | None = None,
    ) -> None:
        self._host, self._port = host, port
        #: access key id → secret. An id also in ``security_tokens`` must come with that STS token.
        self.access_keys: dict[str, str] = dict(
            access_keys or {DEFAULT_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_SECRET}
        )
        self.security_tokens: dict[str, str] = dict(security_tokens or {})
        self.on_verdict = on_verdict
        self.fixtures = _Fixtures()
        self._verdicts: list[VerdictRecord] = []
        self._requests: list[RequestRecord] = []
        self._faults: list[Fault] = []
        self._nonces: set[str] = set()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> DataWorksApiStandIn:
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self._closing.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            name="dataworks-api-standin",
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()
        logger.info("DataWorks API stand-in listening on %s", self.endpoint)
        return self

    def close(self) -> None:
        self._closing.set()  # wakes handlers sleeping in an injected delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DataWorksApiStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """``host:port`` as the SDK's ``Config.endpoint`` wants it (use protocol ``http``)."""
        return f"{self._host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}/"

    def client_env(self, access_key_id: str | None = None) -> dict[str, str]:
        """Environment variables that point ``DataWorksSettings.from_env`` at this server."""
        key_id = access_key_id or next(iter(self.access_keys))
        env = {
            "DWEVENTS_DATAWORKS_ENDPOINT": self.endpoint,
            "DWEVENTS_DATAWORKS_PROTOCOL": "http",
            "ALIBABA_CLOUD_ACCESS_KEY_ID": key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": self.access_keys[key_id],
        }
        if key_id in self.security_tokens:
            env["ALIBABA_CLOUD_SECURITY_TOKEN"] = self.security_tokens[key_id]
        return env

    # -- configuration --------------------------------------------------------------------------------
    def add_credentials(self, access_key_id: str, secret: str, security_token: str | None = None) -> None:
        with self._lock:
            self.access_keys[access_key_id] = secret
            if security_token is not None:
                self.security_tokens[access_key_id] = security_token

    def inject(
        self,
        action: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        delay_s: float = 0,
        drop: bool = False,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` requests (for ``action``, or any) fail: wait ``delay_s`` first, then
        answer ``status`` with ``code`` (defaults: 429 Throttling.User, 500 InternalError.System, …), or
        close the connection without an answer (``drop``). A delay alone answers normally, late."""
        if status is None and code is not None:
            raise ValueError("a code needs a status")
        with self._lock:
            self._faults.append(Fault(action, status, code, delay_s, drop, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forget recorded verdicts/requests and faults; keep fixtures and credentials."""
        with self._lock:
            self._faults.clear()
            self._verdicts.clear()
            self._requests.clear()

    def set_event_detail(self, message_id: str | None, detail: Mapping[str, Any]) -> None:
        """GetIDEEventDetail's ``EventDetail`` for one message id (None: the default for all others)."""
        with self._lock:
            if message_id is None:
                self.fixtures.default_event_detail = dict(detail)
            else:
                self.fixtures.event_details[message_id] = dict(detail)

    def set_file_content(
        self,
        message_id: str | None,
        content: str,
        *,
        kind: str = "CommittedFile",
        file_type: int = 10,
        file_name: str = "local_file",
        data_source_name: str = "odps_first",
        change_type: str = "UPDATE",
        **extra: Any,
    ) -> None:
        """Shortcut for a file snapshot: ``kind`` is CommittedFile (commit/deploy), DeletedFile (delete) or
        FileExecutionCommand (run)."""
        if kind not in ("CommittedFile", "DeletedFile", "FileExecutionCommand"):
            raise ValueError(f"unknown file snapshot kind {kind!r}")
        item: dict[str, Any] = {
            "Content": content,
            "FileType": file_type,
            "DataSourceName": data_source_name,
            "FileId": 1,
        }
        if kind != "FileExecutionCommand":
            item.update({"FileName": file_name, "NodeId": 1, "UseType": "NORMAL"})
        if kind == "CommittedFile":
            item.update({"ChangeType": change_type, "Committor": "local-user", "Comment": ""})
        item.update(extra)
        self.set_event_detail(message_id, {kind: item})

    def set_table_model(
        self,
        message_id: str | None,
        table_name: str,
        columns: Iterable[tuple[str, str, str, bool]] = (),
        *,
        env: str = "DEV",
        life_cycle: int = 30,
        comment: str = "",
        data_source_name: str = "odps_first",
        location: str = "",
    ) -> None:
        """Shortcut for a table snapshot (commit-table / deploy-table); columns are
        (name, type, comment, is_partition_column)."""
        self.set_event_detail(
            message_id,
            {
                "TableModel": {
                    "TableName": table_name,
                    "Env": env,
                    "LifeCycle": life_cycle,
                    "Comment": comment,
                    "DataSourceName": data_source_name,
                    "Location": location,
                    "Columns": [
                        {"ColumnName": n, "ColumnType": t, "Comment": c, "IsPartitionColumn": p}
                        for n, t, c, p in columns
                    ],
                }
            },
        )

    def set_extension(
        self, extension_code: str, *, parameter_setting: str | None = None, **fields: Any
    ) -> None:
        """GetExtension's ``Extension`` for a code: ParameterSetting text plus any other field."""
        with self._lock:
            ext = self.fixtures.extensions.setdefault(extension_code, {})
            if parameter_setting is not None:
                ext["ParameterSetting"] = parameter_setting
            ext.update(fields)

    def set_option_value(
        self, extension_code: str, project_id: int | str, value: Mapping[str, Any] | str
    ) -> None:
        """GetOptionValueForProject's ``OptionValue`` (a JSON string on the wire) for (extension, project)."""
        with self._lock:
            self.fixtures.option_values[(extension_code, str(project_id))] = (
                value if isinstance(value, str) else json.dumps(dict(value))
            )

    # -- what was received ----------------------------------------------------------------------------
    @property
    def verdicts(self) -> list[VerdictRecord]:
        with self._lock:
            return list(self._verdicts)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def wait_for_verdicts(self, count: int = 1, timeout_s: float = 5.0) -> list[VerdictRecord]:
        """Block until at least ``count`` verdicts arrived (or the timeout passed); return them all."""
        end = time.monotonic() + timeout_s
        with self._changed:
            while len(self._verdicts) < count and (left := end - time.monotonic()) > 0:
                self._changed.wait(left)
            return list(self._verdicts)

    # -- request processing (called from handler threads) ---------------------------------------------
    def _take_fault(self, action: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.action in (None, action):
                    fault.times -= 1
                    return fault
        return None

    def _record(self, record: RequestRecord) -> None:
        with self._changed:
            self._requests.append(record)
            self._changed.notify_all()

    def _secret_for(self, key_id: str) -> str | None:
        with self._lock:
            return self.access_keys.get(key_id)

    def _authenticate(self, query: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> str:
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            key_id = verify("POST", "/", dict(query), lowered, body, self._secret_for)
        except SignatureError as exc:
            raise _ApiError(exc.status, exc.code, str(exc)) from None
        token = lowered.get("x-acs-security-token")
        expected_token = self.security_tokens.get(key_id)
        if token is not None:
            signed = (
                lowered.get("authorization", "").split("SignedHeaders=", 1)[-1].split(",", 1)[0].split(";")
            )
            if "x-acs-security-token" not in signed:
                raise _ApiError(400, "IncompleteSignature", "header x-acs-security-token is not signed")
            if lowered.get("x-acs-accesskey-id", key_id) != key_id:
                raise _ApiError(
                    400, "InvalidAccessKeyId.Mismatch", "x-acs-accesskey-id differs from Credential"
                )
        if expected_token is not None and token != expected_token:
            raise _ApiError(
                400,
                "InvalidSecurityToken.MismatchWithAccessKey" if token else "MissingSecurityToken",
                "The security token you provided does not match the access key.",
            )
        raw_date = lowered.get("x-acs-date", "")
        try:
            sent = datetime.strptime(raw_date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise _ApiError(
                400, "InvalidTimeStamp.Format", "x-acs-date is not an ISO 8601 UTC time"
            ) from None
        if abs(_now() - sent) > MAX_CLOCK_SKEW:
            raise _ApiError(
                400, "InvalidTimeStamp.Expired", "The specified time stamp or date value is expired."
            )
        nonce = lowered.get("x-acs-signature-nonce", "")
        with self._lock:
            if nonce in self._nonces:
                raise _ApiError(400, "SignatureNonceUsed", "The request signature nonce has been used.")
            self._nonces.add(nonce)
        if lowered.get("x-acs-version") != API_VERSION:
            raise _ApiError(
                400, "InvalidVersion", f"Specified version is not valid: {lowered.get('x-acs-version')}"
            )
        return key_id

    def _dispatch(self, action: str, params: Mapping[str, str], key_id: str, token: bool) -> dict[str, Any]:
        def need(name: str) -> str:
            value = params.get(name, "")
            if not value:
                raise _ApiError(400, f"Missing{name}", f"{name} is mandatory for this action.")
            return value

        if action in VERDICT_ACTIONS:
            message_id, extension_code, result = need("MessageId"), need("ExtensionCode"), need("CheckResult")
            if result not in _ALLOWED_RESULTS[action]:
                raise _ApiError(
                    400,
                    "InvalidParameter.CheckResult",
                    f"CheckResult must be one of {', '.join(_ALLOWED_RESULTS[action])}",
                )
            tip_field = "CheckMessage" if action == "CallbackExtension" else "CheckResultTip"
            tip = params.get(tip_field, "")
            if action == "CallbackExtension" and result == "FAIL" and not tip:
                raise _ApiError(
                    400, "MissingCheckMessage", "CheckMessage is mandatory when CheckResult is FAIL."
                )
            record = VerdictRecord(action, message_id, extension_code, result, tip, _now(), key_id, token)
            with self._changed:
                self._verdicts.append(record)
            if self.on_verdict is not None:
                try:
                    self.on_verdict(record)
                except Exception:  # a printing callback must not break the server
                    logger.exception("on_verdict callback failed")
            if action == "UpdateIDEEventResult":
                return {}
            if action == "UpdateWorkbenchEventResult":
                return {"Success": True}
            return {"Success": "true"}  # CallbackExtension: Success is a String in the SDK model
        if action == "GetIDEEventDetail":
            message_id, project_id = need("MessageId"), need("ProjectId")
            if not project_id.lstrip("-").isdigit():
                raise _ApiError(400, "InvalidParameter.ProjectId", "ProjectId must be a number.")
            with self._lock:
                detail = self.fixtures.event_details.get(message_id, self.fixtures.default_event_detail)
            return {"EventDetail": detail}
        if action == "GetExtension":
            code = need("ExtensionCode")
            with self._lock:
                fixture = dict(self.fixtures.extensions.get(code, {}))
            extension = {
                "ExtensionCode": code,
                "ExtensionName": code,
                "ExtensionDesc": "local stand-in",
                "ParameterSetting": "",
                "OptionSetting": "",
                "Status": 1,
                "ProjectTesting": 0,
                "DetailUrl": "",
                "HelpDocUrl": "",
                "BindEventList": [],
                "EventCategoryList": [],
            }
            extension.update(fixture)
            return {"Extension": extension}
        if action == "GetOptionValueForProject":
            code, project_id = need("ExtensionCode"), need("ProjectId")
            with self._lock:
                value = self.fixtures.option_values.get((code, project_id), "{}")
            return {"OptionValue": value}
        raise _ApiError(404, "InvalidAction.NotFound", f"Specified api is not found: {action or '(none)'}")


class _Handler(BaseHTTPRequestHandler):
    standin: DataWorksApiStandIn
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's pooled connections expect
    disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid 40 ms stalls
    server_version = "DataWorksStandIn/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._reply(405, {"Code": "UnsupportedHTTPMethod", "Message": "Use POST."}, "")

    def do_POST(self) -> None:
        standin = self.standin
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        form: dict[str, str] = {}
        if "x-www-form-urlencoded" in (self.headers.get("Content-Type") or "") and body:
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        params = {**query, **form}
        action = self.headers.get("x-acs-action") or query.get("Action", "")
        request_id = str(uuid.uuid4()).upper()
        key_id = ""
        fault = standin._take_fault(action)
        if fault is not None:
            if fault.delay_s > 0 and standin._closing.wait(fault.delay_s):
                return
            if fault.drop:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                standin._record(RequestRecord(action, 0, "dropped", params, key_id, _now()))
                return
            if fault.status is not None:
                code, message = _DEFAULT_ERRORS.get(fault.status, ("Error", "Injected error."))
                code = fault.code or code
                standin._record(RequestRecord(action, fault.status, code, params, key_id, _now()))
                self._reply(fault.status, {"Code": code, "Message": message}, request_id)
                return
        try:
            if split.path != "/":
                raise _ApiError(404, "InvalidAction.NotFound", f"Specified api is not found: {split.path}")
            key_id = standin._authenticate(query, dict(self.headers.items()), body)
            answer = standin._dispatch(
                action, params, key_id, "x-acs-security-token" in {k.lower() for k in self.headers}
            )
        except _ApiError as err:
            standin._record(RequestRecord(action, err.status, err.code, params, key_id, _now()))
            self._reply(err.status, {"Code": err.code, "Message": err.message}, request_id)
            return
        standin._record(RequestRecord(action, 200, "", params, key_id, _now()))
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


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C, printing each received verdict on stdout."""
    parser = argparse.ArgumentParser(
        prog="python -m dwevents.local.dataworks_api", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--access-key-id", default=DEFAULT_ACCESS_KEY_ID)
    parser.add_argument("--access-key-secret", default=DEFAULT_ACCESS_KEY_SECRET)
    parser.add_argument("--security-token", default=None, help="require this STS token with the key")
    args = parser.parse_args(argv)

    def show(record: VerdictRecord) -> None:
        print(
            f"{record.received_at.isoformat(timespec='milliseconds')} {record.action} "
            f"message={record.message_id} extension={record.extension_code} "
            f"result={record.check_result} tip={record.tip!r}",
            flush=True,
        )

    tokens = {args.access_key_id: args.security_token} if args.security_token else None
    standin = DataWorksApiStandIn(
        args.host,
        args.port,
        access_keys={args.access_key_id: args.access_key_secret},
        security_tokens=tokens,
        on_verdict=show,
    )
    with standin:
        print(f"DataWorks API stand-in on {standin.url} — point the functions at it with:", flush=True)
        for key, value in standin.client_env().items():
            print(f"  export {key}={value}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print(f"\nstopped; {len(standin.verdicts)} verdict(s) received", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
