"""The built-in checks a rule runs: freeze (a lockdown calendar), window (an allowed window: only between
… and …), code (patterns over the code snapshot), limit (numeric bounds) and allow / deny (glob lists).

Limits and lists read named values (``node_count``, ``operator`` …) from the event's facts
(:mod:`dwevents.models.facts`), so a rule means the same field whatever the payload calls it; a
``data.<wireName>`` field reads the event's ``data`` as received.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from dwevents.envelope import DataWorksEvent
from dwevents.models.facts import Facts, facts_of
from dwevents.policy.rules import (
    LIMIT_FIELDS,
    LIST_FIELDS,
    WEEKDAYS,
    CodeCheck,
    FreezeCheck,
    LimitCheck,
    ListCheck,
    WindowCheck,
    zone,
)

__all__ = [
    "LIMITS",
    "SUBJECTS",
    "Failure",
    "check_code",
    "check_freeze",
    "check_limit",
    "check_list",
    "check_window",
    "code_text",
    "data_field",
]


@dataclass(frozen=True)
class Failure:
    """A failing check, with the values its tip may quote."""

    values: dict[str, Any]


#: What a ``limit`` bounds, read from the facts (keys: :data:`dwevents.policy.rules.LIMIT_FIELDS`).
LIMITS: dict[str, Callable[[Facts], float | int | None]] = {
    "backfill_days": lambda f: f.backfill_days,
    "download_rows": lambda f: f.rows,
    "file_size_mb": lambda f: f.file_size_mb,
    "instance_count": lambda f: f.instance_count,
    "node_count": lambda f: f.node_count,
    "rule_count": lambda f: f.rule_count,
    "table_count": lambda f: f.table_count,
}

#: What an ``allow`` / ``deny`` list tests, read from the facts (keys: ``LIST_FIELDS``).
SUBJECTS: dict[str, Callable[[Facts], list[str]]] = {
    "datasource": lambda f: list(f.data_sources),
    "operator": lambda f: [f.operator] if f.operator is not None else [],
    "table": lambda f: list(f.tables),
    "workspace": lambda f: [str(f.workspace_id)] if f.workspace_id is not None else [],
}
assert set(LIMITS) == set(LIMIT_FIELDS) and set(SUBJECTS) == set(LIST_FIELDS), "schema and checks disagree"


def check_freeze(check: FreezeCheck, now: datetime) -> Failure | None:
    """Frozen when 'now' is inside a window (or any time, without windows) on a listed day.

    An overnight window (22:00-06:00) belongs to the day it starts on: with ``weekdays: [fri]`` it
    covers Friday 22:00 to Saturday 06:00, not Friday's early morning.
    """
    local = now.astimezone(zone(check.timezone))
    today, clock = local.date(), local.time().replace(second=0, microsecond=0)
    anchors: list[date] = []
    if not check.windows:
        anchors.append(today)
    for window in check.windows:
        start, end = dtime.fromisoformat(window.start), dtime.fromisoformat(window.end)
        if start <= end:
            if start <= clock <= end:
                anchors.append(today)
        elif clock >= start:
            anchors.append(today)
        elif clock <= end:
            anchors.append(today - timedelta(days=1))
    if not anchors:
        return None
    has_days = bool(check.dates or check.ranges or check.weekdays)
    for day in dict.fromkeys(anchors):
        reasons = []
        if day in check.dates:
            reasons.append(f"{day.isoformat()} is a freeze date")
        for r in check.ranges:
            if r.start <= day <= r.end:
                reasons.append(f"freeze from {r.start.isoformat()} to {r.end.isoformat()}")
        if WEEKDAYS[day.weekday()] in check.weekdays:
            reasons.append(f"no changes on {WEEKDAYS[day.weekday()]}")
        if reasons or not has_days:
            reasons = reasons or ["inside a daily freeze window"]
            return Failure({"reason": "; ".join(reasons), "now": local.strftime("%Y-%m-%d %H:%M %Z")})
    return None


def check_window(check: WindowCheck, now: datetime) -> Failure | None:
    """Allowed only inside a window: fails when 'now' (in the check's time zone) is in none of them.

    ``from`` is inclusive, ``to`` exclusive (10:00-18:00 allows 10:00:00 to 17:59:59). An overnight window
    (22:00-06:00) belongs to the day it starts on, as a freeze window does: with ``weekdays: [fri]`` it
    allows Friday 22:00 to Saturday 06:00. ``weekdays`` alone allows those whole days.
    """
    local = now.astimezone(zone(check.timezone))
    today, clock = local.date(), local.time().replace(microsecond=0, tzinfo=None)
    days = set(check.weekdays) or set(WEEKDAYS)
    anchors: list[date] = []
    for window in check.between or ():
        start, end = dtime.fromisoformat(window.start), dtime.fromisoformat(window.end)
        if start < end:
            if start <= clock < end:
                anchors.append(today)
        elif clock >= start:
            anchors.append(today)
        elif clock < end:
            anchors.append(today - timedelta(days=1))
    if not check.between:
        anchors.append(today)
    if any(WEEKDAYS[day.weekday()] in days for day in anchors):
        return None
    hours = ", ".join(f"{w.start}-{w.end}" for w in check.between) or "all day"
    on = f" on {','.join(d for d in WEEKDAYS if d in days)}" if check.weekdays else ""
    window_text = f"{hours}{on} ({check.timezone})"
    return Failure(
        {
            "reason": f"outside the allowed window {window_text}",
            "window": window_text,
            "now": local.strftime("%Y-%m-%d %H:%M %Z"),
        }
    )


def code_text(detail: Mapping[str, Any]) -> str:
    """The code (or table model as DDL-like text) of a GetIDEEventDetail answer."""
    detail = detail.get("EventDetail", detail)
    for key in ("CommittedFile", "DeletedFile", "FileExecutionCommand"):
        part = detail.get(key)
        if isinstance(part, Mapping) and part.get("Content") is not None:
            return str(part["Content"])
    model = detail.get("TableModel")
    if isinstance(model, Mapping):
        lines = [
            f"TABLE {model.get('TableName', '')} COMMENT '{model.get('Comment', '')}' "
            f"LIFECYCLE {model.get('LifeCycle', '')}"
        ]
        for col in model.get("Columns") or []:
            part = " PARTITION" if col.get("IsPartitionColumn") else ""
            lines.append(
                f"  {col.get('ColumnName')} {col.get('ColumnType')}{part} COMMENT '{col.get('Comment', '')}'"
            )
        return "\n".join(lines)
    return ""


def check_code(check: CodeCheck, text: str) -> Failure | None:
    flags = re.IGNORECASE if check.ignore_case else 0
    lines = text.splitlines()
    for pattern in check.deny:
        rx = re.compile(pattern, flags)
        for number, line in enumerate(lines, start=1):
            found = rx.search(line)
            if found:
                return Failure(
                    {
                        "line": line.strip()[:200],
                        "line_no": number,
                        "match": found.group(0),
                        "pattern": pattern,
                    }
                )
    for pattern in check.require:
        if not re.search(pattern, text, flags | re.MULTILINE):
            return Failure(
                {
                    "line": "",
                    "line_no": 0,
                    "match": "",
                    "pattern": pattern,
                    "reason": f"required pattern {pattern!r} not found",
                }
            )
    return None


def data_field(event: DataWorksEvent, dotted: str) -> Any:
    """The value at ``data.a.b`` of the event as received (None when any step is missing)."""
    node: Any = event.as_cloudevent()
    for part in dotted.split("."):
        if isinstance(node, Mapping):
            node = node.get(part)
        else:
            return None
    return node


def _num(value: Any) -> float | None:
    """A number to compare, or None (nothing to bound); an integer too large for a float is infinite,
    so it still breaks a ``max`` instead of raising."""
    try:
        return float(value) if value not in (None, "") else None
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")
    except (TypeError, ValueError):
        return None


def check_limit(check: LimitCheck, event: DataWorksEvent) -> Failure | None:
    if check.field.startswith("data."):
        raw = data_field(event, check.field)
    else:
        raw = LIMITS[check.field](facts_of(event.payload))
    value = _num(raw)
    if value is None:
        return None
    if check.max is not None and value > check.max:
        return Failure({"value": _pretty(value), "limit": _pretty(check.max), "bound": "max"})
    if check.min is not None and value < check.min:
        return Failure({"value": _pretty(value), "limit": _pretty(check.min), "bound": "min"})
    return None


def _pretty(n: float) -> str:
    if n in (float("inf"), float("-inf")):
        return str(n)
    return str(int(n)) if float(n).is_integer() else f"{n:.2f}"


def _subjects(check: ListCheck, event: DataWorksEvent) -> list[str]:
    if check.field.startswith("data."):
        value = data_field(event, check.field)
        items = value if isinstance(value, list) else [value]
        return [str(v) for v in items if v not in (None, "")]
    return SUBJECTS[check.field](facts_of(event.payload))


def check_list(check: ListCheck, event: DataWorksEvent, *, allow: bool) -> Failure | None:
    """``deny``: fails when any subject matches. ``allow``: fails when any subject does not match, and
    when there is no subject to check at all (an allow-list fails closed rather than passing silently)."""
    subjects = _subjects(check, event)
    if allow and not subjects:
        return Failure({"value": "(unknown)", "field": check.field})
    for subject in subjects:
        listed = any(fnmatch.fnmatchcase(subject, pattern) for pattern in check.values)
        if listed != allow:
            return Failure({"value": subject, "field": check.field})
    return None
