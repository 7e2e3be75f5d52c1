"""Value sets of the Data Quality payloads (check status, severity, rule and task enums) and their tolerant
wire types: a documented code decodes to its enum, an unknown one stays raw.

Kept apart from :mod:`dwevents.models.data_quality` only for size; that module re-exports every name.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import Annotated

from dwevents.models.base import int_code as _int_code
from dwevents.models.base import str_code as _str_code

# --------------------------------------------------------------------------------------------
# Enums
# --------------------------------------------------------------------------------------------


class DqCheckStatus(IntEnum):
    """Outcome of one rule check (``checkResult`` / ``singleCheckResult``); not the verdict enum
    :class:`dwevents.verdict.CheckResult`, hence the distinct name."""

    SKIPPED = -2
    EXCEPTION = -1
    PASSED = 0
    WARNING = 1  #: warning threshold reached
    CRITICAL = 2  #: critical threshold reached


class BlockType(IntEnum):
    """Rule strength: a strong rule at critical blocks the node's descendants."""

    WEAK = 0
    STRONG = 1


class DqSeverity(str, Enum):
    HIGH = "High"
    NORMAL = "Normal"


class EnvType(str, Enum):
    """Compute engine of a feedback event."""

    ODPS = "ODPS"
    EMR = "EMR"
    HOLO = "HOLO"


class DatabaseType(str, Enum):
    """Target table engine (values as the DataQuality APIs spell them; samples use lower case)."""

    MAXCOMPUTE = "maxcompute"
    HOLOGRES = "hologres"
    CDH = "cdh"
    EMR = "emr"
    ANALYTICDB_FOR_POSTGRESQL = "analyticdb_for_postgresql"
    ANALYTICDB_FOR_MYSQL = "analyticdb_for_mysql"
    STARROCKS = "starrocks"


class Metric(str, Enum):
    COUNT = "Count"
    MIN = "Min"
    MAX = "Max"
    AVG = "Avg"
    DISTINCT_COUNT = "DistinctCount"
    DISTINCT_PERCENT = "DistinctPercent"
    DUPLICATED_COUNT = "DuplicatedCount"
    DUPLICATED_PERCENT = "DuplicatedPercent"
    TABLE_SIZE = "TableSize"
    NULL_VALUE_COUNT = "NullValueCount"
    NULL_VALUE_PERCENT = "NullValuePercent"
    GROUP_COUNT = "GroupCount"
    COUNT_NOT_IN = "CountNotIn"
    COUNT_DISTINCT_NOT_IN = "CountDistinctNotIn"
    USER_DEFINED_SQL = "UserDefinedSql"


class CheckingType(str, Enum):
    FIXED = "Fixed"
    FLUCTUATION = "Fluctuation"
    FLUCTUATION_DISCRETE = "FluctuationDiscrete"
    AUTO = "Auto"
    AVERAGE = "Average"
    VARIANCE = "Variance"


class TriggerType(str, Enum):
    BY_SCHEDULED_TASK_INSTANCE = "ByScheduledTaskInstance"
    BY_MANUAL = "ByManual"


class HookType(str, Enum):
    BLOCK_TASK_INSTANCE = "BlockTaskInstance"


DqCheckStatusCode = Annotated[DqCheckStatus | int, _int_code(DqCheckStatus)]
BlockTypeCode = Annotated[BlockType | int, _int_code(BlockType)]
DqSeverityCode = Annotated[DqSeverity | str, _str_code(DqSeverity)]
EnvTypeCode = Annotated[EnvType | str, _str_code(EnvType)]
DatabaseTypeCode = Annotated[DatabaseType | str, _str_code(DatabaseType)]
MetricCode = Annotated[Metric | str, _str_code(Metric)]
CheckingTypeCode = Annotated[CheckingType | str, _str_code(CheckingType)]
TriggerTypeCode = Annotated[TriggerType | str, _str_code(TriggerType)]
HookTypeCode = Annotated[HookType | str, _str_code(HookType)]

__all__ = [
    "BlockType",
    "BlockTypeCode",
    "CheckingType",
    "CheckingTypeCode",
    "DatabaseType",
    "DatabaseTypeCode",
    "DqCheckStatus",
    "DqCheckStatusCode",
    "DqSeverity",
    "DqSeverityCode",
    "EnvType",
    "EnvTypeCode",
    "HookType",
    "HookTypeCode",
    "Metric",
    "MetricCode",
    "TriggerType",
    "TriggerTypeCode",
]
