"""The Redis idempotency store and the gate over it, where the mutation run found them unpinned.

A real redis-server (tests/redis_server.py); the clock is the caller's, as in production. Pinned: what
is logged when a lapsed claim is taken over or a late holder is fenced out (operators read those lines),
the gate passing its claim token through, a record read back with its expiry, the error naming the
operation that failed, the short socket timeout, the smallest key TTL.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType

import pytest

from dwevents.errors import TransientError
from dwevents.idempotency import Idempotency, RecordStatus, RedisStore
from dwevents.idempotency.redis_store import _ms


def _load_helper() -> ModuleType:
    name = "dwevents_tests_redis_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("redis_server.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


redis_server = _load_helper()
redis_url = redis_server.redis_url  # the module-scoped fixture


@pytest.fixture()
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    logger = logging.getLogger("dwevents")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    yield caplog
    logger.removeHandler(caplog.handler)


def records(logged: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    """Each matching record once (it reaches the capture handler directly and, propagating, again)."""
    unique = {id(r): r for r in logged.records if text in r.getMessage()}
    return list(unique.values())


def _key() -> str:
    return f"k-{uuid.uuid4().hex[:12]}"


def test_taking_over_a_lapsed_claim_is_logged_and_a_fresh_claim_is_not(
    redis_url: str, logged: pytest.LogCaptureFixture
) -> None:
    now = time.time()
    key = _key()
    RedisStore(redis_url, clock=lambda: now).claim(key, in_progress_until=now + 10, ttl_s=3600)
    assert not records(logged, "taken over")
    later = RedisStore(redis_url, clock=lambda: now + 11)
    assert later.claim(key, in_progress_until=now + 40, ttl_s=3600).acquired
    [warning] = records(logged, "taken over")
    assert warning.levelno == logging.WARNING and key in warning.getMessage()
    assert warning.name == "dwevents.idempotency"


def test_a_late_holders_result_is_refused_with_a_warning_through_the_gate(
    redis_url: str, logged: pytest.LogCaptureFixture
) -> None:
    # GIVEN holder A past its deadline, and holder B (another instance) that took the event over
    now = time.time()
    gate_a = Idempotency(RedisStore(redis_url, clock=lambda: now), clock=lambda: now)
    gate_b = Idempotency(RedisStore(redis_url, clock=lambda: now + 11), clock=lambda: now + 11)
    message = f"m-{uuid.uuid4().hex[:8]}"
    ticket_a = gate_a.claim("s", message, remaining_ms=10_000)
    ticket_b = gate_b.claim("s", message, remaining_ms=30_000)
    # WHEN A's release and result arrive late, through the gate (which passes A's token)
    gate_a.release(ticket_a)
    assert gate_a.complete(ticket_a, {"from": "A"}) is True  # the store kept B's record: no error
    # THEN B's claim stands, and the refusal was logged
    record = gate_b.store.get(ticket_b.key)
    assert record is not None and record.status is RecordStatus.IN_PROGRESS and record.owner == ticket_b.token
    fenced = records(logged, "belongs to another claim")
    assert len(fenced) == 1 and fenced[0].levelno == logging.WARNING
    # AND B's own result is stored, and B's release after completion changes nothing
    gate_b.complete(ticket_b, {"from": "B"})
    gate_b.release(ticket_b)
    done = gate_b.store.get(ticket_b.key)
    assert done is not None and done.result == {"from": "B"}


def test_a_record_reads_back_with_its_expiry_and_not_after_it(redis_url: str) -> None:
    now = time.time()
    key = _key()
    store = RedisStore(redis_url, clock=lambda: now)
    store.claim(key, in_progress_until=now + 10, ttl_s=60)
    store.complete(key, {"ok": 1}, ttl_s=60)
    record = store.get(key)
    assert record is not None and record.expiry == pytest.approx(now + 60) and record.result == {"ok": 1}
    assert record.in_progress_expiry is None
    assert RedisStore(redis_url, clock=lambda: now + 60).get(key) is None
    assert store.get(_key()) is None


def test_a_record_written_without_optional_fields_reads_back_open_ended(redis_url: str) -> None:
    import redis

    key = _key()
    redis.Redis.from_url(redis_url).hset(key, mapping={"status": "COMPLETED"})
    record = RedisStore(redis_url).get(key)
    assert record is not None and record.status is RecordStatus.COMPLETED
    assert (record.result, record.in_progress_expiry, record.expiry, record.owner) == (
        None, None, float("inf"), None,
    )  # fmt: skip


def test_an_unreachable_store_names_the_operation_that_failed() -> None:
    store = RedisStore(f"redis://127.0.0.1:{redis_server.free_port()}/0", timeout_s=0.5)
    for what, call in (
        ("get", lambda: store.get("k")),
        ("release", lambda: store.release("k")),
        ("complete", lambda: store.complete("k", {}, ttl_s=60)),
        ("pttl", lambda: store.ttl_ms("k")),
    ):
        with pytest.raises(TransientError, match=rf"unavailable \({what}\)"):
            call()


def test_sockets_time_out_after_two_seconds_by_default(redis_url: str) -> None:
    # a stuck store must not eat the invocation's deadline
    kwargs = RedisStore(redis_url).client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 2.0 and kwargs["socket_connect_timeout"] == 2.0


def test_key_ttls_are_whole_milliseconds_and_never_zero() -> None:
    assert [_ms(s) for s in (0.0, 0.0004, 0.0015, 2.5, 3600)] == [1, 1, 1, 2500, 3_600_000]
