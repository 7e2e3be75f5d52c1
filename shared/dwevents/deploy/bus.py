"""``python -m dwevents.deploy.bus plan|apply|undo``: the EventBridge rules of a dwevents deployment.

Why this exists: DataWorks publishes workspace-level events to the custom bus named in its OpenEvent
distribution channel, and fc3's ``eventbridge`` trigger can only create a rule on the *default* bus. So after
``s deploy`` (``success-deploy``) this tool puts one rule per function on the custom bus — and, for the
tenant-level functions, one on the default bus too (s.yaml ``vars.tenantBus``) — each with one Function
Compute target carrying every documented target parameter (dwevents/deploy/targets.py says which and why);
``s remove`` runs ``undo`` first (``pre-remove``), which deletes exactly the rules this stack manages.

``plan --offline [--json]`` needs neither credentials, nor network, nor the ``[deploy]`` extra: it prints the
rules ``apply`` would create, ``params`` exactly as they would be sent (JSON: one array on stdout, warnings on
stderr). ``plan`` and ``apply`` without ``--offline`` read both buses and show the difference.

Credentials: the ``ALIBABA_CLOUD_ACCESS_KEY_ID``/``_SECRET``/``_SECURITY_TOKEN`` variables, with a clear error
when they are missing (dwevents/deploy/_sdk.py). Serverless Devs does not hand its ``access`` keys to
``run:`` actions: the engine spawns the command with the caller's environment only (Serverless-Devs/toolkit
``packages/engine/src/actions/index.ts``), so export the variables in the shell (or CI job) that runs
``s deploy``; ``${config('AccountID')}`` is expanded in the command string, which is how the account id
arrives.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from dwevents import env
from dwevents.deploy.plan import Plan, make_plan, undo_plan
from dwevents.deploy.settings import ACCOUNT_PLACEHOLDER, DeploySettings, resolve
from dwevents.deploy.targets import (
    DEFAULT_BUS,
    INVOCATION_TYPES,
    RETRY_STRATEGIES,
    TENANT_BUS_MODES,
    RuleSpec,
    delivery_for,
    desired_rules,
)
from dwevents.errors import ConfigError, DwEventsError

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dwevents.deploy.bus",
        description="Keep one EventBridge rule per function on the DataWorks OpenEvent custom bus (and the "
        "default bus for tenant-level functions): plan = diff, apply = converge, undo = delete the "
        "rules this tool manages.",
    )
    parser.add_argument("command", choices=("plan", "apply", "undo"))
    parser.add_argument("--syaml", default="s.yaml", help="the Serverless Devs project file (default s.yaml)")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="plan only: print the desired rules without reading the cloud (no credentials)",
    )
    parser.add_argument("--json", action="store_true", help="plan --offline: one JSON array on stdout")
    parser.add_argument(
        "--bus", help=f"custom event bus (default s.yaml vars.eventBus, i.e. ${env.EVENT_BUS})"
    )
    parser.add_argument("--region", help="region (default s.yaml vars.region, the one `s deploy` uses)")
    parser.add_argument(
        "--account-id", help=f"account owning the functions (default ${env.ACCOUNT_ID}, ${env.FC_ACCOUNT_ID})"
    )
    parser.add_argument(
        "--tenant-bus",
        choices=TENANT_BUS_MODES,
        help="where tenant-level functions get rules (default s.yaml vars.tenantBus: both)",
    )
    parser.add_argument("--dlq-arn", help="dead-letter queue of every target (default s.yaml vars.dlqArn)")
    parser.add_argument("--qualifier", default="LATEST", help="function version/alias to invoke (LATEST)")
    parser.add_argument(
        "--invocation-type",
        choices=("auto", *INVOCATION_TYPES),
        default="auto",
        help="auto (default): Sync for every function, retry strategy per kind; Async hands "
        "retries to FC's asyncInvokeConfig",
    )
    parser.add_argument(
        "--retry",
        choices=RETRY_STRATEGIES,
        help="EventBridge push retry strategy for every target (default: per function kind)",
    )
    parser.add_argument("--fc2-service", help="address targets the documented FC 2.0 way, via this service")
    parser.add_argument("--stack", help="owner tag of the rules (default s.yaml vars.prefix, then dwevents)")
    parser.add_argument("--no-prune", action="store_true", help="apply: keep managed rules nobody wants")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--endpoint", help="EventBridge API host[:port] (default: the SDK's regional one)")
    parser.add_argument("--protocol", choices=("https", "http"), default="https")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def desired(
    settings: DeploySettings, args: argparse.Namespace
) -> tuple[list[RuleSpec], list[tuple[str, str]]]:
    options = settings.target_options(
        qualifier=args.qualifier,
        invocation_type=args.invocation_type,
        retry=args.retry,
        fc2_service=args.fc2_service,
    )
    return desired_rules(settings.functions, options)


def warnings_for(settings: DeploySettings, args: argparse.Namespace) -> list[str]:
    found = list(settings.warnings)
    if not settings.account_id:
        found.append(
            f"account id unknown: target endpoints show {ACCOUNT_PLACEHOLDER}; pass --account-id "
            f"(s.yaml's success-deploy passes ${{config('AccountID')}})"
        )
    if not settings.dead_letter_arn:
        found.append(
            f"no dead-letter queue ({env.DLQ_ARN} / s.yaml vars.dlqArn): an event that still fails "
            "after EventBridge's retries is dropped"
        )
    if args.invocation_type == "Async":
        found.append(
            "--invocation-type Async: FC's asyncInvokeConfig (s.yaml) must carry the retries and the "
            "dead-letter destination"
        )
    return found


def _offline(settings: DeploySettings, args: argparse.Namespace, out: Any, err: Any) -> int:
    rules, skipped = desired(settings, args)
    for warning in warnings_for(settings, args):
        print(f"warning: {warning}", file=err)
    for function, reason in skipped:
        print(f"warning: {function}: {reason}", file=err)
    if args.json:
        json.dump([rule.as_json() for rule in rules], out, ensure_ascii=False, indent=1)
        out.write("\n")
        return 0
    categories = {fn.name: fn.category for fn in settings.functions}
    print(
        f"{len(rules)} rule(s), region {settings.region} ({settings.region.source}), stack {settings.stack}, "
        f"tenant-level rules on: {settings.tenant_bus}",
        file=out,
    )
    for rule in rules:
        delivery = delivery_for(
            categories[rule.function],
            settings.target_options(invocation_type=args.invocation_type, retry=args.retry),
        )
        params = ", ".join(f"{p.resource_key}={p.value or p.form}" for p in rule.target.params)
        print(
            f"  + {rule.bus}/{rule.name} -> {rule.target.endpoint}\n      {params}; "
            f"{rule.target.push_retry_strategy}"
            f"{'; DLQ ' + rule.target.dead_letter_arn if rule.target.dead_letter_arn else ''}\n"
            f"      why {delivery.invocation_type}: {delivery.why}",
            file=out,
        )
    return 0


def plans(settings: DeploySettings, args: argparse.Namespace, api: Any) -> list[Plan]:
    """One plan per bus the stack may have rules on (both, whatever the mode: a mode change prunes)."""
    from dwevents.deploy.eventbridge import read_rules

    buses = [settings.bus] + ([DEFAULT_BUS] if settings.bus != DEFAULT_BUS else [])
    if args.command == "undo":
        return [undo_plan(bus, read_rules(api, bus), settings.stack) for bus in buses]
    rules, skipped = desired(settings, args)
    return [
        make_plan(
            bus,
            rules,
            read_rules(api, bus),
            stack=settings.stack,
            skipped=skipped if bus == settings.bus else (),
            prune=not args.no_prune,
        )
        for bus in buses
    ]


def run(argv: Sequence[str] | None = None, *, api: Any = None, out: Any = None, err: Any = None) -> int:
    """The CLI without ``sys.exit``; ``api`` lets a caller supply the EventBridge client."""
    args = _parser().parse_args(argv)
    stream, errors = out or sys.stdout, err or sys.stderr
    if args.verbose:
        logging.getLogger("dwevents").setLevel(logging.DEBUG)
    if (args.offline or args.json) and args.command != "plan":
        raise ConfigError("--offline and --json go with `plan` only", key="offline")
    settings = resolve(
        args.syaml,
        region=args.region,
        bus=args.bus,
        stack=args.stack,
        account_id=args.account_id,
        tenant_bus=args.tenant_bus,
        dead_letter_arn=args.dlq_arn,
    )
    if args.offline:
        return _offline(settings, args, stream, errors)
    if args.json:
        raise ConfigError("--json needs --offline (the online plan prints a diff)", key="json")
    if not settings.account_id and args.command != "undo":
        raise ConfigError(
            f"no account id for the target ARNs: --account-id or ${env.ACCOUNT_ID} "
            "(in s.yaml actions: --account-id ${config('AccountID')})",
            key="account-id",
        )
    if api is None:
        from dwevents.deploy._sdk import require_credentials
        from dwevents.deploy.eventbridge import SdkBusApi

        api = SdkBusApi(
            region=settings.region.name,
            endpoint=args.endpoint,
            protocol=args.protocol,
            credentials=require_credentials(),
        )
    found = plans(settings, args, api)
    print("\n".join(plan.render() for plan in found), file=stream)
    conflicts = any(plan.conflicts for plan in found)
    if args.command == "plan" or args.dry_run:
        if args.dry_run and args.command != "plan":
            print("dry run: nothing changed", file=stream)
        return 1 if conflicts else 0
    from dwevents.deploy.eventbridge import apply_plan

    done = [item for plan in found for item in apply_plan(api, plan)]
    print(f"applied {len(done)} change(s)" if done else "nothing to do", file=stream)
    return 1 if conflicts else 0


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
