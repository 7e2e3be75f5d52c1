"""The stdlib (lean) transport sends what the official SDK sends, for every DataWorks API the project calls.

Evidence for docs/decisions/dataworks-transport.md: each call is made once through each transport against
the signature-checking, documentation-strict stand-in; both must be accepted, and the two recorded requests
must agree on method, request target (path and raw query), body, content type and the set of signed
headers with their values — except the values that are random or name the client by design:
``x-acs-date`` (clock), ``x-acs-signature-nonce`` (random), ``user-agent`` (names the client), and the
SDK's own ``x-acs-credentials-provider`` tag (which credential provider the SDK used; not one of the
common headers of "Request syntax and signature method V3",
https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dwevents.dataworks.client import DataWorksClient
from dwevents.dataworks.settings import DataWorksSettings
from dwevents.local.dataworks.records import RequestRecord
from dwevents.local.dataworks.server import DataWorksApiStandIn

#: Headers whose values differ by design (see the module docstring).
VARYING = {"x-acs-date", "x-acs-signature-nonce", "user-agent"}
SDK_ONLY = {"x-acs-credentials-provider"}
TIP = "a b&c=d/é~*'()!"

#: Every API the project calls (dwevents/dataworks/client.py), as one call each.
CALLS: dict[str, Callable[[DataWorksClient], Any]] = {
    "UpdateIDEEventResult": lambda c: c.update_ide_event_result("m-1", "ext", "FAIL", TIP, timeout_s=3),
    "UpdateWorkbenchEventResult": lambda c: c.update_workbench_event_result(
        "m-2", "ext", "FAIL", TIP, timeout_s=3
    ),
    "CallbackExtension": lambda c: c.callback_extension("m-3", "ext", "WARN", TIP, timeout_s=3),
    "GetIDEEventDetail": lambda c: c.get_ide_event_detail("m-4", 10001, timeout_s=3),
    "GetExtension": lambda c: c.get_extension("ext", timeout_s=3),
    "GetOptionValueForProject": lambda c: c.get_option_value_for_project("ext", 10001, timeout_s=3),
}


def transport_client(api: DataWorksApiStandIn, transport: str, *, sts: bool) -> DataWorksClient:
    environ = {
        **api.client_env("STS.conformance" if sts else None),
        "DWEVENTS_DATAWORKS_TRANSPORT": transport,
    }
    return DataWorksClient(DataWorksSettings.from_env(environ=environ))


def comparable(record: RequestRecord) -> dict[str, Any]:
    headers = {k: v for k, v in record.headers.items() if k in record.signed_headers}
    return {
        "method": record.method,
        "target": record.target,
        "body": record.body,
        "content-type": record.headers.get("content-type"),
        "signed": sorted(set(record.signed_headers) - SDK_ONLY),
        "signed values": {k: v for k, v in headers.items() if k not in VARYING | SDK_ONLY},
    }


@pytest.mark.parametrize("sts", [False, True], ids=["access-key", "sts"])
@pytest.mark.parametrize("action", sorted(CALLS))
def test_lean_and_sdk_send_the_same_request(api: DataWorksApiStandIn, action: str, sts: bool) -> None:
    # GIVEN the same call through the official SDK and through the stdlib transport
    api.add_credentials("STS.conformance", "conformance-secret", security_token="conformance-token")
    answers = {t: CALLS[action](transport_client(api, t, sts=sts)) for t in ("sdk", "lean")}
    # THEN the signature-checking stand-in accepted both
    sdk, lean = api.requests[-2:]
    assert (sdk.action, sdk.status, lean.action, lean.status) == (action, 200, action, 200)
    # AND both requests are the same on the wire (method, target, body, signed headers and values)
    assert comparable(lean) == comparable(sdk)
    assert set(sdk.signed_headers) - set(lean.signed_headers) <= SDK_ONLY
    # AND both transports read the same answer (RequestId aside)
    strip = (
        (lambda a: {k: v for k, v in a.items() if k != "RequestId"})
        if isinstance(answers["sdk"], dict)
        else None
    )
    if strip is not None:
        assert strip(answers["lean"]) == strip(answers["sdk"])
    # AND with STS both sign the token (the stand-in refuses an unsigned one)
    if sts:
        assert "x-acs-security-token" in lean.signed_headers and "x-acs-security-token" in sdk.signed_headers


def test_every_api_the_client_calls_is_covered() -> None:
    # GIVEN the SDK method table of the sdk transport THEN the conformance calls cover every action in it
    from dwevents.dataworks.sdk import SDK_METHODS

    assert set(CALLS) == set(SDK_METHODS)
