"""The verdict flow of one extension point, piece by piece: the deadline, deciding, sending, stored verdicts.

Pinned where the mutation run (``python3 -m tests.mutation``, docs/testing.md) found nothing failing:
the deadline margin (every other test runs under the 1.5 s cap, so the margin never decided), the
share of the time deciding may use, a decider's string verdicts, the stricter-wins tie, a client that
cannot be built, and what a stored record may hold. Sends go to the DataWorks API stand-in.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

import pytest

from dwevents.catalogue import ReplyApi
from dwevents.config import ExtensionConfig
from dwevents.context import Invocation
from dwevents.extension import ExtensionService, as_verdict, stored_verdict, stricter
from dwevents.local.dataworks.server import DataWorksApiStandIn
from dwevents.router import Decider
from dwevents.verdict import CheckResult, Verdict

from .conftest import decode_sample


def invocation(*, timeout_s: float = 30.0, started: float | None = None) -> Invocation:
    return Invocation(
        "req-1", "fn", "1234567890123456", "cn-shanghai",
        time.monotonic() if started is None else started, timeout_s,
    )  # fmt: skip


@pytest.fixture()
def logged(caplog: pytest.LogCaptureFixture) -> Any:
    """Records of the ``dwevents`` logger (which stops propagating once a runtime configured it)."""
    logger = logging.getLogger("dwevents")
    old = logger.level
    logger.addHandler(caplog.handler)
    logger.setLevel(logging.INFO)
    caplog.handler.setLevel(logging.INFO)
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.setLevel(old)


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return list({id(r): r for r in caplog.records if r.levelno == logging.ERROR}.values())


def service(environ: dict[str, str] | None = None, **config: Any) -> ExtensionService:
    return ExtensionService(ExtensionConfig(**config), policy=None, environ=environ or {})


# -- the deadline ----------------------------------------------------------------------------------------


def test_given_a_long_timeout_and_no_cap_then_the_margin_decides_the_deadline() -> None:
    # GIVEN 30 s to run, a 1.5 s margin and a decision cap far away (10 min)
    now = time.monotonic()
    inv = invocation(timeout_s=30.0, started=now)
    ext = service(code="ext", deadline_margin_ms=1500, max_decision_ms=600_000)
    # THEN the verdict must be out 1.5 s before FC ends the invocation
    assert ext.deadline(inv) == pytest.approx(now + 28.5, abs=1e-6)


def test_given_a_short_timeout_then_the_margin_takes_at_most_a_quarter_of_it() -> None:
    now = time.monotonic()
    ext = service(code="ext", deadline_margin_ms=3000, max_decision_ms=600_000)
    # 4 s to run: the 3 s margin is cut to 1 s, leaving 3 s to decide and answer
    assert ext.deadline(invocation(timeout_s=4.0, started=now)) == pytest.approx(now + 3.0, abs=1e-6)
    # no margin at all: the deadline is FC's own
    assert service(code="x", deadline_margin_ms=0, max_decision_ms=600_000).deadline(
        invocation(timeout_s=4.0, started=now)
    ) == pytest.approx(now + 4.0, abs=1e-6)


def test_given_a_decision_cap_shorter_than_the_time_left_then_the_cap_decides() -> None:
    ext = service(code="ext", deadline_margin_ms=1500, max_decision_ms=250)
    before = time.monotonic()
    deadline = ext.deadline(invocation(timeout_s=30.0))
    after = time.monotonic()
    assert before + 0.25 <= deadline <= after + 0.25


def test_given_an_invocation_already_past_its_deadline_then_the_deadline_is_now_not_the_past() -> None:
    ext = service(code="ext")
    before = time.monotonic()
    deadline = ext.deadline(invocation(timeout_s=30.0, started=before - 100.0))
    assert before <= deadline <= time.monotonic()


# -- deciding --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ("OK", CheckResult.OK),
        ("ok", CheckResult.OK),
        (" Warn ", CheckResult.WARN),
        ("Fail", CheckResult.FAIL),
        (CheckResult.WARN, CheckResult.WARN),
    ],
)
def test_a_decider_may_return_a_result_name_in_any_case(returned: Any, expected: CheckResult) -> None:
    verdict = as_verdict(returned)
    assert (verdict.result, verdict.tip, verdict.rule, verdict.origin) == (expected, "", None, "decider")
    own = Verdict(CheckResult.FAIL, "mine", "r", "policy")
    assert as_verdict(own) is own


def test_without_a_name_the_error_says_the_decider() -> None:
    with pytest.raises(TypeError, match=r"^the decider returned int, not a Verdict"):
        as_verdict(1)


def test_without_an_environment_the_service_reads_the_process_environment() -> None:
    import os

    assert ExtensionService(ExtensionConfig(), policy=None).environ is os.environ


def test_warming_builds_the_transport_once_before_the_first_event(api: DataWorksApiStandIn) -> None:
    ext = service({**api.client_env(), "DWEVENTS_DATAWORKS_TRANSPORT": "lean"}, code="ext")
    client = ext.client_for(None)
    assert client._transport is None
    ext.warm()
    assert client._transport is not None and ext.client_for(None) is client


def test_the_client_is_rebuilt_only_when_the_credentials_change(
    api: DataWorksApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings are read from the environment only when the credentials (the one thing FC changes
    during an instance's life) changed: not per event."""
    from dwevents.dataworks.settings import DataWorksSettings
    from dwevents.local.fc_context import ContextCredentials, FunctionMeta, LocalContext

    reads: list[int] = []
    real = DataWorksSettings.from_env
    monkeypatch.setattr(
        DataWorksSettings, "from_env", classmethod(lambda cls, *a, **k: reads.append(1) or real(*a, **k))
    )
    environ = dict(api.client_env())
    ext = service(environ, code="ext", dataworks={"protocol": "http"})
    # GIVEN a client built for the environment's keys WHEN asked again THEN the same, settings read once
    first = ext.client_for(None)
    assert ext.client_for(None) is first and len(reads) == 1
    # WHEN FC rotates the keys in the environment (python3.12) THEN a new client with the new keys
    environ.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-rotated", "ALIBABA_CLOUD_SECURITY_TOKEN": "t2"})
    rotated = ext.client_for(None)
    assert rotated is not first and rotated.settings.access_key_id == "LTAI-rotated" and len(reads) == 2
    # WHEN the context carries credentials (python3.10) THEN they are used
    ctx = LocalContext(
        function=FunctionMeta(name="f", timeout=20), credentials=ContextCredentials("LTAI-ctx", "s", "t")
    )
    assert ext.client_for(ctx).settings.access_key_id == "LTAI-ctx" and ext.client_for(ctx) is ext.client_for(
        ctx
    )
    assert len(reads) == 3


@pytest.mark.parametrize(
    ("returned", "shown"),
    [
        ("maybe", "returned 'maybe',"),
        (None, "returned NoneType,"),
        (3, "returned int,"),
        ("x" * 100, "returned '" + "x" * 59 + ","),
    ],
)
def test_anything_else_a_decider_returns_is_an_error_naming_it(returned: Any, shown: str) -> None:
    with pytest.raises(TypeError) as info:
        as_verdict(returned, "decider gate")
    assert str(info.value) == f"decider gate {shown} not a Verdict or OK/WARN/FAIL"


def test_the_stricter_verdict_wins_and_a_tie_goes_to_the_decider() -> None:
    rules_fail, rules_ok = Verdict(CheckResult.FAIL, "rules"), Verdict(CheckResult.OK, "rules")
    decider_warn, decider_ok = Verdict(CheckResult.WARN, "decider"), Verdict(CheckResult.OK, "decider")
    assert stricter(rules_fail, decider_warn) is rules_fail
    assert stricter(rules_ok, decider_warn) is decider_warn
    assert stricter(rules_ok, decider_ok) is decider_ok


def test_given_a_decider_saying_ok_without_rules_then_ok_is_sent_not_the_fail_mode() -> None:
    ext = service(code="ext", fail_mode="FAIL")
    event = decode_sample("FileChange/deploy-file")
    inv = invocation()
    verdict = ext.decide(event, inv, ext.deadline(inv), decider=Decider(lambda e, i: "OK", rules=False))
    assert (verdict.result, verdict.origin) == (CheckResult.OK, "decider")


def test_given_rules_are_wanted_but_none_loaded_then_the_fail_mode_says_so(
    logged: pytest.LogCaptureFixture,
) -> None:
    ext = service(code="ext", fail_mode="FAIL")
    inv = invocation()
    verdict = ext.decide(decode_sample("FileChange/deploy-file"), inv, ext.deadline(inv))
    assert verdict.result is CheckResult.FAIL and verdict.origin == "fail-closed"
    assert verdict.tip == (
        "dwevents: the check failed (RuntimeError: no rules loaded); fail-closed (FAIL) by configuration"
    )
    [error] = errors(logged)
    assert error.getMessage().startswith("deciding failed: RuntimeError") and error.exc_info is not None


def test_deciding_may_use_only_its_share_of_the_time_so_the_reply_keeps_the_rest(
    logged: pytest.LogCaptureFixture,
) -> None:
    # GIVEN a decider that never returns, and 3 s until the verdict must be out
    release = threading.Event()
    ext = service(code="ext", fail_mode="WARN")
    stuck = Decider(lambda e, i: release.wait(60) and "OK", rules=False)
    deadline = time.monotonic() + 3.0
    try:
        verdict = ext.decide(decode_sample("FileChange/deploy-file"), invocation(), deadline, decider=stuck)
    finally:
        release.set()
    # THEN deciding gives up after its 60 % share (1.8 s), before the deadline, with the fail mode
    # (the share is read from the verdict, not from a wall clock: no timing assertion)
    assert verdict.origin == "fail-open" and verdict.result is CheckResult.WARN
    waited_ms = int(verdict.tip.split("within ")[1].split(" ms")[0])
    assert 1700 <= waited_ms < 3000
    [error] = errors(logged)
    assert error.getMessage() == f"no verdict within {waited_ms} ms; sending the WARN verdict"


@pytest.mark.parametrize(
    ("mode", "origin"), [("FAIL", "fail-closed"), ("WARN", "fail-open"), ("OK", "fail-open")]
)
def test_the_fail_mode_verdict_says_why_and_which_mode(mode: str, origin: str) -> None:
    verdict = service(fail_mode=mode).fail_mode("store down")
    assert (verdict.result.value, verdict.origin, verdict.rule) == (mode, origin, None)
    assert verdict.tip == f"dwevents: store down; {origin} ({mode}) by configuration"


# -- sending ---------------------------------------------------------------------------------------------


def test_given_an_fc_direct_message_then_the_verdict_is_the_return_value_and_counts_as_acknowledged() -> None:
    ext = service()  # no extension code: the return value needs none
    event = decode_sample("fc-direct/download-resources")
    assert ext.can_answer(event)
    report = ext.send(event, Verdict(CheckResult.FAIL, "no", "r1", "policy"), invocation())
    assert (report.api, report.acknowledged, report.attempts, report.sent_as) == (
        ReplyApi.RETURN,
        True,
        0,
        "FAIL",
    )
    assert (report.result, report.tip, report.rule, report.origin) == (CheckResult.FAIL, "no", "r1", "policy")
    assert report.sent_at is not None and datetime.fromisoformat(report.sent_at).tzinfo is not None


def test_given_no_extension_code_then_an_api_verdict_cannot_be_sent() -> None:
    ext = service()
    event = decode_sample("FileChange/deploy-file")
    assert not ext.can_answer(event) and ext.code is None
    assert service(code="").code is None
    with pytest.raises(
        RuntimeError, match=r"^an extension code is required to send a verdict through the API$"
    ):
        ext.send(event, Verdict(CheckResult.OK), invocation())


def test_given_a_client_that_cannot_be_built_then_the_report_is_not_acknowledged_and_names_why() -> None:
    # GIVEN no endpoint and no region in the environment: the DataWorks client cannot be set up
    ext = service(code="ext")
    report = ext.send(decode_sample("FileChange/deploy-file"), Verdict(CheckResult.FAIL, "t"), invocation())
    # THEN the verdict is reported NOT acknowledged, with the error's type as its code
    assert report.acknowledged is False and report.error_code == "ConfigError"
    assert report.error is not None and report.error.startswith("ConfigError: ")
    assert (report.result, report.tip, report.api) == (
        CheckResult.FAIL,
        "t",
        ReplyApi.UPDATE_IDE_EVENT_RESULT,
    )


def test_given_dataworks_then_the_report_carries_the_receipt(api: DataWorksApiStandIn) -> None:
    ext = service(api.client_env(), code="ext", dataworks={"protocol": "http"})
    event = decode_sample("FileChange/deploy-file")
    report = ext.answer(event, invocation(), decider=Decider(lambda e, i: "WARN", rules=False))
    assert (report.acknowledged, report.attempts, report.sent_as, report.error, report.error_code) == (
        True, 1, "WARN", None, None,
    )  # fmt: skip
    assert report.request_id and report.sent_at is not None
    assert [(v.message_id, v.extension_code, v.check_result) for v in api.verdicts] == [
        (event.message_id, "ext", "WARN")
    ]
    # the client is built once per settings and reused
    assert ext.client_for(None) is ext.client_for(None)


def test_given_dataworks_refuses_then_the_report_carries_its_code(
    api: DataWorksApiStandIn, logged: pytest.LogCaptureFixture
) -> None:
    api.inject(status=400, code="Invalid.Param", times=1)
    ext = service(api.client_env(), code="ext", dataworks={"protocol": "http"})
    report = ext.send(decode_sample("FileChange/deploy-file"), Verdict(CheckResult.OK), invocation())
    assert (report.acknowledged, report.attempts, report.error_code) == (False, 1, "Invalid.Param")
    assert report.error and "HTTP 400" in report.error and report.request_id and report.sent_at is None
    assert [
        r.getMessage().split(" by DataWorks")[0] for r in errors(logged) if "acknowledged" in r.getMessage()
    ] == ["verdict OK not acknowledged"]


# -- what a stored record gives back -----------------------------------------------------------------------


def test_a_stored_record_gives_back_its_verdict_marked_stored() -> None:
    verdict = stored_verdict({"result": "FAIL", "tip": "frozen", "rule": "no-deploys", "origin": "policy"})
    assert verdict == Verdict(CheckResult.FAIL, "frozen", "no-deploys", "stored")
    assert stored_verdict({"result": "WARN", "tip": None, "rule": 7}) == Verdict(
        CheckResult.WARN, "", None, "stored"
    )


@pytest.mark.parametrize("record", [{}, {"result": "MAYBE"}, {"result": None}, ["FAIL"], "FAIL"])
def test_a_record_without_a_verdict_gives_none(record: Any) -> None:
    assert stored_verdict(record) is None
