"""Facts of the Console payloads (:mod:`dwevents.models.console`): the workspace is the object."""

from __future__ import annotations

from dwevents.models.console import DeleteProjectPayload, ProjectDeletedPayload
from dwevents.models.facts import Facts, derives, of_project


@derives(DeleteProjectPayload)
def delete_project(p: DeleteProjectPayload) -> Facts:
    return of_project(p)


@derives(ProjectDeletedPayload)
def project_deleted(p: ProjectDeletedPayload) -> Facts:
    return of_project(
        p,
        workspace_name=p.project_name,
        name=p.project_name,
    )
