"""Desired rules versus what a bus has: the changes ``apply`` makes and ``plan`` prints.

Ownership: a rule is ours when its name starts with ``dwevents-`` *and* its description carries
:data:`~dwevents.deploy.targets.MARKER` with our *stack* (``stack=<name>``), so a staging copy deployed beside
production on the same bus never prunes or undoes production's rules. A same-named rule without our marker
and stack is a conflict: reported, never touched. ``apply`` therefore never deletes a rule it does not
manage.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from dwevents.deploy.targets import DEFAULT_STACK, RemoteRule, RuleSpec, Target


class ChangeKind(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CONFLICT = "conflict"


_SYMBOL = {ChangeKind.CREATE: "+", ChangeKind.UPDATE: "~", ChangeKind.DELETE: "-", ChangeKind.CONFLICT: "!"}


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    rule: str
    reasons: tuple[str, ...] = ()
    desired: RuleSpec | None = None
    update_rule: bool = False
    update_target: bool = False
    delete_target_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """Desired vs existing on one bus. Empty ``changes`` = nothing to do."""

    bus: str
    changes: tuple[Change, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = field(default=())

    @property
    def conflicts(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.kind is ChangeKind.CONFLICT)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)

    def render(self) -> str:
        conflicts = f", {len(self.conflicts)} conflict(s)" if self.conflicts else ""
        lines = [
            f"EventBridge bus '{self.bus}': {self.count(ChangeKind.CREATE)} to create, "
            f"{self.count(ChangeKind.UPDATE)} to update, {self.count(ChangeKind.DELETE)} to delete, "
            f"{len(self.unchanged)} unchanged{conflicts}"
        ]
        for change in self.changes:
            detail = f" ({'; '.join(change.reasons)})" if change.reasons else ""
            creates = change.desired is not None and change.kind is ChangeKind.CREATE
            target = f" -> {change.desired.target.endpoint}" if creates and change.desired else ""
            lines.append(f"  {_SYMBOL[change.kind]} {change.kind.value} {change.rule}{target}{detail}")
        for name in self.unchanged:
            lines.append(f"  = {name}")
        for function, reason in self.skipped:
            lines.append(f"  . {function}: {reason}")
        return "\n".join(lines)


def _pattern_of(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def rule_differences(desired: RuleSpec, actual: RemoteRule) -> list[str]:
    reasons = []
    if _pattern_of(actual.filter_pattern) != desired.pattern:
        reasons.append("FilterPattern")
    if actual.description != desired.description:
        reasons.append("Description")
    if actual.status and actual.status.upper() != desired.status:
        reasons.append(f"Status {actual.status}")
    return reasons


def target_differences(desired: Target, actual: Target | None) -> list[str]:
    """What differs between a target as planned and as stored (fields the service does not echo back
    are not held against it)."""
    if actual is None:
        return [f"target {desired.id} missing"]
    reasons = [
        name
        for name, want, have in (
            ("Type", desired.type, actual.type),
            ("Endpoint", desired.endpoint, actual.endpoint),
        )
        if want != have
    ]
    if actual.push_retry_strategy and desired.push_retry_strategy != actual.push_retry_strategy:
        reasons.append("PushRetryStrategy")
    if desired.dead_letter_arn != actual.dead_letter_arn:
        reasons.append("DeadLetterQueue")
    have = {p.resource_key: p for p in actual.params}
    for param in desired.params:
        got = have.get(param.resource_key)
        if got is None or (got.form, got.value, got.template) != (param.form, param.value, param.template):
            reasons.append(f"param {param.resource_key}")
    return reasons


def make_plan(
    bus: str,
    desired: Sequence[RuleSpec],
    remote: Mapping[str, RemoteRule],
    *,
    stack: str = DEFAULT_STACK,
    skipped: Sequence[tuple[str, str]] = (),
    prune: bool = True,
) -> Plan:
    """Create what is missing, update what differs, delete managed rules nobody wants (``prune``)."""
    changes: list[Change] = []
    unchanged: list[str] = []
    wanted = {rule.name for rule in desired if rule.bus == bus}
    for rule in desired:
        if rule.bus != bus:
            continue
        actual = remote.get(rule.name)
        if actual is None:
            why = (f"function {rule.function}",)
            changes.append(Change(ChangeKind.CREATE, rule.name, why, rule, True, True))
            continue
        if actual.stack is None:
            changes.append(
                Change(
                    ChangeKind.CONFLICT,
                    rule.name,
                    ("exists without the dwevents marker; left alone, rename or delete it",),
                )
            )
            continue
        if actual.stack != stack:
            why = (f"belongs to dwevents stack '{actual.stack}'",)
            changes.append(Change(ChangeKind.CONFLICT, rule.name, why))
            continue
        rule_diff = rule_differences(rule, actual)
        target_diff = target_differences(rule.target, actual.target(rule.target.id))
        if rule_diff or target_diff:
            changes.append(
                Change(
                    ChangeKind.UPDATE,
                    rule.name,
                    tuple(rule_diff + target_diff),
                    rule,
                    bool(rule_diff),
                    bool(target_diff),
                )
            )
        else:
            unchanged.append(rule.name)
    if prune:
        for name, actual in sorted(remote.items()):
            if name not in wanted and actual.managed_by(stack):
                changes.append(
                    Change(
                        ChangeKind.DELETE,
                        name,
                        ("no function wants it on this bus",),
                        delete_target_ids=tuple(t.id for t in actual.targets),
                    )
                )
    return Plan(bus, tuple(changes), tuple(unchanged), tuple(skipped))


def undo_plan(bus: str, remote: Mapping[str, RemoteRule], stack: str = DEFAULT_STACK) -> Plan:
    """Delete exactly the rules ``stack`` manages (prefix + marker + stack) on ``bus``."""
    changes = tuple(
        Change(ChangeKind.DELETE, name, ("undo",), delete_target_ids=tuple(t.id for t in rule.targets))
        for name, rule in sorted(remote.items())
        if rule.managed_by(stack)
    )
    return Plan(bus, changes)
