"""dwevents.dataworks.reply.send_verdict: the guaranteed send, over real HTTP against the stand-in."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

import pytest

from dwevents.catalogue import ReplyApi
from dwevents.dataworks.client import DataWorksClient
from dwevents.dataworks.reply import BACKOFF, ReplyReceipt, send_verdict
from dwevents.local.dataworks.server import DEFAULT_ACCESS_KEY_ID, DataWorksApiStandIn
from dwevents.verdict import MAX_TIP_CHARS, CheckResult, Verdict

from ..conftest import dataworks_client

SLACK_S = 0.5
TRANSPORTS = ("sdk", "lean")


def send(
    client: DataWorksClient,
    verdict: Verdict,
    *,
    api: ReplyApi = ReplyApi.UPDATE_IDE_EVENT_RESULT,
    budget_s: float = 3.0,
) -> ReplyReceipt:
    return send_verdict(
        client,
        api,
        message_id="msg-1",
        extension_code="ext-1",
        verdict=verdict,
        deadline=time.monotonic() + budget_s,
    )


FAIL = Verdict(CheckResult.FAIL, "SELECT * is not allowed", rule="no-select-star")


def test_acknowledged_first_time(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    # GIVEN a healthy DataWorks WHEN a FAIL verdict is sent
    before = datetime.now(timezone.utc)
    receipt = send(client, FAIL)
    # THEN one attempt, acknowledged, with the wire values, a request id and an aware UTC time
    assert receipt.acknowledged and receipt.attempts == 1
    assert (receipt.api, receipt.result_sent, receipt.tip_sent) == (
        "UpdateIDEEventResult",
        "FAIL",
        "SELECT * is not allowed",
    )
    assert receipt.request_id and receipt.error is None and receipt.error_code is None
    assert (
        receipt.sent_at is not None and receipt.sent_at.tzinfo is timezone.utc and receipt.sent_at >= before
    )
    assert [(v.message_id, v.extension_code, v.check_result) for v in api.verdicts] == [
        ("msg-1", "ext-1", "FAIL")
    ]
    assert receipt.as_dict()["acknowledged"] is True


def test_throttled_three_times_then_acknowledged(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    # GIVEN three 429 Throttling.User answers
    api.inject("UpdateIDEEventResult", status=429, times=3)
    # WHEN a verdict is sent
    receipt = send(client, FAIL)
    # THEN it is acknowledged on the 4th attempt and recorded once
    assert receipt.acknowledged and receipt.attempts == 4
    assert [r.status for r in api.requests] == [429, 429, 429, 200] and len(api.verdicts) == 1


def test_server_error_is_retried(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    api.inject(status=500, times=2)
    receipt = send(client, Verdict(CheckResult.OK), api=ReplyApi.CALLBACK_EXTENSION)
    assert receipt.acknowledged and receipt.attempts == 3 and api.verdicts[-1].action == "CallbackExtension"


def test_dropped_connection_is_retried(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    # GIVEN a kept-alive connection (one call made), then a server that drops the next request
    client.update_ide_event_result("warm-up", "ext-1", "OK", "", timeout_s=2)
    api.reset()
    api.inject(drop=True)
    # WHEN a verdict is sent
    receipt = send(client, FAIL)
    # THEN it is acknowledged and DataWorks got it once: the lean transport resent it itself on a fresh
    # connection (one attempt); the SDK path is retried by send_verdict (two)
    assert receipt.acknowledged and receipt.attempts == (1 if client.settings.transport == "lean" else 2)
    assert [r.status for r in api.requests] == [0, 200] and [v.message_id for v in api.verdicts] == ["msg-1"]


def test_client_error_is_not_retried_and_code_is_reported(
    api: DataWorksApiStandIn, client: DataWorksClient, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a 400 with a DataWorks error code
    api.inject(status=400, code="InvalidParameter.MessageId", times=5)
    caplog.set_level(logging.ERROR, logger="dwevents.dataworks.reply")
    # WHEN a verdict is sent
    receipt = send(client, FAIL)
    # THEN one attempt, not acknowledged, the code in the receipt and in the log
    assert not receipt.acknowledged and receipt.attempts == 1
    assert receipt.error_code == "InvalidParameter.MessageId" and "HTTP 400" in (receipt.error or "")
    assert receipt.request_id and receipt.sent_at is None
    assert "InvalidParameter.MessageId" in caplog.text and len(api.requests) == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_wrong_secret_is_not_retried(api: DataWorksApiStandIn, transport: str) -> None:
    bad = dataworks_client(api.endpoint, DEFAULT_ACCESS_KEY_ID, "wrong", transport=transport)
    receipt = send(bad, FAIL)
    assert (
        not receipt.acknowledged and receipt.attempts == 1 and receipt.error_code == "SignatureDoesNotMatch"
    )
    assert api.verdicts == []


def test_hang_past_the_deadline_returns_by_the_deadline(
    api: DataWorksApiStandIn, client: DataWorksClient
) -> None:
    # GIVEN DataWorks hangs on every request for longer than the whole budget
    api.inject(delay_s=10, times=100)
    budget = 2.0
    started = time.monotonic()
    # WHEN a verdict is sent with a 2 s deadline
    receipt = send(client, FAIL, budget_s=budget)
    # THEN it returns by the deadline (plus slack), not acknowledged, with a timeout error
    assert time.monotonic() - started < budget + SLACK_S
    assert not receipt.acknowledged and receipt.attempts >= 1 and receipt.error_code == "Transport.Timeout"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unreachable_endpoint_keeps_trying_until_the_deadline(transport: str) -> None:
    dead = dataworks_client("127.0.0.1:9", "a", "b", transport=transport)
    started = time.monotonic()
    receipt = send(dead, FAIL, budget_s=1.0)
    assert time.monotonic() - started < 1.0 + SLACK_S
    assert not receipt.acknowledged and receipt.attempts > 1 and receipt.error_code == "Transport.Connection"


def test_deadline_already_passed_sends_nothing(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    receipt = send(client, FAIL, budget_s=-1)
    assert not receipt.acknowledged and receipt.attempts == 0 and receipt.error_code == "DeadlineExceeded"
    assert api.requests == []


def test_tip_is_truncated(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    # GIVEN a multi-line tip far over the limit
    receipt = send(client, Verdict(CheckResult.WARN, "line one\n" + "y" * 2000))
    # THEN one line of at most MAX_TIP_CHARS is sent, and the receipt says exactly what
    assert len(receipt.tip_sent) == MAX_TIP_CHARS and "\n" not in receipt.tip_sent
    assert api.verdicts[-1].tip == receipt.tip_sent


def test_workbench_warn_goes_as_ok_with_the_warning_in_the_tip(
    api: DataWorksApiStandIn, client: DataWorksClient
) -> None:
    receipt = send(
        client,
        Verdict(CheckResult.WARN, "backfill spans 40 days"),
        api=ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT,
    )
    fail = send(client, FAIL, api=ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT)
    assert receipt.acknowledged and (receipt.result_sent, receipt.tip_sent) == (
        "OK",
        "WARN: backfill spans 40 days",
    )
    # AND FAIL is sent as FAIL: "UpdateWorkbenchEventResult - 更新扩展程序的处理结果"
    # (https://help.aliyun.com/document_detail/425341.html): "回调结果,OK代表检查成功,FAIL代表检查失败"
    assert fail.acknowledged and fail.result_sent == "FAIL"
    assert [v.check_result for v in api.verdicts] == ["OK", "FAIL"]


def test_return_api_is_not_for_send_verdict(client: DataWorksClient) -> None:
    with pytest.raises(ValueError):
        send(client, FAIL, api=ReplyApi.RETURN)


def test_backoff_is_full_jitter_from_a_tenth_of_a_second_capped_at_two() -> None:
    # GIVEN the upper end of the jitter WHEN attempts grow THEN the delay doubles up to the cap
    top = [BACKOFF.delay(n, rng=lambda _lo, hi: hi) for n in (1, 2, 3, 10)]
    assert top == [0.1, 0.2, 0.4, 2.0]
    assert BACKOFF.delay(5, rng=lambda lo, _hi: lo) == 0.0


def test_sleeps_between_attempts_within_the_deadline(
    api: DataWorksApiStandIn, client: DataWorksClient
) -> None:
    # GIVEN recorded sleeps WHEN two 500s precede success THEN two backoffs, each within the jitter bounds
    api.inject(status=500, times=2)
    slept: list[float] = []
    receipt = send_verdict(
        client,
        ReplyApi.UPDATE_IDE_EVENT_RESULT,
        message_id="m",
        extension_code="e",
        verdict=FAIL,
        deadline=time.monotonic() + 3,
        sleep=slept.append,
    )
    assert receipt.acknowledged and len(slept) == 2
    assert 0 <= slept[0] <= 0.1 and 0 <= slept[1] <= 0.2
