"""Data Quality payloads: check results and feedback, and the rule / monitor pre-events.

Field names follow "Development Reference: Event List and Message Format"
(https://www.alibabacloud.com/help/en/dataworks/user-guide/formats-of-event-messages-sent-to-eventbridge).
Known quirks handled here: the feedback sample has no ``eventCode``; the only "batch update
rules" sample is really the single-rule update (``eventCode: update-data-quality-rule``);
``runtimeConf`` is JSON text; the notification receivers key is misspelt ``notificaionReceivers``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field

from dwevents.models.base import (
    CommaList,
    DataWorksPayload,
    EpochBizDate,
    JsonText,
    Timestamp,
    WireModel,
)
from dwevents.models.data_quality_codes import (  # the value sets, re-exported: importers keep one path
    BlockType,
    BlockTypeCode,
    CheckingType,
    CheckingTypeCode,
    DatabaseType,
    DatabaseTypeCode,
    DqCheckStatus,
    DqCheckStatusCode,
    DqSeverity,
    DqSeverityCode,
    EnvType,
    EnvTypeCode,
    HookType,
    HookTypeCode,
    Metric,
    MetricCode,
    TriggerType,
    TriggerTypeCode,
)
from dwevents.models.limits import Long, Unknown


def _number_or_text(value: Any) -> Any:
    """Measured values are numbers, but discrete checks may carry text: keep what is not numeric."""
    if isinstance(value, bool) or value is None:
        return value
    try:
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
    except (ValueError, OverflowError):
        pass
    return value


#: A measured value: float when numeric, the text otherwise.
Measured = Annotated[float | str, BeforeValidator(_number_or_text)]
#: A business date from epoch ms or a date(-time) string (the docs do not say which DQ sends).
DqBizDate = EpochBizDate



# --------------------------------------------------------------------------------------------
# Check results (regular events)
# --------------------------------------------------------------------------------------------


class DqcCheckFeedbackPayload(DataWorksPayload):
    """dqc-check-feedback-event: a user commented on a check result (sample has no eventCode)."""

    rule_id: Long | None = None
    rule_check_id: Long | None = None
    feedback_content: str | None = None
    create_user: str | None = None
    task_id: str | None = None
    begin_time: Timestamp | None = None
    env_type: EnvTypeCode | None = None
    project_name: str | None = None
    project_id: Long | None = None


class ReferenceValue(WireModel):
    """A value the check compared against (history for fluctuation checks)."""

    biz_date: DqBizDate | None = None
    discrete_property: str | None = None
    value: Measured | None = None
    single_check_result: DqCheckStatusCode | None = None


class SampleValue(WireModel):
    """The value measured for one business date."""

    biz_date: DqBizDate | None = None
    value: Measured | None = None


class DqcCheckFinishedPayload(DataWorksPayload):
    """dqc-check-finished-event: one rule was checked; the result and the samples behind it."""

    id: Long | None = None
    project_id: Long | None = None
    project_name: str | None = None
    task_id: str | None = None
    entity_id: Long | None = None
    rule_id: Long | None = None
    rule_name: str | None = None
    table_name: str | None = None
    #: The checked column (wire name ``property``, renamed so it does not shadow the builtin).
    property_name: str | None = Field(default=None, alias="property")
    #: Wire name is all lower case (``bizdate``), unlike every other date field.
    biz_date: DqBizDate | None = Field(
        default=None,
        validation_alias=AliasChoices("bizdate", "bizDate", "biz_date"),
        serialization_alias="bizdate",
    )
    date_type: str | None = None
    actual_expression: str | None = None
    match_expression: str | None = None
    block_type: BlockTypeCode | None = None
    check_result: DqCheckStatusCode | None = None
    #: e.g. avg, count, sum, min, max, count_distinct, user_defined, table_count, table_size.
    method_name: str | None = None
    begin_time: Timestamp | None = None
    end_time: Timestamp | None = None
    time_consuming: str | None = None
    #: ``CWF2`` for scheduled runs; empty for manual ones.
    external_type: str | None = None
    #: The node ID, or ``triggerByManual``.
    external_id: str | None = None
    discrete: bool | None = None
    fixed_check: bool | None = None
    reference_value: list[ReferenceValue] | None = None
    sample_value: list[SampleValue] | None = None
    trend: str | None = None
    expect_value: float | None = None
    op: str | None = None
    template_id: Long | None = None
    checker_type: Long | None = None
    is_prediction: bool | None = None
    comment: str | None = None
    # In the sample, not in the field table: types not documented, kept loose.
    check_result_status: Long | str | None = None
    feedback_status: Long | str | None = None
    whether_to_filter_dirty_data: bool | str | None = None

    @property
    def passed(self) -> bool:
        return self.check_result == DqCheckStatus.PASSED

    @property
    def blocks_downstream(self) -> bool:
        """A strong rule that hit its critical threshold stops the node's descendants."""
        return self.block_type == BlockType.STRONG and self.check_result == DqCheckStatus.CRITICAL


# --------------------------------------------------------------------------------------------
# Rules (pre-events)
# --------------------------------------------------------------------------------------------


class RuleTarget(WireModel):
    """The monitored table."""

    database_type: DatabaseTypeCode | None = None
    table_guid: str | None = None


class SamplingConfig(WireModel):
    metric: MetricCode | None = None


class Threshold(WireModel):
    expression: str | None = None


class Thresholds(WireModel):
    expected: Threshold | None = None
    critical: Threshold | None = None


class CheckingConfig(WireModel):
    type: CheckingTypeCode | None = None
    thresholds: Thresholds | None = None


class DataQualityRule(WireModel):
    """One quality rule as the rule pre-events describe it."""

    id: Long | None = None
    name: str | None = None
    enabled: bool | None = None
    severity: DqSeverityCode | None = None
    description: str | None = None
    template_code: str | None = None
    sampling_config: SamplingConfig | None = None
    checking_config: CheckingConfig | None = None


class _DqOperation(DataWorksPayload):
    """Who did what, when, in which workspace: common to every Data Quality pre-event."""

    project_id: Long | None = None
    operator: str | None = None
    operation_time: Timestamp | None = None


class DataQualityRulesPayload(_DqOperation):
    """batch-create-data-quality-rules: rules about to be created on one table."""

    data_quality_task_id: Long | None = None
    target: RuleTarget | None = None
    rules: list[DataQualityRule] | None = None


class DataQualityRulePayload(_DqOperation, DataQualityRule):
    """update-data-quality-rule: one rule, its fields at the top level."""

    data_quality_task_id: Long | None = None
    target: RuleTarget | None = None


class DataQualityRulesUpdatePayload(DataQualityRulePayload):
    """batch-update-data-quality-rules.

    No batch sample exists: the doc's sample for this event is the single-rule shape with
    ``eventCode: update-data-quality-rule``. Both shapes decode here; :attr:`all_rules` gives the
    rules either way.
    """

    rules: list[DataQualityRule] | None = None

    @property
    def all_rules(self) -> list[DataQualityRule]:
        if self.rules is not None:
            return list(self.rules)
        single = {name: getattr(self, name) for name in DataQualityRule.model_fields}
        if all(value is None for value in single.values()):
            return []
        return [DataQualityRule.model_validate(single)]


class DataQualityIdsPayload(_DqOperation):
    """batch-delete-data-quality-rules / batch-delete-data-quality-evaluation-tasks."""

    ids: CommaList[Long] | None = None


# --------------------------------------------------------------------------------------------
# Evaluation tasks (monitors) and their notifications (pre-events)
# --------------------------------------------------------------------------------------------


class EvaluationTrigger(WireModel):
    type: TriggerTypeCode | None = None
    #: Scheduling node IDs whose instances trigger the monitor.
    task_ids: CommaList[Long] | None = None


class EvaluationHook(WireModel):
    type: HookTypeCode | None = None
    #: e.g. ``${severity} == "High" AND ${status} == "Critical"``.
    condition: str | None = None


class NotificationReceiver(WireModel):
    receiver_type: str | None = None
    receiver_values: CommaList[str] | None = None
    extension: Unknown = None


class NotificationSetting(WireModel):
    channels: CommaList[str] | None = None
    #: Wire name is misspelt ``notificaionReceivers``; the correct spelling is accepted too.
    notification_receivers: list[NotificationReceiver] | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "notificaionReceivers", "notificationReceivers", "notification_receivers"
        ),
        serialization_alias="notificaionReceivers",
    )


class EvaluationNotifications(WireModel):
    condition: str | None = None
    notifications: list[NotificationSetting] | None = None


class EvaluationTaskPayload(_DqOperation):
    """create- / update-data-quality-evaluation-task: a monitor about to be saved."""

    name: str | None = None
    description: str | None = None
    target: RuleTarget | None = None
    trigger: EvaluationTrigger | None = None
    data_source_id: Long | None = None
    #: JSON text on the wire (engine settings such as the queue); parsed here.
    runtime_conf: JsonText[dict[str, Unknown]] | None = None
    rules: list[DataQualityRule] | None = None
    hooks: list[EvaluationHook] | None = None
    notifications: EvaluationNotifications | None = None


class EvaluationTaskClonePayload(_DqOperation):
    """clone-data-quality-evaluation-task: copy monitor ``id`` onto other tables."""

    id: Long | None = None
    targets: list[RuleTarget] | None = None


class EvaluationTaskNotificationPayload(_DqOperation):
    """create- / delete-data-quality-evaluation-task-notification (no delete sample in the docs)."""

    data_quality_evaluation_task_id: Long | None = None
    #: Email, SMS, Phone, Lark, WeChat, DingTalk or Custom Webhook; the sample sends ``sms``.
    channel: str | None = None
    receiver_value: str | None = None


class EvaluationTaskNotificationUpdatePayload(_DqOperation):
    """update-data-quality-evaluation-task-notification: one channel/receiver replaced by another."""

    data_quality_evaluation_task_id: Long | None = None
    current_channel: str | None = None
    current_receiver_value: str | None = None
    updated_channel: str | None = None
    updated_receiver_value: str | None = None


__all__ = [
    "BlockType",
    "CheckingConfig",
    "CheckingType",
    "DataQualityIdsPayload",
    "DataQualityRule",
    "DataQualityRulePayload",
    "DataQualityRulesPayload",
    "DataQualityRulesUpdatePayload",
    "DatabaseType",
    "DqCheckStatus",
    "DqSeverity",
    "DqcCheckFeedbackPayload",
    "DqcCheckFinishedPayload",
    "EnvType",
    "EvaluationHook",
    "EvaluationNotifications",
    "EvaluationTaskClonePayload",
    "EvaluationTaskNotificationPayload",
    "EvaluationTaskNotificationUpdatePayload",
    "EvaluationTaskPayload",
    "EvaluationTrigger",
    "HookType",
    "Metric",
    "NotificationReceiver",
    "NotificationSetting",
    "ReferenceValue",
    "RuleTarget",
    "SampleValue",
    "SamplingConfig",
    "Threshold",
    "Thresholds",
    "TriggerType",
]
