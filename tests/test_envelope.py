"""The envelope layer: every input shape DataWorks (or EventBridge / FC) can hand us, and every error message.

Shapes: bytes / str / dict; one CloudEvent; a batch array; ``data`` as JSON text; the RawData payload
alone; the FC-direct extension message. Errors must name *what* is wrong and *where*.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import dwevents
from dwevents import envelope
from dwevents.catalogue import BY_TYPE, Kind, ReplyApi
from dwevents.envelope import (
    DataWorksEvent,
    decode,
    decode_batch,
    decode_one,
    describe_validation_error,
    parse_json,
)
from dwevents.errors import DecodeError
from dwevents.models.base import GenericPayload, WireModel

EVENTS = Path(__file__).parents[1] / "events"
NODE_CREATED = "NodeChange/node-change-created.json"
COMMIT_FILE = "FileChange/commit-file.json"
UPLOAD = "ResourcesUpload/upload-data-to-table.json"
CST = timezone(timedelta(hours=8))


def sample(rel: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((EVENTS / rel).read_text(encoding="utf-8"))
    return doc


def category_samples() -> list[Path]:
    """Single-CloudEvent samples: events/<Category>/*.json (Category is CamelCase)."""
    return sorted(p for p in EVENTS.glob("*/*.json") if p.parent.name[:1].isupper())


def fc_direct(body: Any = None, **overrides: Any) -> dict[str, Any]:
    """The FC-direct message of the event list page's "Function Compute message format" section."""
    message: dict[str, Any] = {
        "blockBusiness": True,
        "eventCategoryType": "resources-download",
        "eventType": "upload-data-to-table",
        "extensionBizId": "job_6603070",
        "messageBody": sample(UPLOAD)["data"] if body is None else body,
        "messageId": "52d44ee7-b51f-4d4d-afeb-000000000001",
    }
    message.update(overrides)
    return message


def decode_error(raw: Any) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode(raw)
    return info.value


# --------------------------------------------------------------------------------------------
# Input types: bytes / str / dict (and the other buffer types FC may pass)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["bytes", "bytearray", "memoryview", "str", "dict", "bom-bytes"])
def test_given_the_same_event_in_any_input_form_when_decoded_then_identical_events(form: str) -> None:
    # GIVEN one CloudEvent as bytes, bytearray, memoryview, text, a parsed dict or UTF-8 bytes with a BOM
    raw_bytes = (EVENTS / NODE_CREATED).read_bytes()
    raw: Any = {
        "bytes": raw_bytes,
        "bytearray": bytearray(raw_bytes),
        "memoryview": memoryview(raw_bytes),
        "str": raw_bytes.decode("utf-8"),
        "dict": json.loads(raw_bytes),
        "bom-bytes": b"\xef\xbb\xbf" + raw_bytes,
    }[form]
    # WHEN decoded
    events = decode(raw)
    # THEN one event with the same id, type and payload whatever the form
    assert len(events) == 1
    reference = decode_one(raw_bytes)
    assert events[0].message_id == reference.message_id == "575a6ef8-0946-4f0f-ae26-8e77077b6eac"
    assert events[0].spec is reference.spec is BY_TYPE["dataworks:NodeChange:NodeChangeCreated"]
    assert events[0].payload.to_wire() == reference.payload.to_wire()


def test_given_an_unsupported_python_type_when_decoded_then_decode_error_names_the_type() -> None:
    # GIVEN an int (not bytes/str/dict/list) WHEN decoded THEN DecodeError naming the type
    assert str(decode_error(42)) == "expected bytes, str, dict or list, got int"


# --------------------------------------------------------------------------------------------
# Single CloudEvent
# --------------------------------------------------------------------------------------------


def test_given_a_cloudevent_when_decoded_then_envelope_facts_are_lifted() -> None:
    # GIVEN the node-change-created sample (workspace bus, all aliyun* attributes)
    doc = sample(NODE_CREATED)
    # WHEN decoded
    event = decode_one(json.dumps(doc).encode())
    # THEN the envelope facts are typed and the payload is the catalogue's model
    assert event.delivery == "cloudevent"
    assert event.message_id == doc["id"]
    assert event.type == "dataworks:NodeChange:NodeChangeCreated"
    assert event.event_code == "node-change-created"
    assert event.source == "acs.dataworks"
    assert event.time == datetime(2024, 7, 12, 11, 8, 51, tzinfo=CST)
    assert (event.account, event.region, event.bus) == (
        "1234567890123456",
        "cn-hangzhou",
        "dataworks-openevent",
    )
    assert event.category == "NodeChange" and event.kind is Kind.REGULAR
    assert not event.is_extension and event.reply_api is None
    assert type(event.payload).__name__ == "NodeChangePayload"
    assert event.data == doc["data"]
    assert event.block_business is None and event.extension_biz_id is None


def test_given_an_extension_cloudevent_when_decoded_then_reply_api_comes_from_the_catalogue() -> None:
    # GIVEN a Data Studio pre-event (commit-file: kind BOTH, UpdateIDEEventResult)
    event = decode_one((EVENTS / COMMIT_FILE).read_bytes())
    # THEN it is an extension event answered through UpdateIDEEventResult
    assert event.kind is Kind.BOTH and event.is_extension
    assert event.reply_api is ReplyApi.UPDATE_IDE_EVENT_RESULT


def test_given_data_as_json_text_when_decoded_then_same_as_data_object() -> None:
    # GIVEN the same CloudEvent twice: data as an object and data as JSON text
    doc = sample(NODE_CREATED)
    as_text = dict(doc, data=json.dumps(doc["data"]))
    # WHEN both are decoded
    from_object, from_text = decode_one(doc), decode_one(json.dumps(as_text))
    # THEN the payload and the exposed data are the same
    assert from_text.payload.to_wire() == from_object.payload.to_wire()
    assert from_text.data == doc["data"]
    assert from_text.as_cloudevent()["data"] == doc["data"]


@pytest.mark.parametrize("data", [None, "", "   "])
def test_given_null_or_blank_data_when_decoded_then_empty_payload_not_an_error(data: Any) -> None:
    # GIVEN a CloudEvent whose data is null / empty text
    doc = dict(sample(NODE_CREATED), data=data)
    # WHEN decoded THEN an event with an empty data mapping
    event = decode_one(doc)
    assert event.data == {} and event.spec is not None


def test_given_data_as_bytes_in_a_dict_when_decoded_then_parsed_like_text() -> None:
    # GIVEN a parsed dict whose data is JSON bytes (a caller that did half the parsing)
    doc = dict(sample(NODE_CREATED))
    doc["data"] = json.dumps(doc["data"]).encode()
    # WHEN decoded THEN the payload is read from the bytes
    assert decode_one(doc).payload.to_wire()["nodeId"] == 700003461003


def test_given_aliyun_and_unknown_attributes_when_decoded_then_kept_verbatim_in_attributes() -> None:
    # GIVEN an event with every aliyun* attribute, the "...179PRC" publish time and two unknown attributes
    doc = sample(UPLOAD)
    doc["aliyunpublishtime"] = "2020-11-19T21:04:42.179PRC"
    doc["x-trace"] = {"span": 7}
    doc["futureattr"] = "kept"
    # WHEN decoded
    event = decode_one(doc)
    # THEN every envelope attribute is kept as received, data excluded
    assert "data" not in event.attributes
    assert dict(event.attributes) == {k: v for k, v in doc.items() if k != "data"}
    assert event.attributes["aliyunpublishtime"] == "2020-11-19T21:04:42.179PRC"
    assert event.attributes["aliyunoriginalaccountid"] == "1234567890123456"
    assert event.attributes["aliyunpublishaddr"] == "172.25.30.17"
    assert event.attributes["x-trace"] == {"span": 7} and event.attributes["futureattr"] == "kept"
    # AND the tenant-level event came over the default bus
    assert event.bus == "default"


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        ("2020-11-19T21:04:41+08:00", datetime(2020, 11, 19, 21, 4, 41, tzinfo=CST)),
        ("2023-12-11T10:10:00.117Z", datetime(2023, 12, 11, 10, 10, 0, 117000, tzinfo=timezone.utc)),
        ("2020-11-19T21:04:42.179PRC", datetime(2020, 11, 19, 21, 4, 42, 179000, tzinfo=CST)),
        ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        (" 2024-01-02T03:04:05Z ", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
    ],
)
def test_given_a_documented_time_format_when_decoded_then_aware_datetime(
    time: str, expected: datetime
) -> None:
    # GIVEN a CloudEvent time in one of the formats seen in the docs (incl. the PRC oddity)
    doc = dict(sample(NODE_CREATED), time=time)
    # WHEN decoded THEN an aware datetime at the same instant
    parsed = decode_one(doc).time
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed == expected


@pytest.mark.parametrize(
    "time", ["yesterday", "2020-13-45T99:00:00Z", "", 1700000000000, None, ["x"], "\x00PRC"]
)
def test_given_an_unreadable_time_when_decoded_then_time_is_none_and_event_kept(time: Any) -> None:
    # GIVEN a CloudEvent with a time nobody can parse
    doc = dict(sample(NODE_CREATED), time=time)
    # WHEN decoded THEN the event is not lost: time is None, the raw value stays in attributes
    event = decode_one(doc)
    assert event.time is None
    assert event.attributes["time"] == time
    assert event.spec is not None


def test_given_the_prc_publish_time_when_decoded_then_nothing_breaks() -> None:
    # GIVEN the envelope the event list page shows, verbatim (aliyunpublishtime "...179PRC")
    doc = {
        "datacontenttype": "application/json;charset=utf-8",
        "data": {"tenantId": 2837810656, "eventCode": "instance-status-changes"},
        "id": "539fd8f4-4ea1-4625-aa8b-6c9066740000",
        "source": "acs.dataworks",
        "specversion": "1.0",
        "subject": "",
        "time": "2020-11-19T21:04:41+08:00",
        "type": "dataworks:InstanceStatusChanges:InstanceStatusChanges",
        "aliyunaccountid": "1234567890980000",
        "aliyunpublishtime": "2020-11-19T21:04:42.179PRC",
        "aliyuneventbusname": "default",
        "aliyunregionid": "cn-hangzhou",
        "aliyunpublishaddr": "172.25.XX.XX",
    }
    # WHEN decoded
    event = decode_one(json.dumps(doc))
    # THEN time is the event time (not the publish time) and the oddity is kept untouched
    assert event.time == datetime(2020, 11, 19, 21, 4, 41, tzinfo=CST)
    assert event.attributes["aliyunpublishtime"] == "2020-11-19T21:04:42.179PRC"
    assert json.dumps(event.summary())  # summary stays JSON-ready


# --------------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------------


def test_given_a_batch_when_decoded_then_one_event_per_element_in_order() -> None:
    # GIVEN an EventBridge batch of three different samples
    rels = [NODE_CREATED, COMMIT_FILE, UPLOAD]
    batch = [sample(rel) for rel in rels]
    # WHEN decoded from bytes
    events = decode(json.dumps(batch).encode())
    # THEN one event per element, in order
    assert [e.message_id for e in events] == [doc["id"] for doc in batch]
    assert [e.type for e in events] == [doc["type"] for doc in batch]


def test_given_a_batch_with_one_bad_element_when_decode_batch_then_error_in_place_and_good_ones_kept() -> (
    None
):
    # GIVEN a batch whose third element has a number as data
    good = sample(NODE_CREATED)
    bad = dict(sample(COMMIT_FILE), data=5)
    batch = [good, sample(UPLOAD), bad, sample(COMMIT_FILE)]
    # WHEN decoded element by element
    results = decode_batch(json.dumps(batch))
    # THEN the bad element is a DecodeError at its index and the others are events
    assert [type(r).__name__ for r in results] == [
        "DataWorksEvent",
        "DataWorksEvent",
        "DecodeError",
        "DataWorksEvent",
    ]
    error = results[2]
    assert isinstance(error, DecodeError)
    assert error.index == 2 and error.location == "data"
    assert str(error) == "event[2].data: expected a JSON object, got a number"


def test_given_a_batch_with_a_bad_element_when_decode_then_the_first_error_is_raised() -> None:
    # GIVEN a batch with two bad elements (index 1 and 3)
    batch = [sample(NODE_CREATED), "not an event", sample(UPLOAD), {"id": "x", "data": []}]
    # WHEN decoded with decode() THEN the first problem is raised with its index
    error = decode_error(json.dumps(batch))
    assert error.index == 1
    assert str(error) == "event[1]: expected a JSON object, got a string"


def test_given_a_batch_when_decode_one_then_only_a_batch_of_one_is_accepted() -> None:
    # GIVEN a batch of one and a batch of two
    one, two = [sample(NODE_CREATED)], [sample(NODE_CREATED), sample(UPLOAD)]
    # WHEN decode_one THEN the batch of one is its event and the batch of two is refused
    assert decode_one(json.dumps(one)).type == "dataworks:NodeChange:NodeChangeCreated"
    with pytest.raises(DecodeError, match=r"^expected one event, got a batch of 2$"):
        decode_one(json.dumps(two))
    # AND a parsed list works at runtime too (decode_one's annotation omits list[Any])
    assert decode_one(one).type == "dataworks:NodeChange:NodeChangeCreated"  # type: ignore[arg-type]


def test_given_an_empty_batch_when_decoded_then_decode_error() -> None:
    # GIVEN "[]" WHEN decoded THEN the whole input is refused (nothing to do is suspicious)
    with pytest.raises(DecodeError, match="empty batch"):
        decode_batch("[]")


def test_given_a_batch_of_mixed_shapes_when_decoded_then_each_element_keeps_its_delivery() -> None:
    # GIVEN a batch mixing a CloudEvent, a RawData payload and an FC-direct message
    batch = [sample(NODE_CREATED), sample(UPLOAD)["data"], fc_direct()]
    # WHEN decoded
    events = decode(batch)
    # THEN each element is read according to its own shape
    assert [e.delivery for e in events] == ["cloudevent", "rawdata", "fc-direct"]


# --------------------------------------------------------------------------------------------
# RawData (payload only, no envelope)
# --------------------------------------------------------------------------------------------


def rawdata_samples() -> list[Path]:
    return [p for p in category_samples() if "eventCode" in json.loads(p.read_bytes())["data"]]


@pytest.mark.parametrize("path", rawdata_samples(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_given_a_rawdata_payload_when_decoded_then_read_by_event_code(path: Path) -> None:
    # GIVEN the data object of a sample, delivered alone (EventBridge RawData schema)
    data = json.loads(path.read_bytes())["data"]
    # WHEN decoded
    event = decode_one(json.dumps(data).encode())
    # THEN the catalogue entry of its eventCode decodes it; there is no envelope
    assert event.delivery == "rawdata"
    assert event.spec is dwevents.lookup(None, data["eventCode"])
    assert event.event_code == data["eventCode"]
    assert event.type == event.spec.type  # type: ignore[union-attr]
    assert (event.source, event.time, event.account, event.bus) == (None, None, None, None)
    assert event.attributes == {} and event.data == data
    assert re.fullmatch(r"rawdata-[0-9a-f]{32}", event.message_id)


def test_given_the_same_rawdata_twice_when_decoded_then_the_message_id_is_a_stable_content_hash() -> None:
    # GIVEN one payload, the same payload with keys reordered, and a payload differing in one field
    data = sample(UPLOAD)["data"]
    reordered = dict(reversed(list(data.items())))
    changed = dict(data, fileSize=data["fileSize"] + 1)
    # WHEN decoded
    first, again, other = (decode_one(json.dumps(d)) for d in (data, reordered, changed))
    # THEN equal content gives an equal id (idempotency works) and other content another id
    assert first.message_id == again.message_id == decode_one(json.dumps(data).encode()).message_id
    assert other.message_id != first.message_id


def test_given_a_rawdata_payload_without_event_code_when_decoded_then_generic_with_tenant() -> None:
    # GIVEN a payload with only tenantId (some documented payloads lack eventCode)
    event = decode_one({"tenantId": 28378410656, "nodeId": 1})
    # THEN it is kept as a generic RawData event: nothing lost, nothing guessed
    assert event.delivery == "rawdata" and event.spec is None and event.type is None
    assert isinstance(event.payload, GenericPayload)
    assert event.payload.to_wire() == {"tenantId": 28378410656, "nodeId": 1}


# --------------------------------------------------------------------------------------------
# FC-direct extension messages
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body_as", ["object", "json-text"])
def test_given_an_fc_direct_message_when_decoded_then_extension_answered_by_return(body_as: str) -> None:
    # GIVEN the documented FC-direct message, messageBody as an object or as JSON text
    body = sample(UPLOAD)["data"]
    message = fc_direct(body if body_as == "object" else json.dumps(body))
    # WHEN decoded
    event = decode_one(json.dumps(message).encode())
    # THEN the wrapper facts are lifted and the verdict goes back as the return value
    assert event.delivery == "fc-direct"
    assert event.message_id == "52d44ee7-b51f-4d4d-afeb-000000000001"
    assert event.spec is BY_TYPE["dataworks:ResourcesUpload:UploadDataToTable"]
    assert event.type == "dataworks:ResourcesUpload:UploadDataToTable"
    assert event.event_code == "upload-data-to-table"
    assert event.source == "acs.dataworks" and event.time is None and event.bus is None
    assert event.block_business is True
    assert event.event_category_type == "resources-download"
    assert event.extension_biz_id == "job_6603070"
    assert event.is_extension and event.reply_api is ReplyApi.RETURN
    assert event.data == body
    assert type(event.payload).__name__ == "UploadDataToTablePayload"
    # AND the wrapper (minus the body) is kept in attributes
    assert "messageBody" not in event.attributes
    assert event.attributes["eventType"] == "upload-data-to-table"


def test_given_an_fc_direct_body_without_event_code_when_decoded_then_event_type_decides() -> None:
    # GIVEN a messageBody lacking eventCode; the wrapper's eventType names the event
    body = {k: v for k, v in sample(UPLOAD)["data"].items() if k != "eventCode"}
    # WHEN decoded
    event = decode_one(fc_direct(body))
    # THEN eventType is the catalogue key
    assert event.spec is BY_TYPE["dataworks:ResourcesUpload:UploadDataToTable"]
    assert event.event_code == "upload-data-to-table"


@pytest.mark.parametrize(
    ("block", "expected"), [(True, True), (False, False), ("true", True), ("FALSE", False), (None, None)]
)
def test_given_block_business_in_any_spelling_when_decoded_then_boolean(
    block: Any, expected: bool | None
) -> None:
    # GIVEN blockBusiness as a boolean, as text, or absent
    message = fc_direct(blockBusiness=block)
    # WHEN decoded THEN a boolean (or None when absent)
    assert decode_one(message).block_business is expected


def test_given_an_fc_direct_message_of_an_unknown_event_when_decoded_then_generic_but_still_return() -> None:
    # GIVEN an FC-direct message for an event the catalogue does not know
    message = fc_direct(
        {"eventCode": "brand-new-event", "tenantId": 1, "x": [1, 2]}, eventType="brand-new-event"
    )
    # WHEN decoded
    event = decode_one(message)
    # THEN the payload is generic and DataWorks still waits for the return value
    assert event.spec is None and isinstance(event.payload, GenericPayload)
    assert event.payload.to_wire() == {"eventCode": "brand-new-event", "tenantId": 1, "x": [1, 2]}
    assert event.is_extension and event.reply_api is ReplyApi.RETURN


def test_given_an_fc_direct_message_without_message_id_when_decoded_then_names_the_field() -> None:
    # GIVEN an FC-direct message without messageId WHEN decoded THEN the field is named
    message = fc_direct()
    del message["messageId"]
    assert str(decode_error(message)) == "messageId: required field is missing"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{not json", "messageBody: expected a JSON object, got text that is not JSON"),
        ([1, 2], "messageBody: expected a JSON object, got an array"),
        (7, "messageBody: expected a JSON object, got a number"),
    ],
)
def test_given_a_bad_message_body_when_decoded_then_names_message_body(body: Any, expected: str) -> None:
    # GIVEN an FC-direct message whose body is not an object WHEN decoded THEN the error says so
    assert str(decode_error(fc_direct(body))) == expected


# --------------------------------------------------------------------------------------------
# Catalogue lookup through the envelope: type wins, eventCode fallback, case variants, unknown types
# --------------------------------------------------------------------------------------------


def test_given_type_and_event_code_disagree_when_decoded_then_type_wins() -> None:
    # GIVEN a commit-file CloudEvent whose data claims deploy-file
    doc = sample(COMMIT_FILE)
    doc["data"]["eventCode"] = "run-file"
    # WHEN decoded
    event = decode_one(doc)
    # THEN the spec and the event code are the type's; the payload's eventCode stays in the payload
    # (issue 10: routing and audit follow the envelope, not a placeholder such as the documented "xxxx")
    assert event.spec is BY_TYPE["dataworks:FileChange:CommitFile"]
    assert event.type == "dataworks:FileChange:CommitFile"
    assert event.event_code == "commit-file"
    assert event.payload.to_wire()["eventCode"] == "run-file"
    assert event.summary()["event_code"] == "commit-file"


def test_given_no_type_when_decoded_then_event_code_is_the_fallback() -> None:
    # GIVEN a CloudEvent without type (id + data only)
    doc = sample(COMMIT_FILE)
    del doc["type"]
    # WHEN decoded
    event = decode_one(doc)
    # THEN data.eventCode finds the entry and the type is filled in from the catalogue
    assert event.delivery == "cloudevent"
    assert event.spec is BY_TYPE["dataworks:FileChange:CommitFile"]
    assert event.type == "dataworks:FileChange:CommitFile"
    assert event.as_cloudevent()["type"] == "dataworks:FileChange:CommitFile"


@pytest.mark.parametrize(
    ("type_", "code", "category"),
    [
        ("dataworks:FileChange:CommitFileV2", "commit-file", "FileChange"),
        ("dataworks:NodeChange:NotARealAction", "commit-file", "NodeChange"),
        ("dataworks:NodeChange:NotARealAction", "start-diJob", "NodeChange"),
        ("dataworks:nodechange:NotARealAction", "deploy-file", "NodeChange"),
    ],
)
def test_given_an_unknown_type_with_a_known_event_code_when_decoded_then_not_rescued(
    type_: str, code: str, category: str
) -> None:
    # GIVEN a type the catalogue does not know and a payload eventCode it does know
    doc = dict(sample(COMMIT_FILE), type=type_)
    doc["data"] = dict(doc["data"], eventCode=code)
    # WHEN decoded
    event = decode_one(doc)
    # THEN it stays an unknown event of the type's own category: no spec, no event code, no verdict
    # (issue 10: NotARealAction with eventCode commit-file was answered by the FileChange function)
    assert event.spec is None and event.event_code is None and not event.is_extension
    assert isinstance(event.payload, GenericPayload)
    assert event.type == type_ and event.category == category
    assert event.payload.to_wire()["eventCode"] == code


@pytest.mark.parametrize(
    ("type_", "code", "expected"),
    [
        (None, "start-dijob", "dataworks:NodeChange:StartDiJob"),
        (None, "START-DIJOB", "dataworks:NodeChange:StartDiJob"),
        (None, "batch-start-dijob", "dataworks:NodeChange:BatchStartDiJob"),
        ("dataworks:NodeChange:UnfreezeNode", None, "dataworks:NodeChange:UnFreezeNode"),
        ("DATAWORKS:NODECHANGE:UNFREEZENODE", None, "dataworks:NodeChange:UnFreezeNode"),
        ("dataworks:InstanceChange:UnFreezeInstance", None, "dataworks:InstanceChange:UnfreezeInstance"),
        (None, "approval-create-before", "dataworks:ApprovalChange:ApprovalChangeBeforeCreate"),
    ],
)
def test_given_a_spelling_variant_when_decoded_then_the_documented_entry(
    type_: str | None, code: str | None, expected: str
) -> None:
    # GIVEN a CloudEvent with a case/alias variant of the type or eventCode
    doc: dict[str, Any] = {"id": "variant-1", "source": "acs.dataworks", "data": {"tenantId": 1}}
    if type_:
        doc["type"] = type_
    if code:
        doc["data"]["eventCode"] = code
    # WHEN decoded
    event = decode_one(doc)
    # THEN the documented catalogue entry is found
    assert event.spec is BY_TYPE[expected]
    assert event.category == BY_TYPE[expected].category


def test_given_an_unknown_type_when_decoded_then_generic_payload_keeps_everything() -> None:
    # GIVEN an event type DataWorks may add tomorrow
    data = {
        "eventCode": "quantum-change",
        "tenantId": 28378410656,
        "nested": {"a": [1, {"b": None}]},
        "projectId": "42",
        "flag": True,
    }
    doc = {
        "id": "future-1",
        "source": "acs.dataworks",
        "specversion": "1.0",
        "type": "dataworks:QuantumChange:QuantumChanged",
        "data": data,
        "aliyunnew": "x",
    }
    # WHEN decoded
    event = decode_one(json.dumps(doc).encode())
    # THEN nothing is lost, nothing is claimed about it
    assert event.spec is None and event.kind is None and event.reply_api is None
    assert not event.is_extension
    assert isinstance(event.payload, GenericPayload)
    assert event.type == "dataworks:QuantumChange:QuantumChanged"
    assert event.category == "QuantumChange"
    # AND the type has no catalogue code: the payload's eventCode stays in the payload only
    assert event.event_code is None and event.payload.to_wire()["eventCode"] == "quantum-change"
    wire = event.payload.to_wire()
    assert wire == {k: v for k, v in data.items() if v is not None}
    assert event.payload.model_extra == {"nested": data["nested"], "projectId": "42", "flag": True}
    assert event.as_cloudevent() == doc
    summary = event.summary()
    assert (summary["module"], summary["level"], summary["kind"], summary["category"]) == (
        None,
        None,
        None,
        "QuantumChange",
    )


def test_given_a_type_without_three_segments_when_decoded_then_no_category() -> None:
    # GIVEN a foreign-looking type WHEN decoded THEN decoded generically with no category
    event = decode_one({"id": "1", "source": "elsewhere", "type": "com.example.thing", "data": {}})
    assert event.spec is None and event.category is None


# --------------------------------------------------------------------------------------------
# as_cloudevent() and summary()
# --------------------------------------------------------------------------------------------


def test_given_a_cloudevent_when_as_cloudevent_then_the_input_document_comes_back() -> None:
    # GIVEN a complete sample WHEN decoded and turned back into a CloudEvent
    doc = sample(UPLOAD)
    again = decode_one(json.dumps(doc)).as_cloudevent()
    # THEN it is the same document (what EventBridge patterns match against)
    assert again == doc
    # AND mutating the copy does not touch the event
    again["data"]["fileSize"] = -1
    assert decode_one(doc).as_cloudevent()["data"]["fileSize"] == 123456


@pytest.mark.parametrize("shape", ["rawdata", "fc-direct"])
def test_given_a_non_cloudevent_delivery_when_as_cloudevent_then_id_type_and_data_are_filled(
    shape: str,
) -> None:
    # GIVEN a RawData payload or an FC-direct message of the upload pre-event
    data = sample(UPLOAD)["data"]
    event = decode_one(data if shape == "rawdata" else fc_direct(data))
    # WHEN seen as a CloudEvent
    ce = event.as_cloudevent()
    # THEN it has an id, the catalogue type and the payload as data
    assert ce["id"] == event.message_id
    assert ce["type"] == "dataworks:ResourcesUpload:UploadDataToTable"
    assert ce["data"] == data
    assert (ce.get("source") == "acs.dataworks") is (shape == "fc-direct")


def test_given_an_event_when_summarised_then_the_cli_shape() -> None:
    # GIVEN an extension CloudEvent
    event = decode_one((EVENTS / COMMIT_FILE).read_bytes())
    # WHEN summarised
    summary = event.summary()
    # THEN the documented keys, plain JSON values only
    assert list(summary) == [
        "message_id",
        "type",
        "event_code",
        "module",
        "category",
        "level",
        "kind",
        "reply_api",
        "payload",
    ]
    assert summary["type"] == "dataworks:FileChange:CommitFile"
    assert (summary["module"], summary["category"], summary["level"]) == (
        "DataStudio",
        "FileChange",
        "workspace",
    )
    assert (summary["kind"], summary["reply_api"]) == ("both", "UpdateIDEEventResult")
    assert summary["payload"]["eventCode"] == "commit-file"
    assert json.loads(json.dumps(summary)) == summary


def test_given_an_fc_direct_event_when_summarised_then_reply_api_is_return() -> None:
    assert decode_one(fc_direct()).summary()["reply_api"] == "return"


# --------------------------------------------------------------------------------------------
# Error messages: what and where
# --------------------------------------------------------------------------------------------


def test_given_a_string_where_an_integer_belongs_when_decoded_then_field_path_and_value() -> None:
    # GIVEN projectId "abc" in a node-change-created payload
    doc = sample(NODE_CREATED)
    doc["data"]["projectId"] = "abc"
    # WHEN decoded
    error = decode_error(json.dumps(doc))
    # THEN the message names the field (wire name) and shows the value
    assert str(error) == 'data.projectId: expected an integer, got "abc"'
    assert error.location == "data.projectId" and error.index is None
    assert error.reason == 'expected an integer, got "abc"'


def test_given_a_bad_field_in_a_batch_element_when_decoded_then_index_and_path() -> None:
    # GIVEN a batch whose second element has a bad projectId
    bad = sample(NODE_CREATED)
    bad["data"]["projectId"] = [1]
    results = decode_batch([sample(UPLOAD), bad])
    # THEN the error says which element and which field
    assert str(results[1]) == "event[1].data.projectId: expected an integer, got [1]"


def test_given_a_bad_field_in_an_fc_direct_body_when_decoded_then_message_body_path() -> None:
    # GIVEN an FC-direct body with fileSize "big" WHEN decoded THEN the path starts at messageBody
    body = dict(sample(UPLOAD)["data"], fileSize="big")
    assert str(decode_error(fc_direct(body))) == 'messageBody.fileSize: expected an integer, got "big"'


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("id"), "id: required field is missing"),
        (lambda d: d.update(id=""), "id: required field is missing"),
        (lambda d: d.update(id=None), "id: required field is missing"),
        (lambda d: d.update(id={"a": 1}), "id: expected a string, got dict"),
        (lambda d: d.update(id=True), "id: expected a string, got a boolean"),
        (lambda d: d.update(type=["x"]), "type: expected a string, got an array"),
        (lambda d: d.update(source=1.5), "source: expected a string, got a number"),
        (lambda d: d.update(aliyunaccountid=False), "aliyunaccountid: expected a string, got a boolean"),
        (lambda d: d.update(data=[1]), "data: expected a JSON object, got an array"),
        (
            lambda d: d.update(data="{oops"),
            "data: expected a JSON object or JSON text, got text that is not JSON",
        ),
        (lambda d: d.update(data='"text"'), "data: expected a JSON object, got a string"),
        (lambda d: d.update(data=True), "data: expected a JSON object, got a boolean"),
    ],
)
def test_given_a_bad_envelope_attribute_when_decoded_then_the_attribute_is_named(
    mutate: Any, expected: str
) -> None:
    # GIVEN a sample with one envelope attribute broken
    doc = sample(NODE_CREATED)
    mutate(doc)
    # WHEN decoded THEN the message names the attribute and what was expected
    assert str(decode_error(doc)) == expected


def test_given_a_numeric_id_when_decoded_then_accepted_as_text() -> None:
    # GIVEN an id sent as a number WHEN decoded THEN it becomes the message id text
    assert decode_one(dict(sample(NODE_CREATED), id=12345)).message_id == "12345"


class _Rule(WireModel):
    rule_id: int
    name: str | None = None


class _Rules(WireModel):
    project_id: int
    rules: list[_Rule] = []


@pytest.mark.parametrize(
    ("data", "location", "message"),
    [
        ({"rules": []}, "projectId", "required field is missing"),
        (
            {"projectId": 1, "rules": [{"ruleId": 1}, {"name": "x"}]},
            "rules[1].ruleId",
            "required field is missing",
        ),
        ({"projectId": 1, "rules": [{"ruleId": "x1"}]}, "rules[0].ruleId", 'expected an integer, got "x1"'),
        ({"projectId": 1, "rules": {"a": 1}}, "rules", 'expected an array, got {"a": 1}'),
        (
            {"projectId": "p", "rules": [{"ruleId": "r"}]},
            "rules[0].ruleId",
            'expected an integer, got "r" (and 1 more problem)',
        ),
    ],
)
def test_given_a_validation_error_when_described_then_wire_path_and_plain_words(
    data: dict[str, Any], location: str, message: str
) -> None:
    # GIVEN a payload model with a required field and a nested list, and data that breaks it
    with pytest.raises(ValidationError) as info:
        _Rules.model_validate(data)
    # WHEN described THEN the deepest wire-name path and a plain-words message
    assert describe_validation_error(info.value) == (location, message)


@pytest.mark.parametrize(
    ("raw", "pattern"),
    [
        (b"{", r"^input is not JSON: .+ at line 1 column 2$"),
        ('{"id": 1,}', r"^input is not JSON: .+ at line 1 column 10$"),
        (b"{\n  'id': 1\n}", r"^input is not JSON: .+ at line 2 column 3$"),
        ("nope", r"^input is not JSON: Expecting value at line 1 column 1$"),
        (b'{"a": 1} trailing', r"^input is not JSON: Extra data at line 1 column 10$"),
    ],
)
def test_given_text_that_is_not_json_when_decoded_then_line_and_column(raw: Any, pattern: str) -> None:
    # GIVEN broken JSON WHEN decoded THEN the parser's reason with line and column
    assert re.match(pattern, str(decode_error(raw)))


@pytest.mark.parametrize("raw", [b"", "", b"   \n\t", "  ", b"\xef\xbb\xbf"])
def test_given_empty_input_when_decoded_then_says_empty(raw: Any) -> None:
    # GIVEN nothing (or only whitespace / a BOM) WHEN decoded THEN "input is empty"
    assert str(decode_error(raw)).startswith("input is empty")


@pytest.mark.parametrize(("raw", "byte"), [(b"\xff\xfe{}", 0), (b'{"id": "\xc3\x28"}', 8), (b"{\x80}", 1)])
def test_given_bytes_that_are_not_utf8_when_decoded_then_names_the_byte(raw: bytes, byte: int) -> None:
    # GIVEN non-UTF-8 bytes WHEN decoded THEN the offset of the first bad byte
    assert str(decode_error(raw)) == f"input is not UTF-8 text (byte {byte})"


@pytest.mark.parametrize("form", ["bytes", "str"])
def test_given_input_larger_than_the_limit_when_decoded_then_refused_before_parsing(
    form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a 64-byte limit and a sample far larger
    monkeypatch.setattr(envelope.limits, "MAX_INPUT_BYTES", 64)
    raw_bytes = (EVENTS / NODE_CREATED).read_bytes()
    raw: bytes | str = raw_bytes if form == "bytes" else raw_bytes.decode()
    # WHEN decoded THEN refused with the size and the limit
    message = str(decode_error(raw))
    assert "larger than the 64" in message
    assert str(len(raw)) in message


def test_given_input_exactly_at_the_limit_when_decoded_then_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a limit equal to the input size WHEN decoded THEN accepted
    raw = (EVENTS / NODE_CREATED).read_bytes()
    monkeypatch.setattr(envelope.limits, "MAX_INPUT_BYTES", len(raw))
    assert decode_one(raw).spec is not None


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100000,
        b"[" * 100000,
        '{"a":' * 100000,
        "[" * 5000 + "]" * 5000,
        json.dumps({"id": "1", "source": "s", "type": "t", "data": "[" * 100000}),
        json.dumps({"messageId": "1", "messageBody": '{"a":' * 50000}),
    ],
    ids=["open-brackets", "open-brackets-bytes", "open-objects", "balanced-5000", "data-text", "body-text"],
)
def test_given_deeply_nested_input_when_decoded_then_decode_error_not_recursion_error(raw: Any) -> None:
    # GIVEN JSON nested far deeper than any event WHEN decoded THEN a DecodeError (never RecursionError)
    error = decode_error(raw)
    assert "nested too deeply" in str(error) or "not JSON" in str(error)


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [500, 3000])
@pytest.mark.parametrize(
    "shape", ["rawdata", "cloudevent-generic", "cloudevent-known-bad-field", "fc-direct-block", "batch"]
)
def test_given_an_already_parsed_dict_nested_deeply_when_decoded_then_never_a_recursion_error(
    shape: str, depth: int
) -> None:
    # GIVEN a parsed dict (json.loads never saw it) holding a value nested deeper than the recursion limit
    deep = _nested(depth)
    raw: Any = {
        "rawdata": {"eventCode": "zzz", "x": deep},
        "cloudevent-generic": {"id": "1", "source": "s", "type": "t", "data": {"x": deep}},
        "cloudevent-known-bad-field": {
            "id": "1",
            "type": "dataworks:NodeChange:NodeChangeCreated",
            "data": {"nodeId": deep},
        },
        "fc-direct-block": {"messageId": "1", "blockBusiness": deep},
        "batch": [{"eventCode": "zzz", "x": deep}],
    }[shape]
    # WHEN decoded THEN a DecodeError naming the first level too deep, nothing else
    # (regression: at depth 3000, RecursionError from the RawData content hash, from _short() describing
    # the validation error, and from str(blockBusiness))
    error = decode_error(raw)
    assert error.reason == "input is nested too deeply (more than 64 levels)"
    assert error.location.endswith("[0]" * 62) and "[0]" * 64 not in error.location
    assert error.location.split("[")[0] == {
        "rawdata": "x",
        "cloudevent-generic": "data.x",
        "cloudevent-known-bad-field": "data.nodeId",
        "fc-direct-block": "blockBusiness",
        "batch": "x",
    }[shape]
    assert error.index == (0 if shape == "batch" else None)


@pytest.mark.parametrize("depth", [100, 300, 600])
def test_given_a_deep_but_parseable_payload_when_decoded_then_it_is_refused(depth: int) -> None:
    # GIVEN a payload nested deeper than pydantic serialises (255 levels), shallower than json.loads refuses
    nest = '{"a":' * depth + "0" + "}" * depth
    raw = f'{{"id": "1", "source": "s", "type": "t", "data": {{"x": {nest}}}}}'
    # WHEN decoded THEN refused by the depth limit, in words (regression: depth >= 255 was accepted and
    # raised ValueError "Circular reference detected (depth exceeded)" from summary())
    assert decode_error(raw).reason == "input is nested too deeply (more than 64 levels)"
    # AND the deepest event the limit lets through summarises (what every log line does)
    ok = '{"a":' * 60 + "0" + "}" * 60
    event = decode_one(f'{{"id": "1", "source": "s", "type": "t", "trace": {ok}, "data": {{}}}}')
    assert json.dumps(event.summary()) and json.dumps(event.as_cloudevent())


@pytest.mark.parametrize("form", ["bytes", "parsed"])
def test_given_a_batch_with_one_too_deep_element_when_decode_batch_then_only_that_element_fails(
    form: str,
) -> None:
    # GIVEN a batch: a good event, a RawData payload nested 80 levels (parseable JSON), another good event
    deep = {"eventCode": "zzz", "v": _nested(80)}
    batch = [sample(NODE_CREATED), deep, sample(UPLOAD)]
    raw: Any = json.dumps(batch).encode() if form == "bytes" else batch
    # WHEN decoded element by element
    results = decode_batch(raw)
    # THEN the deep element is a DecodeError at index 1 and the good events are kept
    # (bug: the depth check runs on the whole batch, so the whole batch is refused)
    assert [type(r).__name__ for r in results] == ["DataWorksEvent", "DecodeError", "DataWorksEvent"]
    assert isinstance(results[1], DecodeError) and results[1].index == 1
    assert "nested too deeply" in str(results[1])


@pytest.mark.parametrize(
    ("doc", "location"),
    [
        ({"id": 10**5000, "source": "acs.dataworks", "type": "t"}, "id"),
        ({"messageId": 10**5000, "messageBody": {}}, "messageId"),
        ({"eventCode": 10**5000}, "eventCode"),
        ({"id": "1", "type": "dataworks:NodeChange:NodeChangeCreated", "data": {"nodeId": [10**5000]}},
         "data.nodeId[0]"),
        ({"id": "1", "type": "dataworks:NodeChange:NodeChangeCreated", "data": {"nodeName": {"a": 10**5000}}},
         "data.nodeName.a"),
    ],
    ids=["id", "messageId", "eventCode", "bad-field-input", "bad-field-nested"],
)
def test_given_a_parsed_dict_with_a_huge_python_int_when_decoded_then_decode_error(
    doc: dict[str, Any], location: str
) -> None:
    # GIVEN an already-parsed dict holding an int with more digits than str() converts (int_max_str_digits)
    # WHEN decoded THEN a DecodeError naming the value (bug: ValueError from str() / repr() of the int)
    error = decode_error(doc)
    assert (error.location, error.reason) == (location, "number longer than 100 digits")


def test_given_a_top_level_scalar_when_decoded_then_expected_an_object() -> None:
    # GIVEN a JSON number / string / null at the top WHEN decoded THEN "expected a JSON object, got ..."
    assert str(decode_error("42")) == "expected a JSON object, got a number"
    assert str(decode_error('"hi"')) == "expected a JSON object, got a string"
    assert str(decode_error("null")) == "expected a JSON object, got null"
    assert str(decode_error("true")) == "expected a JSON object, got a boolean"


def test_given_an_object_of_no_known_shape_when_decoded_then_lists_shapes_and_keys() -> None:
    # GIVEN an object that is neither CloudEvent, FC-direct nor RawData
    message = str(decode_error({"hello": 1, "world": 2}))
    # THEN the message names the three shapes and the keys it saw
    assert message.startswith("not a DataWorks event: expected a CloudEvent")
    assert "messageId, messageBody" in message and "eventCode" in message
    assert message.endswith("keys present: hello, world")


def test_given_huge_integer_literals_when_decoded_then_decode_error() -> None:
    # GIVEN a JSON number with more digits than Python converts by default (int_max_str_digits)
    digits = "1" * 5000
    for raw in (
        digits,
        f'{{"id": {digits}, "source": "s", "type": "t"}}',
        json.dumps({"id": "1", "source": "s", "type": "t", "data": f'{{"x": {digits}}}'}),
    ):
        # WHEN decoded THEN a DecodeError (regression: a bare ValueError escaped json.loads)
        with pytest.raises(DecodeError):
            decode(raw)


@pytest.mark.parametrize("value", [1e300, 1e20, "Infinity", "-1e300"])
def test_given_an_epoch_timestamp_out_of_range_when_decoded_then_decode_error(value: Any) -> None:
    # GIVEN a payload timestamp no datetime can hold
    doc = sample(NODE_CREATED)
    doc["data"]["modifyTime"] = value
    # WHEN decoded THEN a DecodeError naming the field (regression: OverflowError / OSError escaped)
    error = decode_error(json.dumps(doc))
    assert error.location == "data.modifyTime"


# --------------------------------------------------------------------------------------------
# parse_json on its own
# --------------------------------------------------------------------------------------------


def test_given_parsed_values_when_parse_json_then_passed_through_unchanged() -> None:
    # GIVEN a dict and a list WHEN parse_json THEN the very same objects come back
    doc: dict[str, Any] = {"a": 1}
    batch: list[Any] = [doc]
    assert parse_json(doc) is doc and parse_json(batch) is batch
    assert parse_json(b'{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}


def test_given_a_decoded_event_when_input_dict_is_mutated_later_then_a_deep_copy_is_unaffected() -> None:
    # GIVEN a dict decoded, and a deep copy of its data taken at decode time
    doc = sample(NODE_CREATED)
    event: DataWorksEvent = decode_one(doc)
    snapshot = copy.deepcopy(dict(event.data))
    # THEN the typed payload does not change when the caller mutates its dict afterwards
    doc["data"]["nodeName"] = "changed"
    assert event.payload.to_wire()["nodeName"] == snapshot["nodeName"] == "ods_orders_di"
