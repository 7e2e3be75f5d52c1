"""Data Upload & Download payloads (tenant level, default event bus; FC-direct capable).

Both download pre-events (file generation, file download) share one shape; the file-download event adds
``ip``. Quirks of the documented samples: ``dataRowSize`` is documented as Long but sent as a string
(``"123456"``), ``queryDwProjectId`` is a workspace id sent as a string, and ``targetEngineType`` is
documented as ``MaxCompute`` / ``EMR Hive`` / ``Hologres`` while the sample sends ``MAXCOMPUTE``: the
enums below match names and values case- and separator-insensitively and keep unknown values as text.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from dwevents.models.base import DataWorksPayload, str_code
from dwevents.models.limits import Long


class ModuleType(str, Enum):
    """Where the downloaded data comes from."""

    ENTITY_TRANSFER = "entity_transfer"
    #: An SQL query in DataStudio.
    DEVELOP_QUERY = "develop_query"
    #: An SQL query in DataAnalysis (SQL query).
    SQLX_QUERY = "sqlx_query"
    DW_EXCEL = "dw_excel"


class UploadSourceType(str, Enum):
    LOCAL = "LOCAL"
    OSS = "OSS"
    DW_EXCEL = "DW_EXCEL"
    HTTP = "HTTP"


class OptTableType(str, Enum):
    """Upload into a new table (CREATE) or an existing one (IMPORT)."""

    CREATE = "CREATE"
    IMPORT = "IMPORT"


class TargetEngineType(str, Enum):
    """Destination engine; values as the sample spells them (upper case, underscores)."""

    MAXCOMPUTE = "MAXCOMPUTE"
    EMR_HIVE = "EMR_HIVE"
    HOLOGRES = "HOLOGRES"


class WriteType(str, Enum):
    OVERWRITE = "OVERWRITE"
    APPEND = "APPEND"


class ConflictMode(str, Enum):
    """Primary-key conflict handling on upload."""

    IGNORE = "IGNORE"
    REPLACE = "REPLACE"
    UPDATE = "UPDATE"


# Raw type first: see the note in datastudio.py (better error text; the member still wins).
ModuleTypeValue = Annotated[str | ModuleType, str_code(ModuleType)]
UploadSourceTypeValue = Annotated[str | UploadSourceType, str_code(UploadSourceType)]
OptTableTypeValue = Annotated[str | OptTableType, str_code(OptTableType)]
TargetEngineTypeValue = Annotated[str | TargetEngineType, str_code(TargetEngineType)]
WriteTypeValue = Annotated[str | WriteType, str_code(WriteType)]
ConflictModeValue = Annotated[str | ConflictMode, str_code(ConflictMode)]


class _TransferPayload(DataWorksPayload):
    """Who moves data and in which workspace / data source."""

    operator_base_id: str | None = None
    operator_uid: str | None = None
    datasource_id: str | None = None
    datasource_name: str | None = None
    #: Workspace id as a string (documented String).
    query_dw_project_id: str | None = None
    query_dw_project_name: str | None = None
    #: Bytes.
    file_size: Long | None = None
    block_business: bool | None = None

    @property
    def workspace_id(self) -> int | None:
        """``queryDwProjectId`` as a number, when it is one."""
        text = (self.query_dw_project_id or "").strip()
        return int(text) if text.isdigit() else None


class DownloadResourcesPayload(_TransferPayload):
    """Data download pre-events: file generation (``download-resources``) and file download (``-execute``)."""

    module_type: ModuleTypeValue | None = None
    file_name: str | None = None
    #: Rows in the file (a string on the wire in the sample).
    data_row_size: Long | None = None
    sql_text: str | None = None
    #: File-download event only: the downloading user's address.
    ip: str | None = None


class UploadDataToTablePayload(_TransferPayload):
    """Data upload pre-event: a file goes into a table."""

    upload_source_type: UploadSourceTypeValue | None = None
    opt_table_type: OptTableTypeValue | None = None
    target_engine_type: TargetEngineTypeValue | None = None
    write_type: WriteTypeValue | None = None
    conflict_mode: ConflictModeValue | None = None
    #: e.g. ``odps.<project>.<table>``, ``emr_hive.<cluster>.<schema>.<table>``, ``holo.<instance>.<db>``.
    table_guid: str | None = None


__all__ = [
    "ConflictMode",
    "DownloadResourcesPayload",
    "ModuleType",
    "OptTableType",
    "TargetEngineType",
    "UploadDataToTablePayload",
    "UploadSourceType",
    "WriteType",
]
