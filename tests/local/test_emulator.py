"""The local EventBridge: every sample reaches the right function through s.yaml's rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dwevents.catalogue import ReplyApi, lookup
from dwevents.local.emulator import LocalBus

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
CATEGORY_SAMPLES = sorted(p for p in EVENTS.glob("*/*.json") if p.parent.name not in ("fc-direct", "batch"))


@pytest.fixture(scope="module")
def bus() -> Iterator[LocalBus]:
    with LocalBus(ROOT / "s.yaml") as local_bus:
        yield local_bus


def _function_of(category: str, bus: LocalBus) -> str:
    [fn] = [f.name for f in bus.functions if f.category == category]
    return fn


@pytest.mark.parametrize("path", CATEGORY_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_given_a_sample_when_invoked_locally_then_exactly_its_categorys_function_runs_it(
    path: Path, bus: LocalBus
) -> None:
    [report] = bus.invoke_bytes(path.read_bytes(), source_file=str(path))
    spec = lookup(report.type, None)
    assert spec is not None
    assert report.functions == [_function_of(spec.category, bus)]
    assert report.outcome in ("processed", "duplicate"), report.error
    assert report.actions and report.actions[0]["action"] in ("audit", "skip")
    if spec.is_extension:
        assert report.verdict is not None and report.verdict.result in ("OK", "WARN", "FAIL")
        assert report.verdict.api is spec.reply_api
        assert report.verdict.acknowledged is True
    else:
        assert report.verdict is None


def test_given_the_json_contract_then_each_report_has_the_documented_keys(bus: LocalBus) -> None:
    path = EVENTS / "ProjectChange" / "delete-project.json"
    doc = bus.invoke_bytes(path.read_bytes())[0].as_dict()
    assert {"message_id", "type", "functions", "outcome", "actions", "verdict"} <= set(doc)
    assert set(doc["verdict"]) >= {"result", "api", "tip"}


def test_given_an_fc_direct_message_then_it_goes_straight_to_its_function_and_returns_the_verdict(
    bus: LocalBus,
) -> None:
    path = EVENTS / "fc-direct" / "download-resources.json"
    [report] = bus.invoke_bytes(path.read_bytes())
    assert report.functions == [_function_of("ResourcesDownload", bus)]
    assert report.verdict is not None and report.verdict.api is ReplyApi.RETURN
    assert report.returned["checkResult"] == report.verdict.result.value


def test_given_the_documented_fc_direct_upload_sample_then_it_is_routed_by_its_event_type(
    bus: LocalBus,
) -> None:
    # GIVEN the FC-direct upload sample (its eventType names the upload event)
    path = EVENTS / "fc-direct" / "upload-data-to-table.json"
    # WHEN invoked locally THEN ResourcesUpload answers it by return value (it was reported unrouted before)
    [report] = bus.invoke_bytes(path.read_bytes())
    assert report.functions == [_function_of("ResourcesUpload", bus)]
    assert report.outcome == "processed", report.error
    assert report.verdict is not None and report.returned["checkResult"] == report.verdict.result.value


def test_given_a_batch_array_then_it_is_delivered_as_one_batch_and_reported_per_event(bus: LocalBus) -> None:
    path = EVENTS / "batch" / "instance-status-changes.batch.json"
    reports = bus.invoke_bytes(path.read_bytes())
    ids = [e["id"] for e in json.loads(path.read_text())]
    assert [r.message_id for r in reports] == ids
    assert all(r.outcome in ("processed", "duplicate") for r in reports)


def test_given_an_event_no_rule_matches_then_it_is_reported_unrouted_not_an_error(bus: LocalBus) -> None:
    event: dict[str, Any] = {
        "id": "x",
        "source": "acs.oss",
        "type": "oss:ObjectCreated:PutObject",
        "data": {},
    }
    [report] = bus.invoke_bytes(json.dumps(event).encode())
    assert report.outcome == "unrouted" and report.functions == []


def test_given_an_extension_point_then_the_stand_in_received_exactly_one_verdict(bus: LocalBus) -> None:
    event = json.loads((EVENTS / "NodeChange" / "freeze-node.json").read_text())
    event["id"] = "freeze-node-once"
    bus.invoke_bytes(json.dumps(event).encode())
    bus.invoke_bytes(json.dumps(event).encode())  # a duplicate re-sends the stored verdict
    received = [v for v in bus.dataworks.verdicts if v.message_id == "freeze-node-once"]
    assert [v.action for v in received] == ["UpdateWorkbenchEventResult"] * 2
    assert received[0].check_result == received[1].check_result
