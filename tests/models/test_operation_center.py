"""Operation Center payloads decoded from the sample events, plus the deviations real messages show."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import dwevents
from dwevents.catalogue import CATALOGUE, EventSpec
from dwevents.models.base import SHANGHAI, DataWorksPayload
from dwevents.models.operation_center import (
    AlarmType,
    BackfillDataPayload,
    BackfillOrder,
    BaselineAlert,
    BaselineStatus,
    DagStatus,
    DagStatusChangesPayload,
    DagType,
    DeleteTaskInstanceDependenciesPayload,
    ExpiredTaskInstancesDeletedPayload,
    InstanceChangePayload,
    InstanceOperationPrePayload,
    InstanceStatus,
    InstanceStatusChangesPayload,
    NodeOperationPayload,
    OtherAlert,
    ProjectEnv,
    RemindType,
    RemindUnit,
    ResourceGroupAlert,
    ResourceGroupType,
    TaskRuleAlert,
    TaskType,
    TopicAlert,
)

from ..conftest import decode_changed
from ..conftest import decode_sample as decode
from ..conftest import load_sample as sample

EVENTS = Path(__file__).parents[2] / "events"
OC_SPECS = [spec for spec in CATALOGUE if spec.model_ref.startswith("operation_center:")]
VARIANTS = [
    "InstanceStatusChanges/instance-status-changes.success.json",
    "MonitorAlert/workbench-monitor-alert.topic.json",
    "MonitorAlert/workbench-monitor-alert.task-rule.json",
    "MonitorAlert/workbench-monitor-alert.resource-group.json",
]
OWN_SAMPLES = (
    [f"{spec.category}/{spec.event_code}.json" for spec in OC_SPECS]
    + VARIANTS
    + ["NodeChange/node-change-deleted.json"]
)
TENANT = 28378410656


# -- every sample --------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", OC_SPECS, ids=lambda s: s.event_code)
def test_given_an_oc_entry_when_its_sample_is_decoded_then_spec_matches(spec: EventSpec) -> None:
    # GIVEN the sample named after the catalogue entry
    rel = f"{spec.category}/{spec.event_code}.json"
    # WHEN it is decoded from bytes
    event = decode(rel)
    # THEN the catalogue entry, the type and the workspace come through
    assert event.spec is spec
    assert event.type == spec.type
    assert event.event_code == spec.event_code
    assert isinstance(event.payload, DataWorksPayload) and event.payload.tenant_id == TENANT
    assert event.time is not None and event.time.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("rel", OWN_SAMPLES)
def test_given_a_sample_then_it_is_a_complete_cloudevent(rel: str) -> None:
    doc = sample(rel)
    assert doc["source"] == "acs.dataworks"
    assert doc["specversion"] == "1.0"
    assert doc["subject"] == ""
    assert doc["datacontenttype"] == "application/json;charset=utf-8"
    assert doc["aliyunaccountid"] == "1234567890123456"
    assert doc["aliyuneventbusname"] == "dataworks-openevent"
    assert doc["aliyunregionid"] == "cn-hangzhou"
    assert doc["aliyunpublishtime"] and doc["aliyunpublishaddr"]
    assert datetime.fromisoformat(doc["time"]).utcoffset() == timedelta(hours=8)
    assert uuid.UUID(doc["id"]).version == 4
    assert rel.split("/")[0] == doc["type"].split(":")[1]


def test_given_all_samples_then_their_ids_are_unique() -> None:
    ids = [sample(rel)["id"] for rel in OWN_SAMPLES]
    assert len(ids) == len(set(ids))
    # Other samples (batches are arrays, FC-direct messages use messageId) must not reuse ours.
    everywhere: list[Any] = []
    for path in EVENTS.rglob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for item in doc if isinstance(doc, list) else [doc]:
            if isinstance(item, dict):
                everywhere.append(item.get("id", item.get("messageId")))
    assert all(everywhere.count(i) == 1 for i in ids)


def test_given_node_change_deleted_when_decoded_then_it_follows_the_node_delete_fields() -> None:
    pytest.importorskip("dwevents.models.datastudio")
    # GIVEN the node-delete sample, which (like the doc's) has no eventCode
    event = decode("NodeChange/node-change-deleted.json")
    # THEN the type decides, and the node facts are there
    assert event.event_code == "node-change-deleted"
    assert "eventCode" not in event.data
    wire = event.payload.to_wire()
    assert wire["nodeId"] == 700001234 and wire["nodeName"] == "dw_sales_daily" and wire["projectId"] == 42


# -- node pre-events -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["undeploy-node", "freeze-node", "unfreeze-node"])
def test_given_a_node_pre_event_without_event_code_when_decoded_then_the_type_decides(code: str) -> None:
    # GIVEN a node pre-event as documented: no eventCode in data
    event = decode(f"NodeChange/{code}.json")
    payload = event.payload
    # THEN it still maps to its catalogue entry, and the node ids are ints
    assert isinstance(payload, NodeOperationPayload)
    assert payload.event_code is None
    assert event.event_code == code
    assert event.reply_api is not None and event.reply_api.value == "UpdateWorkbenchEventResult"
    assert payload.node_ids and payload.node_ids[0] == 700001234
    assert payload.project_id == 42 and payload.extension_biz_id


def test_given_unfreeze_node_with_folded_type_when_decoded_then_case_insensitive_lookup_finds_it() -> None:
    doc = sample("NodeChange/unfreeze-node.json")
    doc["type"] = "dataworks:NodeChange:UnfreezeNode"  # the irregular spelling is UnFreezeNode
    event = dwevents.decode_one(json.dumps(doc).encode())
    assert isinstance(event.payload, NodeOperationPayload)


def test_given_node_ids_as_comma_text_and_strings_when_decoded_then_ints() -> None:
    event = decode_changed("NodeChange/freeze-node.json", nodeIds="700001234, 700001235", projectId="42")
    payload = event.payload
    assert isinstance(payload, NodeOperationPayload)
    assert payload.node_ids == [700001234, 700001235]
    assert payload.project_id == 42


# -- backfill ------------------------------------------------------------------------------------


def test_given_backfill_when_decoded_then_periods_are_parsed_from_json_text() -> None:
    payload = decode("BackfillDataOperate/backfill-data.json").payload
    assert isinstance(payload, BackfillDataPayload)
    # multipleTimePeriods is JSON *text* on the wire
    periods = payload.periods
    assert [(p.biz_begin_time, p.biz_end_time) for p in periods] == [
        (date(2024, 5, 1), date(2024, 5, 10)),
        (date(2024, 5, 20), date(2024, 5, 31)),
    ]
    assert payload.span_days == 31  # 2024-05-01 .. 2024-05-31 inclusive
    assert payload.covered_days == 22  # 10 + 12 business dates
    assert payload.include_node_ids == [700001234, 700001235]
    assert payload.is_parallel is False and payload.parallel_group == 1
    assert payload.order is BackfillOrder.ASC


def test_given_overlapping_or_single_day_periods_then_covered_days_counts_each_date_once() -> None:
    periods = [
        {"bizBeginTime": "2024-05-01", "bizEndTime": "2024-05-05"},
        {"bizBeginTime": "2024-05-04", "bizEndTime": "2024-05-06"},
        {"bizBeginTime": "2024-05-09"},
    ]
    payload = BackfillDataPayload.model_validate({"multipleTimePeriods": periods})  # already parsed: fine
    assert payload.covered_days == 7
    assert payload.span_days == 9
    assert BackfillDataPayload().span_days is None and BackfillDataPayload().covered_days == 0


def test_given_backfill_with_broken_json_text_when_decoded_then_decode_error_names_the_field() -> None:
    with pytest.raises(dwevents.DecodeError) as info:
        decode_changed("BackfillDataOperate/backfill-data.json", multipleTimePeriods="[{bizBeginTime:")
    assert str(info.value).startswith("data.multipleTimePeriods: expected JSON text")


# -- instance status -----------------------------------------------------------------------------


def test_given_a_failed_instance_when_decoded_then_status_times_and_durations_are_typed() -> None:
    # GIVEN the failed dw_sales_daily instance 7001
    event = decode("InstanceStatusChanges/instance-status-changes.json")
    payload = event.payload
    assert isinstance(payload, InstanceStatusChangesPayload)
    # THEN the codes are enum members
    assert payload.status is InstanceStatus.FAILED and payload.is_final
    assert payload.dag_type is DagType.SCHEDULED
    assert payload.task_type is TaskType.NORMAL
    assert (payload.task_id, payload.node_id, payload.app_id, payload.flow_id) == (7001, 700001234, 42, 1)
    # AND epoch-ms times are aware UTC
    assert payload.finish_time == datetime(2024, 6, 1, 18, 12, 53, tzinfo=timezone.utc)
    assert payload.finish_time.astimezone(SHANGHAI).hour == 2
    # AND the derived durations are what the metrics action reports
    assert payload.time_wait_duration == timedelta(minutes=27, seconds=50)
    assert payload.resource_wait_duration == timedelta(seconds=41)
    assert payload.run_duration == timedelta(minutes=12, seconds=12)


def test_given_a_successful_instance_when_decoded_then_status_is_success() -> None:
    payload = decode("InstanceStatusChanges/instance-status-changes.success.json").payload
    assert isinstance(payload, InstanceStatusChangesPayload)
    assert payload.status is InstanceStatus.SUCCESS
    assert payload.run_duration is not None
    assert timedelta(minutes=5) < payload.run_duration < timedelta(minutes=15)


def test_given_a_waiting_instance_without_finish_time_then_run_duration_is_none() -> None:
    # GIVEN the doc's shape for status 3: no finishTime, no beginRunningTime yet
    event = decode_changed(
        "InstanceStatusChanges/instance-status-changes.json",
        drop=("finishTime", "beginRunningTime"),
        status=3,
    )
    payload = event.payload
    assert isinstance(payload, InstanceStatusChangesPayload)
    assert payload.status is InstanceStatus.WAIT_RESOURCE and not payload.is_final
    assert payload.run_duration is None and payload.resource_wait_duration is None
    assert payload.time_wait_duration == timedelta(minutes=27, seconds=50)


def test_given_a_zero_timestamp_then_it_counts_as_missing() -> None:
    payload = decode_changed("InstanceStatusChanges/instance-status-changes.json", finishTime=0).payload
    assert isinstance(payload, InstanceStatusChangesPayload)
    assert payload.run_duration is None


def test_given_numbers_as_strings_when_decoded_then_they_are_coerced() -> None:
    event = decode_changed(
        "InstanceStatusChanges/instance-status-changes.json",
        status="5",
        taskId="7001",
        dagType="3",
        finishTime="1717265573000",
    )
    payload = event.payload
    assert isinstance(payload, InstanceStatusChangesPayload)
    assert payload.status is InstanceStatus.FAILED and payload.task_id == 7001
    assert payload.dag_type is DagType.BACKFILL
    assert payload.run_duration == timedelta(minutes=12, seconds=12)


def test_given_status_zero_as_in_the_demo_comments_then_it_is_not_run() -> None:
    payload = decode_changed("InstanceStatusChanges/instance-status-changes.json", status=0).payload
    assert isinstance(payload, InstanceStatusChangesPayload)
    assert payload.status is InstanceStatus.NOT_RUN_LEGACY and payload.status.is_not_run
    assert InstanceStatus.NOT_RUN.is_not_run


def test_given_undocumented_codes_when_decoded_then_they_stay_plain_ints() -> None:
    rel = "InstanceStatusChanges/instance-status-changes.json"
    payload = decode_changed(rel, status=42, taskType=9).payload
    assert isinstance(payload, InstanceStatusChangesPayload)
    assert payload.status == 42 and not isinstance(payload.status, InstanceStatus)
    assert payload.task_type == 9
    assert payload.to_wire()["status"] == 42


def test_given_unknown_fields_when_decoded_then_they_are_kept_and_dumped() -> None:
    payload = decode_changed(
        "InstanceStatusChanges/instance-status-changes.json",
        resGroupName="serverless_default",
        cost={"cu": 1.5},
    ).payload
    assert payload.model_extra == {"resGroupName": "serverless_default", "cost": {"cu": 1.5}}
    wire = payload.to_wire()
    assert wire["resGroupName"] == "serverless_default" and wire["cost"] == {"cu": 1.5}
    assert wire["status"] == 5 and wire["beginWaitTimeTime"].startswith("2024-06-01T17:32:10")


def test_given_status_that_is_not_a_number_when_decoded_then_decode_error_names_the_path() -> None:
    with pytest.raises(dwevents.DecodeError) as info:
        decode_changed("InstanceStatusChanges/instance-status-changes.json", status="abc")
    assert str(info.value) == 'data.status: expected an integer, got "abc"'


def test_given_status_as_boolean_when_decoded_then_decode_error() -> None:
    with pytest.raises(dwevents.DecodeError) as info:
        decode_changed("InstanceStatusChanges/instance-status-changes.json", status=True)
    assert str(info.value).startswith("data.status: expected an integer")


def test_given_no_event_code_when_decoded_then_the_type_still_selects_the_model() -> None:
    event = decode_changed("InstanceStatusChanges/instance-status-changes.json", drop=("eventCode",))
    assert isinstance(event.payload, InstanceStatusChangesPayload)
    assert event.event_code == "instance-status-changes"


# -- instance operations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["freeze-instance", "unfreeze-instance", "kill-instance", "rerun-instance", "set-instance-success"],
)
def test_given_an_instance_change_when_decoded_then_env_and_ids_are_typed(code: str) -> None:
    payload = decode(f"InstanceChange/{code}.json").payload
    assert isinstance(payload, InstanceChangePayload)
    assert payload.project_type is ProjectEnv.PROD
    assert payload.task_ids == [7001] and payload.project_id == 42
    assert payload.event_code == code


def test_given_project_type_in_lower_case_then_it_still_maps_and_unknown_text_is_kept() -> None:
    lower = decode_changed("InstanceChange/kill-instance.json", projectType="prod").payload
    other = decode_changed("InstanceChange/kill-instance.json", projectType="PRE").payload
    assert isinstance(lower, InstanceChangePayload) and isinstance(other, InstanceChangePayload)
    assert lower.project_type is ProjectEnv.PROD
    assert other.project_type == "PRE"


@pytest.mark.parametrize(
    "code",
    [
        "pre-freeze-instance",
        "pre-unfreeze-instance",
        "pre-kill-instance",
        "pre-rerun-instance",
        "pre-set-instance-success",
    ],
)
def test_given_an_instance_pre_event_when_decoded_then_it_is_an_extension_event(code: str) -> None:
    event = decode(f"InstanceChange/{code}.json")
    payload = event.payload
    assert isinstance(payload, InstanceOperationPrePayload)
    assert event.is_extension
    assert payload.task_ids == [7001] and payload.extension_biz_name == "dw_sales_daily"
    assert payload.extension_biz_id


def test_given_operator_as_number_and_tenant_as_string_then_both_are_coerced() -> None:
    # The table says tenantId String / operator Long; the sample has the opposite.
    payload = decode_changed(
        "InstanceChange/pre-kill-instance.json", operator=207712345678901234, tenantId="28378410656"
    ).payload
    assert isinstance(payload, InstanceOperationPrePayload)
    assert payload.operator == "207712345678901234"
    assert payload.tenant_id == TENANT


def test_given_expired_instances_deleted_when_decoded_then_ids_and_time_are_typed() -> None:
    payload = decode("InstanceChange/expired-task-instances-deleted.json").payload
    assert isinstance(payload, ExpiredTaskInstancesDeletedPayload)
    assert payload.deleted_task_instance_ids == [5101, 5102, 5103]
    assert payload.operation_time is not None and payload.operation_time.tzinfo is not None
    assert payload.block_business is False and payload.app_id == 42


def test_given_dependencies_deleted_when_decoded_then_upstream_ids_are_ints() -> None:
    payload = decode("InstanceChange/delete-task-instance-dependencies.json").payload
    assert isinstance(payload, DeleteTaskInstanceDependenciesPayload)
    assert payload.task_instance_id == 7001
    assert payload.upstream_task_instance_ids == [6990, 6991]
    assert payload.operation_time == datetime(2024, 6, 2, 11, 3, 26, tzinfo=SHANGHAI)


# -- workflows -----------------------------------------------------------------------------------


def test_given_a_failed_backfill_workflow_when_decoded_then_dates_are_shanghai_and_codes_typed() -> None:
    payload = decode("DagStatusChanges/dag-status-changes.json").payload
    assert isinstance(payload, DagStatusChangesPayload)
    assert payload.status is DagStatus.FAILED
    assert payload.dag_type is DagType.BACKFILL
    assert payload.project_env is ProjectEnv.PROD
    assert payload.biz_date == date(2024, 5, 1)
    # 'yyyy-MM-dd HH:mm:ss' is Shanghai wall-clock time
    assert payload.create_time == datetime(2024, 6, 2, 10, 15, 3, tzinfo=SHANGHAI)
    assert payload.create_time is not None and payload.create_time.utcoffset() == timedelta(hours=8)


# -- monitoring alerts ---------------------------------------------------------------------------


def test_given_a_baseline_alert_when_decoded_then_the_baseline_variant_is_chosen() -> None:
    event = decode("MonitorAlert/workbench-monitor-alert.json")
    payload = event.payload
    assert isinstance(payload, BaselineAlert)
    assert payload.alarm_type is AlarmType.SLA_ALERT
    assert payload.baseline_status is BaselineStatus.WARNING
    assert payload.biz_date == date(2024, 6, 1)  # epoch ms of Shanghai midnight
    assert payload.in_group_id == 1 and payload.task_id == 7001
    assert payload.to_wire()["bizDate"] == "2024-06-01"


def test_given_a_topic_alert_without_event_code_when_decoded_then_the_topic_variant_is_chosen() -> None:
    event = decode("MonitorAlert/workbench-monitor-alert.topic.json")
    payload = event.payload
    assert isinstance(payload, TopicAlert)
    assert payload.event_code is None and event.event_code == "workbench-monitor-alert"
    assert payload.topic_id == 20001 and payload.task_status is InstanceStatus.FAILED


def test_given_a_topic_alert_with_textual_task_status_then_the_text_is_kept() -> None:
    payload = decode_changed("MonitorAlert/workbench-monitor-alert.topic.json", taskStatus="FAILURE").payload
    assert isinstance(payload, TopicAlert)
    assert payload.task_status == "FAILURE"


def test_given_a_task_rule_alert_when_decoded_then_comma_lists_become_int_lists() -> None:
    payload = decode("MonitorAlert/workbench-monitor-alert.task-rule.json").payload
    assert isinstance(payload, TaskRuleAlert)
    assert payload.node_ids == [700001234, 700001235]
    assert payload.task_ids == [7001, 7003]
    assert payload.remind_type is RemindType.ERROR and payload.remind_unit is RemindUnit.NODE


def test_given_a_resource_group_alert_when_decoded_then_the_resource_group_variant_is_chosen() -> None:
    payload = decode("MonitorAlert/workbench-monitor-alert.resource-group.json").payload
    assert isinstance(payload, ResourceGroupAlert)
    assert payload.remind_type is RemindType.RES_GROUP_THRESHOLD and payload.remind_type.is_resource_group
    assert payload.resource_group_type is ResourceGroupType.GATEWAY
    assert payload.remind_unit is RemindUnit.GATEWAY_RES


def test_given_the_docs_truncated_remind_type_then_it_decodes_and_dumps_as_sent() -> None:
    # GIVEN a resource-group alert without resource group fields, remindType as the doc spells it
    event = decode_changed(
        "MonitorAlert/workbench-monitor-alert.resource-group.json",
        drop=("resourceGroupIdentifier", "resourceGroupType", "resourceGroupName"),
        remindType="RES_GROUP_THRESHOL",
    )
    payload = event.payload
    # THEN the remindType prefix alone picks the variant, and the value is not rewritten
    assert isinstance(payload, ResourceGroupAlert)
    assert payload.remind_type is RemindType.RES_GROUP_THRESHOL
    assert payload.to_wire()["remindType"] == "RES_GROUP_THRESHOL"


def test_given_remind_alert_with_group_fields_but_node_remind_type_then_group_fields_win() -> None:
    payload = decode_changed(
        "MonitorAlert/workbench-monitor-alert.resource-group.json",
        remindType="RES_GROUP_WAIT_AMOUNT",
        remindUnit="DI_RES",
    ).payload
    assert isinstance(payload, ResourceGroupAlert)
    assert payload.remind_type is RemindType.RES_GROUP_WAIT_AMOUNT
    assert payload.remind_unit is RemindUnit.DI_RES


def test_given_an_alert_without_alarm_type_then_the_fields_present_pick_the_variant() -> None:
    baseline = decode_changed("MonitorAlert/workbench-monitor-alert.json", drop=("alarmType",)).payload
    rule = decode_changed("MonitorAlert/workbench-monitor-alert.task-rule.json", drop=("alarmType",)).payload
    assert isinstance(baseline, BaselineAlert)
    assert isinstance(rule, TaskRuleAlert)


def test_given_an_undocumented_alarm_type_then_it_decodes_to_the_generic_alert() -> None:
    rel = "MonitorAlert/workbench-monitor-alert.topic.json"
    payload = decode_changed(rel, alarmType="NODE_CYCLE_ALERT").payload
    assert isinstance(payload, OtherAlert)
    assert payload.alarm_type == "NODE_CYCLE_ALERT"
    assert payload.to_wire()["topicId"] == 20001


def test_given_a_bad_value_inside_an_alert_variant_then_the_error_path_is_wire_only() -> None:
    with pytest.raises(dwevents.DecodeError) as info:
        decode_changed("MonitorAlert/workbench-monitor-alert.json", baselineStatus="red")
    assert str(info.value) == 'data.baselineStatus: expected an integer, got "red"'
