"""``dwevents serve``: the local EventBridge emulator as an HTTP bus on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
import logging
import threading
from pathlib import Path
from typing import Any, TextIO

from dwevents.cli._common import EXIT_OK, configure_logging


def _as_dict(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "as_dict"):
        return dict(obj.as_dict())
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(obj)
    return dict(obj)


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from dwevents.local.emulator import LocalBus

    configure_logging(args.verbose)
    bus = LocalBus(Path(args.syaml))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            with lock:  # handlers run one at a time: each borrows the process environment
                reports = bus.invoke_bytes(body)
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

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
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
    p.add_argument("--port", type=int, default=8090, help="port on 127.0.0.1 (default 8090)")
    p.add_argument("--syaml", default="s.yaml", help="the s.yaml whose functions and rules to use")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log lines (repeat for debug)")
    p.set_defaults(func=cmd_serve)
