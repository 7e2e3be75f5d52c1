"""dwevents.models.facts: one derivation per payload model, the facts of each documented sample, "failed"
decided by the status enums, and the fallback for payloads no derivation knows."""

from __future__ import annotations

import json
import typing
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel

from dwevents import decode_one
from dwevents.catalogue import CATALOGUE
from dwevents.models.base import GenericPayload
from dwevents.models.data_quality import DqCheckStatus
from dwevents.models.facts import Facts, derivation_for, facts_of, generic_facts, label, plain
from dwevents.models.operation_center import DagStatus, InstanceStatus

from ..conftest import decode_sample, load_sample


def _model_classes(model: Any) -> list[type]:
    """The payload classes behind a catalogue model (a class, or an annotated union of them)."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [model]
    return [cls for arg in typing.get_args(model) for cls in _model_classes(arg)]


def _changed(name: str, **data: Any) -> Any:
    doc = load_sample(name)
    doc["data"].update(data)
    return decode_one(json.dumps(doc))


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.event_code)
def test_every_catalogue_model_has_its_own_derivation(spec: Any) -> None:
    # GIVEN each payload class the catalogue can decode to WHEN its derivations are loaded
    for cls in _model_classes(spec.model):
        # THEN a registered derivation covers it (not the generic fallback): a new event type needs facts
        assert derivation_for(cls) is not None, f"{cls.__name__} has no facts derivation"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (
            "InstanceStatusChanges/instance-status-changes",
            {
                "workspace_id": 42,
                "node_id": 700001234,
                "instance_id": 7001,
                "status": InstanceStatus.FAILED,
                "failed": True,
            },
        ),
        (
            "DagStatusChanges/dag-status-changes",
            {
                "workspace_id": 42,
                "workflow_id": 3002,
                "status": DagStatus.FAILED,
                "failed": True,
                "business_date": date(2024, 5, 1),
            },
        ),
        (
            "DqcCheck/dqc-check-finished-event",
            {
                "workspace_id": 42,
                "tables": ("dw_sales_daily",),
                "status": DqCheckStatus.CRITICAL,
                "threshold": "critical",
            },
        ),
        (
            "FileChange/commit-file",
            {"workspace_id": 42, "file_name": "ods_orders_di", "owner": "207947397706614299"},
        ),
        ("NodeChange/freeze-node", {"node_ids": (700001234, 700001235), "operator": "207712345678901234"}),
        ("NodeChange/start-diJob.v2", {"workspace_id": 42, "data_sources": ("mysql_public", "holo_sales")}),
        ("BackfillDataOperate/backfill-data", {"node_id": 700001234, "backfill_days": 31}),
        (
            "ResourcesDownload/download-resources",
            {"workspace_id": 42, "rows": 123456, "workspace_name": "dw_sales"},
        ),
        ("ApprovalChange/approval-change-finished", {"workspace_id": 42, "operator": "analyst.wang"}),
        ("MonitorAlert/workbench-monitor-alert.topic", {"subject": "topic", "object_id": 20001}),
        ("ProjectChange/project-deleted", {"workspace_id": 42, "workspace_name": "dw_sales"}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_given_a_documented_sample_then_its_facts_name_workspace_subject_and_status(
    sample: str, expected: dict[str, Any]
) -> None:
    # GIVEN a documented sample WHEN its facts are derived
    facts = facts_of(decode_sample(sample).payload)
    # THEN each fact is where its model keeps it, whatever the wire name (appId, projectId, queryDwProjectId)
    assert {key: getattr(facts, key) for key in expected} == expected


@pytest.mark.parametrize(
    ("status", "failed"),
    [(5, True), ("5", True), (6, False), (4, False), (99, False)],
    ids=["failed", "failed-as-text", "success", "running", "undocumented"],
)
def test_given_an_instance_status_then_failed_follows_the_enum(status: Any, failed: bool) -> None:
    event = _changed("InstanceStatusChanges/instance-status-changes", status=status)
    assert facts_of(event.payload).failed is failed


def test_given_a_workflow_status_then_failed_follows_the_dag_enum() -> None:
    assert facts_of(_changed("DagStatusChanges/dag-status-changes", status=5).payload).failed is True
    assert facts_of(_changed("DagStatusChanges/dag-status-changes", status=6).payload).failed is False


def test_given_one_payload_when_asked_twice_then_the_same_facts_come_back() -> None:
    payload = decode_sample("FileChange/deploy-file").payload
    assert facts_of(payload) is facts_of(payload)


def test_given_an_empty_string_on_the_wire_then_the_fact_is_absent() -> None:
    # GIVEN the documented sample's "operator": "" WHEN derived
    # THEN no operator (the audit record's "who" falls back to the owner)
    facts = facts_of(decode_sample("InstanceChange/expired-task-instances-deleted").payload)
    assert facts.operator is None and facts.owner == "1234567890123456"


def test_given_an_unknown_payload_then_the_generic_facts_read_the_wire_names() -> None:
    payload = GenericPayload.model_validate({"projectId": 7, "operator": "someone", "tenantId": 3})
    assert (
        facts_of(payload) == generic_facts(payload) == Facts(workspace_id=7, tenant_id=3, operator="someone")
    )


def test_plain_and_label_show_enum_members_by_name() -> None:
    assert plain(InstanceStatus.FAILED) == "FAILED" and plain((1, 2)) == [1, 2]
    assert label((700001234, 700001235)) == "700001234, 700001235" and label(()) is None


def test_given_facts_built_from_a_few_names_then_they_behave_as_the_dataclass() -> None:
    """GIVEN Facts built with a few names, THEN the rest read their defaults, empty text is absent,
    an unknown name is a TypeError, and equality, hashing, replace() and immutability hold."""
    import dataclasses

    facts = Facts(workspace_id=42, operator="", node_ids=(1, 2))
    assert facts.operator is None and facts.tables == () and facts.failed is False
    assert facts == Facts(workspace_id=42, node_ids=(1, 2)) != Facts(workspace_id=43)
    assert hash(facts) == hash(Facts(workspace_id=42, node_ids=(1, 2)))
    assert dataclasses.replace(facts, operator="ana").operator == "ana"
    assert dataclasses.asdict(facts)["workspace_id"] == 42
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.workspace_id = 1  # type: ignore[misc]
    with pytest.raises(TypeError, match="nodes"):
        Facts(nodes=(1,))  # type: ignore[call-arg]
