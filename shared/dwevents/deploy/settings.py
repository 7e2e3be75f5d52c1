"""The deployment as the tools see it: s.yaml rendered like ``s deploy`` renders it, plus the command line.

One place decides, for the bus tool, ``dwevents invoke --remote``, the preflight and the doctor alike:
the region (dwevents/deploy/region.py), the custom bus, the owner stack, the account id of the target ARNs,
where tenant-level rules go, the dead-letter queue, the role ARN and the extension code. Command-line
values win over s.yaml; s.yaml's ``${env(...)}`` variables are rendered from the environment, which is how
``DWEVENTS_EVENT_BUS`` and friends reach the tools (one rendering, no second reading of the environment).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dwevents import env
from dwevents.deploy.region import Region, literal, resolve_region
from dwevents.deploy.syaml import SYaml, load_syaml
from dwevents.deploy.targets import (
    DEFAULT_STACK,
    STACK_PATTERN,
    TENANT_BUS_MODES,
    FunctionRef,
    TargetOptions,
)
from dwevents.errors import ConfigError

#: The account id shown in target ARNs when none is known (offline plan without --account-id).
ACCOUNT_PLACEHOLDER = "<account-id>"
DEFAULT_CUSTOM_BUS = "dataworks-openevent"
_DLQ_ARN = re.compile(
    r"^acs:(?P<service>mns|mq|alikafka|eventbridge):(?P<region>[a-z0-9-]*):(?P<account>\d*):\S+$"
)
_ROLE_ARN = re.compile(r"^acs:ram::\d+:role/[\w.@-]+$", re.IGNORECASE)


@dataclass(frozen=True)
class DeploySettings:
    syaml: SYaml
    functions: list[FunctionRef]
    region: Region
    bus: str
    stack: str
    account_id: str | None
    tenant_bus: str
    dead_letter_arn: str
    role_arn: str
    extension_code: str
    warnings: list[str] = field(default_factory=list)

    def target_options(
        self,
        *,
        qualifier: str = "LATEST",
        invocation_type: str = "auto",
        retry: str | None = None,
        fc2_service: str | None = None,
    ) -> TargetOptions:
        return TargetOptions(
            self.region.name,
            self.account_id or ACCOUNT_PLACEHOLDER,
            qualifier,
            invocation_type,
            retry,
            fc2_service,
            self.dead_letter_arn,
            self.stack,
            self.bus,
            self.tenant_bus,
        )


def functions_of(doc: SYaml) -> list[FunctionRef]:
    return [FunctionRef(str(fn.name), str(fn.category), dict(fn.pattern or {})) for fn in doc.functions]


def check_dead_letter_arn(arn: str, region: str) -> None:
    """A dead-letter ARN EventBridge can use: MNS, RocketMQ (mq), Kafka or an EventBridge bus, same region."""
    found = _DLQ_ARN.match(arn)
    if not found:
        raise ConfigError(
            f"dlqArn {arn!r} is not an MNS queue, RocketMQ/Kafka topic or EventBridge bus ARN "
            "(e.g. acs:mns:cn-hangzhou:<account>:/queues/dwevents-dlq)",
            key=env.DLQ_ARN,
        )
    if found.group("region") and found.group("region") != region:
        raise ConfigError(
            f"dlqArn is in region {found.group('region')}, the rules in {region}: EventBridge "
            "targets (and their dead-letter queue) must be in the rule's region",
            key=env.DLQ_ARN,
        )


def role_problem(role: str) -> str | None:
    """Why ``role`` cannot be deployed, or None (a full ARN, or a bare name fc3 completes)."""
    if not role:
        return (
            f"no execution role: export {env.ROLE_ARN}=acs:ram::<account>:role/<name> (the role the "
            "functions run as; docs/deploy.md, 'Role')"
        )
    if role.startswith("acs:") and not _ROLE_ARN.match(role):
        return f"{env.ROLE_ARN}={role!r} is not a RAM role ARN (acs:ram::<account>:role/<name>)"
    return None


def resolve(
    syaml_path: str | os.PathLike[str],
    *,
    region: str | None = None,
    bus: str | None = None,
    stack: str | None = None,
    account_id: str | None = None,
    tenant_bus: str | None = None,
    dead_letter_arn: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> DeploySettings:
    """Everything the tools need, checked: a one-line :class:`ConfigError` for anything unusable."""
    source = os.environ if environ is None else environ
    doc = load_syaml(syaml_path, environ=source)
    svars: Mapping[str, Any] = doc.vars if isinstance(doc.vars, Mapping) else {}
    name = Path(syaml_path).name
    chosen_region = resolve_region(region, svars.get("region"), syaml_name=name, environ=source)
    chosen_bus = literal(bus) or literal(svars.get("eventBus")) or DEFAULT_CUSTOM_BUS
    chosen_stack = literal(stack) or literal(svars.get("prefix")) or DEFAULT_STACK
    if not STACK_PATTERN.fullmatch(f"stack={chosen_stack}"):
        raise ConfigError(f"stack {chosen_stack!r}: use letters, digits, '.', '_' or '-'", key="stack")
    mode = literal(tenant_bus) or literal(svars.get("tenantBus")) or "both"
    if mode not in TENANT_BUS_MODES:
        raise ConfigError(
            f"tenantBus {mode!r} is not one of {', '.join(TENANT_BUS_MODES)}", key=env.TENANT_BUS
        )
    dlq = literal(dead_letter_arn) or literal(svars.get("dlqArn")) or ""
    if dlq:
        check_dead_letter_arn(dlq, chosen_region.name)
    account = (
        literal(account_id) or literal(source.get(env.ACCOUNT_ID)) or literal(source.get(env.FC_ACCOUNT_ID))
    )
    warnings = [f"{name}: ${{env({var!r})}} is unset" for var in doc.missing_env]
    return DeploySettings(
        doc,
        functions_of(doc),
        chosen_region,
        chosen_bus,
        chosen_stack,
        account,
        mode,
        dlq,
        literal(svars.get("roleArn")) or "",
        literal(svars.get("extensionCode")) or "",
        warnings,
    )
