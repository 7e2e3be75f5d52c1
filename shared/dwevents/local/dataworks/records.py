"""What the stand-in saw: each request (answered or not), each verdict, and the faults to inject."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
    """Every request that reached the server, answered or not (status 0 = dropped). ``query`` and
    ``form`` are where the parameters travelled; ``headers`` leave out Authorization and the STS token."""

    action: str
    status: int
    code: str
    params: dict[str, str]
    access_key_id: str
    received_at: datetime
    method: str = "POST"
    path: str = "/"
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    signed_headers: tuple[str, ...] = ()
    #: The request target exactly as sent (path and raw query string).
    target: str = "/"


@dataclass
class Fault:
    action: str | None
    status: int | None
    code: str | None
    delay_s: float
    drop: bool
    times: int
