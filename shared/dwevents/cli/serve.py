"""``dwevents serve``: the local EventBridge emulator as an HTTP bus on 127.0.0.1.

``POST /`` a CloudEvent, a batch array or an FC-direct message (``Content-Length`` or chunked
``Transfer-Encoding``); the answer is ``{"events": [...]}`` with one report per event (the
``dwevents invoke --json`` objects), and one line per event is printed. Input that is not an event
document gets a 4xx with ``{"error": ...}``: 400 empty or not JSON (or not an object/array), 411 no length,
413 larger than FC's invocation payload limit, 404 another path. ``GET /verdicts`` lists what the
local DataWorks API stand-in received. See docs/local.md for a curl example.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import threading
from typing import Any, TextIO

from dwevents.cli._common import (
    EXIT_OK,
    add_loop_options,
    configure_logging,
    loop_overrides,
    require_syaml,
    short,
)
from dwevents.errors import DwEventsError

MAX_PORT = 65535


def _as_dict(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "as_dict"):
        return dict(obj.as_dict())
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(obj)
    return dict(obj)


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def read_body(headers: Any, stream: Any, limit: int) -> bytes:
    """The request body, from ``Content-Length`` or chunked transfer coding, at most ``limit`` bytes."""
    if "chunked" in (headers.get("transfer-encoding") or "").lower():
        chunks: list[bytes] = []
        size = 0
        while True:
            line = stream.readline(1026)
            try:
                length = int(line.split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                raise BadRequest(400, "malformed chunked body") from None
            if length == 0:
                while stream.readline(1026) not in (b"\r\n", b"\n", b""):  # trailer fields
                    pass
                return b"".join(chunks)
            size += length
            if size > limit:
                raise BadRequest(413, f"body larger than {limit} bytes")
            chunks.append(stream.read(length))
            stream.readline(3)  # the CRLF after each chunk
    raw = headers.get("content-length")
    if raw is None:
        raise BadRequest(411, "send Content-Length or Transfer-Encoding: chunked")
    try:
        length = int(raw)
    except ValueError:
        raise BadRequest(400, f"Content-Length {raw!r} is not a number") from None
    if length < 0:
        raise BadRequest(400, f"Content-Length {raw!r} is not a number")
    if length > limit:
        raise BadRequest(413, f"body larger than {limit} bytes")
    return bytes(stream.read(length))


def check_document(body: bytes) -> None:
    """400 for what no delivery can be: empty, not JSON, not an object or array."""
    from dwevents.envelope import parse_json
    from dwevents.errors import DecodeError

    if not body.strip():
        raise BadRequest(400, "empty body: POST a CloudEvent, a batch array or an FC-direct message")
    try:
        document = parse_json(body)
    except DecodeError as exc:
        raise BadRequest(400, str(exc)) from None
    if not isinstance(document, (dict, list)):
        raise BadRequest(400, "expected a JSON object (an event) or an array (a batch)")


def event_line(report: Any) -> str:
    """One line per event for the terminal running ``serve``."""
    fns = ", ".join(report.functions) or "(no function)"
    text = f"{report.type or '?'} {report.message_id or '-'} → {fns}: {report.outcome.value.upper()}"
    if report.verdict is not None:
        v = report.verdict
        ack = "" if v.acknowledged else " (NOT acknowledged)"
        text += f"; verdict {v.result.value}{' by ' + v.rule if v.rule else ''}{ack}"
    if report.error:
        text += f"; {short(report.error, 160)}"
    return text


def parse_port(text: str | int) -> int:
    """``--port``: 0 (any free port) to 65535, or a one-line error."""
    try:
        port = int(text)
    except ValueError:
        raise DwEventsError(f"--port {text}: not a number") from None
    if not 0 <= port <= MAX_PORT:
        raise DwEventsError(f"--port {port}: out of range (0-{MAX_PORT}; 0 picks a free port)")
    return port


def _bind(port: int, handler: Any) -> Any:
    from http.server import ThreadingHTTPServer

    try:
        return ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise DwEventsError(
                f"--port {port}: 127.0.0.1:{port} is already in use (pick another port, or 0 for a free one)"
            ) from None
        if exc.errno == errno.EACCES:
            raise DwEventsError(
                f"--port {port}: permission denied (ports below 1024 need privileges)"
            ) from None
        raise DwEventsError(f"--port {port}: cannot listen on 127.0.0.1 ({exc.strerror})") from None


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    from http.server import BaseHTTPRequestHandler

    from dwevents.envelope.limits import MAX_INPUT_BYTES
    from dwevents.local.emulator import LocalBus

    configure_logging(args.verbose)
    port = parse_port(args.port)  # before building anything
    syaml = require_syaml(args.syaml)
    fixtures, now = loop_overrides(args)
    lock = threading.Lock()
    printing = threading.Lock()
    bus: Any = None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            try:
                if self.path.split("?", 1)[0] != "/":
                    raise BadRequest(404, "POST events to /")
                body = read_body(self.headers, self.rfile, MAX_INPUT_BYTES)
                check_document(body)
            except BadRequest as exc:
                self.close_connection = True
                self._reply(exc.status, {"error": str(exc)})
                return
            with lock:  # handlers run one at a time: each borrows the process environment
                reports = bus.invoke_bytes(body)
            with printing:
                for report in reports:
                    out.write(event_line(report) + "\n")
                out.flush()
            self._reply(200, {"events": [r.as_dict() for r in reports]})

        def do_GET(self) -> None:
            if self.path == "/verdicts" and bus.dataworks is not None:
                self._reply(200, {"verdicts": [_as_dict(v) for v in bus.dataworks.verdicts]})
            else:
                self._reply(404, {"error": "POST a CloudEvent or an array of them to /; GET /verdicts"})

        def _reply(self, status: int, doc: dict[str, Any]) -> None:
            data = json.dumps(doc, ensure_ascii=False, default=str).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *a: Any) -> None:
            logging.getLogger("dwevents.serve").info(format, *a)

    server = _bind(port, Handler)
    try:
        bus = LocalBus(syaml, fixtures=fixtures, now=now)
    except BaseException:
        server.server_close()
        raise
    out.write(
        f"dwevents local bus on http://127.0.0.1:{server.server_address[1]}/ "
        f"({len(bus.functions)} functions from {args.syaml}); Ctrl-C to stop\n"
    )
    out.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        bus.close()
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="a local HTTP event bus on 127.0.0.1")
    p.add_argument("--port", default="8090", help="port on 127.0.0.1 (default 8090; 0: any free port)")
    p.add_argument("--syaml", default="s.yaml", help="the s.yaml whose functions and rules to use")
    add_loop_options(p)
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log lines (repeat for debug)")
    p.set_defaults(func=cmd_serve)
