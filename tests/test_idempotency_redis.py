"""RedisStore against a real redis-server: atomic claims across threads and processes, lapsed
claims, release, TTLs, errors. Effects are counted in Redis, never in shared Python memory."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from dwevents.errors import AlreadyInProgressError, IdempotencyError, TransientError
from dwevents.idempotency import Idempotency, RecordStatus, RedisStore, store_from_url

from .conftest import redis_helper

SOURCE = "acs.dataworks"
N = 16
WAIT_LIMIT_S = 60  # only guards against hangs; nothing asserts on durations


redis_server = redis_helper()
redis_url = redis_server.redis_url  # the module-scoped fixture


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    yield conn
    conn.close()


@pytest.fixture
def tag() -> str:
    """A fresh event id per test; its counters live under the same tag."""
    return f"evt-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every dwevents log record, even if logging was configured with propagate=False."""
    logger = logging.getLogger("dwevents")
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.setLevel(old_level)


class Later:
    """A clock ``offset`` seconds ahead of real time (to act "after the deadline" without waiting)."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset


def _wait_for(client: redis.Redis, counter: str, target: int) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while int(client.get(counter) or 0) < target:
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {counter} to reach {target}")
        time.sleep(0.005)


# -- concurrency ----------------------------------------------------------------------------------

# One delivery in its own interpreter with its own RedisStore. Waits on a Redis barrier so all N
# claim together; with hold=1 the winner keeps the claim until every other delivery has answered.
WORKER = r"""
import json, os, sys, time
import redis
from dwevents.errors import AlreadyInProgressError
from dwevents.idempotency import Idempotency, RedisStore

url, tag, n, hold = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
r = redis.Redis.from_url(url)
gate = Idempotency(RedisStore(url))

def wait_for(counter, target):
    deadline = time.monotonic() + 60
    while int(r.get(counter) or 0) < target:
        if time.monotonic() > deadline:
            sys.exit("timed out waiting for " + counter)
        time.sleep(0.005)

def effect():
    r.incr(tag + ":effects")
    if hold:
        wait_for(tag + ":answered", n - 1)
    return {"pid": os.getpid()}

r.incr(tag + ":ready")
wait_for(tag + ":ready", n)
try:
    result, duplicate = gate.run("acs.dataworks", tag, effect, remaining_ms=120_000)
    out = {"outcome": "duplicate" if duplicate else "ran", "result": result}
except AlreadyInProgressError:
    out = {"outcome": "in-progress"}
if out["outcome"] != "ran":
    r.incr(tag + ":answered")
sys.stdout.write(json.dumps(out) + "\n")
"""


def _deliver_in_processes(url: str, tag: str, hold: bool) -> list[dict[str, Any]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, tag, str(N), "1" if hold else "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(N)
    ]
    outs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=WAIT_LIMIT_S * 2)
        assert proc.returncode == 0, stderr
        outs.append(json.loads(stdout))
    return outs


@pytest.mark.parametrize("hold", [True, False], ids=["holder-waits", "free-running"])
def test_concurrent_processes_produce_one_effect(
    redis_url: str, client: redis.Redis, tag: str, hold: bool
) -> None:
    # GIVEN N separate processes, each with its own RedisStore, released together on one event
    # WHEN they all deliver it
    outs = _deliver_in_processes(redis_url, tag, hold)
    # THEN the effect happened exactly once (counted in Redis)
    assert int(client.get(f"{tag}:effects") or 0) == 1
    ran = [o for o in outs if o["outcome"] == "ran"]
    assert len(ran) == 1
    # AND every other delivery got the stored result or was told to retry
    for out in outs:
        if out["outcome"] == "duplicate":
            assert out["result"] == ran[0]["result"]
        else:
            assert out["outcome"] in ("ran", "in-progress")
    if hold:  # the holder kept the claim until all others had answered: all were refused
        assert sum(o["outcome"] == "in-progress" for o in outs) == N - 1
    # AND EventBridge's retries of the refused ones now get the stored result
    result, duplicate = Idempotency(RedisStore(redis_url)).run(SOURCE, tag, dict, remaining_ms=1000)
    assert duplicate and result == ran[0]["result"]


@pytest.mark.parametrize("hold", [True, False], ids=["holder-waits", "free-running"])
def test_concurrent_threads_produce_one_effect(
    redis_url: str, client: redis.Redis, tag: str, hold: bool
) -> None:
    # GIVEN N threads sharing one RedisStore (one FC instance with concurrency > 1)
    gate = Idempotency(RedisStore(redis_url))
    barrier = threading.Barrier(N)
    outcomes: list[str] = []
    lock = threading.Lock()
    answered = threading.Semaphore(0)

    def effect() -> dict[str, Any]:
        client.incr(f"{tag}:effects")
        if hold:
            for _ in range(N - 1):
                assert answered.acquire(timeout=WAIT_LIMIT_S)
        return {"thread": threading.get_ident()}

    def deliver() -> None:
        barrier.wait()
        try:
            _, duplicate = gate.run(SOURCE, tag, effect, remaining_ms=120_000)
            outcome = "duplicate" if duplicate else "ran"
        except AlreadyInProgressError:
            outcome = "in-progress"
        with lock:
            outcomes.append(outcome)
        if outcome != "ran":
            answered.release()

    threads = [threading.Thread(target=deliver) for _ in range(N)]
    # WHEN they deliver the same event at once
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_LIMIT_S * 2)
    # THEN one effect, one runner, the rest duplicates or refused
    assert int(client.get(f"{tag}:effects") or 0) == 1
    assert len(outcomes) == N and outcomes.count("ran") == 1
    assert set(outcomes) <= {"ran", "duplicate", "in-progress"}
    if hold:
        assert outcomes.count("in-progress") == N - 1


# -- lifecycle ------------------------------------------------------------------------------------


DYING_WORKER = r"""
import sys, time
import redis
from dwevents.idempotency import Idempotency, RedisStore

url, tag = sys.argv[1], sys.argv[2]
r = redis.Redis.from_url(url)

def effect():
    r.incr(tag + ":started")
    time.sleep(3600)  # killed here
    return {}

Idempotency(RedisStore(url)).run("acs.dataworks", tag, effect, remaining_ms=600_000)
"""


def test_claim_of_a_killed_holder_lapses_at_its_deadline(
    redis_url: str, client: redis.Redis, tag: str
) -> None:
    # GIVEN a process that claimed the event (600 s left) and was killed mid-effect
    proc = subprocess.Popen([sys.executable, "-c", DYING_WORKER, redis_url, tag])
    try:
        _wait_for(client, f"{tag}:started", 1)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    # WHEN a retry arrives before the holder's deadline THEN it is refused (transient)
    with pytest.raises(AlreadyInProgressError) as info:
        Idempotency(RedisStore(redis_url)).run(SOURCE, tag, dict, remaining_ms=1000)
    assert info.value.transient
    # WHEN a retry arrives after the deadline THEN it takes over and runs the effect
    later = Later(601)
    gate = Idempotency(RedisStore(redis_url, clock=later), clock=later)
    assert gate.run(SOURCE, tag, lambda: {"retried": True}, remaining_ms=1000) == ({"retried": True}, False)
    record = RedisStore(redis_url, clock=later).get(gate.key(SOURCE, tag))
    assert record is not None and record.status is RecordStatus.COMPLETED


def test_late_holder_cannot_clobber_the_takeover(redis_url: str) -> None:
    # GIVEN holder A past its deadline and holder B that took over
    now = time.time()
    a = RedisStore(redis_url, clock=lambda: now).claim("k-late", in_progress_until=now + 10, ttl_s=3600)
    store_b = RedisStore(redis_url, clock=lambda: now + 11)
    b = store_b.claim("k-late", in_progress_until=now + 30, ttl_s=3600)
    assert a.acquired and b.acquired
    # WHEN A's release and completion finally arrive
    store_b.release("k-late", token=a.token)
    store_b.complete("k-late", {"from": "A"}, ttl_s=3600, token=a.token)
    # THEN B's claim stands, and B's result is what gets stored
    record = store_b.get("k-late")
    assert record is not None and record.status is RecordStatus.IN_PROGRESS and record.owner == b.token
    store_b.complete("k-late", {"from": "B"}, ttl_s=3600, token=b.token)
    record = store_b.get("k-late")
    assert record is not None and record.result == {"from": "B"}


def test_expired_completed_record_is_claimed_again(redis_url: str, tag: str) -> None:
    # GIVEN a completed record whose TTL has passed by the caller's clock (Redis has not evicted it yet)
    now = time.time()
    store = RedisStore(redis_url, clock=lambda: now)
    key = f"k-{tag}"
    claim = store.claim(key, in_progress_until=now + 10, ttl_s=60)
    store.complete(key, {"v": 1}, ttl_s=60, token=claim.token)
    # WHEN the event comes again later THEN it is claimable
    assert (
        RedisStore(redis_url, clock=lambda: now + 61)
        .claim(key, in_progress_until=now + 99, ttl_s=60)
        .acquired
    )


def test_failure_releases_so_a_retry_runs(redis_url: str, client: redis.Redis, tag: str) -> None:
    gate = Idempotency(RedisStore(redis_url))

    def failing() -> dict[str, Any]:
        client.incr(f"{tag}:effects")
        raise RuntimeError("downstream said no")

    # GIVEN a delivery whose effect fails WHEN it runs THEN the error propagates and the claim is gone
    with pytest.raises(RuntimeError, match="downstream"):
        gate.run(SOURCE, tag, failing, remaining_ms=60_000)
    assert client.exists(gate.key(SOURCE, tag)) == 0
    # AND EventBridge's retry runs the effect and its result is stored
    assert gate.run(SOURCE, tag, lambda: {"ok": "é"}, remaining_ms=60_000) == ({"ok": "é"}, False)
    assert gate.run(SOURCE, tag, dict, remaining_ms=60_000) == ({"ok": "é"}, True)
    assert int(client.get(f"{tag}:effects") or 0) == 1


def test_keys_carry_a_ttl(redis_url: str, client: redis.Redis, tag: str) -> None:
    store = RedisStore(redis_url)
    now = time.time()
    key = f"k-{tag}"
    # GIVEN an in-progress claim THEN the key expires within the record TTL
    claim = store.claim(key, in_progress_until=now + 10, ttl_s=3600)
    assert 0 < client.pttl(key) <= 3_600_000
    assert client.type(key) == b"hash"
    # WHEN it completes with a 120 s TTL THEN the key expires within 120 s
    store.complete(key, {"ok": True}, ttl_s=120, token=claim.token)
    assert 0 < store.ttl_ms(key) <= 120_000
    # AND a claim whose deadline is beyond the TTL keeps its key at least until the deadline
    store.claim(f"{key}-long", in_progress_until=now + 7200, ttl_s=60)
    assert client.pttl(f"{key}-long") > 3_600_000


def test_foreign_value_under_the_key_is_a_permanent_error(
    redis_url: str, client: redis.Redis, tag: str
) -> None:
    # GIVEN something else stored a string under our key
    client.set(f"k-{tag}", "not a hash")
    # WHEN we claim THEN it is an IdempotencyError, not a retryable one
    with pytest.raises(IdempotencyError) as info:
        RedisStore(redis_url).claim(f"k-{tag}", in_progress_until=time.time() + 10, ttl_s=60)
    assert not info.value.transient


# -- errors and secrets ---------------------------------------------------------------------------


def test_connection_refused_is_transient_and_hides_the_password(captured: pytest.LogCaptureFixture) -> None:
    # GIVEN a URL (with a password) where nothing listens
    port = redis_server.free_port()
    store = store_from_url(f"redis://:hunter2@127.0.0.1:{port}/0")
    effect_calls: list[int] = []

    def effect() -> dict[str, Any]:
        effect_calls.append(1)
        return {}

    # WHEN an event arrives
    with pytest.raises(TransientError) as info:
        Idempotency(store).run(SOURCE, "m", effect, remaining_ms=1000)
    # THEN the error is transient (EventBridge retries), nothing ran, and the password shows nowhere
    assert info.value.transient and not effect_calls
    assert "hunter2" not in str(info.value) and "hunter2" not in repr(store)
    assert "***" in repr(store)
    assert captured.records and all("hunter2" not in r.getMessage() for r in captured.records)


def test_password_protected_server(tmp_path: Path, captured: pytest.LogCaptureFixture) -> None:
    # GIVEN a server that requires a password
    with redis_server.run_redis_server(tmp_path, password="s3cret-pw") as url:
        # WHEN the URL carries it THEN the store works
        store = store_from_url(url)
        assert store.claim("k", in_progress_until=time.time() + 10, ttl_s=60).acquired
        # WHEN the password is wrong THEN the failure does not echo either password
        wrong = store_from_url(url.replace("s3cret-pw", "wrong-pw"))
        with pytest.raises(TransientError) as info:
            wrong.get("k")
    text = str(info.value) + repr(store) + repr(wrong)
    text += "".join(r.getMessage() for r in captured.records)
    assert "s3cret-pw" not in text and "wrong-pw" not in text
