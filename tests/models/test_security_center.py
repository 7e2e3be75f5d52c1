"""Security Center: approval requests (MaxCompute, DataService) and table-permission pre-events."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import dwevents
from dwevents.models.base import SHANGHAI
from dwevents.models.security_center import (
    ApprovalBeforeCreatePayload,
    ApprovalChangePayload,
    AssignmentCategory,
    DataServiceGrant,
    DataServiceResourceType,
    DeadlineType,
    EnvCode,
    GranteeType,
    MaxComputeGrant,
    OtherGrant,
)

from ..conftest import decode_sample as decode
from ..conftest import load_sample as sample

EVENTS = Path(__file__).parents[2] / "events"
CREATED = "ApprovalChange/approval-change-created.json"
FINISHED = "ApprovalChange/approval-change-finished.json"
DATASERVICE = "ApprovalChange/approval-change-created.dataservice.json"
BEFORE = "ApprovalChange/approval-change-before-create.json"
SAMPLES = [CREATED, FINISHED, DATASERVICE, BEFORE]


def decode_doc(doc: dict[str, Any]) -> dwevents.DataWorksEvent:
    return dwevents.decode_one(json.dumps(doc).encode())


def approval(rel: str) -> ApprovalChangePayload:
    payload = decode(rel).payload
    assert isinstance(payload, ApprovalChangePayload)
    return payload


@pytest.mark.parametrize("rel", SAMPLES)
def test_given_a_sample_when_decoded_then_workspace_level_and_fully_modelled(rel: str) -> None:
    doc = sample(rel)
    event = decode(rel)
    assert event.spec is not None and event.spec.type == doc["type"]
    assert event.bus == "dataworks-openevent"
    assert event.payload.model_extra == {}
    wire = event.payload.to_wire()
    assert set(doc["data"]) <= set(wire)
    if "process" in doc["data"]:
        content = doc["data"]["process"]["approvalContent"]
        assert set(content) <= set(wire["process"]["approvalContent"])
        assert set(content["arrayData"][0]) <= set(wire["process"]["approvalContent"]["arrayData"][0])


# -- approval created / finished -----------------------------------------------------------------


def test_given_maxcompute_request_when_decoded_then_process_content_and_grants_are_typed() -> None:
    event = decode(CREATED)
    payload = approval(CREATED)
    assert event.is_extension and payload.event_code == "approval-change-created"
    assert payload.event_type == "approval"  # a kind, not the event code
    assert (payload.app_id, payload.status, payload.task_id) == (42, "Submit", "528535870015424")
    assert payload.create_time == datetime(2024, 7, 18, 6, 26, 3, tzinfo=timezone.utc)
    process = payload.process
    assert process is not None and process.assignment_category is AssignmentCategory.MAX_COMPUTE
    assert process.status == "Pending" and process.title == "MaxComputeTable"
    content = process.approval_content
    assert content is not None
    # applyPeriod is an epoch-ms string: the permission's expiry, midnight Shanghai 2065-01-01
    assert content.apply_period == datetime(2065, 1, 1, tzinfo=SHANGHAI)
    assert content.workspace_id == 42 and content.project_env == "1"
    assert content.grantee_accounts is not None
    assert [g.grantee_type_sub for g in content.grantee_accounts] == [
        GranteeType.ACCOUNT_USER,
        GranteeType.ACCOUNT_OTHER_USER,
    ]
    grant = payload.grants[0]
    assert isinstance(grant, MaxComputeGrant)
    assert grant.odps_table == "ods_orders_di" and grant.actions == ["Select", "Describe"]
    assert grant.workspace_id == "42" and grant.project_id == 42  # string here, number in approvalContent


def test_given_finished_sample_without_top_level_ids_when_decoded_then_those_are_none() -> None:
    event = decode(FINISHED)
    payload = approval(FINISHED)
    assert not event.is_extension
    assert payload.process_id is None and payload.status is None and payload.task_id is None
    assert payload.comments == "Approved for the Q3 report"
    assert payload.process is not None and payload.process.process_id == "528535901276192"
    grant = payload.grants[0]
    assert isinstance(grant, MaxComputeGrant) and grant.object_name_cn == "客户维表" and grant.tenant_id == 0


def test_given_dataservice_request_when_decoded_then_grants_are_dataservice() -> None:
    payload = approval(DATASERVICE)
    assert payload.process is not None
    assert payload.process.assignment_category is AssignmentCategory.DATA_SERVICE
    grant = payload.grants[0]
    assert isinstance(grant, DataServiceGrant)
    assert grant.type is DataServiceResourceType.API and grant.resource_version == 1
    assert grant.ds_deploy_id == "90871" and grant.workspace_id == "42"


def test_given_array_data_of_unknown_kind_when_decoded_then_kept_as_other_grant() -> None:
    doc = sample(CREATED)
    doc["data"]["process"]["approvalContent"]["arrayData"].append({"modelId": "m-1", "modelName": "churn"})
    payload = decode_doc(doc).payload
    assert isinstance(payload, ApprovalChangePayload)
    other = payload.grants[1]
    assert isinstance(other, OtherGrant) and other.model_extra == {"modelId": "m-1", "modelName": "churn"}
    assert payload.to_wire()["process"]["approvalContent"]["arrayData"][1] == {
        "modelId": "m-1",
        "modelName": "churn",
    }


def test_given_unknown_category_and_grantee_subtype_when_decoded_then_raw_values_are_kept() -> None:
    doc = sample(CREATED)
    doc["data"]["process"]["assignmentCategory"] = "Hologres"
    doc["data"]["process"]["approvalContent"]["granteeAccounts"][0]["granteeTypeSub"] = 107
    payload = decode_doc(doc).payload
    assert isinstance(payload, ApprovalChangePayload) and payload.process is not None
    assert payload.process.assignment_category == "Hologres"
    content = payload.process.approval_content
    assert content is not None and content.grantee_accounts is not None
    assert content.grantee_accounts[0].grantee_type_sub == 107


def test_given_numbers_as_strings_when_decoded_then_coerced_deep_in_the_tree() -> None:
    doc = sample(CREATED)
    doc["data"]["appId"] = "42"
    doc["data"]["createTime"] = "1721283963000"
    content = doc["data"]["process"]["approvalContent"]
    content["workspaceId"] = "42"
    content["granteeAccounts"][0]["granteeTypeSub"] = "103"
    content["arrayData"][0]["projectId"] = "42"
    payload = decode_doc(doc).payload
    assert isinstance(payload, ApprovalChangePayload) and payload.process and payload.process.approval_content
    assert payload.app_id == 42 and payload.create_time == datetime(
        2024, 7, 18, 6, 26, 3, tzinfo=timezone.utc
    )
    assert payload.process.approval_content.workspace_id == 42
    accounts = payload.process.approval_content.grantee_accounts
    assert accounts is not None and accounts[0].grantee_type_sub is GranteeType.ACCOUNT_USER
    grant = payload.grants[0]
    assert isinstance(grant, MaxComputeGrant) and grant.project_id == 42


def test_given_wrong_type_deep_in_the_tree_when_decoded_then_error_names_the_wire_path() -> None:
    doc = sample(CREATED)
    doc["data"]["process"]["approvalContent"]["granteeAccounts"][1]["granteeTypeSub"] = "admin"
    with pytest.raises(dwevents.DecodeError) as info:
        decode_doc(doc)
    assert str(info.value) == (
        'data.process.approvalContent.granteeAccounts[1].granteeTypeSub: expected an integer, got "admin"'
    )


def test_given_wrong_type_in_a_grant_when_decoded_then_error_has_no_variant_tag() -> None:
    doc = sample(CREATED)
    doc["data"]["process"]["approvalContent"]["arrayData"][0]["projectId"] = "ws-42"
    with pytest.raises(dwevents.DecodeError) as info:
        decode_doc(doc)
    assert str(info.value) == (
        'data.process.approvalContent.arrayData[0].projectId: expected an integer, got "ws-42"'
    )


@pytest.mark.parametrize("rel", [CREATED, FINISHED])
def test_given_no_event_code_when_decoded_then_type_decides(rel: str) -> None:
    doc = sample(rel)
    del doc["data"]["eventCode"]
    event = decode_doc(doc)
    assert event.event_code == sample(rel)["data"]["eventCode"]
    assert isinstance(event.payload, ApprovalChangePayload)


# -- table permission before create --------------------------------------------------------------


def test_given_before_create_without_event_code_when_decoded_then_order_is_typed() -> None:
    event = decode(BEFORE)
    assert "eventCode" not in event.data and event.event_code == "approval-change-before-create"
    payload = event.payload
    assert isinstance(payload, ApprovalBeforeCreatePayload) and event.is_extension
    assert payload.event_type == "approval-create-before" and payload.project_id == 42
    order = payload.order
    assert order is not None and order.deadline_type is DeadlineType.MONTH and order.deadline_date == "1"
    assert (
        order.grantee_object_list is not None and order.grantee_object_list[0].grantee_id == "123978231448872"
    )
    meta = order.project_meta
    assert meta is not None and meta.env_code is EnvCode.PROD and meta.label_security is False
    assert meta.object_meta_list is not None
    assert meta.object_meta_list[0].name == "dim_customer"
    assert meta.object_meta_list[0].action == ["Select", "Describe"]


def test_given_before_create_with_unknown_deadline_unit_when_decoded_then_kept() -> None:
    doc = sample(BEFORE)
    doc["data"]["order"]["deadlineType"] = "year"
    doc["data"]["order"]["deadlineDate"] = 1
    payload = decode_doc(doc).payload
    assert isinstance(payload, ApprovalBeforeCreatePayload) and payload.order is not None
    assert payload.order.deadline_type == "year" and payload.order.deadline_date == "1"


def test_given_before_create_with_extra_fields_when_decoded_then_kept_and_dumped() -> None:
    doc = sample(BEFORE)
    doc["data"]["order"]["projectMeta"]["schemaName"] = "default"
    payload = decode_doc(doc).payload
    assert isinstance(payload, ApprovalBeforeCreatePayload)
    assert payload.to_wire()["order"]["projectMeta"]["schemaName"] == "default"
