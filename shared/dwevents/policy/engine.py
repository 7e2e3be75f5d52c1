"""The policy engine: validated rules, ready to decide OK / WARN / FAIL for an extension point.

FAIL beats WARN; among equal verdicts the first failing rule decides; no rule failing → OK. DataWorks'
own extension parameters are honoured (:func:`dwevents.policy.enrich.disabled_by_params`) before any
WARN or FAIL goes out; DataWorks is called only when the decision needs it.
"""

from __future__ import annotations

import json
import logging
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from dwevents.envelope import DataWorksEvent
from dwevents.errors import ConfigError
from dwevents.models.facts import facts_of
from dwevents.pattern import EventPattern, compile_pattern
from dwevents.policy.checks import (
    Failure,
    check_code,
    check_freeze,
    check_limit,
    check_list,
    check_window,
    code_text,
    data_field,
)
from dwevents.policy.enrich import Enricher, disabled_by_params
from dwevents.policy.rules import OptionVerdict, Rule, load_rules, rules_from_data
from dwevents.schema import is_json_file, load_json
from dwevents.verdict import CheckResult, Verdict

#: The shipped default rules: ``data/rules/default.yaml``, parsed, as JSON (what :meth:`PolicyEngine.load`
#: reads; ``tests/policy/test_default_rules.py`` holds it equal to the YAML and says how to rewrite it).
DEFAULT_RULES_JSON = "data/rules/default.json"

__all__ = ["CompiledRule", "PolicyEngine"]

logger = logging.getLogger("dwevents.policy")


class _SafeDict(dict[str, Any]):
    """Tip values where an unknown ``{placeholder}`` stays visible instead of failing the tip."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class _Formatter(string.Formatter):
    """Reads ``{data.a.b}`` and ``{options.x}`` as whole names, not attribute lookups on a value."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        if field_name.startswith("data.") or (
            field_name.count(".") and field_name.split(".")[0] in ("options",)
        ):
            return kwargs.get(field_name, "{" + field_name + "}"), field_name
        return super().get_field(field_name, args, kwargs)


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its ``when`` compiled once."""

    rule: Rule
    pattern: EventPattern | None

    def applies(self, event: DataWorksEvent) -> bool:
        code = event.spec.event_code if event.spec is not None else event.event_code
        if code not in self.rule.events:
            return False
        return self.pattern is None or self.pattern.matches(event.as_cloudevent())


def _fetches(compiled: CompiledRule) -> bool:
    """Whether the rule reads DataWorks data: a code check or a per-workspace option verdict."""
    return compiled.rule.check.code is not None or isinstance(compiled.rule.verdict, OptionVerdict)


class PolicyEngine:
    """Validated rules, ready to evaluate. Build with :meth:`load` (file, or the shipped default)."""

    def __init__(
        self,
        rules: Iterable[Rule],
        *,
        source: str = "<rules>",
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
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
        # Per eventCode, once: its rules in file order, and whether they may fetch DataWorks data (None
        # when a ``when`` pattern decides per event). The verdict path asks both for every event.
        by_code: dict[str, list[CompiledRule]] = {}
        for r in self.rules:
            for code in dict.fromkeys(r.rule.events):
                by_code.setdefault(code, []).append(r)
        self._by_code = {code: tuple(rules) for code, rules in by_code.items()}
        self._needs_by_code = {
            code: None if any(r.pattern is not None for r in rules) else any(map(_fetches, rules))
            for code, rules in self._by_code.items()
        }

    @classmethod
    def load(cls, path: str | Path | None = None, **kwargs: Any) -> PolicyEngine:
        """Load and validate a rules file; ``None`` → the default shipped with the package."""
        if path is None:
            # The shipped default as JSON, the YAML file parsed once (a test holds the two equal): the
            # YAML parser's import alone cost an extension-capable function's cold start ~40 ms.
            text = resources.files("dwevents").joinpath(DEFAULT_RULES_JSON).read_text(encoding="utf-8")
            data = json.loads(text)
            return cls(rules_from_data(data, source="default rules"), source="default rules", **kwargs)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read rules file ({exc.strerror})", source=str(path)) from None
        if is_json_file(path):  # JSON needs no YAML parser (cold start)
            data = load_json(text, source=str(path), top="a mapping with 'rules'")
            return cls(rules_from_data(data, source=str(path)), source=str(path), **kwargs)
        return cls.from_yaml(text, source=str(path), **kwargs)

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "<rules>", **kwargs: Any) -> PolicyEngine:
        """Validate a rules file's text (``source`` names it in errors)."""
        return cls(load_rules(text, source=source), source=source, **kwargs)

    def applicable(self, event: DataWorksEvent) -> list[CompiledRule]:
        code = event.spec.event_code if event.spec is not None else event.event_code
        rules = self._by_code.get(code, ()) if isinstance(code, str) else ()
        return [r for r in rules if r.pattern is None or r.pattern.matches(event.as_cloudevent())]

    def needs_dataworks_data(self, event: DataWorksEvent) -> bool:
        """Whether deciding ``event`` may fetch data from DataWorks: the snapshot of a code check
        (GetIDEEventDetail, then patterns run over code DataWorks returned) or an option verdict
        (GetOptionValueForProject). GetExtension is not counted: it is cached per extension code."""
        code = event.spec.event_code if event.spec is not None else event.event_code
        known = self._needs_by_code.get(code, False) if isinstance(code, str) else False
        return any(map(_fetches, self.applicable(event))) if known is None else known

    def evaluate(self, event: DataWorksEvent, enricher: Enricher) -> Verdict:
        """The verdict for one event (may raise: the caller turns errors into the fail-mode verdict).

        DataWorks is asked only for what the decision needs: the data snapshot (GetIDEEventDetail) by a
        code check, the extension's parameters (GetExtension, cached) only once a rule would WARN or
        FAIL — they still take precedence then (a check the workspace disabled answers OK) — and the
        options (GetOptionValueForProject) by a rule whose verdict is an option."""
        rules = self.applicable(event)
        if not rules:
            return Verdict(CheckResult.OK, "", None, "policy")
        warn: Verdict | None = None
        params_checked = False
        for compiled in rules:
            rule = compiled.rule
            failure = self._run_check(rule, event, enricher)
            if failure is None:
                continue
            result = self._verdict_for(rule, event, enricher)
            if result is CheckResult.OK:
                continue
            if not params_checked:
                params_checked = True
                why = disabled_by_params(enricher.extension_params(), event)
                if why:
                    logger.info("check skipped: %s", why)
                    return Verdict(CheckResult.OK, f"dwevents: {why}", None, "extension-params")
            verdict = Verdict(result, self._tip(rule, event, failure), rule.name, "policy")
            if result is CheckResult.FAIL:
                return verdict
            warn = warn or verdict
        return warn or Verdict(CheckResult.OK, "", None, "policy")

    def _run_check(self, rule: Rule, event: DataWorksEvent, enricher: Enricher) -> Failure | None:
        check = rule.check
        if check.freeze is not None:
            return check_freeze(check.freeze, self.clock())
        if check.window is not None:
            return check_window(check.window, self.clock())
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
            options = enricher.options(facts_of(event.payload).workspace_id)
            chosen = str(options.get(rule.verdict.option) or rule.verdict.default).upper()
            if chosen in ("OK", "PASS", "NONE"):
                return CheckResult.OK
            return CheckResult.FAIL if chosen == "FAIL" else CheckResult.WARN
        return CheckResult(rule.verdict)

    def _tip(self, rule: Rule, event: DataWorksEvent, failure: Failure) -> str:
        facts = facts_of(event.payload)
        values: dict[str, Any] = {
            "rule": rule.name,
            "type": event.type,
            "event_code": event.event_code,
            "message_id": event.message_id,
            "workspace": facts.workspace_id,
            "operator": facts.operator,
        }
        values.update(failure.values)
        for name in re.findall(r"\{(data\.[A-Za-z0-9_.]+)\}", rule.tip):
            value = data_field(event, name)
            if value is not None:  # a field the event lacks stays visible, like any unknown placeholder
                values[name] = value
        try:
            return _Formatter().vformat(rule.tip, (), _SafeDict(values))
        except (ValueError, IndexError, KeyError, AttributeError):
            return rule.tip
