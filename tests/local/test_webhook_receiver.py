"""The local webhook receiver, driven by hand-built requests: each request is signed here straight from
the platform documents (not through dwevents.actions.notify), so the receiver is checked on its own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from dwevents.local.webhook_receiver import KINDS, ReceivedMessage, RejectedMessage, WebhookReceiver

DING_SECRET = "SECreceiver-dingtalk"
FEISHU_SECRET = "receiver-feishu"
HOOK_SECRET = "receiver-webhook"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(dingtalk_secret=DING_SECRET, feishu_secret=FEISHU_SECRET,
                         webhook_secret=HOOK_SECRET) as r:
        yield r


def post(url: str, body: Any, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=raw, method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def answer(url: str, body: Any) -> Any:
    return json.loads(post(url, body)[1])


def ding_url(r: WebhookReceiver, *, ts_ms: int | None = None, secret: str = DING_SECRET,
             encode: bool = True) -> str:
    """DingTalk 加签 by the document: base64(HmacSHA256(secret, ts + "\\n" + secret)), then urlEncode."""
    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    sign = base64.b64encode(digest).decode()
    return f"{r.url('dingtalk')}&timestamp={ts}&sign={urllib.parse.quote_plus(sign) if encode else sign}"


def feishu_body(msg: dict[str, Any], *, ts: int | None = None, secret: str = FEISHU_SECRET) -> dict[str, Any]:
    """Feishu by the document: base64(HmacSHA256(key = ts + "\\n" + secret, data = empty))."""
    stamp = str(ts if ts is not None else int(time.time()))
    sign = base64.b64encode(hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    return {"timestamp": stamp, "sign": sign, **msg}


def hook_headers(body: bytes, *, ts: int | None = None, secret: str = HOOK_SECRET) -> dict[str, str]:
    stamp = str(ts if ts is not None else int(time.time()))
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Dwevents-Timestamp": stamp, "X-Dwevents-Signature": f"sha256={mac}"}


DING_MD = {"msgtype": "markdown", "markdown": {"title": "t", "text": "### hello"}}
FEISHU_TEXT = {"msg_type": "text", "content": {"text": "hello"}}
HOOK_MSG = {"title": "t", "severity": "info", "message_id": "m-1", "text": "hello"}


# --------------------------------------------------------------------------------------------
# DingTalk
# --------------------------------------------------------------------------------------------


def test_dingtalk_accepts_a_correctly_signed_message(receiver: WebhookReceiver) -> None:
    status, body = post(ding_url(receiver), DING_MD)
    assert (status, json.loads(body)) == (200, {"errcode": 0, "errmsg": "ok"})
    assert [m.payload for m in receiver.received] == [DING_MD]


@pytest.mark.parametrize(("make_url", "errmsg"), [
    (lambda r: ding_url(r, secret="SECwrong"), "sign not match"),
    (lambda r: r.url("dingtalk"), "invalid timestamp"),  # signing enabled, nothing sent
    (lambda r: ding_url(r, ts_ms=int((time.time() - 7200) * 1000)), "invalid timestamp"),
    (lambda r: f"{r.url('dingtalk')}&timestamp={int(time.time() * 1000)}", "sign not match"),
])
def test_dingtalk_rejects_bad_signatures_in_its_own_format(receiver: WebhookReceiver, make_url: Any,
                                                           errmsg: str) -> None:
    # WHEN the signature is wrong, missing or stale THEN HTTP 200 with errcode 310000, as DingTalk does
    status, body = post(make_url(receiver), DING_MD)
    assert (status, json.loads(body)) == (200, {"errcode": 310000, "errmsg": errmsg})
    assert receiver.received == [] and receiver.rejected[0].reason == errmsg


def test_dingtalk_sign_must_be_url_encoded(receiver: WebhookReceiver) -> None:
    # GIVEN a fresh timestamp whose signature contains '+', sent without URL-encoding
    ts = int(time.time() * 1000)
    while "+" not in base64.b64encode(hmac.new(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode(),
                                                hashlib.sha256).digest()).decode():
        ts += 1
    # THEN the '+' arrives as a space and the sign does not match — the bug real DingTalk punishes
    assert answer(ding_url(receiver, ts_ms=ts, encode=False), DING_MD)["errmsg"] == "sign not match"
    assert answer(ding_url(receiver, ts_ms=ts), DING_MD)["errcode"] == 0


def test_dingtalk_wrong_token_and_bad_payloads(receiver: WebhookReceiver) -> None:
    wrong = ding_url(receiver).replace("local-dingtalk-token", "nope")
    assert answer(wrong, DING_MD) == {"errcode": 300005, "errmsg": "token is not exist"}
    assert answer(ding_url(receiver), {"msgtype": "video"})["errmsg"] == "message msgtype not support"
    assert answer(ding_url(receiver), {"msgtype": "markdown", "markdown": {"text": "x"}})["errcode"] == 300001
    assert answer(ding_url(receiver), b"not json")["errcode"] == 300001


# --------------------------------------------------------------------------------------------
# Feishu
# --------------------------------------------------------------------------------------------


def test_feishu_accepts_a_signed_message_and_answers_both_status_fields(receiver: WebhookReceiver) -> None:
    status, body = post(receiver.url("feishu"), feishu_body(FEISHU_TEXT))
    answer = json.loads(body)
    assert status == 200 and answer["code"] == 0 and answer["StatusCode"] == 0
    assert receiver.received[0].payload["content"] == {"text": "hello"}


@pytest.mark.parametrize("body", [
    feishu_body(FEISHU_TEXT, secret="wrong"),
    feishu_body(FEISHU_TEXT, ts=int(time.time()) - 7200),
    FEISHU_TEXT,
])
def test_feishu_rejects_bad_signatures_with_19021(receiver: WebhookReceiver, body: dict[str, Any]) -> None:
    status, raw = post(receiver.url("feishu"), body)
    assert status == 200 and json.loads(raw)["code"] == 19021
    assert receiver.rejected[0].reason == "sign match fail"


def test_feishu_wrong_token_and_bad_request(receiver: WebhookReceiver) -> None:
    wrong = receiver.url("feishu").replace("local-feishu-token", "nope")
    assert json.loads(post(wrong, feishu_body(FEISHU_TEXT))[1])["code"] == 19001
    bad = feishu_body({"msg_type": "interactive"})  # a card message without a card
    assert answer(receiver.url("feishu"), bad) == {"code": 9499, "msg": "Bad Request", "data": {}}


# --------------------------------------------------------------------------------------------
# WeCom, Slack, generic webhook
# --------------------------------------------------------------------------------------------


def test_wecom_checks_key_type_and_length(receiver: WebhookReceiver) -> None:
    url = receiver.url("wecom")
    assert json.loads(post(url, {"msgtype": "markdown", "markdown": {"content": "ok"}})[1])["errcode"] == 0
    assert json.loads(post(url.replace("local-wecom-key", "x"), {"msgtype": "text"})[1])["errcode"] == 93000
    assert json.loads(post(url, {"msgtype": "voice"})[1])["errcode"] == 40008
    too_long = {"msgtype": "markdown", "markdown": {"content": "字" * 1366}}  # 4098 bytes
    answer = json.loads(post(url, too_long)[1])
    assert answer["errcode"] == 40058 and "exceed max length 4096" in answer["errmsg"]
    assert len(receiver.received) == 1


def test_slack_answers_like_slack(receiver: WebhookReceiver) -> None:
    url = receiver.url("slack")
    assert post(url, {"text": "hi"}) == (200, b"ok")
    assert post(url.replace("local-slack-token", "x"), {"text": "hi"}) == (403, b"invalid_token")
    assert post(url, b"{not json") == (400, b"invalid_payload")
    assert post(url, {"username": "x"}) == (400, b"no_text")
    assert post(url, {"blocks": [{"text": "no type"}]}) == (400, b"invalid_blocks")


def test_webhook_verifies_the_hmac_over_timestamp_and_body(receiver: WebhookReceiver) -> None:
    body = json.dumps(HOOK_MSG).encode()
    assert post(receiver.url("webhook"), body, hook_headers(body))[0] == 200
    tampered = body.replace(b"hello", b"HELLO")
    assert post(receiver.url("webhook"), tampered, hook_headers(body)) == (401,
                                                                          b'{"error": "invalid signature"}')
    assert post(receiver.url("webhook"), body, hook_headers(body, ts=int(time.time()) - 600))[0] == 401
    assert post(receiver.url("webhook"), body)[0] == 401
    assert post(receiver.url("webhook"), b"{}", hook_headers(b"{}"))[0] == 400
    assert [m.payload for m in receiver.received] == [HOOK_MSG]


def test_unsigned_channels_are_accepted_when_no_secret_is_expected() -> None:
    with WebhookReceiver() as r:
        assert json.loads(post(r.url("dingtalk"), DING_MD)[1])["errcode"] == 0
        assert json.loads(post(r.url("feishu"), FEISHU_TEXT)[1])["code"] == 0
        assert post(r.url("webhook"), HOOK_MSG)[0] == 200
        assert [m.channel for m in r.received] == ["dingtalk", "feishu", "webhook"]


# --------------------------------------------------------------------------------------------
# Faults, bookkeeping, lifecycle
# --------------------------------------------------------------------------------------------


def test_inject_answers_n_requests_then_behaves_normally(receiver: WebhookReceiver) -> None:
    receiver.inject("/slack", status=500, times=2)
    receiver.inject("slack", status=200, body={"error": "x"})
    url = receiver.url("slack")
    assert [post(url, {"text": "hi"})[0] for _ in range(4)] == [500, 500, 200, 200]
    assert [state for _, state in receiver.requests] == ["injected", "injected", "injected", "accepted"]
    assert len(receiver.received) == 1


def test_inject_delay_only_holds_the_answer_then_verifies(receiver: WebhookReceiver) -> None:
    receiver.inject("webhook", delay=0.2)
    body = json.dumps(HOOK_MSG).encode()
    assert post(receiver.url("webhook"), body, hook_headers(body))[0] == 200
    assert receiver.requests == [("webhook", "accepted")]


def test_a_hang_does_not_block_close() -> None:
    r = WebhookReceiver().start()
    r.inject("slack", delay=60, status=500)
    with pytest.raises(TimeoutError):
        post(r.url("slack"), {"text": "hi"}, timeout=0.2)
    started = time.monotonic()
    r.close()
    assert time.monotonic() < started + 5  # only guards against a hang


def test_bad_arguments_and_unknown_paths(receiver: WebhookReceiver) -> None:
    with pytest.raises(ValueError):
        receiver.url("teams")
    with pytest.raises(ValueError):
        receiver.inject("/teams", status=500)
    assert post(f"{receiver.base_url}/teams", {"text": "x"})[0] == 404
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(receiver.url("slack"), timeout=5)
    assert err.value.code == 405


def test_records_headers_and_notifies_listeners() -> None:
    seen: list[ReceivedMessage | RejectedMessage] = []
    with WebhookReceiver(on_message=seen.append) as r:
        post(r.url("slack"), {"text": "hi"}, {"X-Trace": "abc"})
        post(r.url("slack"), b"nope")
        assert r.wait_for(1, timeout=5)[0].headers["x-trace"] == "abc"
    assert [type(m).__name__ for m in seen] == ["ReceivedMessage", "RejectedMessage"]
    assert isinstance(seen[1], RejectedMessage) and seen[1].status == 400


def test_closed_receiver_refuses_connections() -> None:
    with WebhookReceiver() as r:
        url = r.url("slack")
    with pytest.raises(urllib.error.URLError):
        post(url, {"text": "hi"}, timeout=2)


def test_close_waits_for_the_answer_to_a_message_already_received() -> None:
    # GIVEN a listener that stops the receiver as soon as a message arrives (what --exit-after does)
    # and then holds the handler until close() returns, or for a bound when close() (rightly) waits
    closed, outcome = threading.Event(), {}
    receiver = WebhookReceiver()

    def stop_on_first(item: ReceivedMessage | RejectedMessage) -> None:
        threading.Thread(target=lambda: (receiver.close(), closed.set()), daemon=True).start()
        outcome["closed_while_handling"] = closed.wait(timeout=1.0)

    receiver.on_message = stop_on_first
    receiver.start()
    # WHEN a message arrives
    status, body = post(receiver.url("slack"), {"text": "hi"})
    # THEN close() returned only after the handler had finished, and the answer arrived in full
    assert closed.wait(timeout=10)
    assert outcome == {"closed_while_handling": False}
    assert (status, body) == (200, b"ok")


def test_module_entry_point_serves_and_prints_messages() -> None:
    # GIVEN `python -m dwevents.local.webhook_receiver` on a free port, stopping after one message
    proc = subprocess.Popen([sys.executable, "-m", "dwevents.local.webhook_receiver", "--port", "0",
                             "--webhook-secret", HOOK_SECRET, "--exit-after", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(1 + len(KINDS))]
        urls = {line.split()[0]: line.split()[1] for line in lines[1:]}
        assert lines[0].startswith("listening on http://127.0.0.1:")
        # WHEN a signed message arrives
        body = json.dumps(HOOK_MSG).encode()
        assert post(urls["webhook"], body, hook_headers(body))[0] == 200
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # THEN it printed the message and exited cleanly
    assert proc.returncode == 0
    assert "ACCEPTED webhook" in out and '"message_id": "m-1"' in out
