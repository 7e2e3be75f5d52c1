"""The operators of the pattern language (prefix, suffix, contains, anything-but, numeric, cidr, exists) and
the compilation of one field's array of entries into a single test.

The semantics, and where they follow Alibaba's docs or the open-source engine, are stated in
:mod:`dwevents.pattern`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from dwevents.pattern.values import (
    FieldTest,
    PatternError,
    ValueTest,
    any_of,
    as_float,
    contains,
    ends_with,
    equals,
    field_test,
    kind_of,
    starts_with,
    text_of,
)

logger = logging.getLogger(__name__)

#: Operator names accepted inside ``{...}`` entries.
OPERATORS: Final = ("prefix", "suffix", "contains", "anything-but", "numeric", "cidr", "exists")

NUMERIC_LIMIT: Final = 1.0e9
NUMERIC_TOLERANCE: Final = 1.0e-7
#: Comparison result (-1, 0, 1) each numeric operator accepts.
_NUMERIC_OPERATORS: Final[Mapping[str, frozenset[int]]] = {
    "=": frozenset({0}), "!=": frozenset({-1, 1}), ">": frozenset({1}), ">=": frozenset({0, 1}),
    "<": frozenset({-1}), "<=": frozenset({-1, 0}),
}
_AWS_ONLY_OPERATORS: Final = frozenset({"equals-ignore-case", "wildcard", "$or"})


def compile_values(values: Any, path: str, origin: str) -> FieldTest:
    """One field's array: its entries OR together into a single test."""
    if not isinstance(values, (list, tuple)):
        raise PatternError(f"expects an array of values or operator objects, got {kind_of(values)}",
                           path=path, origin=origin)
    if not values:
        raise PatternError("an empty array matches nothing; give at least one value", path=path,
                           origin=origin)
    spec = _FieldSpec()
    for index, item in enumerate(values):
        item_path = f"{path}[{index}]"
        if isinstance(item, (list, tuple)):
            raise PatternError("nested arrays are not allowed; list the values in one flat array",
                               path=item_path, origin=origin)
        if isinstance(item, Mapping):
            _compile_operator(item, item_path, spec, origin)
        else:
            spec.add_exact(_exacttext_of(item, item_path, origin))
    return spec.build()


def _exacttext_of(value: Any, path: str, origin: str) -> str | None:
    """The JSON text an exact value compares as; None stands for JSON null."""
    if value is None:
        return None
    if isinstance(value, float) and not (value == value and abs(value) != float("inf")):
        raise PatternError(f"{value!r} is not a JSON number", path=path, origin=origin)
    text = text_of(value)
    if text is None:
        raise PatternError(f"unsupported value of type {type(value).__name__}; use a JSON string, number, "
                           "boolean or null (quote dates and times)", path=path, origin=origin)
    return text


class _FieldSpec:
    """Collects one field's entries so exact values become one set lookup and prefixes one startswith."""

    def __init__(self) -> None:
        self.texts: set[str] = set()
        self.null = False
        self.prefixes: list[str] = []
        self.suffixes: list[str] = []
        self.contains: list[str] = []
        self.others: list[ValueTest] = []
        self.on_missing = False
        self.on_present = False

    def add_exact(self, text: str | None) -> None:
        if text is None:
            self.null = True
        else:
            self.texts.add(text)

    def build(self) -> FieldTest:
        tests: list[ValueTest] = []
        if self.texts or self.null:
            tests.append(equals(frozenset(self.texts), self.null))
        if self.prefixes:
            tests.append(starts_with(tuple(self.prefixes)))
        if self.suffixes:
            tests.append(ends_with(tuple(self.suffixes)))
        if self.contains:
            tests.append(contains(tuple(self.contains)))
        tests.extend(self.others)
        return field_test(any_of(tests), on_missing=self.on_missing, on_present=self.on_present)



def _compile_operator(entry: Mapping[Any, Any], path: str, spec: _FieldSpec, origin: str) -> None:
    if len(entry) != 1:
        names = ", ".join(str(k) for k in entry) or "none"
        raise PatternError(f"an operator object takes exactly one operator, got {len(entry)} ({names}); "
                           "put each in its own array element (entries OR together)", path=path,
                           origin=origin)
    ((name, operand),) = entry.items()
    if name in ("prefix", "suffix", "contains"):
        text = _operand_string(name, operand, path, origin)
        {"prefix": spec.prefixes, "suffix": spec.suffixes, "contains": spec.contains}[name].append(text)
    elif name == "anything-but":
        spec.others.append(_anything_but(operand, path, origin))
    elif name == "numeric":
        spec.others.append(_numeric(operand, path, origin))
    elif name == "cidr":
        spec.others.append(_cidr(operand, path, origin))
    elif name == "exists":
        if not isinstance(operand, bool):
            raise PatternError(f"exists expects true or false, got {kind_of(operand)}", path=path,
                               origin=origin)
        if operand:
            spec.on_present = True
        else:
            spec.on_missing = True
    else:
        raise PatternError(_unknown_operator_message(name), path=path, origin=origin)


def _unknown_operator_message(name: Any) -> str:
    supported = ", ".join(OPERATORS)
    if name in _AWS_ONLY_OPERATORS:
        return f"{name} is an AWS EventBridge operator that Alibaba EventBridge lacks; supported: {supported}"
    if name in ("exact", "equals", "in"):
        return (f"unknown operator {name!r}: write the value itself (several values OR); "
                f"supported: {supported}")
    return f"unknown operator {name!r}; supported: {supported}"


def _operand_string(name: str, operand: Any, path: str, origin: str) -> str:
    if not isinstance(operand, str):
        raise PatternError(f"{name} expects a string, got {kind_of(operand)}", path=path, origin=origin)
    if not operand:
        raise PatternError(f"{name} expects a non-empty string", path=path, origin=origin)
    return operand


def _anything_but(operand: Any, path: str, origin: str) -> ValueTest:
    """A value, a list of values, or {"prefix": …}: the documented forms."""
    if isinstance(operand, Mapping):
        if len(operand) != 1 or "prefix" not in operand:
            names = ", ".join(str(k) for k in operand) or "nothing"
            raise PatternError(f"anything-but takes a value, a list of values or {{\"prefix\": ...}}, got an "
                               f"object with {names} (Alibaba documents no other nested form)",
                               path=path, origin=origin)
        excluded = starts_with((_operand_string("anything-but prefix", operand["prefix"], path, origin),))
    elif isinstance(operand, (list, tuple)):
        if not operand:
            raise PatternError("anything-but list is empty, so it would exclude nothing", path=path,
                               origin=origin)
        texts: set[str] = set()
        null = False
        for index, item in enumerate(operand):
            if isinstance(item, (Mapping, list, tuple)):
                raise PatternError(f"anything-but lists hold strings, numbers, booleans or null, got "
                                   f"{kind_of(item)} at position {index}", path=path, origin=origin)
            text = _exacttext_of(item, path, origin)
            if text is None:
                null = True
            else:
                texts.add(text)
        excluded = equals(frozenset(texts), null)
    else:
        text = _exacttext_of(operand, path, origin)
        excluded = equals(frozenset() if text is None else frozenset({text}), text is None)

    def anything_but(value: Any) -> bool:
        return not excluded(value)

    return anything_but


def _numeric(operand: Any, path: str, origin: str) -> ValueTest:
    if not isinstance(operand, (list, tuple)) or len(operand) not in (2, 4):
        raise PatternError("numeric expects an array of operator/number pairs: one pair or two, e.g. "
                           "[\">\", 0, \"<=\", 5]", path=path, origin=origin)
    checks: list[tuple[frozenset[int], float]] = []
    for position in range(0, len(operand), 2):
        op, bound = operand[position], operand[position + 1]
        if not isinstance(op, str) or op not in _NUMERIC_OPERATORS:
            raise PatternError(f"numeric operator {op!r} at position {position} is not one of "
                               f"{', '.join(_NUMERIC_OPERATORS)}", path=path, origin=origin)
        if isinstance(bound, bool) or not isinstance(bound, (int, float, Decimal)):
            raise PatternError(f"numeric expects a number after {op!r}, got {kind_of(bound)}", path=path,
                               origin=origin)
        number = as_float(bound)
        if not -NUMERIC_LIMIT <= number <= NUMERIC_LIMIT:
            raise PatternError(f"numeric bound {bound!r} is outside the supported range -1.0e9 to 1.0e9",
                               path=path, origin=origin)
        checks.append((_NUMERIC_OPERATORS[op], number))
    frozen = tuple(checks)

    def numeric(value: Any) -> bool:
        kind = type(value)
        if kind is float:
            number = value
        elif kind is bool or not isinstance(value, (int, float, Decimal)):
            return False
        else:
            number = as_float(value)
        if number != number:
            return False
        for accepted, bound in frozen:
            diff = number - bound
            order = 0 if -NUMERIC_TOLERANCE <= diff <= NUMERIC_TOLERANCE else (1 if diff > 0 else -1)
            if order not in accepted:
                return False
        return True

    return numeric


def _cidr(operand: Any, path: str, origin: str) -> ValueTest:
    if not isinstance(operand, str) or not operand:
        raise PatternError(f"cidr expects a string such as \"10.0.0.0/24\", got {kind_of(operand)}",
                           path=path, origin=origin)
    address, slash, bits = operand.partition("/")
    start = _ipv4(address)
    if start is None or (slash and not (bits.isascii() and bits.isdigit() and len(bits) <= 2
                                        and int(bits) <= 32)):
        reason = "IPv6 is not supported (Alibaba: IPv4 only)" if ":" in operand else "not an IPv4 address"
        raise PatternError(f"cidr {operand!r}: {reason}; use a.b.c.d/n or a.b.c.d", path=path, origin=origin)
    if slash:
        prefix = int(bits)
        mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
        low, high = start & mask, (start & mask) | (~mask & 0xFFFFFFFF)
        if prefix >= 31:
            logger.warning("%s: cidr %s: Alibaba's open-source engine excludes network and broadcast "
                           "addresses, so a /%d block may match nothing in the cloud; "
                           "{\"cidr\": \"a.b.c.d\"} names one address", path, operand, prefix)
    else:
        low = high = start

    def cidr(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        number = _ipv4(value)
        return number is not None and low <= number <= high

    return cidr


def _ipv4(text: str) -> int | None:
    """Dotted-quad IPv4 to an int without regex or ipaddress' overhead; None if it is not one."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    number = 0
    for part in parts:
        if not (0 < len(part) <= 3 and part.isascii() and part.isdigit()):
            return None
        octet = int(part)
        if octet > 255:
            return None
        number = (number << 8) | octet
    return number

