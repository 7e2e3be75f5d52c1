"""Facts of the Operation Center payloads (:mod:`dwevents.models.operation_center`).

"Failed" is decided here, with the status enums (``InstanceStatus.FAILED``, ``DagStatus.FAILED``), and
nowhere else: notification routes, severities and texts read :attr:`Facts.failed`. A monitoring alert
has four shapes; :attr:`Facts.subject` says which ("baseline", "topic", "rule", "resource group").
"""

from __future__ import annotations

from typing import Any

from dwevents.models.facts import Facts, derives, ids, of_project
from dwevents.models.operation_center import (
    BackfillDataPayload,
    BaselineAlert,
    DagStatus,
    DagStatusChangesPayload,
    DeleteTaskInstanceDependenciesPayload,
    ExpiredTaskInstancesDeletedPayload,
    InstanceChangePayload,
    InstanceOperationPrePayload,
    InstanceStatus,
    InstanceStatusChangesPayload,
    NodeOperationPayload,
    OtherAlert,
    ResourceGroupAlert,
    TaskRuleAlert,
    TopicAlert,
)


@derives(NodeOperationPayload)
def node_operation(p: NodeOperationPayload) -> Facts:
    return of_project(p, node_ids=ids(p.node_ids))


@derives(BackfillDataPayload)
def backfill(p: BackfillDataPayload) -> Facts:
    return Facts(
        workspace_id=p.project_id if p.project_id is not None else p.root_node_project_id,
        tenant_id=p.tenant_id,
        operator=p.operator,
        node_id=p.root_node_id,
        node_ids=ids(p.include_node_ids),
        name=p.name,
        backfill_days=p.span_days,
    )


@derives(InstanceStatusChangesPayload)
def instance_status(p: InstanceStatusChangesPayload) -> Facts:
    return Facts(
        workspace_id=p.app_id,
        tenant_id=p.tenant_id,
        node_id=p.node_id,
        instance_id=p.task_id,
        workflow_id=p.dag_id,
        dag_type=p.dag_type,
        status=p.status,
        failed=p.status is InstanceStatus.FAILED,
        wait_time=p.time_wait_duration,
        resource_wait=p.resource_wait_duration,
        run_time=p.run_duration,
    )


@derives(InstanceChangePayload)
def instance_change(p: InstanceChangePayload) -> Facts:
    return of_project(p, instance_ids=ids(p.task_ids))


@derives(InstanceOperationPrePayload)
def instance_operation(p: InstanceOperationPrePayload) -> Facts:
    return of_project(
        p,
        instance_ids=ids(p.task_ids),
        name=p.extension_biz_name,
    )


@derives(ExpiredTaskInstancesDeletedPayload)
def expired_instances(p: ExpiredTaskInstancesDeletedPayload) -> Facts:
    return Facts(
        workspace_id=p.app_id,
        tenant_id=p.tenant_id,
        operator=p.operator,
        owner=p.owner,
        instance_ids=ids(p.deleted_task_instance_ids),
    )


@derives(DeleteTaskInstanceDependenciesPayload)
def instance_dependencies(p: DeleteTaskInstanceDependenciesPayload) -> Facts:
    return Facts(
        workspace_id=p.app_id, tenant_id=p.tenant_id, operator=p.operator, instance_id=p.task_instance_id
    )


@derives(DagStatusChangesPayload)
def workflow_status(p: DagStatusChangesPayload) -> Facts:
    return of_project(
        p,
        workflow_id=p.dag_id,
        workflow_name=p.dag_name,
        flow_name=p.flow_name,
        dag_type=p.dag_type,
        name=p.dag_name,
        status=p.status,
        failed=p.status is DagStatus.FAILED,
        business_date=p.biz_date,
    )


def _alert(
    p: BaselineAlert | TopicAlert | TaskRuleAlert | ResourceGroupAlert | OtherAlert, **facts: Any
) -> Facts:
    """What every monitoring alert shape carries: its workspace, tenant and ``AlarmType``."""
    return Facts(workspace_id=p.project_id, tenant_id=p.tenant_id, alarm=p.alarm_type, **facts)


@derives(BaselineAlert)
def baseline_alert(p: BaselineAlert) -> Facts:
    return _alert(
        p,
        subject="baseline",
        name=p.baseline_name,
        object_id=p.baseline_id,
        status=p.baseline_status,
        business_date=p.biz_date,
        node_id=p.node_id,
        instance_id=p.task_id,
    )


@derives(TopicAlert)
def topic_alert(p: TopicAlert) -> Facts:
    return _alert(
        p,
        subject="topic",
        object_id=p.topic_id,
        status=p.task_status,
        failed=p.task_status is InstanceStatus.FAILED,
        node_id=p.node_id,
        instance_id=p.task_id,
    )


@derives(TaskRuleAlert)
def task_rule_alert(p: TaskRuleAlert) -> Facts:
    return _alert(
        p,
        subject="rule",
        name=p.remind_name,
        object_id=p.remind_id,
        status=p.remind_type,
        node_ids=ids(p.node_ids),
        instance_ids=ids(p.task_ids),
    )


@derives(ResourceGroupAlert)
def resource_group_alert(p: ResourceGroupAlert) -> Facts:
    return _alert(
        p,
        subject="resource group",
        name=p.resource_group_name or p.resource_group_identifier,
        object_id=p.resource_group_identifier,
        status=p.remind_type,
    )


@derives(OtherAlert)
def other_alert(p: OtherAlert) -> Facts:
    return _alert(p)
