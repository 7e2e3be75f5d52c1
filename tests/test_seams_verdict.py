"""The verdict promise at every seam before the decision (issue 10, items 1 and 3, alerts-only mode).

Each test runs the real FunctionApp against the signature-checking DataWorks stand-in (and a real
redis-server where a store is involved): a broken config or rules file, an unreachable store, a failure
after the verdict, one bad event in a batch, an unacknowledged verdict, deciders and reactions, no
extension code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from dwevents.policy import PolicyEngine
from dwevents.runtime import FunctionApp, RetryBatchError
from dwevents.verdict import CheckResult, Verdict

from .conftest import SAMPLE_ACCOUNT, load_sample, raw, redis_helper
from .conftest import sample_event as event

COMMIT = "FileChange/commit-file"
DEPLOY = "FileChange/deploy-file"
INSTANCE = "InstanceStatusChanges/instance-status-changes"
BLOCK_DEPLOYS = (
    "version: 1\nrules:\n  - name: no-deploys\n    events: [deploy-file]\n"
    "    check: {deny: {field: workspace, values: ['*']}}\n    verdict: FAIL\n    tip: deploys are frozen\n"
)
PASS_ALL = "version: 1\nrules: []\n"


@pytest.fixture()
def make_app(standin: Any, tmp_path: Path) -> Callable[..., FunctionApp]:
    """A FunctionApp pointed at the stand-in; ``rules`` is YAML text written to a file."""

    def make(category: str = "FileChange", rules: str | None = None, **env: str) -> FunctionApp:
        environ = {
            **standin.client_env(),
            "DWEVENTS_EXTENSION_CODE": "ext",
            "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
            "DWEVENTS_MAX_DECISION_MS": "2000",
        }
        if rules is not None:
            path = tmp_path / f"rules-{len(list(tmp_path.glob('rules-*.yaml')))}.yaml"
            path.write_text(rules, encoding="utf-8")
            environ["DWEVENTS_RULES"] = str(path)
        environ.update(env)
        return FunctionApp(category, environ=environ)

    return make


@pytest.fixture()
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts rule evaluations (the real evaluation still runs)."""
    calls: list[str] = []
    original = PolicyEngine.evaluate

    def counting(self: PolicyEngine, event: Any, enricher: Any) -> Any:
        calls.append(event.message_id)
        return original(self, event, enricher)

    monkeypatch.setattr(PolicyEngine, "evaluate", counting)
    return calls


@pytest.fixture()
def logged(caplog: pytest.LogCaptureFixture) -> Any:
    """Records of the ``dwevents`` logger (which stops propagating once the runtime configures it)."""
    logger = logging.getLogger("dwevents")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.INFO)
    yield caplog
    logger.removeHandler(caplog.handler)


# -- 1. a configuration or rules error: a verdict anyway ----------------------------------------------


@pytest.mark.parametrize(
    ("broken", "env_mode", "expected"),
    [("rules-missing", None, "WARN"), ("rules-typo", "FAIL", "FAIL"), ("config-yaml", "fail", "FAIL")],
)
def test_given_a_broken_config_or_rules_file_then_extension_events_get_the_fail_mode_verdict_naming_it(
    broken: str,
    env_mode: str | None,
    expected: str,
    make_app: Callable[..., FunctionApp],
    standin: Any,
    fc_context: Any,
    tmp_path: Path,
    logged: pytest.LogCaptureFixture,
) -> None:
    # GIVEN a function whose rules file is missing or misspelt, or whose config file is not YAML
    env: dict[str, str] = {"DWEVENTS_FAIL_MODE": env_mode} if env_mode else {}
    if broken == "rules-missing":
        env["DWEVENTS_RULES"] = str(tmp_path / "no-such-rules.yaml")
        named = "no-such-rules.yaml"
    elif broken == "rules-typo":
        typo = tmp_path / "typo.yaml"
        typo.write_text("version: 1\nrules:\n  - name: x\n    evnets: [commit-file]\n", encoding="utf-8")
        env["DWEVENTS_RULES"] = str(typo)
        named = "typo.yaml"
    else:
        config = tmp_path / "config.yaml"
        config.write_text("extension: [unclosed\n", encoding="utf-8")
        env["DWEVENTS_CONFIG"] = str(config)
        named = "not valid YAML"
    app = make_app(**env)
    # WHEN FC starts it THEN the initializer does not raise
    app.initialize(fc_context())
    # WHEN two extension events arrive
    results = [app.process(raw(event(COMMIT, f"broken-{i}")), fc_context()).events[0] for i in (1, 2)]
    # THEN each got exactly one verdict: the fail mode (DWEVENTS_FAIL_MODE read despite the broken file)
    assert [(v.message_id, v.check_result) for v in standin.verdicts] == [
        ("broken-1", expected),
        ("broken-2", expected),
    ]
    for verdict in standin.verdicts:
        assert "configuration error" in verdict.tip and named in verdict.tip
    assert all(r.verdict is not None and r.verdict.acknowledged and not r.retry for r in results)
    # AND the error was logged once at ERROR for the cold start, not per event
    cold_start = [r for r in logged.records if "started with a configuration error" in r.getMessage()]
    assert len(cold_start) == 1 and named in cold_start[0].getMessage()


def test_given_a_broken_config_when_a_regular_event_arrives_then_the_retry_error_keeps_it(
    make_app: Callable[..., FunctionApp], fc_context: Any, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("trust: {allowed_acounts: [x]}\n", encoding="utf-8")
    app = make_app("InstanceStatusChanges", DWEVENTS_CONFIG=str(config))
    app.initialize(fc_context())
    with pytest.raises(RetryBatchError, match="1 event"):
        app.handler(raw(load_sample(INSTANCE)), fc_context())


# -- 1. an unreachable idempotency store does not withhold a verdict --------------------------------


def test_given_redis_stops_mid_test_then_extension_events_are_still_answered_and_regular_ones_retried(
    make_app: Callable[..., FunctionApp], standin: Any, fc_context: Any, tmp_path: Path
) -> None:
    helper = redis_helper()
    with helper.run_redis_server(tmp_path / "redis") as url:
        app = make_app(DWEVENTS_REDIS_URL=url)
        regular = make_app("InstanceStatusChanges", DWEVENTS_REDIS_URL=url)
        # GIVEN a function recording in a real Redis: the first event is recorded there
        first = app.process(raw(event(COMMIT, "redis-up")), fc_context()).events[0]
        assert first.outcome == "processed"
        keys = redis.Redis.from_url(url).keys("*")
        assert len(keys) == 1
    # WHEN the server is gone (stopped) and another extension event arrives
    result = app.process(raw(event(COMMIT, "redis-down")), fc_context())
    # THEN it still got its verdict, decided by the rules (not the fail mode), and was acknowledged
    [down] = result.events
    assert down.verdict is not None and down.verdict.acknowledged and down.verdict.origin == "policy"
    assert [v.message_id for v in standin.verdicts] == ["redis-up", "redis-down"]
    assert not result.needs_retry
    # AND a regular event cannot be gated, so EventBridge is asked to retry it
    with pytest.raises(RetryBatchError):
        regular.handler(raw(load_sample(INSTANCE)), fc_context())


# -- 1. recorded before anything else can fail; a retry re-sends, never re-decides -------------------


def test_given_the_audit_fails_after_the_verdict_then_a_redelivery_resends_the_recorded_verdict(
    make_app: Callable[..., FunctionApp],
    standin: Any,
    fc_context: Any,
    tmp_path: Path,
    evaluations: list[str],
) -> None:
    # GIVEN an audit file that cannot be written (a directory): audit fails after the verdict is sent
    config = tmp_path / "config.yaml"
    config.write_text(f"audit:\n  file: {tmp_path}\n", encoding="utf-8")
    app = make_app(rules=BLOCK_DEPLOYS, DWEVENTS_CONFIG=str(config))
    doc = event(DEPLOY, "audit-breaks")
    # WHEN the event is delivered, and delivered again
    first = app.process(raw(doc), fc_context()).events[0]
    second = app.process(raw(doc), fc_context()).events[0]
    # THEN the first is not retried (the verdict is out), the failure is reported
    assert first.outcome == "processed" and not first.retry and "IsADirectoryError" in (first.error or "")
    # AND the redelivery re-sent the recorded verdict without deciding again
    assert second.outcome == "duplicate" and second.verdict is not None and second.verdict.origin == "stored"
    assert evaluations == ["audit-breaks"]
    assert [(v.check_result, v.tip) for v in standin.verdicts] == [("FAIL", "deploys are frozen")] * 2


# -- 1. one event's failure never stops the others; return only when every verdict is acknowledged ---


def test_given_a_refusal_whose_dead_letter_fails_then_the_rest_of_the_batch_is_processed(
    make_app: Callable[..., FunctionApp], fc_context: Any, tmp_path: Path
) -> None:
    # GIVEN a dead-letter file that cannot be written, and a batch: foreign, good, undecodable
    config = tmp_path / "config.yaml"
    config.write_text(f"dead_letter:\n  file: {tmp_path}\n", encoding="utf-8")
    app = make_app("InstanceStatusChanges", DWEVENTS_CONFIG=str(config))
    foreign = {**event(INSTANCE, "foreign"), "aliyunaccountid": "999"}
    garbage = {"id": "garbage", "nothing": True}
    # WHEN the batch is handled
    result = app.process(raw([foreign, event(INSTANCE, "good"), garbage]), fc_context())
    # THEN every event has its outcome; the good one was processed
    assert [e.outcome for e in result.events] == ["refused", "processed", "failed"]
    assert not result.needs_retry


def test_given_one_verdict_not_acknowledged_in_a_batch_then_the_invocation_raises_naming_only_it(
    make_app: Callable[..., FunctionApp], standin: Any, fc_context: Any
) -> None:
    standin.inject("UpdateIDEEventResult", status=400, code="Invalid.Param", times=1)
    app = make_app(rules=PASS_ALL)
    batch = [event(COMMIT, "first-refused-by-dataworks"), event(COMMIT, "second-fine")]
    result = app.process(raw(batch), fc_context())
    assert [e.verdict.acknowledged for e in result.events if e.verdict] == [False, True]
    with pytest.raises(RetryBatchError, match=r"1 event.*first-refused-by-dataworks") as info:
        result.handler_return()
    assert "second-fine" not in str(info.value)


# -- 3. deciders and reactions ------------------------------------------------------------------------


def test_given_a_decider_saying_ok_and_rules_saying_fail_then_the_stricter_verdict_is_sent(
    make_app: Callable[..., FunctionApp], standin: Any, fc_context: Any
) -> None:
    # GIVEN the README's release gate: a decider that approves, and a rule that blocks deploys
    app = make_app(rules=BLOCK_DEPLOYS)

    @app.decide("deploy-file")
    def release_gate(event: Any, invocation: Any) -> Verdict:
        return Verdict(CheckResult.OK, "ticket REL-1 approved")

    # WHEN a deploy arrives THEN the rules' FAIL wins (a decider used to replace the rules silently)
    [result] = app.process(raw(event(DEPLOY, "gate-1")), fc_context()).events
    assert [(v.check_result, v.tip) for v in standin.verdicts] == [("FAIL", "deploys are frozen")]
    assert result.verdict is not None and result.verdict.rule == "no-deploys"


def test_given_a_decider_that_opts_out_of_the_rules_then_its_verdict_alone_is_sent(
    make_app: Callable[..., FunctionApp], standin: Any, fc_context: Any, evaluations: list[str]
) -> None:
    app = make_app(rules=BLOCK_DEPLOYS)
    app.decide("deploy-file", rules=False)(lambda event, invocation: "OK")
    app.process(raw(event(DEPLOY, "gate-2")), fc_context())
    assert [v.check_result for v in standin.verdicts] == ["OK"] and evaluations == []


@pytest.mark.parametrize(
    ("returned", "expected", "origin"),
    [
        ("OK", "OK", "decider"),
        (" warn ", "WARN", "decider"),
        ("Fail", "FAIL", "decider"),
        (CheckResult.FAIL, "FAIL", "decider"),
        (None, "WARN", "fail-open"),
        ("maybe", "WARN", "fail-open"),
        (42, "WARN", "fail-open"),
    ],
)
def test_given_a_decider_returning_a_name_or_nonsense_then_names_are_verdicts_and_nonsense_the_fail_mode(
    returned: Any,
    expected: str,
    origin: str,
    make_app: Callable[..., FunctionApp],
    standin: Any,
    fc_context: Any,
) -> None:
    app = make_app(rules=PASS_ALL)
    app.decide("commit-file", rules=False)(lambda event, invocation: returned)
    [result] = app.process(raw(event(COMMIT, "named")), fc_context()).events
    assert [v.check_result for v in standin.verdicts] == [expected]
    assert result.verdict is not None and result.verdict.origin == origin
    if origin == "fail-open":
        assert "decider <lambda> returned" in result.verdict.tip and "not a Verdict" in result.verdict.tip


def test_given_a_reaction_on_an_extension_point_then_it_runs_after_the_verdict_and_never_decides(
    make_app: Callable[..., FunctionApp], standin: Any, fc_context: Any
) -> None:
    app = make_app(rules=PASS_ALL)
    seen: list[int] = []

    @app.on("deploy-file")
    def react(event: Any, invocation: Any) -> Verdict:
        seen.append(len(standin.verdicts))  # how many verdicts DataWorks had when the reaction ran
        return Verdict(CheckResult.FAIL, "a reaction cannot block")

    app.process(raw(event(DEPLOY, "react-1")), fc_context())
    assert [v.check_result for v in standin.verdicts] == ["OK"] and seen == [1]


def test_the_cold_start_says_who_decides_each_extension_point(
    make_app: Callable[..., FunctionApp], fc_context: Any, logged: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    app.decide("deploy-file")(lambda event, invocation: "OK")
    app.initialize(fc_context())
    lines = [r.getMessage() for r in logged.records if "decided by" in r.getMessage()]
    assert "FileChange: deploy-file decided by <lambda> and the rules (stricter wins)" in lines
    assert "FileChange: delete-file, commit-file, run-file decided by the rules" in lines


# -- alerts-only: no extension code --------------------------------------------------------------------


def test_given_no_extension_code_then_extension_events_are_audited_not_answered_and_fc_direct_still_is(
    make_app: Callable[..., FunctionApp], standin: Any, fc_context: Any, logged: pytest.LogCaptureFixture
) -> None:
    # GIVEN functions deployed without DWEVENTS_EXTENSION_CODE (alerts only)
    files = make_app(DWEVENTS_EXTENSION_CODE="")
    downloads = make_app("ResourcesDownload", rules=PASS_ALL, DWEVENTS_EXTENSION_CODE="")
    files.initialize(fc_context())  # used to raise ConfigError: every event failed
    results = [files.process(raw(event(COMMIT, f"no-code-{i}")), fc_context()).events[0] for i in (1, 2)]
    # THEN each event was processed and audited, no verdict was sent, nothing is retried
    for result in results:
        assert result.outcome == "processed" and not result.retry and result.verdict is None
        assert [a["action"] for a in result.actions][:2] == ["audit", "verdict"]
        assert result.actions[1]["reason"] == "not answered: no extension code configured"
    assert standin.verdicts == []
    warnings = [
        r for r in logged.records if r.levelno == logging.WARNING and "no extension code" in r.getMessage()
    ]
    assert len(warnings) == 1
    # AND an FC-direct message is still answered by the return value
    direct = load_sample("fc-direct/download-resources")
    answer = json.loads(downloads.handler(raw(direct), fc_context()))
    assert answer == {"checkResult": "OK", "checkResultTip": "", "messageId": direct["messageId"]}


def test_given_a_decider_that_never_returns_then_the_fail_mode_verdict_goes_out_and_the_handler_returns(
    make_app: Callable[..., FunctionApp], standin: Any, fc_context: Any
) -> None:
    import threading

    release = threading.Event()
    app = make_app(rules=PASS_ALL, DWEVENTS_FAIL_MODE="FAIL", DWEVENTS_MAX_DECISION_MS="500")

    @app.decide("commit-file")
    def stuck(event: Any, invocation: Any) -> str:
        release.wait(30)
        return "OK"

    try:
        answer = json.loads(app.handler(raw(event(COMMIT, "stuck-1")), fc_context(timeout=5)))
    finally:
        release.set()
    [verdict] = standin.verdicts
    assert verdict.check_result == "FAIL" and "did not finish within" in verdict.tip
    assert answer["events"][0]["verdict"]["origin"] == "fail-closed"


def test_given_another_invocation_holds_the_event_then_a_retry_is_asked_and_fc_direct_gets_the_fail_mode(
    make_app: Callable[..., FunctionApp], standin: Any, fc_context: Any
) -> None:
    # GIVEN events whose idempotency records another (live) invocation holds right now
    files, downloads = make_app(), make_app("ResourcesDownload", DWEVENTS_FAIL_MODE="FAIL")
    direct = load_sample("fc-direct/download-resources")
    files.initialize(fc_context())
    downloads.initialize(fc_context())
    files.pipeline().idempotency.claim("acs.dataworks", "held", remaining_ms=60_000)
    downloads.pipeline().idempotency.claim("acs.dataworks", direct["messageId"], remaining_ms=60_000)
    # WHEN they are delivered
    result = files.process(raw(event(COMMIT, "held")), fc_context())
    answer = json.loads(downloads.handler(raw(direct), fc_context()))
    # THEN the EventBridge delivery is retried later, undecided and unanswered (the holder answers)
    assert result.events[0].retry and "another invocation" in (result.events[0].error or "")
    with pytest.raises(RetryBatchError, match="held"):
        result.handler_return()
    assert standin.verdicts == []
    # AND the FC-direct call, which has no retry, gets the fail-mode answer as its return value
    assert answer["checkResult"] == "FAIL" and "another invocation" in answer["checkResultTip"]
