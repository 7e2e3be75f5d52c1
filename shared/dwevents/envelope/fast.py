"""The common case in one pass: one CloudEvent of a known type, validated straight from the bytes.

EventBridge delivers one CloudEvent per invocation by default. Such bytes are validated by a single
pydantic-core call (``validate_json``) against a model made of the envelope (every attribute kept as
sent, as extras) and the payload model of the event's type, so the JSON is parsed once, into typed
values, and the envelope bookkeeping is a few dictionary reads.

The type is read from the bytes before parsing (the first ``"dataworks:…"`` text) and confirmed
against the parsed envelope. Anything unusual — another shape, an
unknown or case-variant type, ``data`` as text, a field that does not validate, a limit that
:func:`~dwevents.envelope.limits.fits` cannot prove — returns ``None``: the general path
(:mod:`dwevents.envelope.shapes`) then decodes the input, and is the one to name what is wrong. Both
paths give the same event for the same input (a property test holds them to it).

``event.data`` is read from the same bytes when first used (patterns, dead letters): most events
never need the raw payload, so it is not built for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ConfigDict, ValidationError, create_model
from pydantic_core import from_json

from dwevents.catalogue import BY_TYPE, EventSpec
from dwevents.envelope.event import DataWorksEvent, make_event
from dwevents.envelope.limits import fits
from dwevents.envelope.shapes import parse_time

_TYPE_PREFIX = b'"dataworks:'
_ENVELOPES: dict[str, Any] = {}


def decode_fast(raw: bytes) -> DataWorksEvent | None:
    """The event of ``raw`` when it is the common case; ``None`` to let the general path decide."""
    spec = _spec_of(raw)
    if spec is None or not fits(raw):
        return None
    try:
        envelope = _envelope(spec).validate_json(raw)
    except (ValidationError, ValueError):
        return None
    attributes: dict[str, Any] = envelope.__pydantic_extra__
    get = attributes.get
    message_id, source, account = get("id"), get("source"), get("aliyunaccountid")
    region, bus = get("aliyunregionid"), get("aliyuneventbusname")
    if (
        get("type") != spec.type
        or type(message_id) is not str
        or not message_id
        or not _text_or_none(source, account, region, bus)
    ):
        return None
    return make_event(
        {
            "message_id": message_id,
            "type": spec.type,
            "event_code": spec.event_code,
            "source": source,
            "time": parse_time(get("time")),
            "account": account,
            "region": region,
            "bus": bus,
            "payload": envelope.data,
            "spec": spec,
            "delivery": "cloudevent",
            "attributes": attributes,
            "block_business": None,
            "event_category_type": None,
            "extension_biz_id": None,
            "_data": _data_of(raw),
        }
    )


def _text_or_none(*values: Any) -> bool:
    return all(value is None or type(value) is str for value in values)


def _data_of(raw: bytes) -> Callable[[], Mapping[str, Any]]:
    def load() -> Mapping[str, Any]:
        data: Mapping[str, Any] = from_json(raw)["data"]
        return data

    return load


def _spec_of(raw: bytes) -> EventSpec | None:
    """The catalogue entry named by the first ``"dataworks:…"`` text in ``raw`` (every catalogue type
    has that form; it is the ``type`` value unless the payload quotes one first — then the parsed
    envelope disagrees and the general path decodes)."""
    start = raw.find(_TYPE_PREFIX) + 1
    if not start:
        return None
    end = raw.find(b'"', start)
    if end < 0:
        return None
    try:
        return BY_TYPE.get(raw[start:end].decode("ascii"))
    except UnicodeDecodeError:
        return None


def _envelope(spec: EventSpec) -> Any:
    """The validator of "a CloudEvent whose data is ``spec``'s payload", built on first use."""
    found = _ENVELOPES.get(spec.type)
    if found is None:
        model = create_model(
            "CloudEvent",
            __config__=ConfigDict(extra="allow"),
            data=(spec.model, ...),
        )
        found = _ENVELOPES[spec.type] = model.__pydantic_validator__
    return found
