"""The receiver itself: an HTTP server on 127.0.0.1 in a background thread, faults on demand, and a log
of what each platform accepted or refused (see :mod:`.platforms` for the checks)."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .platforms import KINDS, SLACK_PREFIX, Answer, Request, text_answer, verify

logger = logging.getLogger(__name__)

_MAX_BODY = 1024 * 1024
#: How long ``close()`` waits for requests already being answered (a delay fault is released first).
_DRAIN_SECONDS = 5.0


@dataclass(frozen=True)
class ReceivedMessage:
    """A message the platform would have shown in the chat."""

    channel: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    payload: Any
    at: datetime


@dataclass(frozen=True)
class RejectedMessage:
    """A request the platform would have refused, and why (its own error text)."""

    channel: str
    reason: str
    status: int
    path: str
    headers: Mapping[str, str]
    body: bytes
    at: datetime


@dataclass
class _Fault:
    status: int | None
    body: Any
    delay: float
    times: int


class WebhookReceiver:
    """Serve the five webhook dialects on 127.0.0.1 in a background thread (a context manager).

    ``close()`` returns only after every request already being handled has been answered in full, so a
    caller that stops the receiver as soon as a message arrives (``on_message``, ``--exit-after``) never
    cuts off the answer to that very message.
    """

    def __init__(self, *, dingtalk_secret: str | None = None, feishu_secret: str | None = None,
                 webhook_secret: str | None = None, dingtalk_token: str = "local-dingtalk-token",
                 feishu_token: str = "local-feishu-token", wecom_key: str = "local-wecom-key",
                 slack_token: str = "local-slack-token", host: str = "127.0.0.1", port: int = 0,
                 clock: Callable[[], float] = time.time,
                 on_message: Callable[[ReceivedMessage | RejectedMessage], None] | None = None) -> None:
        self.dingtalk_secret = dingtalk_secret
        self.feishu_secret = feishu_secret
        self.webhook_secret = webhook_secret
        self.dingtalk_token = dingtalk_token
        self.feishu_token = feishu_token
        self.wecom_key = wecom_key
        self.slack_token = slack_token
        self.clock = clock
        self.on_message = on_message
        self.received: list[ReceivedMessage] = []
        self.rejected: list[RejectedMessage] = []
        #: Every request in arrival order as (channel, "accepted" | "rejected" | "injected").
        self.requests: list[tuple[str, str]] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._in_flight = 0  # requests read but not yet answered in full
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> WebhookReceiver:
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"receiver": self})
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, and tests open and close many receivers.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="webhook-receiver", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop accepting, let the requests in hand finish their answers, then release the port.

        Handler threads are daemons (a hung client must not keep the process alive), so without the
        drain a process that exits right after ``close()`` would kill a handler between recording a
        message and writing its answer: the client then reads a truncated response.
        """
        self._closing.set()  # releases handlers sleeping in an injected delay
        if self._server is not None:
            self._server.shutdown()
            with self._cond:
                self._cond.wait_for(lambda: self._in_flight == 0, timeout=_DRAIN_SECONDS)
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the receiver is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, kind: str) -> str:
        """The webhook URL (with its token) to configure a channel of ``kind`` with."""
        base = self.base_url
        if kind == "dingtalk":
            return f"{base}/dingtalk?access_token={urllib.parse.quote(self.dingtalk_token)}"
        if kind in ("feishu", "lark"):
            return f"{base}/feishu/hook/{urllib.parse.quote(self.feishu_token)}"
        if kind == "wecom":
            return f"{base}/wecom?key={urllib.parse.quote(self.wecom_key)}"
        if kind == "slack":
            return f"{base}/{'/'.join(SLACK_PREFIX)}/{urllib.parse.quote(self.slack_token)}"
        if kind == "webhook":
            return f"{base}/webhook"
        raise ValueError(f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")

    # -- test controls ---------------------------------------------------------------------------

    def inject(self, path: str, *, status: int | None = None, body: Any = None, delay: float = 0.0,
               times: int = 1) -> None:
        """Answer the next ``times`` requests on ``path`` (a kind or "/kind") with a fault.

        ``status`` and/or ``body`` replace the answer (a dict body is sent as JSON; status defaults to
        200 when only a body is given, body to a short error text); ``delay`` holds the answer back that
        many seconds (a hang, when longer than the client's timeout). With only ``delay`` the request is
        then verified and answered normally.
        """
        kind = path.strip("/").split("/")[0].split("?")[0]
        if kind not in KINDS:
            raise ValueError(f"unknown path {path!r} (one of: {', '.join('/' + k for k in KINDS)})")
        with self._cond:
            self._faults.setdefault(kind, []).append(_Fault(status, body, delay, times))

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until ``count`` messages were accepted (or ``timeout``); returns what arrived."""
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)

    def clear(self) -> None:
        with self._cond:
            self.received.clear()
            self.rejected.clear()
            self.requests.clear()
            self._faults.clear()

    # -- request handling ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _answering(self) -> Iterator[None]:
        """Count a request as in flight until its answer is written (``close()`` drains these)."""
        with self._cond:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def _take_fault(self, kind: str) -> _Fault | None:
        with self._cond:
            queue = self._faults.get(kind) or []
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def _record(self, req: Request, answer: Answer) -> None:
        now = datetime.now(timezone.utc)
        item: ReceivedMessage | RejectedMessage
        if answer.reject is None:
            item = ReceivedMessage(req.kind, req.path, dict(req.query), dict(req.headers), answer.payload,
                                   now)
        else:
            item = RejectedMessage(req.kind, answer.reject, answer.status, req.path, dict(req.headers),
                                   req.body, now)
        with self._cond:
            if isinstance(item, ReceivedMessage):
                self.received.append(item)
                self.requests.append((req.kind, "accepted"))
            else:
                self.rejected.append(item)
                self.requests.append((req.kind, "rejected"))
            self._cond.notify_all()
        if self.on_message is not None:
            self.on_message(item)

    def handle(self, req: Request) -> Answer:
        """The answer to one request: an injected fault, else what the platform would say."""
        fault = self._take_fault(req.kind)
        if fault is not None:
            if fault.delay > 0:
                self._closing.wait(fault.delay)
            if fault.status is not None or fault.body is not None:
                with self._cond:
                    self.requests.append((req.kind, "injected"))
                    self._cond.notify_all()
                status = 200 if fault.status is None else fault.status
                if isinstance(fault.body, (dict, list)):
                    return Answer(status, json.dumps(fault.body).encode("utf-8"))
                text = fault.body if fault.body is not None else f"injected fault {status}"
                raw = text if isinstance(text, bytes) else str(text).encode("utf-8")
                return Answer(status, raw, "text/plain; charset=utf-8")
        answer = verify(req, self)
        self._record(req, answer)
        return answer


class _Handler(BaseHTTPRequestHandler):
    receiver: WebhookReceiver
    server_version = "dwevents-webhook-receiver/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the stdlib access log would print URL tokens and signatures; _record keeps what matters

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        kind = urllib.parse.urlsplit(self.path).path.strip("/").split("/")[0]
        logger.debug("receiver: %s /%s → %s", self.command, kind, code)

    def _reply(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
        self.wfile.flush()

    def do_POST(self) -> None:
        with self.receiver._answering():
            self._post()

    def _post(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        segments = [urllib.parse.unquote(s) for s in parts.path.split("/") if s]
        kind = segments[0] if segments else ""
        length = int(self.headers.get("Content-Length") or 0)
        if kind not in KINDS:
            self._reply(text_answer(404, "not found"))
            return
        if length > _MAX_BODY:
            self._reply(text_answer(413, "request entity too large"))
            return
        body = self.rfile.read(length) if length else b""
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(kind, parts.path, segments, query, headers, body)
        # The client may have given up (its deadline passed) while an injected delay held the answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._reply(self.receiver.handle(req))

    def do_GET(self) -> None:
        self._reply(text_answer(405, "method not allowed"))
