"""Data Integration payloads: start one job (two message versions) and batch-start jobs.

The docs show three ``start-diJob`` messages: V1 (job id in ``id``, has ``projectId``), V2 (job id in
``jobId``, ``appId`` instead of ``projectId``, a ``setting`` object) and V2 with more than 500 tables
(``showTableMapping`` false, no ``tableMapping``). ``srcTable`` / ``srcDatabaseName`` may be regular
expressions (``test.*``). Because every model keeps unknown fields, any variant would accept any
message; the variant is therefore chosen explicitly by a discriminator on the job-id key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timezone, tzinfo
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Tag, model_validator

from dwevents.models.base import SHANGHAI, CommaList, DataWorksPayload, Timestamp, WireModel
from dwevents.models.limits import Long

_REGEX_CHARS = frozenset("*?+[]()|^$\\{}")


def _zone(name: str | None) -> tzinfo | None:
    """A tz name → tzinfo without requiring a tz database for the common cases."""
    if not name:
        return None
    text = name.strip()
    if text in ("Asia/Shanghai", "PRC", "Asia/Chongqing", "Asia/Harbin", "GMT+8", "UTC+8", "UTC+08:00"):
        return SHANGHAI
    if text in ("UTC", "GMT", "Etc/UTC", "Z"):
        return timezone.utc
    try:
        from zoneinfo import ZoneInfo  # lazy: only jobs in foreign zones pay for it

        return ZoneInfo(text)
    except Exception:  # unknown name or no tz database: keep the Shanghai default
        return None


class TableMapping(WireModel):
    """One source → destination table pair of a sync solution."""

    src_datasource_name: str | None = None
    src_database_name: str | None = None
    src_table: str | None = None
    dst_datasource_name: str | None = None
    dst_table: str | None = None

    @property
    def is_pattern(self) -> bool:
        """Whether the source side is a regular expression (matches tables unknown at start time)."""
        return any(ch in _REGEX_CHARS for ch in (self.src_table or "") + (self.src_database_name or ""))


class DiJobSetting(WireModel):
    """Start options. ``startDateTime`` is wall-clock time in ``timeZone`` (default Asia/Shanghai)."""

    #: Real-time sync offset to resume from (no zone documented: read as Asia/Shanghai).
    last_start_position: Timestamp | None = None
    start_date_time: Timestamp | None = None
    time_zone: str | None = None

    @model_validator(mode="after")
    def _apply_time_zone(self) -> DiJobSetting:
        value = self.start_date_time
        zone = _zone(self.time_zone)
        # Only a wall-clock string was read as Shanghai; epoch or offset-bearing values are left alone.
        if value is not None and zone is not None and value.tzinfo is SHANGHAI and zone is not SHANGHAI:
            self.start_date_time = value.replace(tzinfo=zone)
        return self


class _StartDiJobBase(DataWorksPayload):
    """Fields both start-diJob message versions share."""

    variant: ClassVar[Literal["v1", "v2"]]

    operator: str | None = None
    #: The check-process id the verdict refers to.
    extension_biz_id: str | None = None
    #: Name of the sync solution / job.
    extension_biz_name: str | None = None
    #: Workspace id (V2 messages carry only this, no ``projectId``).
    app_id: Long | None = None
    project_id: Long | None = None
    #: False when the job has more than 500 tables; ``tableMapping`` is then absent.
    show_table_mapping: bool | None = None
    table_mapping: list[TableMapping] | None = None
    setting: DiJobSetting | None = None
    force_run: bool | None = None
    start_as_v2: bool | None = None
    block_business: bool | None = None

    @property
    def workspace_id(self) -> int | None:
        """``projectId`` where sent (V1), else ``appId`` (V2): the same workspace id either way."""
        return self.project_id if self.project_id is not None else self.app_id


class StartDiJobV1(_StartDiJobBase):
    """Message V1: the job id is ``id``."""

    variant: ClassVar[Literal["v1", "v2"]] = "v1"

    id: Long | None = None

    @property
    def job_id(self) -> int | None:
        return self.id


class StartDiJobV2(_StartDiJobBase):
    """Message V2 (any table count): the job id is ``jobId``."""

    variant: ClassVar[Literal["v1", "v2"]] = "v2"

    job_id: Long | None = None


def _start_di_job_variant(value: Any) -> str:
    """``jobId`` → V2; ``id`` without ``jobId`` → V1; neither → V2 (the current format)."""
    if isinstance(value, _StartDiJobBase):
        return type(value).__name__ if isinstance(value, (StartDiJobV1, StartDiJobV2)) else "StartDiJobV2"
    if isinstance(value, Mapping):
        if "jobId" in value or "job_id" in value:
            return "StartDiJobV2"
        if "id" in value:
            return "StartDiJobV1"
    return "StartDiJobV2"


#: Payload of ``start-diJob``. Tags are the class names so error locations stay free of them.
StartDiJobPayload = Annotated[
    Annotated[StartDiJobV1, Tag("StartDiJobV1")] | Annotated[StartDiJobV2, Tag("StartDiJobV2")],
    Discriminator(_start_di_job_variant),
]


class BatchJobTables(WireModel):
    """The table mapping of one job inside a batch start."""

    id: Long | None = None
    extension_biz_name: str | None = None
    table_mapping: list[TableMapping] | None = None


class BatchStartDiJobPayload(DataWorksPayload):
    """Batch start of several Data Integration jobs (pre-event)."""

    operator: str | None = None
    extension_biz_id: str | None = None
    #: Comma-joined job names on the wire.
    extension_biz_name: CommaList[str] | None = None
    app_id: Long | None = None
    project_id: Long | None = None
    #: ``prod`` in the sample.
    env: str | None = None
    job_ids: list[Long] | None = None
    setting: DiJobSetting | None = None
    show_table_mapping: bool | None = None
    table_mappings: list[BatchJobTables] | None = None
    need_error_message: bool | None = None
    error_message_only_failed_file_ids: bool | None = None
    block_business: bool | None = None


__all__ = [
    "BatchJobTables",
    "BatchStartDiJobPayload",
    "DiJobSetting",
    "StartDiJobPayload",
    "StartDiJobV1",
    "StartDiJobV2",
    "TableMapping",
]
