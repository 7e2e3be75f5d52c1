"""The pipeline every function shares: decode → trust → idempotency → route → action → result."""

from __future__ import annotations

import copy
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from dwevents import logs
from dwevents.config import Settings, load_settings
from dwevents.envelope import decode_one
from dwevents.errors import TransientError
from dwevents.pipeline import needs_verdict
from dwevents.runtime import FunctionApp, RetryBatchError

from .conftest import SAMPLE_ACCOUNT, load_sample

INSTANCE = "InstanceStatusChanges/instance-status-changes"


def _bytes(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def _app(category: str = "InstanceStatusChanges", tmp_path: Path | None = None, **env: str) -> FunctionApp:
    environ = {"DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT, **env}
    if tmp_path is not None:
        config = tmp_path / "config.yaml"
        config.write_text(
            f"dead_letter:\n  file: {tmp_path / 'dlq.jsonl'}\naudit:\n  file: {tmp_path / 'audit.jsonl'}\n"
        )
        environ["DWEVENTS_CONFIG"] = str(config)
    return FunctionApp(category, environ=environ)


def test_given_a_failed_instance_when_handled_then_audit_metrics_and_console_notification(
    fc_context: Any,
) -> None:
    app = _app()
    result = app.process(_bytes(load_sample(INSTANCE)), fc_context())
    [event] = result.events
    assert event.outcome == "processed"
    kinds = [a["action"] for a in event.actions]
    assert kinds[0] == "audit" and "metrics" in kinds and "notify" in kinds
    notify = next(a for a in event.actions if a["action"] == "notify")
    assert notify["channel"] == "console" and notify["ok"] is True
    assert "failed in workspace 42" in notify["text"]
    assert event.verdict is None


def test_given_the_same_event_twice_when_handled_then_the_second_is_a_duplicate(fc_context: Any) -> None:
    app = _app()
    raw = _bytes(load_sample(INSTANCE))
    first = app.process(raw, fc_context()).events[0]
    second = app.process(raw, fc_context()).events[0]
    assert (first.outcome, second.outcome) == ("processed", "duplicate")
    assert second.actions[0]["action"] == "skip"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e.update(source="acs.oss"), "source 'acs.oss' is not allowed"),
        (lambda e: e.update(aliyunaccountid="999"), "account '999' is not allowed"),
        (
            lambda e: e.update(
                type="dataworks:DagStatusChanges:DagStatusChanges",
                data={**e["data"], "eventCode": "dag-status-changes"},
            ),
            "belongs to the DagStatusChanges function",
        ),
    ],
    ids=["foreign-source", "foreign-account", "other-function"],
)
def test_given_an_event_not_for_us_when_handled_then_refused_with_a_clear_error_and_dead_lettered(
    mutate: Any, reason: str, fc_context: Any, tmp_path: Path
) -> None:
    event = load_sample(INSTANCE)
    mutate(event)
    app = _app(tmp_path=tmp_path)
    [result] = app.process(_bytes(event), fc_context()).events
    assert result.outcome == "refused"
    assert reason in (result.error or "")
    dlq = (tmp_path / "dlq.jsonl").read_text().splitlines()
    assert len(dlq) == 1 and reason in json.loads(dlq[0])["reason"]


def test_given_no_configured_account_when_handled_then_the_functions_own_account_is_trusted(
    fc_context: Any,
) -> None:
    app = FunctionApp("InstanceStatusChanges", environ={})
    ours = app.process(_bytes(load_sample(INSTANCE)), fc_context(account_id=SAMPLE_ACCOUNT)).events[0]
    theirs = copy.deepcopy(load_sample(INSTANCE))
    theirs["id"] = "another-id"
    foreign = app.process(_bytes(theirs), fc_context(account_id="5555")).events[0]
    assert ours.outcome == "processed"
    assert foreign.outcome == "refused"


def test_given_rawdata_delivery_when_not_allowed_then_refused(fc_context: Any) -> None:
    app = _app()
    [result] = app.process(_bytes(load_sample(INSTANCE)["data"]), fc_context()).events
    assert result.outcome == "refused" and "RawData" in (result.error or "")


def test_given_a_batch_with_a_bad_element_when_handled_then_the_others_are_processed(
    fc_context: Any, tmp_path: Path
) -> None:
    good = load_sample(INSTANCE)
    other = copy.deepcopy(good)
    other["id"] = "second-good-id"
    bad = copy.deepcopy(good)
    bad["id"] = "bad-id"
    bad["data"]["status"] = "not-a-status"
    app = _app(tmp_path=tmp_path)
    result = app.process(_bytes([good, bad, other]), fc_context())
    outcomes = [e.outcome for e in result.events]
    assert outcomes == ["processed", "failed", "processed"]
    assert "event[1].data.status" in (result.events[1].error or "")
    assert not result.needs_retry  # undecodable events are dead-lettered, not retried forever
    assert "undecodable" in (tmp_path / "dlq.jsonl").read_text()


def test_given_a_transient_failure_in_a_batch_when_handled_then_raises_after_the_rest_are_done(
    fc_context: Any,
) -> None:
    app = _app()
    calls: list[str] = []

    @app.on("instance-status-changes")
    def flaky(event: Any, invocation: Any) -> dict[str, Any]:
        calls.append(event.message_id)
        if event.message_id == "flaky":
            raise TransientError("webhook busy")
        return {"actions": [{"action": "custom"}]}

    events = [
        load_sample(INSTANCE),
        {**load_sample(INSTANCE), "id": "flaky"},
        {**load_sample(INSTANCE), "id": "x3"},
    ]
    with pytest.raises(RetryBatchError, match="flaky"):
        app.handler(_bytes(events), fc_context())
    assert calls == [events[0]["id"], "flaky", "x3"]
    # EventBridge retries the whole batch: the finished events are duplicates, the failed one runs again.
    calls.clear()
    with pytest.raises(RetryBatchError):
        app.handler(_bytes(events), fc_context())
    assert calls == ["flaky"]


def test_given_an_unknown_type_of_our_category_when_handled_then_the_default_route_audits_it(
    fc_context: Any,
) -> None:
    event = load_sample(INSTANCE)
    event["type"] = "dataworks:InstanceStatusChanges:SomethingNew"
    event["data"].pop("eventCode")
    app = _app()
    [result] = app.process(_bytes(event), fc_context()).events
    assert result.outcome == "processed"
    assert result.actions[0]["record"]["title"] == "Unknown DataWorks event"


def test_given_garbage_when_handled_then_failed_and_dead_lettered_not_raised(
    fc_context: Any, tmp_path: Path
) -> None:
    app = _app(tmp_path=tmp_path)
    out = json.loads(app.handler(b"{not json", fc_context()))
    assert out["events"][0]["outcome"] == "failed"
    assert "input is not JSON" in out["events"][0]["error"]
    # AND the dead letter the name promises is there, holding the input
    [letter] = [json.loads(line) for line in (tmp_path / "dlq.jsonl").read_text().splitlines()]
    assert letter["reason"].startswith("undecodable: ") and "input is not JSON" in letter["reason"]
    assert letter["event"] == "{not json"


def test_given_logs_during_an_invocation_then_every_line_carries_message_id_type_and_request_id(
    fc_context: Any,
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("dwevents")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        context = fc_context()
        _app().process(_bytes(load_sample(INSTANCE)), context)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    event_lines = [line for line in lines if line.get("logger") in ("dwevents.audit", "dwevents.metrics")]
    assert event_lines
    for line in event_lines:
        assert line["request_id"] == context.request_id
        assert line["message_id"] == load_sample(INSTANCE)["id"]
        assert line["type"] == "dataworks:InstanceStatusChanges:InstanceStatusChanges"


def test_given_a_bad_config_when_the_function_starts_then_it_starts_and_regular_events_are_retried(
    tmp_path: Path, fc_context: Any
) -> None:
    # GIVEN a config file naming a channel that does not exist
    config = tmp_path / "config.yaml"
    config.write_text(
        "notifications:\n  routes:\n    - name: x\n      events: [instance-status-changes]\n"
        "      channels: [nowhere]\n"
    )
    app = FunctionApp(
        "InstanceStatusChanges",
        environ={"DWEVENTS_CONFIG": str(config), "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT},
    )
    # WHEN FC runs the initializer THEN it does not raise, and keeps the error naming the key
    app.initialize(fc_context())
    assert app.setup_error is not None
    assert "notifications.routes[0].channels[0]: unknown channel 'nowhere'" in app.setup_error
    # WHEN a regular event arrives THEN the handler raises the retry error (EventBridge keeps the event)
    with pytest.raises(RetryBatchError):
        app.handler(_bytes(load_sample(INSTANCE)), fc_context())
    [event] = app.process(_bytes(load_sample(INSTANCE)), fc_context()).events
    assert event.outcome == "failed" and event.retry
    assert "unknown channel 'nowhere'" in (event.error or "")


def test_needs_verdict_follows_the_catalogue() -> None:
    assert needs_verdict(decode_one(_bytes(load_sample("FileChange/commit-file"))))  # both: always answered
    assert needs_verdict(decode_one(_bytes(load_sample("NodeChange/freeze-node"))))
    assert not needs_verdict(decode_one(_bytes(load_sample(INSTANCE))))


def test_settings_defaults_need_no_configuration() -> None:
    settings = load_settings(environ={})
    assert isinstance(settings, Settings)
    assert settings.idempotency.redis_url is None and settings.extension.fail_mode == "WARN"


# --------------------------------------------------------------------------------------------
# Registered actions: they decide extension points, and every event is still audited
# --------------------------------------------------------------------------------------------


def _extension_app(standin: Any, category: str = "FileChange") -> FunctionApp:
    return FunctionApp(
        category,
        environ={
            **standin.client_env(),
            "DWEVENTS_EXTENSION_CODE": "ext",
            "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
        },
    )


def test_given_a_registered_action_for_an_extension_point_then_its_verdict_is_sent(
    standin: Any, fc_context: Any
) -> None:
    from dwevents.verdict import CheckResult, Verdict

    app = _extension_app(standin)

    @app.decide("deploy-file")
    def release_gate(event: Any, invocation: Any) -> Verdict:
        return Verdict(CheckResult.FAIL, f"{event.payload.file_name} needs a release ticket")

    [result] = app.process(_bytes(load_sample("FileChange/deploy-file")), fc_context()).events
    [received] = standin.verdicts
    assert (received.action, received.check_result) == ("UpdateIDEEventResult", "FAIL")
    assert "needs a release ticket" in received.tip
    assert result.actions[0]["action"] == "audit" and result.verdict and result.verdict.result == "FAIL"


@pytest.mark.parametrize("behaviour", ["raises", "returns-garbage"])
def test_given_a_registered_action_that_fails_then_the_fail_mode_verdict_is_sent(
    behaviour: str, standin: Any, fc_context: Any
) -> None:
    app = _extension_app(standin, "NodeChange")

    @app.decide("freeze-node")
    def broken(event: Any, invocation: Any) -> Any:
        if behaviour == "raises":
            raise RuntimeError("lookup service down")
        return {"not": "a verdict"}

    [result] = app.process(_bytes(load_sample("NodeChange/freeze-node")), fc_context()).events
    [received] = standin.verdicts
    assert received.action == "UpdateWorkbenchEventResult" and received.check_result == "OK"  # WARN → OK
    assert result.verdict and result.verdict.origin == "fail-open" and result.verdict.acknowledged


def test_given_a_registered_action_for_a_regular_event_then_the_event_is_still_audited(
    fc_context: Any,
) -> None:
    app = _app()

    @app.on("instance-status-changes")
    def custom(event: Any, invocation: Any) -> dict[str, Any]:
        return {"actions": [{"action": "ticket", "id": "OPS-1"}]}

    [result] = app.process(_bytes(load_sample(INSTANCE)), fc_context()).events
    assert [a["action"] for a in result.actions] == ["audit", "ticket"]


def test_given_a_policy_clock_set_before_the_start_then_the_rules_judge_at_that_instant(
    standin: Any, fc_context: Any
) -> None:
    # GIVEN the gallery's change freeze and an app built elsewhere, its clock set to a frozen day
    from datetime import datetime, timezone

    import dwevents
    from dwevents.errors import DwEventsError
    from dwevents.verdict import CheckResult

    rules = Path(dwevents.__file__).parent / "data" / "rules" / "change-freeze.yaml"
    app = FunctionApp(
        "FileChange",
        environ={
            **standin.client_env(),
            "DWEVENTS_RULES": str(rules),
            "DWEVENTS_EXTENSION_CODE": "ext-test",
            "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
        },
    )
    frozen = datetime(2026, 12, 25, 2, 0, tzinfo=timezone.utc)
    app.set_policy_clock(lambda: frozen)
    # WHEN a commit is handled
    [event] = app.process(json.dumps(load_sample("FileChange/commit-file")).encode(), fc_context()).events
    # THEN the freeze blocks it, and the clock can no longer be changed once the app has started
    assert event.verdict is not None and event.verdict.result is CheckResult.FAIL
    assert event.verdict.rule == "year-end-freeze" and "2026-12-24" in event.verdict.tip
    with pytest.raises(DwEventsError, match="already started"):
        app.set_policy_clock(lambda: frozen)
