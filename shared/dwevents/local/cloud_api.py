"""Local stand-in for the two cloud APIs the deploy path calls: EventBridge rules and FC 3.0 invoke.

Why: ``dwevents.deploy.bus`` and ``dwevents.deploy.remote`` drive the *official* SDKs; testing them against
mocks would test the mocks. This is a real HTTP server on 127.0.0.1 that speaks what those SDKs put on
the wire (observed by pointing them at it):

* **EventBridge 2020-04-01** (``alibabacloud_eventbridge20200401``): RPC style — ``POST /`` with the
  action in ``x-acs-action``, every parameter in the query string (lists such as ``EventTargets`` /
  ``Targets`` / ``TargetIds`` as JSON strings), an empty form body, ACS3-HMAC-SHA256 signed; JSON answer
  ``{"RequestId", "Success", "Code", "Message", "Data"}``. Rules and targets live in memory, per bus.
* **FC 3.0** (``alibabacloud_fc20230330``): ROA style —
  ``POST /2023-03-30/functions/<name>/invocations[?qualifier=]`` with the raw payload as body and
  ``x-fc-invocation-type``; the answer is the function's return value with ``x-fc-request-id``. When the
  registered callable raises, the answer is HTTP 200 with ``x-fc-error-type: UnhandledInvocationError``
  and FC's ``{"errorMessage", "errorType", "stackTrace"}`` body, as the cloud does.

Both verify the ACS3 signature against the configured test credentials and answer a wrong secret or an
unknown key with the cloud's codes (EventBridge/POP: ``SignatureDoesNotMatch`` 400,
``InvalidAccessKeyId.NotFound`` 404; FC: ``SignatureNotMatch`` / ``InvalidAccessKeyID`` 403). Business
error codes for missing buses/rules (``EventBusNotExist``, ``EventRuleNotExisted``) follow the API
reference examples; the duplicate-rule code is the stand-in's own.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from dwevents.local import acs3

logger = logging.getLogger(__name__)

EVENTBRIDGE_VERSION = "2020-04-01"
FC_API_PREFIX = "/2023-03-30/functions/"

#: Actions that change state; tests assert a dry run sends none of them.
MUTATING_ACTIONS = frozenset({
    "CreateRule", "UpdateRule", "DeleteRule", "EnableRule", "DisableRule", "PutTargets", "DeleteTargets",
})


@dataclass(frozen=True)
class Invocation:
    """What the FC stand-in hands to a registered callable besides the payload."""

    function_name: str
    qualifier: str
    invocation_type: str
    request_id: str
    headers: Mapping[str, str]


#: A registered function: ``(payload, invocation) -> result``. ``bytes``/``str`` results are sent as is,
#: ``None`` as an empty body, anything else as JSON.
InvokeHandler = Callable[[bytes, Invocation], Any]


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in answered (signature-rejected ones included)."""

    api: str  # "eventbridge" | "fc"
    action: str  # RPC action, or "InvokeFunction"
    status: int
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass
class StoredRule:
    bus: str
    name: str
    description: str
    filter_pattern: str
    status: str
    created: int
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def arn(self, region: str, account_id: str) -> str:
        return f"acs:eventbridge:{region}:{account_id}:eventbus/{self.bus}/rule/{self.name}"


class ApiError(Exception):
    """An error answer: HTTP status, cloud error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        super().__init__(message)


class CloudApiStandIn:
    """EventBridge + FC 3.0 invoke on one loopback port; a context manager that serves in a thread.

    ``credentials`` maps access key id → secret; requests signed with anything else are refused.
    Point an SDK at it with ``endpoint=stand_in.endpoint`` and ``protocol="http"``.
    """

    def __init__(self, credentials: Mapping[str, str], *, account_id: str = "1234567890123456",
                 region: str = "cn-hangzhou", buses: tuple[str, ...] = ("default",),
                 list_page_size: int = 10) -> None:
        """``list_page_size`` caps every List* page (the cloud caps them too), so paging gets exercised."""
        self.credentials = dict(credentials)
        self.account_id = account_id
        self.region = region
        self.list_page_size = list_page_size
        self._lock = threading.RLock()
        self._buses: dict[str, dict[str, StoredRule]] = {name: {} for name in buses}
        self._functions: dict[str, InvokeHandler] = {}
        self.calls: list[RecordedCall] = []
        self.invocations: list[tuple[Invocation, bytes]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> CloudApiStandIn:
        if self._server is not None:
            return self
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        server = self._server
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05),
                                        name="cloud-api-stand-in", daemon=True)
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

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
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
    def add_bus(self, name: str) -> None:
        with self._lock:
            self._buses.setdefault(name, {})

    def register_function(self, name: str, handler: InvokeHandler) -> None:
        with self._lock:
            self._functions[name] = handler

    def rules(self, bus: str) -> dict[str, StoredRule]:
        """A snapshot of the rules on ``bus`` (copies; mutate through the API)."""
        with self._lock:
            return {name: StoredRule(r.bus, r.name, r.description, r.filter_pattern, r.status, r.created,
                                     {k: dict(v) for k, v in r.targets.items()})
                    for name, r in self._buses.get(bus, {}).items()}

    def seed_rule(self, bus: str, name: str, *, filter_pattern: str, description: str = "",
                  targets: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """Put a rule on a bus directly, e.g. one somebody else created."""
        with self._lock:
            self._buses.setdefault(bus, {})[name] = StoredRule(
                bus, name, description, filter_pattern, "ENABLE", _now_ms(),
                {k: dict(v) for k, v in (targets or {}).items()})

    def mutating_calls(self) -> list[RecordedCall]:
        with self._lock:
            return [c for c in self.calls if c.action in MUTATING_ACTIONS]

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self.calls.append(call)

    def _secret_for(self, key_id: str) -> str | None:
        return self.credentials.get(key_id)

    # -- EventBridge (RPC) --------------------------------------------------------------------------
    def eventbridge(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        handler = _EB_ACTIONS.get(action)
        if handler is None:
            raise ApiError(404, "InvalidAction.NotFound", f"Specified api is not found: {action}")
        with self._lock:
            data = handler(self, params)
        body: dict[str, Any] = {"Success": True, "Code": "Success", "Message": ""}
        if data is not None:
            body["Data"] = data
        return body

    def _bus(self, params: Mapping[str, str]) -> dict[str, StoredRule]:
        name = _required(params, "EventBusName")
        if name not in self._buses:
            raise ApiError(404, "EventBusNotExist", f"The event bus [{name}] not existed!")
        return self._buses[name]

    def _rule(self, params: Mapping[str, str]) -> StoredRule:
        rules = self._bus(params)
        name = _required(params, "RuleName")
        if name not in rules:
            raise ApiError(404, "EventRuleNotExisted", f"The event rule [{name}] not existed!")
        return rules[name]

    def _create_rule(self, params: Mapping[str, str]) -> dict[str, Any]:
        rules = self._bus(params)
        name = _required(params, "RuleName")
        if name in rules:
            raise ApiError(409, "EventRuleExisted", f"The event rule [{name}] already existed!")
        pattern = _json_param(params, "FilterPattern", required=True)
        rule = StoredRule(params["EventBusName"], name, params.get("Description", ""), json.dumps(pattern),
                          params.get("Status") or "ENABLE", _now_ms())
        for target in _json_param(params, "EventTargets") or []:
            rule.targets[_target_id(target)] = _stored_target(target)
        rules[name] = rule
        return {"RuleARN": rule.arn(self.region, self.account_id)}

    def _get_rule(self, params: Mapping[str, str]) -> dict[str, Any]:
        rule = self._rule(params)
        targets = [self._target_out(rule, t) for t in rule.targets.values()]
        return {**self._rule_summary(rule), "Targets": targets}

    def _list_rules(self, params: Mapping[str, str]) -> dict[str, Any]:
        rules = self._bus(params)
        prefix = params.get("RuleNamePrefix", "")
        selected = sorted((r for r in rules.values() if r.name.startswith(prefix)), key=lambda r: r.name)
        page, next_token = _page(selected, params, self.list_page_size)
        return {"Rules": [{**self._rule_summary(r),
                           "Targets": [{"Id": t["Id"], "Type": t.get("Type", ""),
                                        "Endpoint": t.get("Endpoint", "")} for t in r.targets.values()]}
                          for r in page],
                "NextToken": next_token, "Total": len(selected)}

    def _update_rule(self, params: Mapping[str, str]) -> None:
        rule = self._rule(params)
        if "FilterPattern" in params:
            rule.filter_pattern = json.dumps(_json_param(params, "FilterPattern", required=True))
        if "Description" in params:
            rule.description = params["Description"]
        if params.get("Status"):
            rule.status = params["Status"]

    def _delete_rule(self, params: Mapping[str, str]) -> None:
        rule = self._rule(params)
        del self._buses[rule.bus][rule.name]

    def _enable_rule(self, params: Mapping[str, str]) -> None:
        self._rule(params).status = "ENABLE"

    def _disable_rule(self, params: Mapping[str, str]) -> None:
        self._rule(params).status = "DISABLE"

    def _put_targets(self, params: Mapping[str, str]) -> dict[str, Any]:
        rule = self._rule(params)
        targets = _json_param(params, "Targets", required=True)
        if not isinstance(targets, list) or not targets:
            raise ApiError(400, "InvalidParameter", "Targets must be a non-empty JSON array")
        for target in targets:
            rule.targets[_target_id(target)] = _stored_target(target)
        return {"ErrorEntriesCount": 0, "ErrorEntries": []}

    def _delete_targets(self, params: Mapping[str, str]) -> dict[str, Any]:
        rule = self._rule(params)
        ids = _json_param(params, "TargetIds", required=True)
        errors = [{"EntryId": i, "ErrorCode": "EventTargetNotExisted",
                   "ErrorMessage": f"target {i} not existed"} for i in ids if i not in rule.targets]
        for target_id in ids:
            rule.targets.pop(target_id, None)
        return {"ErrorEntriesCount": len(errors), "ErrorEntries": errors}

    def _list_targets(self, params: Mapping[str, str]) -> dict[str, Any]:
        rule = self._rule(params)
        targets = sorted(rule.targets.values(), key=lambda t: str(t["Id"]))
        page, next_token = _page(targets, params, self.list_page_size)
        return {"Targets": [self._target_out(rule, t) for t in page], "NextToken": next_token,
                "Total": len(targets)}

    def _rule_summary(self, rule: StoredRule) -> dict[str, Any]:
        return {"RuleARN": rule.arn(self.region, self.account_id), "EventBusName": rule.bus,
                "RuleName": rule.name, "Description": rule.description, "Status": rule.status,
                "FilterPattern": rule.filter_pattern, "CreatedTimestamp": rule.created}

    @staticmethod
    def _target_out(rule: StoredRule, target: Mapping[str, Any]) -> dict[str, Any]:
        return {**target, "RuleName": rule.name, "EventBusName": rule.bus}

    # -- FC 3.0 invoke (ROA) ------------------------------------------------------------------------
    def invoke(self, function_name: str, query: Mapping[str, str], headers: Mapping[str, str],
               payload: bytes, request_id: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            handler = self._functions.get(function_name)
        if handler is None:
            raise ApiError(404, "FunctionNotFound", f"function '{function_name}' does not exist")
        invocation_type = headers.get("x-fc-invocation-type", "Sync") or "Sync"
        visible = {k: v for k, v in headers.items() if k not in _PRIVATE_HEADERS}
        invocation = Invocation(function_name, query.get("qualifier", "LATEST") or "LATEST", invocation_type,
                                request_id, visible)
        with self._lock:
            self.invocations.append((invocation, payload))
        out_headers = {"x-fc-request-id": request_id}
        try:
            result = handler(payload, invocation)
        except Exception as exc:  # the function's own failure: FC reports it, the API call succeeds
            logger.debug("stand-in function %s raised %s", function_name, type(exc).__name__)
            if invocation_type.lower() == "async":
                return 202, out_headers, b""
            frames = [[f"File \"{f.filename}\"", f"line {f.lineno}", f"in {f.name}", f.line or ""]
                      for f in traceback.extract_tb(exc.__traceback__)[1:]]  # drop the stand-in's frame
            body = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__,
                               "stackTrace": frames}).encode()
            out_headers.update({"x-fc-error-type": "UnhandledInvocationError",
                                "content-type": "application/json"})
            return 200, out_headers, body
        if invocation_type.lower() == "async":
            return 202, out_headers, b""
        return 200, out_headers, _result_bytes(result)


_EB_ACTIONS: dict[str, Callable[[CloudApiStandIn, Mapping[str, str]], Any]] = {
    "CreateRule": CloudApiStandIn._create_rule,
    "GetRule": CloudApiStandIn._get_rule,
    "ListRules": CloudApiStandIn._list_rules,
    "UpdateRule": CloudApiStandIn._update_rule,
    "DeleteRule": CloudApiStandIn._delete_rule,
    "EnableRule": CloudApiStandIn._enable_rule,
    "DisableRule": CloudApiStandIn._disable_rule,
    "PutTargets": CloudApiStandIn._put_targets,
    "DeleteTargets": CloudApiStandIn._delete_targets,
    "ListTargets": CloudApiStandIn._list_targets,
}


# -- helpers ----------------------------------------------------------------------------------------
def _now_ms() -> int:
    return int(time.time() * 1000)


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise ApiError(400, "MissingParameter", f"The input parameter \"{name}\" that is mandatory "
                                                f"for processing this request is not supplied.")
    return value


def _json_param(params: Mapping[str, str], name: str, *, required: bool = False) -> Any:
    raw = _required(params, name) if required else params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, "InvalidParameter", f"{name} is not valid JSON") from None


def _target_id(target: Any) -> str:
    if not isinstance(target, dict) or not target.get("Id"):
        raise ApiError(400, "InvalidParameter", "every target needs an Id")
    return str(target["Id"])


def _stored_target(target: Mapping[str, Any]) -> dict[str, Any]:
    if not target.get("Type"):
        raise ApiError(400, "MissingParameter", "target Type is required")
    stored = {key: value for key, value in target.items() if value is not None}
    stored["ParamList"] = [dict(p) for p in target.get("ParamList") or []]
    return stored


def _page(items: list[Any], params: Mapping[str, str], max_page: int) -> tuple[list[Any], str]:
    try:
        start = int(params.get("NextToken") or 0)
        limit = min(int(params.get("Limit") or max_page), max_page)
    except ValueError:
        raise ApiError(400, "InvalidParameter", "NextToken/Limit must be integers") from None
    end = start + max(limit, 1)
    return items[start:end], (str(end) if end < len(items) else "")


def _result_bytes(result: Any) -> bytes:
    if result is None:
        return b""
    if isinstance(result, bytes | bytearray):
        return bytes(result)
    if isinstance(result, str):
        return result.encode()
    return json.dumps(result).encode()


def _flatten(query: Mapping[str, list[str]]) -> dict[str, str]:
    return {key: values[-1] for key, values in query.items()}


#: Not handed to registered functions: signing material has no business in a handler.
_PRIVATE_HEADERS = frozenset({"authorization", "x-acs-security-token", "x-acs-accesskey-id"})

_FC_SIGNATURE_CODES = {"SignatureDoesNotMatch": "SignatureNotMatch",
                       "InvalidAccessKeyId.NotFound": "InvalidAccessKeyID"}


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
            if split.path.startswith(FC_API_PREFIX):
                self._fc(split.path, query, headers, body, request_id)
            else:
                self._eventbridge(split.path, query, headers, body, request_id)

        def _verify(self, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str],
                    body: bytes) -> None:
            acs3.verify(self.command, path, {k: v for k, v in query.items()}, headers, body,
                        stand_in._secret_for)

        def _eventbridge(self, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes,
                         request_id: str) -> None:
            action = headers.get("x-acs-action", "")
            params = _flatten(query)
            if body and "application/x-www-form-urlencoded" in headers.get("content-type", ""):
                params.update(_flatten(parse_qs(body.decode(), keep_blank_values=True)))
            try:
                self._verify(path, query, headers, body)
                if path != "/":
                    raise ApiError(404, "InvalidAction.NotFound", f"path {path} is not an RPC path")
                if headers.get("x-acs-version") != EVENTBRIDGE_VERSION:
                    raise ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.")
                answer = stand_in.eventbridge(action, params)
                status = 200
            except acs3.SignatureError as exc:
                status, answer = exc.status, {"Code": exc.code, "Message": str(exc)}
            except ApiError as exc:
                status, answer = exc.status, {"Code": exc.code, "Message": str(exc), "Success": False}
            answer["RequestId"] = request_id
            stand_in._record(RecordedCall("eventbridge", action, status, params))
            self._send(status, {"content-type": "application/json;charset=utf-8",
                                "x-acs-request-id": request_id}, json.dumps(answer).encode())

        def _fc(self, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes,
                request_id: str) -> None:
            status = 500
            try:
                try:
                    self._verify(path, query, headers, body)
                except acs3.SignatureError as exc:
                    raise ApiError(403, _FC_SIGNATURE_CODES.get(exc.code, exc.code), str(exc)) from None
                rest = path[len(FC_API_PREFIX):]
                name, _, tail = rest.partition("/")
                if tail != "invocations" or self.command != "POST":
                    raise ApiError(400, "PathNotSupported",
                                   f"'{self.command}' against '{path}' is not supported")
                status, out_headers, out = stand_in.invoke(unquote(name), _flatten(query), headers, body,
                                                           request_id)
            except ApiError as exc:
                status = exc.status
                out_headers = {"x-fc-request-id": request_id, "content-type": "application/json"}
                out = json.dumps({"Code": exc.code, "Message": str(exc), "RequestId": request_id}).encode()
            stand_in._record(RecordedCall("fc", "InvokeFunction", status, {"path": path}))
            self._send(status, out_headers, out)

        def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler

