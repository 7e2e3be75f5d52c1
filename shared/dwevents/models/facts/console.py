"""Facts of the Console payloads (:mod:`dwevents.models.console`): the workspace is the object."""

from __future__ import annotations

from dwevents.models.console import DeleteProjectPayload, ProjectDeletedPayload
from dwevents.models.facts import Facts, derives


@derives(DeleteProjectPayload)
def delete_project(p: DeleteProjectPayload) -> Facts:
    return Facts(workspace_id=p.project_id, tenant_id=p.tenant_id, operator=p.operator)


@derives(ProjectDeletedPayload)
def project_deleted(p: ProjectDeletedPayload) -> Facts:
    return Facts(
        workspace_id=p.project_id,
        workspace_name=p.project_name,
        tenant_id=p.tenant_id,
        operator=p.operator,
        name=p.project_name,
    )
