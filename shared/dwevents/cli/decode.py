"""``dwevents decode``, ``catalogue`` and ``match``: the decoding layer from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from dwevents.cli._common import EXIT_BAD_INPUT, EXIT_NO_MATCH, EXIT_OK, read_input
from dwevents.errors import DwEventsError


def cmd_decode(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.envelope import decode_batch

    raw = read_input(args.file)
    try:
        items = decode_batch(raw)
    except DwEventsError as exc:
        print(f"dwevents decode: {args.file}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    status = EXIT_OK
    for item in items:
        if isinstance(item, DwEventsError):
            print(f"dwevents decode: {args.file}: {item}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        out.write(json.dumps(item.summary(), ensure_ascii=False, default=str) + "\n")
    return status


def cmd_catalogue(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.catalogue import CATALOGUE

    if args.json:
        for spec in CATALOGUE:
            out.write(json.dumps(spec.as_dict(), ensure_ascii=False) + "\n")
        return EXIT_OK
    width = max(len(s.type) for s in CATALOGUE)
    out.write(f"{'TYPE':<{width}}  {'EVENT CODE':<48} {'LEVEL':<9} {'KIND':<9} REPLY API\n")
    for spec in CATALOGUE:
        api = spec.reply_api.value if spec.reply_api else "-"
        mark = " *" if spec.inferred else ""
        out.write(
            f"{spec.type:<{width}}  {spec.event_code:<48} {spec.level.value:<9} {spec.kind.value:<9} "
            f"{api}{mark}\n"
        )
    out.write(
        f"\n{len(CATALOGUE)} event types; * = classification or reply API inferred (see `--json` notes)\n"
    )
    return EXIT_OK


def json_argument(value: str) -> bytes:
    """``match`` arguments: inline JSON (starts with ``{`` or ``[``), ``-`` for stdin, or a file path."""
    if value.lstrip().startswith(("{", "[")):
        return value.encode("utf-8")
    return read_input(value)


def cmd_match(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.envelope import parse_json
    from dwevents.pattern import compile_pattern

    if args.pattern == "-" and args.event == "-":
        raise DwEventsError("only one of PATTERN and EVENT can be read from stdin (-)")
    try:
        pattern = compile_pattern(json_argument(args.pattern).decode("utf-8", "replace"))
        event = parse_json(json_argument(args.event))
    except DwEventsError as exc:
        print(f"dwevents match: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not isinstance(event, dict):
        print("dwevents match: the event must be a JSON object", file=sys.stderr)
        return EXIT_BAD_INPUT
    matched = pattern.matches(event)
    out.write("true\n" if matched else "false\n")
    return EXIT_OK if matched else EXIT_NO_MATCH


def register(sub: Any) -> None:
    p = sub.add_parser("decode", help="decode events and print one JSON summary per event")
    p.add_argument("file", nargs="?", default="-",
                   help="a CloudEvent, a batch array or an FC-direct message (JSON); - or nothing: stdin")
    p.set_defaults(func=cmd_decode)

    p = sub.add_parser("catalogue", aliases=["catalog"], help="list every DataWorks event type")
    p.add_argument("--json", action="store_true", help="one JSON object per event type, with notes")
    p.set_defaults(func=cmd_catalogue)

    p = sub.add_parser(
        "match",
        help="match an EventBridge pattern against an event (exit 0 match, 1 no match)",
        description="Prints true or false. PATTERN and EVENT are each inline JSON, a file, or - (stdin).",
    )
    p.add_argument(
        "pattern", help="an EventBridge event pattern: inline JSON ('{\"source\": [...]}'), a file or -"
    )
    p.add_argument("event", help="the event: inline JSON, a file or -")
    p.set_defaults(func=cmd_match)
