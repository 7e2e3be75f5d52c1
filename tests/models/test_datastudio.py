"""Data Studio payloads: node, file and table change events decoded from the sample events."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import dwevents
from dwevents.models.base import SHANGHAI
from dwevents.models.datastudio import (
    ChangeType,
    FileChangePayload,
    FileOperationPayload,
    FileReviewPayload,
    FileType,
    NodeChangePayload,
    SchedulerType,
    TableChangePayload,
)

from ..conftest import decode_changed
from ..conftest import decode_sample as decode
from ..conftest import load_sample as sample

EVENTS = Path(__file__).parents[2] / "events"
SAMPLES = [
    "NodeChange/node-change-created.json",
    "NodeChange/node-change-updated.json",
    "FileChange/commit-file.json",
    "FileChange/deploy-file.json",
    "FileChange/delete-file.json",
    "FileChange/run-file.json",
    "FileChange/review-file.json",
    "TableChange/commit-table.json",
    "TableChange/deploy-table.json",
]


# -- every sample --------------------------------------------------------------------------------


@pytest.mark.parametrize("rel", SAMPLES)
def test_given_a_sample_when_decoded_then_its_type_is_in_the_catalogue_and_every_field_is_modelled(
    rel: str,
) -> None:
    doc = sample(rel)
    event = decode(rel)
    assert event.spec is not None and event.spec.type == doc["type"]
    assert event.bus == "dataworks-openevent"  # workspace-level events
    assert event.payload.model_extra == {}, "a documented field is not modelled"
    # WHEN dumped again THEN every wire field is still there under its wire name
    assert set(doc["data"]) <= set(event.payload.to_wire())


def test_given_every_cloudevent_sample_when_listed_then_ids_are_unique_and_ours_are_uuid4() -> None:
    # Idempotency keys on the CloudEvent id: two samples sharing one would hide each other in local runs.
    # Batch arrays and FC-direct messages are left out: they may legitimately reuse single samples.
    docs = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(EVENTS.rglob("*.json"))]
    ids = [doc["id"] for doc in docs if isinstance(doc, dict) and "specversion" in doc and "id" in doc]
    assert len(set(ids)) == len(ids)
    for rel in SAMPLES:
        assert uuid.UUID(sample(rel)["id"]).version == 4


# -- node change ---------------------------------------------------------------------------------


def test_given_node_created_when_decoded_then_scheduler_type_and_times_are_typed() -> None:
    event = decode("NodeChange/node-change-created.json")
    payload = event.payload
    assert isinstance(payload, NodeChangePayload)
    assert event.event_code == "node-change-created"
    assert payload.scheduler_type is SchedulerType.NORMAL
    assert payload.create_time == datetime(2024, 7, 12, 3, 8, 50, 864000, tzinfo=timezone.utc)
    assert payload.create_time is not None and payload.create_time.tzinfo is not None
    assert (payload.project_id, payload.tenant_id, payload.node_id) == (42, 28378410656, 700003461003)
    assert payload.program_type == "ODPS_SQL"
    assert payload.repeatability is True and payload.block_business is False
    assert payload.datasource is None


def test_given_node_updated_when_decoded_then_frozen_node_is_pause() -> None:
    payload = decode("NodeChange/node-change-updated.json").payload
    assert isinstance(payload, NodeChangePayload)
    assert payload.scheduler_type is SchedulerType.PAUSE


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("NORMAL", SchedulerType.NORMAL),
        ("skip_cycle", SchedulerType.SKIP_CYCLE),
        (2, SchedulerType.PAUSE),
        ("7", SchedulerType.REALTIME_DEPRECATED),
    ],
)
def test_given_scheduler_type_as_name_or_code_when_decoded_then_same_member(wire: Any, expected: Any) -> None:
    payload = decode_changed("NodeChange/node-change-created.json", schedulerType=wire).payload
    assert isinstance(payload, NodeChangePayload)
    assert payload.scheduler_type is expected


@pytest.mark.parametrize(("wire", "kept"), [("SUSPENDED", "SUSPENDED"), (9, 9), ("9", 9)])
def test_given_unknown_scheduler_type_when_decoded_then_raw_value_is_kept(wire: Any, kept: Any) -> None:
    payload = decode_changed("NodeChange/node-change-created.json", schedulerType=wire).payload
    assert isinstance(payload, NodeChangePayload)
    assert payload.scheduler_type == kept and not isinstance(payload.scheduler_type, SchedulerType)


def test_given_scheduler_type_member_when_dumped_then_the_wire_name_comes_back() -> None:
    payload = decode_changed("NodeChange/node-change-created.json", schedulerType=3).payload
    assert payload.to_wire()["schedulerType"] == "SKIP"


def test_given_node_deleted_without_event_code_when_decoded_by_type_then_datasource_is_read() -> None:
    # GIVEN the documented deletion shape: no eventCode, a datasource, wire type NodeChangeDeleted
    doc = sample("NodeChange/node-change-created.json")
    doc["type"] = "dataworks:NodeChange:NodeChangeDeleted"
    del doc["data"]["eventCode"], doc["data"]["blockBusiness"]
    doc["data"]["datasource"] = "odps_source"
    # WHEN decoded
    event = dwevents.decode_one(json.dumps(doc).encode())
    # THEN the type alone chose the model
    assert event.event_code == "node-change-deleted"
    assert isinstance(event.payload, NodeChangePayload)
    assert event.payload.datasource == "odps_source" and event.payload.event_code is None


# -- file change ---------------------------------------------------------------------------------


def test_given_commit_file_when_decoded_then_codes_and_shanghai_time_are_typed() -> None:
    event = decode("FileChange/commit-file.json")
    payload = event.payload
    assert isinstance(payload, FileChangePayload)
    assert event.spec is not None and event.spec.is_extension
    assert payload.change_type is ChangeType.CREATE
    assert payload.file_type is FileType.ODPS_SQL
    assert payload.file_create_time == datetime(2024, 7, 12, 11, 8, 50, tzinfo=SHANGHAI)
    assert payload.file_create_time is not None
    assert payload.file_create_time.utcoffset() == timedelta(hours=8)
    assert payload.extension_biz_id == "eb41c07a3d2e4b9c8a6f5d4e3c2b19ce"
    assert payload.node_id is None  # in the table, absent from the documented sample
    assert (payload.file_version, payload.data_source_name, payload.resource_type) == (1, "odps_first", 1)


def test_given_deploy_file_when_decoded_then_it_is_an_update() -> None:
    payload = decode("FileChange/deploy-file.json").payload
    assert isinstance(payload, FileChangePayload)
    assert payload.change_type is ChangeType.UPDATE and payload.file_version == 3


@pytest.mark.parametrize(
    ("rel", "file_type"),
    [("FileChange/delete-file.json", FileType.SHELL), ("FileChange/run-file.json", FileType.ODPS_SQL)],
)
def test_given_delete_or_run_file_when_decoded_then_operation_payload_with_node(
    rel: str, file_type: Any
) -> None:
    payload = decode(rel).payload
    assert type(payload) is FileOperationPayload
    assert payload.file_type is file_type
    assert payload.node_id is not None and payload.file_id is not None
    assert not hasattr(payload, "change_type")


def test_given_review_file_without_event_code_when_decoded_then_review_payload_by_type() -> None:
    event = decode("FileChange/review-file.json")
    assert "eventCode" not in event.data
    assert event.event_code == "review-file"
    assert isinstance(event.payload, FileReviewPayload) and isinstance(event.payload, FileChangePayload)
    assert event.payload.change_type is ChangeType.UPDATE


def test_given_commit_file_as_rawdata_when_decoded_then_event_code_picks_the_model() -> None:
    # GIVEN the RawData delivery schema: the payload alone, no envelope, no type
    event = dwevents.decode_one(json.dumps(sample("FileChange/commit-file.json")["data"]).encode())
    assert event.delivery == "rawdata" and event.type == "dataworks:FileChange:CommitFile"
    assert isinstance(event.payload, FileChangePayload)


def test_given_commit_file_without_event_code_when_decoded_then_type_still_decides() -> None:
    event = decode_changed("FileChange/commit-file.json", drop=("eventCode",))
    assert event.event_code == "commit-file" and isinstance(event.payload, FileChangePayload)


def test_given_numbers_as_strings_when_decoded_then_coerced() -> None:
    payload = decode_changed(
        "FileChange/commit-file.json",
        projectId="42",
        fileId="501234830",
        fileType="10",
        changeType=1,
        fileVersion="2",
        tenantId="28378410656",
        operator=207947397706614299,
    ).payload
    assert isinstance(payload, FileChangePayload)
    assert (payload.project_id, payload.file_id, payload.file_version, payload.tenant_id) == (
        42,
        501234830,
        2,
        28378410656,
    )
    assert payload.file_type is FileType.ODPS_SQL and payload.change_type is ChangeType.UPDATE
    assert payload.operator == "207947397706614299"


def test_given_unknown_codes_when_decoded_then_raw_values_are_kept() -> None:
    payload = decode_changed("FileChange/commit-file.json", fileType=4242, changeType="3").payload
    assert isinstance(payload, FileChangePayload)
    assert payload.file_type == 4242 and not isinstance(payload.file_type, FileType)
    assert payload.change_type == "3" and not isinstance(payload.change_type, ChangeType)


def test_given_unknown_field_when_decoded_then_kept_and_dumped_again() -> None:
    payload = decode_changed("FileChange/run-file.json", gitBranch="feature/x", reviewers=["a", "b"]).payload
    assert payload.model_extra == {"gitBranch": "feature/x", "reviewers": ["a", "b"]}
    wire = payload.to_wire()
    assert wire["gitBranch"] == "feature/x" and wire["reviewers"] == ["a", "b"]
    assert wire["fileType"] == 10 and wire["projectId"] == 42


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("projectId", "abc", 'data.projectId: expected an integer, got "abc"'),
        ("fileType", "abc", 'data.fileType: expected an integer, got "abc"'),
        (
            "fileCreateTime",
            "yesterday",
            "data.fileCreateTime: expected epoch milliseconds or 'yyyy-MM-dd HH:mm:ss'",
        ),
    ],
)
def test_given_wrong_type_when_decoded_then_decode_error_names_the_path(
    field: str, value: Any, message: str
) -> None:
    with pytest.raises(dwevents.DecodeError) as info:
        decode_changed("FileChange/commit-file.json", **{field: value})
    # Prefix: the envelope's wording of the offending input may still change; path and reason may not.
    assert str(info.value).startswith(message)


# -- table change --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "code", "project"),
    [
        ("TableChange/commit-table.json", "commit-table", "dw_sales_dev"),
        ("TableChange/deploy-table.json", "deploy-table", "dw_sales"),
    ],
)
def test_given_table_event_without_event_code_when_decoded_then_typed_by_type(
    rel: str, code: str, project: str
) -> None:
    event = decode(rel)
    assert "eventCode" not in event.data and event.event_code == code
    payload = event.payload
    assert isinstance(payload, TableChangePayload)
    assert (payload.table_name, payload.table_type, payload.max_compute_project) == (
        "dim_customer",
        "ODPS",
        project,
    )
    assert payload.project_id == 42 and payload.extension_biz_id
