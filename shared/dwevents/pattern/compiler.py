"""Compiling a pattern once (validation, closures) and matching events against it.

The language and every decision where the docs are silent are described in :mod:`dwevents.pattern`.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

from dwevents.pattern.operators import compile_values
from dwevents.pattern.values import MISSING, FieldTest, PatternError, kind_of

logger = logging.getLogger(__name__)

#: CloudEvents 1.0 context attributes a pattern may name at the top level.
CLOUDEVENT_ATTRIBUTES: Final = frozenset(
    {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema"})
#: Alibaba's extension attributes seen in the docs (event overview, DataWorks message formats).
ALIYUN_EXTENSIONS: Final = frozenset({
    "aliyunaccountid", "aliyunpublishtime", "aliyuneventbusname", "aliyunregionid", "aliyunpublishaddr",
    "aliyunoriginalaccountid",
})
DATA_KEY: Final = "data"
_AWS_TOP_LEVEL_HINTS: Final[Mapping[str, str]] = {
    "detail": "the payload is 'data' in Alibaba EventBridge (AWS calls it 'detail')",
    "detail-type": "use 'type' (AWS calls it 'detail-type')",
    "account": "use 'aliyunaccountid'",
    "region": "use 'aliyunregionid'",
    "$or": "'$or' is AWS-only; write several rules or several values in one array",
}


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
                raise PatternError(f"data expects an object of fields, got {kind_of(value)}", path=path,
                                   origin=origin)
            _compile_object(value, path, (), data_tests, origin)
        elif key in CLOUDEVENT_ATTRIBUTES or key in ALIYUN_EXTENSIONS:
            if isinstance(value, Mapping):
                raise PatternError(f"{key} is a flat event attribute; only data may hold nested fields",
                                   path=path, origin=origin)
            attr_tests.append((key, compile_values(value, path, origin)))
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
        raise PatternError(f"a pattern is a JSON object, got {kind_of(pattern)}", origin=origin)
    return copy.deepcopy(dict(pattern))


def _child(path: str, key: str) -> str:
    plain = key.isascii() and key != "" and all(ch.isalnum() or ch in "-_" for ch in key)
    return f"{path}.{key}" if plain else f"{path}[{json.dumps(key, ensure_ascii=False)}]"

def _unknown_key_message(key: str) -> str:
    allowed = ", ".join(sorted(CLOUDEVENT_ATTRIBUTES)) + ", " + ", ".join(sorted(ALIYUN_EXTENSIONS))
    hint = _AWS_TOP_LEVEL_HINTS.get(key)
    text = f"unknown top-level key {key!r}"
    if hint:
        text += f": {hint}"
    return f"{text}. A pattern may name data and the event attributes {allowed}"



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
            out.append(((*keys, key), compile_values(value, child, origin)))

