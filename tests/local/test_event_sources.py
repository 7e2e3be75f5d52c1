"""Replay sources: files (recordings, samples, Log Service exports) and the bus's event trace, the latter
through the official EventBridge SDK against the local cloud stand-in.

The stand-in follows "QueryTracedEvents - 通过时间范围查询事件轨迹"
(https://help.aliyun.com/zh/eventbridge/developer-reference/api-eventbridge-2020-04-01-querytracedevents:
"每次返回的最大条数不超过 100", paged with NextToken) and "QueryEvent - 查询事件内容"
(https://help.aliyun.com/zh/eventbridge/developer-reference/api-eventbridge-2020-04-01-queryevent:
"查询 default 总线事件时,需填写 EventSource 参数"; Data is the CloudEvent).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from dwevents.errors import CloudApiError, DwEventsError
from dwevents.local.cloud import CloudApiStandIn
from dwevents.local.event_sources import SdkTraceApi, SourceStats, read_bus, read_paths
from dwevents.recorder import Recorder

from ..conftest import EVENTS, load_sample

AK, SECRET = "LTAI-replay-test", "replay-test-secret"


def test_given_a_directory_then_every_event_file_is_read_and_batches_are_split(tmp_path: Path) -> None:
    # GIVEN the samples directory (single events, a batch of three, FC-direct messages)
    stats = SourceStats()
    items = list(read_paths([EVENTS], stats))
    # THEN every event is one input, the batch's elements apart, origins naming file and index
    batch = [i for i in items if "instance-status-changes.batch.json[" in i.origin]
    assert len(batch) == 3
    assert any(i.document.get("messageBody") for i in items if isinstance(i.document, dict))
    assert stats.read == len(items) and stats.files >= 60


def test_given_a_log_service_export_then_records_are_read_and_other_log_lines_skipped(tmp_path: Path) -> None:
    # GIVEN an export: a recorder line as the "message" of an SLS row, a dwevents log line, an SLS row
    # of some other log, and a record written directly
    rec = tmp_path / "rec.jsonl"
    Recorder(str(rec)).record(json.dumps(load_sample("FileChange/deploy-file")))
    record_line = rec.read_text(encoding="utf-8").strip()
    export = tmp_path / "export.jsonl"
    export.write_text(
        "\n".join(
            [
                json.dumps({"__time__": 1700000000, "message": record_line}),
                json.dumps({"level": "INFO", "logger": "dwevents.runtime", "message": "verdict OK"}),
                json.dumps({"__time__": 1700000001, "message": "START RequestId: x"}),
                record_line,
                "",
            ]
        ),
        encoding="utf-8",
    )
    stats = SourceStats()
    # WHEN read
    items = list(read_paths([export], stats))
    # THEN the two records are the events, the two other log lines are counted as skipped
    assert [i.document["id"] for i in items] == [load_sample("FileChange/deploy-file")["id"]] * 2
    assert (stats.read, stats.skipped) == (2, 2)
    assert items[0].origin == f"{export}:1"


def test_given_a_line_that_is_not_json_then_it_is_replayed_as_raw_text(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"id": 1\n', encoding="utf-8")
    [item] = list(read_paths([path]))
    assert item.raw == '{"id": 1' and item.document is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.jsonl", "no such file or directory"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "no event files"),
    ],
    ids=["missing", "empty-directory"],
)
def test_given_an_unusable_path_then_one_line_error_naming_it(
    tmp_path: Path, make: Any, message: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(DwEventsError, match=message) as info:
        list(read_paths([path]))
    assert str(path) in str(info.value) and "\n" not in str(info.value)


# -- the bus -----------------------------------------------------------------------------------------


@pytest.fixture()
def cloud() -> Iterator[CloudApiStandIn]:
    with CloudApiStandIn({AK: SECRET}, trace_page_size=2) as stand_in:
        yield stand_in


@pytest.fixture()
def sdk_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)


def _publish(cloud: CloudApiStandIn, names: list[str], *, at: datetime) -> list[dict[str, Any]]:
    docs = []
    for i, name in enumerate(names):
        doc = load_sample(name)
        doc["id"] = f"{doc['id']}-{i}"
        cloud.publish("default", doc, received_ms=int(at.timestamp() * 1000) + i)
        docs.append(doc)
    return docs


def test_given_events_on_the_bus_when_read_then_every_page_is_listed_and_each_event_fetched_once(
    cloud: CloudApiStandIn, sdk_env: None
) -> None:
    # GIVEN five DataWorks events and one event of another source on the default bus, pages of 2
    now = datetime.now(timezone.utc)
    docs = _publish(
        cloud,
        [
            "FileChange/commit-file",
            "FileChange/deploy-file",
            "NodeChange/undeploy-node",
            "InstanceStatusChanges/instance-status-changes",
            "ProjectChange/delete-project",
        ],
        at=now - timedelta(hours=1),
    )
    other = dict(load_sample("FileChange/commit-file"), id="not-dataworks", source="acs.oss")
    cloud.publish("default", other, received_ms=int(now.timestamp() * 1000) - 1000)
    api = SdkTraceApi(region="cn-hangzhou", endpoint=cloud.endpoint, protocol="http")
    stats = SourceStats()
    # WHEN the last day of the bus is read
    items = list(read_bus(api, "default", now - timedelta(days=1), now, stats=stats))
    # THEN the DataWorks events come back as the bus stored them, over three pages
    assert [i.document for i in items] == docs
    assert stats.pages == 3
    queried = [c for c in cloud.calls if c.action == "QueryEvent"]
    assert len(queried) == 5 and all(c.params.get("EventSource") == "acs.dataworks" for c in queried)


def test_given_a_type_filter_then_only_that_type_is_listed(cloud: CloudApiStandIn, sdk_env: None) -> None:
    now = datetime.now(timezone.utc)
    _publish(cloud, ["FileChange/commit-file", "FileChange/deploy-file"], at=now - timedelta(minutes=5))
    api = SdkTraceApi(region="cn-hangzhou", endpoint=cloud.endpoint, protocol="http")
    deploy_type = load_sample("FileChange/deploy-file")["type"]
    items = list(read_bus(api, "default", now - timedelta(hours=1), now, types=[deploy_type]))
    assert [i.document["type"] for i in items] == [deploy_type]


def test_given_an_unknown_bus_then_the_error_names_the_bus_and_the_code(
    cloud: CloudApiStandIn, sdk_env: None
) -> None:
    api = SdkTraceApi(region="cn-hangzhou", endpoint=cloud.endpoint, protocol="http")
    now = datetime.now(timezone.utc)
    with pytest.raises(CloudApiError, match="EventBusNotExist") as info:
        list(read_bus(api, "no-such-bus", now - timedelta(hours=1), now))
    assert info.value.action == "QueryTracedEvents" and "\n" not in str(info.value)


def test_given_a_wrong_secret_then_the_error_says_so(
    cloud: CloudApiStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "expired-or-wrong")
    api = SdkTraceApi(region="cn-hangzhou", endpoint=cloud.endpoint, protocol="http")
    now = datetime.now(timezone.utc)
    with pytest.raises(CloudApiError, match="SignatureDoesNotMatch"):
        list(read_bus(api, "default", now - timedelta(hours=1), now))


def test_given_an_unreachable_endpoint_then_one_line_error(sdk_env: None) -> None:
    api = SdkTraceApi(region="cn-hangzhou", endpoint="127.0.0.1:9", protocol="http")
    now = datetime.now(timezone.utc)
    with pytest.raises(CloudApiError, match="Unreachable") as info:
        list(read_bus(api, "default", now - timedelta(hours=1), now))
    assert "\n" not in str(info.value)


class _MalformedTrace(CloudApiStandIn):
    """The stand-in with QueryTracedEvents answering a page the documentation does not allow."""

    def __init__(self, data: Any, **kwargs: Any) -> None:
        super().__init__({AK: SECRET}, **kwargs)
        self.bad_data = data

    def rpc(self, version: str, action: str, params: Any, key_id: str) -> dict[str, Any]:
        if action == "QueryTracedEvents":
            return {"Success": True, "Code": "Success", "Message": "", "Data": self.bad_data}
        return super().rpc(version, action, params, key_id)


@pytest.mark.parametrize(
    "data",
    [None, {"Events": [{"EventBusName": "default"}]}, {"Events": [], "NextToken": "same"}],
    ids=["no-data", "entry-without-event-id", "next-token-repeats"],
)
def test_given_a_malformed_trace_page_then_one_line_error(sdk_env: None, data: Any) -> None:
    with _MalformedTrace(data) as stand_in:
        api = SdkTraceApi(region="cn-hangzhou", endpoint=stand_in.endpoint, protocol="http")
        now = datetime.now(timezone.utc)
        with pytest.raises(DwEventsError, match="malformed") as info:
            list(read_bus(api, "default", now - timedelta(hours=1), now))
    assert "\n" not in str(info.value)
