"""The rules file: its schema (``version: 1``) and how it is read.

A rule names the eventCodes it applies to, an optional ``when`` (an EventBridge pattern over the event,
:mod:`dwevents.pattern`), one ``check``, the ``verdict`` it gives when the check fails and a ``tip``.
Errors name the file, the rule (index and name) and the key, in the words every configuration file of
the package uses (:mod:`dwevents.schema`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta, timezone, tzinfo
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from dwevents.catalogue import lookup
from dwevents.errors import ConfigError
from dwevents.models import prebuilt
from dwevents.schema import Strict, describe_error, load_yaml

__all__ = [
    "LIMIT_FIELDS",
    "LIST_FIELDS",
    "WEEKDAYS",
    "Check",
    "CodeCheck",
    "DateRange",
    "FreezeCheck",
    "LimitCheck",
    "ListCheck",
    "OptionVerdict",
    "Rule",
    "RulesFile",
    "TimeWindow",
    "WindowCheck",
    "load_rules",
    "rules_from_data",
    "zone",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Values a ``limit`` may bound besides ``data.<wireName>`` (each read from the event's facts).
LIMIT_FIELDS = (
    "backfill_days",
    "download_rows",
    "file_size_mb",
    "instance_count",
    "node_count",
    "rule_count",
    "table_count",
)
#: Subjects an ``allow`` / ``deny`` list may name besides ``data.<wireName>``.
LIST_FIELDS = ("datasource", "operator", "table", "workspace")
_FIXED_ZONES = {"Asia/Shanghai": 8, "Asia/Hong_Kong": 8, "Asia/Singapore": 8, "Asia/Tokyo": 9, "UTC": 0}


def weekday_names(value: list[str]) -> list[str]:
    """``Monday``, ``tue`` … → ``mon``, ``tue``; an unknown day is an error naming it."""
    out = [v.strip().lower()[:3] for v in value]
    bad = [v for v, o in zip(value, out, strict=True) if o not in WEEKDAYS]
    if bad:
        raise ValueError(f"unknown weekday {bad[0]!r}; use mon..sun")
    return out


class TimeWindow(Strict):
    start: str = Field(alias="from")
    end: str = Field(alias="to")

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError(f"expected HH:MM, got {value!r}")
        return value


class DateRange(Strict):
    start: date = Field(alias="from")
    end: date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError("'to' is before 'from'")
        return self


class _Calendar(Strict):
    """What a freeze and an allowed window check alike: their ``timezone`` and ``weekdays`` (the fields
    stay declared in each subclass, in the order its errors are reported)."""

    @field_validator("weekdays", check_fields=False)
    @classmethod
    def _weekdays(cls, value: list[str]) -> list[str]:
        return weekday_names(value)

    @field_validator("timezone", check_fields=False)
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value


class FreezeCheck(_Calendar):
    """A lockdown calendar: the check fails when 'now' falls in any listed period."""

    timezone: str = "Asia/Shanghai"
    dates: list[date] = Field(default_factory=list)
    ranges: list[DateRange] = Field(default_factory=list)
    weekdays: list[str] = Field(default_factory=list)
    windows: list[TimeWindow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> FreezeCheck:
        if not (self.dates or self.ranges or self.weekdays or self.windows):
            raise ValueError("a freeze needs dates, ranges, weekdays or windows")
        return self


class WindowCheck(_Calendar):
    """An allowed window: the check fails when 'now' is outside it ("deploys only 10:00-18:00, Mon-Fri").

    ``between`` is one ``{from, to}`` or a list of them (from inclusive, to exclusive; an overnight window
    such as 22:00-06:00 belongs to the day it starts on); ``weekdays`` the days it is open (default every
    day; alone, whole days). The complement of a freeze, added to ``version: 1``.
    """

    timezone: str = "Asia/Shanghai"
    between: list[TimeWindow] = Field(default_factory=list)
    weekdays: list[str] = Field(default_factory=list)

    @field_validator("between", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("between")
    @classmethod
    def _not_empty(cls, value: list[TimeWindow]) -> list[TimeWindow]:
        for window in value:
            if window.start == window.end:
                raise ValueError(f"window {window.start}-{window.end} is empty")
        return value

    @model_validator(mode="after")
    def _something(self) -> WindowCheck:
        if not (self.between or self.weekdays):
            raise ValueError("an allowed window needs between or weekdays")
        return self


class CodeCheck(Strict):
    """Regular expressions over the code (or table model) fetched with GetIDEEventDetail."""

    deny: list[str] = Field(default_factory=list)
    require: list[str] = Field(default_factory=list)
    ignore_case: bool = True

    @field_validator("deny", "require")
    @classmethod
    def _regex(cls, value: list[str]) -> list[str]:
        for i, pattern in enumerate(value):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"[{i}] invalid regular expression {pattern!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _something(self) -> CodeCheck:
        if not (self.deny or self.require):
            raise ValueError("a code check needs deny or require patterns")
        return self


class LimitCheck(Strict):
    """Numeric bounds on a payload field (``data.dataRowSize``) or a derived value."""

    field: str
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> LimitCheck:
        if self.min is None and self.max is None:
            raise ValueError("a limit needs min or max")
        if not (self.field.startswith("data.") or self.field in LIMIT_FIELDS):
            raise ValueError(
                f"field {self.field!r}: use data.<wireName> or one of {', '.join(sorted(LIMIT_FIELDS))}"
            )
        return self


class ListCheck(Strict):
    """Glob lists over operators, workspaces, tables, data sources or any ``data.`` field."""

    field: str
    values: list[str]

    @model_validator(mode="after")
    def _field(self) -> ListCheck:
        if not (self.field.startswith("data.") or self.field in LIST_FIELDS):
            raise ValueError(
                f"field {self.field!r}: use data.<wireName> or one of {', '.join(sorted(LIST_FIELDS))}"
            )
        if not self.values:
            raise ValueError("values must not be empty")
        return self


#: The check kinds, in the order error messages list them.
CHECK_KINDS = ("freeze", "window", "code", "limit", "allow", "deny")


class Check(Strict):
    freeze: FreezeCheck | None = None
    window: WindowCheck | None = None
    code: CodeCheck | None = None
    limit: LimitCheck | None = None
    allow: ListCheck | None = None
    deny: ListCheck | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Check:
        chosen = [k for k in CHECK_KINDS if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError(
                f"exactly one check of {', '.join(CHECK_KINDS)} is required; "
                f"got {', '.join(chosen) or 'none'}"
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CHECK_KINDS if getattr(self, k) is not None)


class OptionVerdict(Strict):
    """Take the verdict from the workspace's extension options (GetOptionValueForProject)."""

    option: str
    default: Literal["WARN", "FAIL"] = "WARN"


class Rule(Strict):
    name: str
    events: list[str]
    when: dict[str, Any] | None = None
    check: Check
    verdict: Literal["WARN", "FAIL"] | OptionVerdict = "FAIL"
    tip: str = "{rule}: check failed"

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one eventCode is required")
        out = []
        for code in value:
            spec = lookup(code if ":" in code else None, code)
            if spec is None:
                raise ValueError(f"unknown eventCode {code!r}")
            if not spec.is_extension:
                raise ValueError(f"{code!r} is a regular event; rules apply to extension points only")
            out.append(spec.event_code)
        return out


class RulesFile(Strict):
    version: Literal[1] = 1
    rules: list[Rule] = Field(default_factory=list)


def load_rules(text: str, *, source: str) -> list[Rule]:
    """Parse and validate a rules file's text; a mistake is a :class:`ConfigError` naming rule and key."""
    return rules_from_data(load_yaml(text, source=source, top="a mapping with 'rules'"), source=source)


def rules_from_data(data: dict[str, Any], *, source: str) -> list[Rule]:
    """Validate a rules file already parsed (a mapping, as :func:`load_rules` reads the YAML)."""
    prebuilt.install(RulesFile)  # validators without pydantic's schema generation (cold start)
    try:
        parsed = RulesFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data), source=source) from None
    names = [r.name for r in parsed.rules]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ConfigError(f"duplicate rule name {sorted(dupes)[0]!r}", source=source)
    return parsed.rules


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    """``rules[2] (no-drop): check.code.deny: <what>``: the rule by index and name, then the key inside."""
    key, message = describe_error(exc)
    found = re.fullmatch(r"rules\[(\d+)\]\.?(.*)", key)
    if found is None:
        return ": ".join(p for p in (key, message) if p)
    index, inner = int(found.group(1)), found.group(2)
    rules = data.get("rules") or []
    item = rules[index] if index < len(rules) else None
    name = item.get("name") if isinstance(item, dict) else None
    where = f"rules[{index}]" + (f" ({name})" if name else "")
    return ": ".join(p for p in (where, inner, message) if p)


def zone(name: str) -> tzinfo:
    """A fixed offset for the common names (no tz database needed), else the IANA zone."""
    if name in _FIXED_ZONES:
        return timezone(timedelta(hours=_FIXED_ZONES[name]), name)
    match = re.fullmatch(r"(?:UTC)?([+-])(\d{1,2}):?(\d{2})?", name)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0)), name)
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:
        raise ValueError(f"unknown time zone {name!r}") from None
