"""Remote invocation (dwevents.deploy.remote) through the real FC 3.0 SDK against the local stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from dwevents.deploy._sdk import Credentials
from dwevents.deploy.remote import invoke_remote
from dwevents.errors import CloudApiError
from dwevents.local.cloud import CloudApiStandIn, FcInvocation

AK, SECRET = "LTAI-test-invoker", "invoker-secret"
EVENT = json.dumps(
    {"id": "evt-1", "source": "acs.dataworks", "type": "dataworks:FileChange:CommitFile"}
).encode()


def echo(payload: bytes, invocation: FcInvocation) -> dict[str, Any]:
    return {
        "event": json.loads(payload),
        "function": invocation.function_name,
        "qualifier": invocation.qualifier,
    }


def broken(payload: bytes, invocation: FcInvocation) -> None:
    raise RuntimeError("policy file missing")


@pytest.fixture()
def cloud() -> Iterator[CloudApiStandIn]:
    with CloudApiStandIn({AK: SECRET}) as stand_in:
        stand_in.register_function("dwevents-file-change", echo)
        stand_in.register_function("dwevents-broken", broken)
        yield stand_in


def call(cloud: CloudApiStandIn, name: str, *, secret: str = SECRET, **kwargs: Any) -> Any:
    return invoke_remote(
        name,
        EVENT,
        region="cn-hangzhou",
        endpoint=cloud.endpoint,
        protocol="http",
        credentials=Credentials(AK, secret),
        **kwargs,
    )


def test_a_registered_function_answers_through_the_sdk(cloud: CloudApiStandIn) -> None:
    # GIVEN a function registered in the stand-in
    # WHEN invoking it synchronously through the FC 3.0 SDK
    result = call(cloud, "dwevents-file-change")
    # THEN its return value comes back with FC's request id and no error type
    assert result.ok and result.status == 200 and result.error_type is None
    assert result.request_id
    assert result.json() == {
        "event": json.loads(EVENT),
        "function": "dwevents-file-change",
        "qualifier": "LATEST",
    }
    ((invocation, payload),) = cloud.invocations
    assert payload == EVENT and invocation.invocation_type == "Sync"


def test_the_qualifier_and_async_invocation_reach_fc(cloud: CloudApiStandIn) -> None:
    # WHEN invoking an alias asynchronously
    result = call(cloud, "dwevents-file-change", qualifier="prod", invocation_type="Async")
    # THEN FC accepts it (202, empty body) and the function saw the alias
    assert result.status == 202 and result.body == b"" and result.ok
    invocation, _ = cloud.invocations[-1]
    assert (invocation.qualifier, invocation.invocation_type) == ("prod", "Async")


def test_a_raising_function_is_reported_by_error_type_not_an_exception(cloud: CloudApiStandIn) -> None:
    # GIVEN a function that raises
    # WHEN invoking it
    result = call(cloud, "dwevents-broken")
    # THEN the call itself succeeds, and x-fc-error-type plus FC's error body tell what happened
    assert result.status == 200 and not result.ok
    assert result.error_type == "UnhandledInvocationError"
    assert result.json()["errorType"] == "RuntimeError"
    assert result.json()["errorMessage"] == "policy file missing"


def test_a_bad_signature_is_rejected(cloud: CloudApiStandIn) -> None:
    # GIVEN a wrong secret
    # WHEN invoking
    with pytest.raises(CloudApiError) as caught:
        call(cloud, "dwevents-file-change", secret="wrong-secret")
    # THEN FC's code and status come back, the function never ran, and the secret is not in the message
    assert (caught.value.code, caught.value.status) == ("SignatureNotMatch", 403)
    assert "wrong-secret" not in str(caught.value)
    assert cloud.invocations == []


def test_an_unknown_function_is_an_api_error(cloud: CloudApiStandIn) -> None:
    with pytest.raises(CloudApiError) as caught:
        call(cloud, "no-such-function")
    assert (caught.value.code, caught.value.status) == ("FunctionNotFound", 404)
    assert caught.value.request_id


def test_credentials_default_to_the_alibaba_cloud_variables(
    cloud: CloudApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN keys only in the environment (what FC and CI provide)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    # WHEN invoking without explicit credentials
    result = invoke_remote(
        "dwevents-file-change", EVENT, region="cn-hangzhou", endpoint=cloud.endpoint, protocol="http"
    )
    # THEN the call is signed with them
    assert result.ok


def test_an_unreachable_endpoint_is_a_transient_error() -> None:
    # GIVEN a stand-in that has been stopped (its port is closed)
    with CloudApiStandIn({AK: SECRET}) as stand_in:
        endpoint = stand_in.endpoint
    # WHEN invoking
    with pytest.raises(CloudApiError) as caught:
        invoke_remote(
            "f",
            b"{}",
            region="cn-hangzhou",
            endpoint=endpoint,
            protocol="http",
            credentials=Credentials(AK, SECRET),
            timeout_s=5,
        )
    # THEN it is reported as unreachable and retryable
    assert caught.value.code == "Unreachable" and caught.value.transient


def test_credentials_repr_hides_the_secret() -> None:
    assert "invoker-secret" not in repr(Credentials(AK, SECRET, "sts-token"))
    assert "sts-token" not in repr(Credentials(AK, SECRET, "sts-token"))
