"""Idempotency records and typed results at their edges: boundaries, budgets, wire shapes.

Pinned where the mutation run (``python3 -m tests.mutation``, docs/testing.md) left things unpinned:
the instant a record or a claim expires, the memory store's byte budget (whose arithmetic is written out
here, not read from the module), token fencing, what a duplicate gets back, the handler's JSON shape and
the retry error's text. Time is a fake clock; nothing sleeps.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from dwevents.catalogue import ReplyApi
from dwevents.errors import AlreadyInProgressError, ConfigError, IdempotencyError, TransientError
from dwevents.idempotency import Idempotency, MemoryStore, RecordStatus, idempotency_key
from dwevents.idempotency.store import Record, in_progress_error, result_text
from dwevents.results import (
    DirectAnswer,
    EventResult,
    InvocationResult,
    Outcome,
    RetryBatchError,
    VerdictReport,
    dumps,
)
from dwevents.verdict import CheckResult, Verdict

T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


# -- records -----------------------------------------------------------------------------------------------


def test_a_record_expires_at_its_expiry_instant_not_after() -> None:
    record = Record("k", RecordStatus.COMPLETED, {}, None, expiry=T0)
    assert record.is_expired(T0) and record.is_expired(T0 + 1) and not record.is_expired(T0 - 0.001)


def test_a_claim_is_live_until_its_holders_deadline_and_forever_without_one() -> None:
    claim = Record("k", RecordStatus.IN_PROGRESS, None, in_progress_expiry=T0, expiry=T0 + 100)
    assert claim.is_live_claim(T0 - 0.001) and not claim.is_live_claim(T0)
    open_ended = Record("k", RecordStatus.IN_PROGRESS, None, in_progress_expiry=None, expiry=T0 + 100)
    assert open_ended.is_live_claim(T0 + 99) and not open_ended.is_live_claim(T0 + 100)
    done = Record("k", RecordStatus.COMPLETED, {}, None, expiry=T0 + 100)
    assert not done.is_live_claim(T0)


def test_records_and_claims_are_immutable_and_a_refused_claim_has_no_token() -> None:
    import dataclasses

    from dwevents.idempotency import Claim

    record = Record("k", RecordStatus.COMPLETED, {}, None, expiry=T0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.expiry = T0 + 1  # type: ignore[misc]
    claim = Claim(acquired=False, record=record)
    with pytest.raises(dataclasses.FrozenInstanceError):
        claim.acquired = True  # type: ignore[misc]
    assert claim.token == "" and Claim(acquired=True).record is None


def test_results_are_kept_as_redis_would_give_them_back() -> None:
    store = MemoryStore(clock=Clock())
    cases = [
        ({1: "int key", "t": (1, 2)}, {"1": "int key", "t": [1, 2]}),
        (
            {"none": None, "f": 1.5, "b": True, "n": [None, {"x": "y"}]},
            {"none": None, "f": 1.5, "b": True, "n": [None, {"x": "y"}]},
        ),
    ]
    for i, (given, kept) in enumerate(cases):
        store.claim(f"k{i}", in_progress_until=T0 + 10, ttl_s=60)
        store.complete(f"k{i}", given, ttl_s=60)
        record = store.get(f"k{i}")
        assert record is not None and record.result == kept
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(40):
        node["d"] = {}
        node = node["d"]
    store.complete("deep", deep, ttl_s=60)
    record = store.get("deep")
    assert record is not None and record.result == deep and record.result is not deep


@pytest.fixture()
def logged(caplog: pytest.LogCaptureFixture) -> Any:
    """Records of the ``dwevents`` logger (which stops propagating once a runtime configured it)."""
    logger = logging.getLogger("dwevents")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_the_memory_store_logs_a_takeover_under_the_idempotency_logger(
    logged: pytest.LogCaptureFixture,
) -> None:
    caplog = logged
    clock = Clock()
    store = MemoryStore(clock=clock)
    store.claim("k", in_progress_until=T0 + 1, ttl_s=60)
    clock.now = T0 + 2
    store.claim("k", in_progress_until=T0 + 20, ttl_s=60)
    [warning] = {id(r): r for r in caplog.records if "lapsed" in r.getMessage()}.values()
    assert warning.name == "dwevents.idempotency" and warning.levelno == logging.WARNING


def test_release_without_a_token_drops_any_claim_and_sets_are_not_json() -> None:
    store = MemoryStore(clock=Clock())
    store.claim("k", in_progress_until=T0 + 10, ttl_s=60)
    store.release("k")
    assert store.get("k") is None
    store.claim("s", in_progress_until=T0 + 10, ttl_s=60)
    with pytest.raises(IdempotencyError):
        store.complete("s", {"s": {1, 2}}, ttl_s=60)
    with pytest.raises(ValueError, match=r"^max_items must be at least 1$"):
        MemoryStore(max_items=0)
    with pytest.raises(ValueError, match=r"^max_bytes must be at least 1$"):
        MemoryStore(max_bytes=0)


def test_a_verdict_report_is_immutable_and_its_optional_fields_default_to_none() -> None:
    import dataclasses

    report = VerdictReport(CheckResult.OK, ReplyApi.RETURN)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.acknowledged = True  # type: ignore[misc]
    assert (report.sent_as, report.sent_at, report.request_id, report.error, report.error_code) == (
        None, None, None, None, None,
    )  # fmt: skip


def test_the_key_is_the_namespace_and_40_hex_digits_of_source_and_id() -> None:
    key = idempotency_key("acs.dataworks", "id-1", namespace="ns")
    assert key.startswith("ns:") and len(key) == 43 and int(key[3:], 16) >= 0
    assert key != idempotency_key(None, "id-1", namespace="ns")
    assert idempotency_key(None, "id-1", namespace="ns") == idempotency_key("", "id-1", namespace="ns")
    assert idempotency_key("s", "lone \ud800", namespace="ns").startswith("ns:")  # no UnicodeEncodeError


def test_only_json_objects_can_be_recorded() -> None:
    assert result_text({"b": [1, "é"]}) == '{"b":[1,"\\u00e9"]}'
    with pytest.raises(IdempotencyError, match="not JSON-serializable"):
        result_text({"x": object()})
    with pytest.raises(IdempotencyError, match="must be a JSON object, got list"):
        result_text([1])  # type: ignore[arg-type]


def test_the_in_progress_error_is_transient_and_names_the_key_and_deadline() -> None:
    error = in_progress_error(Record("ns:k", RecordStatus.IN_PROGRESS, None, T0, T0 + 1))
    assert isinstance(error, AlreadyInProgressError) and error.transient
    assert str(error) == f"event ns:k is being processed by another invocation (claim held until {T0})"


# -- the memory store ----------------------------------------------------------------------------------------


def test_the_memory_store_counts_what_it_keeps_and_a_bigger_result_counts_more() -> None:
    store = MemoryStore(clock=Clock())
    assert store.size_bytes == 0
    store.claim("k1", in_progress_until=T0 + 10, ttl_s=60)
    claimed = store.size_bytes
    assert claimed > len("k1")
    store.complete("k1", {"a": 1}, ttl_s=60)
    small = store.size_bytes
    store.complete("k1", {"a": "x" * 500}, ttl_s=60)  # replaces the record: counted once, bigger
    assert claimed < small < store.size_bytes and store.size_bytes > 500 and len(store) == 1
    before = store.size_bytes
    store.release("k1")  # a completed record is never released
    assert store.size_bytes == before
    assert repr(store) == "MemoryStore(max_items=10000, max_bytes=8388608, size=1)"


def test_the_byte_budget_evicts_the_oldest_records_but_never_the_newest() -> None:
    probe = MemoryStore(clock=Clock())
    probe.claim("k1", in_progress_until=T0 + 10, ttl_s=60)
    one = probe.size_bytes  # what one empty claim with a 2-character key takes
    # GIVEN room for exactly two such claims
    store = MemoryStore(max_bytes=2 * one, clock=Clock())
    for key in ("k1", "k2"):
        store.claim(key, in_progress_until=T0 + 10, ttl_s=60)
    assert len(store) == 2 and store.size_bytes == 2 * one
    # WHEN a third arrives THEN the oldest goes, and the count goes back to two claims
    store.claim("k3", in_progress_until=T0 + 10, ttl_s=60)
    assert (store.get("k1"), len(store), store.size_bytes) == (None, 2, 2 * one)
    # AND a single record bigger than the whole budget is still kept (the newest is never evicted)
    store.complete("k3", {"big": "x" * 1000}, ttl_s=60)
    assert store.get("k3") is not None and len(store) == 1


def test_the_item_budget_keeps_the_most_recently_used() -> None:
    store = MemoryStore(max_items=2, clock=Clock())
    for key in ("a", "b"):
        store.claim(key, in_progress_until=T0 + 10, ttl_s=60)
        store.complete(key, {}, ttl_s=60)
    assert len(store) == 2  # exactly at the budget: nothing evicted
    assert not store.claim("a", in_progress_until=T0 + 10, ttl_s=60).acquired  # a duplicate; "a" is now fresh
    store.claim("c", in_progress_until=T0 + 10, ttl_s=60)
    assert [k for k in ("a", "b", "c") if store.get(k) is not None] == ["a", "c"]
    MemoryStore(max_items=1, max_bytes=1)  # one record is enough


@pytest.mark.parametrize(("items", "size"), [(0, 1), (1, 0)])
def test_a_memory_store_needs_room_for_one_record(items: int, size: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MemoryStore(max_items=items or 5, max_bytes=size or 5) if items and size else MemoryStore(
            max_items=items, max_bytes=size
        )


def test_a_lapsed_claim_is_taken_over_and_the_late_holder_is_fenced_out() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    first = store.claim("k", in_progress_until=T0 + 10, ttl_s=60)
    with pytest.raises(AlreadyInProgressError):
        store.claim("k", in_progress_until=T0 + 20, ttl_s=60)
    clock.now = T0 + 10  # the holder's deadline: its claim lapses at that instant
    second = store.claim("k", in_progress_until=T0 + 40, ttl_s=60)
    assert second.acquired and second.token != first.token
    store.release("k", token=first.token)  # the late holder cannot drop the new claim …
    store.complete("k", {"late": True}, ttl_s=60, token=first.token)  # … nor overwrite it
    current = store.get("k")
    assert (
        current is not None and current.status is RecordStatus.IN_PROGRESS and current.owner == second.token
    )
    assert current.result is None and current.in_progress_expiry == T0 + 40
    store.complete("k", {"ok": True}, ttl_s=60, token=second.token)
    done = store.get("k")
    assert done is not None and (done.status, done.result, done.expiry) == (
        RecordStatus.COMPLETED, {"ok": True}, T0 + 70,
    )  # fmt: skip
    assert done.in_progress_expiry is None and done.owner == second.token
    store.release("k", token=second.token)
    assert store.get("k") is not None  # completed records stay


def test_a_claim_lasts_at_least_until_its_deadline_even_with_a_short_ttl() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    store.claim("k", in_progress_until=T0 + 500, ttl_s=60)
    record = store.get("k")
    assert record is not None and record.expiry == T0 + 500 and record.in_progress_expiry == T0 + 500
    clock.now = T0 + 500
    assert store.get("k") is None and len(store) == 0  # expired records are dropped when read


# -- the gate -----------------------------------------------------------------------------------------------


def test_the_gate_refuses_a_ttl_that_is_not_positive() -> None:
    for ttl in (0, -1):
        with pytest.raises(ConfigError, match="TTL must be positive") as info:
            Idempotency(MemoryStore(), ttl_s=ttl)
        assert info.value.key == "idempotency.ttl_seconds"  # type: ignore[attr-defined]
    gate = Idempotency(MemoryStore(max_items=3), ttl_s=60, namespace="ns")
    assert (
        repr(gate)
        == "Idempotency(MemoryStore(max_items=3, max_bytes=8388608, size=0), namespace='ns', ttl_s=60.0)"
    )


def test_the_claim_window_is_the_time_left_never_negative_and_five_minutes_when_unknown() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    gate = Idempotency(store, ttl_s=1, clock=clock, namespace="ns")
    windows = {}
    for message_id, remaining in (("a", 2500), ("b", -40), ("c", None)):
        ticket = gate.claim("s", message_id, remaining_ms=remaining)
        record = store.get(ticket.key)
        assert record is not None and record.in_progress_expiry is not None
        windows[message_id] = record.in_progress_expiry - T0
    assert windows == {"a": 2.5, "b": 0.0, "c": 300.0}


def test_a_duplicate_gets_a_copy_of_the_stored_result_and_an_empty_one_when_nothing_was_kept() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    gate = Idempotency(store, ttl_s=60, clock=clock)
    ticket = gate.claim("s", "m", remaining_ms=1000)
    assert not ticket.duplicate and ticket.token
    assert gate.complete(ticket, {"verdict": {"result": "FAIL"}}) is True
    again = gate.claim("s", "m", remaining_ms=1000)
    assert again.duplicate and again.stored == {"verdict": {"result": "FAIL"}} and again.token == ""
    assert again.stored is not None
    again.stored["verdict"]["result"] = "OK"
    assert gate.claim("s", "m", remaining_ms=1000).stored == {"verdict": {"result": "FAIL"}}
    empty = gate.claim("s", "e", remaining_ms=1000)
    gate.complete(empty, {})
    assert gate.claim("s", "e", remaining_ms=1000).stored == {}


def test_a_result_that_cannot_be_recorded_is_reported_false_not_raised() -> None:
    gate = Idempotency(MemoryStore(), ttl_s=60)
    ticket = gate.claim("s", "m", remaining_ms=1000)
    assert gate.complete(ticket, {"x": object()}) is False


def test_run_releases_the_claim_when_the_effect_raises_and_returns_the_stored_result_after() -> None:
    gate = Idempotency(MemoryStore(), ttl_s=60)
    calls: list[int] = []

    def effect() -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise TransientError("once")
        return {"n": len(calls)}

    with pytest.raises(TransientError):
        gate.run("s", "m", effect, remaining_ms=1000)
    assert gate.run("s", "m", effect, remaining_ms=1000) == ({"n": 2}, False)
    assert gate.run("s", "m", effect, remaining_ms=1000) == ({"n": 2}, True)
    assert len(calls) == 2


# -- typed results -------------------------------------------------------------------------------------------


def test_a_verdict_report_as_json_and_as_the_verdict_it_carries() -> None:
    report = VerdictReport(
        CheckResult.WARN,
        ReplyApi.CALLBACK_EXTENSION,
        "tip",
        "r",
        "policy",
        True,
        2,
        "WARN",
        "2024-01-01T00:00:00.000+00:00",
        "req",
        None,
        None,
    )
    assert report.as_dict() == {
        "result": "WARN", "api": "CallbackExtension", "tip": "tip", "rule": "r", "origin": "policy",
        "acknowledged": True, "attempts": 2, "sent_as": "WARN", "sent_at": "2024-01-01T00:00:00.000+00:00",
        "request_id": "req", "error": None, "error_code": None,
    }  # fmt: skip
    assert report.verdict == Verdict(CheckResult.WARN, "tip", "r", "policy")
    bare = VerdictReport(CheckResult.OK, ReplyApi.RETURN)
    assert (bare.tip, bare.rule, bare.origin, bare.acknowledged, bare.attempts) == (
        "",
        None,
        "policy",
        False,
        0,
    )


def test_an_event_result_as_json() -> None:
    result = EventResult("m", "t", "commit-file", "fn", Outcome.DUPLICATE)
    assert result.as_dict() == {
        "message_id": "m", "type": "t", "event_code": "commit-file", "function": "fn", "outcome": "duplicate",
        "actions": [], "verdict": None, "error": None, "retry": False,
    }  # fmt: skip
    assert [o.value for o in Outcome] == ["processed", "duplicate", "refused", "failed", "unrouted"]


def test_the_handler_returns_json_or_raises_the_retry_error_naming_the_events() -> None:
    ok = EventResult("a", None, None, "fn", Outcome.PROCESSED)
    retry_b = EventResult("b", None, None, "fn", Outcome.FAILED, retry=True)
    retry_c = EventResult("c", None, None, "fn", Outcome.FAILED, retry=True)
    fine = InvocationResult("req", "fn", [ok])
    assert not fine.needs_retry
    assert json.loads(fine.handler_return()) == {
        "request_id": "req",
        "function": "fn",
        "events": [ok.as_dict()],
    }
    failing = InvocationResult("req", "fn", [ok, retry_b, retry_c])
    assert failing.needs_retry
    with pytest.raises(RetryBatchError) as info:
        failing.handler_return()
    assert str(info.value) == "2 event(s) need a retry: b, c"
    assert isinstance(info.value, TransientError)


def test_an_fc_direct_answer_is_returned_even_when_an_event_asks_for_a_retry() -> None:
    answer = DirectAnswer(CheckResult.FAIL, "no", "msg-1")
    result = InvocationResult(
        "req", "fn", [EventResult("msg-1", None, None, "fn", Outcome.FAILED, retry=True)], answer
    )
    assert json.loads(result.handler_return()) == {
        "checkResult": "FAIL",
        "checkResultTip": "no",
        "messageId": "msg-1",
    }


def test_the_handler_json_keeps_unicode_and_escapes_only_what_cannot_be_written() -> None:
    assert dumps({"a": "é"}) == '{"a": "é"}'
    assert dumps({"a": "\ud800"}) == '{"a": "\\ud800"}'
    assert dumps({"when": T0}) == '{"when": 1700000000.0}'
    assert dumps({"x": {1, 2}} if False else {"x": Outcome.FAILED}) == '{"x": "failed"}'


def test_the_handler_return_names_the_audit_record_and_metrics_without_repeating_them() -> None:
    """GIVEN an event whose audit record and metric lines were logged, WHEN the handler returns, THEN
    the JSON says they were logged (and how many values) and does not carry them a second time; the
    typed result still holds them."""
    record = {"audit": True, "message_id": "a", "workspace_id": 42}
    lines = [{"metric": "m", "value": 1}, {"metric": "m", "value": 2}]
    notify = {"action": "notify", "channel": "console", "ok": True}
    event = EventResult(
        "a", None, None, "fn", Outcome.PROCESSED,
        actions=[{"action": "audit", "record": record}, {"action": "metrics", "lines": lines}, notify],
    )  # fmt: skip
    returned = json.loads(InvocationResult("req", "fn", [event]).handler_return())
    assert returned["events"][0]["actions"] == [
        {"action": "audit", "logged": True},
        {"action": "metrics", "values": 2, "logged": "audit record"},
        notify,
    ]
    assert event.actions[0]["record"] is record
