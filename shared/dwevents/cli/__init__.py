"""dwevents: decode, inspect, match and run DataWorks events locally.

dwevents decode [FILE|-]          one JSON summary line per event (exit 2 on undecodable input)
dwevents catalogue [--json]       the event catalogue
dwevents match PATTERN EVENT      does an EventBridge pattern match an event? (exit 0 / 1)
dwevents invoke [FILE|DIR ...]    run events through the local EventBridge + handlers (default: events/)
dwevents serve [--port N]         the same as a local HTTP bus on 127.0.0.1
dwevents replay --from/--bus ...  past events under candidate rules: which verdicts change (exit 0 / 1)
dwevents rules check|test ...     validate a rules file; run its test cases (exit 0 / 1)
dwevents config check             the config and rules files together, as a function loads them
dwevents doctor [--probe]         read-only checks of the deployed account (exit 0: nothing FAILs)

Exit status: 0 success, 1 a negative answer (no match, a verdict changed, a case failed, an event
failed), 2 bad input or could not run (one line on stderr). `dwevents` alone prints this help (exit 0).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterable
from typing import TextIO

from dwevents.cli._common import EXIT_BAD_INPUT, EXIT_NO_MATCH, EXIT_OK
from dwevents.errors import DwEventsError

__all__ = ["EXIT_BAD_INPUT", "EXIT_NO_MATCH", "EXIT_OK", "build_parser", "main"]

#: One module per subcommand group, each with ``register(subparsers)``; the order is the help's order.
COMMANDS = ("decode", "invoke", "serve", "replay", "rules", "config", "doctor")
#: What a shell reports for a process whose reader went away (128 + SIGPIPE), e.g. ``dwevents ... | head``.
EXIT_BROKEN_PIPE = 141


def build_parser() -> argparse.ArgumentParser:
    from dwevents._version import __version__

    parser = argparse.ArgumentParser(
        prog="dwevents", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--version", action="version", version=f"dwevents {__version__}", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"dwevents.cli.{name}").register(sub)
    return parser


def main(argv: Iterable[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command; returns the exit status (never raises for what a user can cause)."""
    args_list = list(argv) if argv is not None else sys.argv[1:]
    parser = build_parser()
    stream = out or sys.stdout
    if not args_list:
        parser.print_help(stream)
        return EXIT_OK
    args = parser.parse_args(args_list)
    if getattr(args, "func", None) is None:  # `dwevents -v` and the like: no command given
        parser.print_help(stream)
        return EXIT_OK
    try:
        return int(args.func(args, stream))
    except DwEventsError as exc:
        print(f"dwevents {args.command}: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def one_line(text: str) -> str:
    """An error for a terminal: one line, whitespace folded."""
    return " ".join(text.split())


def _silence_stdout() -> None:
    """The reader of our stdout is gone (``| head``): point stdout at /dev/null so the interpreter's own
    flush at exit does not print a second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests): nothing to silence
        pass


if __name__ == "__main__":
    sys.exit(main())
