"""From bytes to :class:`DataWorksEvent`: the envelope layer.

Recognised inputs (``bytes`` as FC's Python 3 runtime passes them, ``str``, or already-parsed JSON):

* one EventBridge CloudEvent (``data`` an object, or JSON text);
* a JSON array of CloudEvents (EventBridge batch / event-streaming delivery);
* the RawData delivery schema: the payload alone, no envelope;
* the FC-direct extension message DataWorks sends when it invokes a function itself.

How each shape is read, and which field names the event, is in :mod:`dwevents.envelope.shapes`; the
size, depth and digit limits in :mod:`dwevents.envelope.limits`. A real event costs one pass through
pydantic-core's JSON parser and one payload validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dwevents.envelope import limits
from dwevents.envelope.event import DataWorksEvent, Delivery
from dwevents.envelope.fast import decode_fast
from dwevents.envelope.limits import MAX_DEPTH, MAX_INPUT_BYTES, MAX_NUMBER_DIGITS, MAX_STRING_CHARS
from dwevents.envelope.parse import parse_json, read_document
from dwevents.envelope.payload import describe_validation_error
from dwevents.envelope.shapes import decode_document
from dwevents.errors import DecodeError

__all__ = [
    "MAX_DEPTH",
    "MAX_INPUT_BYTES",
    "MAX_NUMBER_DIGITS",
    "MAX_STRING_CHARS",
    "DataWorksEvent",
    "DecodeError",
    "Delivery",
    "decode",
    "decode_batch",
    "decode_one",
    "describe_validation_error",
    "parse_json",
]


def decode(raw: bytes | bytearray | str | Mapping[str, Any] | list[Any]) -> list[DataWorksEvent]:
    """Decode one event or a batch; raise :class:`DecodeError` on the first bad element."""
    if type(raw) is bytes and len(raw) <= limits.MAX_INPUT_BYTES:
        events = decode_fast(raw)
        if events is not None:
            return events
    results = decode_batch(raw)
    for item in results:
        if isinstance(item, DecodeError):
            raise item
    return results  # type: ignore[return-value]  # no DecodeError left: every item is an event


def decode_one(raw: bytes | bytearray | str | Mapping[str, Any]) -> DataWorksEvent:
    """Decode exactly one event (a batch of one is accepted)."""
    events = decode(raw)
    if len(events) != 1:
        raise DecodeError(f"expected one event, got a batch of {len(events)}")
    return events[0]


def decode_batch(
    raw: bytes | bytearray | str | Mapping[str, Any] | list[Any],
) -> list[DataWorksEvent | DecodeError]:
    """Decode every element independently: one bad event does not hide the good ones.

    The whole input failing (not JSON, too large, wrong top-level shape) raises; per-element problems
    come back in place as :class:`DecodeError` with ``index`` set.
    """
    if type(raw) is bytes and len(raw) <= limits.MAX_INPUT_BYTES:
        events = decode_fast(raw)
        if events is not None:
            return list(events)
    document = read_document(raw)
    if isinstance(document, list):
        if not document:
            raise DecodeError("empty batch: expected at least one event in the array")
        if len(document) > limits.MAX_ARRAY_ITEMS:
            raise DecodeError(limits.TOO_MANY_ITEMS)
        out: list[DataWorksEvent | DecodeError] = []
        for index, element in enumerate(document):
            try:
                limits.check(element, where="", depth=2, index=index)
                out.append(decode_document(element, index))
            except DecodeError as exc:
                out.append(exc)
        return out
    limits.check(document)
    return [decode_document(document, None)]
