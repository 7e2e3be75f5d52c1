"""The default transport: one signed RPC call over a kept-alive socket, no SDK.

Why: the official SDK costs ~0.6 s and ~60 MiB to import (aiohttp, requests, ~1,000 generated models)
for a handful of form-encoded POSTs; see docs/decisions/dataworks-transport.md for the measurements and
tests/dataworks/test_conformance.py for the evidence that both transports send the same request.

The request follows "Request syntax and signature method V3"
(https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature):
``POST /`` with the ``x-acs-action`` / ``x-acs-version`` / ``x-acs-date`` / ``x-acs-signature-nonce`` /
``x-acs-content-sha256`` headers, every header signed, ``Authorization: ACS3-HMAC-SHA256 Credential=…,
SignedHeaders=…,Signature=…``. Parameters go where the official SDK puts them
(:data:`dwevents.dataworks.wire.QUERY_ACTIONS`): the query string, or a form body with sorted keys.
Answers are returned as the raw JSON (the SDK's response models drop fields they do not know).

Why it is written the way it is (issue 12, the verdict's latency):

* **One kept-alive connection per thread**, opened by the first call (DNS, TCP, TLS), checked before
  reuse (a readable idle socket was closed by the server) and, when it turns out stale anyway (the
  server closed it between the check and the request: reset, broken pipe, closed without a single byte
  of answer), **reconnected and sent once more, at once**, inside the same call and deadline. A server
  closing an idle connection has not read the request; the retry can only duplicate a call when a server
  took the request and then died without answering, the very case the caller's own retries
  (:func:`dwevents.dataworks.reply.send_verdict`) already re-send, with the same MessageId, result and
  tip. The API pages say nothing about a second answer to one MessageId (no idempotency token, no
  "already answered" error code; "UpdateIDEEventResult - 更新扩展点事件的检查结果",
  https://help.aliyun.com/zh/dataworks/developer-reference/api-dataworks-public-2024-05-18-updateideeventresult).
  Each attempt is signed afresh (new nonce and date), so the gateway cannot refuse the second as a replay.
* **One write per request** (request line, headers and body together, ``TCP_NODELAY``): ``http.client``
  writes the headers and the body separately, which on a busy host costs a wake-up of the server per
  write. The answer is read by :func:`read_answer` (status line, headers, Content-Length, chunked or
  until close, interim 1xx skipped): ``http.client`` parses headers with the ``email`` package, the
  largest client-side cost of a call in the profile (more than signing).
* **The call's timeout is a deadline**, not a per-read timeout: the connect gets at most a third of it
  (capped by ``CONNECT_TIMEOUT_CAP_S``), the write and every read of the answer get the time left until
  it, so an answer that trickles in byte by byte cannot stretch a call past it. (Name resolution is the
  one step a socket timeout does not bound; it happens only when a connection is opened.)
* **Signing material is computed once per transport** (the key bytes, the fixed headers); per call
  only the action, the date, the nonce and the payload hash change.
* :meth:`LeanTransport.last_connect_s` says how long the calling thread's last call spent opening a
  connection: connection setup is the client's cost, not DataWorks' (bench/reply_latency.py counts it as
  the runtime's own overhead).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import io
import json
import os
import platform
import select
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from dwevents.dataworks.settings import API_VERSION, CONNECT_TIMEOUT_CAP_S, DataWorksSettings
from dwevents.dataworks.wire import QUERY_ACTIONS, api_error, none_if_blank, transport_error
from dwevents.errors import CloudApiError

ALGORITHM = "ACS3-HMAC-SHA256"
_PLATFORM = f"{platform.system()}; {platform.machine()}"
_USER_AGENT = f"AlibabaCloud ({_PLATFORM}) Python/{platform.python_version()} dwevents-lean"
#: What a kept-alive connection the server closed looks like (``http.client.RemoteDisconnected``, "closed
#: without response", is a ConnectionResetError).
_STALE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
#: Bounds of an answer's status and header lines (http.client's own limits).
_MAX_LINE = 65536
_MAX_HEADERS = 100


def canonical_query(query: Mapping[str, str]) -> str:
    """Keys sorted, values percent-encoded keeping only RFC 3986 unreserved characters (as the SDK)."""
    return "&".join(f"{quote(key, safe='~')}={quote(str(query[key]), safe='~')}" for key in sorted(query))


def authorization(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_hash: str,
    access_key_id: str,
    secret: str | bytes,
) -> str:
    """The ``Authorization`` header value; every header given is signed (lower-case, sorted)."""
    lowered = {k.lower(): str(v).strip() for k, v in headers.items()}
    names = sorted(lowered)
    canonical = "\n".join(
        [
            method,
            path,
            canonical_query(query),
            "".join(f"{n}:{lowered[n]}\n" for n in names),
            ";".join(names),
            payload_hash,
        ]
    )
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = secret if isinstance(secret, bytes) else secret.encode()
    signature = hmac.digest(key, to_sign.encode(), "sha256").hex()
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={';'.join(names)},Signature={signature}"


class _Answer(io.RawIOBase):
    """The answer side of one attempt: every read gets the time left until the deadline as its timeout.
    Closing it leaves the socket open: the connection is kept alive."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self.sock, self.deadline, self.received = sock, deadline, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.sock.settimeout(left)
        n = self.sock.recv_into(buffer)
        self.received += n
        return n


def _closed(sock: socket.socket) -> bool:
    """Whether an idle kept-alive socket has something to read: the server's close (or garbage)."""
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (ValueError, OSError):  # a descriptor select cannot watch (>= FD_SETSIZE): do not trust it
        return True


def _line(stream: io.BufferedReader) -> bytes:
    line = stream.readline(_MAX_LINE + 1)
    if len(line) > _MAX_LINE:
        raise http.client.LineTooLong("header line")
    return line


def _exactly(stream: io.BufferedReader, n: int) -> bytes:
    data = stream.read(n)
    if len(data) < n:
        raise http.client.IncompleteRead(data, n - len(data))
    return data


def _chunked(stream: io.BufferedReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_text = _line(stream).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise http.client.HTTPException(f"bad chunk size {size_text[:20]!r}") from None
        if size == 0:
            while _line(stream) not in (b"\r\n", b"\n", b""):  # trailers, up to the blank line
                pass
            return b"".join(parts)
        parts.append(_exactly(stream, size))
        _line(stream)  # the CRLF after the chunk


def read_answer(stream: io.BufferedReader) -> tuple[int, bytes, bool]:
    """One HTTP/1.x answer: (status, body, whether the server closes the connection after it)."""
    while True:
        line = _line(stream)
        if not line:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        version, _, rest = line.decode("iso-8859-1").partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise http.client.BadStatusLine(repr(line[:80]))
        status = int(code)
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS + 1):
            header = _line(stream)
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("iso-8859-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        else:
            raise http.client.HTTPException(f"more than {_MAX_HEADERS} headers")
        if not 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
            break
    connection = headers.get("connection", "").lower()
    close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
    if status in (204, 304):
        return status, b"", close
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return status, _chunked(stream), close
    length = headers.get("content-length")
    if length is None:
        return status, stream.read(), True  # the body ends when the server closes
    try:
        size = int(length)
    except ValueError:
        raise http.client.HTTPException(f"bad Content-Length {length[:20]!r}") from None
    return status, _exactly(stream, size), close


class LeanTransport:
    """Sends one signed RPC call; errors map exactly like the SDK path's (CloudApiError)."""

    #: A call never outlives its ``timeout_s`` (but for name resolution): see the module docstring.
    deadline_bounded = True

    def __init__(self, settings: DataWorksSettings) -> None:
        self.settings = settings
        self._local = threading.local()
        host, _, port = settings.endpoint.partition(":")
        self._host = host
        self._address = (host, int(port) if port else (443 if settings.protocol == "https" else 80))
        self._tls: ssl.SSLContext | None = None
        self._key = (settings.access_key_secret or "").encode()
        fixed = {"host": settings.endpoint, "x-acs-version": API_VERSION, "user-agent": _USER_AGENT}
        fixed["accept"] = "application/json"
        if settings.security_token:
            fixed["x-acs-accesskey-id"] = str(settings.access_key_id)
            fixed["x-acs-security-token"] = settings.security_token
        self._fixed = fixed
        #: Header values go on the wire as they are: one with a line break (a bad token or endpoint)
        #: would split the request, so such settings refuse every call instead.
        self._unsafe = any("\r" in v or "\n" in v for v in fixed.values())

    def warm(self) -> None:
        """Nothing to import; the connection is opened by the first call."""

    def last_connect_s(self) -> float:
        """Seconds the calling thread's last call spent opening connections (0.0 when it reused one)."""
        return float(getattr(self._local, "connect_s", 0.0))

    # -- the connection --------------------------------------------------------------------------------

    def _open(self, connect_s: float) -> socket.socket:
        sock = socket.create_connection(self._address, timeout=connect_s)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.settings.protocol == "https":
                if self._tls is None:
                    self._tls = ssl.create_default_context()
                    self._tls.set_alpn_protocols(["http/1.1"])
                sock = self._tls.wrap_socket(sock, server_hostname=self._host)
        except BaseException:
            sock.close()
            raise
        return sock

    def _socket(self, connect_s: float) -> tuple[socket.socket, bool]:
        """This thread's connection, and whether it was kept alive from an earlier call."""
        sock: socket.socket | None = getattr(self._local, "sock", None)
        if sock is not None and _closed(sock):
            self._discard()  # an idle kept-alive socket that is readable was closed by the server
            sock = None
        if sock is not None:
            return sock, True
        started = time.monotonic()
        try:
            sock = self._open(connect_s)
        finally:
            self._local.connect_s += time.monotonic() - started
        self._local.sock = sock
        return sock, False

    def _discard(self) -> None:
        sock = getattr(self._local, "sock", None)
        if sock is not None:
            sock.close()
            self._local.sock = None

    # -- the request -----------------------------------------------------------------------------------

    def request(self, action: str, params: Mapping[str, Any]) -> tuple[str, dict[str, str], bytes]:
        """The signed request for ``action``: (path with query, headers, body). Raises without credentials."""
        s = self.settings
        if not (s.access_key_id and s.access_key_secret):
            raise CloudApiError(
                f"{action} failed: InvalidCredentials: no access key configured",
                action=action,
                code="InvalidCredentials",
                transient=False,
            )
        if self._unsafe:
            raise CloudApiError(
                f"{action} failed: InvalidHeader: a line break in the endpoint or the security token",
                action=action,
                code="InvalidHeader",
                transient=False,
            )
        values = {k: str(v) for k, v in sorted(params.items()) if v is not None}
        in_query = action in QUERY_ACTIONS
        query = values if in_query else {}
        body = b"" if in_query else urlencode(values).encode()
        payload_hash = hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256
        headers = dict(self._fixed)
        headers["x-acs-action"] = action
        headers["x-acs-date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        headers["x-acs-signature-nonce"] = os.urandom(16).hex()
        headers["x-acs-content-sha256"] = payload_hash
        if body:
            headers["content-type"] = "application/x-www-form-urlencoded"
        headers["Authorization"] = authorization(
            "POST", "/", query, headers, payload_hash, s.access_key_id, self._key
        )
        # On the request line the SDK form-encodes the query (space → "+"); the signature uses the RFC 3986
        # canonical form above. tests/dataworks/test_conformance.py pins both against the SDK.
        path = "/" + ("?" + urlencode(query) if query else "")
        return path, headers, body

    def _message(self, action: str, params: Mapping[str, Any]) -> bytes:
        """The whole HTTP/1.1 request, ready for one write."""
        path, headers, body = self.request(action, params)
        lines = [f"POST {path} HTTP/1.1", "Accept-Encoding: identity", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def call(self, action: str, params: Mapping[str, Any], *, timeout_s: float) -> dict[str, Any]:
        """One call (one attempt, plus one resend on a connection found stale); the JSON body of a 2xx
        answer, else :class:`CloudApiError`."""
        deadline = time.monotonic() + max(0.002, timeout_s)
        connect_s = max(0.001, min(CONNECT_TIMEOUT_CAP_S, max(0.002, timeout_s) / 3))
        self._local.connect_s = 0.0
        resent = False
        while True:
            message = self._message(action, params)
            answer: _Answer | None = None
            reused = False
            try:
                sock, reused = self._socket(min(connect_s, max(0.001, deadline - time.monotonic())))
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                sock.sendall(message)
                answer = _Answer(sock, deadline)
                status, data, close = read_answer(io.BufferedReader(answer))
                if close:
                    self._discard()
                break
            except _STALE as exc:
                self._discard()
                nothing_back = answer is None or answer.received == 0
                if reused and nothing_back and not resent and deadline - time.monotonic() > 0.001:
                    resent = True  # the kept-alive connection was gone: once more, on a fresh one
                    continue
                raise transport_error(action, "Transport.Connection", repr(exc)) from None
            except TimeoutError as exc:  # socket.timeout is TimeoutError on 3.10+
                self._discard()
                raise transport_error(action, "Transport.Timeout", str(exc) or "timed out") from None
            except (OSError, http.client.HTTPException) as exc:
                self._discard()
                raise transport_error(action, "Transport.Connection", repr(exc)) from None
        return _decoded(action, status, data)


def _decoded(action: str, status: int, data: bytes) -> dict[str, Any]:
    """The JSON answer of a 2xx, else the error it carries."""
    try:
        answer = json.loads(data) if data else {}
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise transport_error(
            action, "Transport.InvalidResponse", f"HTTP {status} with a non-JSON body", status
        )
    if status >= 400:
        code = str(answer.get("Code") or answer.get("code") or "")
        request_id = none_if_blank(answer.get("RequestId") or answer.get("requestId"))
        raise api_error(action, status, code, str(answer.get("Message", "")), request_id)
    return answer
