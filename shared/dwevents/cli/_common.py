"""What every subcommand shares: exit codes, reading a file or stdin, finding event files, logging, and
the local loop's options (``--code``, ``--fixtures``, ``--now`` of invoke, serve and replay)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwevents.errors import DwEventsError

if TYPE_CHECKING:
    from dwevents.local.overrides import Fixtures

EXIT_OK, EXIT_NO_MATCH, EXIT_BAD_INPUT = 0, 1, 2


def read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    if Path(path).is_dir():
        raise DwEventsError(f"{path}: is a directory, expected a file")
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DwEventsError(f"{path}: cannot read ({exc.strerror})") from None


def event_files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise DwEventsError(f"{raw}: no such file or directory")
    return files


def configure_logging(verbose: int) -> None:
    from dwevents import logs

    level = "DEBUG" if verbose > 1 else "INFO" if verbose == 1 else "WARNING"
    logs.configure(level=level, fmt="text", stream=sys.stderr)


def short(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters (whitespace folded, an ellipsis when cut)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def require_syaml(path: str) -> Path:
    """The s.yaml whose functions and rules the local bus runs; a one-line error when it is missing."""
    syaml = Path(path)
    if not syaml.is_file():
        raise DwEventsError(f"{syaml}: not found (run from the project root or pass --syaml)")
    return syaml


def add_loop_options(
    parser: Any,
    *,
    code_help: str = "the code every code rule reads (GetIDEEventDetail's snapshot, for all events)",
    now_help: str = "the instant freeze and allowed-window rules judge",
) -> None:
    """``--code``, ``--fixtures`` and ``--now``: what the rules see locally (``parser`` may be a group)."""
    parser.add_argument("--code", metavar="FILE", help=code_help)
    parser.add_argument(
        "--fixtures",
        metavar="FILE",
        help="DataWorks lookup answers per message id (events/dataworks-api-fixtures.yaml format)",
    )
    parser.add_argument("--now", metavar="ISO-TIME", help=now_help)


def loop_overrides(
    args: argparse.Namespace, *, always: bool = False
) -> tuple[Fixtures | None, datetime | None]:
    """The fixtures (None when neither ``--code`` nor ``--fixtures`` was given, unless ``always``) and
    the ``--now`` instant the options of :func:`add_loop_options` ask for."""
    from dwevents.local.overrides import Fixtures, parse_time

    wanted = always or bool(args.fixtures or args.code)
    fixtures = Fixtures.load(args.fixtures, code=args.code) if wanted else None
    now = parse_time(args.now, "--now") if args.now else None
    return fixtures, now
