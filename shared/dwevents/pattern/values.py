"""Value tests of the pattern language: what one event value is compared as, and how a field's tests combine.

Split from :mod:`dwevents.pattern.compiler` so the hot path (these closures) reads on its own; the rules
they follow are stated in :mod:`dwevents.pattern`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from dwevents.errors import ConfigError

ValueTest = Callable[[Any], bool]
"""Tests one primitive event value (str, int, float, bool, Decimal or None)."""
FieldTest = Callable[[Any], bool]
"""Tests what the event holds at a field: a value, an array, an object or :data:`MISSING`."""


class _Missing:
    """Marks a field the event does not have (distinct from a JSON null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


class PatternError(ConfigError):
    """The pattern is not one EventBridge would accept; the message starts with the path inside it."""

    def __init__(self, message: str, *, path: str = "pattern", origin: str = "") -> None:
        self.path = path
        self.reason = message
        super().__init__(message, key=path, source=origin)


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return f"a {type(value).__name__}"



def text_of(value: Any) -> str | None:
    """JSON text of a primitive: exact values compare as text, so 300 ≠ 300.0 and "5" = 5."""
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return json.dumps(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return json.dumps(float(value))
    if isinstance(value, Decimal):
        return str(value)
    return None


def as_float(value: int | float | Decimal) -> float:
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def equals(texts: frozenset[str], null: bool) -> ValueTest:
    def equals(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            return value in texts
        if value is None:
            return null
        if kind is int:
            return int.__repr__(value) in texts
        text = text_of(value)
        return text is not None and text in texts

    return equals


def starts_with(prefixes: tuple[str, ...]) -> ValueTest:
    def starts_with(value: Any) -> bool:
        return isinstance(value, str) and value.startswith(prefixes)

    return starts_with


def ends_with(suffixes: tuple[str, ...]) -> ValueTest:
    def ends_with(value: Any) -> bool:
        return isinstance(value, str) and value.endswith(suffixes)

    return ends_with


def contains(needles: tuple[str, ...]) -> ValueTest:
    def contains(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        for needle in needles:  # noqa: SIM110 - a loop, not any(): no generator on the hot path
            if needle in value:
                return True
        return False

    return contains


def any_of(tests: Iterable[ValueTest]) -> ValueTest | None:
    chosen = tuple(tests)
    if not chosen:
        return None
    if len(chosen) == 1:
        return chosen[0]

    def any_of(value: Any) -> bool:
        for test in chosen:  # noqa: SIM110 - a loop, not any(): no generator on the hot path
            if test(value):
                return True
        return False

    return any_of


def is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, Decimal))


def field_test(value_test: ValueTest | None, *, on_missing: bool, on_present: bool) -> FieldTest:
    """Apply a value test to what the event holds: arrays match on any primitive element."""

    def field(value: Any) -> bool:
        if value is MISSING:
            return on_missing
        if on_present:
            return True
        if value_test is None:
            return False
        kind = type(value)
        if kind is str or kind is int or kind is float or kind is bool or value is None:
            return value_test(value)
        if kind is list or isinstance(value, (list, tuple)):
            for item in value:  # noqa: SIM110 - a loop, not any(): no generator on the hot path
                if is_primitive(item) and value_test(item):
                    return True
            return False
        return is_primitive(value) and value_test(value)

    return field
