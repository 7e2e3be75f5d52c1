"""The common case in one pass: one event of a known type, validated straight from the bytes.

EventBridge delivers one CloudEvent per invocation by default, and DataWorks one FC-direct message.
Such bytes are validated by a single pydantic-core call (``validate_json``) against a model made of
the envelope (every attribute kept as sent, as extras) and the payload model of the event's type, so
the JSON is parsed once, into typed values, and the envelope bookkeeping is a few dictionary reads.

The type is read from the bytes before parsing — the first ``"dataworks:…"`` text (a CloudEvent
``type``), else the ``"eventType"`` value (FC-direct) — and confirmed against the parsed envelope.
Anything unusual (another shape, an unknown or case-variant type, ``data`` as text, a field that does
not validate, a limit :func:`~dwevents.envelope.limits.fits` cannot prove) returns ``None``: the
general path (:mod:`dwevents.envelope.shapes`) then decodes the input, and is the one that names what
is wrong. Both paths give the same event for the same input; a property test holds them to it.

``event.data`` is read from the same bytes when first used (patterns, dead letters): most events
never need the raw payload, so it is not built for them.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, ValidationError, create_model

from dwevents.catalogue import BY_CODE, BY_TYPE, EventSpec
from dwevents.envelope.event import DataWorksEvent, make_event
from dwevents.envelope.limits import fits
from dwevents.envelope.shapes import CE_ATTRIBUTES, flag, parse_time

_TYPE_PREFIX = b'"dataworks:'
_EVENT_TYPE_KEY = b'"eventType"'
_WHITESPACE = b" \t\n\r"
_CLOUDEVENTS: dict[str, Any] = {}
_FC_DIRECT: dict[str, Any] = {}


def decode_fast(raw: bytes) -> DataWorksEvent | None:
    """The event of ``raw`` when it is the common case; ``None`` to let the general path decide."""
    spec = _type_in(raw)
    if spec is not None:
        return _cloudevent(raw, spec)
    spec = _event_type_in(raw)
    if spec is not None:
        return _fc_direct(raw, spec)
    return None


def _cloudevent(raw: bytes, spec: EventSpec) -> DataWorksEvent | None:
    if not fits(raw):
        return None
    try:
        envelope = _validator(_CLOUDEVENTS, spec, "data").validate_json(raw)
    except (ValidationError, ValueError):
        return None
    attributes: dict[str, Any] = envelope.__pydantic_extra__
    get = attributes.get
    message_id, source = get("id"), get("source")
    account, region, bus = get("aliyunaccountid"), get("aliyunregionid"), get("aliyuneventbusname")
    if (
        get("type") != spec.type
        or type(message_id) is not str
        or not message_id
        or (source is not None and type(source) is not str)
        or (account is not None and type(account) is not str)
        or (region is not None and type(region) is not str)
        or (bus is not None and type(bus) is not str)
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
            "_data": (raw, "data"),
        }
    )


def _fc_direct(raw: bytes, spec: EventSpec) -> DataWorksEvent | None:
    if not fits(raw):
        return None
    try:
        envelope = _validator(_FC_DIRECT, spec, "messageBody").validate_json(raw)
    except (ValidationError, ValueError):
        return None
    attributes: dict[str, Any] = envelope.__pydantic_extra__
    get = attributes.get
    message_id, category, biz_id = get("messageId"), get("eventCategoryType"), get("extensionBizId")
    if (
        get("eventType") != spec.event_code
        or type(message_id) is not str
        or not message_id
        or (category is not None and type(category) is not str)
        or (biz_id is not None and type(biz_id) is not str)
        or any(key in attributes for key in CE_ATTRIBUTES)
    ):
        return None
    return make_event(
        {
            "message_id": message_id,
            "type": spec.type,
            "event_code": spec.event_code,
            "source": "acs.dataworks",
            "time": None,
            "account": None,
            "region": None,
            "bus": None,
            "payload": envelope.messageBody,
            "spec": spec,
            "delivery": "fc-direct",
            "attributes": attributes,
            "block_business": flag(get("blockBusiness")),
            "event_category_type": category,
            "extension_biz_id": biz_id,
            "_data": (raw, "messageBody"),
        }
    )


def _type_in(raw: bytes) -> EventSpec | None:
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


def _event_type_in(raw: bytes) -> EventSpec | None:
    """The catalogue entry of the first ``"eventType": "<code>"`` in ``raw`` (exact code only)."""
    at = raw.find(_EVENT_TYPE_KEY)
    if at < 0:
        return None
    rest = raw[at + len(_EVENT_TYPE_KEY) : at + len(_EVENT_TYPE_KEY) + 128].lstrip(_WHITESPACE)
    if rest[:1] != b":":
        return None
    rest = rest[1:].lstrip(_WHITESPACE)
    end = rest.find(b'"', 1)
    if rest[:1] != b'"' or end < 0:
        return None
    try:
        return BY_CODE.get(rest[1:end].decode("ascii"))
    except UnicodeDecodeError:
        return None


def _validator(cache: dict[str, Any], spec: EventSpec, slot: str) -> Any:
    """The validator of "an envelope whose ``slot`` holds ``spec``'s payload", built on first use."""
    found = cache.get(spec.type)
    if found is None:
        model = create_model(  # type: ignore[call-overload]
            "CloudEvent" if slot == "data" else "FcDirectMessage",
            __config__=ConfigDict(extra="allow"),
            **{slot: (spec.model, ...)},
        )
        found = cache[spec.type] = model.__pydantic_validator__
    return found
