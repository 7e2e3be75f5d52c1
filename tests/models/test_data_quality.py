"""Data Quality payloads decoded from the sample events, plus the deviations real messages show."""

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
from dwevents.models.data_quality import (
    BlockType,
    CheckingType,
    DatabaseType,
    DataQualityIdsPayload,
    DataQualityRulePayload,
    DataQualityRulesPayload,
    DataQualityRulesUpdatePayload,
    DqcCheckFeedbackPayload,
    DqcCheckFinishedPayload,
    DqCheckStatus,
    DqSeverity,
    EnvType,
    EvaluationTaskClonePayload,
    EvaluationTaskNotificationPayload,
    EvaluationTaskNotificationUpdatePayload,
    EvaluationTaskPayload,
    HookType,
    Metric,
    TriggerType,
)

from ..conftest import decode_changed
from ..conftest import decode_sample as decode
from ..conftest import load_sample as sample

EVENTS = Path(__file__).parents[2] / "events"
DQ_SPECS = [spec for spec in CATALOGUE if spec.model_ref.startswith("data_quality:")]
TENANT = 28378410656


# -- every sample --------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", DQ_SPECS, ids=lambda s: s.event_code)
def test_given_a_dq_entry_when_its_sample_is_decoded_then_spec_and_model_match(spec: EventSpec) -> None:
    # GIVEN the sample named after the catalogue entry
    rel = f"DqcCheck/{spec.event_code}.json"
    doc = sample(rel)
    # WHEN it is decoded
    event = decode(rel)
    # THEN the type selects the entry and the model
    assert event.spec is spec and event.type == spec.type == doc["type"]
    assert isinstance(event.payload, spec.model)
    assert isinstance(event.payload, DataWorksPayload) and event.payload.tenant_id == TENANT
    assert uuid.UUID(doc["id"]).version == 4
    assert doc["source"] == "acs.dataworks" and doc["aliyuneventbusname"] == "dataworks-openevent"
    assert datetime.fromisoformat(doc["time"]).utcoffset() == timedelta(hours=8)


def test_given_the_samples_then_their_ids_are_unique() -> None:
    ids = [sample(f"DqcCheck/{spec.event_code}.json")["id"] for spec in DQ_SPECS]
    assert len(ids) == len(set(ids))


# -- check results -------------------------------------------------------------------------------


def test_given_a_critical_strong_check_when_decoded_then_result_blocks_downstream() -> None:
    payload = decode("DqcCheck/dqc-check-finished-event.json").payload
    assert isinstance(payload, DqcCheckFinishedPayload)
    assert payload.check_result is DqCheckStatus.CRITICAL
    assert payload.block_type is BlockType.STRONG
    assert payload.blocks_downstream and not payload.passed
    # bizdate (all lower case on the wire) is a date; begin/end are Shanghai wall-clock times
    assert payload.biz_date == date(2024, 6, 1)
    assert payload.begin_time == datetime(2024, 6, 2, 2, 12, 55, tzinfo=SHANGHAI)
    assert payload.property_name == "amount" and payload.table_name == "dw_sales_daily"
    assert payload.external_type == "CWF2" and payload.external_id == "700001234"


def test_given_reference_and_sample_values_as_strings_then_they_are_numbers() -> None:
    payload = decode("DqcCheck/dqc-check-finished-event.json").payload
    assert isinstance(payload, DqcCheckFinishedPayload)
    assert payload.reference_value is not None and payload.sample_value is not None
    reference = payload.reference_value[0]
    assert reference.value == pytest.approx(1532408.75)
    assert reference.single_check_result is DqCheckStatus.CRITICAL
    assert reference.biz_date == date(2024, 5, 31)
    assert payload.sample_value[0].value == pytest.approx(981220.10)
    assert payload.sample_value[0].biz_date == date(2024, 6, 1)


def test_given_a_discrete_sample_value_that_is_text_then_the_text_is_kept() -> None:
    payload = decode_changed(
        "DqcCheck/dqc-check-finished-event.json", sampleValue=[{"bizDate": 1717171200000, "value": "CN"}]
    ).payload
    assert isinstance(payload, DqcCheckFinishedPayload)
    assert payload.sample_value is not None
    assert payload.sample_value[0].value == "CN"
    assert payload.sample_value[0].biz_date == date(2024, 6, 1)  # epoch ms read in Shanghai


def test_given_the_finished_event_when_dumped_then_irregular_wire_names_come_back() -> None:
    wire = decode("DqcCheck/dqc-check-finished-event.json").payload.to_wire()
    assert wire["property"] == "amount"
    assert wire["bizdate"] == "2024-06-01"
    assert wire["checkResult"] == 2 and wire["blockType"] == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (-2, DqCheckStatus.SKIPPED),
        ("-1", DqCheckStatus.EXCEPTION),
        (0, DqCheckStatus.PASSED),
        ("1", DqCheckStatus.WARNING),
    ],
)
def test_given_each_documented_check_result_then_it_is_the_enum(raw: Any, expected: DqCheckStatus) -> None:
    payload = decode_changed("DqcCheck/dqc-check-finished-event.json", checkResult=raw).payload
    assert isinstance(payload, DqcCheckFinishedPayload)
    assert payload.check_result is expected
    assert not payload.blocks_downstream


def test_given_an_undocumented_check_result_then_it_stays_an_int() -> None:
    payload = decode_changed("DqcCheck/dqc-check-finished-event.json", checkResult=3, blockType=2).payload
    assert isinstance(payload, DqcCheckFinishedPayload)
    assert payload.check_result == 3 and not isinstance(payload.check_result, DqCheckStatus)
    assert payload.block_type == 2


def test_given_a_check_result_that_is_not_a_number_then_decode_error_names_the_path() -> None:
    with pytest.raises(dwevents.DecodeError) as info:
        decode_changed("DqcCheck/dqc-check-finished-event.json", checkResult="bad")
    assert str(info.value) == 'data.checkResult: expected an integer, got "bad"'


def test_given_a_feedback_event_without_event_code_when_decoded_then_the_type_decides() -> None:
    event = decode("DqcCheck/dqc-check-feedback-event.json")
    payload = event.payload
    assert isinstance(payload, DqcCheckFeedbackPayload)
    assert payload.event_code is None and event.event_code == "dqc-check-feedback-event"
    assert payload.env_type is EnvType.ODPS
    assert payload.begin_time is not None and payload.begin_time.utcoffset() == timedelta(hours=8)
    assert payload.rule_id == 40001 and payload.task_id == "20240602021255000142"


def test_given_feedback_with_numeric_task_id_and_unknown_env_then_both_are_kept_as_text() -> None:
    payload = decode_changed(
        "DqcCheck/dqc-check-feedback-event.json",
        taskId=20240602021255000142,
        envType="STARROCKS",
        ruleId="40001",
    ).payload
    assert isinstance(payload, DqcCheckFeedbackPayload)
    assert payload.task_id == "20240602021255000142"
    assert payload.env_type == "STARROCKS" and payload.rule_id == 40001


# -- rules ---------------------------------------------------------------------------------------


def test_given_batch_create_rules_when_decoded_then_target_and_rules_are_typed() -> None:
    payload = decode("DqcCheck/batch-create-data-quality-rules.json").payload
    assert isinstance(payload, DataQualityRulesPayload)
    assert payload.target is not None
    assert payload.target.database_type is DatabaseType.MAXCOMPUTE
    assert payload.target.table_guid == "odps.sales_prod.dw_sales_daily"
    assert payload.rules is not None and len(payload.rules) == 2
    first = payload.rules[0]
    assert first.severity is DqSeverity.HIGH and first.enabled is True
    assert first.sampling_config is not None and first.sampling_config.metric is Metric.COUNT
    assert first.checking_config is not None and first.checking_config.type is CheckingType.FIXED
    assert first.checking_config.thresholds is not None
    assert first.checking_config.thresholds.critical is not None
    assert first.checking_config.thresholds.critical.expression == "$checkValue <= 0"
    assert payload.operation_time == datetime(2024, 6, 2, 6, 2, 11, tzinfo=timezone.utc)


def test_given_batch_update_with_the_documented_single_rule_shape_then_all_rules_has_that_rule() -> None:
    # GIVEN the doc's sample for batch update: single-rule shape, eventCode update-data-quality-rule
    event = decode("DqcCheck/batch-update-data-quality-rules.json")
    payload = event.payload
    # THEN the type still decides the entry, and the rule is reachable
    assert isinstance(payload, DataQualityRulesUpdatePayload)
    assert event.spec is not None and event.spec.event_code == "batch-update-data-quality-rules"
    # AND the event code is the type's; the payload's own eventCode stays in the payload (issue 10)
    assert event.event_code == "batch-update-data-quality-rules"
    assert payload.event_code == "update-data-quality-rule"
    assert payload.rules is None
    rules = payload.all_rules
    assert [(r.id, r.severity) for r in rules] == [(40001, DqSeverity.NORMAL)]


def test_given_batch_update_with_a_rules_array_then_all_rules_returns_the_array() -> None:
    rules = sample("DqcCheck/batch-create-data-quality-rules.json")["data"]["rules"]
    for index, rule in enumerate(rules):
        rule["id"] = 40001 + index
    event = decode_changed(
        "DqcCheck/batch-update-data-quality-rules.json",
        drop=(
            "id",
            "name",
            "enabled",
            "severity",
            "description",
            "templateCode",
            "samplingConfig",
            "checkingConfig",
        ),
        rules=rules,
        target={"databaseType": "maxcompute", "tableGuid": "odps.sales_prod.dw_sales_daily"},
        eventCode="batch-update-data-quality-rules",
    )
    payload = event.payload
    assert isinstance(payload, DataQualityRulesUpdatePayload)
    assert [r.id for r in payload.all_rules] == [40001, 40002]
    assert payload.target is not None and payload.target.database_type is DatabaseType.MAXCOMPUTE


def test_given_update_single_rule_when_decoded_then_rule_fields_are_top_level() -> None:
    payload = decode("DqcCheck/update-data-quality-rule.json").payload
    assert isinstance(payload, DataQualityRulePayload)
    assert payload.id == 40002 and payload.enabled is False
    assert payload.severity is DqSeverity.NORMAL
    assert payload.sampling_config is not None and payload.sampling_config.metric is Metric.NULL_VALUE_COUNT


def test_given_severity_in_other_case_or_unknown_then_mapped_or_kept() -> None:
    lower = decode_changed("DqcCheck/update-data-quality-rule.json", severity="high").payload
    other = decode_changed("DqcCheck/update-data-quality-rule.json", severity="Blocker").payload
    assert isinstance(lower, DataQualityRulePayload) and isinstance(other, DataQualityRulePayload)
    assert lower.severity is DqSeverity.HIGH
    assert other.severity == "Blocker"


@pytest.mark.parametrize(
    "code", ["batch-delete-data-quality-rules", "batch-delete-data-quality-evaluation-tasks"]
)
def test_given_a_batch_delete_when_decoded_then_ids_are_ints(code: str) -> None:
    payload = decode(f"DqcCheck/{code}.json").payload
    assert isinstance(payload, DataQualityIdsPayload)
    assert payload.ids and all(isinstance(i, int) for i in payload.ids)


def test_given_ids_as_comma_text_then_ints_and_a_bad_id_names_its_index() -> None:
    payload = decode_changed("DqcCheck/batch-delete-data-quality-rules.json", ids="40001,40002").payload
    assert isinstance(payload, DataQualityIdsPayload)
    assert payload.ids == [40001, 40002]
    with pytest.raises(dwevents.DecodeError) as info:
        decode_changed("DqcCheck/batch-delete-data-quality-rules.json", ids=[40001, "x"])
    assert str(info.value) == 'data.ids[1]: expected an integer, got "x"'


# -- evaluation tasks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["create-data-quality-evaluation-task", "update-data-quality-evaluation-task"]
)
def test_given_an_evaluation_task_when_decoded_then_runtime_conf_and_receivers_are_parsed(code: str) -> None:
    payload = decode(f"DqcCheck/{code}.json").payload
    assert isinstance(payload, EvaluationTaskPayload)
    # runtimeConf is JSON text on the wire
    assert payload.runtime_conf == {"queue": "default", "timeoutSeconds": 1800}
    assert payload.trigger is not None and payload.trigger.type is TriggerType.BY_SCHEDULED_TASK_INSTANCE
    assert payload.trigger.task_ids == [700001234]
    assert payload.hooks is not None and payload.hooks[0].type is HookType.BLOCK_TASK_INSTANCE
    assert payload.rules is not None and [r.id for r in payload.rules] == [40001, 40002]
    # the wire key is misspelt "notificaionReceivers"
    assert payload.notifications is not None and payload.notifications.notifications is not None
    setting = payload.notifications.notifications[0]
    assert setting.channels == ["Mail", "Sms"]
    assert setting.notification_receivers is not None
    assert setting.notification_receivers[0].receiver_values == ["1234567890123456", "207712345678901234"]
    # unknown target fields are kept
    assert payload.target is not None and payload.target.model_extra == {"partitionSpec": "ds=$[yyyymmdd-1]"}


def test_given_an_evaluation_task_when_dumped_then_the_wire_typo_is_preserved() -> None:
    wire = decode("DqcCheck/create-data-quality-evaluation-task.json").payload.to_wire()
    setting = wire["notifications"]["notifications"][0]
    assert "notificaionReceivers" in setting and "notificationReceivers" not in setting
    assert wire["runtimeConf"] == {"queue": "default", "timeoutSeconds": 1800}
    assert wire["target"]["partitionSpec"] == "ds=$[yyyymmdd-1]"


def test_given_the_receivers_key_spelt_correctly_then_it_is_accepted_too() -> None:
    doc = sample("DqcCheck/create-data-quality-evaluation-task.json")
    setting = doc["data"]["notifications"]["notifications"][0]
    setting["notificationReceivers"] = setting.pop("notificaionReceivers")
    payload = dwevents.decode_one(json.dumps(doc).encode()).payload
    assert isinstance(payload, EvaluationTaskPayload)
    assert payload.notifications is not None and payload.notifications.notifications is not None
    receivers = payload.notifications.notifications[0].notification_receivers
    assert receivers is not None and receivers[0].receiver_type == "AliUid"


def test_given_runtime_conf_already_an_object_or_broken_text_then_accepted_or_named() -> None:
    rel = "DqcCheck/create-data-quality-evaluation-task.json"
    parsed = decode_changed(rel, runtimeConf={"queue": "q1"}).payload
    assert isinstance(parsed, EvaluationTaskPayload) and parsed.runtime_conf == {"queue": "q1"}
    with pytest.raises(dwevents.DecodeError) as info:
        decode_changed("DqcCheck/create-data-quality-evaluation-task.json", runtimeConf="{queue:")
    assert str(info.value).startswith("data.runtimeConf: expected JSON text")


def test_given_a_clone_when_decoded_then_targets_are_typed() -> None:
    payload = decode("DqcCheck/clone-data-quality-evaluation-task.json").payload
    assert isinstance(payload, EvaluationTaskClonePayload)
    assert payload.id == 80001
    assert payload.targets is not None
    assert [t.table_guid for t in payload.targets] == [
        "odps.sales_prod.dw_sales_weekly",
        "odps.sales_prod.dw_sales_monthly",
    ]


@pytest.mark.parametrize(
    "code",
    ["create-data-quality-evaluation-task-notification", "delete-data-quality-evaluation-task-notification"],
)
def test_given_a_notification_pre_event_when_decoded_then_channel_and_receiver_are_there(code: str) -> None:
    event = decode(f"DqcCheck/{code}.json")
    payload = event.payload
    assert isinstance(payload, EvaluationTaskNotificationPayload)
    assert event.is_extension
    assert payload.data_quality_evaluation_task_id == 80001
    assert payload.channel == "sms" and payload.receiver_value == "207712345678901234"


def test_given_a_notification_update_when_decoded_then_current_and_updated_are_there() -> None:
    payload = decode("DqcCheck/update-data-quality-evaluation-task-notification.json").payload
    assert isinstance(payload, EvaluationTaskNotificationUpdatePayload)
    assert (payload.current_channel, payload.updated_channel) == ("sms", "mail")
    assert payload.updated_receiver_value == "1234567890123456"


def test_given_unknown_fields_in_a_rule_pre_event_then_they_are_kept_and_dumped() -> None:
    rel = "DqcCheck/batch-delete-data-quality-rules.json"
    payload = decode_changed(rel, reason="cleanup", ticket=17).payload
    assert payload.model_extra == {"reason": "cleanup", "ticket": 17}
    assert payload.to_wire()["reason"] == "cleanup"
