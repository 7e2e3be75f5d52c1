"""Mutants that cannot change what the program does, each with the reason it is left out of the score.

An entry matches a mutant by file, a fragment of the mutated line's text and a fragment of the
mutant's description, so it survives unrelated edits that shift line numbers. Keep the list short:
every entry is a claim that no test *could* tell the difference.
"""

from __future__ import annotations

from pathlib import Path

from tests.mutation.mutants import SOURCES, Mutant

ROOT = Path(__file__).resolve().parents[2]

#: (file, fragment of the source line, fragment of the description, why it is equivalent)
EQUIVALENT: tuple[tuple[str, str, str, str], ...] = (
    (
        "shared/dwevents/dataworks/reply.py",
        'jitter="full"',
        "'full'",
        "dwevents.retry.Backoff treats every jitter other than 'equal' as full jitter",
    ),
)


def equivalent_reason(mutant: Mutant) -> str | None:
    source = SOURCES.get(mutant.path)
    if source is None:
        source = (ROOT / mutant.path).read_text(encoding="utf-8")
    lines = source.splitlines()
    line = lines[mutant.lineno - 1] if mutant.lineno <= len(lines) else ""
    for path, fragment, description, reason in EQUIVALENT:
        if mutant.path == path and fragment in line and description in mutant.description:
            return reason
    return None
