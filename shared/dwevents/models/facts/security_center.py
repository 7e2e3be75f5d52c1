"""Facts of the Security Center payloads (:mod:`dwevents.models.security_center`).

A permission request is about its process: the name is the process title (else its id), the operator
the applicant, the tables those the request names (MaxCompute grants, or the table-request order).
"""

from __future__ import annotations

from dwevents.models.facts import Facts, derives, names, of_project
from dwevents.models.security_center import (
    ApprovalBeforeCreatePayload,
    ApprovalChangePayload,
    MaxComputeGrant,
)


@derives(ApprovalChangePayload)
def approval_change(p: ApprovalChangePayload) -> Facts:
    process = p.process
    return Facts(
        workspace_id=p.app_id,
        tenant_id=p.tenant_id,
        operator=(process.applicant_name or process.applicant) if process is not None else None,
        name=process.title if process is not None else None,
        object_id=p.process_id,
        status=p.status or (process.status if process is not None else None),
        tables=names(*(g.odps_table for g in p.grants if isinstance(g, MaxComputeGrant))),
        decided_by=p.assignee_name,
        comment=p.comments,
    )


@derives(ApprovalBeforeCreatePayload)
def approval_before_create(p: ApprovalBeforeCreatePayload) -> Facts:
    meta = p.order.project_meta if p.order is not None else None
    return of_project(
        p,
        workspace_name=meta.project_name if meta is not None else None,
        tables=names(*(o.name for o in (meta.object_meta_list if meta is not None else None) or [])),
    )
