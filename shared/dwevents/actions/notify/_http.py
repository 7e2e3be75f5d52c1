"""The one POST of :mod:`dwevents.actions.notify.transport`, on :mod:`urllib`: a hard deadline, no
redirects, a bounded read.

Apart from the transport module because ``http.client``, ``ssl``, ``urllib.request`` and ``email`` cost a
Function Compute cold start tens of milliseconds, and a function needs them only when a notification is
actually sent: :func:`dwevents.actions.notify.transport.post` imports this module on the first send.
"""

from __future__ import annotations

import http.client
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any


def _remaining(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


class _Deadline:
    """After connecting, a socket gets only the rest of the send's budget as its timeout."""

    deadline: float = float("inf")
    sock: Any

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock.settimeout(_remaining(self.deadline))


class _DeadlineHTTPConnection(_Deadline, http.client.HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_Deadline, http.client.HTTPSConnection):
    pass


def _connections(kind: type[_Deadline], deadline: float) -> Any:
    """The connection factory ``do_open`` wants: ``kind`` connections bound to ``deadline``."""

    def factory(host: str, **kwargs: Any) -> Any:
        conn = kind(host, **kwargs)  # type: ignore[call-arg]
        conn.deadline = deadline
        return conn

    return factory


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connections(_DeadlineHTTPConnection, self._deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: float, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._deadline = deadline
        self._ctx = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_connections(_DeadlineHTTPSConnection, self._deadline), req, context=self._ctx)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would become a GET (and carry a signed URL elsewhere): report it instead."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> None:
        return None


_SSL_CONTEXT: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:  # created lazily: loading the CA store costs a few ms of cold start
        _SSL_CONTEXT = ssl.create_default_context()
    return _SSL_CONTEXT


def post(
    url: str, body: bytes, headers: Mapping[str, str], *, timeout: float, deadline: float, max_bytes: int
) -> tuple[int, bytes, dict[str, str]]:
    """POST once: (status, at most ``max_bytes`` of the body, headers). HTTP error statuses are returned;
    transport failures raise OSError/HTTPException."""
    opener = urllib.request.build_opener(_DeadlineHTTPHandler(deadline),
                                         _DeadlineHTTPSHandler(deadline, _ssl_context()), _NoRedirect())
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))
    try:
        with opener.open(request, timeout=timeout) as resp:
            return resp.status, resp.read(max_bytes), dict(resp.headers.items())
    except urllib.error.HTTPError as exc:
        try:
            data = exc.read(max_bytes)
        except (OSError, http.client.HTTPException):
            data = b""
        finally:
            exc.close()
        return exc.code, data, dict(exc.headers.items()) if exc.headers else {}
