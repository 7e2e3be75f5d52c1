"""Rules on the DataWorks OpenEvent *custom* EventBridge bus, one per workspace-level function.

Why this exists: DataWorks publishes workspace-level events to the custom bus named in its OpenEvent
distribution channel, while fc3's ``eventbridge`` trigger (``eventSourceType: Default``) only creates a
rule on the *default* bus (reference function-compute.md §4.5, dataworks-events.md §4.1). So after
``s deploy`` this module puts, for every function whose category is workspace-level in the catalogue, a
rule named ``dwevents-<function>`` on the custom bus with the function's s.yaml pattern and the function
as target. Tenant-level functions get nothing here: their events reach the default bus and the s.yaml
trigger covers them.

Ownership: a rule is ours when its name starts with ``dwevents-`` *and* its description carries
:data:`MARKER` with our *stack* (``stack=<name>``: ``--stack``, else s.yaml ``vars.prefix``, else
``dwevents``), so a staging copy deployed beside production on the same bus (s.yaml's ``prefix`` var)
never prunes or undoes production's rules. ``undo`` and pruning touch nothing else; a same-named rule
without our marker and stack is reported as a conflict and left alone.

Target (EventBridge ``PutTargets``/``CreateRule`` ``EventTargets``, "Event target parameters",
https://help.aliyun.com/document_detail/185887.html): ``Type: acs.fc.function``; ``ParamList``
``functionName``/``Qualifier`` (``CONSTANT``) and ``Body`` (``ORIGINAL`` = the complete event); an
``InvocationType`` param only on request (``--invocation-type``: no stored page showed it). Every
documented example (PutTargets/ListTargets API reference, the Terraform provider, Alibaba's own tutorial)
is FC 2.0-shaped: ``Endpoint acs:fc:<region>:<account>:services/<service>.<qualifier>/functions/<fn>`` plus
a ``serviceName`` param. No page found documents the FC 3.0 form, so the default here is the FC 3.0
function ARN ``acs:fc:<region>:<account>:functions/<fn>`` without ``serviceName`` (the ARN FC 3.0 uses for
async-invoke destinations and RAM), and ``--fc2-service`` switches to the documented 2.0 form. Check it
once in a real account: create a rule to an FC 3.0 function in the console and compare ``plan``.

Credentials: the ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``/``_SECURITY_TOKEN`` variables, with a clear
error when they are missing (not the SDK's default chain, see ``_sdk.require_credentials``). Serverless
Devs does not hand its ``access`` keys to ``run:`` actions: the engine spawns the command with the
caller's environment only (Serverless-Devs/toolkit ``packages/engine/src/actions/index.ts``:
``spawn(cmd, {cwd, shell: true})``), so export the variables in the shell (or CI job) that runs
``s deploy``. ``${...}`` magic such as ``${config('AccountID')}`` is expanded in the command string, so
pass the account id that way, never a secret.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from dwevents import env
from dwevents.catalogue import Level, specs_for_category
from dwevents.deploy._sdk import ACCOUNT_ID, Credentials, openapi_config, require_credentials, sdk_failure
from dwevents.errors import ConfigError, DwEventsError

logger = logging.getLogger(__name__)

PREFIX = "dwevents-"
MARKER = "[managed-by:dwevents]"
DEFAULT_STACK = "dwevents"
_STACK = re.compile(r"\bstack=([A-Za-z0-9_.-]+)")
TARGET_ID = "dwevents-fc"
TARGET_TYPE = "acs.fc.function"
RETRY_STRATEGIES = ("BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY")
#: Name of the custom bus when ``--bus`` is not given (also read: ``vars.eventBus`` in s.yaml).
BUS_ENV = "DWEVENTS_EVENT_BUS"
_RULE_NAME_MAX = 127


class BusError(DwEventsError):
    """EventBridge refused a call or could not be reached; the message says which call and why."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None, transient: bool = False):
        self.code = code
        self.status = status
        self.transient = transient
        super().__init__(message)


# -- the model ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FunctionRef:
    """What the bus needs from s.yaml about one function."""

    name: str
    category: str
    pattern: Mapping[str, Any]


@dataclass(frozen=True)
class Param:
    resource_key: str
    form: str
    value: str = ""
    template: str = ""

    def to_api(self) -> dict[str, str]:
        out = {"ResourceKey": self.resource_key, "Form": self.form}
        if self.value:
            out["Value"] = self.value
        if self.template:
            out["Template"] = self.template
        return out

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Param:
        return cls(str(data.get("ResourceKey") or ""), str(data.get("Form") or ""),
                   str(data.get("Value") or ""), str(data.get("Template") or ""))


@dataclass(frozen=True)
class Target:
    id: str
    type: str
    endpoint: str
    params: tuple[Param, ...]
    push_retry_strategy: str = ""
    errors_tolerance: str = ""

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Id": self.id, "Type": self.type, "Endpoint": self.endpoint,
                               "ParamList": [p.to_api() for p in self.params]}
        if self.push_retry_strategy:
            out["PushRetryStrategy"] = self.push_retry_strategy
        if self.errors_tolerance:
            out["ErrorsTolerance"] = self.errors_tolerance
        return out

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Target:
        return cls(str(data.get("Id") or ""), str(data.get("Type") or ""), str(data.get("Endpoint") or ""),
                   tuple(Param.from_api(p) for p in data.get("ParamList") or []),
                   str(data.get("PushRetryStrategy") or ""), str(data.get("ErrorsTolerance") or ""))


@dataclass(frozen=True)
class RuleSpec:
    """A rule as we want it."""

    name: str
    function: str
    description: str
    pattern: Mapping[str, Any]
    target: Target
    status: str = "ENABLE"

    @property
    def filter_pattern(self) -> str:
        return json.dumps(self.pattern, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class RemoteRule:
    """A rule as EventBridge has it."""

    name: str
    description: str
    filter_pattern: str
    status: str
    targets: tuple[Target, ...] = ()

    @property
    def stack(self) -> str | None:
        """The dwevents stack that owns the rule; None when it carries no marker (somebody else's)."""
        if not self.name.startswith(PREFIX) or MARKER not in self.description:
            return None
        found = _STACK.search(self.description)
        return found.group(1) if found else DEFAULT_STACK

    def managed_by(self, stack: str) -> bool:
        return self.stack == stack

    def target(self, target_id: str) -> Target | None:
        return next((t for t in self.targets if t.id == target_id), None)


class Kind(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CONFLICT = "conflict"


_SYMBOL = {Kind.CREATE: "+", Kind.UPDATE: "~", Kind.DELETE: "-", Kind.CONFLICT: "!"}


@dataclass(frozen=True)
class Change:
    kind: Kind
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
    def has_changes(self) -> bool:
        return any(c.kind is not Kind.CONFLICT for c in self.changes)

    @property
    def conflicts(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.kind is Kind.CONFLICT)

    def count(self, kind: Kind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)

    def render(self) -> str:
        conflicts = f", {len(self.conflicts)} conflict(s)" if self.conflicts else ""
        lines = [f"EventBridge bus '{self.bus}': {self.count(Kind.CREATE)} to create, "
                 f"{self.count(Kind.UPDATE)} to update, {self.count(Kind.DELETE)} to delete, "
                 f"{len(self.unchanged)} unchanged{conflicts}"]
        for change in self.changes:
            detail = f" ({'; '.join(change.reasons)})" if change.reasons else ""
            creates = change.desired is not None and change.kind is Kind.CREATE
            target = f" -> {change.desired.target.endpoint}" if creates and change.desired else ""
            lines.append(f"  {_SYMBOL[change.kind]} {change.kind.value} {change.rule}{target}{detail}")
        for name in self.unchanged:
            lines.append(f"  = {name}")
        for function, reason in self.skipped:
            lines.append(f"  . {function}: {reason}")
        return "\n".join(lines)


@dataclass(frozen=True)
class TargetOptions:
    """How to address the functions; ``fc2_service`` switches to the documented FC 2.0 endpoint form."""

    region: str
    account_id: str
    qualifier: str = "LATEST"
    retry: str = "BACKOFF_RETRY"
    fc2_service: str | None = None
    #: Adds an ``InvocationType`` param (``Sync``/``Async``); off by default, see the module docstring.
    invocation_type: str | None = None
    stack: str = DEFAULT_STACK


# -- desired state -----------------------------------------------------------------------------------
def function_level(category: str) -> Level | None:
    """Workspace if any catalogue event of the category is workspace-level; None when unknown."""
    specs = specs_for_category(category)
    if not specs:
        return None
    return Level.WORKSPACE if any(s.level is Level.WORKSPACE for s in specs) else Level.TENANT


def rule_name(function: str) -> str:
    """Deterministic: ``dwevents-<function>``, or the function name itself when it already starts with
    ``dwevents-`` (no ``dwevents-dwevents-...``); EventBridge allows letters, digits, ``-`` and ``_``."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", function)
    name = safe if safe.startswith(PREFIX) else PREFIX + safe
    return name[:_RULE_NAME_MAX]


def build_target(function: str, options: TargetOptions) -> Target:
    params = [Param("functionName", "CONSTANT", function), Param("Qualifier", "CONSTANT", options.qualifier),
              Param("Body", "ORIGINAL")]
    if options.invocation_type:
        params.append(Param("InvocationType", "CONSTANT", options.invocation_type))
    if options.fc2_service:
        endpoint = (f"acs:fc:{options.region}:{options.account_id}:services/{options.fc2_service}."
                    f"{options.qualifier}/functions/{function}")
        params.insert(0, Param("serviceName", "CONSTANT", options.fc2_service))
    else:
        endpoint = f"acs:fc:{options.region}:{options.account_id}:functions/{function}"
    return Target(TARGET_ID, TARGET_TYPE, endpoint, tuple(params), options.retry)


def desired_rules(functions: Iterable[FunctionRef], options: TargetOptions
                  ) -> tuple[list[RuleSpec], list[tuple[str, str]]]:
    """→ (rules for workspace-level functions, [(function, why it gets no rule)])."""
    rules: list[RuleSpec] = []
    skipped: list[tuple[str, str]] = []
    for fn in functions:
        level = function_level(fn.category)
        if level is None:
            skipped.append((fn.name, f"category '{fn.category}' is not in the catalogue; no custom-bus rule"))
            continue
        if level is Level.TENANT:
            skipped.append((fn.name, "tenant-level: its events arrive on the default bus (s.yaml trigger)"))
            continue
        if not fn.pattern:
            skipped.append((fn.name, "no pattern in s.yaml (vars.patterns) to mirror"))
            continue
        description = (f"{MARKER} stack={options.stack}; DataWorks workspace events ({fn.category}) "
                       f"to FC function {fn.name}")
        rules.append(RuleSpec(rule_name(fn.name), fn.name, description, dict(fn.pattern),
                              build_target(fn.name, options)))
    return rules, skipped


# -- diff ----------------------------------------------------------------------------------------------
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
    """What differs; fields the service does not echo back are not held against it."""
    if actual is None:
        return [f"target {desired.id} missing"]
    reasons = [name for name, want, have in (("Type", desired.type, actual.type),
                                             ("Endpoint", desired.endpoint, actual.endpoint)) if want != have]
    if actual.push_retry_strategy and desired.push_retry_strategy != actual.push_retry_strategy:
        reasons.append("PushRetryStrategy")
    if desired.errors_tolerance and actual.errors_tolerance not in ("", desired.errors_tolerance):
        reasons.append("ErrorsTolerance")
    have = {p.resource_key: p for p in actual.params}
    for param in desired.params:
        got = have.get(param.resource_key)
        if got is None or (got.form, got.value, got.template) != (param.form, param.value, param.template):
            reasons.append(f"param {param.resource_key}")
    return reasons


def make_plan(bus: str, desired: Sequence[RuleSpec], remote: Mapping[str, RemoteRule], *,
              stack: str = DEFAULT_STACK, skipped: Sequence[tuple[str, str]] = (),
              prune: bool = True) -> Plan:
    """Create what is missing, update what differs, delete managed rules nobody wants (``prune``)."""
    changes: list[Change] = []
    unchanged: list[str] = []
    wanted = {rule.name for rule in desired}
    for rule in desired:
        actual = remote.get(rule.name)
        if actual is None:
            changes.append(Change(Kind.CREATE, rule.name, (f"function {rule.function}",), rule, True, True))
            continue
        if actual.stack is None:
            changes.append(Change(Kind.CONFLICT, rule.name,
                                  ("exists without the dwevents marker; left alone, rename or delete it",)))
            continue
        if actual.stack != stack:
            changes.append(Change(Kind.CONFLICT, rule.name, (f"belongs to dwevents stack '{actual.stack}'",)))
            continue
        rule_diff = rule_differences(rule, actual)
        target_diff = target_differences(rule.target, actual.target(rule.target.id))
        if rule_diff or target_diff:
            changes.append(Change(Kind.UPDATE, rule.name, tuple(rule_diff + target_diff), rule,
                                  bool(rule_diff), bool(target_diff)))
        else:
            unchanged.append(rule.name)
    if prune:
        for name, actual in sorted(remote.items()):
            if name not in wanted and actual.managed_by(stack):
                changes.append(Change(Kind.DELETE, name, ("no workspace-level function wants it",),
                                      delete_target_ids=tuple(t.id for t in actual.targets)))
    return Plan(bus, tuple(changes), tuple(unchanged), tuple(skipped))


def undo_plan(bus: str, remote: Mapping[str, RemoteRule], stack: str = DEFAULT_STACK) -> Plan:
    """Delete exactly the rules ``stack`` manages (prefix + marker + stack) on ``bus``."""
    changes = tuple(Change(Kind.DELETE, name, ("undo",), delete_target_ids=tuple(t.id for t in rule.targets))
                    for name, rule in sorted(remote.items()) if rule.managed_by(stack))
    return Plan(bus, changes)


# -- the API -------------------------------------------------------------------------------------------
class BusApi(Protocol):
    """The EventBridge calls this module makes (the SDK adapter below; a fake in unit tests)."""

    def list_rule_names(self, bus: str, prefix: str) -> list[str]: ...
    def get_rule(self, bus: str, name: str) -> RemoteRule | None: ...
    def create_rule(self, bus: str, rule: RuleSpec) -> None: ...
    def update_rule(self, bus: str, rule: RuleSpec) -> None: ...
    def enable_rule(self, bus: str, name: str) -> None: ...
    def put_targets(self, bus: str, name: str, targets: Sequence[Target]) -> None: ...
    def delete_targets(self, bus: str, name: str, target_ids: Sequence[str]) -> None: ...
    def delete_rule(self, bus: str, name: str) -> None: ...


class SdkBusApi:
    """:class:`BusApi` over ``alibabacloud_eventbridge20200401`` (RPC, ACS3-signed; imported here)."""

    def __init__(self, *, region: str, endpoint: str | None = None, protocol: str = "https",
                 credentials: Credentials | None = None) -> None:
        from alibabacloud_eventbridge20200401 import models
        from alibabacloud_eventbridge20200401.client import Client

        self._m = models
        self._client = Client(openapi_config(region=region, endpoint=endpoint, protocol=protocol,
                                             credentials=credentials))

    def _call(self, action: str, method: str, request: Any) -> Any:
        try:
            response = getattr(self._client, method)(request)
        except Exception as exc:
            failure = sdk_failure(exc)
            if failure is None:
                raise
            raise BusError(failure.describe(f"EventBridge {action}"), code=failure.code,
                           status=failure.status, transient=failure.transient) from None
        body = response.body
        if body is not None and getattr(body, "success", None) is False:  # some errors come back as HTTP 200
            raise BusError(f"EventBridge {action}: {body.code}: {body.message} "
                           f"[request id {body.request_id}]", code=str(body.code or ""))
        return body

    def list_rule_names(self, bus: str, prefix: str) -> list[str]:
        names: list[str] = []
        token: str | None = None
        seen: set[str] = set()
        while True:
            body = self._call("ListRules", "list_rules", self._m.ListRulesRequest(
                event_bus_name=bus, rule_name_prefix=prefix, limit=50, next_token=token))
            data = body.data
            names.extend(r.rule_name for r in (data.rules or []) if data and r.rule_name)
            token = data.next_token if data else None
            if not token or token in seen:
                return names
            seen.add(token)

    def get_rule(self, bus: str, name: str) -> RemoteRule | None:
        try:
            request = self._m.GetRuleRequest(event_bus_name=bus, rule_name=name)
            body = self._call("GetRule", "get_rule", request)
        except BusError as exc:
            if exc.code == "EventRuleNotExisted":
                return None
            raise
        data = body.data.to_map() if body.data else {}
        return RemoteRule(str(data.get("RuleName") or name), str(data.get("Description") or ""),
                          str(data.get("FilterPattern") or ""), str(data.get("Status") or ""),
                          tuple(Target.from_api(t) for t in data.get("Targets") or []))

    def create_rule(self, bus: str, rule: RuleSpec) -> None:
        target = self._m.CreateRuleRequestEventTargets().from_map(rule.target.to_api())
        self._call("CreateRule", "create_rule", self._m.CreateRuleRequest(
            event_bus_name=bus, rule_name=rule.name, description=rule.description,
            filter_pattern=rule.filter_pattern, status=rule.status, event_targets=[target]))

    def update_rule(self, bus: str, rule: RuleSpec) -> None:
        self._call("UpdateRule", "update_rule", self._m.UpdateRuleRequest(
            event_bus_name=bus, rule_name=rule.name, description=rule.description,
            filter_pattern=rule.filter_pattern))

    def enable_rule(self, bus: str, name: str) -> None:
        self._call("EnableRule", "enable_rule", self._m.EnableRuleRequest(event_bus_name=bus, rule_name=name))

    def put_targets(self, bus: str, name: str, targets: Sequence[Target]) -> None:
        body = self._call("PutTargets", "put_targets", self._m.PutTargetsRequest(
            event_bus_name=bus, rule_name=name,
            targets=[self._m.PutTargetsRequestTargets().from_map(t.to_api()) for t in targets]))
        _raise_entry_errors("PutTargets", name, body)

    def delete_targets(self, bus: str, name: str, target_ids: Sequence[str]) -> None:
        body = self._call("DeleteTargets", "delete_targets", self._m.DeleteTargetsRequest(
            event_bus_name=bus, rule_name=name, target_ids=list(target_ids)))
        _raise_entry_errors("DeleteTargets", name, body)

    def delete_rule(self, bus: str, name: str) -> None:
        self._call("DeleteRule", "delete_rule", self._m.DeleteRuleRequest(event_bus_name=bus, rule_name=name))


def _raise_entry_errors(action: str, rule: str, body: Any) -> None:
    data = getattr(body, "data", None)
    entries = getattr(data, "error_entries", None) or []
    if getattr(data, "error_entries_count", 0) or entries:
        detail = ", ".join(f"{e.entry_id}: {e.error_code} {e.error_message}" for e in entries)
        raise BusError(f"EventBridge {action} on {rule} partly failed: {detail}", code="ErrorEntries")


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
    order = {Kind.CREATE: 0, Kind.UPDATE: 1, Kind.DELETE: 2}
    actionable = [c for c in plan.changes if c.kind is not Kind.CONFLICT]
    for change in sorted(actionable, key=lambda c: order[c.kind]):
        if change.kind is Kind.CREATE and change.desired is not None:
            api.create_rule(plan.bus, change.desired)
        elif change.kind is Kind.UPDATE and change.desired is not None:
            if change.update_rule:
                api.update_rule(plan.bus, change.desired)
                if any(r.startswith("Status") for r in change.reasons):
                    api.enable_rule(plan.bus, change.rule)
            if change.update_target:
                api.put_targets(plan.bus, change.rule, [change.desired.target])
        elif change.kind is Kind.DELETE:
            if change.delete_target_ids:
                api.delete_targets(plan.bus, change.rule, change.delete_target_ids)
            api.delete_rule(plan.bus, change.rule)
        logger.info("%s %s on bus %s", change.kind.value, change.rule, plan.bus)
        done.append(f"{change.kind.value} {change.rule}")
    return done


# -- s.yaml ------------------------------------------------------------------------------------------
def load_functions(path: str | Path) -> tuple[list[FunctionRef], Mapping[str, Any]]:
    """→ (functions, rendered ``vars``) through ``dwevents.deploy.syaml.load_syaml``, the shared reader."""
    from dwevents.deploy.syaml import load_syaml

    try:
        doc = load_syaml(path)
    except ValueError as exc:  # SYamlError: unreadable or not a Serverless Devs 3.x file
        raise ConfigError(str(exc), source=str(path)) from None
    functions = []
    for fn in doc.functions:
        pattern = fn.pattern
        if isinstance(pattern, str):
            pattern = json.loads(pattern)
        functions.append(FunctionRef(str(fn.name), str(fn.category), dict(pattern or {})))
    variables = getattr(doc, "vars", None)
    return functions, variables if isinstance(variables, Mapping) else {}


def _resolved(value: Any) -> str | None:
    """A usable literal: not empty and not an unexpanded Serverless Devs ``${...}`` expression."""
    text = str(value).strip() if value is not None else ""
    return text if text and "${" not in text else None


def _first(*candidates: Any) -> str | None:
    for candidate in candidates:
        value = _resolved(candidate)
        if value:
            return value
    return None


# -- CLI -----------------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dwevents.deploy.bus",
        description="Keep one EventBridge rule per workspace-level function on the DataWorks OpenEvent "
                    "custom bus (plan = diff, apply = converge, undo = delete the rules this tool manages).")
    parser.add_argument("command", choices=("plan", "apply", "undo"))
    parser.add_argument("--syaml", help="path to s.yaml (required for plan/apply)")
    parser.add_argument("--bus", help=f"custom event bus (default ${BUS_ENV}, then s.yaml vars.eventBus)")
    parser.add_argument("--region",
                        help=f"region (default ${env.REGION}, ${env.CLOUD_REGION}, s.yaml vars.region)")
    parser.add_argument("--account-id", help=f"account owning the functions (default ${ACCOUNT_ID}, "
                                             f"${env.FC_ACCOUNT_ID})")
    parser.add_argument("--qualifier", default="LATEST", help="function version/alias to invoke (LATEST)")
    parser.add_argument("--retry", choices=RETRY_STRATEGIES, default="BACKOFF_RETRY",
                        help="EventBridge push retry strategy for the targets")
    parser.add_argument("--fc2-service", help="address targets the documented FC 2.0 way, via this service")
    parser.add_argument("--invocation-type", choices=("Sync", "Async"),
                        help="add an InvocationType target param (not sent by default)")
    parser.add_argument("--stack", help="owner tag of the rules (default s.yaml vars.prefix, then dwevents)")
    parser.add_argument("--no-prune", action="store_true", help="apply: keep managed rules nobody wants")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--endpoint", help="EventBridge API host[:port] (default: the SDK's regional one)")
    parser.add_argument("--protocol", choices=("https", "http"), default="https")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def _settings(args: argparse.Namespace, svars: Mapping[str, Any]) -> tuple[str, str]:
    bus = _first(args.bus, os.environ.get(BUS_ENV), svars.get("eventBus"), svars.get("event_bus"))
    if not bus:
        raise ConfigError(f"name the OpenEvent custom bus: --bus, ${BUS_ENV} or s.yaml vars.eventBus",
                          key="bus")
    region = _first(args.region, os.environ.get(env.REGION), os.environ.get(env.CLOUD_REGION),
                    os.environ.get(env.FC_REGION), svars.get("region"))
    if not region:
        raise ConfigError(f"no region: --region, ${env.REGION} or ${env.CLOUD_REGION}", key="region")
    return bus, region


def run(argv: Sequence[str] | None = None, *, api: BusApi | None = None, out: Any = None) -> int:
    """The CLI without ``sys.exit``; ``api`` lets a caller supply the EventBridge client."""
    args = _parser().parse_args(argv)
    stream = out or sys.stdout
    if args.verbose:
        logging.getLogger("dwevents").setLevel(logging.DEBUG)
    if args.command != "undo" and not args.syaml:
        raise ConfigError("plan/apply need --syaml", key="syaml")
    functions, svars = load_functions(args.syaml) if args.syaml else ([], {})
    bus, region = _settings(args, svars)
    stack = _first(args.stack, svars.get("prefix")) or DEFAULT_STACK
    if not _STACK.fullmatch(f"stack={stack}"):
        raise ConfigError(f"stack {stack!r}: use letters, digits, '.', '_' or '-'", key="stack")
    account = _first(args.account_id, os.environ.get(ACCOUNT_ID), os.environ.get(env.FC_ACCOUNT_ID))
    if not account and args.command != "undo":
        raise ConfigError(f"no account id for the target ARNs: --account-id or ${ACCOUNT_ID} "
                          "(in s.yaml actions: --account-id ${config('AccountID')})", key="account-id")
    if api is None:
        api = SdkBusApi(region=region, endpoint=args.endpoint, protocol=args.protocol,
                        credentials=require_credentials())
    if args.command == "undo" or not account:
        plan = undo_plan(bus, read_rules(api, bus), stack)
    else:
        options = TargetOptions(region, account, args.qualifier, args.retry, args.fc2_service,
                                args.invocation_type, stack)
        desired, skipped = desired_rules(functions, options)
        plan = make_plan(bus, desired, read_rules(api, bus), stack=stack, skipped=skipped,
                         prune=not args.no_prune)
    print(plan.render(), file=stream)
    if args.command == "plan" or args.dry_run:
        if args.dry_run and args.command != "plan":
            print("dry run: nothing changed", file=stream)
        return 1 if plan.conflicts else 0
    done = apply_plan(api, plan)
    print(f"applied {len(done)} change(s)" if done else "nothing to do", file=stream)
    return 1 if plan.conflicts else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: errors become one line on stderr and exit code 2, never a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(argv)
    except DwEventsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        hint = " (pip install 'dwevents[deploy]')" if (exc.name or "").startswith("alibabacloud") else ""
        print(f"error: cannot import {exc.name or exc}{hint}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
