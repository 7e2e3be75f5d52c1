"""Console payloads (tenant level, default event bus): workspace deletion before and after.

The pre-event sample carries only ``eventCode``, ``projectId``, ``tenantId`` and ``operator``; the
post-event adds ``projectName``, ``timestamp`` (epoch ms, when the message was sent) and
``blockBusiness`` (false).
"""

from __future__ import annotations

from dwevents.models.base import DataWorksPayload, Timestamp
from dwevents.models.limits import Long


class DeleteProjectPayload(DataWorksPayload):
    """A tenant is about to delete a workspace (pre-event: the extension may refuse)."""

    operator: str | None = None
    project_id: Long | None = None
    block_business: bool | None = None


class ProjectDeletedPayload(DataWorksPayload):
    """A workspace was deleted (regular event): the last chance to record its name."""

    operator: str | None = None
    project_id: Long | None = None
    project_name: str | None = None
    #: When DataWorks sent the message (not necessarily when the deletion happened).
    timestamp: Timestamp | None = None
    block_business: bool | None = None


__all__ = ["DeleteProjectPayload", "ProjectDeletedPayload"]
