"""``dwevents doctor``: read-only checks that a real account is wired the way s.yaml says.

Each check is one :class:`Line` — ``ok``, ``FAIL`` or ``warn``, what was checked, what was found, how to
fix it — and the run fails when any line is FAIL. Nothing is created or changed. In order: credentials and
the account id (STS GetCallerIdentity); the region (dwevents/deploy/region.py); every s.yaml function in
FC 3.0 with the expected runtime and handler (GetFunction) and an execution role; the custom bus (with the
hint to bind it in DataWorks) and the default bus; every rule and its target against the offline plan
(GetRule, ListTargets), printing the endpoint the cloud stored — which settles the undocumented FC 3.0
target form in a real account; EventBridge's service-linked role for FC; the extension code (GetExtension:
exists, enabled, which extension points it subscribes to versus the deployed functions), or a warning
when extension events reach functions while no code is set (alerts-only); the dead-letter queue.
``--probe`` then follows real events (dwevents/deploy/probe.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from dwevents.catalogue import specs_for_category
from dwevents.deploy.plan import rule_differences, target_differences
from dwevents.deploy.settings import DeploySettings, role_problem
from dwevents.deploy.targets import DEFAULT_BUS, RuleSpec, desired_rules
from dwevents.errors import CloudApiError, DwEventsError

OK, FAIL, WARN = "ok", "FAIL", "warn"
SEND_TO_FC_ROLE = "AliyunServiceRoleForEventBridgeSendToFC"
#: GetExtension ``Status`` (https://help.aliyun.com/zh/dataworks/api-getextension).
EXTENSION_STATUS = {
    0: "testing",
    1: "online",
    3: "disabled",
    4: "approving",
    5: "approved",
    6: "approval failed",
}
APPLY = "python3 -m dwevents.deploy.bus apply --syaml s.yaml --account-id <account>"


@dataclass(frozen=True)
class Line:
    status: str
    check: str
    found: str
    fix: str = ""

    def render(self) -> str:
        return "  ".join(part for part in (f"{self.status:<4}", self.check, self.found, self.fix) if part)


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)

    def add(self, status: str, check: str, found: str, fix: str = "") -> Line:
        line = Line(status, check, found, fix if status != OK else "")
        self.lines.append(line)
        return line

    @property
    def failed(self) -> bool:
        return any(line.status == FAIL for line in self.lines)

    def as_json(self) -> dict[str, Any]:
        return {"ok": not self.failed, "checks": [asdict(line) for line in self.lines]}


@dataclass
class Clients:
    """The read-only clients (built by the CLI from the official SDKs; the stand-in in tests)."""

    eventbridge: Any
    fc: Any
    sts: Any
    extension: Callable[[str], dict[str, Any]] | None = None


def _failure(exc: DwEventsError) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def check_identity(report: Report, clients: Clients, settings: DeploySettings) -> str | None:
    """→ the account the credentials belong to (the one the target ARNs must name), None when they fail."""
    try:
        who = clients.sts.caller_identity()
    except CloudApiError as exc:
        report.add(
            FAIL,
            "credentials",
            _failure(exc),
            "check ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET (and _SECURITY_TOKEN for STS keys)",
        )
        return None
    account = str(who.get("AccountId") or "")
    report.add(OK, "credentials", f"account {account} as {who.get('Arn') or who.get('IdentityType')}")
    if settings.account_id and settings.account_id != account:
        report.add(
            FAIL,
            "account id",
            f"--account-id/ALIBABA_CLOUD_ACCOUNT_ID is {settings.account_id}, the "
            f"credentials belong to {account}",
            "use the account the functions are deployed in",
        )
    return account


def check_functions(report: Report, clients: Clients, settings: DeploySettings) -> dict[str, dict[str, Any]]:
    """→ the deployed functions' descriptions (by name) that exist."""
    found: dict[str, dict[str, Any]] = {}
    for decl in settings.syaml.functions:
        check = f"function {decl.name}"
        try:
            described = clients.fc.get_function(decl.name)
        except CloudApiError as exc:
            report.add(FAIL, check, _failure(exc), "check the fc:GetFunction permission")
            continue
        if described is None:
            report.add(FAIL, check, f"not found in FC 3.0 ({settings.region})", "run `s deploy`")
            continue
        found[decl.name] = described
        wrong = [
            f"{key} {described.get(key)!r} (s.yaml: {want!r})"
            for key, want in (("runtime", decl.runtime), ("handler", decl.handler))
            if described.get(key) != want
        ]
        if wrong:
            report.add(FAIL, check, "; ".join(wrong), "run `s deploy` to update it")
        else:
            report.add(OK, check, f"{described.get('runtime')} {described.get('handler')}")
    problem = role_problem(settings.role_arn)
    roleless = sorted(name for name, described in found.items() if not described.get("role"))
    if roleless:
        report.add(
            FAIL,
            "execution role",
            f"no role on {', '.join(roleless)}",
            "set DWEVENTS_ROLE_ARN and run `s deploy` (docs/deploy.md, 'Role')",
        )
    elif problem:
        report.add(
            WARN, "execution role", f"s.yaml: {problem}", "set DWEVENTS_ROLE_ARN before the next deploy"
        )
    else:
        roles = sorted({str(d.get("role")) for d in found.values()})
        report.add(OK, "execution role", ", ".join(roles) or settings.role_arn)
    return found


def check_buses(report: Report, clients: Clients, settings: DeploySettings) -> set[str]:
    """→ the buses that exist (of those the rules need)."""
    needed = [settings.bus] + ([DEFAULT_BUS] if settings.tenant_bus != "custom" else [])
    present: set[str] = set()
    for bus in needed:
        try:
            found = clients.eventbridge.get_event_bus(bus)
        except CloudApiError as exc:
            report.add(FAIL, f"bus {bus}", _failure(exc), "check the eventbridge:GetEventBus permission")
            continue
        if found is None:
            report.add(
                FAIL,
                f"bus {bus}",
                f"does not exist in {settings.region}",
                "create the custom bus in EventBridge, then bind it in DataWorks Open Platform > "
                "OpenEvent > distribution channel (docs/deploy.md, 'Bus')",
            )
            continue
        present.add(bus)
        bound = " (bind it in DataWorks OpenEvent's distribution channel)" if bus != DEFAULT_BUS else ""
        report.add(OK, f"bus {bus}", f"exists{bound}")
    return present


def check_rules(
    report: Report, clients: Clients, settings: DeploySettings, buses: set[str], wanted: Iterable[RuleSpec]
) -> None:
    for rule in wanted:
        check = f"rule {rule.bus}/{rule.name}"
        if rule.bus not in buses:
            continue
        try:
            remote = clients.eventbridge.get_rule(rule.bus, rule.name)
            stored = clients.eventbridge.list_targets(rule.bus, rule.name) if remote is not None else []
        except CloudApiError as exc:
            report.add(FAIL, check, _failure(exc), "check the eventbridge:GetRule/ListTargets permissions")
            continue
        if remote is None:
            report.add(FAIL, check, "missing", f"run `{APPLY}`")
            continue
        if remote.stack != settings.stack:
            owner = f"stack '{remote.stack}'" if remote.stack else "nobody (no dwevents marker)"
            report.add(FAIL, check, f"belongs to {owner}", "rename or delete it, then apply")
            continue
        # GetRule's targets carry every field (PushRetryStrategy, DeadLetterQueue); ListTargets' model in the
        # official SDK drops those two, so it only confirms the endpoint the cloud stored.
        actual = remote.target(rule.target.id)
        listed = next((t for t in stored if t.id == rule.target.id), None)
        reasons = rule_differences(rule, remote) + target_differences(rule.target, actual)
        if listed is None and actual is not None:
            reasons.append("ListTargets does not show the target")
        endpoint = (listed or actual).endpoint if (listed or actual) else "(no target)"
        if reasons:
            report.add(
                FAIL,
                check,
                f"differs from the plan: {', '.join(reasons)}; stored endpoint {endpoint}",
                f"run `{APPLY}` (someone changed it)",
            )
        else:
            report.add(OK, check, f"stored endpoint {endpoint}")


def check_service_linked_role(report: Report, clients: Clients) -> None:
    try:
        exists = clients.eventbridge.service_linked_role_exists(SEND_TO_FC_ROLE)
    except CloudApiError as exc:
        report.add(
            FAIL, "service-linked role", _failure(exc), "check eventbridge:CheckServiceLinkedRoleForProduct"
        )
        return
    if exists:
        report.add(OK, "service-linked role", SEND_TO_FC_ROLE)
    else:
        report.add(
            FAIL,
            "service-linked role",
            f"{SEND_TO_FC_ROLE} does not exist: EventBridge cannot invoke FC",
            f"create it once (EventBridge console, or CreateServiceLinkedRoleForProduct "
            f"ProductName={SEND_TO_FC_ROLE}; needs ram:CreateServiceLinkedRole)",
        )


def extension_codes_deployed(settings: DeploySettings) -> dict[str, str]:
    """eventCode → function name, for every extension point a deployed function answers."""
    codes: dict[str, str] = {}
    for decl in settings.syaml.functions:
        for spec in specs_for_category(decl.category):
            if spec.is_extension:
                codes[spec.event_code] = decl.name
    return codes


def check_extension(
    report: Report, clients: Clients, settings: DeploySettings, deployed: dict[str, dict[str, Any]]
) -> None:
    answered = extension_codes_deployed(settings)
    codes = {
        str((d.get("environmentVariables") or {}).get("DWEVENTS_EXTENSION_CODE") or "")
        for d in deployed.values()
    } - {""}
    code = settings.extension_code or (sorted(codes)[0] if codes else "")
    if not code:
        if answered:
            report.add(
                WARN,
                "extension",
                f"no extension code set: {len(answered)} extension point(s) reach the "
                "functions and are audited as 'not answered' (alerts-only)",
                "register an extension in DataWorks Open Platform and set DWEVENTS_EXTENSION_CODE",
            )
        return
    if clients.extension is None:
        report.add(WARN, "extension", f"code {code} set, not checked", "install dwevents[dataworks]")
        return
    try:
        extension = clients.extension(code)
    except DwEventsError as exc:
        report.add(
            FAIL,
            "extension",
            f"code {code}: {_failure(exc)}",
            "check DWEVENTS_EXTENSION_CODE against DataWorks Open Platform > Extensions",
        )
        return
    status = extension.get("Status")
    label = EXTENSION_STATUS.get(status if isinstance(status, int) else -1, f"status {status!r}")
    if status in (3, 6):
        report.add(
            FAIL, "extension", f"{code} is {label}", "enable it in DataWorks Open Platform > Extensions"
        )
    elif status in (0, 4):
        report.add(
            WARN,
            "extension",
            f"{code} is {label}: only its test workspace ({extension.get('ProjectTesting')}) is asked",
            "publish it when the tests pass",
        )
    else:
        report.add(OK, "extension", f"{code} is {label}")
    subscribed = {str(e.get("EventCode")) for e in extension.get("BindEventList") or [] if e.get("EventCode")}
    orphaned = sorted(subscribed - set(answered))
    unasked = sorted(set(answered) - subscribed)
    if orphaned:
        report.add(
            FAIL,
            "extension points",
            f"subscribed but no deployed function answers: "
            f"{', '.join(orphaned)} (DataWorks waits, then times out)",
            "deploy the function or unsubscribe those points",
        )
    report.add(
        OK if subscribed else WARN,
        "extension points",
        f"subscribed: {', '.join(sorted(subscribed)) or 'none'}"
        + (f"; deployed but not subscribed: {', '.join(unasked)}" if unasked else ""),
        "" if subscribed else "subscribe the extension points in DataWorks Open Platform",
    )


def run_checks(
    settings: DeploySettings,
    clients: Clients,
    *,
    probe: Callable[[Report], None] | None = None,
    report: Report | None = None,
) -> Report:
    """Every check in order; later ones are skipped when the credentials do not work."""
    report = report or Report()
    if not any(line.check == "region" for line in report.lines):
        report.add(OK, "region", f"{settings.region} ({settings.region.source})")
    account = check_identity(report, clients, settings)
    if account is None:
        return report
    if not settings.account_id and account:
        settings = replace(settings, account_id=account)
    deployed = check_functions(report, clients, settings)
    buses = check_buses(report, clients, settings)
    wanted, _ = desired_rules(settings.functions, settings.target_options())
    check_rules(report, clients, settings, buses, wanted)
    check_service_linked_role(report, clients)
    check_extension(report, clients, settings, deployed)
    if settings.dead_letter_arn:
        report.add(OK, "dead-letter queue", settings.dead_letter_arn)
    else:
        report.add(
            WARN,
            "dead-letter queue",
            "none: an event that still fails after EventBridge's retries is dropped",
            "set DWEVENTS_DLQ_ARN (an MNS queue) and apply",
        )
    if probe is not None:
        probe(report)
    return report
