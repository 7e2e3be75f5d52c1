"""What the cloud stand-in keeps in memory, and the request helpers its API modules share.

Plain dataclasses (rules, targets, functions, traced events, recorded calls) plus the parameter readers
every action uses, so that a missing or malformed parameter gets the same answer whichever API it is
sent to: ``MissingParameter`` / ``InvalidParameter`` with HTTP 400, the POP gateway's common codes.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dwevents.errors import DwEventsError


class ApiError(DwEventsError):
    """An error answer: HTTP status, cloud error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class FcInvocation:
    """What the FC stand-in hands to a registered callable besides the payload (named apart from
    :class:`dwevents.context.Invocation`, the runtime's view of its own invocation)."""

    function_name: str
    qualifier: str
    invocation_type: str
    request_id: str
    headers: Mapping[str, str]


#: A registered function: ``(payload, invocation) -> result``. ``bytes``/``str`` results are sent as is,
#: ``None`` as an empty body, anything else as JSON.
InvokeHandler = Callable[[bytes, FcInvocation], Any]


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in answered (signature-rejected ones included)."""

    api: str  # "eventbridge" | "fc" | "sts"
    action: str  # RPC action, or "InvokeFunction" / "GetFunction"
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

    def copy(self) -> StoredRule:
        return StoredRule(
            self.bus,
            self.name,
            self.description,
            self.filter_pattern,
            self.status,
            self.created,
            {k: json.loads(json.dumps(v)) for k, v in self.targets.items()},
        )


@dataclass
class StoredFunction:
    """An FC 3.0 function as GetFunction describes it; ``handler_fn`` runs it (None: accepts and returns
    an empty body, enough for a delivery to count as made)."""

    name: str
    runtime: str = "python3.12"
    handler: str = "index.handler"
    role: str = ""
    memory_size: int = 512
    timeout: int = 60
    environment: dict[str, str] = field(default_factory=dict)
    handler_fn: InvokeHandler | None = None

    def describe(self, region: str, account_id: str) -> dict[str, Any]:
        """The FC 3.0 ``Function`` structure (the fields the project reads; the API returns more)."""
        return {
            "functionName": self.name,
            "functionId": f"fn-{zlib.crc32(self.name.encode()):010d}",
            "functionArn": f"acs:fc:{region}:{account_id}:functions/{self.name}",
            "runtime": self.runtime,
            "handler": self.handler,
            "role": self.role,
            "memorySize": self.memory_size,
            "timeout": self.timeout,
            "environmentVariables": dict(self.environment),
            "state": "Active",
        }


@dataclass
class TracedEvent:
    """One event as it reached a bus, with what EventBridge did with it (QueryEventTraces rows)."""

    bus: str
    event: dict[str, Any]
    received_ms: int
    traces: list[dict[str, Any]] = field(default_factory=list)
    matched_rules: list[str] = field(default_factory=list)

    @property
    def event_id(self) -> str:
        return str(self.event.get("id") or "")

    def summary(self) -> dict[str, Any]:
        """An ``Events`` element of QueryTracedEvents."""
        return {
            "EventId": self.event_id,
            "EventBusName": self.bus,
            "EventSource": str(self.event.get("source") or ""),
            "EventType": str(self.event.get("type") or ""),
            "EventReceivedTime": self.received_ms,
        }


# -- parameter readers ------------------------------------------------------------------------------
def now_ms() -> int:
    return int(time.time() * 1000)


def required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise ApiError(
            400,
            "MissingParameter",
            f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
        )
    return value


def json_param(params: Mapping[str, str], name: str, *, need: bool = False) -> Any:
    raw = required(params, name) if need else params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, "InvalidParameter", f"{name} is not valid JSON") from None


def integer_param(
    params: Mapping[str, str], name: str, *, need: bool = False, maximum: int | None = None
) -> int | None:
    raw = required(params, name) if need else params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw))
    except ValueError:
        raise ApiError(400, "InvalidParameter", f"{name} must be an integer, not {raw!r}") from None
    if value < 0 or (maximum is not None and value > maximum):
        bound = f"0..{maximum}" if maximum is not None else ">= 0"
        raise ApiError(400, "InvalidParameter", f"{name} must be {bound}, not {value}")
    return value


def page(
    items: list[Any], params: Mapping[str, str], max_page: int, limit_max: int | None = None
) -> tuple[list[Any], str]:
    """One page of ``items``: ``NextToken`` is the offset as a string (opaque to clients), ``""`` at the
    end; ``Limit`` above ``limit_max`` (the documented maximum) is refused, else capped at ``max_page``."""
    start = integer_param(params, "NextToken") or 0
    limit = integer_param(params, "Limit", maximum=limit_max)
    size = max(min(limit or max_page, max_page), 1)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else "")


def result_bytes(result: Any) -> bytes:
    if result is None:
        return b""
    if isinstance(result, bytes | bytearray):
        return bytes(result)
    if isinstance(result, str):
        return result.encode()
    return json.dumps(result).encode()
