"""Rule tests: a YAML file of cases, each an event plus what the rules must decide for it.

``dwevents rules test RULES CASES...`` runs every case through the function of the event's category
(the same pipeline as ``dwevents replay``: nothing is sent to DataWorks) and compares the verdict. A case::

    version: 1
    cases:
      - name: drop-table-blocks-deploy
        event: deploy-file            # the sample events/<Category>/deploy-file.json (or file: x.json)
        data: {projectId: 42}         # merged into the event's data
        set: {aliyunaccountid: "1"}   # dotted paths anywhere in the event
        code: |                       # the code a code rule reads (GetIDEEventDetail's snapshot)
          DROP TABLE ods_orders;
        options: {checkStatus: WARN}  # the workspace's extension options (GetOptionValueForProject)
        now: 2026-12-25T10:00:00+08:00  # the clock freeze / allowed-window rules judge
        expect: FAIL                  # OK | WARN | FAIL | UNKNOWN (a code rule without code)
        rule: no-drop-table           # optional: the rule that must decide
        tip: "line 1"                 # optional: text the tip must contain

A case judges the rules file alone: no config file and no ``DWEVENTS_*`` variable of the caller's
shell applies (the fail mode is the default, WARN), so the result is the same on every machine.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from dwevents.errors import ConfigError, DwEventsError
from dwevents.local.judge import Judge, Judgement, RecordingTransport
from dwevents.local.overrides import Fixtures, parse_time, read_text
from dwevents.schema import Strict, describe_error, load_yaml


class Case(Strict):
    name: str
    event: str | None = None
    file: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    overrides: dict[str, Any] = Field(default_factory=dict, alias="set")
    code: str | None = None
    options: dict[str, Any] | None = None
    now: str | None = None
    expect: Literal["OK", "WARN", "FAIL", "UNKNOWN"]
    rule: str | None = None
    tip: str | None = None

    @field_validator("now")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_time(value, "now")
            except DwEventsError as exc:
                raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _one_event(self) -> Case:
        if (self.event is None) == (self.file is None):
            raise ValueError("give exactly one of event (an eventCode) or file")
        return self


class CaseFile(Strict):
    version: Literal[1] = 1
    cases: list[Case]

    @field_validator("cases")
    @classmethod
    def _some(cls, value: list[Case]) -> list[Case]:
        if not value:
            raise ValueError("at least one case is required")
        names = [c.name for c in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate case name {dupes[0]!r}")
        return value


@dataclass
class CaseResult:
    source: str
    case: Case
    judged: Judgement
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems

    def line(self) -> str:
        if self.passed:
            return f"PASS {self.source}: {self.case.name}"
        return f"FAIL {self.source}: {self.case.name}: {'; '.join(self.problems)}"


def load_cases(path: Path) -> CaseFile:
    source = str(path)
    data = load_yaml(read_text(path, "cases"), source=source)
    try:
        return CaseFile.model_validate(data)
    except ValidationError as exc:
        raw_cases = data.get("cases")
        cases: list[Any] = raw_cases if isinstance(raw_cases, list) else []

        def name(loc: tuple[Any, ...]) -> str | None:
            if len(loc) >= 2 and loc[0] == "cases" and isinstance(loc[1], int) and loc[1] < len(cases):
                item = cases[loc[1]]
                label = item.get("name") if isinstance(item, Mapping) else None
                rest = ".".join(str(p) for p in loc[2:] if not str(p).startswith(("function-", "literal[")))
                head = f"cases[{loc[1]}]" + (f" ({label})" if label else "")
                return f"{head}.{rest}" if rest else head
            return None

        key, message = describe_error(exc, name_item=name)
        raise ConfigError(message, key=key, source=source) from None


def sample_for(event_code: str, events_dir: Path) -> Path:
    """``events/<Category>/<eventCode>.json`` for a catalogue eventCode."""
    from dwevents.catalogue import lookup

    spec = lookup(event_code if ":" in event_code else None, event_code)
    if spec is None:
        raise DwEventsError(f"unknown eventCode {event_code!r} (see `dwevents catalogue`)")
    path = events_dir / spec.category / f"{spec.event_code}.json"
    if not path.is_file():
        raise DwEventsError(f"no sample for {spec.event_code} at {path} (pass --events DIR or use file:)")
    return path


def build_event(case: Case, *, base_dir: Path, events_dir: Path) -> dict[str, Any]:
    """The case's event: the sample or file, with ``data`` merged and ``set`` paths applied."""
    path = base_dir / case.file if case.file is not None else sample_for(str(case.event), events_dir)
    try:
        document = json.loads(read_text(path, "event"))
    except ValueError as exc:
        raise DwEventsError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise DwEventsError(f"{path}: expected one event (a JSON object)")
    document = copy.deepcopy(document)
    if case.data:
        body_key = "messageBody" if "messageBody" in document else "data"
        if not isinstance(document.get(body_key), dict):
            raise DwEventsError(f"{path}: the event has no {body_key} object to merge data into")
        document[body_key].update(case.data)
    for dotted, value in case.overrides.items():
        node = document
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise DwEventsError(f"set {dotted}: {part} is not an object in the event")
        node[parts[-1]] = value
    return document


def run_case(rules: str, case: Case, document: dict[str, Any], source: str) -> CaseResult:
    fixtures = Fixtures()
    event_code = (document.get("data") or document.get("messageBody") or {}).get("eventCode")
    if case.code is not None:
        fixtures.set_code(case.code, source="case code", event_code=str(event_code or ""))
    if case.options is not None:
        fixtures.default_options = dict(case.options)
    now = parse_time(case.now, "now") if case.now else None
    judge = Judge(rules, environ={}, transport=RecordingTransport(fixtures=fixtures), now=now)
    judged = judge.judge(json.dumps(document).encode(), document, now=now)
    return CaseResult(source, case, judged, compare(case, judged))


def compare(case: Case, judged: Judgement) -> list[str]:
    """What differs between the expectation and the verdict (empty: the case passes)."""
    if judged.outcome not in ("processed", "duplicate"):
        return [f"expected {case.expect}, but the event was {judged.outcome}: {judged.error}"]
    got = judged.result or "no verdict (a regular event)"
    got_rule = f" by {judged.rule}" if judged.rule else " (no rule)"
    problems = []
    if judged.result != case.expect:
        problems.append(
            f"expected {case.expect}, got {got}{got_rule}" + (f" — {judged.tip}" if judged.tip else "")
        )
    elif case.rule is not None and judged.rule != case.rule:
        problems.append(f"expected rule {case.rule}, got {got}{got_rule}")
    if case.tip is not None and case.tip not in (judged.tip or ""):
        problems.append(f"tip {judged.tip!r} does not contain {case.tip!r}")
    return problems


def run_files(rules: str, paths: list[Path], *, events_dir: Path) -> Iterator[CaseResult]:
    """Every case of every file (each file validated, and its events built, before any case runs)."""
    from dwevents.policy import PolicyEngine

    PolicyEngine.load(rules)  # a broken rules file is one error, not a failure per case
    prepared: list[tuple[str, Case, dict[str, Any]]] = []
    for path in paths:
        casefile = load_cases(path)
        for index, case in enumerate(casefile.cases):
            try:
                document = build_event(case, base_dir=path.parent, events_dir=events_dir)
            except DwEventsError as exc:
                raise DwEventsError(f"{path}: cases[{index}] ({case.name}): {exc}") from None
            prepared.append((str(path), case, document))
    for source, case, document in prepared:
        yield run_case(rules, case, document, source)
