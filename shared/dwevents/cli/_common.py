"""What every subcommand shares: exit codes, reading a file or stdin, finding event files, logging."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from dwevents.errors import DwEventsError

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
