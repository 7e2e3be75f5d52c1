"""Security Center payloads: permission requests in the Approval Center and table-permission pre-events.

``approval-change-created`` / ``-finished`` share one shape: the request (``process``) with its content
(``approvalContent``: grantees and ``arrayData``, the objects asked for). ``arrayData`` elements differ by
``process.assignmentCategory`` (MaxCompute tables vs DataService APIs); each element is classified by
its own keys so a list is never misread, and an element of neither kind is kept as a generic object.

Quirks of the documented samples: ``eventType`` is ``"approval"`` (not an event code); the *finished*
sample has no top-level ``processId`` / ``status`` / ``taskId`` / ``updateTime``; ``applyPeriod`` is an
epoch-ms string (the permission's expiry); ``workspaceId`` is a number in ``approvalContent`` and a
string in ``arrayData``; ``approval-change-before-create`` has no ``eventCode`` and an ``eventType`` of
``approval-create-before``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, IntEnum
from typing import Annotated, Any

from pydantic import Discriminator, Tag

from dwevents.models.base import DataWorksPayload, Timestamp, WireModel, int_code, str_code
from dwevents.models.limits import Long


class GranteeType(IntEnum):
    """Account kind of a grantee (``granteeTypeSub``)."""

    ACCOUNT_PRD = 101
    ACCOUNT_APP = 102
    ACCOUNT_USER = 103
    ACCOUNT_DEPT = 104
    ACCOUNT_OTHER_USER = 105
    ACCOUNT_MOCK = 106


class AssignmentCategory(str, Enum):
    """What kind of resource the request is for."""

    MAX_COMPUTE = "MaxCompute"
    DATA_SERVICE = "DataService"


class DataServiceResourceType(IntEnum):
    API = 1
    FUNCTION = 2
    SERVICE_ORCHESTRATION = 3


class EnvCode(IntEnum):
    """Workspace environment of a table-permission request."""

    DEV = 0
    PROD = 1


class DeadlineType(str, Enum):
    """Unit of ``deadlineDate`` (the validity length)."""

    DAY = "day"
    MONTH = "month"


# Raw type first: see the note in datastudio.py (better error text; the member still wins).
GranteeTypeValue = Annotated[int | GranteeType, int_code(GranteeType)]
AssignmentCategoryValue = Annotated[str | AssignmentCategory, str_code(AssignmentCategory)]
DataServiceResourceTypeValue = Annotated[int | DataServiceResourceType, int_code(DataServiceResourceType)]
EnvCodeValue = Annotated[int | EnvCode, int_code(EnvCode)]
DeadlineTypeValue = Annotated[str | DeadlineType, str_code(DeadlineType)]


class GranteeAccount(WireModel):
    """An account that is to receive the permission."""

    grantee_id: str | None = None
    grantee_name: str | None = None
    #: ``1`` in every sample; values undocumented.
    grantee_type: Long | str | None = None
    grantee_type_sub: GranteeTypeValue | None = None


class MaxComputeGrant(WireModel):
    """``arrayData`` element when ``assignmentCategory`` is MaxCompute: one table and the actions."""

    object_type: str | None = None
    object_name: str | None = None
    object_name_cn: str | None = None
    object_guid: str | None = None
    odps_project: str | None = None
    odps_table: str | None = None
    project_guid: str | None = None
    project_name: str | None = None
    project_id: Long | None = None
    #: A string here (a number in ``approvalContent``).
    workspace_id: str | None = None
    env_type: Long | None = None
    owner_base_id: str | None = None
    owner_account_name: str | None = None
    tenant_id: Long | None = None
    #: e.g. ``["Select", "Describe"]``.
    actions: list[str] | None = None


class DataServiceGrant(WireModel):
    """``arrayData`` element when ``assignmentCategory`` is DataService: one API / function."""

    id: str | None = None
    name: str | None = None
    type: DataServiceResourceTypeValue | None = None
    resource_id: str | None = None
    resource_version: Long | None = None
    ds_deploy_id: str | None = None
    owner_id: str | None = None
    owner_name: str | None = None
    workspace_id: str | None = None
    workspace_name: str | None = None
    url: str | None = None


class OtherGrant(WireModel):
    """An ``arrayData`` element of neither documented kind: every field kept as an extra."""


_MAXCOMPUTE_KEYS = ("odpsTable", "odpsProject", "objectGuid", "odps_table", "odps_project", "object_guid")
_DATASERVICE_KEYS = ("dsDeployId", "resourceId", "ds_deploy_id", "resource_id")


def _grant_kind(value: Any) -> str:
    if isinstance(value, (MaxComputeGrant, DataServiceGrant)):
        return type(value).__name__
    if isinstance(value, Mapping):
        if any(key in value for key in _MAXCOMPUTE_KEYS):
            return "MaxComputeGrant"
        if any(key in value for key in _DATASERVICE_KEYS):
            return "DataServiceGrant"
    return "OtherGrant"


#: One requested object. Tags are class names so error locations stay free of them.
Grant = Annotated[
    Annotated[MaxComputeGrant, Tag("MaxComputeGrant")]
    | Annotated[DataServiceGrant, Tag("DataServiceGrant")]
    | Annotated[OtherGrant, Tag("OtherGrant")],
    Discriminator(_grant_kind),
]


class ApprovalContent(WireModel):
    """What is requested, for whom, why and until when."""

    apply_reason: str | None = None
    #: Expiry of the requested permission (epoch ms as a string on the wire).
    apply_period: Timestamp | None = None
    content_type: str | None = None
    resource_summary: str | None = None
    odps_project_name: str | None = None
    #: ``"1"`` in the samples; meaning of the values undocumented.
    project_env: str | None = None
    tenant_id: Long | None = None
    workspace_id: Long | None = None
    grantee_accounts: list[GranteeAccount] | None = None
    array_data: list[Grant] | None = None


class ApprovalProcess(WireModel):
    """The permission request (workflow instance)."""

    process_id: str | None = None
    process_definition_id: str | None = None
    title: str | None = None
    #: ``Pending`` in the samples.
    status: str | None = None
    applicant: str | None = None
    applicant_name: str | None = None
    assignment_category: AssignmentCategoryValue | None = None
    create_time: Timestamp | None = None
    update_time: Timestamp | None = None
    approval_content: ApprovalContent | None = None


class ApprovalChangePayload(DataWorksPayload):
    """A permission request was created (pre-event) or finished (regular event)."""

    #: Workspace id.
    app_id: Long | None = None
    #: ``"approval"``: a kind, not the event code.
    event_type: str | None = None
    process_id: str | None = None
    task_id: str | None = None
    #: ``Submit`` in the created sample.
    status: str | None = None
    assignee: str | None = None
    assignee_name: str | None = None
    comments: str | None = None
    create_time: Timestamp | None = None
    update_time: Timestamp | None = None
    process: ApprovalProcess | None = None

    @property
    def grants(self) -> list[MaxComputeGrant | DataServiceGrant | OtherGrant]:
        """The requested objects, or an empty list (saves the None-checks down the tree)."""
        content = self.process.approval_content if self.process else None
        return list(content.array_data or []) if content else []


class GranteeObject(WireModel):
    grantee_id: str | None = None


class ObjectMeta(WireModel):
    """A table asked for and the actions on it."""

    name: str | None = None
    project_guid: str | None = None
    action: list[str] | None = None


class ProjectMeta(WireModel):
    """The workspace (and its environment) the tables live in."""

    project_id: Long | None = None
    project_name: str | None = None
    env_code: EnvCodeValue | None = None
    label_security: bool | None = None
    object_meta_list: list[ObjectMeta] | None = None


class PermissionOrder(WireModel):
    """The table-permission request about to be created."""

    apply_reason: str | None = None
    #: Validity length in ``deadlineType`` units (``"1"`` + ``month`` = one month); a string on the wire.
    deadline_date: str | None = None
    deadline_type: DeadlineTypeValue | None = None
    grantee_object_list: list[GranteeObject] | None = None
    project_meta: ProjectMeta | None = None


class ApprovalBeforeCreatePayload(DataWorksPayload):
    """A table permission request is about to be created (pre-event; sample has no ``eventCode``)."""

    #: ``approval-create-before`` in the sample (also accepted as an event-code alias by the catalogue).
    event_type: str | None = None
    operator: str | None = None
    project_id: Long | None = None
    order: PermissionOrder | None = None


__all__ = [
    "ApprovalBeforeCreatePayload",
    "ApprovalChangePayload",
    "ApprovalContent",
    "ApprovalProcess",
    "AssignmentCategory",
    "DataServiceGrant",
    "DataServiceResourceType",
    "DeadlineType",
    "EnvCode",
    "Grant",
    "GranteeAccount",
    "GranteeObject",
    "GranteeType",
    "MaxComputeGrant",
    "ObjectMeta",
    "OtherGrant",
    "PermissionOrder",
    "ProjectMeta",
]
