"""Idempotency gate and the in-memory store: states, deadlines, TTL, LRU (fake clock, no sleeping)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from typing import Any

import pytest

from dwevents import env
from dwevents.errors import AlreadyInProgressError, ConfigError, TransientError
from dwevents.idempotency import (
    DEFAULT_IN_PROGRESS_S,
    Idempotency,
    MemoryStore,
    RecordStatus,
    RedisStore,
    idempotency_key,
    store_from_url,
)

SOURCE = "acs.dataworks"


class FakeClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Effect:
    """A side effect that counts how often it ran."""

    def __init__(self, result: dict[str, Any] | None = None, error: Exception | None = None) -> None:
        self.calls = 0
        self.result = result if result is not None else {"verdict": "OK"}
        self.error = error

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.result


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


@pytest.fixture
def gate(store: MemoryStore, clock: FakeClock) -> Idempotency:
    return Idempotency(store, ttl_s=3600, clock=clock)


# -- keys -----------------------------------------------------------------------------------------


def test_key_is_stable_namespaced_and_bounded() -> None:
    # GIVEN one event id under two sources and a very long id
    key = idempotency_key(SOURCE, "msg-1")
    # THEN the key is deterministic, prefixed, and does not grow with the id
    assert key == idempotency_key(SOURCE, "msg-1")
    assert key.startswith("dwevents:") and len(key) == len("dwevents:") + 40
    assert idempotency_key("other.source", "msg-1") != key
    assert idempotency_key(None, "msg-1") == idempotency_key("", "msg-1")
    assert len(idempotency_key(SOURCE, "x" * 10_000)) == len(key)
    # AND the separator keeps ("a", "bc") and ("ab", "c") apart
    assert idempotency_key("a", "bc") != idempotency_key("ab", "c")
    assert idempotency_key(SOURCE, "msg-1", namespace="dwevents:fn-a").startswith("dwevents:fn-a:")


# -- the gate -------------------------------------------------------------------------------------


def test_first_delivery_runs_and_redelivery_returns_stored_result(gate: Idempotency) -> None:
    # GIVEN an effect
    effect = Effect({"verdict": "OK", "n": 1})
    # WHEN the same event is delivered twice
    first = gate.run(SOURCE, "msg-1", effect, remaining_ms=60_000)
    second = gate.run(SOURCE, "msg-1", effect, remaining_ms=60_000)
    # THEN the effect ran once and the duplicate got the stored result
    assert first == ({"verdict": "OK", "n": 1}, False)
    assert second == ({"verdict": "OK", "n": 1}, True)
    assert effect.calls == 1


def test_other_event_ids_are_independent(gate: Idempotency) -> None:
    effect = Effect()
    gate.run(SOURCE, "msg-1", effect, remaining_ms=None)
    _, duplicate = gate.run(SOURCE, "msg-2", effect, remaining_ms=None)
    assert not duplicate and effect.calls == 2


def test_stored_result_is_a_copy(gate: Idempotency) -> None:
    # GIVEN a completed event WHEN the caller mutates the result it got back
    result, _ = gate.run(SOURCE, "msg-1", Effect({"items": [1]}), remaining_ms=None)
    result["items"].append(2)
    # THEN the stored record is unchanged
    again, duplicate = gate.run(SOURCE, "msg-1", Effect(), remaining_ms=None)
    assert duplicate and again == {"items": [1]}


def test_concurrent_delivery_while_in_progress_is_refused(gate: Idempotency, store: MemoryStore) -> None:
    # GIVEN a delivery whose effect is running
    inner: list[AlreadyInProgressError] = []

    def effect() -> dict[str, Any]:
        # WHEN the duplicate arrives meanwhile
        try:
            gate.run(SOURCE, "msg-1", Effect(), remaining_ms=60_000)
        except AlreadyInProgressError as exc:
            inner.append(exc)
        return {"done": True}

    result, duplicate = gate.run(SOURCE, "msg-1", effect, remaining_ms=60_000)
    # THEN the duplicate got a transient AlreadyInProgressError and the first one completed
    assert len(inner) == 1 and inner[0].transient
    assert (result, duplicate) == ({"done": True}, False)


def test_in_progress_claim_lapses_at_the_holders_deadline(
    gate: Idempotency, store: MemoryStore, clock: FakeClock
) -> None:
    # GIVEN a holder that claimed with 30 s left and then died (no complete, no release)
    key = gate.key(SOURCE, "msg-1")
    store.claim(key, in_progress_until=clock() + 30, ttl_s=3600)
    # WHEN a retry comes before the deadline THEN it is refused
    with pytest.raises(AlreadyInProgressError):
        gate.run(SOURCE, "msg-1", Effect(), remaining_ms=60_000)
    # WHEN a retry comes after the deadline THEN it takes over and runs
    clock.advance(31)
    effect = Effect()
    assert gate.run(SOURCE, "msg-1", effect, remaining_ms=60_000) == ({"verdict": "OK"}, False)
    assert effect.calls == 1


def test_in_progress_window_is_the_invocation_deadline_or_a_default(
    gate: Idempotency, store: MemoryStore, clock: FakeClock
) -> None:
    # GIVEN runs that inspect their own claim
    seen: dict[str, float | None] = {}

    def spy(name: str) -> Effect:
        class Spy(Effect):
            def __call__(self) -> dict[str, Any]:
                record = store.get(gate.key(SOURCE, name))
                assert record is not None and record.status is RecordStatus.IN_PROGRESS
                seen[name] = record.in_progress_expiry
                return {}

        return Spy()

    # WHEN one knows its remaining time and one does not
    gate.run(SOURCE, "known", spy("known"), remaining_ms=12_500)
    gate.run(SOURCE, "unknown", spy("unknown"), remaining_ms=None)
    # THEN the claim lasts until the deadline, or the default window
    assert seen == {"known": clock() + 12.5, "unknown": clock() + DEFAULT_IN_PROGRESS_S}


def test_completed_record_expires_after_ttl(clock: FakeClock) -> None:
    # GIVEN a gate keeping results for 60 s
    gate = Idempotency(MemoryStore(clock=clock), ttl_s=60, clock=clock)
    effect = Effect()
    gate.run(SOURCE, "msg-1", effect, remaining_ms=None)
    # WHEN a redelivery arrives within the TTL THEN it is a duplicate
    clock.advance(59)
    assert gate.run(SOURCE, "msg-1", effect, remaining_ms=None)[1] is True
    # WHEN one arrives after the TTL THEN the effect runs again
    clock.advance(2)
    assert gate.run(SOURCE, "msg-1", effect, remaining_ms=None)[1] is False
    assert effect.calls == 2


def test_in_progress_record_outlives_a_short_ttl(clock: FakeClock) -> None:
    # GIVEN a TTL shorter than the invocation deadline
    store = MemoryStore(clock=clock)
    store.claim("k", in_progress_until=clock() + 600, ttl_s=10)
    # WHEN the TTL has passed but the holder's deadline has not
    clock.advance(300)
    # THEN the claim still holds (else a duplicate could run next to the holder)
    with pytest.raises(AlreadyInProgressError):
        store.claim("k", in_progress_until=clock() + 600, ttl_s=10)


def test_failure_releases_so_a_retry_runs(gate: Idempotency, store: MemoryStore) -> None:
    # GIVEN an effect that fails
    failing = Effect(error=RuntimeError("boom"))
    # WHEN it runs THEN the error propagates and nothing is left behind
    with pytest.raises(RuntimeError, match="boom"):
        gate.run(SOURCE, "msg-1", failing, remaining_ms=60_000)
    assert store.get(gate.key(SOURCE, "msg-1")) is None
    # AND the retry runs the effect
    effect = Effect()
    assert gate.run(SOURCE, "msg-1", effect, remaining_ms=60_000) == ({"verdict": "OK"}, False)


def test_late_holder_cannot_clobber_the_takeover(store: MemoryStore, clock: FakeClock) -> None:
    # GIVEN holder A whose deadline passed and holder B that took over
    a = store.claim("k", in_progress_until=clock() + 10, ttl_s=3600)
    clock.advance(11)
    b = store.claim("k", in_progress_until=clock() + 10, ttl_s=3600)
    assert a.acquired and b.acquired and a.token != b.token
    # WHEN A finally fails (release) or finishes (complete)
    store.release("k", token=a.token)
    store.complete("k", {"from": "A"}, ttl_s=3600, token=a.token)
    # THEN B's claim is untouched, and B's completion is what is stored
    record = store.get("k")
    assert record is not None and record.status is RecordStatus.IN_PROGRESS and record.owner == b.token
    store.complete("k", {"from": "B"}, ttl_s=3600, token=b.token)
    record = store.get("k")
    assert record is not None and record.result == {"from": "B"}


def test_release_never_drops_a_completed_record(store: MemoryStore, clock: FakeClock) -> None:
    claim = store.claim("k", in_progress_until=clock() + 10, ttl_s=3600)
    store.complete("k", {"ok": True}, ttl_s=3600, token=claim.token)
    store.release("k")
    record = store.get("k")
    assert record is not None and record.status is RecordStatus.COMPLETED


def test_unrecordable_result_is_returned_and_the_claim_holds(
    gate: Idempotency, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN an effect whose result cannot be stored (not JSON)
    weird = {"when": object()}
    logger = logging.getLogger("dwevents.idempotency")
    logger.addHandler(caplog.handler)
    try:
        # WHEN it runs
        result, duplicate = gate.run(SOURCE, "msg-1", lambda: weird, remaining_ms=60_000)
    finally:
        logger.removeHandler(caplog.handler)
    # THEN the effect's result is returned (raising would get the event redelivered and re-run)
    assert result is weird and not duplicate
    assert any("not recorded" in r.getMessage() for r in caplog.records)
    # AND a duplicate before the deadline is still held off
    with pytest.raises(AlreadyInProgressError):
        gate.run(SOURCE, "msg-1", Effect(), remaining_ms=60_000)


def test_store_error_on_claim_propagates_without_running(clock: FakeClock) -> None:
    # GIVEN a store that cannot be reached
    class Down(MemoryStore):
        def claim(self, key: str, *, in_progress_until: float, ttl_s: float) -> Any:
            raise TransientError("down")

    effect = Effect()
    # WHEN an event arrives THEN the transient error propagates (EventBridge retries) and nothing ran
    with pytest.raises(TransientError):
        Idempotency(Down(clock=clock), clock=clock).run(SOURCE, "m", effect, remaining_ms=1000)
    assert effect.calls == 0


# -- MemoryStore ----------------------------------------------------------------------------------


def test_lru_evicts_the_least_recently_used(clock: FakeClock) -> None:
    # GIVEN a store of two records, "a" then "b", where "a" was just seen again as a duplicate
    store = MemoryStore(max_items=2, clock=clock)
    for key in ("a", "b"):
        claim = store.claim(key, in_progress_until=clock() + 10, ttl_s=3600)
        store.complete(key, {"key": key}, ttl_s=3600, token=claim.token)
    assert not store.claim("a", in_progress_until=clock() + 10, ttl_s=3600).acquired
    # WHEN a third record arrives
    store.claim("c", in_progress_until=clock() + 10, ttl_s=3600)
    # THEN "b" (least recently used) is evicted and "a" kept
    assert len(store) == 2
    assert store.get("b") is None
    assert store.get("a") is not None and store.get("c") is not None


def test_given_large_results_then_the_memory_store_stays_within_its_byte_budget(clock: FakeClock) -> None:
    # GIVEN a store allowed many records but only 64 KiB of them
    store = MemoryStore(max_items=10_000, max_bytes=64 * 1024, clock=clock)
    # WHEN 100 events of ~4 KiB each complete
    for i in range(100):
        claim = store.claim(f"k{i}", in_progress_until=clock() + 10, ttl_s=3600)
        store.complete(f"k{i}", {"tip": "x" * 4000}, ttl_s=3600, token=claim.token)
    # THEN the oldest were evicted to stay within the budget, and the newest are kept
    assert store.size_bytes <= 64 * 1024
    assert 10 <= len(store) < 20
    assert store.get("k99") is not None and store.get("k0") is None


def test_memory_store_is_atomic_across_threads(clock: FakeClock) -> None:
    # GIVEN 16 threads delivering the same event at once to one gate
    gate = Idempotency(MemoryStore(clock=clock), clock=clock)
    barrier = threading.Barrier(16)
    lock = threading.Lock()
    effects: list[int] = []
    outcomes: list[str] = []

    def effect() -> dict[str, Any]:
        effects.append(1)
        return {"ok": True}

    def deliver() -> None:
        barrier.wait()
        try:
            result, duplicate = gate.run(SOURCE, "msg-1", effect, remaining_ms=60_000)
            outcome = "duplicate" if duplicate else "ran"
            assert result == {"ok": True}
        except AlreadyInProgressError:
            outcome = "in-progress"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=deliver) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # THEN exactly one ran; the rest were duplicates or told to retry
    assert len(effects) == 1
    assert outcomes.count("ran") == 1 and len(outcomes) == 16


# -- configuration --------------------------------------------------------------------------------


def test_store_from_url_picks_the_backend() -> None:
    assert isinstance(store_from_url(None), MemoryStore)
    assert isinstance(store_from_url(""), MemoryStore)
    # redis-py connects lazily: building the store needs no server
    for url in ("redis://127.0.0.1:6379/0", "rediss://h:6380", "unix:///tmp/redis.sock"):
        assert isinstance(store_from_url(url), RedisStore)


def test_store_from_url_rejects_other_schemes_without_leaking_the_password() -> None:
    # GIVEN a URL of the wrong kind carrying a password
    with pytest.raises(ConfigError) as info:
        store_from_url("http://user:hunter2@cache.example.com:6379")
    # THEN the error names the variable and hides the password
    assert info.value.key == env.REDIS_URL
    assert env.REDIS_URL in str(info.value)
    assert "hunter2" not in str(info.value)


def test_given_an_explicit_namespace_in_the_environment_then_the_function_uses_it() -> None:
    # GIVEN DWEVENTS_IDEMPOTENCY_NAMESPACE set for a function (it was declared but never read before)
    from dwevents.local.fc_context import FunctionMeta, LocalContext
    from dwevents.runtime import FunctionApp

    context = LocalContext(function=FunctionMeta(name="fn-a"), account_id="1")
    shared = FunctionApp("InstanceStatusChanges", environ={env.IDEMPOTENCY_NAMESPACE: "shared"})
    shared.initialize(context)
    default = FunctionApp("InstanceStatusChanges", environ={})
    default.initialize(context)
    # THEN its records are kept under that prefix; without it, under the FC function's name
    assert shared.pipeline().idempotency.key(SOURCE, "m").startswith("shared:")
    assert default.pipeline().idempotency.key(SOURCE, "m").startswith("dwevents:fn-a:")


def test_given_a_bad_ttl_then_the_configuration_error_names_the_variable() -> None:
    from dwevents.config import load_settings

    for bad in ("soon", "0", "-5"):
        with pytest.raises(ConfigError, match=env.IDEMPOTENCY_TTL):
            load_settings(environ={env.IDEMPOTENCY_TTL: bad})
    with pytest.raises(ConfigError):
        Idempotency(MemoryStore(), ttl_s=0)


def test_importing_the_module_does_not_import_redis() -> None:
    # GIVEN a fresh interpreter WHEN it imports dwevents.idempotency THEN redis stays unloaded
    code = "import sys, dwevents.idempotency; sys.exit(1 if 'redis' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
