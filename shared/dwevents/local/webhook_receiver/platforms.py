"""What each chat platform checks and how it answers: the five webhook dialects, one function each.

Verification is written from the platforms' documents, independently of
:mod:`dwevents.actions.notify`, so a signing bug there cannot be mirrored here:

* DingTalk custom robot — "自定义机器人安全设置" (customize-robot-security-settings),
  https://open.dingtalk.com/document/robots/customize-robot-security-settings
* Feishu/Lark custom bot — "自定义机器人使用指南",
  https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
* WeCom group bot — "群机器人配置说明", https://developer.work.weixin.qq.com/document/path/91770
* Slack incoming webhooks — changelog 2016-05-17 "errors for incoming webhooks",
  https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks

Every function takes the parsed request and the receiver's keys and returns the platform's own answer
(status, body) plus, when the platform would have refused the message, the reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

KINDS = ("dingtalk", "feishu", "wecom", "slack", "webhook")
SLACK_PREFIX = ("slack", "services", "T000LOCAL", "B000LOCAL")


class Keys(Protocol):
    """The tokens and secrets a receiver expects (``WebhookReceiver`` provides them)."""

    dingtalk_secret: str | None
    feishu_secret: str | None
    webhook_secret: str | None
    dingtalk_token: str
    feishu_token: str
    wecom_key: str
    slack_token: str
    clock: Callable[[], float]


@dataclass
class Request:
    """One POST as the platform sees it: path segments, decoded query, lower-cased headers, body."""

    kind: str
    path: str
    segments: list[str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    data: Any = field(default=None)
    json_ok: bool = False


@dataclass(frozen=True)
class Answer:
    """What the platform answers; ``reject`` is its reason when it refused the message."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    reject: str | None = None
    payload: Any = None


def json_answer(status: int, data: Mapping[str, Any], reject: str | None = None,
                payload: Any = None) -> Answer:
    raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Answer(status, raw, reject=reject, payload=payload)


def text_answer(status: int, text: str, reject: str | None = None, payload: Any = None) -> Answer:
    return Answer(status, text.encode("utf-8"), "text/html", reject, payload)


def _b64_hmac(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode("ascii")


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _nonempty(data: Mapping[str, Any], outer: str, inner: str) -> bool:
    section = data.get(outer)
    return isinstance(section, dict) and isinstance(section.get(inner), str) and bool(section[inner])


def verify(req: Request, keys: Keys) -> Answer:
    """Parse the body as JSON (the platforms all expect it) and answer as ``req.kind`` would."""
    try:
        req.data = json.loads(req.body.decode("utf-8"))
        req.json_ok = True
    except (UnicodeDecodeError, ValueError):
        req.data, req.json_ok = None, False
    return _VERIFY[req.kind](req, keys)


def verify_dingtalk(req: Request, keys: Keys) -> Answer:
    """Token, then 加签 (``timestamp`` ms within 1 h, ``sign`` URL-encoded), then the message shape.

    Query values are decoded like any form query, so an unencoded ``+`` in the sign fails, as it does on
    DingTalk. Every answer is HTTP 200 with ``errcode``/``errmsg``.
    """
    if req.query.get("access_token") != keys.dingtalk_token:
        return json_answer(200, {"errcode": 300005, "errmsg": "token is not exist"}, "token is not exist")
    if keys.dingtalk_secret:
        timestamp, sign = req.query.get("timestamp", ""), req.query.get("sign", "")
        if not timestamp.isdigit() or abs(keys.clock() * 1000 - int(timestamp)) > 3600 * 1000:
            return json_answer(200, {"errcode": 310000, "errmsg": "invalid timestamp"}, "invalid timestamp")
        expected = _b64_hmac(keys.dingtalk_secret.encode("utf-8"),
                             f"{timestamp}\n{keys.dingtalk_secret}".encode())
        if not sign or not _same(sign, expected):
            return json_answer(200, {"errcode": 310000, "errmsg": "sign not match"}, "sign not match")
    data = req.data
    if not req.json_ok or not isinstance(data, dict):
        return json_answer(200, {"errcode": 300001, "errmsg": "param error"}, "param error")
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
        return json_answer(200, {"errcode": 300001, "errmsg": "message msgtype not support"},
                           "message msgtype not support")
    if problem:
        reason = f"param error: {problem}"
        return json_answer(200, {"errcode": 300001, "errmsg": reason}, reason)
    return json_answer(200, {"errcode": 0, "errmsg": "ok"}, payload=data)


def verify_feishu(req: Request, keys: Keys) -> Answer:
    """Token in the path (19001), body ``timestamp`` (s, within 1 h) and ``sign`` (19021), shape (9499).

    ``sign = base64(HMAC-SHA256(key=timestamp + "\\n" + secret, msg=""))``. Success carries both
    ``code`` and the legacy ``StatusCode``.
    """
    if req.segments[1:] != ["hook", keys.feishu_token]:
        msg = "param invalid: incoming webhook access token invalid"
        return json_answer(200, {"code": 19001, "data": {}, "msg": msg}, "token invalid")
    bad = json_answer(200, {"code": 9499, "msg": "Bad Request", "data": {}}, "Bad Request")
    data = req.data
    if not req.json_ok or not isinstance(data, dict) or len(req.body) > 20 * 1024:
        return bad
    if keys.feishu_secret:
        timestamp, sign = str(data.get("timestamp", "")), data.get("sign")
        expected = _b64_hmac(f"{timestamp}\n{keys.feishu_secret}".encode(), b"")
        fresh = timestamp.isdigit() and abs(keys.clock() - int(timestamp)) <= 3600
        if not fresh or not isinstance(sign, str) or not _same(sign, expected):
            return json_answer(200, {"code": 19021, "data": {}, "msg": "sign match fail or timestamp is not "
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
    return json_answer(200, ok, payload=data)


def verify_wecom(req: Request, keys: Keys) -> Answer:
    """Key (93000), message type (40008), text over 2048 / markdown over 4096 bytes (40058)."""
    if req.query.get("key") != keys.wecom_key:
        return json_answer(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [local receiver]"},
                           "invalid webhook url")
    data = req.data
    if not req.json_ok or not isinstance(data, dict):
        return json_answer(200, {"errcode": 40058, "errmsg": "invalid Request Parameter"},
                           "invalid parameter")
    msgtype = data.get("msgtype")
    limits = {"text": 2048, "markdown": 4096, "markdown_v2": 4096}
    if msgtype not in limits and msgtype not in ("image", "news", "file", "template_card"):
        return json_answer(200, {"errcode": 40008, "errmsg": "invalid message type"}, "invalid message type")
    if msgtype in limits:
        content = data.get(msgtype, {}).get("content") if isinstance(data.get(msgtype), dict) else None
        if not isinstance(content, str) or not content:
            msg = f"{msgtype}.content is empty"
            return json_answer(200, {"errcode": 40058, "errmsg": msg}, "empty content")
        if len(content.encode("utf-8")) > limits[msgtype]:
            msg = f"{msgtype}.content exceed max length {limits[msgtype]}. invalid Request Parameter"
            return json_answer(200, {"errcode": 40058, "errmsg": msg}, "content too long")
    return json_answer(200, {"errcode": 0, "errmsg": "ok"}, payload=data)


def verify_slack(req: Request, keys: Keys) -> Answer:
    """403 ``invalid_token``, 400 ``invalid_payload`` / ``invalid_blocks`` / ``no_text``, else 200 ``ok``."""
    if tuple(req.segments[:4]) != SLACK_PREFIX or req.segments[4:] != [keys.slack_token]:
        return text_answer(403, "invalid_token", "invalid_token")
    data = req.data
    if not req.json_ok or not isinstance(data, dict):
        return text_answer(400, "invalid_payload", "invalid_payload")
    blocks = data.get("blocks")
    if blocks is not None and (not isinstance(blocks, list) or len(blocks) > 50
                               or not all(isinstance(b, dict) and b.get("type") for b in blocks)):
        return text_answer(400, "invalid_blocks", "invalid_blocks")
    if not data.get("text") and not blocks and not data.get("attachments"):
        return text_answer(400, "no_text", "no_text")
    return text_answer(200, "ok", payload=data)


def verify_webhook(req: Request, keys: Keys) -> Answer:
    """This project's generic webhook (see ``dwevents.actions.notify``): HMAC over timestamp and body.

    ``X-Dwevents-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))`` with
    ``X-Dwevents-Timestamp`` within 5 minutes, else 401; the body must carry title, severity, message_id.
    """
    if keys.webhook_secret:
        timestamp = req.headers.get("x-dwevents-timestamp", "")
        signature = req.headers.get("x-dwevents-signature", "")
        mac = hmac.new(keys.webhook_secret.encode("utf-8"), timestamp.encode("utf-8") + b"." + req.body,
                       hashlib.sha256)
        fresh = timestamp.isdigit() and abs(keys.clock() - int(timestamp)) <= 300
        if not fresh or not _same(signature, "sha256=" + mac.hexdigest()):
            return json_answer(401, {"error": "invalid signature"}, "invalid signature")
    data = req.data
    if not req.json_ok or not isinstance(data, dict):
        return json_answer(400, {"error": "body is not a JSON object"}, "invalid JSON")
    missing = [k for k in ("title", "severity", "message_id") if not data.get(k)]
    if missing:
        return json_answer(400, {"error": f"missing {', '.join(missing)}"}, f"missing {', '.join(missing)}")
    return json_answer(200, {"ok": True}, payload=data)


_VERIFY: dict[str, Callable[[Request, Keys], Answer]] = {
    "dingtalk": verify_dingtalk, "feishu": verify_feishu, "wecom": verify_wecom, "slack": verify_slack,
    "webhook": verify_webhook,
}
