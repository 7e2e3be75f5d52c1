"""``dwevents doctor --probe``: follow real DataWorks events through the account's event trace.

For each bus the rules live on, QueryTracedEvents lists the events ``acs.dataworks`` put there in the
window (default the last 24 hours); for each event whose type a managed rule's pattern matches,
QueryEventTraces says whether EventBridge pushed it to that rule's target and what the push answered
(``NotifyStatus``, e.g. ``[200]Ok``). One line per rule that saw events: ``ok`` when every push succeeded,
FAIL naming the failed status (or "matched, never pushed"). Tenant-level events are reported by the bus
they arrived on, which is how a real account settles where DataWorks publishes them (s.yaml
``vars.tenantBus``). API pages: https://help.aliyun.com/zh/eventbridge/developer-reference/
api-eventbridge-2020-04-01-querytracedevents and …-queryeventtraces.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from dwevents.catalogue import Level
from dwevents.deploy.doctor import FAIL, OK, WARN, Report
from dwevents.deploy.targets import RuleSpec, function_level
from dwevents.errors import CloudApiError
from dwevents.pattern import compile_pattern

DATAWORKS_SOURCE = "acs.dataworks"
#: Events looked at per bus (the trace API pages 100 at a time).
MAX_EVENTS = 500


def _matches(rule: RuleSpec, event_type: str) -> bool:
    """Does the rule's pattern route an event of this type (source and type are all a DataWorks pattern
    names; the event trace gives both)?"""
    return compile_pattern(dict(rule.pattern)).matches({"source": DATAWORKS_SOURCE, "type": event_type})


def probe(
    report: Report,
    eventbridge: Any,
    rules: Sequence[RuleSpec],
    *,
    start_ms: int,
    end_ms: int,
    categories: dict[str, str],
) -> None:
    """Add one line per bus and per rule that saw events; ``categories`` maps function → category."""
    by_bus: dict[str, list[RuleSpec]] = defaultdict(list)
    for rule in rules:
        by_bus[rule.bus].append(rule)
    tenant_seen: Counter[str] = Counter()
    for bus, bus_rules in by_bus.items():
        try:
            events = eventbridge.traced_events(
                bus, start_ms, end_ms, source=DATAWORKS_SOURCE, max_events=MAX_EVENTS
            )
        except CloudApiError as exc:
            report.add(FAIL, f"probe {bus}", str(exc), "check the eventbridge:QueryTracedEvents permission")
            continue
        if not events:
            report.add(
                WARN,
                f"probe {bus}",
                "no DataWorks event in the window: nothing to follow",
                "cause one (e.g. commit a file in DataWorks) or widen --since, then probe again",
            )
            continue
        report.add(OK, f"probe {bus}", f"{len(events)} DataWorks event(s) in the window")
        pushed: dict[str, Counter[str]] = defaultdict(Counter)
        for event in events:
            event_type = str(event.get("EventType") or "")
            matching = [r for r in bus_rules if _matches(r, event_type)]
            if not matching:
                continue
            if any(function_level(categories.get(r.function, "")) is Level.TENANT for r in matching):
                tenant_seen[bus] += 1
            try:
                traces = eventbridge.event_traces(bus, str(event.get("EventId") or ""))
            except CloudApiError as exc:
                report.add(
                    FAIL, f"probe {bus}", str(exc), "check the eventbridge:QueryEventTraces permission"
                )
                break
            for rule in matching:
                statuses = [
                    str(t.get("NotifyStatus") or "")
                    for t in traces
                    if t.get("Action") == "PushEvent" and t.get("RuleName") == rule.name
                ]
                pushed[rule.name]["events"] += 1
                if not statuses:
                    pushed[rule.name]["never pushed"] += 1
                for status in statuses:
                    pushed[rule.name][status] += 1
        for rule in bus_rules:
            counts = pushed.get(rule.name)
            if not counts:
                continue
            total = counts.pop("events")
            good = sum(n for status, n in counts.items() if status.startswith("[200]"))
            bad = {status: n for status, n in counts.items() if not status.startswith("[200]")}
            check = f"delivery {bus}/{rule.name}"
            if bad:
                detail = ", ".join(f"{status} ×{n}" for status, n in sorted(bad.items()))
                report.add(
                    FAIL,
                    check,
                    f"{good} of {total} event(s) delivered to {rule.function}; {detail}",
                    "see the function's logs and the rule's target (dwevents doctor without --probe)",
                )
            else:
                report.add(OK, check, f"{good} of {total} event(s) delivered to {rule.function}")
    if tenant_seen:
        where = ", ".join(f"{bus} ({n})" for bus, n in sorted(tenant_seen.items()))
        report.add(OK, "tenant-level events", f"arrived on: {where}")
