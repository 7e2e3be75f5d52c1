"""Size, depth and digit limits, applied before any value is converted.

Documented payloads are small and shallow. An input far outside that shape is refused here, with an
error naming the field, instead of failing later where nothing can say why: ``int()`` of a literal
longer than ``sys.get_int_max_str_digits()`` raises ``ValueError``, ``float()`` of a 309-digit integer
raises ``OverflowError`` (a limit rule comparing sizes), a 10⁶-item comma list takes seconds to
validate, 300 levels of nesting exhaust pydantic's serialiser and Python's recursion limit.

Two ways through, with the same result:

* :func:`fits` proves the common case on the raw JSON bytes with a few C-speed counts: no more
  brackets than :data:`MAX_DEPTH` (so no deeper nesting), no run of digits longer than
  :data:`MAX_NUMBER_DIGITS`, no more commas than :data:`MAX_ARRAY_ITEMS`, no text longer than
  :data:`MAX_STRING_CHARS`. Real events pass, and pydantic-core's parser reads them in one pass;
* anything else is parsed by :func:`loads` (number literals read by hooks that refuse to convert an
  oversized one) and walked by :func:`check`, which names the first value over a limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dwevents.errors import DecodeError
from dwevents.models.base import MAX_LIST_ITEMS

#: FC's synchronous invocation payload limit; anything larger cannot be a real delivery.
MAX_INPUT_BYTES = 32 * 1024 * 1024
#: Deepest nesting accepted. Documented payloads nest fewer than 10 levels; a limit far above that keeps
#: every later step (validation, hashing, logging, dumping) clear of Python's recursion limit.
MAX_DEPTH = 64
#: Most digits in a number (a literal, or text that is only a number). DataWorks ids are Longs (19
#: digits); 100 keeps every number clear of ``float()`` overflow (309 digits) and of ``int()``'s
#: ``int_max_str_digits`` (4300).
MAX_NUMBER_DIGITS = 100
#: Longest text (value or key). Whole events are far smaller (EventBridge events are at most 256 KiB).
MAX_STRING_CHARS = 1024 * 1024
#: Most items in one JSON array (CommaList fields have their own, smaller, :data:`MAX_LIST_ITEMS`).
MAX_ARRAY_ITEMS = 100_000

__all__ = [
    "MAX_ARRAY_ITEMS",
    "MAX_DEPTH",
    "MAX_INPUT_BYTES",
    "MAX_LIST_ITEMS",
    "MAX_NUMBER_DIGITS",
    "MAX_STRING_CHARS",
    "check",
    "fits",
    "loads",
]

#: Digits → "0" and "{" → "[": one translation, then one count (brackets) and one search (digit runs).
_GATE = bytes.maketrans(b"123456789{", b"000000000[")
_LONG_NUMBER = b"0" * (MAX_NUMBER_DIGITS + 1)
_INT_BOUND = 10**MAX_NUMBER_DIGITS
_NUMBER_TEXT = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")

TOO_DEEP = f"input is nested too deeply (more than {MAX_DEPTH} levels)"
TOO_MANY_DIGITS = f"number longer than {MAX_NUMBER_DIGITS} digits"
TOO_LONG_TEXT = f"text longer than {MAX_STRING_CHARS} characters"
TOO_LONG_KEY = f"key longer than {MAX_STRING_CHARS} characters"
TOO_MANY_ITEMS = f"array longer than {MAX_ARRAY_ITEMS} items"


def fits(raw: bytes) -> bool:
    """Whether JSON text this size and shape is certainly within every limit (cheap, conservative)."""
    size = len(raw)
    if size > MAX_STRING_CHARS or (size >= MAX_ARRAY_ITEMS and raw.count(b",") >= MAX_ARRAY_ITEMS):
        return False
    mapped = raw.translate(_GATE)
    return mapped.count(b"[") <= MAX_DEPTH and _LONG_NUMBER not in mapped


class _Oversized:
    """What :func:`loads` leaves in place of a number literal too long to convert."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<number too long>"


OVERSIZED = _Oversized()


def _digits(text: str) -> int:
    return sum(1 for char in text if char.isdigit())


def _read_int(text: str) -> Any:
    if len(text) > MAX_NUMBER_DIGITS and _digits(text) > MAX_NUMBER_DIGITS:
        return OVERSIZED
    return int(text)


def _read_float(text: str) -> Any:
    if len(text) > MAX_NUMBER_DIGITS and _digits(text) > MAX_NUMBER_DIGITS:
        return OVERSIZED
    return float(text)


def loads(text: str) -> Any:
    """``json.loads`` that never converts an oversized number literal (left as a marker for :func:`check`).

    Raises what ``json.loads`` raises (``JSONDecodeError``, ``RecursionError``).
    """
    return json.loads(text, parse_int=_read_int, parse_float=_read_float)


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _scalar_problem(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        if len(value) <= MAX_NUMBER_DIGITS:
            return None
        if len(value) > MAX_STRING_CHARS:
            return TOO_LONG_TEXT
        if _NUMBER_TEXT.fullmatch(value) and _digits(value) > MAX_NUMBER_DIGITS:
            return TOO_MANY_DIGITS
        return None
    if kind is int:
        return TOO_MANY_DIGITS if (value >= _INT_BOUND or value <= -_INT_BOUND) else None
    if value is OVERSIZED:
        return TOO_MANY_DIGITS
    return None


def check(document: Any, *, where: str = "", depth: int = 1, index: int | None = None) -> None:
    """Refuse the first value of ``document`` over a limit: a :class:`DecodeError` naming its path.

    Iterative (no recursion to exhaust). ``where`` is the path of ``document`` itself (``data`` for a
    payload given as JSON text), ``depth`` its nesting level (2 for the elements of a batch).
    """
    problem = _scalar_problem(document)
    if problem is not None:
        raise DecodeError(problem, location=where, index=index)
    stack: list[tuple[Any, int, str]] = [(document, depth, where)]
    while stack:
        node, level, path = stack.pop()
        if isinstance(node, dict):
            items: Any = node.items()
        elif isinstance(node, list):
            if len(node) > MAX_ARRAY_ITEMS:
                raise DecodeError(TOO_MANY_ITEMS, location=path, index=index)
            items = enumerate(node)
        else:
            continue
        if level > MAX_DEPTH:
            raise DecodeError(TOO_DEEP, location=path, index=index)
        for key, child in items:
            if type(key) is str and len(key) > MAX_STRING_CHARS:
                raise DecodeError(TOO_LONG_KEY, location=path, index=index)
            if isinstance(child, (dict, list)):
                stack.append((child, level + 1, _join(path, key)))
                continue
            problem = _scalar_problem(child)
            if problem is not None:
                raise DecodeError(problem, location=_join(path, key), index=index)
