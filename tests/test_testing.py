"""dwevents.testing.Client: a function in-process, a sample by eventCode with overrides, its verdict."""

from __future__ import annotations

from typing import Any

import pytest

from dwevents.errors import ConfigError
from dwevents.runtime import FunctionApp
from dwevents.testing import Client
from dwevents.verdict import CheckResult, Verdict


def test_given_an_eventcode_and_overrides_then_the_sample_is_changed_and_delivered() -> None:
    seen: list[Any] = []
    app = FunctionApp("InstanceStatusChanges")

    @app.on("instance-status-changes")
    def record(event: Any, invocation: Any) -> None:
        seen.append(event)

    with Client(app) as client:
        # WHEN the sample is invoked with a changed field and an explicit id
        response = client.invoke("instance-status-changes", data={"status": "SUCCESS"}, id="given-id")
    # THEN the handler saw the override, and the response is the runtime's typed result
    [event] = seen
    assert event.message_id == "given-id" and event.data["status"] == "SUCCESS"
    assert response.outcome == "processed" and response.returned["events"][0]["message_id"] == "given-id"


def test_given_a_decider_then_the_client_shows_the_verdict_the_stand_in_received() -> None:
    app = FunctionApp("FileChange")

    @app.decide("deploy-file", rules=False)
    def gate(event: Any, invocation: Any) -> Verdict:
        name = event.data.get("fileName", "")
        return Verdict(CheckResult.FAIL, "no drops") if "drop" in name else Verdict(CheckResult.OK)

    with Client(app) as client:
        blocked = client.invoke("deploy-file", data={"fileName": "drop_all.sql"})
        passed = client.invoke("deploy-file", data={"fileName": "daily.sql"})
        assert [v.check_result for v in client.verdicts] == ["FAIL", "OK"]
    assert blocked.verdict is not None and (blocked.verdict.result, blocked.verdict.tip) == (
        "FAIL",
        "no drops",
    )
    assert passed.verdict is not None and passed.verdict.result == "OK"


def test_given_an_fc_direct_message_then_the_return_value_is_the_answer() -> None:
    with Client("ResourcesUpload") as client:
        response = client.invoke(client.fc_direct("upload-data-to-table", body={"fileSize": 10}))
        assert client.verdicts == []
    assert set(response.returned) == {"checkResult", "checkResultTip", "messageId"}
    assert response.returned["checkResult"] == response.verdict.result.value  # type: ignore[union-attr]


def test_given_an_unacknowledged_verdict_then_the_response_carries_the_retry_error() -> None:
    with Client("FileChange") as client:
        client.standin.inject("UpdateIDEEventResult", status=400, code="Invalid.Param", times=5)
        response = client.invoke("commit-file")
    assert response.error is not None and response.returned is None
    assert response.event.retry and response.verdict is not None and not response.verdict.acknowledged


def test_given_an_unknown_eventcode_or_a_started_app_then_a_clear_error() -> None:
    with Client("FileChange") as client:
        with pytest.raises(ConfigError, match="unknown eventCode 'deploy-fiel'"):
            client.invoke("deploy-fiel")
        client.invoke("commit-file")
        with pytest.raises(ConfigError, match="has not started"):
            Client(client.app)
