"""Extension points end to end: FunctionApp → ExtensionService → the official SDK → the DataWorks stand-in.

Every extension-point type gets exactly one verdict through its reply API; every failure mode (policy
raises or hangs, enrichment fails, DataWorks throttles, rejects, hangs or refuses the signature, a
duplicate delivery) still ends in exactly one verdict, inside the invocation's deadline.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dwevents.catalogue import CATALOGUE, EventSpec, ReplyApi
from dwevents.local.dataworks.server import DataWorksApiStandIn
from dwevents.local.dataworks.spec import VERDICT_ACTIONS
from dwevents.policy import PolicyEngine
from dwevents.runtime import FunctionApp, InvocationResult, RetryBatchError
from dwevents.verdict import MAX_TIP_CHARS

from .conftest import EVENTS, SAMPLE_ACCOUNT, load_sample, raw

EXT = "ext-test"
COMMIT = "FileChange/commit-file"
MARGIN_MS = 200
MAX_DECISION_MS = 1500
#: Scheduling noise allowed on top of a deadline.
SLACK_S = 0.75


def _sample_for(spec: EventSpec) -> str:
    """The first sample under events/<Category>/ whose type is the spec's."""
    for path in sorted((EVENTS / spec.category).glob("*.json")):
        if json.loads(path.read_text(encoding="utf-8")).get("type") == spec.type:
            return f"{spec.category}/{path.stem}"
    raise AssertionError(f"no sample event for {spec.type}")


EXTENSION_SPECS = [spec for spec in CATALOGUE if spec.is_extension]
ALL_EXTENSION_CODES = sorted({spec.event_code for spec in EXTENSION_SPECS})


def rules_text(*rules: dict[str, Any]) -> str:
    return yaml.safe_dump({"version": 1, "rules": list(rules)}, sort_keys=False)


def block_all(verdict: str = "FAIL", tip: str = "{event_code} blocked in workspace {workspace}") -> str:
    """One rule that fails every extension point (every sample has a workspace)."""
    return rules_text(
        {
            "name": "block-all",
            "events": ALL_EXTENSION_CODES,
            "check": {"deny": {"field": "workspace", "values": ["*"]}},
            "verdict": verdict,
            "tip": tip,
        }
    )


@pytest.fixture()
def make_app(standin: DataWorksApiStandIn, tmp_path: Path, fc_context: Any) -> Callable[..., FunctionApp]:
    """A warmed FunctionApp for ``category`` pointed at the stand-in, with ``rules`` (YAML text)."""

    def make(category: str, rules: str | None = None, **env: str) -> FunctionApp:
        environ = {
            **standin.client_env(),
            "DWEVENTS_EXTENSION_CODE": EXT,
            "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
            "DWEVENTS_DEADLINE_MARGIN_MS": str(MARGIN_MS),
            "DWEVENTS_MAX_DECISION_MS": str(MAX_DECISION_MS),
        }
        if rules is not None:
            path = tmp_path / f"rules-{len(list(tmp_path.glob('rules-*.yaml')))}.yaml"
            path.write_text(rules, encoding="utf-8")
            environ["DWEVENTS_RULES"] = str(path)
        environ.update(env)
        app = FunctionApp(category, environ=environ)
        app.initialize(fc_context())  # FC initializer: validates rules, imports the SDK once
        return app

    return make


def commit_event(message_id: str = "msg-commit-1") -> dict[str, Any]:
    doc = copy.deepcopy(load_sample(COMMIT))
    doc["id"] = message_id
    return doc


def decision_deadline_s(fc_timeout: int) -> float:
    """Seconds from the start of the invocation by which the verdict must be out."""
    return min(fc_timeout - MARGIN_MS / 1000, MAX_DECISION_MS / 1000)


@pytest.fixture()
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts PolicyEngine.evaluate calls (the real evaluation still runs)."""
    calls: list[str] = []
    original = PolicyEngine.evaluate

    def counting(self: PolicyEngine, event: Any, enricher: Any) -> Any:
        calls.append(event.message_id)
        return original(self, event, enricher)

    monkeypatch.setattr(PolicyEngine, "evaluate", counting)
    return calls


# --------------------------------------------------------------------------------------------
# every extension-point type: one verdict through its reply API
# --------------------------------------------------------------------------------------------

WIRE = {
    (ReplyApi.UPDATE_IDE_EVENT_RESULT, "FAIL"): ("FAIL", ""),
    (ReplyApi.UPDATE_IDE_EVENT_RESULT, "WARN"): ("WARN", ""),
    (ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, "FAIL"): ("FAIL", ""),
    (ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, "WARN"): ("OK", "WARN: "),
    (ReplyApi.CALLBACK_EXTENSION, "FAIL"): ("FAIL", ""),
    (ReplyApi.CALLBACK_EXTENSION, "WARN"): ("WARN", ""),
}


@pytest.mark.parametrize("result", ["FAIL", "WARN"])
@pytest.mark.parametrize("spec", EXTENSION_SPECS, ids=lambda s: s.event_code)
def test_given_each_extension_point_when_a_rule_fails_then_one_verdict_reaches_its_reply_api(
    spec: EventSpec,
    result: str,
    standin: DataWorksApiStandIn,
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
) -> None:
    # GIVEN the sample of this extension point and a rule that fails every extension point
    doc = load_sample(_sample_for(spec))
    app = make_app(spec.category, block_all(result))
    # WHEN the function handles it
    out = app.process(raw(doc), fc_context())
    # THEN exactly one verdict reached DataWorks, through the catalogue's reply API, with the wire values
    [event] = out.events
    assert event.outcome == "processed", event.error
    [verdict] = standin.verdicts
    wire_result, prefix = WIRE[(spec.reply_api, result)]  # type: ignore[index]
    code = spec.event_code  # the envelope type's code, whatever the payload's eventCode says
    assert (verdict.action, verdict.message_id, verdict.extension_code, verdict.check_result) == (
        spec.reply_api.value,  # type: ignore[union-attr]
        doc["id"],
        EXT,
        wire_result,
    )
    assert verdict.tip == f"{prefix}{code} blocked in workspace 42"
    assert [r.action for r in standin.requests if r.action in VERDICT_ACTIONS] == [verdict.action]
    # ... and the report says what was sent
    report = event.verdict
    assert report is not None
    assert (report.result, report.api, report.acknowledged, report.attempts) == (
        result,
        verdict.action,
        True,
        1,
    )
    assert report.origin == "policy" and report.rule == "block-all" and report.sent_as == wire_result
    assert not out.needs_retry


def test_given_callback_extension_when_the_verdict_is_ok_then_check_message_may_be_empty(
    standin: DataWorksApiStandIn, make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = make_app("ProjectChange", rules_text())
    app.process(raw(load_sample("ProjectChange/delete-project")), fc_context())
    [verdict] = standin.verdicts
    assert (verdict.action, verdict.check_result, verdict.tip) == ("CallbackExtension", "OK", "")
    params = next(r.params for r in standin.requests if r.action == "CallbackExtension")
    assert "CheckResultTip" not in params  # CallbackExtension's text field is CheckMessage


@pytest.mark.parametrize(
    ("sample", "category", "rules", "expected"),
    [
        ("fc-direct/download-resources", "ResourcesDownload", None, ("WARN", "Downloading 2500000 rows")),
        (
            "fc-direct/download-resources",
            "ResourcesDownload",
            "block",
            ("FAIL", "download-resources blocked"),
        ),
        ("fc-direct/upload-data-to-table", "ResourcesUpload", None, ("OK", "")),
        (
            "fc-direct/upload-data-to-table",
            "ResourcesUpload",
            "block",
            ("FAIL", "upload-data-to-table blocked"),
        ),
    ],
    ids=["download-default-rules", "download-blocked", "upload-default-rules", "upload-blocked"],
)
def test_given_an_fc_direct_message_when_handled_then_the_verdict_is_the_return_value_not_an_api_call(
    sample: str,
    category: str,
    rules: str | None,
    expected: tuple[str, str],
    standin: DataWorksApiStandIn,
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
) -> None:
    doc = load_sample(sample)
    app = make_app(category, block_all() if rules == "block" else None)
    # WHEN DataWorks invokes the function directly
    result = app.process(raw(doc), fc_context())
    answer = json.loads(result.handler_return())
    # THEN the ExtensionResponse is the return value ...
    assert answer["messageId"] == doc["messageId"]
    assert answer["checkResult"] == expected[0]
    assert answer["checkResultTip"].startswith(expected[1])
    # ... and no verdict API call reached DataWorks (only lookups the rules need, if any)
    assert standin.verdicts == []
    assert not [r for r in standin.requests if r.action in VERDICT_ACTIONS]
    assert {r.action for r in standin.requests} <= {"GetExtension"}
    verdict = result.events[0].verdict
    assert verdict is not None and verdict.api is ReplyApi.RETURN


def test_given_an_fc_direct_message_no_rule_applies_to_when_handled_then_no_request_at_all(
    standin: DataWorksApiStandIn, make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = make_app("ResourcesDownload", rules_text())
    answer = json.loads(app.handler(raw(load_sample("fc-direct/download-resources")), fc_context()))
    assert answer["checkResult"] == "OK"
    assert standin.requests == []


# --------------------------------------------------------------------------------------------
# deciding fails: the configured fail mode, still exactly one verdict
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_mode", "expected", "origin"),
    [(None, "WARN", "fail-open"), ("FAIL", "FAIL", "fail-closed"), ("OK", "OK", "fail-open")],
)
def test_given_the_policy_raises_when_handled_then_the_fail_mode_verdict_says_why(
    fail_mode: str | None,
    expected: str,
    origin: str,
    standin: DataWorksApiStandIn,
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: PolicyEngine, event: Any, enricher: Any) -> Any:
        raise RuntimeError("rule engine bug")

    monkeypatch.setattr(PolicyEngine, "evaluate", broken)
    app = make_app("FileChange", **({"DWEVENTS_FAIL_MODE": fail_mode} if fail_mode else {}))
    [event] = app.process(raw(commit_event()), fc_context()).events
    [verdict] = standin.verdicts
    assert verdict.check_result == expected
    assert verdict.tip == (
        f"dwevents: the check failed (RuntimeError: rule engine bug); {origin} ({expected}) by configuration"
    )
    assert event.verdict is not None and event.verdict.origin == origin and event.verdict.acknowledged
    assert event.outcome == "processed" and not event.retry


def test_given_a_code_rule_on_an_event_without_project_when_handled_then_fail_mode_names_the_problem(
    standin: DataWorksApiStandIn, make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    # GIVEN a code rule, and an event that lost its projectId (GetIDEEventDetail cannot be called)
    rules = rules_text({"name": "code", "events": ["commit-file"], "check": {"code": {"deny": ["drop"]}}})
    app = make_app("FileChange", rules, DWEVENTS_FAIL_MODE="FAIL")
    doc = commit_event()
    del doc["data"]["projectId"]
    app.process(raw(doc), fc_context())
    [verdict] = standin.verdicts
    assert verdict.check_result == "FAIL"
    assert "ValueError: the event has no projectId" in verdict.tip and "fail-closed (FAIL)" in verdict.tip


@pytest.fixture()
def hung_policy(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """PolicyEngine.evaluate blocks until released (released at teardown so no thread lingers)."""
    release = threading.Event()

    def hang(self: PolicyEngine, event: Any, enricher: Any) -> Any:
        release.wait(30)
        raise RuntimeError("released")

    monkeypatch.setattr(PolicyEngine, "evaluate", hang)
    yield release
    release.set()


@pytest.mark.parametrize(("fail_mode", "expected"), [(None, "WARN"), ("FAIL", "FAIL")])
def test_given_the_policy_hangs_under_a_decider_when_handled_then_the_fail_mode_verdict_before_the_deadline(
    fail_mode: str | None,
    expected: str,
    hung_policy: threading.Event,
    standin: DataWorksApiStandIn,
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
) -> None:
    # GIVEN a decider that also runs the rules (user code: the decision goes to a pooled worker), and
    # rules that never return
    app = make_app("FileChange", **({"DWEVENTS_FAIL_MODE": fail_mode} if fail_mode else {}))

    @app.decide("commit-file")
    def passes(event: Any, invocation: Any) -> str:
        return "OK"

    # WHEN a commit is handled
    started = time.monotonic()
    answer = json.loads(app.handler(raw(commit_event()), fc_context(timeout=3)))
    elapsed = time.monotonic() - started
    # THEN the worker is abandoned at the deadline and exactly one fail-mode verdict is acknowledged
    assert elapsed < decision_deadline_s(3) + SLACK_S
    [verdict] = standin.verdicts
    assert verdict.check_result == expected
    assert "the check did not finish within" in verdict.tip and "by configuration" in verdict.tip
    [event] = answer["events"]
    assert event["verdict"]["acknowledged"] is True and event["verdict"]["attempts"] == 1


@pytest.fixture()
def pooled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Notes every decision handed to a worker thread (it still runs there)."""
    from dwevents.workerpool import WorkerPool

    calls: list[str] = []
    original = WorkerPool.run

    def noting(self: WorkerPool, fn: Any, timeout: float) -> Any:
        calls.append(self.name)
        return original(self, fn, timeout)

    monkeypatch.setattr(WorkerPool, "run", noting)
    return calls


@pytest.mark.parametrize(("fail_mode", "expected"), [(None, "WARN"), ("FAIL", "FAIL")])
def test_given_dataworks_hangs_on_a_lookup_when_the_rules_decide_inline_then_fail_mode_before_the_deadline(
    fail_mode: str | None,
    expected: str,
    pooled: list[str],
    standin: DataWorksApiStandIn,
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
) -> None:
    """The rules decide on the invocation's thread; what keeps their deadline is the lookup's own: the
    lean transport bounds a whole call (connect, write, every read) by the time left to decide."""
    # GIVEN the default rules (the MAX_PT code check fetches the snapshot) and a GetIDEEventDetail that
    # answers only long after the function's timeout
    standin.inject("GetIDEEventDetail", delay_s=30)
    # (the lean transport, named: this is its guarantee, and the SDK transport's lookups stay pooled)
    env = {"DWEVENTS_DATAWORKS_TRANSPORT": "lean", **({"DWEVENTS_FAIL_MODE": fail_mode} if fail_mode else {})}
    app = make_app("FileChange", **env)
    # WHEN a commit is handled
    started = time.monotonic()
    answer = json.loads(app.handler(raw(commit_event()), fc_context(timeout=3)))
    elapsed = time.monotonic() - started
    # THEN no worker thread was used, and exactly one fail-mode verdict naming the timeout went out in time
    assert pooled == []
    assert elapsed < decision_deadline_s(3) + SLACK_S
    [verdict] = standin.verdicts
    assert verdict.check_result == expected
    assert "GetIDEEventDetail failed: Transport.Timeout" in verdict.tip and "by configuration" in verdict.tip
    [event] = answer["events"]
    assert event["verdict"]["acknowledged"] is True and event["verdict"]["attempts"] == 1


def test_given_rules_and_no_decider_when_handled_then_decided_inline_and_a_decider_goes_to_a_worker(
    pooled: list[str], standin: DataWorksApiStandIn, make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    # GIVEN the default rules, which fetch the code snapshot of a commit, over the lean transport
    app = make_app("FileChange", DWEVENTS_DATAWORKS_TRANSPORT="lean")
    # WHEN a commit is handled THEN it is decided on the invocation's thread
    app.process(raw(commit_event("inline-1")), fc_context())
    assert pooled == [] and [v.message_id for v in standin.verdicts] == ["inline-1"]

    # AND once a decider is registered (user code, which may block), the decision goes to a worker
    @app.decide("commit-file")
    def passes(event: Any, invocation: Any) -> str:
        return "OK"

    app.process(raw(commit_event("pooled-1")), fc_context())
    assert pooled == ["decide"] and [v.message_id for v in standin.verdicts] == ["inline-1", "pooled-1"]


def test_given_enrichment_fails_every_time_when_handled_then_the_fail_mode_verdict(
    standin: DataWorksApiStandIn, make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    # GIVEN GetIDEEventDetail answers 500 to every call
    standin.inject("GetIDEEventDetail", status=500, times=1000)
    app = make_app("FileChange")  # the default rules: the MAX_PT code check needs the snapshot
    started = time.monotonic()
    [event] = app.process(raw(commit_event()), fc_context(timeout=3)).events
    assert time.monotonic() - started < decision_deadline_s(3) + SLACK_S
    # THEN one fail-open WARN verdict naming the failed call, acknowledged
    [verdict] = standin.verdicts
    assert verdict.check_result == "WARN"
    assert "GetIDEEventDetail failed: HTTP 500 InternalError.System" in verdict.tip
    assert verdict.tip.endswith("fail-open (WARN) by configuration")
    assert event.verdict is not None and event.verdict.acknowledged is True
    assert [r.status for r in standin.requests if r.action == "GetIDEEventDetail"] == [500]


# --------------------------------------------------------------------------------------------
# replying fails: retried inside the deadline, or reported
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "times"), [(429, 3), (500, 2), (503, 1)])
def test_given_transient_reply_errors_when_handled_then_retried_until_acknowledged(
    status: int,
    times: int,
    standin: DataWorksApiStandIn,
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
) -> None:
    standin.inject("UpdateIDEEventResult", status=status, times=times)
    app = make_app("FileChange", block_all())
    result = json.loads(app.handler(raw(commit_event()), fc_context(timeout=10)))
    report = result["events"][0]["verdict"]  # the handler's JSON contract
    assert report["acknowledged"] is True and report["attempts"] == times + 1
    assert report["error"] is None and report["error_code"] is None
    [verdict] = standin.verdicts  # the failed attempts recorded nothing
    assert verdict.check_result == "FAIL"
    assert [r.status for r in standin.requests if r.action == "UpdateIDEEventResult"] == [status] * times + [
        200
    ]


def test_given_a_permanent_reply_error_when_handled_then_not_retried_and_the_batch_is_retried(
    standin: DataWorksApiStandIn, make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    standin.inject("UpdateIDEEventResult", status=400, code="Invalid.Param")
    app = make_app("FileChange", block_all())
    result = app.process(raw(commit_event()), fc_context(timeout=10))
    with pytest.raises(RetryBatchError, match="msg-commit-1"):
        result.handler_return()
    report = result.events[0].verdict
    assert report is not None
    assert (report.acknowledged, report.attempts, report.error_code) == (False, 1, "Invalid.Param")
    assert "HTTP 400" in report.error
    assert "Invalid.Param" in (result.events[0].error or "")
    assert standin.verdicts == []
    assert len([r for r in standin.requests if r.action == "UpdateIDEEventResult"]) == 1


def test_given_dataworks_hangs_when_handled_then_gives_up_by_the_deadline_and_the_retry_resends_stored(
    standin: DataWorksApiStandIn,
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
    evaluations: list[str],
) -> None:
    # GIVEN DataWorks holds every verdict request far past the deadline
    standin.inject("UpdateIDEEventResult", delay_s=20, times=100)
    app = make_app("FileChange", block_all())
    started = time.monotonic()
    # WHEN the handler runs
    result = app.process(raw(commit_event()), fc_context(timeout=3))
    with pytest.raises(RetryBatchError):
        result.handler_return()
    # THEN it gives up by the deadline, reporting a timeout
    assert time.monotonic() - started < decision_deadline_s(3) + SLACK_S
    first = result.events[0].verdict
    assert first is not None and first.acknowledged is False
    assert first.error_code == "Transport.Timeout"
    assert first.attempts >= 1
    assert standin.verdicts == []  # still held by the stand-in
    # WHEN DataWorks recovers and EventBridge retries the same event
    standin.clear_faults()
    answer = json.loads(app.handler(raw(commit_event()), fc_context(timeout=3)))
    # THEN the stored verdict is re-sent, not decided again
    [event] = answer["events"]
    assert event["outcome"] == "duplicate"
    assert event["verdict"]["origin"] == "stored" and event["verdict"]["acknowledged"] is True
    assert evaluations == ["msg-commit-1"]
    [verdict] = standin.verdicts
    assert (verdict.check_result, verdict.tip) == ("FAIL", "commit-file blocked in workspace 42")


def test_given_a_duplicate_delivery_when_handled_then_the_stored_verdict_is_resent_without_deciding(
    standin: DataWorksApiStandIn,
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
    evaluations: list[str],
) -> None:
    app = make_app("FileChange", block_all("WARN"))
    first = app.process(raw(commit_event()), fc_context()).events[0]
    second = app.process(raw(commit_event()), fc_context()).events[0]
    assert (first.outcome, second.outcome) == ("processed", "duplicate")
    assert evaluations == ["msg-commit-1"]
    assert first.verdict is not None and second.verdict is not None
    assert (first.verdict.origin, second.verdict.origin) == ("policy", "stored")
    assert second.verdict.result == "WARN" and second.verdict.tip == first.verdict.tip
    # one verdict per delivery, both the one decided first
    assert [(v.message_id, v.check_result, v.tip) for v in standin.verdicts] == [
        ("msg-commit-1", "WARN", "commit-file blocked in workspace 42")
    ] * 2


def test_given_a_wrong_secret_when_handled_then_not_acknowledged_and_not_retried_in_the_invocation(
    standin: DataWorksApiStandIn, make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    # GIVEN no rule applies (no lookup) and the function signs with a wrong secret
    app = make_app("FileChange", rules_text(), ALIBABA_CLOUD_ACCESS_KEY_SECRET="not-the-secret")
    result = app.process(raw(commit_event()), fc_context(timeout=10))
    with pytest.raises(RetryBatchError):
        result.handler_return()
    report = result.events[0].verdict
    assert report is not None
    assert (report.acknowledged, report.attempts, report.error_code) == (
        False,
        1,
        "SignatureDoesNotMatch",
    )
    assert standin.verdicts == []
    assert [(r.action, r.code) for r in standin.requests] == [
        ("UpdateIDEEventResult", "SignatureDoesNotMatch")
    ]


@pytest.mark.parametrize(
    ("category", "sample", "prefix"),
    [("FileChange", COMMIT, ""), ("NodeChange", "NodeChange/undeploy-node", "WARN: ")],
)
def test_given_a_very_long_tip_when_sent_then_it_is_truncated_to_the_limit(
    category: str,
    sample: str,
    prefix: str,
    standin: DataWorksApiStandIn,
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
) -> None:
    app = make_app(category, block_all("WARN", tip="x" * 2000))
    result: InvocationResult = app.process(raw(load_sample(sample)), fc_context())
    [verdict] = standin.verdicts
    assert len(verdict.tip) == MAX_TIP_CHARS
    assert verdict.tip.startswith(prefix + "xxx") and verdict.tip.endswith("…")
    report = result.events[0].verdict
    assert report is not None and len(report.tip) <= MAX_TIP_CHARS and report.acknowledged


def test_given_an_fc_direct_duplicate_when_handled_then_the_stored_answer_is_returned_without_deciding(
    standin: DataWorksApiStandIn,
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
    evaluations: list[str],
) -> None:
    app = make_app("ResourcesDownload")
    doc = load_sample("fc-direct/download-resources")
    first = json.loads(app.handler(raw(doc), fc_context()))
    again = app.process(raw(doc), fc_context())
    second = json.loads(again.handler_return())
    assert first == second and first["checkResult"] == "WARN"
    assert evaluations == [doc["messageId"]]
    assert again.events[0].outcome == "duplicate"


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_given_a_failing_notification_on_an_extension_point_when_retried_then_not_decided_again(
    standin: DataWorksApiStandIn,
    make_app: Callable[..., FunctionApp],
    fc_context: Any,
    evaluations: list[str],
    tmp_path: Path,
) -> None:
    # GIVEN a notification route for commits whose webhook is down
    config = tmp_path / "config.yaml"
    url = f"http://127.0.0.1:{_closed_port()}/hook"
    config.write_text(
        "notifications:\n"
        "  channels:\n"
        f"    hook: {{type: webhook, url: '{url}', max_attempts: 1, timeout: 1}}\n"
        "  routes:\n"
        "    - {name: commits, events: [commit-file], channels: [hook]}\n",
        encoding="utf-8",
    )
    app = make_app("FileChange", block_all(), DWEVENTS_CONFIG=str(config))
    # WHEN the event is delivered, and delivered again (EventBridge retries the failed invocation)
    first = app.process(raw(commit_event()), fc_context()).events[0]
    second = app.process(raw(commit_event()), fc_context()).events[0]
    # THEN the failed notification is reported, not retried: the verdict was already out and recorded
    assert not first.retry and "not delivered" in (first.error or "")
    # AND the policy decided once; the redelivery re-sent the stored verdict
    assert evaluations == ["msg-commit-1"] and second.outcome == "duplicate"
    assert [v.check_result for v in standin.verdicts] == ["FAIL", "FAIL"]


def test_given_the_sdk_transport_when_the_rules_fetch_data_then_they_decide_in_a_worker(
    pooled: list[str], standin: DataWorksApiStandIn, make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    # GIVEN the official SDK as transport: it bounds each read on its own, not a whole call
    app = make_app("FileChange", DWEVENTS_DATAWORKS_TRANSPORT="sdk")
    # WHEN a commit (a code check: GetIDEEventDetail) is handled THEN the lookup runs in a worker thread
    app.process(raw(commit_event("sdk-1")), fc_context())
    assert pooled == ["decide"] and [v.message_id for v in standin.verdicts] == ["sdk-1"]


def test_given_dataworks_drops_the_kept_alive_connection_when_the_verdict_goes_out_then_it_goes_out_once(
    standin: DataWorksApiStandIn, make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    # GIVEN a warm instance: one event answered, its connection to DataWorks kept alive
    # (the lean transport's resend, named: the SDK transport retries through send_verdict instead)
    app = make_app("FileChange", block_all(), DWEVENTS_DATAWORKS_TRANSPORT="lean")
    app.process(raw(commit_event("first")), fc_context())
    # WHEN DataWorks closes that connection as the next verdict goes out
    standin.inject("UpdateIDEEventResult", drop=True)
    [event] = app.process(raw(commit_event("second")), fc_context()).events
    # THEN the transport resent it at once on a fresh connection: acknowledged, one verdict per message
    assert event.verdict is not None and event.verdict.acknowledged and event.verdict.attempts == 1
    assert [v.message_id for v in standin.verdicts] == ["first", "second"]
    assert [r.status for r in standin.requests if r.action == "UpdateIDEEventResult"] == [200, 0, 200]
