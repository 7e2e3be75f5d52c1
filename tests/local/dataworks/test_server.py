"""The DataWorks API stand-in, driven by the real SDK over HTTP (and by hand-signed requests for the
corner cases the SDK never produces)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from dwevents.dataworks.client import DataWorksClient
from dwevents.dataworks.settings import DataWorksSettings
from dwevents.errors import CloudApiError
from dwevents.local.dataworks.server import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DataWorksApiStandIn,
)

from ...conftest import dataworks_client
from .conftest import signed_request


@pytest.fixture(scope="module")
def client(api_server: DataWorksApiStandIn) -> DataWorksClient:
    dw = DataWorksClient(DataWorksSettings.from_env(environ=api_server.client_env()))
    dw.warm()
    return dw


def raw_sdk(api_server: DataWorksApiStandIn) -> Any:
    """The bare SDK client, for wire values our wrapper would never send."""
    from alibabacloud_dataworks_public20200518.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    return Client(
        Config(
            access_key_id=DEFAULT_ACCESS_KEY_ID,
            access_key_secret=DEFAULT_ACCESS_KEY_SECRET,
            endpoint=api_server.endpoint,
            protocol="http",
        )
    )


def signed_post(
    api_server: DataWorksApiStandIn, action: str, params: dict[str, str], **options: Any
) -> tuple[int, dict[str, Any]]:
    return signed_request(api_server, action, params, **options)


# -- every API answers in the shape the SDK models parse ------------------------------------------------


def test_verdict_apis_are_recorded_with_their_wire_values(
    api: DataWorksApiStandIn, client: DataWorksClient
) -> None:
    # GIVEN the stand-in WHEN each verdict API is called through the SDK
    ide = client.update_ide_event_result("m-ide", "ext-1", "WARN", "tip ü & + =", timeout_s=2)
    wb = client.update_workbench_event_result("m-wb", "ext-1", "FAIL", "too long", timeout_s=2)
    cb = client.callback_extension("m-cb", "ext-1", "OK", "fine", timeout_s=2)
    # THEN each answer carries a RequestId and each verdict is recorded as received
    assert ide["RequestId"] and wb["Success"] is True and cb["Success"] == "true"
    got = [(v.action, v.message_id, v.extension_code, v.check_result, v.tip) for v in api.verdicts]
    assert got == [
        ("UpdateIDEEventResult", "m-ide", "ext-1", "WARN", "tip ü & + ="),
        ("UpdateWorkbenchEventResult", "m-wb", "ext-1", "FAIL", "too long"),
        ("CallbackExtension", "m-cb", "ext-1", "OK", "fine"),
    ]
    assert all(v.received_at.tzinfo is timezone.utc for v in api.verdicts)
    assert all(v.access_key_id == DEFAULT_ACCESS_KEY_ID for v in api.verdicts)


def test_workbench_params_travel_in_the_query_string(
    api: DataWorksApiStandIn, client: DataWorksClient
) -> None:
    # GIVEN/WHEN an Operation Center verdict THEN it is accepted (the query string is part of the signature)
    client.update_workbench_event_result("m-q", "ext", "OK", "a b&c=d/é", timeout_s=2)
    assert api.requests[-1].status == 200 and api.verdicts[-1].tip == "a b&c=d/é"


def test_event_detail_fixtures_per_message_and_default(
    api: DataWorksApiStandIn, client: DataWorksClient
) -> None:
    # GIVEN a file for one message, a table for another, and the default for the rest
    api.set_file_content("m-run", "DROP TABLE x;", kind="FileExecutionCommand", file_type=10)
    api.set_table_model(
        "m-tbl", "ods_users", [("id", "BIGINT", "key", False), ("ds", "STRING", "", True)], life_cycle=7
    )
    # WHEN GetIDEEventDetail is called THEN the SDK parses each shape
    run = client.get_ide_event_detail("m-run", 10001, timeout_s=2)
    assert run == {
        "FileExecutionCommand": {
            "Content": "DROP TABLE x;",
            "FileType": 10,
            "DataSourceName": "odps_first",
            "FileId": 1,
        }
    }
    table = client.get_ide_event_detail("m-tbl", 10001, timeout_s=2)["TableModel"]
    assert table["TableName"] == "ods_users" and table["LifeCycle"] == 7
    assert table["Columns"][1] == {
        "ColumnName": "ds",
        "ColumnType": "STRING",
        "Comment": "",
        "IsPartitionColumn": True,
    }
    assert client.get_ide_event_detail("other", 1, timeout_s=2)["CommittedFile"]["Content"] == "SELECT 1;"
    assert api.verdicts == []


def test_extension_and_option_value_fixtures(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    # GIVEN extension parameters and per-project options
    api.set_extension("ext-p", parameter_setting="extension.project.disabled=1,2", ExtensionName="Guard")
    api.set_option_value("ext-p", 42, {"checkStatus": "FAIL"})
    # WHEN read through the SDK THEN they come back as configured, defaults elsewhere
    extension = client.get_extension("ext-p", timeout_s=2)
    assert extension["ParameterSetting"] == "extension.project.disabled=1,2"
    assert extension["ExtensionName"] == "Guard" and extension["Status"] == 1
    assert client.get_extension("unknown", timeout_s=2)["ParameterSetting"] == ""
    assert client.get_option_value_for_project("ext-p", 42, timeout_s=2) == {"checkStatus": "FAIL"}
    assert client.get_option_value_for_project("ext-p", 43, timeout_s=2) == {}


# -- validation as DataWorks does it --------------------------------------------------------------------


def test_workbench_rejects_the_english_pages_fail_spelling(api: DataWorksApiStandIn) -> None:
    from alibabacloud_dataworks_public20200518 import models
    from alibabacloud_tea_openapi.exceptions import ClientException

    # GIVEN the bare SDK WHEN UpdateWorkbenchEventResult gets "Fail" (the English page's spelling; the
    # Chinese original says "OK代表检查成功,FAIL代表检查失败" and wins)
    with pytest.raises(ClientException) as caught:
        raw_sdk(api).update_workbench_event_result(
            models.UpdateWorkbenchEventResultRequest(message_id="m", extension_code="e", check_result="Fail")
        )
    # THEN it is a 400 InvalidCheckResult and nothing is recorded
    assert caught.value.code == "InvalidCheckResult" and caught.value.status_code == 400
    assert api.verdicts == []


def test_callback_fail_needs_a_message(api: DataWorksApiStandIn) -> None:
    from alibabacloud_dataworks_public20200518 import models
    from alibabacloud_tea_openapi.exceptions import ClientException

    with pytest.raises(ClientException) as caught:
        raw_sdk(api).callback_extension(
            models.CallbackExtensionRequest(message_id="m", extension_code="e", check_result="FAIL")
        )
    assert caught.value.code == "MissingCheckMessage"


def test_missing_parameter_and_unknown_action(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    # GIVEN a verdict without a message id WHEN sent THEN MissingMessageId
    with pytest.raises(CloudApiError) as caught:
        client.update_ide_event_result("", "ext", "OK", "", timeout_s=2)
    assert caught.value.code == "MissingMessageId" and caught.value.status == 400
    # AND an action the stand-in does not serve answers 404 InvalidApi.NotFound
    status, body = signed_post(api, "ListExtensions", {})
    assert status == 404 and body["Code"] == "InvalidApi.NotFound" and body["RequestId"]


# -- signatures -----------------------------------------------------------------------------------------


def test_wrong_secret_is_signature_does_not_match(api: DataWorksApiStandIn) -> None:
    bad = dataworks_client(api.endpoint, DEFAULT_ACCESS_KEY_ID, "wrong")
    with pytest.raises(CloudApiError) as caught:
        bad.update_ide_event_result("m", "ext", "OK", "", timeout_s=2)
    assert (caught.value.code, caught.value.status, caught.value.transient) == (
        "SignatureDoesNotMatch",
        400,
        False,
    )
    assert api.verdicts == []


def test_unknown_access_key_is_not_found(api: DataWorksApiStandIn) -> None:
    bad = dataworks_client(api.endpoint, "LTAI-nobody", "x")
    with pytest.raises(CloudApiError) as caught:
        bad.get_extension("ext", timeout_s=2)
    assert (caught.value.code, caught.value.status) == ("InvalidAccessKeyId.NotFound", 404)


def test_sts_token_is_required_and_checked(api: DataWorksApiStandIn) -> None:
    # GIVEN an STS key registered with its token
    api.add_credentials("STS.key", "sts-secret", security_token="token-123")
    good = dataworks_client(api.endpoint, "STS.key", "sts-secret", "token-123")
    wrong = dataworks_client(api.endpoint, "STS.key", "sts-secret", "token-999")
    missing = dataworks_client(api.endpoint, "STS.key", "sts-secret")
    # WHEN each sends a verdict THEN only the right token is accepted, and it was signed
    good.update_ide_event_result("m-sts", "ext", "OK", "", timeout_s=2)
    assert api.verdicts[-1].security_token is True and api.verdicts[-1].access_key_id == "STS.key"
    for client, code in (
        (wrong, "InvalidSecurityToken.MismatchWithAccessKey"),
        (missing, "MissingSecurityToken"),
    ):
        with pytest.raises(CloudApiError) as caught:
            client.update_ide_event_result("m-sts", "ext", "OK", "", timeout_s=2)
        assert caught.value.code == code and not caught.value.transient
    assert len(api.verdicts) == 1


def test_replayed_nonce_and_stale_date_are_refused(api: DataWorksApiStandIn) -> None:
    params = {"MessageId": "m", "ExtensionCode": "e", "CheckResult": "OK"}
    # GIVEN a correctly signed hand-made request WHEN sent twice with the same nonce
    assert signed_post(api, "UpdateIDEEventResult", params, nonce="n-1")[0] == 200
    status, body = signed_post(api, "UpdateIDEEventResult", params, nonce="n-1")
    # THEN the replay is refused; so are a 20-minute-old date, a wrong secret and a wrong version
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")
    stale = signed_post(
        api, "UpdateIDEEventResult", params, date=datetime.now(timezone.utc) - timedelta(minutes=20)
    )
    assert stale[1]["Code"] == "InvalidTimeStamp.Expired"
    assert (
        signed_post(api, "UpdateIDEEventResult", params, secret="nope")[1]["Code"] == "SignatureDoesNotMatch"
    )
    assert (
        signed_post(api, "UpdateIDEEventResult", params, version="2024-05-18")[1]["Code"] == "InvalidVersion"
    )
    assert len(api.verdicts) == 1


def test_unsigned_request_is_refused(api: DataWorksApiStandIn) -> None:
    request = urllib.request.Request(
        api.url,
        data=b"MessageId=m",
        method="POST",
        headers={"x-acs-action": "UpdateIDEEventResult", "x-acs-version": "2020-05-18"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert json.loads(caught.value.read())["Code"] == "MissingAuthorization"


# -- faults ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [
        (429, "Throttling.User", True),
        (500, "InternalError.System", True),
        (503, "ServiceUnavailable", True),
        (403, "Forbidden.Access", False),
    ],
)
def test_injected_status_uses_dataworks_codes(
    api: DataWorksApiStandIn, client: DataWorksClient, status: int, code: str, transient: bool
) -> None:
    # GIVEN one injected error WHEN a verdict is sent twice
    api.inject("UpdateIDEEventResult", status=status)
    with pytest.raises(CloudApiError) as caught:
        client.update_ide_event_result("m", "ext", "OK", "", timeout_s=2)
    # THEN the first gets it (with a request id), the second goes through
    assert (caught.value.status, caught.value.code, caught.value.transient) == (status, code, transient)
    assert caught.value.request_id
    client.update_ide_event_result("m", "ext", "OK", "", timeout_s=2)
    assert [r.status for r in api.requests] == [status, 200] and len(api.verdicts) == 1


def test_fault_for_another_action_does_not_apply(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    api.inject("CallbackExtension", status=500, times=5)
    client.update_ide_event_result("m", "ext", "OK", "", timeout_s=2)
    assert api.requests[-1].status == 200


def test_dropped_connection_and_hang(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    # GIVEN a kept-alive connection, then a dropped connection, then a hang longer than the client's
    # timeout. The lean transport resends a request once when a kept-alive connection turns out closed
    # without an answer (the stale keep-alive race, see dwevents.dataworks.lean): that resend is dropped too.
    client.update_ide_event_result("warm", "ext", "OK", "", timeout_s=2)
    api.reset()
    api.inject(drop=True, times=2 if client.settings.transport == "lean" else 1)
    api.inject(delay_s=3)
    with pytest.raises(CloudApiError) as dropped:
        client.update_ide_event_result("m", "ext", "OK", "", timeout_s=2)
    started = time.monotonic()
    with pytest.raises(CloudApiError) as hung:
        client.update_ide_event_result("m", "ext", "OK", "", timeout_s=0.5)
    # THEN both are transient transport errors and the hang costs about the timeout, not the delay
    assert (dropped.value.code, dropped.value.transient) == ("Transport.Connection", True)
    assert (hung.value.code, hung.value.transient) == ("Transport.Timeout", True)
    assert time.monotonic() - started < 2.0


def test_module_entry_serves_and_prints_verdicts() -> None:
    # GIVEN `python -m dwevents.local.dataworks` on a free port
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "dwevents.local.dataworks"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "DataWorks API stand-in on http://127.0.0.1:" in first
        env: dict[str, str] = {}
        for line in iter(proc.stdout.readline, ""):
            if not line.startswith("  export "):
                assert line.startswith("Ctrl-C to stop")
                break
            key, value = line.strip().removeprefix("export ").split("=", 1)
            env[key] = value
        # WHEN a verdict is sent to it
        DataWorksClient(DataWorksSettings.from_env(environ=env)).update_ide_event_result(
            "m-cli", "ext", "FAIL", "no", timeout_s=5
        )
        # THEN it prints the verdict
        line = proc.stdout.readline()
        assert "UpdateIDEEventResult message=m-cli extension=ext result=FAIL tip='no'" in line
    finally:
        proc.terminate()
        proc.wait(timeout=5)
