"""Data Integration payloads: start-diJob (V1 / V2 variants) and batch-start-diJob."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

import dwevents
from dwevents.models.base import SHANGHAI
from dwevents.models.dataintegration import (
    BatchStartDiJobPayload,
    StartDiJobPayload,
    StartDiJobV1,
    StartDiJobV2,
    TableMapping,
)

from ..conftest import decode_changed
from ..conftest import decode_sample as decode
from ..conftest import load_sample as sample

EVENTS = Path(__file__).parents[2] / "events"
SAMPLES = [
    "NodeChange/start-diJob.json",
    "NodeChange/start-diJob.v2.json",
    "NodeChange/start-diJob.v2-large.json",
    "NodeChange/start-diJob.v2-regex.json",
    "NodeChange/batch-start-diJob.json",
]


@pytest.mark.parametrize("rel", SAMPLES)
def test_given_a_sample_when_decoded_then_blocking_and_fully_modelled(rel: str) -> None:
    doc = sample(rel)
    event = decode(rel)
    assert event.spec is not None and event.spec.type == doc["type"] and event.is_extension
    assert event.payload.model_extra == {}
    assert getattr(event.payload, "block_business", None) is True
    assert set(doc["data"]) <= set(event.payload.to_wire())


# -- variant choice ------------------------------------------------------------------------------


def test_given_v1_message_when_decoded_then_v1_with_id_and_project() -> None:
    payload = decode("NodeChange/start-diJob.json").payload
    assert isinstance(payload, StartDiJobV1) and payload.variant == "v1"
    assert payload.id == 5280 and payload.job_id == 5280
    assert payload.workspace_id == 42 and payload.project_id == 42
    assert payload.table_mapping is not None and len(payload.table_mapping) == 4
    first = payload.table_mapping[0]
    assert isinstance(first, TableMapping)
    assert (first.src_datasource_name, first.src_table, first.dst_table) == (
        "mysql_orders_prod",
        "orders_116",
        "ods_orders_116",
    )
    assert not first.is_pattern


def test_given_v2_message_when_decoded_then_v2_with_job_id_and_app_id_only() -> None:
    payload = decode("NodeChange/start-diJob.v2.json").payload
    assert isinstance(payload, StartDiJobV2) and payload.variant == "v2"
    assert payload.job_id == 5777 and payload.project_id is None and payload.workspace_id == 42
    assert payload.force_run is False and payload.start_as_v2 is False
    assert payload.setting is not None
    assert payload.setting.last_start_position == datetime(2024, 9, 11, 12, 0, tzinfo=SHANGHAI)


def test_given_v2_with_more_than_500_tables_when_decoded_then_no_mapping_and_zoned_start() -> None:
    payload = decode("NodeChange/start-diJob.v2-large.json").payload
    assert isinstance(payload, StartDiJobV2)
    assert payload.show_table_mapping is False and payload.table_mapping is None
    assert payload.setting is not None and payload.setting.time_zone == "Asia/Shanghai"
    start = payload.setting.start_date_time
    assert start == datetime(2024, 9, 10, 9, 0, tzinfo=timezone.utc)
    assert start is not None and start.utcoffset() == timedelta(hours=8)


def test_given_regex_mappings_when_decoded_then_they_are_flagged_as_patterns() -> None:
    payload = decode("NodeChange/start-diJob.v2-regex.json").payload
    assert isinstance(payload, StartDiJobV2)
    assert payload.table_mapping and all(m.is_pattern for m in payload.table_mapping)
    assert payload.table_mapping[0].src_table == "test.*"


@pytest.mark.parametrize(
    ("data", "variant"),
    [
        ({"id": 1}, StartDiJobV1),
        ({"jobId": 2}, StartDiJobV2),
        ({"id": 1, "jobId": 2}, StartDiJobV2),
        ({"eventCode": "start-diJob"}, StartDiJobV2),
        ({"id": "7", "unknown": True}, StartDiJobV1),
    ],
)
def test_given_job_id_keys_when_validated_then_discriminator_picks_variant(
    data: dict[str, Any], variant: type
) -> None:
    # extra="allow" would let any variant accept anything: the job-id key decides, not smart-union luck
    assert type(TypeAdapter(StartDiJobPayload).validate_python(data)) is variant


def test_given_both_keys_when_decoded_then_v2_keeps_the_stray_id_as_extra() -> None:
    payload = decode_changed("NodeChange/start-diJob.v2.json", id=99).payload
    assert isinstance(payload, StartDiJobV2) and payload.job_id == 5777
    assert payload.model_extra == {"id": 99} and payload.to_wire()["id"] == 99


# -- times ---------------------------------------------------------------------------------------


def test_given_utc_time_zone_when_decoded_then_start_is_utc_wall_clock() -> None:
    setting = {"startDateTime": "2024-09-10 17:00:00", "timeZone": "UTC"}
    payload = decode_changed("NodeChange/start-diJob.v2.json", setting=setting).payload
    assert isinstance(payload, StartDiJobV2) and payload.setting is not None
    assert payload.setting.start_date_time == datetime(2024, 9, 10, 17, 0, tzinfo=timezone.utc)


def test_given_foreign_time_zone_when_decoded_then_start_uses_it() -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        zoneinfo.ZoneInfo("Europe/Berlin")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no tz database on this machine")
    setting = {"startDateTime": "2024-09-10 17:00:00", "timeZone": "Europe/Berlin"}
    payload = decode_changed("NodeChange/start-diJob.v2.json", setting=setting).payload
    assert isinstance(payload, StartDiJobV2) and payload.setting is not None
    start = payload.setting.start_date_time
    assert start is not None and start.utcoffset() == timedelta(hours=2)  # CEST


def test_given_unknown_time_zone_when_decoded_then_shanghai_default_is_kept() -> None:
    setting = {"startDateTime": "2024-09-10 17:00:00", "timeZone": "Mars/Olympus_Mons"}
    payload = decode_changed("NodeChange/start-diJob.v2.json", setting=setting).payload
    assert isinstance(payload, StartDiJobV2) and payload.setting is not None
    assert payload.setting.start_date_time == datetime(2024, 9, 10, 17, 0, tzinfo=SHANGHAI)


# -- batch ---------------------------------------------------------------------------------------


def test_given_batch_start_when_decoded_then_names_ids_and_mappings_are_typed() -> None:
    event = decode("NodeChange/batch-start-diJob.json")
    payload = event.payload
    assert isinstance(payload, BatchStartDiJobPayload)
    assert payload.extension_biz_name == [
        "sync_mysql_to_holo_20240911_170801",
        "sync_mysql_to_odps_20240726_192307",
    ]
    assert payload.job_ids == [5777, 5679] and payload.env == "prod"
    assert payload.table_mappings is not None
    assert [group.id for group in payload.table_mappings] == [5777, 5679]
    second = payload.table_mappings[1].table_mapping
    assert second is not None and second[3].src_table == "orders_135"
    assert payload.setting is not None
    assert payload.setting.start_date_time == datetime(2024, 9, 12, 14, 0, tzinfo=SHANGHAI)
    assert payload.need_error_message is False and payload.error_message_only_failed_file_ids is False


def test_given_batch_ids_as_strings_when_decoded_then_coerced() -> None:
    payload = decode_changed(
        "NodeChange/batch-start-diJob.json", jobIds=["5777", "5679"], projectId="42"
    ).payload
    assert isinstance(payload, BatchStartDiJobPayload)
    assert payload.job_ids == [5777, 5679] and payload.project_id == 42


# -- deviations ----------------------------------------------------------------------------------


def test_given_numbers_as_strings_when_decoded_then_coerced() -> None:
    payload = decode_changed(
        "NodeChange/start-diJob.v2.json", jobId="5777", appId="42", showTableMapping="true"
    ).payload
    assert isinstance(payload, StartDiJobV2)
    assert (payload.job_id, payload.app_id, payload.show_table_mapping) == (5777, 42, True)


def test_given_no_event_code_when_decoded_then_type_decides() -> None:
    event = decode_changed("NodeChange/start-diJob.json", drop=("eventCode",))
    assert event.event_code == "start-diJob" and isinstance(event.payload, StartDiJobV1)


def test_given_unknown_fields_when_decoded_then_kept_at_every_level() -> None:
    doc = sample("NodeChange/start-diJob.v2.json")
    doc["data"]["resourceGroup"] = "di_group_1"
    doc["data"]["tableMapping"][0]["partition"] = "ds=${bizdate}"
    payload = dwevents.decode_one(json.dumps(doc)).payload
    assert isinstance(payload, StartDiJobV2) and payload.table_mapping
    assert payload.model_extra == {"resourceGroup": "di_group_1"}
    wire = payload.to_wire()
    assert wire["resourceGroup"] == "di_group_1"
    assert wire["tableMapping"][0]["partition"] == "ds=${bizdate}"


@pytest.mark.parametrize(
    ("rel", "change", "message"),
    [
        ("NodeChange/start-diJob.v2.json", {"jobId": "abc"}, 'data.jobId: expected an integer, got "abc"'),
        ("NodeChange/start-diJob.json", {"id": "abc"}, 'data.id: expected an integer, got "abc"'),
        (
            "NodeChange/start-diJob.json",
            {"projectId": "abc"},
            'data.projectId: expected an integer, got "abc"',
        ),
        (
            "NodeChange/start-diJob.v2.json",
            {"tableMapping": "t1"},
            'data.tableMapping: expected an array, got "t1"',
        ),
        (
            "NodeChange/batch-start-diJob.json",
            {"jobIds": [1, "x"]},
            'data.jobIds[1]: expected an integer, got "x"',
        ),
    ],
)
def test_given_wrong_type_when_decoded_then_error_names_the_wire_path(
    rel: str, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(dwevents.DecodeError) as info:
        decode_changed(rel, **change)
    assert str(info.value) == message
