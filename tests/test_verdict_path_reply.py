"""The guaranteed send and its wire mapping, pinned where the mutation run found them unpinned.

``send_verdict`` runs against the DataWorks API stand-in (real HTTP, signature checked); time is a
fake clock that only the recorded ``sleep`` advances, so every retry and every give-up point is exact
and no assertion depends on how fast the machine is. Expected values are written out here, not read
from the module under test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest

from dwevents.catalogue import ReplyApi
from dwevents.dataworks.client import DataWorksClient
from dwevents.dataworks.reply import send_verdict
from dwevents.dataworks.settings import DataWorksSettings
from dwevents.dataworks.wire import (
    api_error,
    check_success,
    is_transient,
    none_if_blank,
    scrub,
    transport_error,
    wire_verdict,
)
from dwevents.errors import CloudApiError
from dwevents.local.dataworks.server import DataWorksApiStandIn
from dwevents.retry import Backoff
from dwevents.verdict import CheckResult, Verdict

FAIL = Verdict(CheckResult.FAIL, "SELECT * is not allowed", rule="no-select-star")


class FakeTime:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FixedBackoff(Backoff):
    """The backoff ceiling every time (no jitter), so the sleeps can be written down."""

    def delay(self, attempt: int, **_: Any) -> float:
        return 0.25


class Exploding:
    """A transport with a bug: every call raises something that is not a CloudApiError."""

    def __init__(self) -> None:
        self.calls = 0

    def warm(self) -> None:
        return None

    def call(self, action: str, params: Mapping[str, Any], *, timeout_s: float) -> dict[str, Any]:
        self.calls += 1
        raise RuntimeError("transport bug")


def _send(client: DataWorksClient, fake: FakeTime, deadline: float, **kwargs: Any) -> Any:
    return send_verdict(
        client,
        kwargs.pop("api", ReplyApi.UPDATE_IDE_EVENT_RESULT),
        message_id="msg-1",
        extension_code="ext-1",
        verdict=kwargs.pop("verdict", FAIL),
        deadline=deadline,
        sleep=fake.sleep,
        clock=fake.clock,
        backoff=FixedBackoff(),
    )


@pytest.fixture()
def lean(api: DataWorksApiStandIn) -> DataWorksClient:
    environ = {**api.client_env(), "DWEVENTS_DATAWORKS_TRANSPORT": "lean"}
    return DataWorksClient(DataWorksSettings.from_env(environ=environ))


# -- retries inside the deadline ------------------------------------------------------------------------


def test_given_dataworks_keeps_failing_transiently_then_the_sleeps_halve_what_is_left_and_it_gives_up(
    api: DataWorksApiStandIn, lean: DataWorksClient
) -> None:
    # GIVEN a DataWorks answering 500 to every request, and one second left
    api.inject(status=500, times=50)
    fake = FakeTime()
    # WHEN a verdict is sent
    receipt = _send(lean, fake, deadline=1.0)
    # THEN it sleeps the backoff (0.25 s) while that leaves time, then never more than half of what is
    # left, and stops when a sleep would leave less than one attempt (50 ms): six attempts in all
    assert fake.slept == [0.25, 0.25, 0.25, 0.125, 0.0625]
    assert receipt.attempts == 6 and len(api.requests) == 6
    assert not receipt.acknowledged and receipt.sent_at is None
    assert receipt.error_code == "InternalError.System" and "HTTP 500" in (receipt.error or "")
    assert receipt.request_id  # the id of DataWorks' last (error) answer, for support


def test_given_a_sleep_that_leaves_exactly_one_attempts_worth_then_it_sleeps_and_tries_again(
    api: DataWorksApiStandIn, lean: DataWorksClient
) -> None:
    # 0.1 s left: after the first failure half of it (0.05 s) may be slept, leaving exactly one attempt
    api.inject(status=500, times=5)
    fake = FakeTime()
    receipt = _send(lean, fake, deadline=0.1)
    assert fake.slept == [0.05] and receipt.attempts == 2 and not receipt.acknowledged


def test_given_exactly_one_attempts_worth_of_time_then_one_attempt_is_made(
    api: DataWorksApiStandIn, lean: DataWorksClient
) -> None:
    # GIVEN 50 ms left (the least an attempt needs) WHEN a verdict is sent THEN it is sent
    receipt = _send(lean, FakeTime(), deadline=0.05)
    assert receipt.acknowledged and receipt.attempts == 1 and len(api.verdicts) == 1


def test_given_less_than_an_attempts_worth_of_time_then_nothing_is_sent_and_the_receipt_says_why(
    api: DataWorksApiStandIn, lean: DataWorksClient
) -> None:
    receipt = _send(lean, FakeTime(), deadline=0.049)
    assert (receipt.acknowledged, receipt.attempts, receipt.sent_at) == (False, 0, None)
    assert receipt.error == "deadline reached before the first attempt"
    assert receipt.error_code == "DeadlineExceeded"
    assert api.requests == []


def test_given_a_transient_failure_then_success_then_acknowledged_with_the_second_attempts_time(
    api: DataWorksApiStandIn, lean: DataWorksClient
) -> None:
    api.inject(status=429, times=1)
    fake = FakeTime()
    receipt = _send(lean, fake, deadline=10.0)
    assert receipt.acknowledged and receipt.attempts == 2 and fake.slept == [0.25]
    # an acknowledged receipt carries no error, even though the first attempt failed
    assert receipt.error is None and receipt.error_code is None
    assert receipt.sent_at is not None and receipt.request_id


# -- failures that are not DataWorks' answer --------------------------------------------------------------


def test_given_a_transport_that_raises_something_unexpected_then_not_acknowledged_and_not_retried(
    api: DataWorksApiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    logger = logging.getLogger("dwevents")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.INFO)
    # GIVEN a client whose transport has a bug (raises RuntimeError, not CloudApiError)
    transport = Exploding()
    client = DataWorksClient(DataWorksSettings.from_env(environ=api.client_env()), transport=transport)
    # WHEN a verdict is sent with plenty of time
    receipt = _send(client, FakeTime(), deadline=30.0)
    # THEN it is reported NOT acknowledged, naming the exception, after a single attempt
    assert receipt.acknowledged is False
    assert (receipt.attempts, transport.calls) == (1, 1)
    assert receipt.error == "RuntimeError: transport bug" and receipt.error_code == "RuntimeError"
    assert receipt.sent_at is None
    logger.removeHandler(caplog.handler)
    [logged] = {id(r): r for r in caplog.records if "unexpected error" in r.getMessage()}.values()
    assert logged.levelno == logging.ERROR and logged.exc_info is not None


class Scripted:
    """A transport answering from a script: a dict is DataWorks' body, an exception is raised."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)

    def warm(self) -> None:
        return None

    def call(self, action: str, params: Mapping[str, Any], *, timeout_s: float) -> dict[str, Any]:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)


def test_given_an_answer_without_a_request_id_then_acknowledged_with_none(api: DataWorksApiStandIn) -> None:
    settings = DataWorksSettings.from_env(environ=api.client_env())
    receipt = _send(DataWorksClient(settings, transport=Scripted({"Success": True})), FakeTime(), 5.0)
    assert receipt.acknowledged and receipt.request_id is None
    blank = _send(DataWorksClient(settings, transport=Scripted({"RequestId": ""})), FakeTime(), 5.0)
    assert blank.acknowledged and blank.request_id is None


def test_given_a_refusal_without_an_error_code_then_the_receipt_code_is_none(
    api: DataWorksApiStandIn,
) -> None:
    settings = DataWorksSettings.from_env(environ=api.client_env())
    refusal = CloudApiError("refused", action="UpdateIDEEventResult", code="", status=400, request_id="r-7")
    receipt = _send(DataWorksClient(settings, transport=Scripted(refusal)), FakeTime(), 5.0)
    assert (receipt.acknowledged, receipt.attempts, receipt.error_code) == (False, 1, None)
    assert receipt.error == "refused" and receipt.request_id == "r-7"
    # a transient failure without a request id keeps the one from an earlier answer
    first = CloudApiError("busy", code="Throttling", status=429, request_id="r-1", transient=True)
    second = CloudApiError("busy", code="Throttling", status=429, transient=True)
    third = CloudApiError("no", code="Invalid", status=400)
    receipt = _send(DataWorksClient(settings, transport=Scripted(first, second, third)), FakeTime(), 5.0)
    assert (receipt.attempts, receipt.request_id, receipt.error_code) == (3, "r-1", "Invalid")


def test_given_success_false_then_it_is_a_permanent_refusal_not_an_acknowledgement() -> None:
    # "Success: false" (a Boolean, or the String "false" CallbackExtension documents) is a refusal
    for body in ({"Success": False}, {"Success": "false"}, {"Success": " FALSE "}):
        with pytest.raises(CloudApiError) as info:
            check_success("CallbackExtension", {**body, "RequestId": "req-9"})
        assert info.value.code == "Success.False" and info.value.transient is False
        assert info.value.status == 200 and info.value.request_id == "req-9"
    for body in ({}, {"Success": True}, {"Success": "true"}):
        check_success("CallbackExtension", body)  # no exception: accepted
    with pytest.raises(CloudApiError) as blank:
        check_success("CallbackExtension", {"Success": False, "RequestId": ""})
    assert blank.value.request_id is None


def test_the_receipt_is_immutable_and_its_dict_uses_the_documented_keys(
    api: DataWorksApiStandIn, lean: DataWorksClient
) -> None:
    receipt = _send(lean, FakeTime(), deadline=5.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        receipt.acknowledged = False  # type: ignore[misc]
    doc = receipt.as_dict()
    assert doc == {
        "api": "UpdateIDEEventResult",
        "result_sent": "FAIL",
        "tip_sent": "SELECT * is not allowed",
        "acknowledged": True,
        "attempts": 1,
        "sent_at": receipt.sent_at.isoformat() if receipt.sent_at else "missing",
        "request_id": receipt.request_id,
        "error": None,
        "error_code": None,
    }


def test_return_api_is_refused_with_a_message_saying_the_return_value_answers(
    lean: DataWorksClient,
) -> None:
    with pytest.raises(ValueError, match=r"^ReplyApi.RETURN is answered by the function's return value; "):
        _send(lean, FakeTime(), deadline=5.0, api=ReplyApi.RETURN)
    with pytest.raises(ValueError, match=r"^ReplyApi.RETURN is answered by the function's return value, not"):
        wire_verdict(ReplyApi.RETURN, "OK", "")


# -- the wire mapping ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "result", "tip", "expected"),
    [
        # UpdateWorkbenchEventResult: "OK 代表检查成功，FAIL 代表检查失败": no WARN, so OK + "WARN:" tip
        (ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, "WARN", "slow query", ("OK", "WARN: slow query")),
        (ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, "WARN", "", ("OK", "WARN")),
        (ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, "fail", "no", ("FAIL", "no")),
        (ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, "OK", "", ("OK", "")),
        # CallbackExtension: "当 CheckResult 设置为 FAIL，提供 FAIL 原因" — a FAIL never goes without a cause
        (ReplyApi.CALLBACK_EXTENSION, "FAIL", "", ("FAIL", "Blocked by the extension.")),
        (ReplyApi.CALLBACK_EXTENSION, "FAIL", "why", ("FAIL", "why")),
        (ReplyApi.CALLBACK_EXTENSION, "WARN", "", ("WARN", "")),
        (ReplyApi.UPDATE_IDE_EVENT_RESULT, " warn ", "hm", ("WARN", "hm")),
        (ReplyApi.UPDATE_IDE_EVENT_RESULT, "FAIL", "", ("FAIL", "")),
    ],
)
def test_each_api_gets_the_check_result_and_text_its_documentation_allows(
    api: ReplyApi, result: str, tip: str, expected: tuple[str, str]
) -> None:
    wire = wire_verdict(api, result, tip)
    assert (wire.check_result, wire.text) == expected
    params = wire.params("m-1", "ext")
    text_field = "CheckMessage" if api is ReplyApi.CALLBACK_EXTENSION else "CheckResultTip"
    assert params == {
        "MessageId": "m-1",
        "ExtensionCode": "ext",
        "CheckResult": expected[0],
        text_field: expected[1],
    }


def test_an_unknown_check_result_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="'MAYBE'"):
        wire_verdict(ReplyApi.UPDATE_IDE_EVENT_RESULT, "MAYBE", "")


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [
        (429, "Throttling.User", True),
        (500, "", True),
        (400, "ServiceUnavailable", True),
        (499, "", False),
        (400, "InternalError.UserId.Missing", True),  # documented as "internal error, try again later"
        (400, "Throttling.Api", True),
        (403, "SignatureNonceUsed", True),
        (400, "InvalidParameter", False),
        (403, "SignatureDoesNotMatch", False),
        (None, "", False),
    ],
)
def test_transient_means_429_5xx_or_a_try_again_code(status: int | None, code: str, transient: bool) -> None:
    assert is_transient(status, code) is transient
    error = api_error("UpdateIDEEventResult", status, code, "msg", request_id="r-1")
    assert error.transient is transient and error.code == code and error.request_id == "r-1"


def test_a_wire_verdict_is_immutable_and_an_api_error_without_request_id_has_none() -> None:
    wire = wire_verdict(ReplyApi.UPDATE_IDE_EVENT_RESULT, "OK", "")
    with pytest.raises(dataclasses.FrozenInstanceError):
        wire.text = "changed"  # type: ignore[misc]
    assert api_error("CallbackExtension", 400, "Bad", "m").request_id is None


def test_api_error_text_names_action_status_and_code_and_drops_query_strings() -> None:
    error = api_error("CallbackExtension", 400, "Bad", "see /x?Signature=abc&AccessKeyId=k now")
    assert str(error) == "CallbackExtension failed: HTTP 400 Bad: see /x?… now"
    assert str(api_error("CallbackExtension", None, "", "m")) == "CallbackExtension failed: error: m"
    assert scrub("GET /a/b?x=1 done") == "GET /a/b?… done"


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        (None, True),
        (200, True),
        (399, True),
        (400, False),
        (404, False),
        (429, True),
        (499, False),
        (500, True),
        (502, True),
    ],
)
def test_a_transport_error_is_retried_unless_the_status_says_the_request_is_wrong(
    status: int | None, transient: bool
) -> None:
    error = transport_error("UpdateIDEEventResult", "Transport.Timeout", "read timed out", status=status)
    assert error.transient is transient and error.code == "Transport.Timeout" and error.status == status
    assert str(error) == "UpdateIDEEventResult failed: Transport.Timeout: read timed out"


def test_blank_request_ids_are_none() -> None:
    assert [none_if_blank(v) for v in (None, "", "None", "r-1", 7)] == [None, None, None, "r-1", "7"]
