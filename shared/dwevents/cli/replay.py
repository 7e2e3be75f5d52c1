"""``dwevents replay``: past events under candidate rules, side by side with the current ones.

Exit status: 0 no verdict changed, 1 at least one changed (refused or failed events do not change
that), 2 the replay could not run (bad option, unreadable source, bus unreachable, invalid rules file).
See docs/replay.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from dwevents import env
from dwevents.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_NO_MATCH,
    EXIT_OK,
    add_loop_options,
    configure_logging,
    loop_overrides,
)
from dwevents.errors import DwEventsError

DEFAULT_SINCE = "24h"


def quiet_logging(verbose: int) -> None:
    """Per-event problems are in the report itself; the function's own log lines only with -v."""
    import logging

    configure_logging(verbose)
    if verbose == 0:
        logging.getLogger("dwevents").setLevel(logging.CRITICAL)


def configured_rules(environ: dict[str, str]) -> str | None:
    """The rules the functions use now: ``DWEVENTS_RULES``, else the config file's, else the shipped
    default (None)."""
    if environ.get(env.RULES_FILE):
        return environ[env.RULES_FILE]
    from dwevents.config import load_settings
    from dwevents.local.overrides import local_path

    rules = load_settings(environ=environ).extension.rules_file
    return local_path(rules, Path.cwd()) if rules else None


def _types(values: list[str] | None) -> list[str | None]:
    from dwevents.catalogue import lookup

    if not values:
        return [None]
    out: list[str | None] = []
    for value in values:
        spec = lookup(value if ":" in value else None, value)
        if spec is None:
            raise DwEventsError(f"--type {value}: unknown event type or eventCode (see `dwevents catalogue`)")
        out.append(spec.type)
    return out


def _window(args: argparse.Namespace) -> tuple[datetime, datetime]:
    from dwevents.local.overrides import parse_duration, parse_time

    now = datetime.now(timezone.utc)
    if args.since and (args.start or args.end):
        raise DwEventsError("--since cannot be combined with --start/--end")
    if args.start:
        start = parse_time(args.start, "--start")
        end = parse_time(args.end, "--end") if args.end else now
    else:
        if args.end:
            raise DwEventsError("--end needs --start")
        start, end = now - parse_duration(args.since or DEFAULT_SINCE), now
    if start >= end:
        raise DwEventsError(f"--start {start.isoformat()} is not before --end {end.isoformat()}")
    return start, end


def _inputs(args: argparse.Namespace, environ: dict[str, str], stats: Any) -> Any:
    from dwevents.local import event_sources

    if args.paths:
        return event_sources.read_paths(args.paths, stats)
    start, end = _window(args)
    types = _types(args.type)
    region = (
        args.region or environ.get(env.REGION) or environ.get(env.CLOUD_REGION) or environ.get(env.FC_REGION)
    )
    if not region:
        raise DwEventsError(f"--bus needs a region: pass --region or set {env.CLOUD_REGION}")
    api = event_sources.SdkTraceApi(region=region, endpoint=args.endpoint, protocol=args.protocol)
    return event_sources.read_bus(
        api, args.bus, start, end, types=types, source=args.source or None, stats=stats
    )


def cmd_replay(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.local.event_sources import SourceStats
    from dwevents.local.judge import reader_from_env
    from dwevents.local.overrides import local_environ, read_text
    from dwevents.local.replay import Progress, Replay, Summary, describe

    quiet_logging(args.verbose)
    if bool(args.paths) == bool(args.bus):
        raise DwEventsError("give exactly one source: --from PATH or --bus NAME")
    environ = local_environ(os.environ, Path.cwd())
    read_text(Path(args.rules), "--rules")  # one-line errors for a missing file or a directory
    if args.baseline:
        read_text(Path(args.baseline), "--baseline")
    baseline = args.baseline or configured_rules(environ)
    fixtures, now = loop_overrides(args, always=True)
    reader = None if args.offline else reader_from_env(environ)
    replay = Replay(args.rules, baseline, environ=environ, fixtures=fixtures, reader=reader, now=now)
    stats = SourceStats()
    summary = Summary()
    progress = Progress(sys.stderr)
    for line in replay.run(_inputs(args, environ, stats), progress=progress):
        summary.add(line)
        if args.json:
            out.write(json.dumps(line.as_dict(), ensure_ascii=False, default=str) + "\n")
        elif (
            line.changed
            or line.outcome not in ("processed", "duplicate")
            or (args.all and (line.baseline or line.candidate))
        ):
            out.write(describe(line) + "\n")
    out.flush()
    skipped = f"; {stats.skipped} other log line(s) skipped" if stats.skipped else ""
    print(f"dwevents replay: {summary.text()}{skipped}", file=sys.stderr)
    print(
        f"dwevents replay: {replay.recorded_verdicts} verdict(s) recorded locally, none sent to DataWorks",
        file=sys.stderr,
    )
    return EXIT_NO_MATCH if summary.changed else EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "replay",
        help="replay past events under candidate rules and show which verdicts change",
        description=(
            "Run past events through the functions with candidate rules beside the current ones, sending "
            "nothing to DataWorks. Exit 0: no verdict changed; 1: some changed; 2: could not run."
        ),
    )
    src = p.add_argument_group("source (exactly one)")
    src.add_argument(
        "--from",
        dest="paths",
        action="append",
        metavar="PATH",
        help="a JSON-lines file (a recording), an event file, or a directory of them; repeatable",
    )
    src.add_argument(
        "--bus",
        metavar="NAME",
        help="read the bus's event trace (QueryTracedEvents + QueryEvent; needs credentials)",
    )
    bus = p.add_argument_group("--bus options")
    bus.add_argument(
        "--since", metavar="DURATION", help=f"how far back, e.g. 30m, 24h, 7d (default {DEFAULT_SINCE})"
    )
    bus.add_argument("--start", metavar="ISO-TIME", help="start of the time range (without an offset: UTC)")
    bus.add_argument("--end", metavar="ISO-TIME", help="end of the time range (default: now)")
    bus.add_argument(
        "--type", action="append", metavar="TYPE", help="only this event type or eventCode (repeatable)"
    )
    bus.add_argument(
        "--source",
        default="acs.dataworks",
        help="event source to list (default acs.dataworks; empty for every source)",
    )
    bus.add_argument("--region", help=f"EventBridge region (default ${env.CLOUD_REGION})")
    bus.add_argument("--endpoint", help="EventBridge API host[:port] (default: the region's endpoint)")
    bus.add_argument(
        "--protocol",
        default="https",
        choices=("https", "http"),
        help="EventBridge API protocol (default https)",
    )
    rules = p.add_argument_group("rules")
    rules.add_argument("--rules", required=True, metavar="FILE", help="the candidate rules file")
    rules.add_argument(
        "--baseline",
        metavar="FILE",
        help=f"the rules to compare with (default: the configured ones, ${env.RULES_FILE})",
    )
    loop = p.add_argument_group("what the rules see")
    add_loop_options(
        loop,
        code_help="the code every code rule reads (instead of GetIDEEventDetail)",
        now_help="judge every event at this instant (default: each event's own time)",
    )
    loop.add_argument(
        "--offline",
        action="store_true",
        help="never call DataWorks, even with credentials (code rules without --code: UNKNOWN)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per input event on stdout (regular events too, verdicts null)",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="without --json: list every event with a verdict, not only changes and failures",
    )
    p.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")
    p.set_defaults(func=cmd_replay)


__all__ = ["EXIT_BAD_INPUT", "cmd_replay", "register"]
