"""Which shape a document is read as, and which field names the event (issue 10, "Trust").

* FC-direct is the documented message only: ``messageId``, ``messageBody``, ``eventType`` (+ the
  wrapper's ``eventCategoryType`` / ``blockBusiness`` / ``extensionBizId``), no CloudEvent attribute.
  Quoted: "Development Reference: Event List and Message Format", section "Function Compute message
  format" (https://www.alibabacloud.com/help/en/dataworks/user-guide/formats-of-event-messages-sent-to-eventbridge):
  ``{"blockBusiness": true, "eventCategoryType": "resources-download", "eventType":
  "upload-data-to-table", "extensionBizId": "job_6603***070", "messageBody": {"tenantId": ...,
  "eventCode": "xxxx"}, "messageId": "52d44ee7-b51f-4d4d-afeb-*******"}``.
* ``event_code`` is the catalogue code of the envelope's ``type`` / ``eventType``; the payload's
  ``eventCode`` (the sample's placeholder ``"xxxx"``) stays in the payload.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dwevents.catalogue import (
    BY_CODE,
    BY_TYPE,
    CATALOGUE,
    FC_DIRECT_CODES,
    category_of_type,
    lookup_code,
    lookup_type,
)
from dwevents.envelope import decode, decode_one
from dwevents.errors import DecodeError

EVENTS = Path(__file__).parents[1] / "events"

#: The documented FC-direct message, as the event list page shows it (masked values filled in).
DOCUMENTED_FC_DIRECT: dict[str, Any] = {
    "blockBusiness": True,
    "eventCategoryType": "resources-download",
    "eventType": "upload-data-to-table",
    "extensionBizId": "job_66031070",
    "messageBody": {"tenantId": 28378410656, "eventCode": "xxxx"},
    "messageId": "52d44ee7-b51f-4d4d-afeb-000000000007",
}


def error_of(raw: Any) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode(raw)
    return info.value


@pytest.mark.parametrize("form", ["bytes", "parsed"])
def test_given_the_documented_fc_direct_message_when_decoded_then_the_code_is_event_type(form: str) -> None:
    # GIVEN the documented FC-direct message, whose body carries the placeholder eventCode "xxxx"
    raw: Any = json.dumps(DOCUMENTED_FC_DIRECT).encode() if form == "bytes" else dict(DOCUMENTED_FC_DIRECT)
    # WHEN decoded
    event = decode_one(raw)
    # THEN an FC-direct event of eventType's entry; "xxxx" stays in the payload only
    assert event.delivery == "fc-direct" and event.is_fc_direct
    assert event.spec is BY_CODE["upload-data-to-table"]
    assert event.event_code == "upload-data-to-table" == event.summary()["event_code"]
    assert event.payload.to_wire()["eventCode"] == "xxxx"


def test_given_a_cloudevent_whose_payload_says_xxxx_when_decoded_then_event_code_is_the_types() -> None:
    # GIVEN a CloudEvent whose data.eventCode is the documentation's placeholder
    doc = json.loads((EVENTS / "ResourcesUpload/upload-data-to-table.json").read_bytes())
    doc["data"]["eventCode"] = "xxxx"
    # WHEN decoded (bytes and parsed)
    for raw in (json.dumps(doc).encode(), doc):
        event = decode_one(raw)
        # THEN what decode prints, audit and routing use is the type's code
        assert event.event_code == "upload-data-to-table"
        assert event.summary()["event_code"] == "upload-data-to-table"


@pytest.mark.parametrize(
    "extra",
    [{"id": "ce-1", "source": "acs.dataworks", "type": "dataworks:ResourcesUpload:UploadDataToTable"},
     {"specversion": "1.0"}, {"id": "ce-1", "data": {}}],
    ids=["id-source-type", "specversion", "id-data"],
)
def test_given_messageid_and_messagebody_beside_cloudevent_attributes_when_decoded_then_not_fc_direct(
    extra: dict[str, Any],
) -> None:
    # GIVEN a document with the FC-direct keys AND CloudEvent attributes (not the documented FC-direct shape)
    doc = {**DOCUMENTED_FC_DIRECT, **extra}
    # WHEN decoded THEN never an FC-direct event: a CloudEvent (its trust checks apply) or an error
    try:
        events = decode(doc)
    except DecodeError:
        return
    assert all(event.delivery == "cloudevent" and not event.is_fc_direct for event in events)


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        ("messageId", "messageId: required field is missing"),
        ("eventType", "eventType: required field is missing"),
        ("messageBody", "messageBody: required field is missing"),
    ],
)
def test_given_an_fc_direct_message_without_a_documented_field_when_decoded_then_the_field_is_named(
    missing: str, expected: str
) -> None:
    # GIVEN the documented message without one of messageId, eventType, messageBody
    doc = {k: v for k, v in DOCUMENTED_FC_DIRECT.items() if k != missing}
    # WHEN decoded (bytes or parsed) THEN the missing field is named: no FC-direct event without them
    assert str(error_of(doc)) == expected
    assert str(error_of(json.dumps(doc).encode())) == expected


def test_given_an_fc_direct_message_of_an_unknown_event_type_when_decoded_then_no_entry() -> None:
    # GIVEN an FC-direct message whose eventType the catalogue does not know
    doc = dict(DOCUMENTED_FC_DIRECT, eventType="brand-new-event")
    # WHEN decoded
    event = decode_one(json.dumps(doc).encode())
    # THEN an FC-direct event with no spec: the eventType is its code, it belongs to no category
    assert event.delivery == "fc-direct" and event.spec is None
    assert (event.event_code, event.category, event.type) == ("brand-new-event", None, None)
    assert event.block_business is True


def test_given_the_catalogue_when_fc_direct_entries_listed_then_the_download_and_upload_pre_events() -> None:
    # GIVEN the catalogue WHEN its FC-direct marks are read
    marked = {spec.event_code for spec in CATALOGUE if spec.fc_direct}
    # THEN exactly the two the docs name (the FC page names the download pre-event, the event list's
    # FC-direct sample is the upload event: both kept, the disagreement noted on each entry)
    assert marked == set(FC_DIRECT_CODES) == {"download-resources", "upload-data-to-table"}
    for code in marked:
        assert "FC-direct" in BY_CODE[code].note and BY_CODE[code].as_dict()["fc_direct"] is True
    assert not BY_CODE["download-resources-execute"].fc_direct


@pytest.mark.parametrize(
    ("type_", "category"),
    [
        ("dataworks:NodeChange:NotARealAction", "NodeChange"),
        ("dataworks:nodechange:NotARealAction", "NodeChange"),
        ("dataworks:QuantumChange:QuantumChanged", "QuantumChange"),
        ("a:b:c", "b"),
        ("com.example.thing", None),
        ("dataworks::X", None),
        (None, None),
    ],
)
def test_given_a_type_when_its_category_is_read_then_the_middle_segment_in_the_catalogues_spelling(
    type_: str | None, category: str | None
) -> None:
    # GIVEN a type, known or not WHEN its category is read THEN the catalogue's spelling when it names one
    assert category_of_type(type_) == category


def test_given_lookups_by_one_key_when_used_then_no_fallback_to_the_other() -> None:
    # GIVEN the two single-key lookups decoding uses
    # THEN a type finds only types (case-insensitively) and a code only codes and aliases
    assert lookup_type("dataworks:FileChange:CommitFile") is BY_TYPE["dataworks:FileChange:CommitFile"]
    assert lookup_type("DATAWORKS:FILECHANGE:COMMITFILE") is BY_TYPE["dataworks:FileChange:CommitFile"]
    assert lookup_type("commit-file") is None and lookup_type("dataworks:FileChange:CommitFileV2") is None
    assert lookup_code("approval-create-before") is BY_CODE["approval-change-before-create"]
    assert lookup_code("START-DIJOB") is BY_CODE["start-diJob"]
    assert lookup_code("dataworks:FileChange:CommitFile") is None
