"""Mutants that cannot change what the program does, each with the reason it is left out of the score.

An entry matches a mutant by file, a fragment of the mutated line's text and a fragment of the
mutant's description, so it survives unrelated edits that shift line numbers. Keep the list short:
every entry is a claim that no test *could* tell the difference.
"""

from __future__ import annotations

from pathlib import Path

from tests.mutation.mutants import SOURCES, Mutant

ROOT = Path(__file__).resolve().parents[2]

STORE = "shared/dwevents/idempotency/store.py"
RUNTIME = "shared/dwevents/runtime.py"
ESTIMATE = "the memory store's byte count is an estimate: it changes no stored or returned value"
FALLBACK = "plain_copy declines more values; the JSON round trip then gives the identical copy"

#: (file, fragment of the source line, fragment of the description ("" = every mutant of the line), why)
EQUIVALENT: tuple[tuple[str, str, str, str], ...] = (
    (
        "shared/dwevents/dataworks/reply.py",
        'jitter="full"',
        "'full'",
        "dwevents.retry.Backoff treats every jitter other than 'equal' as full jitter",
    ),
    # The memory store's byte count is an estimate (its docstring says so): these numbers change how
    # many bytes a record is said to take, never what is stored or returned.
    (STORE, "_RECORD_OVERHEAD = 200", "`200`", ESTIMATE),
    (STORE, "len(value) + 2 if kind is str else 8", "`+` → `-`", ESTIMATE),
    (STORE, "len(value) + 2 if kind is str else 8", "`2` → `3`", ESTIMATE),
    (STORE, "len(value) + 2 if kind is str else 8", "`8` → `9`", ESTIMATE),
    (STORE, "size = 2", "", ESTIMATE),
    (STORE, "def _put(self, record: Record, result_bytes: int = 0)", "`0` → `1`", ESTIMATE),
    (STORE, "size += len(key) + 4 + item_size", "", ESTIMATE),
    (STORE, "2 + sum(n + 1 for _, n in items)", "`2` → `3`", ESTIMATE),
    (STORE, "2 + sum(n + 1 for _, n in items)", "`1` → `2`", ESTIMATE),
    (STORE, "2 + sum(n + 1 for _, n in items)", "`+` → `-`", ESTIMATE),
    # runtime.py: names and defaults that no path can observe.
    (
        RUNTIME := "shared/dwevents/runtime.py",
        'F = TypeVar("F", bound=Action)',
        "'F'",
        "a TypeVar's name is for type checkers only",
    ),
    (
        RUNTIME,
        "router: Router | None = None,",
        "`None`",
        "read only as `router or Router(category)`: an empty string is as falsy as None",
    ),
    (
        RUNTIME,
        "self._recorder: Recorder | None = None",
        "`None`",
        "_build() assigns the recorder before process() first reads it",
    ),
    (
        RUNTIME,
        "error: str | None = None",
        "`None`",
        "every later assignment is `error = error or ...`: an empty string and None lead to the same value",
    ),
    (
        "shared/dwevents/pipeline.py",
        "setup_error: str | None = None",
        "`None`",
        "the only constructor (FunctionApp._build) always passes setup_error",
    ),
    (
        "shared/dwevents/extension.py",
        'self.workers = WorkerPool("decide")',
        "'decide'",
        "the worker threads' name prefix: seen in thread dumps only",
    ),
    (
        "shared/dwevents/extension.py",
        '"origin": "stored",',
        "'origin'",
        "Verdict.from_dict defaults a missing origin to 'stored', the value written here",
    ),
    (
        RUNTIME,
        "settings: Settings | None = None,",
        "`None`",
        "read only as `self._settings or load_settings(...)`: an empty string is as falsy as None",
    ),
    (STORE, "if kind is dict:", "`is` → `is not`", FALLBACK),
    (STORE, "plain_copy(item, depth + 1)", "`1` → `2`", FALLBACK),
    (STORE, "plain_copy(item, depth + 1)", "`+` → `-`", FALLBACK),
    # plain_copy is a fast path: whatever it declines (_NotPlain) is copied by the JSON round trip, which
    # gives the identical result. Declining more values is slower, not different.
    (STORE, "if depth > 32:", "", FALLBACK),
    (STORE, "if value is None or kind in _SCALARS:", "`or` → `and`", FALLBACK),
    (STORE, "if kind is list or kind is tuple:", "`or` → `and`", FALLBACK),
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
