"""``dwevents doctor``: prove the wiring in your own account, read-only.

One line per check — ``ok|FAIL|warn  <check>  <what was found>  <how to fix>`` — or one JSON object with
``--json`` (for CI); exit 0 only when nothing FAILs. ``--probe`` also follows the last ``--since`` of real
DataWorks events through the buses' event trace and says whether each rule delivered them. The checks are
dwevents/deploy/doctor.py and dwevents/deploy/probe.py; the region is the one every deploy tool uses
(``--region``, else s.yaml ``vars.region``). Needs the ``[deploy]`` extra to run (``--help`` does not).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any, TextIO

from dwevents import env
from dwevents.cli._common import EXIT_NO_MATCH, EXIT_OK


def _clients(args: argparse.Namespace, region: str) -> Any:
    from dwevents.deploy._sdk import MissingCredentialsError, require_credentials
    from dwevents.deploy.cloud import FcApi, StsApi, get_extension
    from dwevents.deploy.doctor import Clients
    from dwevents.deploy.eventbridge import SdkBusApi

    try:
        credentials = require_credentials()
    except MissingCredentialsError:
        return None
    common: dict[str, Any] = {
        "region": region,
        "endpoint": args.endpoint,
        "protocol": args.protocol,
        "credentials": credentials,
    }
    dataworks = args.dataworks_endpoint or os.environ.get(env.DATAWORKS_ENDPOINT) or None

    def extension(code: str) -> dict[str, Any]:
        return get_extension(code, region=region, endpoint=dataworks, credentials=credentials)

    return Clients(SdkBusApi(**common), FcApi(**common), StsApi(**common), extension)


def cmd_doctor(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.deploy.doctor import FAIL, Report, run_checks
    from dwevents.deploy.settings import resolve
    from dwevents.errors import ConfigError

    report = Report()
    try:
        settings = resolve(args.syaml, region=args.region, bus=args.bus, account_id=args.account_id)
    except ConfigError as exc:
        report.add(FAIL, "settings", str(exc), "fix s.yaml or the variable named (docs/deploy.md)")
        return _print(report, args, out)
    report.add("ok", "region", f"{settings.region} ({settings.region.source})")
    clients = _clients(args, settings.region.name)
    if clients is None:
        report.add(
            FAIL,
            "credentials",
            f"none: {env.ACCESS_KEY_ID} / {env.ACCESS_KEY_SECRET} are not set",
            f"export {env.ACCESS_KEY_ID} and {env.ACCESS_KEY_SECRET} (docs/deploy.md, 'Credentials')",
        )
        return _print(report, args, out)
    probe = None
    if args.probe:
        from dwevents.deploy.probe import probe as follow
        from dwevents.deploy.targets import desired_rules
        from dwevents.local.overrides import parse_duration

        window = parse_duration(args.since, "--since")
        end_ms = int(time.time() * 1000)
        start_ms = end_ms - int(window.total_seconds() * 1000)
        rules, _ = desired_rules(settings.functions, settings.target_options())
        categories = {fn.name: fn.category for fn in settings.functions}

        def probe(found: Any) -> None:
            follow(found, clients.eventbridge, rules, start_ms=start_ms, end_ms=end_ms, categories=categories)

    for warning in settings.warnings:
        report.add("warn", "s.yaml", warning, "export the variable (docs/deploy.md)")
    run_checks(settings, clients, probe=probe, report=report)
    return _print(report, args, out)


def _print(report: Any, args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        out.write(json.dumps(report.as_json(), ensure_ascii=False) + "\n")
    else:
        for line in report.lines:
            out.write(line.render() + "\n")
        fails = sum(1 for line in report.lines if line.status == "FAIL")
        warns = sum(1 for line in report.lines if line.status == "warn")
        out.write(f"{len(report.lines)} check(s): {fails} FAIL, {warns} warn\n")
    return EXIT_NO_MATCH if report.failed else EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "doctor",
        help="read-only checks of the deployed account (exit 0: nothing FAILs)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--syaml", default="s.yaml", help="the Serverless Devs project file (default s.yaml)")
    p.add_argument("--region", default=None, help="region (default s.yaml vars.region, as `s deploy`)")
    p.add_argument("--bus", default=None, help="the custom bus (default s.yaml vars.eventBus)")
    p.add_argument("--account-id", default=None, help=f"expected account (default ${env.ACCOUNT_ID})")
    p.add_argument("--json", action="store_true", help="one JSON object {ok, checks[]} on stdout")
    p.add_argument(
        "--probe",
        action="store_true",
        help="also follow real events through the event trace (QueryTracedEvents)",
    )
    p.add_argument("--since", default="24h", help="--probe window, e.g. 30m, 24h, 7d (default 24h)")
    p.add_argument(
        "--endpoint",
        default=None,
        help="one host[:port] for EventBridge, FC and STS (a private endpoint or the local stand-in)",
    )
    p.add_argument("--protocol", default="https", choices=("https", "http"), help="for --endpoint")
    p.add_argument(
        "--dataworks-endpoint",
        default=None,
        help=f"DataWorks API endpoint for GetExtension (default ${env.DATAWORKS_ENDPOINT}, then "
        "dataworks.<region>.aliyuncs.com)",
    )
    p.set_defaults(func=cmd_doctor)
