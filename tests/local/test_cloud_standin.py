"""The local cloud stand-in (dwevents.local.cloud) answers as the API pages document, through the official
SDKs: it refuses what the pages do not allow, so the tools tested against it cannot drift from them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from dwevents.deploy._sdk import Credentials, call_sdk, openapi_config
from dwevents.errors import CloudApiError
from dwevents.local.cloud import CloudApiStandIn

AK, SECRET = "LTAI-standin", "standin-secret"
BUS = "dw-bus"
ACCOUNT = "1234567890123456"
FC3_ENDPOINT = f"acs:fc:cn-hangzhou:{ACCOUNT}:functions/fn"
PATTERN = '{"source":["acs.dataworks"]}'


def fc_target(**changes: Any) -> dict[str, Any]:
    params = {
        "functionName": "fn",
        "Qualifier": "LATEST",
        "Body": None,
        "InvocationType": "Sync",
        "DataFormat": "Object",
    }
    params.update(changes.pop("params", {}))
    param_list = [
        {"ResourceKey": key, "Form": "ORIGINAL"}
        if key == "Body" and value is None
        else {"ResourceKey": key, "Form": "CONSTANT", "Value": value}
        for key, value in params.items()
        if value != "<absent>"
    ]
    return {
        "Id": "t1",
        "Type": "acs.fc.function",
        "Endpoint": FC3_ENDPOINT,
        "ParamList": param_list,
        "PushRetryStrategy": "BACKOFF_RETRY",
        **changes,
    }


@pytest.fixture()
def cloud() -> Iterator[CloudApiStandIn]:
    with CloudApiStandIn({AK: SECRET}, account_id=ACCOUNT, buses=("default", BUS), trace_page_size=2) as c:
        yield c


@pytest.fixture()
def client(cloud: CloudApiStandIn) -> Any:
    from alibabacloud_eventbridge20200401.client import Client

    return Client(
        openapi_config(
            region="cn-hangzhou",
            endpoint=cloud.endpoint,
            protocol="http",
            credentials=Credentials(AK, SECRET),
        )
    )


def put_targets(client: Any, *targets: dict[str, Any]) -> Any:
    from alibabacloud_eventbridge20200401 import models

    request = models.PutTargetsRequest(
        event_bus_name=BUS,
        rule_name="r",
        targets=[models.PutTargetsRequestTargets().from_map(t) for t in targets],
    )
    return call_sdk("EventBridge", "PutTargets", lambda: client.put_targets(request))


@pytest.fixture()
def rule(cloud: CloudApiStandIn) -> str:
    cloud.seed_rule(BUS, "r", filter_pattern=PATTERN)
    return "r"


def test_a_complete_fc_target_is_accepted(client: Any, cloud: CloudApiStandIn, rule: str) -> None:
    put_targets(client, fc_target())
    assert cloud.rules(BUS)["r"].targets["t1"]["Endpoint"] == FC3_ENDPOINT


@pytest.mark.parametrize(
    ("target", "message"),
    [
        # "事件目标参数" (https://help.aliyun.com/document_detail/185887.html), Function Compute:
        # functionName, Qualifier, Body, InvocationType, DataFormat are required; serviceName with the
        # 2.0 endpoint
        (fc_target(params={"InvocationType": "<absent>"}), "needs InvocationType"),
        (fc_target(params={"DataFormat": "<absent>"}), "needs DataFormat"),
        (
            fc_target(Endpoint=f"acs:fc:cn-hangzhou:{ACCOUNT}:services/s.LATEST/functions/fn"),
            "needs serviceName",
        ),
        (fc_target(params={"InvocationType": "sync"}), "InvocationType 'sync' is not Sync or Async"),
        (fc_target(params={"DataFormat": "Json"}), "DataFormat 'Json'"),
        # PutTargets: PushRetryStrategy is BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY; DeadLetterQueue.Arn
        # names an MNS queue, a RocketMQ/Kafka topic or an EventBridge bus
        (fc_target(PushRetryStrategy="FOREVER"), "PushRetryStrategy 'FOREVER'"),
        (fc_target(DeadLetterQueue={"Arn": "arn:aws:sqs:x"}), "DeadLetterQueue.Arn"),
    ],
)
def test_what_the_pages_do_not_allow_is_refused(
    client: Any, rule: str, target: dict[str, Any], message: str
) -> None:
    with pytest.raises(CloudApiError) as caught:
        put_targets(client, target)
    assert caught.value.code == "InvalidParameter" and caught.value.status == 400
    assert message in str(caught.value)


def test_a_param_form_outside_the_four_documented_ones_is_refused(client: Any, rule: str) -> None:
    target = fc_target()
    target["ParamList"][0]["Form"] = "LITERAL"  # ORIGINAL | TEMPLATE | JSONPATH | CONSTANT
    with pytest.raises(CloudApiError, match="Form 'LITERAL'"):
        put_targets(client, target)


def _traced(client: Any, bus: str, **kwargs: Any) -> Any:
    from alibabacloud_eventbridge20200401 import models

    request = models.QueryTracedEventsRequest(event_bus_name=bus, **kwargs)
    return call_sdk("EventBridge", "QueryTracedEvents", lambda: client.query_traced_events(request)).body.data


def event(n: int, type_: str = "dataworks:FileChange:CommitFile") -> dict[str, Any]:
    return {
        "id": f"evt-{n}",
        "source": "acs.dataworks",
        "type": type_,
        "specversion": "1.0",
        "data": {"eventCode": "commit-file", "n": n},
    }


def test_query_traced_events_pages_through_a_time_window(client: Any, cloud: CloudApiStandIn) -> None:
    # GIVEN five events on the bus, one outside the window
    for n in range(5):
        cloud.publish(BUS, event(n), received_ms=1_000 + n)
    cloud.publish(BUS, event(9), received_ms=5_000)
    # WHEN listing the window page by page (StartTime/EndTime in ms, NextToken)
    seen: list[str] = []
    token = None
    while True:
        data = _traced(client, BUS, start_time=1_000, end_time=2_000, limit=2, next_token=token)
        seen += [e.event_id for e in data.events]
        token = data.next_token
        if not token:
            break
    # THEN every event of the window came back once, oldest first, with the documented fields
    assert seen == [f"evt-{n}" for n in range(5)]
    first = _traced(client, BUS, start_time=1_000, end_time=1_000).events[0]
    assert (first.event_bus_name, first.event_source, first.event_type, first.event_received_time) == (
        BUS,
        "acs.dataworks",
        "dataworks:FileChange:CommitFile",
        1_000,
    )


def test_query_traced_events_refuses_what_the_page_does_not_allow(client: Any) -> None:
    # "每次返回的最大条数不超过 100"; StartTime and EndTime are required
    with pytest.raises(CloudApiError, match=r"Limit must be 0\.\.100"):
        _traced(client, BUS, start_time=0, end_time=1, limit=101)
    with pytest.raises(CloudApiError) as caught:
        _traced(client, BUS, end_time=1)
    assert caught.value.code == "MissingParameter" and "StartTime" in str(caught.value)
    with pytest.raises(CloudApiError) as missing:
        _traced(client, "no-such-bus", start_time=0, end_time=1)
    assert missing.value.code == "EventBusNotExist"


def test_query_event_returns_the_cloudevent_and_needs_the_source_on_the_default_bus(
    client: Any, cloud: CloudApiStandIn
) -> None:
    from alibabacloud_eventbridge20200401 import models

    cloud.publish(BUS, event(1))
    cloud.publish("default", event(2, "dataworks:ProjectChange:DeleteProject"))

    def query(bus: str, event_id: str, source: str | None = None) -> Any:
        request = models.QueryEventRequest(event_bus_name=bus, event_id=event_id, event_source=source)
        return call_sdk("EventBridge", "QueryEvent", lambda: client.query_event(request)).body.data

    assert query(BUS, "evt-1") == event(1)
    # "查询 default 总线事件时,需填写 EventSource 参数"
    with pytest.raises(CloudApiError, match="EventSource"):
        query("default", "evt-2")
    assert query("default", "evt-2", "acs.dataworks")["type"] == "dataworks:ProjectChange:DeleteProject"
    with pytest.raises(CloudApiError) as caught:
        query(BUS, "evt-404")
    assert caught.value.code == "EventNotExist" and caught.value.status == 404


def test_publish_pushes_to_matching_rules_and_traces_each_push(client: Any, cloud: CloudApiStandIn) -> None:
    from alibabacloud_eventbridge20200401 import models

    received: list[bytes] = []
    cloud.register_function("fn", lambda payload, invocation: received.append(payload))
    cloud.seed_rule(BUS, "to-fn", filter_pattern=PATTERN, targets={"t1": fc_target()})
    cloud.seed_rule(BUS, "other", filter_pattern='{"source":["acs.oss"]}', targets={"t1": fc_target()})
    cloud.publish(BUS, event(7))
    assert [json.loads(p)["id"] for p in received] == ["evt-7"]
    request = models.QueryEventTracesRequest(event_bus_name=BUS, event_id="evt-7")
    rows = [
        r.to_map()
        for r in call_sdk(
            "EventBridge", "QueryEventTraces", lambda: client.query_event_traces(request)
        ).body.data
    ]
    assert [r["Action"] for r in rows] == ["PutEvent", "FilterEvent", "PushEvent"]
    assert rows[2]["RuleName"] == "to-fn" and rows[2]["NotifyStatus"] == "[200]Ok"
    assert rows[2]["Endpoint"] == FC3_ENDPOINT


def test_get_event_bus_and_the_service_linked_role(client: Any, cloud: CloudApiStandIn) -> None:
    from alibabacloud_eventbridge20200401 import models

    body = call_sdk(
        "EventBridge",
        "GetEventBus",
        lambda: client.get_event_bus(models.GetEventBusRequest(event_bus_name=BUS)),
    ).body
    assert body.data.event_bus_name == BUS and body.data.event_bus_arn.endswith(f":eventbus/{BUS}")
    check = models.CheckServiceLinkedRoleForProductRequest(
        product_name="AliyunServiceRoleForEventBridgeSendToFC"
    )
    assert client.check_service_linked_role_for_product(check).body.data.check_pass is True
    cloud.service_linked_roles.clear()
    assert client.check_service_linked_role_for_product(check).body.data.check_pass is False
