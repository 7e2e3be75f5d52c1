"""What-if replay: past events through the functions under the baseline rules and a candidate, side by side.

For every input event :class:`Replay` asks two :class:`~dwevents.local.judge.Judge` objects — one per
rules file — for the verdict the function would send, and reports both with why: the deciding rule,
the line of the rules file that defines it, and for a code rule the line of the code that matched.
Regular events are reported too, with both verdicts null. Nothing reaches DataWorks (see
:mod:`dwevents.local.judge`). A verdict that needed the code and could not read it is ``UNKNOWN``
("code unavailable"), never a silent OK.

The summary counts verdict changes by transition (``OK→FAIL 7, WARN→OK 2``); ``dwevents replay`` exits 1
when there is any, so a rules change can be gated in CI.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from dwevents.local.event_sources import ReplayInput
from dwevents.local.judge import UNKNOWN, Judge, Judgement, RecordingTransport

#: Seconds before the first progress line, and between two.
PROGRESS_EVERY_S = 2.0


@dataclass(frozen=True)
class RuleIndex:
    """Where each rule of a rules file is defined, and the rules themselves (for code lines)."""

    source: str
    lines: dict[str, int]
    engine: Any

    @classmethod
    def load(cls, path: str | None) -> RuleIndex:
        """Validate the rules file (a :class:`~dwevents.errors.ConfigError` names what is wrong)."""
        from dwevents.policy import PolicyEngine

        engine = PolicyEngine.load(path)
        if path is None:
            text = resources.files("dwevents").joinpath("data/rules/default.yaml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return cls(path or "default rules", rule_lines(text), engine)

    def code_line(self, rule_name: str | None, detail: Mapping[str, Any] | None) -> int | None:
        """The line of the code a code rule matched (None when the rule is not a code rule)."""
        from dwevents.policy import check_code, code_text

        if not rule_name or not detail:
            return None
        for compiled in self.engine.rules:
            check = compiled.rule.check
            if compiled.rule.name == rule_name and check.code is not None:
                failure = check_code(check.code, code_text(detail))
                line = failure.values.get("line_no") if failure is not None else None
                return int(line) if line else None
        return None


def rule_lines(text: str) -> dict[str, int]:
    """``{rule name: line of its '- name:' entry}`` from the YAML text (1-based)."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if key.value != "rules" or not isinstance(value, yaml.SequenceNode):
            continue
        for item in value.value:
            if not isinstance(item, yaml.MappingNode):
                continue
            for k, v in item.value:
                if k.value == "name" and isinstance(v, yaml.ScalarNode):
                    lines[str(v.value)] = item.start_mark.line + 1
    return lines


@dataclass
class ReplayLine:
    """One input event: what it is, and the verdict under each rules file (the ``--json`` contract)."""

    origin: str
    message_id: str | None
    type: str | None
    event_code: str | None
    outcome: str
    baseline: dict[str, Any] | None
    candidate: dict[str, Any] | None
    error: str | None = None
    clock: str | None = None

    @property
    def transition(self) -> tuple[str, str] | None:
        """``(baseline, candidate)`` results when they differ."""
        before = self.baseline["result"] if self.baseline else None
        after = self.candidate["result"] if self.candidate else None
        if before == after:
            return None
        return (before or "none", after or "none")

    @property
    def changed(self) -> bool:
        return self.transition is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "message_id": self.message_id,
            "type": self.type,
            "event_code": self.event_code,
            "outcome": self.outcome,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "changed": self.changed,
            "clock": self.clock,
            "error": self.error,
        }


@dataclass
class Summary:
    events: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    with_verdict: int = 0
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    code_unavailable: int = 0

    @property
    def changed(self) -> int:
        return sum(self.transitions.values())

    def add(self, line: ReplayLine) -> None:
        self.events += 1
        self.outcomes[line.outcome] += 1
        if line.baseline or line.candidate:
            self.with_verdict += 1
        if line.transition:
            self.transitions[line.transition] += 1
        if any(v and v.get("result") == UNKNOWN for v in (line.baseline, line.candidate)):
            self.code_unavailable += 1

    def changes_text(self) -> str:
        """``OK→FAIL 7, WARN→OK 2`` (most frequent first), or ``no verdict changed``."""
        if not self.transitions:
            return "no verdict changed"
        ordered = sorted(self.transitions.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(f"{a}→{b} {n}" for (a, b), n in ordered)

    def text(self) -> str:
        outcomes = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items()))
        parts = [
            f"{self.events} event(s) ({outcomes or 'none'}); {self.with_verdict} with a verdict",
            self.changes_text(),
        ]
        if self.code_unavailable:
            parts.append(f"{self.code_unavailable} verdict(s) UNKNOWN: code unavailable")
        return "; ".join(parts)


class Progress:
    """``replay: 1200 read, 340 decided, 410/s`` on stderr, every couple of seconds of a long replay."""

    def __init__(
        self,
        stream: TextIO | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        every_s: float = PROGRESS_EVERY_S,
    ) -> None:
        self.stream = stream
        self.clock = clock
        self.every_s = every_s
        self.started = clock()
        self.last = self.started
        self.shown = False
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())

    def update(self, read: int, decided: int) -> None:
        if self.stream is None:
            return
        now = self.clock()
        if now - self.last < self.every_s:
            return
        self.last = now
        rate = read / max(now - self.started, 1e-9)
        text = f"replay: {read} read, {decided} decided, {rate:.0f}/s"
        self.stream.write(("\r" + text) if self.tty else (text + "\n"))
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.stream is not None and self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()


class Replay:
    """The baseline and the candidate rules over the same events, with one recording transport each."""

    def __init__(
        self,
        candidate: str | None,
        baseline: str | None,
        *,
        environ: Mapping[str, str],
        fixtures: Any = None,
        reader: Any = None,
        now: datetime | None = None,
    ) -> None:
        from dwevents.local.overrides import Fixtures

        fx = fixtures if fixtures is not None else Fixtures()
        self.indexes = {"baseline": RuleIndex.load(baseline), "candidate": RuleIndex.load(candidate)}
        self.transports = {k: RecordingTransport(fixtures=fx, reader=reader) for k in self.indexes}
        self.judges = {
            "baseline": Judge(baseline, environ=environ, transport=self.transports["baseline"], now=now),
            "candidate": Judge(candidate, environ=environ, transport=self.transports["candidate"], now=now),
        }

    @property
    def recorded_verdicts(self) -> int:
        """Verdicts the functions "sent" — all of them to the recording transports."""
        return sum(len(t.verdicts) for t in self.transports.values())

    def line(self, item: ReplayInput) -> ReplayLine:
        payload = item.payload()
        results: dict[str, Judgement] = {
            which: judge.judge(payload, item.document) for which, judge in self.judges.items()
        }
        cand = results["candidate"]
        return ReplayLine(
            origin=item.origin,
            message_id=cand.message_id,
            type=cand.type,
            event_code=cand.event_code,
            outcome=cand.outcome,
            baseline=self._verdict("baseline", results["baseline"]),
            candidate=self._verdict("candidate", cand),
            error=cand.error or results["baseline"].error,
            clock=cand.clock,
        )

    def _verdict(self, which: str, judged: Judgement) -> dict[str, Any] | None:
        verdict = judged.verdict_dict()
        if verdict is None:
            return None
        index = self.indexes[which]
        verdict["rule_line"] = index.lines.get(judged.rule or "")
        verdict["rules"] = index.source
        verdict["code_line"] = index.code_line(judged.rule, judged.detail)
        return verdict

    def run(self, inputs: Iterable[ReplayInput], *, progress: Progress | None = None) -> Iterator[ReplayLine]:
        decided = 0
        for read, item in enumerate(inputs, start=1):
            line = self.line(item)
            decided += 1 if (line.baseline or line.candidate) else 0
            if progress is not None:
                progress.update(read, decided)
            yield line
        if progress is not None:
            progress.done()


def describe(line: ReplayLine) -> str:
    """One human line per event for the non-JSON output."""

    def one(v: Mapping[str, Any] | None) -> str:
        if v is None:
            return "-"
        why = f" by {v['rule']}" if v.get("rule") else ""
        where = f" (rules line {v['rule_line']})" if v.get("rule_line") else ""
        code = f", code line {v['code_line']}" if v.get("code_line") else ""
        return f"{v['result']}{why}{where}{code}"

    mark = "CHANGED " if line.changed else ""
    head = f"{mark}{line.event_code or line.type or '?'} {line.message_id or ''}".strip()
    body = f"{one(line.baseline)} → {one(line.candidate)}"
    if line.baseline is None and line.candidate is None:
        body = line.outcome + (f": {line.error}" if line.error else "")
    tip = (line.candidate or {}).get("tip") if line.changed else None
    return f"{head}: {body}" + (f" — {tip}" if tip else "")
