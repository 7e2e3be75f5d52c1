"""``dwevents invoke``: events through the local EventBridge emulator and handlers, or the deployed
functions with ``--remote``.

Exit status: 0 every event was processed (or a duplicate) and every verdict acknowledged; 1 an event
failed (input that does not decode included), was unrouted or refused (``--allow-refused`` accepts
refusals), or a verdict was not acknowledged; 2 the command could not run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from dwevents.cli._common import (
    EXIT_NO_MATCH,
    EXIT_OK,
    add_loop_options,
    configure_logging,
    event_files,
    loop_overrides,
    require_syaml,
    short,
)
from dwevents.errors import DwEventsError

if TYPE_CHECKING:
    from dwevents.local.emulator import EventReport


def cmd_invoke(args: argparse.Namespace, out: TextIO) -> int:
    configure_logging(args.verbose)
    files = event_files(args.files or ["events"])
    if not files:
        raise DwEventsError("no event files found")
    if args.remote:
        return _invoke_remote(args, files, out)
    from dwevents.local.emulator import LocalBus

    syaml = require_syaml(args.syaml)
    fixtures, now = loop_overrides(args)
    counts: dict[str, int] = {}
    problems: list[str] = []
    with LocalBus(syaml, fixtures=fixtures, now=now) as bus:
        for path in files:
            for report in bus.invoke_bytes(path.read_bytes(), source_file=str(path)):
                counts[report.outcome.value] = counts.get(report.outcome.value, 0) + 1
                problem = _problem(report, allow_refused=args.allow_refused)
                if problem:
                    problems.append(f"{path.name}: {problem}")
                if args.json:
                    out.write(json.dumps(report.as_dict(), ensure_ascii=False, default=str) + "\n")
                else:
                    _print_report(report, out)
        if not args.json:
            if bus.dataworks is not None:
                verdicts = list(bus.dataworks.verdicts)
                out.write(
                    f"\nLocal DataWorks API stand-in ({bus.dataworks.endpoint}) received "
                    f"{len(verdicts)} verdict(s):\n"
                )
                for v in verdicts:
                    out.write(
                        f"  {_get(v, 'action')}: {_get(v, 'check_result')} for message "
                        f"{_get(v, 'message_id')}  {short(_get(v, 'tip') or '', 90)}\n"
                    )
            summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
            out.write(f"\n{sum(counts.values())} event(s): {summary}\n")
    out.flush()
    if problems:
        for line in problems[:20]:
            print(f"dwevents invoke: {line}", file=sys.stderr)
        more = f" ({len(problems) - 20} more)" if len(problems) > 20 else ""
        print(f"dwevents invoke: {len(problems)} event(s) not processed as expected{more}", file=sys.stderr)
        return EXIT_NO_MATCH
    return EXIT_OK


def _problem(report: EventReport, *, allow_refused: bool) -> str | None:
    """Why this event makes the run fail, or None."""
    outcome = report.outcome.value
    if outcome == "refused" and allow_refused:
        return None
    if outcome not in ("processed", "duplicate"):
        return f"{report.type or 'input'} {outcome}: {short(report.error or '', 300)}"
    if report.verdict is not None and not report.verdict.acknowledged:
        return f"{report.type} verdict {report.verdict.result.value} not acknowledged: {report.verdict.error}"
    return None


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _print_report(report: EventReport, out: TextIO) -> None:
    name = Path(report.source_file).name if report.source_file else "-"
    fns = ", ".join(report.functions) or "(no function)"
    out.write(f"{name}  {report.type or '?'}\n  → {fns}: {report.outcome.value.upper()}\n")
    for action in report.actions:
        kind = action.get("action")
        if kind == "audit":
            rec = action.get("record", {})
            facts = " ".join(
                f"{k}={rec[k]}"
                for k in ("who", "workspace_id", "node", "instance", "table", "file", "status")
                if rec.get(k) not in (None, "", [])
            )
            out.write(f"    audit: {rec.get('title')}  {short(facts, 100)}\n")
        elif kind == "notify":
            state = "sent" if action.get("ok") else f"NOT sent ({action.get('error')})"
            out.write(
                f"    notify {action.get('channel')} [{action.get('route')}]: {state}: "
                f"{short(action.get('text') or '', 100)}\n"
            )
        elif kind == "metrics":
            lines = action.get("lines") or []
            out.write(f"    metrics: {', '.join(_metric(line) for line in lines)}\n")
        elif kind == "skip":
            out.write(f"    skipped: {action.get('reason')}\n")
    if report.verdict is not None:
        v = report.verdict
        ack = "acknowledged" if v.acknowledged else f"NOT acknowledged ({v.error})"
        out.write(
            f"    verdict: {v.result.value} via {v.api.value} ({ack})"
            f"{' rule ' + v.rule if v.rule else ''}"
            f"{': ' + short(v.tip, 90) if v.tip else ''}\n"
        )
    if report.error:
        out.write(f"    error: {short(report.error, 160)}\n")


def _metric(line: dict[str, Any]) -> str:
    label = line.get("phase") or line.get("status")
    unit = "" if line.get("unit") == "count" else line.get("unit", "")
    return f"{line['metric']}[{label}]={line['value']}{unit}"


def _invoke_remote(args: argparse.Namespace, files: list[Path], out: TextIO) -> int:
    """Route like EventBridge would (s.yaml patterns), then invoke the deployed functions through FC."""
    from dwevents.deploy.region import resolve_region
    from dwevents.deploy.remote import invoke_remote
    from dwevents.deploy.syaml import load_syaml
    from dwevents.pattern import compile_pattern

    declared = load_syaml(Path(args.syaml))
    # One region rule for every deploy tool (dwevents/deploy/region.py): --region, else s.yaml vars.region.
    region = resolve_region(args.region, declared.vars.get("region"), syaml_name=Path(args.syaml).name).name
    routes = [(fn, compile_pattern(fn.pattern)) for fn in declared.functions if fn.pattern]
    status = EXIT_OK
    for path in files:
        try:
            document = json.loads(path.read_bytes())
        except ValueError as exc:
            raise DwEventsError(f"{path}: not JSON ({exc})") from None
        for item in document if isinstance(document, list) else [document]:
            targets = [fn for fn, pattern in routes if isinstance(item, dict) and pattern.matches(item)]
            if not targets:
                out.write(json.dumps({"file": str(path), "function": None, "outcome": "unrouted"}) + "\n")
                continue
            for fn in targets:
                result = invoke_remote(
                    fn.name,
                    json.dumps(item).encode(),
                    region=region,
                    endpoint=args.endpoint,
                    protocol=args.protocol,
                )
                try:
                    response: Any = result.json()
                except ValueError:
                    response = result.body.decode("utf-8", "replace")
                record = {
                    "file": str(path),
                    "function": fn.name,
                    "status": result.status,
                    "request_id": result.request_id,
                    "error_type": result.error_type,
                    "response": response,
                }
                if not result.ok:
                    status = EXIT_NO_MATCH
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    return status


def register(sub: Any) -> None:
    p = sub.add_parser("invoke", help="run events through the local EventBridge emulator and handlers")
    p.add_argument("files", nargs="*", help="event files or directories (default: events/)")
    p.add_argument("--json", action="store_true", help="one JSON object per event, nothing else on stdout")
    p.add_argument("--syaml", default="s.yaml", help="the s.yaml whose functions and rules to use")
    p.add_argument("--remote", action="store_true", help="invoke the deployed functions through FC's API")
    p.add_argument("--region", default=None, help="region for --remote (default: s.yaml vars.region)")
    p.add_argument(
        "--endpoint", default=None, help="FC API host[:port] (default fcv3 endpoint of the region)"
    )
    p.add_argument("--protocol", default="https", help="https or http for the FC API (--remote)")
    add_loop_options(p)
    p.add_argument(
        "--allow-refused",
        action="store_true",
        help="exit 0 even when events were refused (another account, source or function)",
    )
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log lines (repeat for debug)")
    p.set_defaults(func=cmd_invoke)
