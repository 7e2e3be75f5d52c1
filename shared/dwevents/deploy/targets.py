"""What the EventBridge rules of a dwevents deployment should be: one rule per function and bus, each with
one Function Compute target carrying every parameter the documentation marks required.

Target parameters. The EventBridge page "事件目标参数" (event target parameters,
https://help.aliyun.com/document_detail/185887.html), Function Compute section, lists ``serviceName``,
``functionName``, ``Qualifier``, ``Body``, ``InvocationType`` and ``DataFormat`` for ``Type: acs.fc.function``
and shows the FC 2.0 endpoint ``acs:fc:<region>:<account>:services/<service>.<qualifier>/functions/<fn>``.
FC 3.0 functions have no service and no page documents their target form; the default here is the FC 3.0
function ARN ``acs:fc:<region>:<account>:functions/<fn>`` (the ARN FC 3.0 itself uses for async-invoke
destinations, "Destination", https://help.aliyun.com/zh/functioncompute/api-fc-2023-03-30-struct-destination)
without ``serviceName``; ``fc2_service`` selects the documented 2.0 form. ``dwevents doctor`` reads every rule
back after ``apply`` and prints the endpoint the cloud stored, which settles it in a real account.
Every other parameter is always sent: ``functionName``, ``Qualifier`` (``LATEST``), ``Body`` (``ORIGINAL``:
the complete CloudEvent, which the runtime decodes), ``InvocationType`` (below) and ``DataFormat``
(``Object``: one event per invocation, what the handlers expect; ``ObjectList`` would batch).

InvocationType, per function (:func:`delivery_for`), default ``auto``:
- extension-capable functions: ``Sync`` with ``BACKOFF_RETRY`` (3 retries, 10–20 s apart). DataWorks waits
  for the verdict of an extension point; a synchronous push runs the function at once, with no queue in
  front of it, and a failed push is retried by EventBridge while DataWorks may still be waiting. Retrying
  for a day (EXPONENTIAL_DECAY_RETRY) would only produce verdicts nobody waits for.
- regular functions: ``Sync`` with ``EXPONENTIAL_DECAY_RETRY`` (176 retries over about a day). Sync keeps
  retries and the dead-letter queue in one place — EventBridge's, on the target, set by this tool — so an
  unset dead-letter destination simply leaves ``DeadLetterQueue`` out. With ``Async`` (``--invocation-type
  Async``), EventBridge's push ends when FC accepts the event and FC's own async retries and destination
  (``asyncInvokeConfig`` in s.yaml) take over instead; Serverless Devs cannot leave that destination out of
  s.yaml when it is unset, which is why Async is not the default.
Nothing is lost either way while a dead-letter queue is configured (``DeadLetterQueue.Arn`` on every target,
s.yaml ``vars.dlqArn``): what exhausts its retries lands there. Without one, an event that still fails after
the retries is dropped — the audit log keeps every attempt.

Tenant-level events (workspace deletion, resource upload/download): the DataWorks pages do not settle on
which bus they arrive, so by default (``tenant_bus="both"``) their three functions get a rule on the custom
bus *and* on the default bus; ``custom`` or ``default`` picks one. Both rules are managed here (no fc3
trigger), so they carry the same documented target parameters. A double delivery is one effect when the
idempotency store is shared (Redis) and both copies carry the same event id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dwevents.catalogue import Level, specs_for_category

PREFIX = "dwevents-"
MARKER = "[managed-by:dwevents]"
DEFAULT_STACK = "dwevents"
DEFAULT_BUS = "default"
TARGET_ID = "dwevents-fc"
TARGET_TYPE = "acs.fc.function"
RETRY_STRATEGIES = ("BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY")
INVOCATION_TYPES = ("Sync", "Async")
TENANT_BUS_MODES = ("both", "custom", "default")
#: The documented FC target parameters this tool always sends (``serviceName`` too with the 2.0 form).
REQUIRED_PARAMS = ("functionName", "Qualifier", "Body", "InvocationType", "DataFormat")
STACK_PATTERN = re.compile(r"\bstack=([A-Za-z0-9_.-]+)")
_RULE_NAME_MAX = 127


@dataclass(frozen=True)
class FunctionRef:
    """What the rules need from s.yaml about one function."""

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
        return cls(
            str(data.get("ResourceKey") or ""),
            str(data.get("Form") or ""),
            str(data.get("Value") or ""),
            str(data.get("Template") or ""),
        )


@dataclass(frozen=True)
class Target:
    id: str
    type: str
    endpoint: str
    params: tuple[Param, ...]
    push_retry_strategy: str = ""
    dead_letter_arn: str = ""

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Id": self.id,
            "Type": self.type,
            "Endpoint": self.endpoint,
            "ParamList": [p.to_api() for p in self.params],
        }
        if self.push_retry_strategy:
            out["PushRetryStrategy"] = self.push_retry_strategy
        if self.dead_letter_arn:
            out["DeadLetterQueue"] = {"Arn": self.dead_letter_arn}
        return out

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Target:
        dlq = data.get("DeadLetterQueue") or {}
        return cls(
            str(data.get("Id") or ""),
            str(data.get("Type") or ""),
            str(data.get("Endpoint") or ""),
            tuple(Param.from_api(p) for p in data.get("ParamList") or []),
            str(data.get("PushRetryStrategy") or ""),
            str(dlq.get("Arn") or "") if isinstance(dlq, Mapping) else "",
        )

    def param(self, key: str) -> Param | None:
        return next((p for p in self.params if p.resource_key == key), None)


@dataclass(frozen=True)
class RuleSpec:
    """A rule as we want it."""

    name: str
    bus: str
    function: str
    description: str
    pattern: Mapping[str, Any]
    target: Target
    status: str = "ENABLE"

    @property
    def filter_pattern(self) -> str:
        return json.dumps(self.pattern, ensure_ascii=False, separators=(",", ":"))

    def as_json(self) -> dict[str, Any]:
        """The plan's JSON form: ``params`` exactly as apply sends them (the target's ``ParamList``)."""
        api = self.target.to_api()
        target = {
            "id": api["Id"],
            "type": api["Type"],
            "endpoint": api["Endpoint"],
            "params": api["ParamList"],
            "pushRetryStrategy": api.get("PushRetryStrategy", ""),
            "deadLetterQueue": api.get("DeadLetterQueue"),
        }
        return {
            "name": self.name,
            "bus": self.bus,
            "function": self.function,
            "status": self.status,
            "pattern": dict(self.pattern),
            "targets": [target],
        }


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
        found = STACK_PATTERN.search(self.description)
        return found.group(1) if found else DEFAULT_STACK

    def managed_by(self, stack: str) -> bool:
        return self.stack == stack

    def target(self, target_id: str) -> Target | None:
        return next((t for t in self.targets if t.id == target_id), None)


@dataclass(frozen=True)
class InvocationChoice:
    """How EventBridge hands one function its events, and why (printed by ``plan``)."""

    invocation_type: str
    retry: str
    why: str


@dataclass(frozen=True)
class TargetOptions:
    """How to address the functions. ``account_id`` may be a placeholder (offline plan)."""

    region: str
    account_id: str
    qualifier: str = "LATEST"
    #: ``auto`` (per function, :func:`delivery_for`), ``Sync`` or ``Async`` for all.
    invocation_type: str = "auto"
    #: Overrides the per-function retry strategy when set.
    retry: str | None = None
    fc2_service: str | None = None
    dead_letter_arn: str = ""
    stack: str = DEFAULT_STACK
    custom_bus: str = "dataworks-openevent"
    tenant_bus: str = "both"


def function_level(category: str) -> Level | None:
    """Workspace if any catalogue event of the category is workspace-level; None when unknown."""
    specs = specs_for_category(category)
    if not specs:
        return None
    return Level.WORKSPACE if any(s.level is Level.WORKSPACE for s in specs) else Level.TENANT


def is_extension(category: str) -> bool:
    return any(spec.is_extension for spec in specs_for_category(category))


def delivery_for(category: str, options: TargetOptions) -> InvocationChoice:
    """The InvocationType and retry strategy of one function (see the module docstring for the why)."""
    if is_extension(category):
        invocation, retry = "Sync", "BACKOFF_RETRY"
        why = "extension points: the verdict must reach DataWorks while it waits; no queue in front"
    else:
        invocation, retry = "Sync", "EXPONENTIAL_DECAY_RETRY"
        why = "regular events: EventBridge retries for a day, then the dead-letter queue on the target"
    if options.invocation_type in INVOCATION_TYPES and options.invocation_type != invocation:
        invocation = options.invocation_type
        why = (
            "chosen with --invocation-type Async: FC's async retries and destination (s.yaml "
            "asyncInvokeConfig) apply after FC accepts the event"
            if invocation == "Async"
            else "chosen with --invocation-type Sync"
        )
    return InvocationChoice(invocation, options.retry or retry, why)


def rule_name(function: str) -> str:
    """Deterministic: ``dwevents-<function>``, or the function name itself when it already starts with
    ``dwevents-`` (no ``dwevents-dwevents-...``); EventBridge allows letters, digits, ``-`` and ``_``."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", function)
    name = safe if safe.startswith(PREFIX) else PREFIX + safe
    return name[:_RULE_NAME_MAX]


def build_target(fn: FunctionRef, options: TargetOptions) -> Target:
    delivery = delivery_for(fn.category, options)
    params = [
        Param("functionName", "CONSTANT", fn.name),
        Param("Qualifier", "CONSTANT", options.qualifier),
        Param("Body", "ORIGINAL"),
        Param("InvocationType", "CONSTANT", delivery.invocation_type),
        Param("DataFormat", "CONSTANT", "Object"),
    ]
    if options.fc2_service:
        endpoint = (
            f"acs:fc:{options.region}:{options.account_id}:services/{options.fc2_service}."
            f"{options.qualifier}/functions/{fn.name}"
        )
        params.insert(0, Param("serviceName", "CONSTANT", options.fc2_service))
    else:
        endpoint = f"acs:fc:{options.region}:{options.account_id}:functions/{fn.name}"
    return Target(TARGET_ID, TARGET_TYPE, endpoint, tuple(params), delivery.retry, options.dead_letter_arn)


def buses_for(category: str, options: TargetOptions) -> tuple[str, ...]:
    """The buses a function's rule goes on: the custom bus, plus or instead of the default bus for
    tenant-level categories (``options.tenant_bus``)."""
    if function_level(category) is not Level.TENANT:
        return (options.custom_bus,)
    return {
        "both": (options.custom_bus, DEFAULT_BUS),
        "custom": (options.custom_bus,),
        "default": (DEFAULT_BUS,),
    }[options.tenant_bus]


def desired_rules(
    functions: Iterable[FunctionRef], options: TargetOptions
) -> tuple[list[RuleSpec], list[tuple[str, str]]]:
    """→ (rules, [(function, why it gets no rule)]), custom bus first."""
    rules: list[RuleSpec] = []
    skipped: list[tuple[str, str]] = []
    for fn in functions:
        level = function_level(fn.category)
        if level is None:
            skipped.append((fn.name, f"category '{fn.category}' is not in the catalogue; no rule"))
            continue
        if not fn.pattern:
            skipped.append((fn.name, "no pattern in s.yaml (vars.patterns) to mirror"))
            continue
        kind = "tenant" if level is Level.TENANT else "workspace"
        for bus in buses_for(fn.category, options):
            description = (
                f"{MARKER} stack={options.stack}; DataWorks {kind} events ({fn.category}) "
                f"to FC function {fn.name}"
            )
            rules.append(
                RuleSpec(
                    rule_name(fn.name), bus, fn.name, description, dict(fn.pattern), build_target(fn, options)
                )
            )
    rules.sort(key=lambda r: (r.bus == DEFAULT_BUS, r.name))
    return rules, skipped
