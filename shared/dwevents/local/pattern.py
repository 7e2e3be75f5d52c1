"""Alibaba Cloud EventBridge event patterns, matched locally with the cloud's own semantics.

The local router decides which function an event reaches with these patterns (the ``eventRuleFilterPattern``
of ``s.yaml``), and the policy engine's ``when`` uses the same language, so users learn one. A pattern is
validated once by :func:`compile_pattern` and turned into closures; :meth:`EventPattern.matches` then only
walks the event. Nothing here uses regular expressions, so no input can cause backtracking.

Sources (read from stored copies; revisions may lag the live pages):

* Event patterns, current text: https://www.alibabacloud.com/help/en/eventbridge/user-guide/event-patterns
  (same text at https://help.aliyun.com/en/eventbridge/user-guide/event-patterns and
  https://www.alibabacloud.com/help/en/doc-detail/181432.htm); older text ("Numeric values are compared as
  strings … 300, 300.0, and 3.0e2 are regarded as different values"):
  https://www.alibabacloud.com/help/doc-detail/181432.htm and
  https://www.alibabacloud.com/help/en/eventbridge/latest/event-patterns
* ApsaraMQ copies of the same doc (add "Anything-but (number)", "Anything-but (list)", "Array"):
  https://www.alibabacloud.com/help/en/apsaramq-for-rocketmq/cloud-message-queue-rocketmq-5-x-series/user-guide/message-filtering-2
  and https://www.alibabacloud.com/help/en/apsaramq-for-kafka/cloud-message-queue-for-kafka/user-guide/message-filtering
* Event envelope (CloudEvents 1.0 + ``aliyun*`` extensions):
  https://www.alibabacloud.com/help/en/eventbridge/user-guide/event-overview
* The open-source engine Alibaba published with the same pattern language, apache/rocketmq-eventbridge,
  ``common/src/main/java/org/apache/rocketmq/eventbridge/tools/pattern/`` and its tests
  ``PatternEvaluatorTest`` / ``PatternEvaluatorBuilderTest`` (Apache-2.0; behaviour reimplemented, no code
  copied).

How open questions are settled, in order: (1) what Alibaba's docs say, read literally; (2) where they are
silent, what the open-source engine's own tests assert; (3) otherwise the reading that follows the docs'
general rules ("the event must contain every field", "same nested structure", "any common element"),
noting where the open-source engine differs by accident of a library default or a generic code path.

Operators: exact values (string, number, boolean, null; ``""`` is not null), ``prefix``, ``suffix``,
``contains``, ``anything-but`` (a value, a list of values, or ``{"prefix": …}``), ``numeric`` (one or two
operator/number pairs, ANDed), ``cidr`` (IPv4 block or one IPv4 address), ``exists``. Several entries in one
array OR together, fields AND together, and an event array matches when any element matches.

Where Alibaba differs from AWS EventBridge (and what this module does):

* The payload is ``data``, not ``detail``. Top-level keys are the CloudEvents attributes (specversion, id,
  source, type, subject, time, datacontenttype, dataschema), ``data`` and the documented ``aliyun*``
  extensions. Any other key (``detail``, ``detail-type``, ``account``, ``$or`` …) makes the pattern invalid,
  as in the open-source engine; AWS would treat it as a field that must exist. Only ``data`` may nest.
* ``contains`` is an Alibaba operator (AWS has ``wildcard``). It needs a non-empty string and matches string
  values that include it, case-sensitively; numbers never match (as with prefix/suffix).
* AWS-only operators are rejected: ``equals-ignore-case``, ``wildcard``, ``$or``, and ``anything-but`` with
  ``suffix`` / ``equals-ignore-case`` / ``wildcard``. Alibaba documents only ``{"anything-but": {"prefix"}}``
  (the open-source engine also accepts ``suffix``; Alibaba's docs never show it, so it is refused here).
* Exact values compare as JSON text, as the older doc says ("compared as strings"): an integer never equals
  a float (300 ≠ 300.0; AWS's engine now canonicalises numbers), and, as in the open-source engine, the
  JSON type is not compared: ``["5"]`` matches 5, ``[5]`` matches "5", ``[true]`` matches "true". Null
  matches only null. Once parsed, ``3.0e2`` and ``300.0`` are the same float here, so they are equal.
* ``numeric`` accepts ``=``, ``>``, ``>=``, ``<``, ``<=`` and, as the open-source tests assert, ``!=`` (AWS
  has no ``!=``). Bounds must lie in -1.0e9…1.0e9 (doc limit). Equality has a 1e-7 tolerance (open-source
  engine; the doc's "6 decimal places"). Only JSON numbers match; a string "5" does not.
* ``cidr`` is IPv4 only (doc: "Only IPv4 addresses are supported"; AWS also takes IPv6). A value without
  ``/`` means one address, as the open-source tests assert (AWS rejects that form). A block contains its
  network and broadcast addresses, as the doc's "falls within a CIDR block" says; the open-source engine
  excludes both (a commons-net default), so /31 and /32 match nothing there: compiling such a block logs a
  warning.
* ``exists`` asks whether the field is present, whatever its value: ``null``, an object or an empty array
  all exist (AWS: ``exists`` works on leaf nodes only and ``exists: false`` matches an object). The
  open-source engine says "neither" for an object or an empty array, through a generic type check.
* Arrays in the event: an element that is an object or array never matches, the other elements are still
  compared (any common element matches; the open-source engine fails the whole field instead). Arrays of
  objects are not searched (AWS "crushes" them), following "same nested structure".
* A pattern with ``data`` conditions never matches an event without a ``data`` object (open-source
  engine), even ``exists: false``. Deeper, a missing or non-object parent makes the leaf missing.
* Keys are literal: ``{"data": {"a.b": …}}`` names a key ``a.b`` (the open-source engine reads a JSON path).
* An operator object holds exactly one operator; ``{"prefix": …, "suffix": …}`` (shown once in a Chinese
  API doc) is refused, as in the open-source engine: put each in its own array element to OR them.
* Empty value arrays, empty ``anything-but`` lists, empty nested objects and empty prefix/suffix/contains
  strings are refused; so are nested arrays and non-finite numbers.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from dwevents.errors import ConfigError

logger = logging.getLogger(__name__)

__all__ = [
    "ALIYUN_EXTENSIONS",
    "CLOUDEVENT_ATTRIBUTES",
    "OPERATORS",
    "EventPattern",
    "PatternError",
    "compile_pattern",
    "matches",
]

#: CloudEvents 1.0 context attributes a pattern may name at the top level.
CLOUDEVENT_ATTRIBUTES: Final = frozenset(
    {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema"})
#: Alibaba's extension attributes seen in the docs (event overview, DataWorks message formats).
ALIYUN_EXTENSIONS: Final = frozenset({
    "aliyunaccountid", "aliyunpublishtime", "aliyuneventbusname", "aliyunregionid", "aliyunpublishaddr",
    "aliyunoriginalaccountid",
})
DATA_KEY: Final = "data"
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
_AWS_TOP_LEVEL_HINTS: Final[Mapping[str, str]] = {
    "detail": "the payload is 'data' in Alibaba EventBridge (AWS calls it 'detail')",
    "detail-type": "use 'type' (AWS calls it 'detail-type')",
    "account": "use 'aliyunaccountid'",
    "region": "use 'aliyunregionid'",
    "$or": "'$or' is AWS-only; write several rules or several values in one array",
}

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


class EventPattern:
    """A validated pattern compiled to closures; build it with :func:`compile_pattern`."""

    __slots__ = ("_attr_tests", "_data_tests", "source")

    def __init__(self, source: dict[str, Any], attr_tests: list[tuple[str, FieldTest]],
                 data_tests: list[tuple[tuple[str, ...], FieldTest]]) -> None:
        self.source = source
        self._attr_tests = tuple(attr_tests)
        self._data_tests = tuple(data_tests)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether the event (a CloudEvent as a mapping) satisfies every field of the pattern."""
        if type(event) is not dict and not isinstance(event, Mapping):
            raise TypeError(f"an event is a JSON object (Mapping), not {type(event).__name__}")
        get = event.get
        for key, test in self._attr_tests:
            if not test(get(key, MISSING)):
                return False
        if self._data_tests:
            data = get(DATA_KEY, MISSING)
            if type(data) is not dict and not isinstance(data, Mapping):
                return False
            for keys, test in self._data_tests:
                node: Any = data
                for key in keys:
                    if type(node) is dict or isinstance(node, Mapping):
                        node = node.get(key, MISSING)
                    else:
                        node = MISSING
                        break
                if not test(node):
                    return False
        return True

    __call__ = matches

    def __repr__(self) -> str:
        return f"EventPattern({json.dumps(self.source, ensure_ascii=False, default=str)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EventPattern) and self.source == other.source

    def __hash__(self) -> int:
        return hash(json.dumps(self.source, sort_keys=True, default=str))


def compile_pattern(pattern: Mapping[str, Any] | str | bytes | EventPattern, *,
                    origin: str = "") -> EventPattern:
    """Validate a pattern once (a mapping or its JSON text) and compile it; raises :class:`PatternError`.

    ``origin`` names where the pattern came from (a file, a rule) and prefixes error messages.
    """
    if isinstance(pattern, EventPattern):
        return pattern
    source = _load(pattern, origin)
    attr_tests: list[tuple[str, FieldTest]] = []
    data_tests: list[tuple[tuple[str, ...], FieldTest]] = []
    for key, value in source.items():
        if not isinstance(key, str):
            raise PatternError(f"keys must be strings, got {key!r}", origin=origin)
        path = _child("pattern", key)
        if key == DATA_KEY:
            if not isinstance(value, Mapping):
                raise PatternError(f"data expects an object of fields, got {_kind(value)}", path=path,
                                   origin=origin)
            _compile_object(value, path, (), data_tests, origin)
        elif key in CLOUDEVENT_ATTRIBUTES or key in ALIYUN_EXTENSIONS:
            if isinstance(value, Mapping):
                raise PatternError(f"{key} is a flat event attribute; only data may hold nested fields",
                                   path=path, origin=origin)
            attr_tests.append((key, _compile_values(value, path, origin)))
        else:
            raise PatternError(_unknown_key_message(key), path=path, origin=origin)
    logger.debug("compiled event pattern: %d attribute and %d data conditions",
                 len(attr_tests), len(data_tests))
    return EventPattern(source, attr_tests, data_tests)


def matches(pattern: Mapping[str, Any] | str | bytes | EventPattern, event: Mapping[str, Any]) -> bool:
    """One-off match; JSON-text patterns are cached, but hot paths should keep an :class:`EventPattern`."""
    if isinstance(pattern, EventPattern):
        return pattern.matches(event)
    if isinstance(pattern, bytes):
        pattern = _decode(pattern, "")
    if isinstance(pattern, str):
        return _compile_text(pattern).matches(event)
    return compile_pattern(pattern).matches(event)


@lru_cache(maxsize=256)
def _compile_text(text: str) -> EventPattern:
    return compile_pattern(text)


# -- loading and paths ------------------------------------------------------------------------------------

def _decode(raw: bytes, origin: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PatternError(f"pattern bytes are not UTF-8 ({exc.reason} at byte {exc.start})",
                           origin=origin) from None


def _load(pattern: Any, origin: str) -> dict[str, Any]:
    """Parse JSON text or copy a mapping, so later edits by the caller cannot change the compiled rule."""
    if isinstance(pattern, bytes):
        pattern = _decode(pattern, origin)
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except json.JSONDecodeError as exc:
            raise PatternError(f"not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})",
                               origin=origin) from None
    if not isinstance(pattern, Mapping):
        raise PatternError(f"a pattern is a JSON object, got {_kind(pattern)}", origin=origin)
    return copy.deepcopy(dict(pattern))


def _child(path: str, key: str) -> str:
    plain = key.isascii() and key != "" and all(ch.isalnum() or ch in "-_" for ch in key)
    return f"{path}.{key}" if plain else f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _kind(value: Any) -> str:
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


def _unknown_key_message(key: str) -> str:
    allowed = ", ".join(sorted(CLOUDEVENT_ATTRIBUTES)) + ", " + ", ".join(sorted(ALIYUN_EXTENSIONS))
    hint = _AWS_TOP_LEVEL_HINTS.get(key)
    text = f"unknown top-level key {key!r}"
    if hint:
        text += f": {hint}"
    return f"{text}. A pattern may name data and the event attributes {allowed}"


# -- structure --------------------------------------------------------------------------------------------

def _compile_object(obj: Mapping[Any, Any], path: str, keys: tuple[str, ...],
                    out: list[tuple[tuple[str, ...], FieldTest]], origin: str) -> None:
    if not obj:
        raise PatternError("an object in a pattern must name at least one field", path=path, origin=origin)
    for key, value in obj.items():
        if not isinstance(key, str):
            raise PatternError(f"keys must be strings, got {key!r}", path=path, origin=origin)
        child = _child(path, key)
        if isinstance(value, Mapping):
            _compile_object(value, child, (*keys, key), out, origin)
        else:
            out.append(((*keys, key), _compile_values(value, child, origin)))


def _compile_values(values: Any, path: str, origin: str) -> FieldTest:
    """One field's array: its entries OR together into a single test."""
    if not isinstance(values, (list, tuple)):
        raise PatternError(f"expects an array of values or operator objects, got {_kind(values)}",
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
            spec.add_exact(_exact_text(item, item_path, origin))
    return spec.build()


def _exact_text(value: Any, path: str, origin: str) -> str | None:
    """The JSON text an exact value compares as; None stands for JSON null."""
    if value is None:
        return None
    if isinstance(value, float) and not (value == value and abs(value) != float("inf")):
        raise PatternError(f"{value!r} is not a JSON number", path=path, origin=origin)
    text = _text(value)
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
            tests.append(_equals(frozenset(self.texts), self.null))
        if self.prefixes:
            tests.append(_starts_with(tuple(self.prefixes)))
        if self.suffixes:
            tests.append(_ends_with(tuple(self.suffixes)))
        if self.contains:
            tests.append(_contains(tuple(self.contains)))
        tests.extend(self.others)
        return _field_test(_any_of(tests), on_missing=self.on_missing, on_present=self.on_present)


# -- operators --------------------------------------------------------------------------------------------

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
            raise PatternError(f"exists expects true or false, got {_kind(operand)}", path=path,
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
        raise PatternError(f"{name} expects a string, got {_kind(operand)}", path=path, origin=origin)
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
        excluded = _starts_with((_operand_string("anything-but prefix", operand["prefix"], path, origin),))
    elif isinstance(operand, (list, tuple)):
        if not operand:
            raise PatternError("anything-but list is empty, so it would exclude nothing", path=path,
                               origin=origin)
        texts: set[str] = set()
        null = False
        for index, item in enumerate(operand):
            if isinstance(item, (Mapping, list, tuple)):
                raise PatternError(f"anything-but lists hold strings, numbers, booleans or null, got "
                                   f"{_kind(item)} at position {index}", path=path, origin=origin)
            text = _exact_text(item, path, origin)
            if text is None:
                null = True
            else:
                texts.add(text)
        excluded = _equals(frozenset(texts), null)
    else:
        text = _exact_text(operand, path, origin)
        excluded = _equals(frozenset() if text is None else frozenset({text}), text is None)

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
            raise PatternError(f"numeric expects a number after {op!r}, got {_kind(bound)}", path=path,
                               origin=origin)
        number = _as_float(bound)
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
            number = _as_float(value)
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
        raise PatternError(f"cidr expects a string such as \"10.0.0.0/24\", got {_kind(operand)}", path=path,
                           origin=origin)
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


# -- value tests ------------------------------------------------------------------------------------------

def _text(value: Any) -> str | None:
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


def _as_float(value: int | float | Decimal) -> float:
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def _equals(texts: frozenset[str], null: bool) -> ValueTest:
    def equals(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            return value in texts
        if value is None:
            return null
        if kind is int:
            return int.__repr__(value) in texts
        text = _text(value)
        return text is not None and text in texts

    return equals


def _starts_with(prefixes: tuple[str, ...]) -> ValueTest:
    def starts_with(value: Any) -> bool:
        return isinstance(value, str) and value.startswith(prefixes)

    return starts_with


def _ends_with(suffixes: tuple[str, ...]) -> ValueTest:
    def ends_with(value: Any) -> bool:
        return isinstance(value, str) and value.endswith(suffixes)

    return ends_with


def _contains(needles: tuple[str, ...]) -> ValueTest:
    def contains(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        for needle in needles:  # noqa: SIM110 - a loop, not any(): no generator on the hot path
            if needle in value:
                return True
        return False

    return contains


def _any_of(tests: Iterable[ValueTest]) -> ValueTest | None:
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


def _is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, Decimal))


def _field_test(value_test: ValueTest | None, *, on_missing: bool, on_present: bool) -> FieldTest:
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
                if _is_primitive(item) and value_test(item):
                    return True
            return False
        return _is_primitive(value) and value_test(value)

    return field
