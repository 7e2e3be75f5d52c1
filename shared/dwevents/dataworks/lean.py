"""The default transport: one signed RPC call over ``http.client``, no SDK.

Why: the official SDK costs ~0.6 s and ~60 MiB to import (aiohttp, requests, ~1,000 generated models)
for a handful of form-encoded POSTs; see docs/decisions/dataworks-transport.md for the measurements and
tests/test_dataworks_conformance.py for the evidence that both transports send the same request.

The request follows "Request syntax and signature method V3"
(https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature):
``POST /`` with the ``x-acs-action`` / ``x-acs-version`` / ``x-acs-date`` / ``x-acs-signature-nonce`` /
``x-acs-content-sha256`` headers, every header signed, ``Authorization: ACS3-HMAC-SHA256 Credential=…,
SignedHeaders=…,Signature=…``. Parameters go where the official SDK puts them
(:data:`dwevents.dataworks.wire.QUERY_ACTIONS`): the query string, or a form body with sorted keys.
One attempt per call (the caller owns retries and the deadline), one kept-alive connection per thread.
Answers are returned as the raw JSON (the SDK's response models drop fields they do not know).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import platform
import select
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

from dwevents.dataworks.settings import API_VERSION, CONNECT_TIMEOUT_CAP_S, DataWorksSettings
from dwevents.dataworks.wire import QUERY_ACTIONS, api_error, none_if_blank, transport_error
from dwevents.errors import CloudApiError

ALGORITHM = "ACS3-HMAC-SHA256"
_PLATFORM = f"{platform.system()}; {platform.machine()}"
_USER_AGENT = f"AlibabaCloud ({_PLATFORM}) Python/{platform.python_version()} dwevents-lean"


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
    secret: str,
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
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={';'.join(names)},Signature={signature}"


class LeanTransport:
    """Sends one signed RPC call; errors map exactly like the SDK path's (CloudApiError)."""

    def __init__(self, settings: DataWorksSettings) -> None:
        self.settings = settings
        self._local = threading.local()
        host, _, port = settings.endpoint.partition(":")
        self._host, self._port = host, int(port) if port else None

    def warm(self) -> None:
        """Nothing to import; the connection is opened by the first call."""

    def _connection(self, connect_s: float) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            cls = (
                http.client.HTTPSConnection
                if self.settings.protocol == "https"
                else http.client.HTTPConnection
            )
            conn = cls(self._host, self._port, timeout=connect_s)
            self._local.conn = conn
        elif conn.sock is not None and select.select([conn.sock], [], [], 0)[0]:
            conn.close()  # an idle kept-alive socket that is readable was closed by the server
        if conn.sock is None:
            conn.timeout = connect_s
            conn.connect()
        return conn

    def _discard(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

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
        values = {k: str(v) for k, v in params.items() if v is not None}
        in_query = action in QUERY_ACTIONS
        query = values if in_query else {}
        body = b"" if in_query else urlencode(dict(sorted(values.items()))).encode()
        payload_hash = hashlib.sha256(body).hexdigest()
        headers = {
            "host": s.endpoint,
            "x-acs-version": API_VERSION,
            "x-acs-action": action,
            "user-agent": _USER_AGENT,
            "x-acs-date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": uuid.uuid4().hex,
            "accept": "application/json",
            "x-acs-content-sha256": payload_hash,
        }
        if body:
            headers["content-type"] = "application/x-www-form-urlencoded"
        if s.security_token:
            headers["x-acs-accesskey-id"] = s.access_key_id
            headers["x-acs-security-token"] = s.security_token
        headers["Authorization"] = authorization(
            "POST", "/", query, headers, payload_hash, s.access_key_id, s.access_key_secret
        )
        # On the request line the SDK form-encodes the query (space → "+"); the signature uses the RFC 3986
        # canonical form above. tests/dataworks/test_conformance.py pins both against the SDK.
        path = "/" + ("?" + urlencode(dict(sorted(query.items()))) if query else "")
        return path, headers, body

    def call(self, action: str, params: Mapping[str, Any], *, timeout_s: float) -> dict[str, Any]:
        """One attempt; the JSON body of a 2xx answer, else :class:`CloudApiError`."""
        path, headers, body = self.request(action, params)
        total = max(0.002, timeout_s)
        connect_s = max(0.001, min(CONNECT_TIMEOUT_CAP_S, total / 3))
        try:
            conn = self._connection(connect_s)
            assert conn.sock is not None
            conn.sock.settimeout(max(0.001, total - connect_s))
            conn.request("POST", path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.will_close:
                self._discard()
        except TimeoutError as exc:  # socket.timeout is TimeoutError on 3.10+
            self._discard()
            raise transport_error(action, "Transport.Timeout", str(exc) or "timed out") from None
        except (OSError, http.client.HTTPException) as exc:
            self._discard()
            raise transport_error(action, "Transport.Connection", repr(exc)) from None
        status = response.status
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
