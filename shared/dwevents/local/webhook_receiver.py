"""A local stand-in for the chat platforms' webhooks, strict enough that tests mean something.

Each path checks what the real platform checks and answers in that platform's own format, so a
channel that signs wrongly, sends the wrong shape, or trusts HTTP 200 fails here the way it would fail
in production. Verification is written from the platforms' documents, independently of
:mod:`dwevents.actions.notify`, so a signing bug there cannot be mirrored here:

* ``/dingtalk?access_token=T`` — custom robot. Wrong token → ``{"errcode":300005,"errmsg":"token is
  not exist"}``; with a secret, ``timestamp`` (ms, within 1 h) and ``sign`` query parameters where
  ``sign = base64(HMAC-SHA256(secret, timestamp + "\\n" + secret))`` URL-encoded; failures →
  ``{"errcode":310000,"errmsg":"sign not match" | "invalid timestamp"}``; all with HTTP 200.
  Query values are decoded like any form query, so an unencoded ``+`` in the sign fails, as it does on
  DingTalk.
* ``/feishu/hook/T`` — Feishu/Lark custom bot. Wrong token → code 19001; with a secret, body
  ``timestamp`` (s, within 1 h) and ``sign = base64(HMAC-SHA256(key=timestamp + "\\n" + secret,
  msg=""))``, else code 19021; malformed body → code 9499 "Bad Request". Success carries both ``code``
  and the legacy ``StatusCode``.
* ``/wecom?key=K`` — WeCom group bot. Wrong key → errcode 93000; text over 2048 bytes or markdown over
  4096 bytes → errcode 40058.
* ``/slack/services/T000LOCAL/B000LOCAL/T`` — Slack incoming webhook. Wrong token → 403
  ``invalid_token``; bad JSON → 400 ``invalid_payload``; neither text nor blocks → 400 ``no_text``;
  success → 200 ``ok``.
* ``/webhook`` — generic webhook: ``X-Dwevents-Signature: sha256=hex(HMAC-SHA256(secret, timestamp +
  "." + body))`` with ``X-Dwevents-Timestamp`` within 5 minutes, else 401.

Sources: DingTalk open.dingtalk.com "自定义机器人安全设置" (customize-robot-security-settings), Feishu
open.feishu.cn "自定义机器人使用指南" (bot-v3/add-custom-bot), WeCom developer.work.weixin.qq.com
document 91770, Slack api.slack.com changelog 2016-05-17 "errors for incoming webhooks".

Run ``python -m dwevents.local.webhook_receiver`` to point a real configuration at it and watch what
arrives.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

KINDS = ("dingtalk", "feishu", "wecom", "slack", "webhook")
_MAX_BODY = 1024 * 1024
_SLACK_PREFIX = ("slack", "services", "T000LOCAL", "B000LOCAL")


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


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    reject: str | None = None  # reason, when the platform refused the message
    payload: Any = None


def _json(status: int, data: Mapping[str, Any], reject: str | None = None, payload: Any = None) -> _Answer:
    raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return _Answer(status, raw, reject=reject, payload=payload)


def _text(status: int, text: str, reject: str | None = None, payload: Any = None) -> _Answer:
    return _Answer(status, text.encode("utf-8"), "text/html", reject, payload)


def _b64_hmac(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode("ascii")


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass
class _Request:
    kind: str
    path: str
    segments: list[str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    data: Any = field(default=None)
    json_ok: bool = False


class WebhookReceiver:
    """Serve the five webhook dialects on 127.0.0.1 in a background thread (a context manager)."""

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
        self._closing.set()  # releases handlers sleeping in an injected delay
        if self._server is not None:
            self._server.shutdown()
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
            return f"{base}/{'/'.join(_SLACK_PREFIX)}/{urllib.parse.quote(self.slack_token)}"
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

    def _record(self, req: _Request, answer: _Answer) -> None:
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

    def handle(self, req: _Request) -> _Answer:
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
                    return _Answer(status, json.dumps(fault.body).encode("utf-8"))
                text = fault.body if fault.body is not None else f"injected fault {status}"
                raw = text if isinstance(text, bytes) else str(text).encode("utf-8")
                return _Answer(status, raw, "text/plain; charset=utf-8")
        try:
            req.data = json.loads(req.body.decode("utf-8"))
            req.json_ok = True
        except (UnicodeDecodeError, ValueError):
            req.data, req.json_ok = None, False
        verify = getattr(self, f"_verify_{req.kind}")
        answer: _Answer = verify(req)
        self._record(req, answer)
        return answer

    # DingTalk ---------------------------------------------------------------------------------------

    def _verify_dingtalk(self, req: _Request) -> _Answer:
        if req.query.get("access_token") != self.dingtalk_token:
            return _json(200, {"errcode": 300005, "errmsg": "token is not exist"}, "token is not exist")
        if self.dingtalk_secret:
            timestamp, sign = req.query.get("timestamp", ""), req.query.get("sign", "")
            if not timestamp.isdigit() or abs(self.clock() * 1000 - int(timestamp)) > 3600 * 1000:
                return _json(200, {"errcode": 310000, "errmsg": "invalid timestamp"}, "invalid timestamp")
            expected = _b64_hmac(self.dingtalk_secret.encode("utf-8"),
                                 f"{timestamp}\n{self.dingtalk_secret}".encode())
            if not sign or not _same(sign, expected):
                return _json(200, {"errcode": 310000, "errmsg": "sign not match"}, "sign not match")
        data = req.data
        if not req.json_ok or not isinstance(data, dict):
            return _json(200, {"errcode": 300001, "errmsg": "param error"}, "param error")
        msgtype = data.get("msgtype")
        problem = None
        if msgtype == "text":
            problem = None if _nonempty(data, "text", "content") else "text.content"
        elif msgtype == "markdown":
            ok = _nonempty(data, "markdown", "title") and _nonempty(data, "markdown", "text")
            problem = None if ok else "markdown.title/markdown.text"
        elif msgtype in ("link", "actionCard", "feedCard"):
            problem = None if isinstance(data.get(msgtype), dict) else msgtype
        else:
            return _json(200, {"errcode": 300001, "errmsg": "message msgtype not support"},
                         "message msgtype not support")
        if problem:
            reason = f"param error: {problem}"
            return _json(200, {"errcode": 300001, "errmsg": reason}, reason)
        return _json(200, {"errcode": 0, "errmsg": "ok"}, payload=data)

    # Feishu -----------------------------------------------------------------------------------------

    def _verify_feishu(self, req: _Request) -> _Answer:
        if req.segments[1:] != ["hook", self.feishu_token]:
            msg = "param invalid: incoming webhook access token invalid"
            return _json(200, {"code": 19001, "data": {}, "msg": msg}, "token invalid")
        bad = _json(200, {"code": 9499, "msg": "Bad Request", "data": {}}, "Bad Request")
        data = req.data
        if not req.json_ok or not isinstance(data, dict) or len(req.body) > 20 * 1024:
            return bad
        if self.feishu_secret:
            timestamp, sign = str(data.get("timestamp", "")), data.get("sign")
            expected = _b64_hmac(f"{timestamp}\n{self.feishu_secret}".encode(), b"")
            fresh = timestamp.isdigit() and abs(self.clock() - int(timestamp)) <= 3600
            if not fresh or not isinstance(sign, str) or not _same(sign, expected):
                return _json(200, {"code": 19021, "data": {}, "msg": "sign match fail or timestamp is not "
                                   "within one hour from current time"}, "sign match fail")
        msg_type = data.get("msg_type")
        content = data.get("content")
        if msg_type == "text":
            valid = _nonempty(data, "content", "text")
        elif msg_type == "post":
            valid = isinstance(content, dict) and isinstance(content.get("post"), dict)
        elif msg_type == "interactive":
            card = data.get("card")
            valid = isinstance(card, dict) and isinstance(card.get("elements", []), list) and bool(card)
        elif msg_type in ("image", "share_chat"):
            valid = isinstance(content, dict)
        else:
            valid = False
        if not valid:
            return bad
        ok = {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}
        return _json(200, ok, payload=data)

    # WeCom ------------------------------------------------------------------------------------------

    def _verify_wecom(self, req: _Request) -> _Answer:
        if req.query.get("key") != self.wecom_key:
            return _json(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [local receiver]"},
                         "invalid webhook url")
        data = req.data
        if not req.json_ok or not isinstance(data, dict):
            return _json(200, {"errcode": 40058, "errmsg": "invalid Request Parameter"}, "invalid parameter")
        msgtype = data.get("msgtype")
        limits = {"text": 2048, "markdown": 4096, "markdown_v2": 4096}
        if msgtype not in limits and msgtype not in ("image", "news", "file", "template_card"):
            return _json(200, {"errcode": 40008, "errmsg": "invalid message type"}, "invalid message type")
        if msgtype in limits:
            content = data.get(msgtype, {}).get("content") if isinstance(data.get(msgtype), dict) else None
            if not isinstance(content, str) or not content:
                msg = f"{msgtype}.content is empty"
                return _json(200, {"errcode": 40058, "errmsg": msg}, "empty content")
            if len(content.encode("utf-8")) > limits[msgtype]:
                msg = f"{msgtype}.content exceed max length {limits[msgtype]}. invalid Request Parameter"
                return _json(200, {"errcode": 40058, "errmsg": msg}, "content too long")
        return _json(200, {"errcode": 0, "errmsg": "ok"}, payload=data)

    # Slack ------------------------------------------------------------------------------------------

    def _verify_slack(self, req: _Request) -> _Answer:
        if tuple(req.segments[:4]) != _SLACK_PREFIX or req.segments[4:] != [self.slack_token]:
            return _text(403, "invalid_token", "invalid_token")
        data = req.data
        if not req.json_ok or not isinstance(data, dict):
            return _text(400, "invalid_payload", "invalid_payload")
        blocks = data.get("blocks")
        if blocks is not None and (not isinstance(blocks, list) or len(blocks) > 50
                                   or not all(isinstance(b, dict) and b.get("type") for b in blocks)):
            return _text(400, "invalid_blocks", "invalid_blocks")
        if not data.get("text") and not blocks and not data.get("attachments"):
            return _text(400, "no_text", "no_text")
        return _text(200, "ok", payload=data)

    # Generic webhook --------------------------------------------------------------------------------

    def _verify_webhook(self, req: _Request) -> _Answer:
        if self.webhook_secret:
            timestamp = req.headers.get("x-dwevents-timestamp", "")
            signature = req.headers.get("x-dwevents-signature", "")
            mac = hmac.new(self.webhook_secret.encode("utf-8"), timestamp.encode("utf-8") + b"." + req.body,
                           hashlib.sha256)
            fresh = timestamp.isdigit() and abs(self.clock() - int(timestamp)) <= 300
            if not fresh or not _same(signature, "sha256=" + mac.hexdigest()):
                return _json(401, {"error": "invalid signature"}, "invalid signature")
        data = req.data
        if not req.json_ok or not isinstance(data, dict):
            return _json(400, {"error": "body is not a JSON object"}, "invalid JSON")
        missing = [k for k in ("title", "severity", "message_id") if not data.get(k)]
        if missing:
            return _json(400, {"error": f"missing {', '.join(missing)}"}, f"missing {', '.join(missing)}")
        return _json(200, {"ok": True}, payload=data)


def _nonempty(data: Mapping[str, Any], outer: str, inner: str) -> bool:
    section = data.get(outer)
    return isinstance(section, dict) and isinstance(section.get(inner), str) and bool(section[inner])


class _Handler(BaseHTTPRequestHandler):
    receiver: WebhookReceiver
    server_version = "dwevents-webhook-receiver/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the stdlib access log would print URL tokens and signatures; _record keeps what matters

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        kind = urllib.parse.urlsplit(self.path).path.strip("/").split("/")[0]
        logger.debug("receiver: %s /%s → %s", self.command, kind, code)

    def _reply(self, answer: _Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def do_POST(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        segments = [urllib.parse.unquote(s) for s in parts.path.split("/") if s]
        kind = segments[0] if segments else ""
        length = int(self.headers.get("Content-Length") or 0)
        if kind not in KINDS:
            self._reply(_text(404, "not found"))
            return
        if length > _MAX_BODY:
            self._reply(_text(413, "request entity too large"))
            return
        body = self.rfile.read(length) if length else b""
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = _Request(kind, parts.path, segments, query, headers, body)
        # The client may have given up (its deadline passed) while an injected delay held the answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._reply(self.receiver.handle(req))

    def do_GET(self) -> None:
        self._reply(_text(405, "method not allowed"))


# ------------------------------------------------------------------------------------------------
# python -m dwevents.local.webhook_receiver
# ------------------------------------------------------------------------------------------------


def _print_message(item: ReceivedMessage | RejectedMessage) -> None:
    stamp = item.at.astimezone().strftime("%H:%M:%S")
    if isinstance(item, ReceivedMessage):
        print(f"{stamp} ACCEPTED {item.channel}:", flush=True)
        print(json.dumps(item.payload, ensure_ascii=False, indent=2), flush=True)
    else:
        print(f"{stamp} REJECTED {item.channel}: HTTP {item.status} {item.reason}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dwevents.local.webhook_receiver",
                                     description="Serve local DingTalk/Feishu/WeCom/Slack/webhook endpoints "
                                                 "that verify signatures, and print what arrives.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (default 8765)")
    parser.add_argument("--dingtalk-secret", help="expect DingTalk 加签 with this SEC... secret")
    parser.add_argument("--feishu-secret", help="expect Feishu signature verification with this secret")
    parser.add_argument("--webhook-secret", help="expect X-Dwevents-Signature with this secret")
    parser.add_argument("--exit-after", type=int, default=0, metavar="N",
                        help="stop after N accepted messages (0: run until Ctrl-C)")
    args = parser.parse_args(argv)
    done = threading.Event()
    receiver = WebhookReceiver(dingtalk_secret=args.dingtalk_secret, feishu_secret=args.feishu_secret,
                               webhook_secret=args.webhook_secret, host=args.host, port=args.port)

    def on_message(item: ReceivedMessage | RejectedMessage) -> None:
        _print_message(item)
        if args.exit_after and len(receiver.received) >= args.exit_after:
            done.set()

    receiver.on_message = on_message
    with receiver:
        print(f"listening on {receiver.base_url}", flush=True)
        for kind in KINDS:
            signed = {"dingtalk": args.dingtalk_secret, "feishu": args.feishu_secret,
                      "webhook": args.webhook_secret}.get(kind)
            print(f"  {kind:<9} {receiver.url(kind)}{'  (signed)' if signed else ''}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
