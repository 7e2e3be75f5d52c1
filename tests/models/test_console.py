"""Console payloads: workspace deletion pre-event and post-event (tenant level, default bus)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import dwevents
from dwevents.models.console import DeleteProjectPayload, ProjectDeletedPayload

from ..conftest import decode_changed
from ..conftest import decode_sample as decode
from ..conftest import load_sample as sample

EVENTS = Path(__file__).parents[2] / "events"
SAMPLES = ["ProjectChange/delete-project.json", "ProjectChange/project-deleted.json"]


@pytest.mark.parametrize("rel", SAMPLES)
def test_given_a_sample_when_decoded_then_tenant_level_and_fully_modelled(rel: str) -> None:
    doc = sample(rel)
    event = decode(rel)
    assert event.spec is not None and event.spec.type == doc["type"]
    assert event.spec.level is dwevents.Level.TENANT and event.bus == "default"
    assert event.payload.model_extra == {}
    assert set(doc["data"]) <= set(event.payload.to_wire())


def test_given_delete_project_when_decoded_then_blocking_pre_event_with_workspace() -> None:
    event = decode("ProjectChange/delete-project.json")
    payload = event.payload
    assert type(payload) is DeleteProjectPayload and event.is_extension
    assert (payload.project_id, payload.tenant_id, payload.operator) == (
        42,
        28378410656,
        "207947397706614299",
    )
    assert payload.event_code == "delete-project"


def test_given_project_deleted_when_decoded_then_name_and_aware_timestamp() -> None:
    event = decode("ProjectChange/project-deleted.json")
    payload = event.payload
    assert type(payload) is ProjectDeletedPayload and not event.is_extension
    assert payload.project_name == "dw_sales" and payload.block_business is False
    assert payload.timestamp == datetime(2024, 12, 11, 1, 49, 16, 896000, tzinfo=timezone.utc)


def test_given_ids_as_strings_and_operator_as_number_when_decoded_then_coerced() -> None:
    payload = decode_changed(
        "ProjectChange/delete-project.json",
        projectId="42",
        tenantId="28378410656",
        operator=207947397706614299,
    ).payload
    assert isinstance(payload, DeleteProjectPayload)
    assert (payload.project_id, payload.tenant_id, payload.operator) == (
        42,
        28378410656,
        "207947397706614299",
    )


def test_given_timestamp_as_string_when_decoded_then_still_a_datetime() -> None:
    payload = decode_changed("ProjectChange/project-deleted.json", timestamp="1733881756896").payload
    assert isinstance(payload, ProjectDeletedPayload)
    assert payload.timestamp == datetime(2024, 12, 11, 1, 49, 16, 896000, tzinfo=timezone.utc)


@pytest.mark.parametrize("rel", SAMPLES)
def test_given_no_event_code_when_decoded_then_type_decides(rel: str) -> None:
    event = decode_changed(rel, drop=("eventCode",))
    assert event.event_code == sample(rel)["data"]["eventCode"]
    assert isinstance(event.payload, (DeleteProjectPayload, ProjectDeletedPayload))
    assert event.payload.event_code is None


def test_given_unknown_field_when_decoded_then_kept_and_dumped() -> None:
    payload = decode_changed("ProjectChange/project-deleted.json", region="cn-hangzhou").payload
    assert payload.model_extra == {"region": "cn-hangzhou"}
    assert payload.to_wire()["region"] == "cn-hangzhou"


def test_given_project_id_not_a_number_when_decoded_then_decode_error_names_it() -> None:
    with pytest.raises(dwevents.DecodeError) as info:
        decode_changed("ProjectChange/delete-project.json", projectId="abc")
    assert str(info.value) == 'data.projectId: expected an integer, got "abc"'
