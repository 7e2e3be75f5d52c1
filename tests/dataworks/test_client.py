"""dwevents.dataworks: settings from FC context / environment, the wire mapping, and the client driven over
real HTTP, with both transports, against the local DataWorks API stand-in (nothing mocked)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from dwevents.catalogue import ReplyApi
from dwevents.dataworks.client import DataWorksClient
from dwevents.dataworks.settings import DataWorksSettings
from dwevents.dataworks.wire import wire_verdict
from dwevents.errors import CloudApiError, ConfigError, DwEventsError
from dwevents.local.dataworks.server import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DataWorksApiStandIn,
)
from dwevents.verdict import MAX_TIP_CHARS

from ..conftest import dataworks_client

TRANSPORTS = ("sdk", "lean")
SDK_PREFIXES = ("alibabacloud", "Tea", "darabonba")


# -- import cost ---------------------------------------------------------------------------------------


def test_importing_the_client_imports_no_sdk_module() -> None:
    # GIVEN a fresh interpreter WHEN the client, the reply path and the stand-in are imported
    code = (
        "import sys, dwevents.dataworks.reply, dwevents.local.dataworks.server; "
        "from dwevents.dataworks.client import DataWorksClient; "
        "from dwevents.dataworks.settings import DataWorksSettings; "
        "DataWorksClient(DataWorksSettings(endpoint='x', transport='sdk')); "
        f"print([m for m in sys.modules if m.startswith({SDK_PREFIXES!r})])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # THEN no SDK module is loaded (constructing a client does not load it either)
    assert out.strip() == "[]"


def test_warm_loads_the_sdk_when_it_is_the_transport() -> None:
    code = (
        "import sys; from dwevents.dataworks.client import DataWorksClient; "
        "from dwevents.dataworks.settings import DataWorksSettings; "
        "DataWorksClient(DataWorksSettings(endpoint='x', transport='sdk')).warm(); "
        "print('alibabacloud_dataworks_public20200518.client' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


# -- settings --------------------------------------------------------------------------------------------


def test_settings_prefer_fc_context_credentials() -> None:
    # GIVEN an FC (Python 3.10 runtime) context with role credentials and different variables
    ctx = SimpleNamespace(
        region="cn-shanghai",
        credentials=SimpleNamespace(
            access_key_id="STS.ctx", access_key_secret="ctx-secret", security_token="ctx-token"
        ),
    )
    environ = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret"}
    # WHEN settings are built THEN the context wins and its region gives the endpoint
    s = DataWorksSettings.from_env(ctx, environ)
    assert (s.access_key_id, s.access_key_secret, s.security_token) == ("STS.ctx", "ctx-secret", "ctx-token")
    assert (s.region, s.endpoint, s.protocol) == (
        "cn-shanghai",
        "dataworks.cn-shanghai.aliyuncs.com",
        "https",
    )


def test_settings_from_variables_and_region_order() -> None:
    # GIVEN no context credentials (Python 3.12 runtime) and every region source set
    environ = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "id",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sec",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "tok",
        "DWEVENTS_REGION": "cn-beijing",
        "FC_REGION": "cn-hangzhou",
        "ALIBABA_CLOUD_REGION_ID": "cn-shenzhen",
        "DWEVENTS_DATAWORKS_VPC": "true",
    }
    s = DataWorksSettings.from_env(SimpleNamespace(region="ap-southeast-1"), environ)
    # THEN the variables give the credentials, DWEVENTS_REGION wins, and VPC selects the VPC endpoint
    assert (s.access_key_id, s.security_token, s.region) == ("id", "tok", "cn-beijing")
    assert s.endpoint == "dataworks-vpc.cn-beijing.aliyuncs.com"
    del environ["DWEVENTS_REGION"]
    assert DataWorksSettings.from_env(None, environ).region == "cn-hangzhou"
    del environ["FC_REGION"]
    assert DataWorksSettings.from_env(None, environ).region == "cn-shenzhen"
    del environ["ALIBABA_CLOUD_REGION_ID"]
    assert (
        DataWorksSettings.from_env(SimpleNamespace(region="ap-southeast-1"), environ).region
        == "ap-southeast-1"
    )


def test_settings_endpoint_override_and_errors() -> None:
    # GIVEN an override with a scheme THEN the scheme becomes the protocol
    s = DataWorksSettings.from_env(
        None,
        {"DWEVENTS_DATAWORKS_ENDPOINT": "http://127.0.0.1:9999/", "DWEVENTS_DATAWORKS_TIMEOUT_MS": "1500"},
    )
    assert (s.endpoint, s.protocol, s.attempt_timeout_s) == ("127.0.0.1:9999", "http", 1.5)
    # AND no endpoint and no region, a bad protocol or a bad timeout are configuration errors
    with pytest.raises(ConfigError):
        DataWorksSettings.from_env(None, {})
    with pytest.raises(ConfigError):
        DataWorksSettings.from_env(
            None, {"DWEVENTS_REGION": "cn-hangzhou", "DWEVENTS_DATAWORKS_PROTOCOL": "ftp"}
        )
    with pytest.raises(ConfigError):
        DataWorksSettings.from_env(
            None, {"DWEVENTS_REGION": "cn-hangzhou", "DWEVENTS_DATAWORKS_TIMEOUT_MS": "x"}
        )


def test_settings_take_the_config_file_endpoint_before_validating() -> None:
    # GIVEN the config file's extension.dataworks values and no region anywhere
    s = DataWorksSettings.from_env(None, {}, endpoint="127.0.0.1:9999", protocol="http")
    # THEN the endpoint needs no region, and wins over the variable
    assert (s.endpoint, s.protocol, s.region) == ("127.0.0.1:9999", "http", None)
    over = DataWorksSettings.from_env(None, {"DWEVENTS_DATAWORKS_ENDPOINT": "env:1"}, endpoint="file:2")
    assert over.endpoint == "file:2"
    # AND vpc from the config file picks the VPC endpoint of the region
    vpc = DataWorksSettings.from_env(None, {"DWEVENTS_REGION": "cn-shanghai"}, vpc=True)
    assert vpc.endpoint == "dataworks-vpc.cn-shanghai.aliyuncs.com"


def test_api_errors_are_the_package_errors() -> None:
    # GIVEN the one API error class THEN callers can catch it as a DwEventsError and read every field
    err = CloudApiError(
        "x", action="GetExtension", code="Throttling.User", status=429, request_id="r", transient=True
    )
    assert isinstance(err, DwEventsError)
    assert (err.action, err.code, err.status, err.request_id, err.transient) == (
        "GetExtension",
        "Throttling.User",
        429,
        "r",
        True,
    )


def test_settings_transport_choice() -> None:
    base = {"DWEVENTS_REGION": "cn-hangzhou"}
    # GIVEN no choice THEN the stdlib transport is the default (docs/decisions/dataworks-transport.md)
    assert DataWorksSettings.from_env(None, base).transport == "lean"
    assert (
        DataWorksSettings.from_env(None, {**base, "DWEVENTS_DATAWORKS_TRANSPORT": "SDK"}).transport == "sdk"
    )
    with pytest.raises(ConfigError):
        DataWorksSettings.from_env(None, {**base, "DWEVENTS_DATAWORKS_TRANSPORT": "curl"})


def test_settings_repr_redacts_secrets() -> None:
    s = DataWorksSettings(
        endpoint="e",
        access_key_id="LTAI5tSecretish",
        access_key_secret="very-secret",
        security_token="sts-token-value",
    )
    text = repr(s) + str(s) + repr(DataWorksClient(s))
    assert "very-secret" not in text and "sts-token-value" not in text and "LTAI5tSecretish" not in text
    assert "LTAI***" in text


# -- wire values -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "result", "tip", "expected"),
    [
        (ReplyApi.UPDATE_IDE_EVENT_RESULT, "warn", "x", ("WARN", "x")),
        (ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, "OK", "x", ("OK", "x")),
        (ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, "WARN", "x", ("OK", "WARN: x")),
        (ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, "WARN", "", ("OK", "WARN")),
        (ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, "FAIL", "x", ("FAIL", "x")),
        (ReplyApi.CALLBACK_EXTENSION, "FAIL", "", ("FAIL", "Blocked by the extension.")),
    ],
)
def test_wire_verdict(api: ReplyApi, result: str, tip: str, expected: tuple[str, str]) -> None:
    wire = wire_verdict(api, result, tip)
    assert (wire.check_result, wire.text) == expected


def test_wire_verdict_rejects_unknown_results_and_return() -> None:
    with pytest.raises(ValueError):
        wire_verdict(ReplyApi.UPDATE_IDE_EVENT_RESULT, "MAYBE", "")
    with pytest.raises(ValueError):
        wire_verdict(ReplyApi.RETURN, "OK", "")


# -- calls over HTTP -------------------------------------------------------------------------------------


def test_every_call_works_and_is_recorded(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    # GIVEN fixtures WHEN every wrapped API is called
    api.set_file_content("m-1", "INSERT OVERWRITE TABLE t SELECT * FROM s;")
    api.set_extension("ext", parameter_setting="extension.project.commit-file.disabled=7")
    api.set_option_value("ext", "7", json.dumps({"checkStatus": "WARN"}))
    assert client.update_ide_event_result("m-1", "ext", "OK", "fine", timeout_s=2)["RequestId"]
    assert client.update_workbench_event_result("m-2", "ext", "WARN", "late", timeout_s=2)["Success"] is True
    assert client.callback_extension("m-3", "ext", "FAIL", "denied", timeout_s=2)["Success"] == "true"
    detail = client.get_ide_event_detail("m-1", 7, timeout_s=2)
    extension = client.get_extension("ext", timeout_s=2)
    options = client.get_option_value_for_project("ext", 7, timeout_s=2)
    # THEN the verdicts are recorded with wire values and the lookups return the fixtures
    assert [(v.action, v.check_result, v.tip) for v in api.verdicts] == [
        ("UpdateIDEEventResult", "OK", "fine"),
        ("UpdateWorkbenchEventResult", "OK", "WARN: late"),
        ("CallbackExtension", "FAIL", "denied"),
    ]
    assert detail["CommittedFile"]["Content"].startswith("INSERT OVERWRITE")
    assert extension["ParameterSetting"] == "extension.project.commit-file.disabled=7"
    assert options == {"checkStatus": "WARN"}
    assert [r.action for r in api.requests][-3:] == [
        "GetIDEEventDetail",
        "GetExtension",
        "GetOptionValueForProject",
    ]


def test_long_tip_is_truncated_on_the_wire(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    client.update_ide_event_result("m", "ext", "FAIL", "x" * 5000, timeout_s=2)
    assert len(api.verdicts[-1].tip) == MAX_TIP_CHARS and api.verdicts[-1].tip.endswith("…")


def test_option_value_that_is_not_json(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    api.set_option_value("ext-bad", 1, "not json")
    with pytest.raises(CloudApiError) as caught:
        client.get_option_value_for_project("ext-bad", 1, timeout_s=2)
    assert caught.value.code == "InvalidOptionValue" and not caught.value.transient


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sts_credentials_are_signed_and_accepted(api: DataWorksApiStandIn, transport: str) -> None:
    # GIVEN FC-style temporary credentials in the context
    api.add_credentials("STS.fc-role", "role-secret", security_token="role-token")
    ctx = SimpleNamespace(
        region="cn-hangzhou",
        credentials=SimpleNamespace(
            access_key_id="STS.fc-role", access_key_secret="role-secret", security_token="role-token"
        ),
    )
    settings = DataWorksSettings.from_env(
        ctx,
        {
            "DWEVENTS_DATAWORKS_ENDPOINT": api.endpoint,
            "DWEVENTS_DATAWORKS_PROTOCOL": "http",
            "DWEVENTS_DATAWORKS_TRANSPORT": transport,
        },
    )
    # WHEN a verdict is sent THEN the stand-in saw (and verified) the token
    DataWorksClient(settings).update_ide_event_result("m-sts", "ext", "OK", "", timeout_s=2)
    assert api.verdicts[-1].security_token and api.verdicts[-1].access_key_id == "STS.fc-role"


# -- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_wrong_secret_is_a_permanent_reply_error(api: DataWorksApiStandIn, transport: str) -> None:
    bad = dataworks_client(api.endpoint, DEFAULT_ACCESS_KEY_ID, "wrong", transport=transport)
    with pytest.raises(CloudApiError) as caught:
        bad.update_ide_event_result("m", "ext", "FAIL", "x", timeout_s=2)
    assert caught.value.code == "SignatureDoesNotMatch" and caught.value.status == 400
    assert caught.value.transient is False


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [
        (429, None, True),
        (500, None, True),
        (502, "BadGateway", True),
        (400, "InvalidParameter.Foo", False),
        (400, "InternalError.UserId.Missing", True),
        (404, "Invalid.MessageId", False),
    ],
)
def test_status_and_code_decide_transience(
    api: DataWorksApiStandIn, client: DataWorksClient, status: int, code: str | None, transient: bool
) -> None:
    api.inject(status=status, code=code)
    with pytest.raises(CloudApiError) as caught:
        client.callback_extension("m", "ext", "OK", "", timeout_s=2)
    assert caught.value.status == status and caught.value.transient is transient
    assert caught.value.action == "CallbackExtension" and caught.value.request_id


def test_one_http_attempt_per_call(api: DataWorksApiStandIn, client: DataWorksClient) -> None:
    # GIVEN a 500 WHEN called once THEN the SDK did not retry on its own
    api.inject(status=500, times=3)
    with pytest.raises(CloudApiError):
        client.update_ide_event_result("m", "ext", "OK", "", timeout_s=2)
    assert len(api.requests) == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connection_refused_is_transient(transport: str) -> None:
    dead = dataworks_client("127.0.0.1:9", "a", "b", transport=transport)
    with pytest.raises(CloudApiError) as caught:
        dead.update_ide_event_result("m", "ext", "OK", "", timeout_s=1)
    assert (caught.value.code, caught.value.transient, caught.value.status) == (
        "Transport.Connection",
        True,
        None,
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_missing_credentials_are_permanent(api: DataWorksApiStandIn, transport: str) -> None:
    anonymous = dataworks_client(api.endpoint, transport=transport)
    with pytest.raises(CloudApiError) as caught:
        anonymous.update_ide_event_result("m", "ext", "OK", "", timeout_s=1)
    assert caught.value.code == "InvalidCredentials" and not caught.value.transient


def test_no_credentials_in_logs_even_with_sdk_debug(
    api: DataWorksApiStandIn,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the SDK's header dump switched on (DEBUG=sdk) and STS credentials
    monkeypatch.setenv("DEBUG", "sdk")
    api.add_credentials("STS.logcheck", "log-secret-value", security_token="log-token-value")
    dw = dataworks_client(api.endpoint, "STS.logcheck", "log-secret-value", "log-token-value")
    caplog.set_level(logging.DEBUG)
    # WHEN a call succeeds and one fails
    dw.update_ide_event_result("m", "ext", "OK", "", timeout_s=2)
    api.inject(status=500)
    with pytest.raises(CloudApiError) as caught:
        dw.update_ide_event_result("m", "ext", "OK", "", timeout_s=2)
    # THEN neither the token, the secret nor the Authorization header appear anywhere
    out, err = capfd.readouterr()
    text = caplog.text + out + err + str(caught.value)
    for secret in ("log-secret-value", "log-token-value", "Authorization", "authorization"):
        assert secret not in text
    assert DEFAULT_ACCESS_KEY_SECRET not in text


# -- the lean transport (the default) ------------------------------------------------------


def test_lean_signature_equals_the_sdk_signature() -> None:
    from alibabacloud_tea_openapi.utils import Utils
    from darabonba.request import DaraRequest

    from dwevents.dataworks.lean import authorization

    # GIVEN one request with a query (Workbench style) and every header the SDK signs
    query = {"CheckResult": "OK", "CheckResultTip": "a b&c=d/é~*", "ExtensionCode": "e", "MessageId": "m"}
    headers = {
        "host": "dataworks.cn-hangzhou.aliyuncs.com",
        "x-acs-action": "UpdateWorkbenchEventResult",
        "x-acs-version": "2020-05-18",
        "x-acs-date": "2026-11-23T07:40:28Z",
        "x-acs-signature-nonce": "abc",
        "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-acs-security-token": "tok",
        "accept": "application/json",
    }
    request = DaraRequest()
    request.method, request.pathname, request.query, request.headers = "POST", "/", dict(query), dict(headers)
    # WHEN both sign it THEN the Authorization headers are identical
    sdk = Utils.get_authorization(
        request, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"], "AK", "SECRET"
    )
    lean = authorization("POST", "/", query, headers, headers["x-acs-content-sha256"], "AK", "SECRET")
    assert lean == sdk


def test_lean_transport_imports_no_sdk_module() -> None:
    code = (
        "import sys; from dwevents.dataworks.client import DataWorksClient; "
        "from dwevents.dataworks.settings import DataWorksSettings; "
        "DataWorksClient(DataWorksSettings(endpoint='x')).warm(); "
        f"print([m for m in sys.modules if m.startswith({SDK_PREFIXES!r})])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def recorded(api: DataWorksApiStandIn, n: int) -> None:
    """Wait (at most 2 s) until the stand-in has recorded ``n`` requests."""
    until = time.monotonic() + 2
    while len(api.requests) < n and time.monotonic() < until:
        time.sleep(0.005)


def lean_client(api: DataWorksApiStandIn) -> DataWorksClient:
    return DataWorksClient(
        DataWorksSettings.from_env(environ={**api.client_env(), "DWEVENTS_DATAWORKS_TRANSPORT": "lean"})
    )


def test_lean_resends_once_when_a_kept_alive_connection_turns_out_closed(api: DataWorksApiStandIn) -> None:
    """The race a readability check cannot catch: the server drops the kept-alive connection as the
    request goes out. The call reconnects and sends once more itself, and the verdict goes out once."""
    # GIVEN a lean client with a kept-alive connection (one call made)
    lean = lean_client(api)
    lean.update_ide_event_result("m-1", "ext", "OK", "", timeout_s=2)
    # WHEN the server closes that connection without answering the next request
    api.inject(drop=True)
    lean.update_ide_event_result("m-2", "ext", "OK", "", timeout_s=2)
    # THEN the same call resent it on a fresh connection: one verdict per message, no error
    assert [v.message_id for v in api.verdicts] == ["m-1", "m-2"]
    assert [r.status for r in api.requests] == [200, 0, 200]
    assert lean.transport.last_connect_s() > 0  # type: ignore[attr-defined]


def test_lean_resends_at_most_once_and_never_on_a_fresh_connection(api: DataWorksApiStandIn) -> None:
    # GIVEN a kept-alive connection, and a server that drops the next two requests
    lean = lean_client(api)
    lean.update_ide_event_result("m-1", "ext", "OK", "", timeout_s=2)
    api.inject(drop=True, times=2)
    # WHEN a call is made THEN one resend, and the second drop (a fresh connection) is the caller's problem
    with pytest.raises(CloudApiError) as caught:
        lean.update_ide_event_result("m-2", "ext", "OK", "", timeout_s=2)
    assert caught.value.code == "Transport.Connection" and caught.value.transient
    recorded(api, 3)  # the stand-in records a drop after closing the connection
    assert [r.status for r in api.requests] == [200, 0, 0]
    # AND a first call on a fresh connection that is dropped is not resent either
    fresh = lean_client(api)
    api.inject(drop=True)
    with pytest.raises(CloudApiError):
        fresh.update_ide_event_result("m-3", "ext", "OK", "", timeout_s=2)
    recorded(api, 4)
    assert [r.status for r in api.requests][-1] == 0 and [v.message_id for v in api.verdicts] == ["m-1"]
    # AND the next call reconnects
    fresh.update_ide_event_result("m-4", "ext", "OK", "", timeout_s=2)
    assert [v.message_id for v in api.verdicts] == ["m-1", "m-4"]
