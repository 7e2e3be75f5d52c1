"""``dwevents``: decode, inspect, match and run DataWorks events locally.

dwevents decode [FILE|-]          one JSON summary line per event (exit 2 on undecodable input)
dwevents catalogue [--json]       the event catalogue
dwevents match PATTERN EVENT      does an EventBridge pattern match an event? (exit 0 / 1)
dwevents invoke [FILE|DIR ...]    run events through the local EventBridge + handlers (default: events/)
dwevents serve [--port N]         the same as a local HTTP bus on 127.0.0.1
dwevents rules check FILE         validate a policy rules file
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable
from typing import TextIO

from dwevents.cli._common import EXIT_BAD_INPUT, EXIT_NO_MATCH, EXIT_OK
from dwevents.errors import DwEventsError

__all__ = ["EXIT_BAD_INPUT", "EXIT_NO_MATCH", "EXIT_OK", "build_parser", "main"]

#: One module per subcommand group, each with ``register(subparsers)``; the order is the help's order.
COMMANDS = ("decode", "invoke", "serve", "rules")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dwevents", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"dwevents.cli.{name}").register(sub)
    return parser


def main(argv: Iterable[str] | None = None, out: TextIO | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        return int(args.func(args, out or sys.stdout))
    except DwEventsError as exc:
        print(f"dwevents {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
