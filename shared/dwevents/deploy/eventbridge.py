"""The EventBridge calls the deploy tools make, through the official SDK
(``alibabacloud_eventbridge20200401``, RPC, ACS3-signed; imported when a client is built, never at module
import), and carrying out a plan.

Every failure is a :class:`dwevents.errors.CloudApiError` naming the call, the cloud's code, the HTTP status
and the request id. API pages: https://help.aliyun.com/zh/eventbridge/developer-reference/ (CreateRule,
UpdateRule, GetRule, ListRules, EnableRule, PutTargets, ListTargets, DeleteTargets, DeleteRule,
GetEventBus, CheckServiceLinkedRoleForProduct, QueryTracedEvents, QueryEventTraces).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from dwevents.deploy._sdk import SdkApi, call_sdk, unless_absent
from dwevents.deploy.plan import ChangeKind, Plan
from dwevents.deploy.targets import PREFIX, RemoteRule, RuleSpec, Target
from dwevents.errors import CloudApiError

logger = logging.getLogger(__name__)


class BusApi(Protocol):
    """The EventBridge calls the bus tool makes (the SDK adapter below)."""

    def list_rule_names(self, bus: str, prefix: str) -> list[str]: ...
    def get_rule(self, bus: str, name: str) -> RemoteRule | None: ...
    def create_rule(self, bus: str, rule: RuleSpec) -> None: ...
    def update_rule(self, bus: str, rule: RuleSpec) -> None: ...
    def enable_rule(self, bus: str, name: str) -> None: ...
    def put_targets(self, bus: str, name: str, targets: Sequence[Target]) -> None: ...
    def delete_targets(self, bus: str, name: str, target_ids: Sequence[str]) -> None: ...
    def delete_rule(self, bus: str, name: str) -> None: ...


class SdkBusApi(SdkApi):
    """:class:`BusApi` (and the doctor's read-only calls) over the official EventBridge SDK."""

    def _sdk(self) -> Any:
        from alibabacloud_eventbridge20200401 import models
        from alibabacloud_eventbridge20200401.client import Client

        self._m = models
        return Client

    def _call(self, action: str, method: str, request: Any) -> Any:
        return call_sdk("EventBridge", action, lambda: getattr(self._client, method)(request)).body

    # -- rules and targets ----------------------------------------------------------------------------
    def list_rule_names(self, bus: str, prefix: str) -> list[str]:
        names: list[str] = []
        token: str | None = None
        seen: set[str] = set()
        while True:
            body = self._call(
                "ListRules",
                "list_rules",
                self._m.ListRulesRequest(
                    event_bus_name=bus, rule_name_prefix=prefix, limit=50, next_token=token
                ),
            )
            data = body.data
            names.extend(r.rule_name for r in (data.rules or []) if data and r.rule_name)
            token = data.next_token if data else None
            if not token or token in seen:
                return names
            seen.add(token)

    def get_rule(self, bus: str, name: str) -> RemoteRule | None:
        body = unless_absent(
            "EventRuleNotExisted",
            lambda: self._call(
                "GetRule", "get_rule", self._m.GetRuleRequest(event_bus_name=bus, rule_name=name)
            ),
        )
        if body is None:
            return None
        data = body.data.to_map() if body.data else {}
        return RemoteRule(
            str(data.get("RuleName") or name),
            str(data.get("Description") or ""),
            str(data.get("FilterPattern") or ""),
            str(data.get("Status") or ""),
            tuple(Target.from_api(t) for t in data.get("Targets") or []),
        )

    def list_targets(self, bus: str, name: str) -> list[Target]:
        """Every target of a rule as ListTargets reports it (paged)."""
        targets: list[Target] = []
        token: str | None = None
        while True:
            body = self._call(
                "ListTargets",
                "list_targets",
                self._m.ListTargetsRequest(event_bus_name=bus, rule_name=name, limit=50, next_token=token),
            )
            data = body.data.to_map() if body.data else {}
            targets.extend(Target.from_api(t) for t in data.get("Targets") or [])
            token = data.get("NextToken") or None
            if not token:
                return targets

    def create_rule(self, bus: str, rule: RuleSpec) -> None:
        target = self._m.CreateRuleRequestEventTargets().from_map(rule.target.to_api())
        self._call(
            "CreateRule",
            "create_rule",
            self._m.CreateRuleRequest(
                event_bus_name=bus,
                rule_name=rule.name,
                description=rule.description,
                filter_pattern=rule.filter_pattern,
                status=rule.status,
                event_targets=[target],
            ),
        )

    def update_rule(self, bus: str, rule: RuleSpec) -> None:
        self._call(
            "UpdateRule",
            "update_rule",
            self._m.UpdateRuleRequest(
                event_bus_name=bus,
                rule_name=rule.name,
                description=rule.description,
                filter_pattern=rule.filter_pattern,
            ),
        )

    def enable_rule(self, bus: str, name: str) -> None:
        self._call("EnableRule", "enable_rule", self._m.EnableRuleRequest(event_bus_name=bus, rule_name=name))

    def put_targets(self, bus: str, name: str, targets: Sequence[Target]) -> None:
        body = self._call(
            "PutTargets",
            "put_targets",
            self._m.PutTargetsRequest(
                event_bus_name=bus,
                rule_name=name,
                targets=[self._m.PutTargetsRequestTargets().from_map(t.to_api()) for t in targets],
            ),
        )
        _raise_entry_errors("PutTargets", name, body)

    def delete_targets(self, bus: str, name: str, target_ids: Sequence[str]) -> None:
        body = self._call(
            "DeleteTargets",
            "delete_targets",
            self._m.DeleteTargetsRequest(event_bus_name=bus, rule_name=name, target_ids=list(target_ids)),
        )
        _raise_entry_errors("DeleteTargets", name, body)

    def delete_rule(self, bus: str, name: str) -> None:
        self._call("DeleteRule", "delete_rule", self._m.DeleteRuleRequest(event_bus_name=bus, rule_name=name))

    # -- read-only checks (doctor) --------------------------------------------------------------------
    def get_event_bus(self, bus: str) -> dict[str, Any] | None:
        """The bus's GetEventBus ``Data``; None when it does not exist."""
        body = unless_absent(
            "EventBusNotExist",
            lambda: self._call(
                "GetEventBus", "get_event_bus", self._m.GetEventBusRequest(event_bus_name=bus)
            ),
        )
        if body is None:
            return None
        return dict(body.data.to_map()) if body.data else {}

    def service_linked_role_exists(self, role: str) -> bool:
        body = self._call(
            "CheckServiceLinkedRoleForProduct",
            "check_service_linked_role_for_product",
            self._m.CheckServiceLinkedRoleForProductRequest(product_name=role),
        )
        return bool(body.data and body.data.check_pass)

    def traced_events(
        self,
        bus: str,
        start_ms: int,
        end_ms: int,
        *,
        source: str | None = None,
        limit: int = 100,
        max_events: int = 1000,
    ) -> list[dict[str, Any]]:
        """QueryTracedEvents pages (``Data.Events``), oldest first, at most ``max_events``."""
        events: list[dict[str, Any]] = []
        token: str | None = None
        seen: set[str] = set()
        while len(events) < max_events:
            body = self._call(
                "QueryTracedEvents",
                "query_traced_events",
                self._m.QueryTracedEventsRequest(
                    event_bus_name=bus,
                    start_time=start_ms,
                    end_time=end_ms,
                    event_source=source,
                    limit=limit,
                    next_token=token,
                ),
            )
            data = body.data.to_map() if body.data else {}
            events.extend(data.get("Events") or [])
            token = data.get("NextToken") or None
            if not token or token in seen:
                break
            seen.add(token)
        return events[:max_events]

    def event_traces(self, bus: str, event_id: str) -> list[dict[str, Any]]:
        """QueryEventTraces ``Data``: PutEvent / FilterEvent / PushEvent rows of one event."""
        body = self._call(
            "QueryEventTraces",
            "query_event_traces",
            self._m.QueryEventTracesRequest(event_bus_name=bus, event_id=event_id),
        )
        return [row.to_map() for row in body.data or []]


def _raise_entry_errors(action: str, rule: str, body: Any) -> None:
    data = getattr(body, "data", None)
    entries = getattr(data, "error_entries", None) or []
    if getattr(data, "error_entries_count", 0) or entries:
        detail = ", ".join(f"{e.entry_id}: {e.error_code} {e.error_message}" for e in entries)
        raise CloudApiError(
            f"EventBridge {action} on {rule} partly failed: {detail}", action=action, code="ErrorEntries"
        )


def read_rules(api: BusApi, bus: str, prefix: str = PREFIX) -> dict[str, RemoteRule]:
    """Every rule on ``bus`` whose name starts with ``prefix`` (ours or not), with targets and params."""
    rules: dict[str, RemoteRule] = {}
    for name in api.list_rule_names(bus, prefix):
        if not name.startswith(prefix):
            continue
        rule = api.get_rule(bus, name)
        if rule is not None:
            rules[name] = rule
    return rules


def apply_plan(api: BusApi, plan: Plan) -> list[str]:
    """Carry out ``plan`` (conflicts are skipped); creates and updates before deletes. → what was done."""
    done: list[str] = []
    order = {ChangeKind.CREATE: 0, ChangeKind.UPDATE: 1, ChangeKind.DELETE: 2}
    actionable = [c for c in plan.changes if c.kind is not ChangeKind.CONFLICT]
    for change in sorted(actionable, key=lambda c: order[c.kind]):
        if change.kind is ChangeKind.CREATE and change.desired is not None:
            api.create_rule(plan.bus, change.desired)
        elif change.kind is ChangeKind.UPDATE and change.desired is not None:
            if change.update_rule:
                api.update_rule(plan.bus, change.desired)
                if any(r.startswith("Status") for r in change.reasons):
                    api.enable_rule(plan.bus, change.rule)
            if change.update_target:
                api.put_targets(plan.bus, change.rule, [change.desired.target])
        elif change.kind is ChangeKind.DELETE:
            if change.delete_target_ids:
                api.delete_targets(plan.bus, change.rule, change.delete_target_ids)
            api.delete_rule(plan.bus, change.rule)
        logger.info("%s %s on bus %s", change.kind.value, change.rule, plan.bus)
        done.append(f"{change.kind.value} {change.rule} ({plan.bus})")
    return done
