"""The policy engine: rules from a YAML file decide OK / WARN / FAIL for extension points.

A rule names the eventCodes it applies to, an optional ``when`` (an EventBridge pattern over the
event: the same matcher and language as the local router), one ``check``, the ``verdict`` it gives
when the check fails (FAIL, WARN, or a per-workspace option such as the MAX_PT demo's
``checkStatus``) and a ``tip`` with ``{placeholders}`` from the event. FAIL beats WARN; among equal
verdicts the first failing rule decides; no rule failing → OK.

Before any rule, DataWorks' own extension parameters (read with GetExtension, cached) are honoured:
``extension.project.disabled``, ``extension.project.{eventCode}.disabled`` (and their ``.append``
forms) and ``extension.fileType.{fileType}.{eventCode}.enabled``. Enrichment (GetExtension,
GetIDEEventDetail, GetOptionValueForProject) happens only when an applicable rule needs it.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import string
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dwevents.catalogue import lookup
from dwevents.envelope import DataWorksEvent
from dwevents.errors import ConfigError, TransientError
from dwevents.verdict import CheckResult, Verdict

if TYPE_CHECKING:
    from dwevents.dataworks import DataWorksClient
    from dwevents.local.pattern import EventPattern

logger = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FIXED_ZONES = {"Asia/Shanghai": 8, "Asia/Hong_Kong": 8, "Asia/Singapore": 8, "Asia/Tokyo": 9, "UTC": 0}


# ============================================================================================
# Rules file schema
# ============================================================================================


class _RulesLoader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps: dates stay text and the schema validates them, naming the
    rule and key (PyYAML itself raises a bare ValueError for an impossible date such as 2026-02-30)."""


_RulesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TimeWindow(_Strict):
    start: str = Field(alias="from")
    end: str = Field(alias="to")

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError(f"expected HH:MM, got {value!r}")
        return value


class DateRange(_Strict):
    start: date = Field(alias="from")
    end: date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError("'to' is before 'from'")
        return self


class FreezeCheck(_Strict):
    """A lockdown calendar: the check fails when 'now' falls in any listed period."""

    timezone: str = "Asia/Shanghai"
    dates: list[date] = Field(default_factory=list)
    ranges: list[DateRange] = Field(default_factory=list)
    weekdays: list[str] = Field(default_factory=list)
    windows: list[TimeWindow] = Field(default_factory=list)

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[str]) -> list[str]:
        out = [v.strip().lower()[:3] for v in value]
        bad = [v for v, o in zip(value, out, strict=True) if o not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown weekday {bad[0]!r}; use mon..sun")
        return out

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        _tz(value)
        return value

    @model_validator(mode="after")
    def _something(self) -> FreezeCheck:
        if not (self.dates or self.ranges or self.weekdays or self.windows):
            raise ValueError("a freeze needs dates, ranges, weekdays or windows")
        return self


class CodeCheck(_Strict):
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


class LimitCheck(_Strict):
    """Numeric bounds on a payload field (``data.dataRowSize``) or a derived value."""

    field: str
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> LimitCheck:
        if self.min is None and self.max is None:
            raise ValueError("a limit needs min or max")
        if not (self.field.startswith("data.") or self.field in DERIVED):
            raise ValueError(
                f"field {self.field!r}: use data.<wireName> or one of {', '.join(sorted(DERIVED))}"
            )
        return self


class ListCheck(_Strict):
    """Glob lists over operators, workspaces, tables, data sources or any ``data.`` field."""

    field: str
    values: list[str]

    @model_validator(mode="after")
    def _field(self) -> ListCheck:
        if not (self.field.startswith("data.") or self.field in SUBJECTS):
            raise ValueError(
                f"field {self.field!r}: use data.<wireName> or one of {', '.join(sorted(SUBJECTS))}"
            )
        if not self.values:
            raise ValueError("values must not be empty")
        return self


class Check(_Strict):
    freeze: FreezeCheck | None = None
    code: CodeCheck | None = None
    limit: LimitCheck | None = None
    allow: ListCheck | None = None
    deny: ListCheck | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Check:
        chosen = [k for k in ("freeze", "code", "limit", "allow", "deny") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError(
                f"exactly one check of freeze, code, limit, allow, deny is required; got "
                f"{', '.join(chosen) or 'none'}"
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("freeze", "code", "limit", "allow", "deny") if getattr(self, k) is not None)


class OptionVerdict(_Strict):
    """Take the verdict from the workspace's extension options (GetOptionValueForProject)."""

    option: str
    default: Literal["WARN", "FAIL"] = "WARN"


class Rule(_Strict):
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


class RulesFile(_Strict):
    version: Literal[1] = 1
    rules: list[Rule] = Field(default_factory=list)


# ============================================================================================
# Enrichment
# ============================================================================================


class ExtensionParamCache:
    """GetExtension's ParameterSetting, parsed and cached per extension code for ``ttl_s``."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._data: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def get(self, code: str) -> dict[str, str] | None:
        with self._lock:
            hit = self._data.get(code)
            if hit and self.clock() - hit[0] < self.ttl_s:
                return hit[1]
        return None

    def put(self, code: str, params: dict[str, str]) -> None:
        with self._lock:
            self._data[code] = (self.clock(), params)


class Enricher:
    """Calls DataWorks for what rules need, within the decision deadline, each call at most once."""

    def __init__(
        self,
        client: Callable[[], DataWorksClient],
        extension_code: str | None,
        cache: ExtensionParamCache,
        *,
        deadline: float,
    ) -> None:
        self._client = client
        self.extension_code = extension_code
        self.cache = cache
        self.deadline = deadline
        self._memo: dict[str, Any] = {}
        self.calls: list[str] = []

    def _timeout(self, what: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0.05:
            raise TransientError(f"no time left to call {what}")
        return left

    def extension_params(self) -> dict[str, str]:
        if not self.extension_code:
            return {}
        cached = self.cache.get(self.extension_code)
        if cached is not None:
            return cached
        self.calls.append("GetExtension")
        ext = self._client().get_extension(self.extension_code, timeout_s=self._timeout("GetExtension"))
        setting = ext.get("ParameterSetting") or ext.get("Extension", {}).get("ParameterSetting") or ""
        params = parse_parameter_setting(str(setting))
        self.cache.put(self.extension_code, params)
        return params

    def event_detail(self, event: DataWorksEvent) -> dict[str, Any]:
        if "detail" not in self._memo:
            project_id = getattr(event.payload, "project_id", None)
            if project_id is None:
                raise ValueError("the event has no projectId; GetIDEEventDetail needs one")
            self.calls.append("GetIDEEventDetail")
            self._memo["detail"] = self._client().get_ide_event_detail(
                event.message_id, int(project_id), timeout_s=self._timeout("GetIDEEventDetail")
            )
        detail: dict[str, Any] = self._memo["detail"]
        return detail

    def options(self, project_id: Any) -> dict[str, Any]:
        key = f"options:{project_id}"
        if key not in self._memo:
            if not self.extension_code or project_id is None:
                self._memo[key] = {}
            else:
                self.calls.append("GetOptionValueForProject")
                self._memo[key] = self._client().get_option_value_for_project(
                    self.extension_code, str(project_id), timeout_s=self._timeout("GetOptionValueForProject")
                )
        options: dict[str, Any] = self._memo[key]
        return options


def parse_parameter_setting(text: str) -> dict[str, str]:
    """``key=value`` lines; the last value of a key wins; ``.append`` keys extend their base list."""
    params: dict[str, str] = {}
    appends: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if key.endswith(".append"):
            appends.append((key[: -len(".append")], value))
        else:
            params[key] = value
    for base, value in appends:
        params[base] = ",".join(v for v in (params.get(base, ""), value) if v)
    return params


def disabled_by_params(params: Mapping[str, str], event: DataWorksEvent) -> str | None:
    """Why DataWorks' own extension parameters switch the check off for this event, or None."""
    workspace = _workspace(event)
    code = (event.spec.event_code if event.spec is not None else event.event_code) or ""
    ws = str(workspace) if workspace is not None else None

    def listed(key: str) -> bool:
        return ws is not None and ws in {v.strip() for v in params.get(key, "").split(",") if v.strip()}

    if listed("extension.project.disabled"):
        return f"the extension is disabled for workspace {ws} (extension.project.disabled)"
    if listed(f"extension.project.{code}.disabled"):
        return f"{code} checks are disabled for workspace {ws} (extension.project.{code}.disabled)"
    file_type = getattr(event.payload, "file_type", None)
    if file_type is not None:
        file_type = file_type.value if isinstance(file_type, Enum) else file_type
        own = params.get(f"extension.fileType.{file_type}.{code}.enabled")
        if own is not None and own.strip().lower() == "false":
            return (
                f"{code} checks are disabled for file type {file_type} (extension.fileType...enabled=false)"
            )
        enabled_types = [
            k
            for k, v in params.items()
            if k.startswith("extension.fileType.")
            and k.endswith(f".{code}.enabled")
            and v.strip().lower() == "true"
        ]
        if enabled_types and own is None:
            return f"{code} checks are enabled only for other file types (extension.fileType...enabled)"
    return None


# ============================================================================================
# Checks
# ============================================================================================


@dataclass(frozen=True)
class Failure:
    """A failing check, with the values its tip may quote."""

    values: dict[str, Any]


def _tz(name: str) -> timezone:
    if name in _FIXED_ZONES:
        return timezone(timedelta(hours=_FIXED_ZONES[name]), name)
    match = re.fullmatch(r"(?:UTC)?([+-])(\d{1,2}):?(\d{2})?", name)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0)), name)
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)  # type: ignore[return-value]
    except Exception:
        raise ValueError(f"unknown time zone {name!r}") from None


def check_freeze(check: FreezeCheck, now: datetime) -> Failure | None:
    """Frozen when 'now' is inside a window (or any time, without windows) on a listed day.

    An overnight window (22:00-06:00) belongs to the day it starts on: with ``weekdays: [fri]`` it
    covers Friday 22:00 to Saturday 06:00, not Friday's early morning.
    """
    local = now.astimezone(_tz(check.timezone))
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


def _in_window(clock: dtime, start: dtime, end: dtime) -> bool:
    return start <= clock <= end if start <= end else (clock >= start or clock <= end)


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


def _path(event: DataWorksEvent, dotted: str) -> Any:
    node: Any = event.as_cloudevent()
    for part in dotted.split("."):
        if isinstance(node, Mapping):
            node = node.get(part)
        else:
            return None
    return node


def _workspace(event: DataWorksEvent) -> Any:
    p = event.payload
    for name in ("project_id", "app_id", "workspace_id", "query_dw_project_id", "root_node_project_id"):
        value = getattr(p, name, None)
        if value not in (None, ""):
            return value
    return None


def _count(value: Any) -> int | None:
    return len(value) if isinstance(value, (list, tuple, set)) else None


def _backfill_days(event: DataWorksEvent) -> float | None:
    """Days from the earliest business date to the latest of a backfill, inclusive."""
    span = getattr(event.payload, "span_days", None)
    return float(span) if isinstance(span, int) else None


def _tables(event: DataWorksEvent) -> list[str]:
    p = event.payload
    out: list[str] = []
    for name in ("table_name", "table_guid"):
        value = getattr(p, name, None)
        if value:
            out.append(str(value))
    mappings = list(getattr(p, "table_mapping", None) or [])
    for group in getattr(p, "table_mappings", None) or []:
        mappings.extend(getattr(group, "table_mapping", None) or [])
    for m in mappings:
        for attr in ("src_table", "dst_table"):
            value = getattr(m, attr, None)
            if value:
                out.append(str(value))
    target = getattr(p, "target", None)
    if target is not None and getattr(target, "table_guid", None):
        out.append(str(target.table_guid))
    return out


def _datasources(event: DataWorksEvent) -> list[str]:
    p = event.payload
    out = [
        str(v) for n in ("data_source_name", "datasource_name", "datasource") if (v := getattr(p, n, None))
    ]
    for m in getattr(p, "table_mapping", None) or []:
        for attr in ("src_datasource_name", "dst_datasource_name"):
            if v := getattr(m, attr, None):
                out.append(str(v))
    return out


#: Derived values a ``limit`` may bound.
DERIVED: dict[str, Callable[[DataWorksEvent], float | None]] = {
    "backfill_days": _backfill_days,
    "node_count": lambda e: _count(
        getattr(e.payload, "node_ids", None) or getattr(e.payload, "include_node_ids", None)
    ),
    "instance_count": lambda e: _count(getattr(e.payload, "task_ids", None)),
    "table_count": lambda e: float(len(_tables(e))) if _tables(e) else None,
    "rule_count": lambda e: _count(getattr(e.payload, "rules", None) or getattr(e.payload, "ids", None)),
    "download_rows": lambda e: _num(getattr(e.payload, "data_row_size", None)),
    "file_size_mb": lambda e: (
        (n / 1024 / 1024) if (n := _num(getattr(e.payload, "file_size", None))) else None
    ),
}

#: Subjects an ``allow`` / ``deny`` list may name.
SUBJECTS: dict[str, Callable[[DataWorksEvent], list[str]]] = {
    "operator": lambda e: [
        str(v) for n in ("operator", "operator_uid", "operator_base_id") if (v := getattr(e.payload, n, None))
    ][:1],
    "workspace": lambda e: [str(w)] if (w := _workspace(e)) is not None else [],
    "table": _tables,
    "datasource": _datasources,
}


def _num(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def check_limit(check: LimitCheck, event: DataWorksEvent) -> Failure | None:
    raw = _path(event, check.field) if check.field.startswith("data.") else DERIVED[check.field](event)
    value = _num(raw)
    if value is None:
        return None
    if check.max is not None and value > check.max:
        return Failure({"value": _pretty(value), "limit": _pretty(check.max), "bound": "max"})
    if check.min is not None and value < check.min:
        return Failure({"value": _pretty(value), "limit": _pretty(check.min), "bound": "min"})
    return None


def _pretty(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else f"{n:.2f}"


def _subjects(check: ListCheck, event: DataWorksEvent) -> list[str]:
    if check.field.startswith("data."):
        value = _path(event, check.field)
        items = value if isinstance(value, list) else [value]
        return [str(v) for v in items if v not in (None, "")]
    return SUBJECTS[check.field](event)


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


# ============================================================================================
# The engine
# ============================================================================================


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class _Formatter(string.Formatter):
    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        if field_name.startswith("data.") or (
            field_name.count(".") and field_name.split(".")[0] in ("options",)
        ):
            return kwargs.get(field_name, "{" + field_name + "}"), field_name
        return super().get_field(field_name, args, kwargs)


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    pattern: EventPattern | None

    def applies(self, event: DataWorksEvent) -> bool:
        code = event.spec.event_code if event.spec is not None else event.event_code
        if code not in self.rule.events:
            return False
        return self.pattern is None or self.pattern.matches(event.as_cloudevent())


class PolicyEngine:
    """Validated rules, ready to evaluate. Build with :meth:`load` (file, or the shipped default)."""

    def __init__(
        self,
        rules: Iterable[Rule],
        *,
        source: str = "<rules>",
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        from dwevents.local.pattern import compile_pattern

        self.source = source
        self.clock = clock
        compiled = []
        for i, rule in enumerate(rules):
            try:
                pattern = compile_pattern(rule.when) if rule.when else None
            except ConfigError as exc:
                raise ConfigError(f"when: {exc}", key=f"rules[{i}] ({rule.name})", source=source) from None
            compiled.append(CompiledRule(rule, pattern))
        self.rules = tuple(compiled)

    @classmethod
    def load(cls, path: str | Path | None = None, **kwargs: Any) -> PolicyEngine:
        """Load and validate a rules file; ``None`` → the default shipped with the package."""
        if path is None:
            text = resources.files("dwevents").joinpath("data/rules/default.yaml").read_text(encoding="utf-8")
            return cls.from_yaml(text, source="default rules", **kwargs)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read rules file ({exc.strerror})", source=str(path)) from None
        return cls.from_yaml(text, source=str(path), **kwargs)

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "<rules>", **kwargs: Any) -> PolicyEngine:
        try:
            data = yaml.load(text, Loader=_RulesLoader) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ConfigError(
                f"not valid YAML{f' at line {mark.line + 1}' if mark else ''}", source=source
            ) from None
        if not isinstance(data, dict):
            raise ConfigError("expected a mapping with 'rules'", source=source)
        try:
            parsed = RulesFile.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(_describe(exc, data), source=source) from None
        names = [r.name for r in parsed.rules]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ConfigError(f"duplicate rule name {sorted(dupes)[0]!r}", source=source)
        return cls(parsed.rules, source=source, **kwargs)

    def applicable(self, event: DataWorksEvent) -> list[CompiledRule]:
        return [r for r in self.rules if r.applies(event)]

    def evaluate(self, event: DataWorksEvent, enricher: Enricher) -> Verdict:
        """The verdict for one event (may raise: the caller turns errors into the fail-mode verdict)."""
        rules = self.applicable(event)
        if not rules:
            return Verdict(CheckResult.OK, "", None, "policy")
        why = disabled_by_params(enricher.extension_params(), event)
        if why:
            logger.info("check skipped: %s", why)
            return Verdict(CheckResult.OK, f"dwevents: {why}", None, "extension-params")
        warn: Verdict | None = None
        for compiled in rules:
            rule = compiled.rule
            failure = self._run_check(rule, event, enricher)
            if failure is None:
                continue
            result = self._verdict_for(rule, event, enricher)
            if result is CheckResult.OK:
                continue
            verdict = Verdict(result, self._tip(rule, event, failure), rule.name, "policy")
            if result is CheckResult.FAIL:
                return verdict
            warn = warn or verdict
        return warn or Verdict(CheckResult.OK, "", None, "policy")

    def _run_check(self, rule: Rule, event: DataWorksEvent, enricher: Enricher) -> Failure | None:
        check = rule.check
        if check.freeze is not None:
            return check_freeze(check.freeze, self.clock())
        if check.code is not None:
            return check_code(check.code, code_text(enricher.event_detail(event)))
        if check.limit is not None:
            return check_limit(check.limit, event)
        if check.allow is not None:
            return check_list(check.allow, event, allow=True)
        assert check.deny is not None
        return check_list(check.deny, event, allow=False)

    def _verdict_for(self, rule: Rule, event: DataWorksEvent, enricher: Enricher) -> CheckResult:
        if isinstance(rule.verdict, OptionVerdict):
            options = enricher.options(_workspace(event))
            chosen = str(options.get(rule.verdict.option) or rule.verdict.default).upper()
            if chosen in ("OK", "PASS", "NONE"):
                return CheckResult.OK
            return CheckResult.FAIL if chosen == "FAIL" else CheckResult.WARN
        return CheckResult(rule.verdict)

    def _tip(self, rule: Rule, event: DataWorksEvent, failure: Failure) -> str:
        values: dict[str, Any] = {
            "rule": rule.name,
            "type": event.type,
            "event_code": event.event_code,
            "message_id": event.message_id,
            "workspace": _workspace(event),
            "operator": next(iter(SUBJECTS["operator"](event)), None),
        }
        values.update(failure.values)
        for name in re.findall(r"\{(data\.[A-Za-z0-9_.]+)\}", rule.tip):
            value = _path(event, name)
            if value is not None:  # a field the event lacks stays visible, like any unknown placeholder
                values[name] = value
        try:
            return _Formatter().vformat(rule.tip, (), _SafeDict(values))
        except (ValueError, IndexError, KeyError, AttributeError):
            return rule.tip


def _describe(exc: ValidationError, data: Mapping[str, Any]) -> str:
    """Name the bad rule by index and name, then the key inside it."""
    first = exc.errors(include_url=False)[0]
    loc = list(first["loc"])
    where = ""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules") or []
        name = rules[loc[1]].get("name") if loc[1] < len(rules) and isinstance(rules[loc[1]], dict) else None
        where = f"rules[{loc[1]}]" + (f" ({name})" if name else "")
        loc = loc[2:]
    inner = ".".join(str(p) for p in loc if not str(p).startswith(("function-", "literal[")))
    inner = re.sub(r"\.?(OptionVerdict|str)\b", "", inner)
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return ": ".join(p for p in (where, inner, msg) if p)
