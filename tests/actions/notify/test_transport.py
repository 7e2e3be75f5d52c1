"""One POST with a hard deadline, retried while it may pass (dwevents.actions.notify.transport).

Faults come from the local webhook receiver (every platform) or from a tiny local HTTP server for what
the receiver cannot answer (Retry-After, oversized bodies). Nothing asserts on durations except
"returned before the deadline + slack"."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from dwevents.actions.notify import RetryPolicy, SlackChannel, WebhookChannel
from dwevents.actions.notify.transport import (
    MAX_RESPONSE_BYTES,
    Outcome,
    Response,
    Scrubber,
    post,
    retry_until,
)
from dwevents.local.webhook_receiver import WebhookReceiver

from .conftest import KINDS, NOTE, SLACK_S, channel_for, in_5s


class _Answer(http.server.BaseHTTPRequestHandler):
    """Answers every POST with the server's ``status``, ``headers`` and ``body``."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server: _Server = self.server  # type: ignore[assignment]
        server.hits += 1  # before answering: the client may look as soon as it has the answer
        self.send_response(server.status)
        for name, value in server.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(server.body)))
        self.end_headers()
        self.wfile.write(server.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    status = 200
    headers: dict[str, str] = {}
    body = b"ok"
    hits = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


# --------------------------------------------------------------------------------------------
# Retries through the receiver, for every platform
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_two_server_errors_then_success_is_delivered_on_the_third_attempt(receiver: WebhookReceiver,
                                                                           kind: str) -> None:
    # GIVEN the platform answers HTTP 500 twice
    receiver.inject(kind, status=500, times=2)
    # WHEN sending
    delivery = channel_for(kind, receiver).send(NOTE, deadline=in_5s())
    # THEN the third attempt delivers it, once
    assert delivery.ok, delivery.error
    assert delivery.attempts == 3
    assert len(receiver.received) == 1
    assert [state for _, state in receiver.requests] == ["injected", "injected", "accepted"]


def test_http_429_is_retried_and_400_is_not(receiver: WebhookReceiver) -> None:
    receiver.inject("slack", status=429, body="rate_limited")
    assert channel_for("slack", receiver).send(NOTE, deadline=in_5s()).attempts == 2
    receiver.inject("webhook", status=400, body="nope")
    delivery = channel_for("webhook", receiver).send(NOTE, deadline=in_5s())
    assert not delivery.ok and delivery.attempts == 1 and delivery.status == 400


def test_a_redirect_is_not_followed(receiver: WebhookReceiver) -> None:
    receiver.inject("webhook", status=302, body="moved")
    delivery = channel_for("webhook", receiver).send(NOTE, deadline=in_5s())
    assert not delivery.ok and delivery.status == 302 and "redirect" in (delivery.error or "")


def test_retries_stop_after_max_attempts(receiver: WebhookReceiver) -> None:
    receiver.inject("wecom", status=503, times=10)
    delivery = channel_for("wecom", receiver, retry=RetryPolicy(3, 0.01, 0.02)).send(NOTE, deadline=in_5s())
    assert not delivery.ok and delivery.attempts == 3 and delivery.status == 503
    assert "gave up after 3 attempts" in (delivery.error or "")


@pytest.mark.parametrize("kind", KINDS)
def test_a_hanging_receiver_fails_by_the_deadline(receiver: WebhookReceiver, kind: str) -> None:
    # GIVEN a platform that holds every answer far longer than we have
    receiver.inject(kind, delay=30, status=200, body="late", times=10)
    channel = channel_for(kind, receiver, retry=RetryPolicy(attempt_timeout=10))
    deadline = time.monotonic() + 0.5
    # WHEN sending with half a second left
    delivery = channel.send(NOTE, deadline=deadline)
    # THEN it returns a failure by the deadline (+ slack), never "sent"
    assert time.monotonic() < deadline + SLACK_S
    assert not delivery.ok and delivery.sent_at is None
    assert delivery.attempts >= 1
    assert "timed out" in (delivery.error or "")


def test_no_attempt_once_the_deadline_has_passed(receiver: WebhookReceiver) -> None:
    delivery = channel_for("slack", receiver).send(NOTE, deadline=time.monotonic() - 1)
    assert not delivery.ok and delivery.attempts == 0 and receiver.requests == []
    assert delivery.error == "no time left before the deadline"


def test_connection_refused_is_a_retried_transport_error() -> None:
    # GIVEN a port nobody listens on
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    channel = SlackChannel("ops", f"http://127.0.0.1:{port}/slack/services/T/B/x",
                           retry=RetryPolicy(3, 0.01, 0.02))
    delivery = channel.send(NOTE, deadline=in_5s())
    assert not delivery.ok and delivery.attempts == 3 and delivery.status is None
    assert "transport error" in (delivery.error or "")


# --------------------------------------------------------------------------------------------
# Retry-After and the bounded read, against a local HTTP server
# --------------------------------------------------------------------------------------------


def test_a_retry_after_beyond_the_deadline_stops_the_retries(server: _Server) -> None:
    # GIVEN a server that answers 429 and asks for two minutes of quiet (RFC 9110 §10.2.3)
    server.status, server.headers, server.body = 429, {"Retry-After": "120"}, b"slow down"
    # WHEN sending with five seconds left
    delivery = WebhookChannel("ops", server.url).send(NOTE, deadline=in_5s())
    # THEN it does not hammer the server: one attempt, and the error says why it stopped
    assert not delivery.ok and delivery.attempts == 1 and server.hits == 1
    assert delivery.error == "HTTP 429: slow down (no time left for another attempt before the deadline)"


def test_only_the_first_64_kib_of_an_answer_are_read(server: _Server) -> None:
    # GIVEN a server answering with a megabyte
    server.body = b"x" * (1024 * 1024)
    # WHEN posting once
    resp = post(server.url, b"{}", {}, timeout=5, deadline=in_5s())
    # THEN the body kept is bounded, and an error excerpt stays one short line
    assert resp.status == 200 and len(resp.body) == MAX_RESPONSE_BYTES == 64 * 1024
    assert len(resp.excerpt()) <= 201


@pytest.mark.parametrize(("value", "seconds"), [
    ("7", 7.0),
    ("0", 0.0),
    (format_datetime(datetime(2026, 1, 1, 0, 0, 30, tzinfo=timezone.utc), usegmt=True), 30.0),
    (format_datetime(datetime(2025, 12, 31, tzinfo=timezone.utc), usegmt=True), 0.0),  # in the past
    ("soon", None),
    ("-3", None),
])
def test_retry_after_reads_delay_seconds_and_http_dates(value: str, seconds: float | None) -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    assert Response(429, b"", {"retry-after": value}).retry_after(now=now) == seconds


def test_retry_until_waits_at_least_what_the_server_asked_with_equal_jitter() -> None:
    # GIVEN an attempt that is throttled twice (the second time with Retry-After: 0.3) and then passes
    answers = [Outcome(False, 503, "busy", transient=True),
               Outcome(False, 429, "slow", transient=True, retry_after=0.3), Outcome(True, 200)]
    waits: list[float] = []
    bounds: list[tuple[float, float]] = []

    def rng(low: float, high: float) -> float:
        bounds.append((low, high))
        return low

    # WHEN retried with base 0.1 s, cap 0.15 s
    result = retry_until(lambda timeout: answers.pop(0), deadline=in_5s(),
                         policy=RetryPolicy(5, base_delay=0.1, max_delay=0.15), sleep=waits.append, rng=rng)
    # THEN it is delivered on the third attempt; the waits use dwevents.retry's "equal" jitter
    # (never less than half the backoff) and the second one is the server's 0.3 s
    assert result.ok and result.count == 3 and result.error is None and result.sent_at is not None
    assert bounds == [(0.05, 0.1), (0.075, 0.15)]
    assert waits == [0.05, 0.3]


def test_retry_until_scrubs_every_error_text() -> None:
    # GIVEN a channel's scrubber and an upstream error that echoes everything it was sent
    scrub = Scrubber("https://hooks.example.com/services/T0/B0/tok-0123456789abcdef?sig=abc123xyz",
                     ["my secret+value"], hide_params=("sign",))
    result = retry_until(
        lambda timeout: Outcome(False, 400, "echo https://hooks.example.com/services/T0/B0/"
                                            "tok-0123456789abcdef?sig=abc123xyz my secret+value "
                                            "my+secret%2Bvalue sign=AbC%2B&x=1 tok-0123456789abcdef"),
        deadline=in_5s(), policy=RetryPolicy(), scrub=scrub)
    # THEN the URL, its tokens, the secret (also URL-encoded) and the per-request signature are hidden
    assert result.error == "echo *** *** *** sign=***&x=1 ***"
