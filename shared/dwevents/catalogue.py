"""The ONE table: EventBridge type ↔ eventCode ↔ module ↔ category ↔ level ↔ kind ↔ reply API ↔ model.

Everything else derives from it: decoding (payload model), routing (category → function), the reply
transport, the sample events, and the EventBridge rules in ``s.yaml``.

Facts come from the DataWorks page "Development Reference: Event List and Message Format"
(https://www.alibabacloud.com/help/en/dataworks/user-guide/formats-of-event-messages-sent-to-eventbridge;
Chinese original https://help.aliyun.com/zh/dataworks/user-guide/formats-of-event-messages-sent-to-eventbridge).
Where the docs are silent, the choice is marked ``inferred`` with the reason in ``note``: the reply API
for Data Integration, Data Quality, Security Center, instance pre-events and the tenant-level events is
CallbackExtension by elimination (documented for neither of the two specific APIs);
``dataworks:FileChange:ReviewFile`` exists only in the zh/tc pages, its eventCode ``review-file`` follows
the kebab-case rule and it is treated as a regular event.

FC-direct (``fc_direct``): DataWorks can invoke a Function Compute function itself, without EventBridge,
with a ``messageId`` / ``messageBody`` / ``eventType`` message and read the verdict from the return value.
The docs disagree on which events go that way: "Develop and deploy extensions based on Function Compute"
(https://www.alibabacloud.com/help/en/dataworks/user-guide/develop-and-deploy-a-custom-extension) says
"Extensions deployed on Function Compute currently support only the pre-event for data download", while
the event list's own "Function Compute message format" sample is the upload event
(``"eventType": "upload-data-to-table"``). Both are marked; the file-download pre-event
(``download-resources-execute``) is not, as no page shows it on that path.

Payload models are referenced by name (``module:Class``) and imported on first use so a function
only pays for the models of its own category at cold start.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any


class Kind(str, Enum):
    """Whether DataWorks waits for an answer (extension point), only informs (regular), or both."""

    EXTENSION = "extension"
    REGULAR = "regular"
    BOTH = "both"


class Level(str, Enum):
    """Tenant-level events go to the default bus; workspace-level ones to the OpenEvent custom bus."""

    TENANT = "tenant"
    WORKSPACE = "workspace"


class ReplyApi(str, Enum):
    """How a verdict goes back to DataWorks."""

    UPDATE_IDE_EVENT_RESULT = "UpdateIDEEventResult"
    UPDATE_WORKBENCH_EVENT_RESULT = "UpdateWorkbenchEventResult"
    CALLBACK_EXTENSION = "CallbackExtension"
    #: FC-direct path: DataWorks invokes the function and reads the return value.
    RETURN = "return"


class Module(str, Enum):
    DATA_STUDIO = "DataStudio"
    DATA_INTEGRATION = "DataIntegration"
    OPERATION_CENTER = "OperationCenter"
    SECURITY_CENTER = "SecurityCenter"
    DATA_QUALITY = "DataQuality"
    CONSOLE = "Console"
    UPLOAD_DOWNLOAD = "UploadDownload"


@dataclass(frozen=True)
class EventSpec:
    """One documented DataWorks event type."""

    type: str
    event_code: str
    module: Module
    level: Level
    kind: Kind
    reply_api: ReplyApi | None
    model_ref: str
    title: str
    inferred: bool = False
    note: str = ""
    aliases: tuple[str, ...] = field(default=())
    #: DataWorks may also deliver it FC-direct (see the module docstring for the docs' disagreement).
    fc_direct: bool = False

    @property
    def category(self) -> str:
        """Middle segment of ``type``: the FC function that handles it."""
        return self.type.split(":")[1]

    @property
    def is_extension(self) -> bool:
        return self.kind in (Kind.EXTENSION, Kind.BOTH)

    @cached_property
    def model(self) -> Any:
        """The payload model (a pydantic model class, or a Union of them for several shapes)."""
        module_name, _, attr = self.model_ref.partition(":")
        return getattr(importlib.import_module(f"dwevents.models.{module_name}"), attr)

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "event_code": self.event_code,
            "module": self.module.value,
            "category": self.category,
            "level": self.level.value,
            "kind": self.kind.value,
            "reply_api": self.reply_api.value if self.reply_api else None,
            "model": self.model_ref,
            "title": self.title,
            "inferred": self.inferred,
            "note": self.note,
            "fc_direct": self.fc_direct,
        }


W, T = Level.WORKSPACE, Level.TENANT
E, R, B = Kind.EXTENSION, Kind.REGULAR, Kind.BOTH
IDE, WB, CB = ReplyApi.UPDATE_IDE_EVENT_RESULT, ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, ReplyApi.CALLBACK_EXTENSION
DS, DI, OC = Module.DATA_STUDIO, Module.DATA_INTEGRATION, Module.OPERATION_CENTER
SC, DQ, CO, UD = Module.SECURITY_CENTER, Module.DATA_QUALITY, Module.CONSOLE, Module.UPLOAD_DOWNLOAD

_CB_NOTE = "reply API inferred: CallbackExtension is the generic callback (docs name no API for this module)"
_FC_NOTE = "; on the FC-direct path the return value answers"

_ENTRIES: tuple[EventSpec, ...] = (
    # -- Data Studio (workspace) ---------------------------------------------------------------
    EventSpec("dataworks:NodeChange:NodeChangeCreated", "node-change-created", DS, W, R, None,
              "datastudio:NodeChangePayload", "Node created (deployed to production)"),
    EventSpec("dataworks:NodeChange:NodeChangeUpdated", "node-change-updated", DS, W, R, None,
              "datastudio:NodeChangePayload", "Node updated", inferred=True),
    EventSpec("dataworks:FileChange:DeleteFile", "delete-file", DS, W, B, IDE,
              "datastudio:FileOperationPayload", "File deletion (pre-event)"),
    EventSpec("dataworks:FileChange:CommitFile", "commit-file", DS, W, B, IDE,
              "datastudio:FileChangePayload", "File commit (pre-event)"),
    EventSpec("dataworks:FileChange:DeployFile", "deploy-file", DS, W, B, IDE,
              "datastudio:FileChangePayload", "File deployment (pre-event)"),
    EventSpec("dataworks:FileChange:RunFile", "run-file", DS, W, E, IDE,
              "datastudio:FileOperationPayload", "Code run (pre-event)"),
    EventSpec("dataworks:FileChange:ReviewFile", "review-file", DS, W, R, None,
              "datastudio:FileReviewPayload", "Node code review", inferred=True,
              note="zh/tc docs only; eventCode and kind not documented"),
    EventSpec("dataworks:TableChange:CommitTable", "commit-table", DS, W, E, IDE,
              "datastudio:TableChangePayload", "Table commit (pre-event)"),
    EventSpec("dataworks:TableChange:DeployTable", "deploy-table", DS, W, E, IDE,
              "datastudio:TableChangePayload", "Table deployment (pre-event)"),
    # -- Data Integration (workspace) ----------------------------------------------------------
    EventSpec("dataworks:NodeChange:StartDiJob", "start-diJob", DI, W, E, CB,
              "dataintegration:StartDiJobPayload", "Start a Data Integration job (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:NodeChange:BatchStartDiJob", "batch-start-diJob", DI, W, E, CB,
              "dataintegration:BatchStartDiJobPayload", "Batch start Data Integration jobs (pre-event)",
              inferred=True, note=_CB_NOTE),
    # -- Operation Center (workspace) ----------------------------------------------------------
    EventSpec("dataworks:NodeChange:NodeChangeDeleted", "node-change-deleted", OC, W, R, None,
              "datastudio:NodeChangePayload", "Node deleted (undeployed)"),
    EventSpec("dataworks:NodeChange:UndeployNode", "undeploy-node", OC, W, E, WB,
              "operation_center:NodeOperationPayload", "Node undeploy (pre-event)"),
    EventSpec("dataworks:NodeChange:FreezeNode", "freeze-node", OC, W, E, WB,
              "operation_center:NodeOperationPayload", "Node freeze (pre-event)"),
    EventSpec("dataworks:NodeChange:UnFreezeNode", "unfreeze-node", OC, W, E, WB,
              "operation_center:NodeOperationPayload", "Node unfreeze (pre-event)"),
    EventSpec("dataworks:BackfillDataOperate:BackfillData", "backfill-data", OC, W, E, WB,
              "operation_center:BackfillDataPayload", "Backfill data (pre-event)", inferred=True),
    EventSpec("dataworks:InstanceStatusChanges:InstanceStatusChanges", "instance-status-changes", OC, W, R,
              None, "operation_center:InstanceStatusChangesPayload", "Instance status changed"),
    EventSpec("dataworks:InstanceChange:FreezeInstance", "freeze-instance", OC, W, R, None,
              "operation_center:InstanceChangePayload", "Instance frozen"),
    EventSpec("dataworks:InstanceChange:UnfreezeInstance", "unfreeze-instance", OC, W, R, None,
              "operation_center:InstanceChangePayload", "Instance unfrozen"),
    EventSpec("dataworks:InstanceChange:KillInstance", "kill-instance", OC, W, R, None,
              "operation_center:InstanceChangePayload", "Instance terminated"),
    EventSpec("dataworks:InstanceChange:RerunInstance", "rerun-instance", OC, W, R, None,
              "operation_center:InstanceChangePayload", "Instance rerun"),
    EventSpec("dataworks:InstanceChange:SetInstanceSuccess", "set-instance-success", OC, W, R, None,
              "operation_center:InstanceChangePayload", "Instance set to succeeded"),
    EventSpec("dataworks:InstanceChange:DeleteTaskInstanceDependencies", "delete-task-instance-dependencies",
              OC, W, R, None, "operation_center:DeleteTaskInstanceDependenciesPayload",
              "Instance upstream dependencies deleted"),
    EventSpec("dataworks:InstanceChange:PreFreezeInstance", "pre-freeze-instance", OC, W, E, CB,
              "operation_center:InstanceOperationPrePayload", "Instance freeze (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:InstanceChange:PreUnfreezeInstance", "pre-unfreeze-instance", OC, W, E, CB,
              "operation_center:InstanceOperationPrePayload", "Instance unfreeze (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:InstanceChange:PreRerunInstance", "pre-rerun-instance", OC, W, E, CB,
              "operation_center:InstanceOperationPrePayload", "Instance rerun (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:InstanceChange:PreSetInstanceSuccess", "pre-set-instance-success", OC, W, E, CB,
              "operation_center:InstanceOperationPrePayload", "Set instance succeeded (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:InstanceChange:PreKillInstance", "pre-kill-instance", OC, W, E, CB,
              "operation_center:InstanceOperationPrePayload", "Instance kill (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:InstanceChange:ExpiredTaskInstancesDeleted", "expired-task-instances-deleted",
              OC, W, R, None, "operation_center:ExpiredTaskInstancesDeletedPayload",
              "Expired instances deleted"),
    EventSpec("dataworks:DagStatusChanges:DagStatusChanges", "dag-status-changes", OC, W, R, None,
              "operation_center:DagStatusChangesPayload", "Workflow status changed"),
    EventSpec("dataworks:MonitorAlert:WorkbenchMonitorAlert", "workbench-monitor-alert", OC, W, R, None,
              "operation_center:MonitorAlertPayload", "Monitoring alert sent"),
    # -- Security Center (workspace) -----------------------------------------------------------
    EventSpec("dataworks:ApprovalChange:ApprovalChangeCreated", "approval-change-created", SC, W, E, CB,
              "security_center:ApprovalChangePayload", "Permission request created",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:ApprovalChange:ApprovalChangeFinished", "approval-change-finished", SC, W, R, None,
              "security_center:ApprovalChangePayload", "Permission request finished", inferred=True),
    EventSpec("dataworks:ApprovalChange:ApprovalChangeBeforeCreate", "approval-change-before-create",
              SC, W, E, CB, "security_center:ApprovalBeforeCreatePayload",
              "Table permission request (pre-event)", inferred=True, note=_CB_NOTE,
              aliases=("approval-create-before",)),
    # -- Data Quality (workspace) --------------------------------------------------------------
    EventSpec("dataworks:DqcCheck:DqcCheckFeedbackEvent", "dqc-check-feedback-event", DQ, W, R, None,
              "data_quality:DqcCheckFeedbackPayload", "Check result feedback", inferred=True),
    EventSpec("dataworks:DqcCheck:DqcCheckFinishedEvent", "dqc-check-finished-event", DQ, W, R, None,
              "data_quality:DqcCheckFinishedPayload", "Check finished", inferred=True),
    EventSpec("dataworks:DqcCheck:BatchCreateDataQualityRules", "batch-create-data-quality-rules",
              DQ, W, E, CB, "data_quality:DataQualityRulesPayload", "Batch create quality rules (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:DqcCheck:BatchUpdateDataQualityRules", "batch-update-data-quality-rules",
              DQ, W, E, CB, "data_quality:DataQualityRulesUpdatePayload",
              "Batch update quality rules (pre-event)", inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:DqcCheck:BatchDeleteDataQualityRules", "batch-delete-data-quality-rules",
              DQ, W, E, CB, "data_quality:DataQualityIdsPayload", "Batch delete quality rules (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:DqcCheck:UpdateDataQualityRule", "update-data-quality-rule", DQ, W, E, CB,
              "data_quality:DataQualityRulePayload", "Update a quality rule (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:DqcCheck:CreateDataQualityEvaluationTask", "create-data-quality-evaluation-task",
              DQ, W, E, CB, "data_quality:EvaluationTaskPayload", "Create quality monitor (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:DqcCheck:UpdateDataQualityEvaluationTask", "update-data-quality-evaluation-task",
              DQ, W, E, CB, "data_quality:EvaluationTaskPayload", "Update quality monitor (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:DqcCheck:CloneDataQualityEvaluationTask", "clone-data-quality-evaluation-task",
              DQ, W, E, CB, "data_quality:EvaluationTaskClonePayload", "Clone quality monitor (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:DqcCheck:BatchDeleteDataQualityEvaluationTasks",
              "batch-delete-data-quality-evaluation-tasks", DQ, W, E, CB, "data_quality:DataQualityIdsPayload",
              "Batch delete quality monitors (pre-event)", inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:DqcCheck:CreateDataQualityEvaluationTaskNotification",
              "create-data-quality-evaluation-task-notification", DQ, W, E, CB,
              "data_quality:EvaluationTaskNotificationPayload", "Create monitor alert subscription (pre-event)",
              inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:DqcCheck:UpdateDataQualityEvaluationTaskNotification",
              "update-data-quality-evaluation-task-notification", DQ, W, E, CB,
              "data_quality:EvaluationTaskNotificationUpdatePayload",
              "Update monitor alert subscription (pre-event)", inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:DqcCheck:DeleteDataQualityEvaluationTaskNotification",
              "delete-data-quality-evaluation-task-notification", DQ, W, E, CB,
              "data_quality:EvaluationTaskNotificationPayload", "Delete monitor alert subscription (pre-event)",
              inferred=True, note=_CB_NOTE),
    # -- Console (tenant) ----------------------------------------------------------------------
    EventSpec("dataworks:ProjectChange:DeleteProject", "delete-project", CO, T, E, CB,
              "console:DeleteProjectPayload", "Workspace deletion (pre-event)", inferred=True, note=_CB_NOTE),
    EventSpec("dataworks:ProjectChange:ProjectDeleted", "project-deleted", CO, T, R, None,
              "console:ProjectDeletedPayload", "Workspace deleted"),
    # -- Upload & Download (tenant) ------------------------------------------------------------
    EventSpec("dataworks:ResourcesDownload:DownloadResources", "download-resources", UD, T, E, CB,
              "upload_download:DownloadResourcesPayload", "Data download, file generation (pre-event)",
              inferred=True, note=_CB_NOTE + _FC_NOTE + " (the FC extension page's 'pre-event for data download')",
              fc_direct=True),
    EventSpec("dataworks:ResourcesDownload:DownloadResourcesExecute", "download-resources-execute", UD, T, E,
              CB, "upload_download:DownloadResourcesPayload", "Data download, file download (pre-event)",
              inferred=True, note=_CB_NOTE + "; no page shows it on the FC-direct path"),
    EventSpec("dataworks:ResourcesUpload:UploadDataToTable", "upload-data-to-table", UD, T, E, CB,
              "upload_download:UploadDataToTablePayload", "Data upload (pre-event)",
              inferred=True, note=_CB_NOTE + _FC_NOTE + " (the event list's FC-direct sample, although the FC "
              "extension page names only the download pre-event)", fc_direct=True),
)

CATALOGUE: tuple[EventSpec, ...] = _ENTRIES
BY_TYPE: dict[str, EventSpec] = {spec.type: spec for spec in _ENTRIES}
BY_CODE: dict[str, EventSpec] = {}
for _spec in _ENTRIES:
    BY_CODE.setdefault(_spec.event_code, _spec)
    for _alias in _spec.aliases:
        BY_CODE.setdefault(_alias, _spec)
# Case-insensitive fallbacks: 'start-dijob' and 'UnfreezeNode' style variants seen in the wild.
_BY_TYPE_FOLDED = {key.lower(): spec for key, spec in BY_TYPE.items()}
_BY_CODE_FOLDED = {key.lower(): spec for key, spec in BY_CODE.items()}

CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(spec.category for spec in _ENTRIES))
_CATEGORIES_FOLDED = {name.lower(): name for name in CATEGORIES}
#: Event codes DataWorks may deliver FC-direct (``messageId`` / ``messageBody``), see the module docstring.
FC_DIRECT_CODES: frozenset[str] = frozenset(spec.event_code for spec in _ENTRIES if spec.fc_direct)


def lookup(type_: str | None = None, event_code: str | None = None) -> EventSpec | None:
    """Find the spec: ``type`` wins, ``eventCode`` is the fallback, both case-insensitively last.

    Decoding does not use the fallback for an envelope that names a type (see :func:`lookup_type`): an
    unknown ``type`` is an unknown event of its own category, never rescued by the payload's eventCode.
    """
    if type_ and type_ in BY_TYPE:
        return BY_TYPE[type_]
    if event_code and event_code in BY_CODE:
        return BY_CODE[event_code]
    if type_ and type_.lower() in _BY_TYPE_FOLDED:
        return _BY_TYPE_FOLDED[type_.lower()]
    if event_code and event_code.lower() in _BY_CODE_FOLDED:
        return _BY_CODE_FOLDED[event_code.lower()]
    return None


def lookup_type(type_: str) -> EventSpec | None:
    """The spec of an EventBridge ``type`` (exact, then case-insensitive), and nothing else."""
    spec = BY_TYPE.get(type_)
    if spec is None:
        spec = _BY_TYPE_FOLDED.get(type_.lower())
    return spec


def lookup_code(event_code: str) -> EventSpec | None:
    """The spec of an eventCode or alias (exact, then case-insensitive), and nothing else."""
    spec = BY_CODE.get(event_code)
    if spec is None:
        spec = _BY_CODE_FOLDED.get(event_code.lower())
    return spec


def category_of_type(type_: str | None) -> str | None:
    """The category a ``dataworks:{Category}:{Action}`` type names, known action or not.

    The catalogue's spelling when the middle segment matches a category case-insensitively (so
    ``dataworks:nodechange:Foo`` is a NodeChange event), the segment as sent otherwise.
    """
    if not type_ or type_.count(":") != 2:
        return None
    segment = type_.split(":")[1]
    if not segment:
        return None
    return _CATEGORIES_FOLDED.get(segment.lower(), segment)


def specs_for_category(category: str) -> tuple[EventSpec, ...]:
    return tuple(spec for spec in _ENTRIES if spec.category == category)
