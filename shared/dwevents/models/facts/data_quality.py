"""Facts of the Data Quality payloads (:mod:`dwevents.models.data_quality`).

A check result is about its rule (name, id) on its table; :attr:`Facts.threshold` says which alert
threshold it reached (``DqCheckStatus.WARNING`` / ``CRITICAL``), :attr:`Facts.measure` what was measured
against what. The rule and monitor pre-events count what they touch in :attr:`Facts.rule_count`.
"""

from __future__ import annotations

from typing import Literal

from dwevents.models.data_quality import (
    DataQualityIdsPayload,
    DataQualityRulePayload,
    DataQualityRulesPayload,
    DataQualityRulesUpdatePayload,
    DqcCheckFeedbackPayload,
    DqcCheckFinishedPayload,
    DqCheckStatus,
    EvaluationTaskClonePayload,
    EvaluationTaskNotificationPayload,
    EvaluationTaskNotificationUpdatePayload,
    EvaluationTaskPayload,
    RuleTarget,
)
from dwevents.models.facts import Facts, derives, names, of_project

_THRESHOLDS: dict[object, Literal["warning", "critical"]] = {
    DqCheckStatus.WARNING: "warning",
    DqCheckStatus.CRITICAL: "critical",
}


def _table(target: RuleTarget | None) -> tuple[str, ...]:
    return names(target.table_guid) if target is not None else ()


@derives(DqcCheckFeedbackPayload)
def check_feedback(p: DqcCheckFeedbackPayload) -> Facts:
    return Facts(
        workspace_id=p.project_id,
        workspace_name=p.project_name,
        tenant_id=p.tenant_id,
        operator=p.create_user,
        instance_id=p.task_id,
        object_id=p.rule_id,
        comment=p.feedback_content,
    )


def _measure(p: DqcCheckFinishedPayload) -> str:
    """``count(*) = 12.0, threshold > 10.0``: what was measured, its last sample, the threshold."""
    samples = p.sample_value or []
    value = samples[-1].value if samples else None
    measured = f"{p.method_name or 'value'}({p.property_name or '*'})"
    out = f"{measured} = {value}" if value is not None else measured
    if p.expect_value is not None:
        out += f", threshold {p.op or ''} {p.expect_value}".replace("  ", " ")
    return out


@derives(DqcCheckFinishedPayload)
def check_finished(p: DqcCheckFinishedPayload) -> Facts:
    return Facts(
        workspace_id=p.project_id,
        workspace_name=p.project_name,
        tenant_id=p.tenant_id,
        instance_id=p.task_id,
        name=p.rule_name,
        object_id=p.rule_id,
        tables=names(p.table_name),
        status=p.check_result,
        threshold=_THRESHOLDS.get(p.check_result),
        business_date=p.biz_date,
        scope=p.actual_expression,
        measure=_measure(p),
    )


@derives(DataQualityRulesPayload)
def rules_created(p: DataQualityRulesPayload) -> Facts:
    return of_project(
        p,
        tables=_table(p.target),
        object_id=p.data_quality_task_id,
        rule_count=len(p.rules) if p.rules is not None else None,
    )


@derives(DataQualityRulePayload)
def rule_updated(p: DataQualityRulePayload) -> Facts:
    """One rule (its fields at the top level) or, for the batch update, the rules listed."""
    count = len(p.all_rules) if isinstance(p, DataQualityRulesUpdatePayload) else 1
    return of_project(
        p,
        tables=_table(p.target),
        name=p.name,
        object_id=p.id,
        rule_count=count or None,
    )


@derives(DataQualityIdsPayload)
def batch_delete(p: DataQualityIdsPayload) -> Facts:
    return of_project(
        p,
        rule_count=len(p.ids) if p.ids else None,
    )


@derives(EvaluationTaskPayload)
def monitor(p: EvaluationTaskPayload) -> Facts:
    return of_project(
        p,
        tables=_table(p.target),
        name=p.name,
        rule_count=len(p.rules) if p.rules is not None else None,
    )


@derives(EvaluationTaskClonePayload)
def monitor_clone(p: EvaluationTaskClonePayload) -> Facts:
    return of_project(
        p,
        object_id=p.id,
        tables=names(*(t.table_guid for t in p.targets or [])),
    )


@derives(EvaluationTaskNotificationPayload, EvaluationTaskNotificationUpdatePayload)
def monitor_notification(
    p: EvaluationTaskNotificationPayload | EvaluationTaskNotificationUpdatePayload,
) -> Facts:
    return of_project(
        p,
        object_id=p.data_quality_evaluation_task_id,
    )
