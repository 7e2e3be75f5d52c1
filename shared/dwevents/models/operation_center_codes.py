"""Value sets of the Operation Center payloads (instance and workflow status, node and task types, alert
kinds) and their tolerant wire types: a documented code decodes to its enum, an unknown one stays raw.

Kept apart from :mod:`dwevents.models.operation_center` only for size; that module re-exports every name.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import Annotated

from dwevents.models.base import (
    int_code,
    str_code,
)

# --------------------------------------------------------------------------------------------
# Enums
# --------------------------------------------------------------------------------------------


class InstanceStatus(IntEnum):
    """Status of a scheduling instance (``status`` of instance-status-changes).

    The docs say 1 = not run; the official demo (event-instance-status-demo) comments 0 = not run.
    Both decode; :attr:`is_not_run` treats them alike.
    """

    NOT_RUN_LEGACY = 0  #: "not run" as the official demo's comments number it
    NOT_RUN = 1
    WAIT_TIME = 2  #: waiting for dueTime / cycleTime
    WAIT_RESOURCE = 3
    RUNNING = 4
    FAILED = 5
    SUCCESS = 6
    CHECKING = 7  #: sent to Data Quality for checking
    CHECKING_CONDITION = 8  #: branch conditions being checked

    @property
    def is_not_run(self) -> bool:
        return self in (InstanceStatus.NOT_RUN, InstanceStatus.NOT_RUN_LEGACY)

    @property
    def is_final(self) -> bool:
        """Failed or succeeded: the instance will not change again on its own."""
        return self in (InstanceStatus.FAILED, InstanceStatus.SUCCESS)


class DagType(IntEnum):
    """Kind of DAG an instance runs in.

    4/5 follow the event-list page (4 temporary workflow, 5 manually triggered workflow); the official
    demo's comments swap them (4 manual business flow, 5 temporary business flow).
    """

    SCHEDULED = 0
    MANUAL = 1
    SMOKE_TEST = 2
    BACKFILL = 3
    TEMPORARY_WORKFLOW = 4
    MANUAL_WORKFLOW = 5


class TaskType(IntEnum):
    """Scheduling type of an instance (``taskType``)."""

    NORMAL = 0
    MANUAL = 1
    PAUSE = 2  #: frozen: scheduled, then set to failed immediately
    SKIP = 3  #: dry run: scheduled, then set to succeeded immediately
    SKIP_UNCHOOSE = 4
    SKIP_CYCLE = 5
    CONDITION_UNCHOOSE = 6
    REALTIME_DEPRECATED = 7


class DagStatus(IntEnum):
    """Workflow status in dag-status-changes (documented values only)."""

    NOT_RUN = 1
    RUNNING = 4
    FAILED = 5
    SUCCESS = 6


class BaselineStatus(IntEnum):
    ABNORMAL = -1
    SAFE = 1
    WARNING = 2
    OVERTIME = 3


class ProjectEnv(str, Enum):
    DEV = "DEV"
    PROD = "PROD"


class BackfillOrder(str, Enum):
    ASC = "asc"
    DESC = "desc"


class AlarmType(str, Enum):
    SLA_ALERT = "SLA_ALERT"  #: baseline alert
    REMIND_ALERT = "REMIND_ALERT"  #: custom rule (task or resource group)
    TOPIC_ALERT = "TOPIC_ALERT"  #: event alert


class RemindType(str, Enum):
    """Trigger of a custom rule alert.

    The docs spell the resource-group threshold trigger ``RES_GROUP_THRESHOL`` (truncated). Both that
    spelling and ``RES_GROUP_THRESHOLD`` are members, so whichever DataWorks sends decodes and dumps
    unchanged.
    """

    FINISHED = "FINISHED"
    UNFINISHED = "UNFINISHED"
    ERROR = "ERROR"
    CYCLE_UNFINISHED = "CYCLE_UNFINISHED"
    TIMEOUT = "TIMEOUT"
    RES_GROUP_THRESHOLD = "RES_GROUP_THRESHOLD"
    RES_GROUP_THRESHOL = "RES_GROUP_THRESHOL"  #: the documentation's spelling
    RES_GROUP_WAIT_AMOUNT = "RES_GROUP_WAIT_AMOUNT"

    @property
    def is_resource_group(self) -> bool:
        return self.value.startswith("RES_GROUP")


class RemindUnit(str, Enum):
    NODE = "NODE"
    GATEWAY_RES = "GATEWAY_RES"
    DI_RES = "DI_RES"


class ResourceGroupType(str, Enum):
    GATEWAY = "GATEWAY"
    DI = "DI"


InstanceStatusCode = Annotated[InstanceStatus | int, int_code(InstanceStatus)]
DagTypeCode = Annotated[DagType | int, int_code(DagType)]
TaskTypeCode = Annotated[TaskType | int, int_code(TaskType)]
DagStatusCode = Annotated[DagStatus | int, int_code(DagStatus)]
BaselineStatusCode = Annotated[BaselineStatus | int, int_code(BaselineStatus)]
ProjectEnvCode = Annotated[ProjectEnv | str, str_code(ProjectEnv)]
AlarmTypeCode = Annotated[AlarmType | str, str_code(AlarmType)]
RemindTypeCode = Annotated[RemindType | str, str_code(RemindType)]
RemindUnitCode = Annotated[RemindUnit | str, str_code(RemindUnit)]
ResourceGroupTypeCode = Annotated[ResourceGroupType | str, str_code(ResourceGroupType)]
BackfillOrderCode = Annotated[BackfillOrder | str, str_code(BackfillOrder)]

__all__ = [
    "AlarmType",
    "AlarmTypeCode",
    "BackfillOrder",
    "BackfillOrderCode",
    "BaselineStatus",
    "BaselineStatusCode",
    "DagStatus",
    "DagStatusCode",
    "DagType",
    "DagTypeCode",
    "InstanceStatus",
    "InstanceStatusCode",
    "ProjectEnv",
    "ProjectEnvCode",
    "RemindType",
    "RemindTypeCode",
    "RemindUnit",
    "RemindUnitCode",
    "ResourceGroupType",
    "ResourceGroupTypeCode",
    "TaskType",
    "TaskTypeCode",
]
