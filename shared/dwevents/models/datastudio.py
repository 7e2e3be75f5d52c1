"""Data Studio payloads: node changes, file commit/deploy/delete/run/review, table commit/deploy.

Field names and types follow "Development Reference: Event List and Message Format"
(https://www.alibabacloud.com/help/en/dataworks/user-guide/formats-of-event-messages-sent-to-eventbridge).
The documented samples disagree with the tables in places; the models accept both:

* ``schedulerType`` is documented as ``NORMAL(0)`` … and sent as the *name* (``"NORMAL"``); a code is
  accepted too, and an unknown name or code is kept as it came;
* ``changeType`` is a string code (``"0"`` create, ``"1"`` update, ``"2"`` delete);
* ``fileType`` is the numeric code type of GetIDEEventDetail / ListFileType;
* ``fileCreateTime`` is a Shanghai wall-clock string, ``createTime`` / ``modifyTime`` epoch milliseconds;
* the table events carry neither ``eventCode`` nor ``blockBusiness`` in the documented sample.

Coded values use :func:`dwevents.models.base.int_code` / ``str_code`` like every payload module.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import Annotated, Any

from pydantic import PlainSerializer

from dwevents.models.base import DataWorksPayload, Timestamp, int_code, str_code
from dwevents.models.limits import Long


class SchedulerType(IntEnum):
    """How the scheduler treats the node's instances (wire: the name; docs also give the code)."""

    NORMAL = 0
    MANUAL = 1
    PAUSE = 2
    SKIP = 3
    SKIP_UNCHOOSE = 4
    SKIP_CYCLE = 5
    CONDITION_UNCHOOSE = 6
    REALTIME_DEPRECATED = 7


class ChangeType(str, Enum):
    """What a file commit/deploy does to the file (wire: a string code)."""

    CREATE = "0"
    UPDATE = "1"
    DELETE = "2"


class FileType(IntEnum):
    """Code type of a file (the GetIDEEventDetail list); ListFileType knows more, kept as plain ints."""

    SHELL = 6
    ODPS_SQL = 10
    ODPS_MR = 11
    DATA_INTEGRATION = 23
    ODPS_SCRIPT = 24
    ZERO_LOAD = 99
    PYODPS2 = 221
    ODPS_SPARK = 225
    EMR_HIVE = 227
    EMR_SPARK = 228
    EMR_SPARK_SQL = 229
    EMR_MR = 230
    OSS_OBJECT_INSPECTION = 239
    EMR_SHELL = 257
    EMR_SPARK_SHELL = 258
    EMR_PRESTO = 259
    EMR_IMPALA = 260
    REALTIME_SYNC = 900
    CROSS_TENANT_COLLABORATION = 1089
    HOLOGRES_DEVELOPMENT = 1091
    HOLOGRES_SQL = 1093
    ASSIGNMENT = 1100
    PYODPS3 = 1221


def _scheduler_name(value: Any) -> Any:
    # The wire carries the name; dump it the same way so to_wire() round-trips the documented form.
    return value.name if isinstance(value, SchedulerType) else value


# The raw type comes first in these unions on purpose: smart-mode validation still prefers the enum
# member (an exact match), and a malformed value is reported as "expected an integer", which is the
# truth, rather than "not one of the documented values".

#: ``"NORMAL"`` / ``0`` / ``"0"`` → :class:`SchedulerType`; unknown names or codes kept as they came.
SchedulerTypeValue = Annotated[
    int | str | SchedulerType,
    int_code(SchedulerType, keep_text=True),
    PlainSerializer(_scheduler_name, when_used="json"),
]
#: ``"0"`` / ``0`` → :class:`ChangeType`; an unknown code is kept as a string.
ChangeTypeValue = Annotated[str | ChangeType, str_code(ChangeType)]
#: ``10`` / ``"10"`` → :class:`FileType`; an unknown code is kept as an int.
FileTypeValue = Annotated[int | FileType, int_code(FileType)]


class NodeChangePayload(DataWorksPayload):
    """A node deployed to production was created, updated or deleted (regular events).

    The deletion sample has no ``eventCode`` but a ``datasource``; create/update carry ``blockBusiness``.
    """

    node_id: Long | None = None
    node_name: str | None = None
    #: Code type name as ListFileType spells it, e.g. ``ODPS_SQL``.
    program_type: str | None = None
    cron_express: str | None = None
    scheduler_type: SchedulerTypeValue | None = None
    owner_id: str | None = None
    #: 1, 3, 5, 7 or 8; larger runs first.
    priority: Long | None = None
    baseline_id: Long | None = None
    repeatability: bool | None = None
    create_time: Timestamp | None = None
    modify_time: Timestamp | None = None
    project_id: Long | None = None
    operator: str | None = None
    block_business: bool | None = None
    #: node-change-deleted only.
    datasource: str | None = None


class _FileEventPayload(DataWorksPayload):
    """Fields every file event shares (delete, run, commit, deploy)."""

    operator: str | None = None
    project_id: Long | None = None
    node_id: Long | None = None
    file_id: Long | None = None
    file_name: str | None = None
    file_type: FileTypeValue | None = None
    file_owner: str | None = None
    #: Wall-clock ``yyyy-MM-dd HH:mm:ss`` in Asia/Shanghai on the wire.
    file_create_time: Timestamp | None = None
    #: The extension's check-process id (what the verdict is about).
    extension_biz_id: str | None = None
    block_business: bool | None = None
    #: In every sample (value 1) but undocumented: node / resource / function file, presumably.
    resource_type: Long | str | None = None


class FileChangePayload(_FileEventPayload):
    """File commit / deploy (pre-event and regular event share the shape)."""

    change_type: ChangeTypeValue | None = None
    file_version: Long | None = None
    data_source_name: str | None = None


class FileOperationPayload(_FileEventPayload):
    """File delete / run pre-events: the file as it is, no change type or version."""


class FileReviewPayload(FileChangePayload):
    """Node code review (zh/tc docs only, no field list): read as a file change, keep everything else."""


class TableChangePayload(DataWorksPayload):
    """MaxCompute table commit / deploy pre-events (the sample has no ``eventCode``)."""

    operator: str | None = None
    project_id: Long | None = None
    extension_biz_id: str | None = None
    table_name: str | None = None
    #: Documented as always ``ODPS``.
    table_type: str | None = None
    max_compute_project: str | None = None
    block_business: bool | None = None


__all__ = [
    "ChangeType",
    "ChangeTypeValue",
    "FileChangePayload",
    "FileOperationPayload",
    "FileReviewPayload",
    "FileType",
    "FileTypeValue",
    "NodeChangePayload",
    "SchedulerType",
    "SchedulerTypeValue",
    "TableChangePayload",
]
