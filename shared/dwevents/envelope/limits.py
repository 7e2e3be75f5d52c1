"""Limits of the document as a whole, applied before any value is converted.

Documented payloads are small and shallow. An input far outside that shape is refused, with an error
naming the field, instead of failing later where nothing can say why: ``int()`` of a literal longer
than ``sys.get_int_max_str_digits()`` raises ``ValueError``, a 10⁶-item array takes seconds to
validate, 300 levels of nesting exhaust pydantic's serialiser and Python's recursion limit.

Here: the input's size, its depth (:data:`MAX_DEPTH`), the length of any text, the number of items in
any array, and integer literals too long for ``int()``. The values a payload model converts (an
integer field, an unknown field, a comma list) carry their own limits, the same whichever path reads
them: :mod:`dwevents.models.limits` (integers of at most 100 digits, unknown fields at most 48 levels
deep) and ``MAX_LIST_ITEMS``. Together they keep every decoded event within :data:`MAX_DEPTH`.

Two ways through, with the same result:

* bytes of a known event type go through pydantic-core in one pass: :func:`fits` checks the size
  (which bounds every text) and, for large inputs, the number of commas (which bounds every array);
  the envelope's attributes must be text and the payload's shape is the model's, so the depth needs no
  count (:mod:`dwevents.envelope.fast`);
* anything else is parsed by :func:`loads` (an integer literal too long for ``int()`` is left as a
  marker, never converted) and walked by :func:`check`, which names the first value over a limit.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from dwevents.errors import DecodeError
from dwevents.models.limits import (
    MAX_ARRAY_ITEMS,
    MAX_LIST_ITEMS,
    MAX_NUMBER_DIGITS,
    MAX_UNKNOWN_DEPTH,
    TOO_MANY_DIGITS,
)

#: FC's synchronous invocation payload limit; anything larger cannot be a real delivery.
MAX_INPUT_BYTES = 32 * 1024 * 1024
#: Deepest nesting accepted. Documented payloads nest fewer than 10 levels; a limit far above that keeps
#: every later step (validation, hashing, logging, dumping) clear of Python's recursion limit.
MAX_DEPTH = 64
#: Longest text (value or key). Whole events are far smaller (EventBridge events are at most 256 KiB).
MAX_STRING_CHARS = 1024 * 1024

__all__ = [
    "MAX_ARRAY_ITEMS",
    "MAX_DEPTH",
    "MAX_INPUT_BYTES",
    "MAX_LIST_ITEMS",
    "MAX_NUMBER_DIGITS",
    "MAX_STRING_CHARS",
    "MAX_UNKNOWN_DEPTH",
    "check",
    "fits",
    "loads",
]

TOO_DEEP = f"input is nested too deeply (more than {MAX_DEPTH} levels)"
TOO_LONG_TEXT = f"text longer than {MAX_STRING_CHARS} characters"
TOO_LONG_KEY = f"key longer than {MAX_STRING_CHARS} characters"
TOO_MANY_ITEMS = f"array longer than {MAX_ARRAY_ITEMS} items"
#: ``int()`` refuses literals longer than this (0: no limit); such a literal stays a marker.
_INT_DIGITS = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
_INT_BITS = int(_INT_DIGITS * 3.3219) if _INT_DIGITS else 0


def fits(raw: bytes) -> bool:
    """Whether JSON text this size is certainly within the document limits the one-pass path does not
    check itself: every text (the size bounds it) and every array (the commas bound it)."""
    size = len(raw)
    return size <= MAX_STRING_CHARS and (size < MAX_ARRAY_ITEMS or raw.count(b",") < MAX_ARRAY_ITEMS)


class _Oversized:
    """What :func:`loads` leaves in place of a number literal too long to convert."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<number too long>"


OVERSIZED = _Oversized()


def _read_int(text: str) -> Any:
    if _INT_DIGITS and len(text) > _INT_DIGITS and len(text.lstrip("-")) > _INT_DIGITS:
        return OVERSIZED
    return int(text)


def loads(text: str) -> Any:
    """``json.loads`` that never converts an integer literal too long for ``int()`` (left as a marker
    for :func:`check`). Raises what ``json.loads`` raises (``JSONDecodeError``, ``RecursionError``)."""
    return json.loads(text, parse_int=_read_int)


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _scalar_problem(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return TOO_LONG_TEXT if len(value) > MAX_STRING_CHARS else None
    if kind is int:  # an int handed over already parsed: str() of it must work (ids, messages, hashes)
        return TOO_MANY_DIGITS if _INT_BITS and value.bit_length() > _INT_BITS else None
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
