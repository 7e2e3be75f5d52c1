"""The catalogue against the DataWorks event list and against the sample events in events/.

The event list: "Development Reference: Event List and Message Format"
(https://www.alibabacloud.com/help/en/dataworks/user-guide/formats-of-event-messages-sent-to-eventbridge),
its Chinese original and the zh/tc-only ReviewFile.

* all 52 documented ``type`` strings are present, with the documented eventCode, module and kind;
* lookup: ``type`` wins, ``eventCode`` is the fallback, both case-insensitively last; aliases;
* kind / reply API consistency; every ``model_ref`` resolves;
* every entry has a sample, every sample decodes to the entry its file name names, sample ids are unique.
"""

from __future__ import annotations

import json
import re
import typing
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from dwevents.catalogue import (
    BY_CODE,
    BY_TYPE,
    CATALOGUE,
    CATEGORIES,
    EventSpec,
    Kind,
    Level,
    Module,
    ReplyApi,
    lookup,
    specs_for_category,
)
from dwevents.envelope import DataWorksEvent, decode, decode_batch
from dwevents.errors import DecodeError
from dwevents.models.base import WireModel

EVENTS = Path(__file__).parents[1] / "events"

# The event list's 51 types (English page) + ReviewFile (zh/tc pages only), with the eventCode, module
# and kind of its per-module tables (E = extension point, R = regular, B = both).
DS, DI, OC, SC, DQ, CO, UD = (
    Module.DATA_STUDIO,
    Module.DATA_INTEGRATION,
    Module.OPERATION_CENTER,
    Module.SECURITY_CENTER,
    Module.DATA_QUALITY,
    Module.CONSOLE,
    Module.UPLOAD_DOWNLOAD,
)
REFERENCE: list[tuple[str, str, Module, str]] = [
    ("dataworks:NodeChange:NodeChangeCreated", "node-change-created", DS, "R"),
    ("dataworks:NodeChange:NodeChangeUpdated", "node-change-updated", DS, "R"),
    ("dataworks:NodeChange:NodeChangeDeleted", "node-change-deleted", OC, "R"),
    ("dataworks:NodeChange:UndeployNode", "undeploy-node", OC, "E"),
    ("dataworks:NodeChange:FreezeNode", "freeze-node", OC, "E"),
    ("dataworks:NodeChange:UnFreezeNode", "unfreeze-node", OC, "E"),
    ("dataworks:NodeChange:StartDiJob", "start-diJob", DI, "E"),
    ("dataworks:NodeChange:BatchStartDiJob", "batch-start-diJob", DI, "E"),
    ("dataworks:FileChange:DeleteFile", "delete-file", DS, "B"),
    ("dataworks:FileChange:CommitFile", "commit-file", DS, "B"),
    ("dataworks:FileChange:DeployFile", "deploy-file", DS, "B"),
    ("dataworks:FileChange:RunFile", "run-file", DS, "E"),
    ("dataworks:FileChange:ReviewFile", "review-file", DS, "R"),  # zh/tc only; code and kind inferred
    ("dataworks:TableChange:CommitTable", "commit-table", DS, "E"),
    ("dataworks:TableChange:DeployTable", "deploy-table", DS, "E"),
    ("dataworks:BackfillDataOperate:BackfillData", "backfill-data", OC, "E"),
    ("dataworks:InstanceStatusChanges:InstanceStatusChanges", "instance-status-changes", OC, "R"),
    ("dataworks:InstanceChange:FreezeInstance", "freeze-instance", OC, "R"),
    ("dataworks:InstanceChange:UnfreezeInstance", "unfreeze-instance", OC, "R"),
    ("dataworks:InstanceChange:KillInstance", "kill-instance", OC, "R"),
    ("dataworks:InstanceChange:RerunInstance", "rerun-instance", OC, "R"),
    ("dataworks:InstanceChange:SetInstanceSuccess", "set-instance-success", OC, "R"),
    ("dataworks:InstanceChange:DeleteTaskInstanceDependencies", "delete-task-instance-dependencies", OC, "R"),
    ("dataworks:InstanceChange:PreFreezeInstance", "pre-freeze-instance", OC, "E"),
    ("dataworks:InstanceChange:PreUnfreezeInstance", "pre-unfreeze-instance", OC, "E"),
    ("dataworks:InstanceChange:PreRerunInstance", "pre-rerun-instance", OC, "E"),
    ("dataworks:InstanceChange:PreSetInstanceSuccess", "pre-set-instance-success", OC, "E"),
    ("dataworks:InstanceChange:PreKillInstance", "pre-kill-instance", OC, "E"),
    ("dataworks:InstanceChange:ExpiredTaskInstancesDeleted", "expired-task-instances-deleted", OC, "R"),
    ("dataworks:DagStatusChanges:DagStatusChanges", "dag-status-changes", OC, "R"),
    ("dataworks:MonitorAlert:WorkbenchMonitorAlert", "workbench-monitor-alert", OC, "R"),
    ("dataworks:ApprovalChange:ApprovalChangeCreated", "approval-change-created", SC, "E"),
    ("dataworks:ApprovalChange:ApprovalChangeFinished", "approval-change-finished", SC, "R"),
    ("dataworks:ApprovalChange:ApprovalChangeBeforeCreate", "approval-change-before-create", SC, "E"),
    ("dataworks:DqcCheck:DqcCheckFeedbackEvent", "dqc-check-feedback-event", DQ, "R"),
    ("dataworks:DqcCheck:DqcCheckFinishedEvent", "dqc-check-finished-event", DQ, "R"),
    ("dataworks:DqcCheck:BatchCreateDataQualityRules", "batch-create-data-quality-rules", DQ, "E"),
    ("dataworks:DqcCheck:BatchUpdateDataQualityRules", "batch-update-data-quality-rules", DQ, "E"),
    ("dataworks:DqcCheck:BatchDeleteDataQualityRules", "batch-delete-data-quality-rules", DQ, "E"),
    ("dataworks:DqcCheck:UpdateDataQualityRule", "update-data-quality-rule", DQ, "E"),
    ("dataworks:DqcCheck:CreateDataQualityEvaluationTask", "create-data-quality-evaluation-task", DQ, "E"),
    ("dataworks:DqcCheck:UpdateDataQualityEvaluationTask", "update-data-quality-evaluation-task", DQ, "E"),
    ("dataworks:DqcCheck:CloneDataQualityEvaluationTask", "clone-data-quality-evaluation-task", DQ, "E"),
    (
        "dataworks:DqcCheck:BatchDeleteDataQualityEvaluationTasks",
        "batch-delete-data-quality-evaluation-tasks",
        DQ,
        "E",
    ),
    (
        "dataworks:DqcCheck:CreateDataQualityEvaluationTaskNotification",
        "create-data-quality-evaluation-task-notification",
        DQ,
        "E",
    ),
    (
        "dataworks:DqcCheck:UpdateDataQualityEvaluationTaskNotification",
        "update-data-quality-evaluation-task-notification",
        DQ,
        "E",
    ),
    (
        "dataworks:DqcCheck:DeleteDataQualityEvaluationTaskNotification",
        "delete-data-quality-evaluation-task-notification",
        DQ,
        "E",
    ),
    ("dataworks:ProjectChange:DeleteProject", "delete-project", CO, "E"),
    ("dataworks:ProjectChange:ProjectDeleted", "project-deleted", CO, "R"),
    ("dataworks:ResourcesDownload:DownloadResources", "download-resources", UD, "E"),
    ("dataworks:ResourcesDownload:DownloadResourcesExecute", "download-resources-execute", UD, "E"),
    ("dataworks:ResourcesUpload:UploadDataToTable", "upload-data-to-table", UD, "E"),
]
KINDS = {"E": Kind.EXTENSION, "R": Kind.REGULAR, "B": Kind.BOTH}
#: Operation Center extension points answered through UpdateWorkbenchEventResult (the event list's
#: Operation Center table and the UpdateWorkbenchEventResult API page).
WORKBENCH_TYPES = {
    "dataworks:NodeChange:UndeployNode",
    "dataworks:NodeChange:FreezeNode",
    "dataworks:NodeChange:UnFreezeNode",
    "dataworks:BackfillDataOperate:BackfillData",
}
BOTH_CODES = {"delete-file", "commit-file", "deploy-file"}


def _spec_id(spec: EventSpec) -> str:
    return spec.event_code


def category_sample_files() -> list[Path]:
    """events/<Category>/<event-code>[.variant].json — Category directories are CamelCase."""
    return sorted(p for p in EVENTS.glob("*/*.json") if p.parent.name[:1].isupper())


def fc_direct_sample_files() -> list[Path]:
    return sorted((EVENTS / "fc-direct").glob("*.json"))


def batch_sample_files() -> list[Path]:
    return sorted((EVENTS / "batch").glob("*.json"))


def code_of(path: Path) -> str:
    """The event code a sample file claims: its name before the first dot."""
    return path.name.split(".", 1)[0]


def _rel(path: Path) -> str:
    return str(path.relative_to(EVENTS))


# --------------------------------------------------------------------------------------------
# The catalogue against the event list
# --------------------------------------------------------------------------------------------


def test_given_the_reference_list_when_compared_then_all_52_types_and_nothing_else() -> None:
    # GIVEN the 52 type strings of the event list WHEN compared with the catalogue
    reference_types = [row[0] for row in REFERENCE]
    assert len(reference_types) == len(set(reference_types)) == 52
    # THEN every documented type is present and the catalogue invents none
    assert sorted(spec.type for spec in CATALOGUE) == sorted(reference_types)
    assert len(CATALOGUE) == len(BY_TYPE) == 52


@pytest.mark.parametrize(("type_", "code", "module", "kind"), REFERENCE, ids=[row[1] for row in REFERENCE])
def test_given_a_documented_type_when_looked_up_then_documented_code_module_and_kind(
    type_: str, code: str, module: Module, kind: str
) -> None:
    # GIVEN one row of the reference tables WHEN its spec is read
    spec = BY_TYPE[type_]
    # THEN eventCode, module and kind are the documented ones
    assert (spec.event_code, spec.module, spec.kind) == (code, module, KINDS[kind])
    assert BY_CODE[code] is spec


def test_given_every_spec_when_checked_then_type_and_code_follow_the_naming_rules() -> None:
    # GIVEN "dataworks:{Category}:{Action}" and kebab-case eventCodes (the diJob capital J is documented)
    for spec in CATALOGUE:
        assert re.fullmatch(r"dataworks:[A-Z][A-Za-z]+:[A-Z][A-Za-z]+", spec.type), spec.type
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", spec.event_code.replace("diJob", "dijob")), spec.event_code
        # THEN the category is the middle segment and the title is filled in
        assert spec.category == spec.type.split(":")[1]
        assert spec.title


def test_given_every_spec_when_checked_then_codes_and_aliases_are_unique() -> None:
    # GIVEN every eventCode and alias, case-folded WHEN counted THEN each names exactly one spec
    keys = [spec.event_code.lower() for spec in CATALOGUE] + [a.lower() for s in CATALOGUE for a in s.aliases]
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    folded_types = Counter(spec.type.lower() for spec in CATALOGUE)
    assert [k for k, n in folded_types.items() if n > 1] == []


def test_given_the_modules_when_checked_then_tenant_level_only_for_console_and_upload_download() -> None:
    # GIVEN every spec WHEN its level is read THEN tenant level exactly for Console and Upload & Download
    for spec in CATALOGUE:
        expected = Level.TENANT if spec.module in (CO, UD) else Level.WORKSPACE
        assert spec.level is expected, spec.type


def test_given_categories_when_listed_then_each_has_its_specs_in_catalogue_order() -> None:
    # GIVEN CATEGORIES WHEN each is expanded THEN together they are the catalogue, nothing lost or doubled
    assert len(CATEGORIES) == len(set(CATEGORIES)) == 13
    expanded = [spec for category in CATEGORIES for spec in specs_for_category(category)]
    assert sorted(s.type for s in expanded) == sorted(s.type for s in CATALOGUE)
    assert specs_for_category("NoSuchCategory") == ()


# --------------------------------------------------------------------------------------------
# kind / reply API consistency
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
def test_given_a_spec_when_kind_and_reply_api_compared_then_consistent(spec: EventSpec) -> None:
    # GIVEN one spec
    # THEN extension ⇒ a reply API through the cloud API; regular ⇒ none;
    # BOTH only for delete/commit/deploy-file
    if spec.kind is Kind.REGULAR:
        assert spec.reply_api is None and not spec.is_extension
    else:
        assert spec.is_extension
        assert spec.reply_api is not None and spec.reply_api is not ReplyApi.RETURN
    assert (spec.kind is Kind.BOTH) is (spec.event_code in BOTH_CODES)


@pytest.mark.parametrize("spec", [s for s in CATALOGUE if s.is_extension], ids=_spec_id)
def test_given_an_extension_spec_when_reply_api_read_then_the_documented_or_inferred_api(
    spec: EventSpec,
) -> None:
    # GIVEN an extension point
    # THEN Data Studio answers UpdateIDEEventResult, Operation Center node/backfill
    # UpdateWorkbenchEventResult, the rest CallbackExtension — always marked inferred, with a note
    if spec.module is DS:
        assert spec.reply_api is ReplyApi.UPDATE_IDE_EVENT_RESULT
    elif spec.type in WORKBENCH_TYPES:
        assert spec.reply_api is ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT
    else:
        assert spec.reply_api is ReplyApi.CALLBACK_EXTENSION
        assert spec.inferred and "CallbackExtension" in spec.note


@pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
def test_given_a_spec_when_as_dict_then_plain_values(spec: EventSpec) -> None:
    # GIVEN a spec WHEN exported THEN JSON-ready values that say the same thing
    exported = spec.as_dict()
    assert json.loads(json.dumps(exported)) == exported
    assert (exported["type"], exported["category"], exported["kind"]) == (
        spec.type,
        spec.category,
        spec.kind.value,
    )
    assert exported["reply_api"] == (spec.reply_api.value if spec.reply_api else None)


# --------------------------------------------------------------------------------------------
# model_ref resolves
# --------------------------------------------------------------------------------------------


def _members(model: Any) -> list[Any]:
    origin = typing.get_origin(model)
    if origin is typing.Annotated:
        return _members(typing.get_args(model)[0])
    if origin is typing.Union or type(model).__name__ == "UnionType":
        return [m for arg in typing.get_args(model) for m in _members(arg)]
    return [model]


@pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
def test_given_a_model_ref_when_resolved_then_a_wire_model_or_a_union_of_them(spec: EventSpec) -> None:
    # GIVEN "module:Class" WHEN resolved
    model = spec.model
    # THEN a WireModel subclass, or a union whose members all are, and pydantic can build a validator for it
    members = _members(model)
    assert members, spec.model_ref
    for member in members:
        assert isinstance(member, type) and issubclass(member, WireModel), (spec.model_ref, member)
        assert issubclass(member, BaseModel)
    TypeAdapter(model)
    # AND an empty payload is a valid instance (tolerant reader: all fields optional)
    assert isinstance(TypeAdapter(model).validate_python({}), WireModel)


# --------------------------------------------------------------------------------------------
# lookup
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
def test_given_a_type_or_a_code_when_looked_up_then_the_same_spec(spec: EventSpec) -> None:
    # GIVEN a spec WHEN looked up by type, by eventCode, by both THEN the spec itself
    assert lookup(spec.type) is spec
    assert lookup(None, spec.event_code) is spec
    assert lookup(event_code=spec.event_code) is spec
    assert lookup(spec.type, spec.event_code) is spec
    # AND in any case spelling
    assert lookup(spec.type.upper()) is spec and lookup(spec.type.lower()) is spec
    assert lookup(None, spec.event_code.upper()) is spec


def test_given_type_and_code_disagree_when_looked_up_then_type_wins() -> None:
    # GIVEN the commit-file type and the run-file code WHEN looked up THEN commit-file
    assert lookup("dataworks:FileChange:CommitFile", "run-file") is BY_TYPE["dataworks:FileChange:CommitFile"]


def test_given_an_unknown_type_and_a_known_code_when_looked_up_then_the_code_decides() -> None:
    assert lookup("dataworks:FileChange:CommitFileV2", "commit-file") is BY_CODE["commit-file"]
    assert lookup("", "commit-file") is BY_CODE["commit-file"]


def test_given_an_exact_code_and_a_case_variant_type_when_looked_up_then_exact_matches_come_first() -> None:
    # GIVEN a type that only matches case-insensitively and an eventCode that matches exactly
    # WHEN looked up THEN the documented order: exact type, exact code, folded type, folded code
    assert lookup("dataworks:filechange:commitfile", "run-file") is BY_CODE["run-file"]
    assert lookup("dataworks:filechange:commitfile", "RUN-FILE") is BY_CODE["commit-file"]


@pytest.mark.parametrize(
    ("type_", "code", "expected"),
    [
        ("dataworks:NodeChange:UnfreezeNode", None, "dataworks:NodeChange:UnFreezeNode"),
        ("dataworks:NodeChange:UnFreezeNode", None, "dataworks:NodeChange:UnFreezeNode"),
        ("dataworks:InstanceChange:UnFreezeInstance", None, "dataworks:InstanceChange:UnfreezeInstance"),
        ("dataworks:InstanceChange:UnfreezeInstance", None, "dataworks:InstanceChange:UnfreezeInstance"),
        (None, "start-dijob", "dataworks:NodeChange:StartDiJob"),
        (None, "start-diJob", "dataworks:NodeChange:StartDiJob"),
        (None, "batch-start-dijob", "dataworks:NodeChange:BatchStartDiJob"),
        (None, "Batch-Start-DiJob", "dataworks:NodeChange:BatchStartDiJob"),
        ("dataworks:nodechange:startdijob", None, "dataworks:NodeChange:StartDiJob"),
        (None, "approval-create-before", "dataworks:ApprovalChange:ApprovalChangeBeforeCreate"),
        (None, "APPROVAL-CREATE-BEFORE", "dataworks:ApprovalChange:ApprovalChangeBeforeCreate"),
    ],
)
def test_given_an_irregular_spelling_when_looked_up_then_the_documented_entry(
    type_: str | None, code: str | None, expected: str
) -> None:
    # GIVEN the documented irregularities (UnFreezeNode vs UnfreezeInstance, start-diJob) and their variants
    # WHEN looked up THEN the documented entry
    assert lookup(type_, code) is BY_TYPE[expected]


@pytest.mark.parametrize(
    ("type_", "code"),
    [
        (None, None),
        ("", ""),
        ("dataworks:Foo:Bar", None),
        (None, "no-such-event"),
        ("dataworks:Foo:Bar", "nope"),
        ("NodeChangeCreated", None),
        ("node-change-created", None),
        (None, "dataworks:NodeChange:NodeChangeCreated"),
        (" dataworks:NodeChange:NodeChangeCreated", None),
    ],
)
def test_given_an_unknown_key_when_looked_up_then_none(type_: str | None, code: str | None) -> None:
    # GIVEN keys that are not in the catalogue (or in the wrong slot) WHEN looked up THEN None, no guessing
    assert lookup(type_, code) is None


# --------------------------------------------------------------------------------------------
# Samples
# --------------------------------------------------------------------------------------------


def _samples_for(spec: EventSpec) -> list[Path]:
    files = category_sample_files() + fc_direct_sample_files()
    return [p for p in files if code_of(p) == spec.event_code]


@pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
def test_given_a_catalogue_entry_when_samples_listed_then_at_least_one(spec: EventSpec) -> None:
    # GIVEN one entry WHEN events/ is searched for <event-code>[.variant].json THEN there is a sample
    expected = f"events/{spec.category}/{spec.event_code}.json"
    assert _samples_for(spec), f"missing sample for {spec.type}: expected {expected}"


@pytest.mark.parametrize("path", category_sample_files(), ids=_rel)
def test_given_a_category_sample_when_decoded_then_the_entry_its_file_name_names(path: Path) -> None:
    # GIVEN events/<Category>/<event-code>[.variant].json
    assert code_of(path) in BY_CODE, f"{_rel(path)}: file name names no catalogue eventCode"
    spec = BY_CODE[code_of(path)]
    # WHEN decoded
    event = decode(path.read_bytes())
    # THEN one CloudEvent of exactly that entry, filed under its category
    assert len(event) == 1
    e = event[0]
    assert e.delivery == "cloudevent"
    assert e.spec is spec
    assert path.parent.name == spec.category == e.category
    assert e.type == spec.type and json.loads(path.read_bytes())["type"] == spec.type
    assert e.kind is spec.kind and e.is_extension is spec.is_extension
    assert e.reply_api is (spec.reply_api if spec.is_extension else None)
    assert e.source == "acs.dataworks"
    assert isinstance(e.payload, WireModel) and type(e.payload).__name__ != "GenericPayload"


@pytest.mark.parametrize("path", fc_direct_sample_files(), ids=_rel)
def test_given_an_fc_direct_sample_when_decoded_then_its_entry_answered_by_return(path: Path) -> None:
    # GIVEN events/fc-direct/<event-code>.json WHEN decoded
    spec = BY_CODE.get(code_of(path))
    assert spec is not None, f"{_rel(path)}: file name names no catalogue eventCode"
    [event] = decode(path.read_bytes())
    # THEN an FC-direct extension message of that entry; the verdict is the return value
    assert event.delivery == "fc-direct" and event.spec is spec
    assert event.is_extension and event.reply_api is ReplyApi.RETURN
    assert event.block_business is not None and event.event_category_type


@pytest.mark.parametrize("path", batch_sample_files(), ids=_rel)
def test_given_a_batch_sample_when_decoded_then_every_element_decodes(path: Path) -> None:
    # GIVEN events/batch/*.json WHEN decoded element by element
    results = decode_batch(path.read_bytes())
    # THEN more than one element and no element fails
    assert len(results) > 1
    assert [str(r) for r in results if isinstance(r, DecodeError)] == []


def test_given_the_samples_directory_when_listed_then_only_known_layouts() -> None:
    # GIVEN events/ WHEN its JSON files are listed
    # THEN each sits in a catalogue category, in fc-direct/ or in batch/ (a typo in a folder hides a sample)
    allowed = set(CATEGORIES) | {"fc-direct", "batch"}
    stray = [
        _rel(p) for p in EVENTS.rglob("*.json") if p.parent.parent != EVENTS or p.parent.name not in allowed
    ]
    assert stray == []


def _all_sample_events() -> list[tuple[str, DataWorksEvent]]:
    out: list[tuple[str, DataWorksEvent]] = []
    for path in sorted(EVENTS.rglob("*.json")):
        for result in decode_batch(path.read_bytes()):
            if isinstance(result, DataWorksEvent):
                out.append((_rel(path), result))
    return out


def test_given_every_sample_when_message_ids_collected_then_unique() -> None:
    # GIVEN every event in events/ (batches element by element)
    events = _all_sample_events()
    # WHEN their message ids are counted
    seen: dict[str, list[str]] = {}
    for rel, event in events:
        seen.setdefault(event.message_id, []).append(rel)
    # THEN no id is used twice (the idempotency store would swallow the second as a duplicate)
    duplicates = {mid: files for mid, files in seen.items() if len(files) > 1}
    assert duplicates == {}
    assert len(events) >= len(CATALOGUE)
