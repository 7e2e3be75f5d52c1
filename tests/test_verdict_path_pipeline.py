"""What the pipeline does with each kind of failure: retry, dead-letter, or both never.

The mutation run (``python3 -m tests.mutation``, docs/testing.md) found the retry/dead-letter decision
unpinned: transient and permanent swapped, an unexpected exception, a store failing for a regular
event, an event with no account to check, an FC-direct message that fails before its verdict. Each
test runs the real FunctionApp with a dead-letter file and READS it: a dead letter nobody reads proves
nothing. DataWorks is the signature-checking stand-in; Redis is a real redis-server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from dwevents.errors import ConfigError, DwEventsError, TransientError
from dwevents.runtime import FunctionApp, RetryBatchError

from .conftest import SAMPLE_ACCOUNT, load_sample, raw, redis_helper
from .conftest import sample_event as event

INSTANCE = "InstanceStatusChanges/instance-status-changes"
COMMIT = "FileChange/commit-file"
DOWNLOAD = "fc-direct/download-resources"


@pytest.fixture()
def make_app(standin: Any, tmp_path: Path) -> Callable[..., FunctionApp]:
    def make(category: str = "InstanceStatusChanges", **env: str) -> FunctionApp:
        config = tmp_path / "config.yaml"
        config.write_text(f"dead_letter:\n  file: {tmp_path / 'dlq.jsonl'}\n", encoding="utf-8")
        rules = tmp_path / "pass-all.yaml"
        rules.write_text("version: 1\nrules: []\n", encoding="utf-8")
        environ = {
            **standin.client_env(),
            "DWEVENTS_EXTENSION_CODE": "ext",
            "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
            "DWEVENTS_CONFIG": str(config),
            "DWEVENTS_RULES": str(rules),
            **env,
        }
        return FunctionApp(category, environ=environ)

    return make


@pytest.fixture()
def letters(tmp_path: Path) -> Callable[[], list[dict[str, Any]]]:
    def read() -> list[dict[str, Any]]:
        path = tmp_path / "dlq.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    return read


# -- a reaction fails: transient → retry (nothing dead-lettered); permanent → dead letter (no retry) ----


def test_given_a_reaction_failing_transiently_then_retried_not_dead_lettered_and_the_retry_runs_it_again(
    make_app: Callable[..., FunctionApp], fc_context: Any, letters: Callable[[], list[dict[str, Any]]]
) -> None:
    app = make_app()
    runs: list[str] = []

    @app.on("instance-status-changes")
    def flaky(ev: Any, invocation: Any) -> None:
        runs.append(ev.message_id)
        if len(runs) == 1:
            raise TransientError("webhook busy")

    doc = event(INSTANCE, "transient-1")
    first = app.process(raw(doc), fc_context())
    [failed] = first.events
    assert (failed.outcome, failed.retry, failed.error) == ("failed", True, "webhook busy")
    assert letters() == []
    with pytest.raises(RetryBatchError, match="transient-1"):
        first.handler_return()
    # the claim was released: EventBridge's retry runs the reaction again (not a duplicate)
    [second] = app.process(raw(doc), fc_context()).events
    assert second.outcome == "processed" and runs == ["transient-1", "transient-1"]


def test_given_a_reaction_failing_permanently_then_dead_lettered_and_not_retried(
    make_app: Callable[..., FunctionApp], fc_context: Any, letters: Callable[[], list[dict[str, Any]]]
) -> None:
    app = make_app()

    @app.on("instance-status-changes")
    def broken(ev: Any, invocation: Any) -> None:
        raise ConfigError("channel 'ops' has no URL")

    result = app.process(raw(event(INSTANCE, "permanent-1")), fc_context())
    [failed] = result.events
    assert (failed.outcome, failed.retry) == ("failed", False)
    assert "channel 'ops' has no URL" in (failed.error or "")
    [letter] = letters()
    assert letter["message_id"] == "permanent-1" and "channel 'ops' has no URL" in letter["reason"]
    assert letter["event"]["id"] == "permanent-1"
    json.loads(result.handler_return())  # returns normally: nothing to retry


def test_given_a_reaction_with_a_bug_then_the_event_is_retried_the_batch_goes_on_and_the_error_is_named(
    make_app: Callable[..., FunctionApp], fc_context: Any, letters: Callable[[], list[dict[str, Any]]]
) -> None:
    # GIVEN a reaction that raises something that is not a dwevents error (a bug) for one event
    app = make_app()
    seen: list[str] = []

    @app.on("instance-status-changes")
    def buggy(ev: Any, invocation: Any) -> None:
        seen.append(ev.message_id)
        if ev.message_id == "bug":
            raise KeyError("missing")

    batch = [event(INSTANCE, "before"), event(INSTANCE, "bug"), event(INSTANCE, "after")]
    result = app.process(raw(batch), fc_context())
    # THEN that event failed with a retry (EventBridge bounds it, then its dead-letter queue) …
    assert [(e.outcome.value, e.retry) for e in result.events] == [
        ("processed", False), ("failed", True), ("processed", False),
    ]  # fmt: skip
    assert result.events[1].error == "KeyError: 'missing'"
    # … the rest of the batch ran, nothing was dead-lettered here, and the retry runs the reaction again
    assert seen == ["before", "bug", "after"] and letters() == []
    app.process(raw(batch), fc_context())
    assert seen[3:] == ["bug"]


# -- the idempotency store fails for a regular event ----------------------------------------------------


def test_given_a_foreign_value_under_the_events_key_then_a_regular_event_is_dead_lettered_not_retried(
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
    tmp_path: Path,
    letters: Callable[[], list[dict[str, Any]]],
) -> None:
    with redis_helper().run_redis_server(tmp_path / "redis") as url:
        app = make_app(DWEVENTS_REDIS_URL=url)
        app.initialize(fc_context())
        doc = event(INSTANCE, "foreign-value")
        # GIVEN something else stored a plain string under the event's key (a permanent store error)
        redis.Redis.from_url(url).set(app.pipeline().idempotency.key(doc["source"], doc["id"]), "not ours")
        [result] = app.process(raw(doc), fc_context()).events
    assert (result.outcome, result.retry) == ("failed", False)
    [letter] = letters()
    assert letter["message_id"] == "foreign-value" and letter["reason"].startswith("idempotency store: ")


def test_given_redis_down_then_a_regular_event_is_retried_and_not_dead_lettered(
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
    tmp_path: Path,
    letters: Callable[[], list[dict[str, Any]]],
) -> None:
    with redis_helper().run_redis_server(tmp_path / "redis") as url:
        app = make_app(DWEVENTS_REDIS_URL=url)
        app.initialize(fc_context())
    # WHEN the server is gone
    [result] = app.process(raw(event(INSTANCE, "redis-gone")), fc_context()).events
    assert (result.outcome, result.retry) == ("failed", True)
    assert "unavailable" in (result.error or "")
    assert letters() == []


# -- trust: no account to check ---------------------------------------------------------------------------


def test_given_no_account_configured_nor_in_the_context_then_refused_and_dead_lettered(
    standin: Any, fc_context: Any, tmp_path: Path, letters: Callable[[], list[dict[str, Any]]]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"dead_letter:\n  file: {tmp_path / 'dlq.jsonl'}\n", encoding="utf-8")
    app = FunctionApp("InstanceStatusChanges", environ={"DWEVENTS_CONFIG": str(config)})
    context = fc_context()
    context.account_id = None
    [result] = app.process(raw(event(INSTANCE, "no-account")), context).events
    assert result.outcome == "refused" and not result.retry
    assert (result.error or "").startswith("no account to check the event against")
    [letter] = letters()
    assert letter["message_id"] == "no-account" and letter["reason"].startswith("refused: no account")


# -- FC-direct: DataWorks waits for the return value, whatever fails ------------------------------------


def test_given_an_fc_direct_message_whose_processing_fails_then_the_return_value_is_the_fail_mode(
    make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    # GIVEN the idempotency store holds the message for another (live) invocation
    app = make_app("ResourcesDownload", DWEVENTS_FAIL_MODE="FAIL")
    app.initialize(fc_context())
    direct = load_sample(DOWNLOAD)
    app.pipeline().idempotency.claim("acs.dataworks", direct["messageId"], remaining_ms=60_000)
    # WHEN DataWorks invokes the function directly
    answer = json.loads(app.handler(raw(direct), fc_context()))
    # THEN the return value is the ExtensionResponse: the fail mode, naming what went wrong
    assert answer["checkResult"] == "FAIL" and answer["messageId"] == direct["messageId"]
    assert answer["checkResultTip"].startswith("dwevents: the event could not be processed (")
    assert "another invocation" in answer["checkResultTip"]


def test_given_an_fc_direct_message_sent_to_another_function_then_no_answer_and_refused(
    make_app: Callable[..., FunctionApp], fc_context: Any, letters: Callable[[], list[dict[str, Any]]]
) -> None:
    app = make_app("FileChange")
    result = app.process(raw(load_sample(DOWNLOAD)), fc_context())
    assert result.answer is None
    [refused] = result.events
    assert refused.outcome == "refused" and refused.verdict is None
    assert "accepted only by ResourcesDownload and ResourcesUpload, not FileChange" in (refused.error or "")
    assert len(letters()) == 1


# -- the record a duplicate needs --------------------------------------------------------------------------


def test_the_idempotency_record_holds_the_outcome_and_the_verdict_only(
    make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = make_app("FileChange")
    doc = event(COMMIT, "recorded")
    app.process(raw(doc), fc_context())
    gate = app.pipeline().idempotency
    record = gate.store.get(gate.key(doc["source"], doc["id"]))
    assert record is not None and record.result is not None
    assert set(record.result) == {"outcome", "verdict", "at"}
    assert record.result["outcome"] == "processed"
    assert record.result["verdict"] == {"result": "OK", "tip": "", "rule": None, "origin": "policy"}


def test_a_regular_event_is_recorded_with_no_verdict(
    make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = make_app()
    doc = event(INSTANCE, "regular-recorded")
    app.process(raw(doc), fc_context())
    gate = app.pipeline().idempotency
    record = gate.store.get(gate.key(doc["source"], doc["id"]))
    assert record is not None and record.result is not None
    assert (record.result["outcome"], record.result["verdict"]) == ("processed", None)


def test_dwevents_errors_are_the_ones_with_a_transient_flag() -> None:
    # the pipeline branches on this flag: pin the two kinds the tests above rely on
    assert TransientError("x").transient is True and ConfigError("x").transient is False
    assert issubclass(ConfigError, DwEventsError)


# -- salvage: the envelope of an element that did not decode ---------------------------------------------


def test_salvage_reads_an_fc_direct_messages_id_and_type_and_nothing_else() -> None:
    from dwevents.pipeline import salvage

    event = salvage({"messageId": "m-1", "eventType": "download-resources", "blockBusiness": True, "x": 1})
    assert event is not None
    assert (event.message_id, event.type, event.event_code, event.source, event.delivery) == (
        "m-1", "dataworks:ResourcesDownload:DownloadResources", "download-resources",
        "acs.dataworks", "fc-direct",
    )  # fmt: skip
    assert (event.time, event.account, event.region, event.bus, event.block_business) == (
        None,
        None,
        None,
        None,
        True,
    )
    assert dict(event.attributes) == {"messageId": "m-1", "eventType": "download-resources"}
    unknown = salvage({"messageBody": {}, "messageId": "m-2", "eventType": "nope", "blockBusiness": "yes"})
    assert unknown is not None and (unknown.type, unknown.event_code, unknown.spec) == (None, None, None)
    assert unknown.block_business is None  # only a real Boolean counts
    for broken in (
        {"messageId": "", "eventType": "x"},
        {"messageId": 5, "eventType": "x"},
        {"messageBody": {}, "eventType": "x"},
        {"messageId": "m", "eventType": 3},
        ["m"],
        "m",
    ):
        assert salvage(broken) is None


def test_salvage_reads_a_cloudevents_id_type_source_and_account() -> None:
    from dwevents.pipeline import salvage

    event = salvage(
        {
            "id": "e-1",
            "type": "dataworks:FileChange:CommitFile",
            "source": "acs.dataworks",
            "aliyunaccountid": "123",
            "data": "not an object",
        }
    )
    assert event is not None
    assert (event.message_id, event.type, event.event_code, event.source, event.account, event.delivery) == (
        "e-1", "dataworks:FileChange:CommitFile", "commit-file", "acs.dataworks", "123", "cloudevent",
    )  # fmt: skip
    assert (event.time, event.region, event.bus) == (None, None, None)
    assert event.spec is not None and event.spec.event_code == "commit-file"
    assert dict(event.attributes) == {
        "id": "e-1",
        "type": "dataworks:FileChange:CommitFile",
        "source": "acs.dataworks",
        "aliyunaccountid": "123",
    }
    odd = salvage({"id": "e-2", "type": "dataworks:FileChange:Nope", "source": 7, "aliyunaccountid": None})
    assert odd is not None and (odd.event_code, odd.spec, odd.source, odd.account) == (None, None, None, None)
    for broken in ({"id": "", "type": "t"}, {"id": "e", "type": None}, {"type": "t"}):
        assert salvage(broken) is None
