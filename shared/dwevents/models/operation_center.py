"""Operation Center payloads: node pre-events, backfill, instances, workflows and monitoring alerts.

Field names and value sets follow "Development Reference: Event List and Message Format"
(https://www.alibabacloud.com/help/en/dataworks/user-guide/formats-of-event-messages-sent-to-eventbridge).
Where the docs disagree with themselves or with the official demo, the choice is written
next to the field. Every field is optional: real messages drop fields the tables list (most Operation
Center pre-event samples carry no ``eventCode``, the topic / task-rule / resource-group alerts neither).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import Enum
from typing import Annotated, Any

from pydantic import Discriminator, Tag

from dwevents.models.base import (
    BizDate,
    CommaList,
    DataWorksPayload,
    EpochBizDate,
    JsonText,
    Long,
    Timestamp,
    WireModel,
    int_code,
)
from dwevents.models.operation_center_codes import (  # the value sets, re-exported: importers keep one path
    AlarmType,
    AlarmTypeCode,
    BackfillOrder,
    BackfillOrderCode,
    BaselineStatus,
    BaselineStatusCode,
    DagStatus,
    DagStatusCode,
    DagType,
    DagTypeCode,
    InstanceStatus,
    InstanceStatusCode,
    ProjectEnv,
    ProjectEnvCode,
    RemindType,
    RemindTypeCode,
    RemindUnit,
    RemindUnitCode,
    ResourceGroupType,
    ResourceGroupTypeCode,
    TaskType,
    TaskTypeCode,
)

# --------------------------------------------------------------------------------------------
# Node pre-events and backfill (UpdateWorkbenchEventResult extension points)
# --------------------------------------------------------------------------------------------


class NodeOperationPayload(DataWorksPayload):
    """undeploy-node / freeze-node / unfreeze-node pre-event: which production nodes, by whom."""

    operator: str | None = None
    project_id: Long | None = None
    #: Documented as an array; a comma-separated string is accepted too.
    node_ids: CommaList[Long] | None = None
    #: The ID of the check process in the extension.
    extension_biz_id: str | None = None


class BackfillPeriod(WireModel):
    """One business-date range of a backfill, both ends inclusive."""

    biz_begin_time: BizDate | None = None
    biz_end_time: BizDate | None = None

    @property
    def bounds(self) -> tuple[date, date] | None:
        """(first, last) date, ordered; a missing end means a single day."""
        begin = self.biz_begin_time or self.biz_end_time
        end = self.biz_end_time or self.biz_begin_time
        if begin is None or end is None:
            return None
        return (begin, end) if begin <= end else (end, begin)

    @property
    def days(self) -> int:
        bounds = self.bounds
        return 0 if bounds is None else (bounds[1] - bounds[0]).days + 1


class BackfillDataPayload(DataWorksPayload):
    """backfill-data pre-event: the backfill about to be created (policy input for range limits)."""

    name: str | None = None
    root_node_id: Long | None = None
    root_node_project_id: Long | None = None
    include_node_ids: CommaList[Long] | None = None
    #: Excluded nodes get dry-run instances.
    exclude_node_ids: CommaList[Long] | None = None
    #: Sent as JSON *text* ``[{"bizBeginTime": "2022-04-17", "bizEndTime": "2022-04-17"}]``.
    multiple_time_periods: JsonText[list[BackfillPeriod]] | None = None
    use_multiple_time_periods: bool | None = None
    is_parallel: bool | None = None
    #: 1 = not grouped.
    parallel_group: Long | None = None
    start_future_instance_immediately: bool | None = None
    order: BackfillOrderCode | None = None
    project_id: Long | None = None
    operator: str | None = None
    extension_biz_id: str | None = None

    @property
    def periods(self) -> list[BackfillPeriod]:
        return list(self.multiple_time_periods or [])

    @property
    def span_days(self) -> int | None:
        """Days from the earliest begin to the latest end date, inclusive; None without periods."""
        bounds = [b for b in (p.bounds for p in self.periods) if b is not None]
        if not bounds:
            return None
        return (max(b[1] for b in bounds) - min(b[0] for b in bounds)).days + 1

    @property
    def covered_days(self) -> int:
        """Distinct business dates the backfill runs for (overlapping periods counted once)."""
        merged: list[tuple[date, date]] = []
        for begin, end in sorted(b for b in (p.bounds for p in self.periods) if b is not None):
            if merged and begin <= merged[-1][1] + timedelta(days=1):
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((begin, end))
        return sum((end - begin).days + 1 for begin, end in merged)


# --------------------------------------------------------------------------------------------
# Instances
# --------------------------------------------------------------------------------------------


def _between(start: datetime | None, end: datetime | None) -> timedelta | None:
    """end - start, or None when a time is missing, a zero epoch, or the result is negative."""
    if start is None or end is None or start.timestamp() <= 0 or end.timestamp() <= 0:
        return None
    delta = end - start
    return delta if delta >= timedelta(0) else None


class InstanceStatusChangesPayload(DataWorksPayload):
    """instance-status-changes: an auto-triggered instance moved to a new status."""

    task_id: Long | None = None  #: the instance ID
    node_id: Long | None = None
    dag_id: Long | None = None
    dag_type: DagTypeCode | None = None
    task_type: TaskTypeCode | None = None
    #: 1 for auto-triggered instances; the workflow ID otherwise.
    flow_id: Long | None = None
    app_id: Long | None = None  #: workspace ID
    status: InstanceStatusCode | None = None
    #: "You can ignore this field" (docs).
    op_code: Long | None = None
    create_time: Timestamp | None = None
    modify_time: Timestamp | None = None
    begin_wait_time_time: Timestamp | None = None
    begin_wait_res_time: Timestamp | None = None
    begin_running_time: Timestamp | None = None
    finish_time: Timestamp | None = None

    @property
    def time_wait_duration(self) -> timedelta | None:
        """Waiting for the scheduled time: beginWaitResTime - beginWaitTimeTime."""
        return _between(self.begin_wait_time_time, self.begin_wait_res_time)

    @property
    def resource_wait_duration(self) -> timedelta | None:
        """Waiting for resources: beginRunningTime - beginWaitResTime."""
        return _between(self.begin_wait_res_time, self.begin_running_time)

    @property
    def run_duration(self) -> timedelta | None:
        """Running: finishTime - beginRunningTime."""
        return _between(self.begin_running_time, self.finish_time)

    @property
    def is_final(self) -> bool:
        return isinstance(self.status, InstanceStatus) and self.status.is_final


class InstanceChangePayload(DataWorksPayload):
    """freeze / unfreeze / kill / rerun / set-instance-success (after the fact)."""

    operator: str | None = None
    project_type: ProjectEnvCode | None = None
    task_ids: CommaList[Long] | None = None
    project_id: Long | None = None


class InstanceOperationPrePayload(DataWorksPayload):
    """pre-freeze / pre-unfreeze / pre-rerun / pre-set-instance-success / pre-kill-instance.

    The table types ``tenantId`` as String and ``operator`` as Long; samples send a number and a
    string. Both are coerced (tenant to int, operator to str).
    """

    extension_biz_id: str | None = None
    #: Name of the target resource; may be a summary.
    extension_biz_name: str | None = None
    project_id: Long | None = None
    task_ids: CommaList[Long] | None = None
    operator: str | None = None


class ExpiredTaskInstancesDeletedPayload(DataWorksPayload):
    """expired-task-instances-deleted: DataWorks cleaned up old instances."""

    deleted_task_instance_ids: CommaList[Long] | None = None
    owner: str | None = None
    operation_time: Timestamp | None = None
    block_business: bool | None = None
    app_id: Long | None = None
    #: "Not used in this event" (docs).
    operator: str | None = None


class DeleteTaskInstanceDependenciesPayload(DataWorksPayload):
    """delete-task-instance-dependencies: upstream dependencies removed from one instance."""

    #: The downstream instance.
    task_instance_id: Long | None = None
    upstream_task_instance_ids: CommaList[Long] | None = None
    operator: str | None = None
    operation_time: Timestamp | None = None
    app_id: Long | None = None
    block_business: bool | None = None


class DagStatusChangesPayload(DataWorksPayload):
    """dag-status-changes: a backfill or manually triggered workflow changed status."""

    #: 'yyyy-mm-dd hh24:mi:ss' on the wire; the date part is the business date.
    biz_date: BizDate | None = None
    create_time: Timestamp | None = None
    dag_id: Long | None = None
    dag_name: str | None = None
    dag_type: DagTypeCode | None = None
    flow_id: Long | None = None
    flow_name: str | None = None
    operator: str | None = None
    project_env: ProjectEnvCode | None = None
    project_id: Long | None = None
    status: DagStatusCode | None = None


# --------------------------------------------------------------------------------------------
# Monitoring alerts: one event type, four documented shapes
# --------------------------------------------------------------------------------------------


class _MonitorAlertBase(DataWorksPayload):
    alarm_type: AlarmTypeCode | None = None
    project_id: Long | None = None


class BaselineAlert(_MonitorAlertBase):
    """SLA_ALERT: a baseline is at risk or overdue (the only shape that carries ``eventCode``)."""

    baseline_id: Long | None = None
    baseline_name: str | None = None
    baseline_status: BaselineStatusCode | None = None
    #: Epoch ms on the wire, read as a Shanghai calendar date.
    biz_date: EpochBizDate | None = None
    #: Cycle within the day: 1 for daily baselines, 1..24 for hourly ones.
    in_group_id: Long | None = None
    node_id: Long | None = None
    task_id: Long | None = None


class TopicAlert(_MonitorAlertBase):
    """TOPIC_ALERT: an event (topic) alert on an instance."""

    topic_id: Long | None = None
    #: Value set not documented: an instance status code when numeric, the text otherwise.
    task_status: Annotated[InstanceStatus | int | str, int_code(InstanceStatus, keep_text=True)] | None = None
    node_id: Long | None = None
    task_id: Long | None = None


class TaskRuleAlert(_MonitorAlertBase):
    """REMIND_ALERT on nodes: a custom rule fired for one or more instances."""

    remind_id: Long | None = None
    remind_name: str | None = None
    remind_type: RemindTypeCode | None = None
    remind_unit: RemindUnitCode | None = None
    #: Comma-separated string on the wire.
    node_ids: CommaList[Long] | None = None
    #: Comma-separated string on the wire.
    task_ids: CommaList[Long] | None = None


class ResourceGroupAlert(_MonitorAlertBase):
    """REMIND_ALERT on a resource group (usage threshold or waiting instances)."""

    remind_id: Long | None = None
    remind_name: str | None = None
    remind_type: RemindTypeCode | None = None
    remind_unit: RemindUnitCode | None = None
    resource_group_identifier: str | None = None
    resource_group_name: str | None = None
    resource_group_type: ResourceGroupTypeCode | None = None


class OtherAlert(_MonitorAlertBase):
    """An alert of a kind not documented for events (e.g. NODE_CYCLE_ALERT): kept whole, no crash."""


def _field(value: Any, wire: str, attr: str) -> Any:
    if isinstance(value, dict):
        return value.get(wire)
    return getattr(value, attr, None)


def _code_text(value: Any) -> str:
    """An enum member or raw wire value as upper-case text ('' when absent)."""
    raw = value.value if isinstance(value, Enum) else value
    return "" if raw is None else str(raw).strip().upper()


def _alert_kind(value: Any) -> str:
    """Pick the alert variant: ``alarmType`` first, then the fields present (extras make every
    variant validate, so smart-union cannot decide)."""
    alarm = _code_text(_field(value, "alarmType", "alarm_type"))
    remind_text = _code_text(_field(value, "remindType", "remind_type"))
    has_group = any(
        _field(value, wire, attr) not in (None, "")
        for wire, attr in (
            ("resourceGroupIdentifier", "resource_group_identifier"),
            ("resourceGroupType", "resource_group_type"),
        )
    )
    if alarm == AlarmType.SLA_ALERT.value:
        return "BaselineAlert"
    if alarm == AlarmType.TOPIC_ALERT.value:
        return "TopicAlert"
    if alarm == AlarmType.REMIND_ALERT.value:
        return "ResourceGroupAlert" if has_group or remind_text.startswith("RES_GROUP") else "TaskRuleAlert"
    if alarm:
        return "OtherAlert"
    # No alarmType at all: fall back on the fields each shape is known by.
    if _field(value, "baselineId", "baseline_id") is not None:
        return "BaselineAlert"
    if _field(value, "topicId", "topic_id") is not None:
        return "TopicAlert"
    if has_group or remind_text.startswith("RES_GROUP"):
        return "ResourceGroupAlert"
    if remind_text or _field(value, "remindId", "remind_id") is not None:
        return "TaskRuleAlert"
    return "OtherAlert"


#: workbench-monitor-alert payload. Tags are the class names so decode errors name wire paths only.
MonitorAlertPayload = Annotated[
    Annotated[BaselineAlert, Tag("BaselineAlert")]
    | Annotated[TopicAlert, Tag("TopicAlert")]
    | Annotated[TaskRuleAlert, Tag("TaskRuleAlert")]
    | Annotated[ResourceGroupAlert, Tag("ResourceGroupAlert")]
    | Annotated[OtherAlert, Tag("OtherAlert")],
    Discriminator(_alert_kind),
]

__all__ = [
    "AlarmType",
    "BackfillDataPayload",
    "BackfillOrder",
    "BackfillPeriod",
    "BaselineAlert",
    "BaselineStatus",
    "DagStatus",
    "DagStatusChangesPayload",
    "DagType",
    "DeleteTaskInstanceDependenciesPayload",
    "ExpiredTaskInstancesDeletedPayload",
    "InstanceChangePayload",
    "InstanceOperationPrePayload",
    "InstanceStatus",
    "InstanceStatusChangesPayload",
    "MonitorAlertPayload",
    "NodeOperationPayload",
    "OtherAlert",
    "ProjectEnv",
    "RemindType",
    "RemindUnit",
    "ResourceGroupAlert",
    "ResourceGroupType",
    "TaskRuleAlert",
    "TaskType",
    "TopicAlert",
]
