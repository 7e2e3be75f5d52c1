"""Upload & Download payloads: download pre-events (generation, file) and the upload pre-event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dwevents
from dwevents.models.upload_download import (
    ConflictMode,
    DownloadResourcesPayload,
    ModuleType,
    OptTableType,
    TargetEngineType,
    UploadDataToTablePayload,
    UploadSourceType,
    WriteType,
)

from ..conftest import decode_changed
from ..conftest import decode_sample as decode
from ..conftest import load_sample as sample

EVENTS = Path(__file__).parents[2] / "events"
SAMPLES = [
    "ResourcesDownload/download-resources.json",
    "ResourcesDownload/download-resources-execute.json",
    "ResourcesUpload/upload-data-to-table.json",
]
UPLOAD = "ResourcesUpload/upload-data-to-table.json"


@pytest.mark.parametrize("rel", SAMPLES)
def test_given_a_sample_when_decoded_then_tenant_level_extension_fully_modelled(rel: str) -> None:
    doc = sample(rel)
    event = decode(rel)
    assert event.spec is not None and event.spec.type == doc["type"] and event.is_extension
    assert event.bus == "default"
    assert event.payload.model_extra == {}
    assert set(doc["data"]) <= set(event.payload.to_wire())


def test_given_download_generation_when_decoded_then_string_numbers_are_typed() -> None:
    payload = decode("ResourcesDownload/download-resources.json").payload
    assert type(payload) is DownloadResourcesPayload
    assert payload.module_type is ModuleType.SQLX_QUERY
    assert payload.data_row_size == 123456  # "123456" on the wire
    assert payload.query_dw_project_id == "42" and payload.workspace_id == 42
    assert payload.file_size == 10241024 and payload.datasource_id == "1111"
    assert payload.sql_text is not None and payload.sql_text.startswith("select")
    assert payload.ip is None


def test_given_file_download_when_decoded_then_ip_and_original_account_are_there() -> None:
    event = decode("ResourcesDownload/download-resources-execute.json")
    payload = event.payload
    assert isinstance(payload, DownloadResourcesPayload)
    assert payload.event_code == "download-resources-execute" and payload.ip == "203.0.113.24"
    assert event.attributes["aliyunoriginalaccountid"] == "1234567890123456"  # envelope, not payload


def test_given_upload_when_decoded_then_every_coded_field_is_an_enum() -> None:
    payload = decode(UPLOAD).payload
    assert isinstance(payload, UploadDataToTablePayload)
    assert payload.upload_source_type is UploadSourceType.LOCAL
    assert payload.opt_table_type is OptTableType.CREATE
    assert payload.target_engine_type is TargetEngineType.MAXCOMPUTE
    assert payload.write_type is WriteType.OVERWRITE
    assert payload.conflict_mode is ConflictMode.IGNORE
    assert payload.table_guid == "odps.dw_sales.ods_customer_upload" and payload.file_size == 123456


@pytest.mark.parametrize(
    ("wire", "member"),
    [
        ("MAXCOMPUTE", TargetEngineType.MAXCOMPUTE),
        ("MaxCompute", TargetEngineType.MAXCOMPUTE),
        ("EMR Hive", TargetEngineType.EMR_HIVE),
        ("emr_hive", TargetEngineType.EMR_HIVE),
        ("Hologres", TargetEngineType.HOLOGRES),
    ],
)
def test_given_documented_and_sample_spellings_of_engine_when_decoded_then_same_member(
    wire: str, member: Any
) -> None:
    # The table says MaxCompute / EMR Hive / Hologres, the sample sends MAXCOMPUTE: both must work
    payload = decode_changed(UPLOAD, targetEngineType=wire).payload
    assert isinstance(payload, UploadDataToTablePayload)
    assert payload.target_engine_type is member


@pytest.mark.parametrize(
    ("field", "attr", "wire"),
    [
        ("targetEngineType", "target_engine_type", "StarRocks"),
        ("uploadSourceType", "upload_source_type", "FTP"),
        ("conflictMode", "conflict_mode", "MERGE"),
        ("writeType", "write_type", "UPSERT"),
    ],
)
def test_given_unknown_enum_value_when_decoded_then_kept_as_text(field: str, attr: str, wire: Any) -> None:
    payload = decode_changed(UPLOAD, **{field: wire}).payload
    assert getattr(payload, attr) == wire
    assert payload.to_wire()[field] == wire


def test_given_unknown_module_type_when_decoded_then_kept_as_text() -> None:
    payload = decode_changed("ResourcesDownload/download-resources.json", moduleType="notebook_query").payload
    assert isinstance(payload, DownloadResourcesPayload) and payload.module_type == "notebook_query"


def test_given_ids_as_numbers_where_docs_say_string_when_decoded_then_strings() -> None:
    payload = decode_changed(
        UPLOAD, datasourceId=1111, queryDwProjectId=42, operatorUid=207947397706614299
    ).payload
    assert isinstance(payload, UploadDataToTablePayload)
    assert (payload.datasource_id, payload.query_dw_project_id) == ("1111", "42")
    assert payload.operator_uid == "207947397706614299"


def test_given_fc_direct_upload_message_when_decoded_then_same_payload_model() -> None:
    # GIVEN the documented Function Compute message: DataWorks invokes the function itself
    message = {
        "blockBusiness": True,
        "eventCategoryType": "resources-download",
        "eventType": "upload-data-to-table",
        "extensionBizId": "job_66031187070",
        "messageBody": sample(UPLOAD)["data"],
        "messageId": "52d44ee7-b51f-4d4d-afeb-3c1f0d9a6e55",
    }
    event = dwevents.decode_one(json.dumps(message).encode())
    assert event.delivery == "fc-direct" and event.block_business is True
    assert isinstance(event.payload, UploadDataToTablePayload)
    assert event.payload.target_engine_type is TargetEngineType.MAXCOMPUTE


@pytest.mark.parametrize("rel", SAMPLES)
def test_given_no_event_code_when_decoded_then_type_decides(rel: str) -> None:
    event = decode_changed(rel, drop=("eventCode",))
    assert event.event_code == sample(rel)["data"]["eventCode"]
    assert event.spec is not None and isinstance(event.payload, event.spec.model)


def test_given_unknown_field_when_decoded_then_kept_and_dumped() -> None:
    payload = decode_changed("ResourcesDownload/download-resources.json", columnCount=12).payload
    assert payload.model_extra == {"columnCount": 12} and payload.to_wire()["columnCount"] == 12


@pytest.mark.parametrize(
    ("rel", "field", "value", "message"),
    [
        (
            "ResourcesDownload/download-resources.json",
            "dataRowSize",
            "lots",
            'data.dataRowSize: expected an integer, got "lots"',
        ),
        (UPLOAD, "fileSize", "1MB", 'data.fileSize: expected an integer, got "1MB"'),
        (UPLOAD, "writeType", ["APPEND"], 'data.writeType: expected a string, got ["APPEND"]'),
    ],
)
def test_given_wrong_type_when_decoded_then_decode_error_names_the_path(
    rel: str, field: str, value: Any, message: str
) -> None:
    with pytest.raises(dwevents.DecodeError) as info:
        decode_changed(rel, **{field: value})
    assert str(info.value) == message
