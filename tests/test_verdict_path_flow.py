"""What each event leaves behind: audit record, actions, idempotency record, logs, dead letters.

The mutation run (``python3 -m tests.mutation``, docs/testing.md) found these outputs of the pipeline
and the function unpinned: the verdict on the audit record, the refused event's audit line, the
"not answered" and "skip" actions, the notification failure text, a batch element that cannot even be
salvaged, the log lines operators alert on. Real FunctionApp, the DataWorks stand-in, audit and
dead-letter files that the tests read back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dwevents import logs
from dwevents.pipeline import NO_CODE
from dwevents.runtime import FunctionApp

from .conftest import SAMPLE_ACCOUNT, load_sample, raw, redis_helper
from .conftest import sample_event as event

INSTANCE = "InstanceStatusChanges/instance-status-changes"
DEPLOY = "FileChange/deploy-file"
COMMIT = "FileChange/commit-file"
BLOCK_DEPLOYS = (
    "version: 1\nrules:\n  - name: no-deploys\n    events: [deploy-file]\n"
    "    check: {deny: {field: workspace, values: ['*']}}\n    verdict: FAIL\n    tip: deploys are frozen\n"
)


@pytest.fixture()
def make_app(standin: Any, tmp_path: Path) -> Callable[..., FunctionApp]:
    def make(category: str = "FileChange", rules: str = "version: 1\nrules: []\n", **env: str) -> FunctionApp:
        config = tmp_path / "config.yaml"
        config.write_text(
            f"dead_letter:\n  file: {tmp_path / 'dlq.jsonl'}\naudit:\n  file: {tmp_path / 'audit.jsonl'}\n",
            encoding="utf-8",
        )
        rules_file = tmp_path / "rules.yaml"
        rules_file.write_text(rules, encoding="utf-8")
        environ = {
            **standin.client_env(),
            "DWEVENTS_EXTENSION_CODE": "ext",
            "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
            "DWEVENTS_CONFIG": str(config),
            "DWEVENTS_RULES": str(rules_file),
            **env,
        }
        return FunctionApp(category, environ=environ)

    return make


def lines(tmp_path: Path, name: str) -> list[dict[str, Any]]:
    path = tmp_path / name
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture()
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[str], list[logging.LogRecord]]]:
    """Matching records of the ``dwevents`` logger, each once."""
    logger = logging.getLogger("dwevents")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)

    def find(text: str) -> list[logging.LogRecord]:
        return list({id(r): r for r in caplog.records if text in r.getMessage()}.values())

    yield find
    logger.removeHandler(caplog.handler)


# -- the audit record --------------------------------------------------------------------------------------


def test_an_extension_points_audit_record_says_what_verdict_it_got(
    make_app: Callable[..., FunctionApp], fc_context: Any, tmp_path: Path
) -> None:
    app = make_app(rules=BLOCK_DEPLOYS)
    [result] = app.process(raw(event(DEPLOY, "audited-1")), fc_context()).events
    [record] = lines(tmp_path, "audit.jsonl")
    assert result.actions[0] == {"action": "audit", "record": record}
    assert (record["outcome"], record["message_id"], record["verdict"], record["rule"]) == (
        "processed", "audited-1", "FAIL", "no-deploys",
    )  # fmt: skip
    assert (record["verdict_origin"], record["acknowledged"], record["attempts"]) == ("policy", True, 1)
    assert record["dataworks_request_id"] == result.verdict.request_id if result.verdict else False


def test_a_regular_events_audit_record_carries_its_metrics_and_no_verdict(
    make_app: Callable[..., FunctionApp], fc_context: Any, tmp_path: Path
) -> None:
    app = make_app("InstanceStatusChanges")
    [result] = app.process(raw(event(INSTANCE, "metrics-1")), fc_context()).events
    [record] = lines(tmp_path, "audit.jsonl")
    assert record["outcome"] == "processed" and "verdict" not in record and "acknowledged" not in record
    assert record["metrics"] and "metric_dims" in record
    [metrics] = [a for a in result.actions if a["action"] == "metrics"]
    assert metrics["lines"]


def test_a_refused_event_is_audited_as_refused_with_the_reason(
    make_app: Callable[..., FunctionApp], fc_context: Any, tmp_path: Path
) -> None:
    app = make_app("InstanceStatusChanges")
    app.process(raw(event(INSTANCE, "refused-1", aliyunaccountid="999")), fc_context())
    [record] = lines(tmp_path, "audit.jsonl")
    assert (record["outcome"], record["message_id"], record["error"]) == (
        "refused", "refused-1", "account '999' is not allowed",
    )  # fmt: skip


# -- actions --------------------------------------------------------------------------------------------


def test_without_an_extension_code_the_event_is_recorded_so_a_redelivery_is_a_duplicate(
    make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = make_app(DWEVENTS_EXTENSION_CODE="")
    doc = event(COMMIT, "no-code-dup")
    [first] = app.process(raw(doc), fc_context()).events
    assert {"action": "verdict", "sent": False, "reason": NO_CODE} in first.actions
    assert NO_CODE == "not answered: no extension code configured"
    [second] = app.process(raw(doc), fc_context()).events
    assert second.outcome == "duplicate"
    assert second.actions == [
        {"action": "skip", "reason": "already processed", "first": second.actions[0]["first"]}
    ]
    assert isinstance(second.actions[0]["first"], str) and second.actions[0]["first"].endswith("+00:00")


def test_without_an_extension_code_and_with_redis_down_the_event_is_still_processed(
    make_app: Callable[..., FunctionApp], fc_context: Any, tmp_path: Path, logged: Any
) -> None:
    with redis_helper().run_redis_server(tmp_path / "redis") as url:
        app = make_app(DWEVENTS_EXTENSION_CODE="", DWEVENTS_REDIS_URL=url)
        app.initialize(fc_context())
    [result] = app.process(raw(event(COMMIT, "no-code-no-redis")), fc_context()).events
    assert (result.outcome, result.retry) == ("processed", False)
    [warning] = logged("answering anyway, at least once")
    assert warning.levelno == logging.WARNING


def test_undelivered_notifications_ask_for_a_retry_naming_each_channel(
    make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = make_app("InstanceStatusChanges")

    @app.on("instance-status-changes")
    def notify(ev: Any, invocation: Any) -> dict[str, Any]:
        return {
            "actions": [
                {"action": "notify", "channel": "ops", "ok": False, "error": "HTTP 500"},
                {"action": "notify", "channel": "dev", "ok": True},
                {"action": "notify", "channel": "sec", "ok": False, "error": "timeout"},
            ]
        }

    [result] = app.process(raw(event(INSTANCE, "notify-1")), fc_context()).events
    assert (result.outcome, result.retry) == ("failed", True)
    assert result.error == "2 notification(s) not delivered: ops: HTTP 500; sec: timeout"


def test_a_reaction_can_keep_the_default_metrics_and_notifications(
    make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = make_app("InstanceStatusChanges")

    @app.on("instance-status-changes")
    def keep_defaults(ev: Any, invocation: Any) -> dict[str, Any]:
        return app.default_action(ev, invocation)

    [result] = app.process(raw(event(INSTANCE, "defaults-1")), fc_context()).events
    kinds = [a["action"] for a in result.actions]
    assert kinds[0] == "audit" and "metrics" in kinds and "notify" in kinds and result.outcome == "processed"
    [metrics] = [a for a in result.actions if a["action"] == "metrics"]
    assert metrics["lines"] and all(isinstance(line, dict) for line in metrics["lines"])


# -- what the function does with input it cannot use ----------------------------------------------------


def test_an_element_that_cannot_be_salvaged_is_dead_lettered_and_the_batch_goes_on(
    make_app: Callable[..., FunctionApp], fc_context: Any, tmp_path: Path
) -> None:
    app = make_app("InstanceStatusChanges")
    result = app.process(raw([{"nothing": "here"}, event(INSTANCE, "after-garbage")]), fc_context())
    assert [e.outcome.value for e in result.events] == ["failed", "processed"]
    [letter] = lines(tmp_path, "dlq.jsonl")
    assert letter["reason"].startswith("undecodable: ") and letter["event"] == {"nothing": "here"}
    assert (result.events[0].message_id, result.events[0].type, result.events[0].retry) == (None, None, False)
    assert result.events[0].error and letter["reason"] == f"undecodable: {result.events[0].error}"


def test_an_id_that_cannot_be_answered_is_dead_lettered_with_the_reason(
    make_app: Callable[..., FunctionApp], fc_context: Any, tmp_path: Path
) -> None:
    app = make_app()
    doc = event(COMMIT, "bad-\ud800-id")
    result = app.process(json.dumps(doc).encode("utf-8", "surrogatepass"), fc_context())
    [failed] = result.events
    why = "the event id cannot be encoded as UTF-8 (lone surrogate); DataWorks cannot be answered"
    assert (failed.outcome.value, failed.retry, failed.error) == ("failed", False, why)
    [letter] = lines(tmp_path, "dlq.jsonl")
    assert letter["reason"] == why


# -- the function's own wiring -------------------------------------------------------------------------------


def test_without_an_environment_mapping_the_function_reads_the_process_environment(
    monkeypatch: pytest.MonkeyPatch, fc_context: Any
) -> None:
    monkeypatch.setenv("DWEVENTS_EXTENSION_CODE", "from-os-environ")
    app = FunctionApp("FileChange")
    extension = app.pipeline(fc_context()).extension
    assert extension is not None and extension.code == "from-os-environ"


def test_the_credentials_of_the_given_environment_are_redacted_from_logs() -> None:
    secret = "s3cr3t-Value-0f-the-role-key"
    app = FunctionApp("InstanceStatusChanges", environ={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret})
    app.pipeline()
    assert secret not in logs.redact(f"signing with {secret}")


def test_another_invocation_holding_the_event_is_logged_as_a_warning(
    make_app: Callable[..., FunctionApp], fc_context: Any, logged: Any
) -> None:
    app = make_app("InstanceStatusChanges")
    app.initialize(fc_context())
    doc = event(INSTANCE, "held-2")
    app.pipeline().idempotency.claim(doc["source"], doc["id"], remaining_ms=60_000)
    [result] = app.process(raw(doc), fc_context()).events
    assert result.retry and result.outcome.value == "failed"
    [warning] = logged("another invocation is processing this event")
    assert warning.levelno == logging.WARNING and warning.name == "dwevents.runtime"


def test_a_failing_store_for_a_regular_event_is_logged_as_an_error(
    make_app: Callable[..., FunctionApp], fc_context: Any, tmp_path: Path, logged: Any
) -> None:
    with redis_helper().run_redis_server(tmp_path / "redis") as url:
        app = make_app("InstanceStatusChanges", DWEVENTS_REDIS_URL=url)
        app.initialize(fc_context())
    app.process(raw(event(INSTANCE, "store-error")), fc_context())
    [error] = logged("idempotency store failed")
    assert error.levelno == logging.ERROR


def test_the_idempotency_namespace_is_the_function_name_or_else_the_category(fc_context: Any) -> None:
    started_without_context = FunctionApp("InstanceStatusChanges", environ={})
    assert started_without_context.pipeline().idempotency.namespace == "dwevents:InstanceStatusChanges"
    context = fc_context()
    named = FunctionApp("InstanceStatusChanges", environ={})
    assert named.pipeline(context).idempotency.namespace == f"dwevents:{context.function.name}"


def test_the_extension_service_is_there_once_started_and_only_for_extension_categories(
    make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = make_app()
    assert app.extension is None and not app.started and app.setup_error is None
    app.initialize(fc_context())
    assert app.extension is app.pipeline().extension and app.extension is not None
    regular = make_app("InstanceStatusChanges")
    regular.initialize(fc_context())
    assert regular.started and regular.extension is None


def test_a_client_that_cannot_be_prepared_at_cold_start_is_logged_and_initialize_returns(
    fc_context: Any, logged: Any
) -> None:
    # GIVEN an extension code but no DataWorks endpoint or region: the client cannot be built
    app = FunctionApp("FileChange", environ={"DWEVENTS_EXTENSION_CODE": "ext"})
    app.initialize(fc_context())
    [error] = logged("could not prepare the DataWorks client")
    assert error.levelno == logging.ERROR


def test_the_no_code_warning_is_given_only_without_a_code_and_says_fc_direct_is_still_answered(
    make_app: Callable[..., FunctionApp], fc_context: Any, logged: Any
) -> None:
    make_app().initialize(fc_context())
    assert logged("no extension code configured") == []
    make_app("ResourcesDownload", DWEVENTS_EXTENSION_CODE="").initialize(fc_context())
    [warning] = logged("no extension code configured")
    assert warning.getMessage().endswith("not answered; FC-direct messages are still answered")
    make_app("FileChange", DWEVENTS_EXTENSION_CODE="").initialize(fc_context())
    files = [r for r in logged("no extension code configured") if r is not warning]
    assert [r.getMessage().endswith("not answered") for r in files] == [True]


def test_an_unknown_blocking_fc_direct_message_gets_the_fail_mode_and_a_warning(
    make_app: Callable[..., FunctionApp], fc_context: Any, logged: Any
) -> None:
    app = make_app("ResourcesUpload", DWEVENTS_FAIL_MODE="FAIL")
    doc = {
        **load_sample("fc-direct/upload-data-to-table"),
        "eventType": "not-an-event",
        "blockBusiness": True,
    }
    answer = json.loads(app.handler(raw(doc), fc_context()))
    assert answer["checkResult"] == "FAIL" and answer["messageId"] == doc["messageId"]
    [warning] = logged("unknown FC-direct eventType with blockBusiness")
    assert warning.levelno == logging.WARNING


def test_needs_verdict_for_every_fc_direct_message_even_of_an_unknown_type() -> None:
    from dwevents.pipeline import needs_verdict, salvage

    unknown = salvage({"messageId": "m", "eventType": "nope"})
    assert unknown is not None and unknown.spec is None and needs_verdict(unknown)
    # a CloudEvent that also carries messageBody is still read as an FC-direct message: no messageId, none
    assert salvage({"messageBody": {}, "id": "e-1", "type": "dataworks:FileChange:CommitFile"}) is None
