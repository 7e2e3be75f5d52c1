"""The common case in one pass: events of known types, validated straight from the bytes.

EventBridge delivers one CloudEvent per invocation by default (or an array of them), DataWorks one
FC-direct message. Such bytes go through a single pydantic-core call (``validate_json``) of a tagged
union: keyed on ``type`` for CloudEvents ("an object whose ``data`` is this type's payload model,
every other attribute text kept as sent"), on ``eventType`` for FC-direct messages (the same with
``messageBody``). The JSON is parsed once, into typed values; the envelope bookkeeping is a few
dictionary reads.

The union holds the types this process has met (a function meets a handful): an event of a type it
does not hold yet is looked up by its ``"dataworks:…"`` text (or its ``eventType``), the type is added
and the union rebuilt once. Anything unusual — another shape, an unknown or case-variant type,
``data`` as text, an attribute that is not text, a field that does not validate, an input too large
for :func:`~dwevents.envelope.limits.fits` — returns ``None``: the general path
(:mod:`dwevents.envelope.shapes`) then decodes the input and is the one that names what is wrong.
Both paths give the same events for the same input; a property test holds them to it.

The limits hold without a walk over the document: attributes are text, the payload has its model's
shape (at most ``MAX_MODEL_DEPTH`` levels), and the models refuse what is over their own limits
(:mod:`dwevents.models.limits`: long integers, deep or long unknown values).

``event.data`` is read from the same bytes when first used (patterns, dead letters): most events
never need their raw payload, so it is not built for them.

One difference remains, by pydantic-core's design: a JSON *float* sent where the docs say String
(``coerce_numbers_to_str``) is written as pydantic-core writes numbers read from JSON (``1e5`` →
``"100000"``), where decoding already-parsed values writes Python's ``str()`` (``"100000.0"``). Integers
read the same either way; no documented field is sent that way.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from dwevents.catalogue import BY_CODE, BY_TYPE, EventSpec
from dwevents.envelope.event import DataWorksEvent, make_event
from dwevents.envelope.limits import MAX_ARRAY_ITEMS, MAX_STRING_CHARS, fits
from dwevents.envelope.payload import payload_schema
from dwevents.envelope.shapes import CE_ATTRIBUTES, flag, parse_time

_TYPE_PREFIX = b'"dataworks:'
_EVENT_TYPE_KEY = b'"eventType"'
_WHITESPACE = b" \t\n\r"
_TAG_PROBLEMS = frozenset({"union_tag_invalid", "union_tag_not_found"})
_OPEN_OBJECT = ord("{")
#: What an envelope attribute can be after the union: a ``data`` of one of these is no payload.
_ATTRIBUTE_TYPES = (str, bool, type(None))
_new = object.__new__
_set = object.__setattr__
#: A CloudEvent attribute as EventBridge sends them all: text (or null). Anything else (a number, an
#: object) is unusual enough for the general path, which keeps it as sent.
_CE_ATTRIBUTE = cs.nullable_schema(cs.str_schema(strict=True))
#: An FC-direct wrapper field: text, or the ``blockBusiness`` boolean.
_FC_ATTRIBUTE = cs.nullable_schema(cs.union_schema([cs.str_schema(strict=True), cs.bool_schema(strict=True)]))


class _Union:
    """The event types met so far as one validator (and the CloudEvent ones as an array of them)."""

    def __init__(self) -> None:
        self.cloudevents: dict[str, Any] = {}
        self.fc_direct: dict[str, Any] = {}
        self.definitions: dict[str, Any] = {}
        self.one: Any = None
        self.many: Any = None

    def add(self, cloudevents: list[EventSpec], fc_direct: list[EventSpec]) -> bool:
        """Add the types not held yet and rebuild; whether anything was added."""
        added = False
        for specs, choices, slot, extras, key in (
            (cloudevents, self.cloudevents, "data", _CE_ATTRIBUTE, "type"),
            (fc_direct, self.fc_direct, "messageBody", _FC_ATTRIBUTE, "event_code"),
        ):
            for spec in specs:
                tag = getattr(spec, key)
                if tag not in choices:
                    field = cs.typed_dict_field(self._payload_schema(spec))
                    choices[tag] = cs.typed_dict_schema(
                        {slot: field}, extra_behavior="allow", extras_schema=extras
                    )
                    added = True
        if added:
            self._build()
        return added

    def _payload_schema(self, spec: EventSpec) -> Any:
        # Prebuilt (no pydantic schema generation on a cold start), else generated as TypeAdapter does.
        schema: Any = payload_schema(spec)[0]
        if schema["type"] == "definitions":  # models shared by several types: one definition each
            for definition in schema["definitions"]:
                self.definitions.setdefault(definition["ref"], definition)
            schema = schema["schema"]
        return schema

    def _build(self) -> None:
        definitions = list(self.definitions.values())
        unions = []
        if self.cloudevents:
            unions.append(cs.tagged_union_schema(dict(self.cloudevents), discriminator="type"))
            many = cs.list_schema(unions[0], min_length=1)
            self.many = SchemaValidator(cs.definitions_schema(many, definitions))
        if self.fc_direct:
            unions.append(cs.tagged_union_schema(dict(self.fc_direct), discriminator="eventType"))
        one = unions[0] if len(unions) == 1 else cs.union_schema(list(unions), mode="left_to_right")
        self.one = SchemaValidator(cs.definitions_schema(one, definitions))


_UNION = _Union()


def decode_fast(raw: bytes) -> list[DataWorksEvent] | None:
    """The events of ``raw`` when it is the common case; ``None`` to let the general path decide."""
    size = len(raw)
    if not size or size > MAX_STRING_CHARS or (size >= MAX_ARRAY_ITEMS and not fits(raw)):
        return None  # (fits() inlined for the usual size: this runs once per event)
    if raw[0] != _OPEN_OBJECT:
        return _batch(raw) if raw.lstrip(_WHITESPACE)[:1] == b"[" else None
    try:  # one event, the usual delivery
        fields = _UNION.one.validate_json(raw)
    except ValidationError as exc:
        fields = _validate_again(raw, batch=False) if _tag_problem(exc) else None
    except AttributeError:  # no union yet
        fields = _validate_again(raw, batch=False)
    if fields is None:
        return None
    payload = fields.pop("data", None)
    if type(payload) in _ATTRIBUTE_TYPES:  # not a payload: the FC-direct member validated it
        event = None if payload is not None or "data" in fields else _fc_direct(fields, raw)
    else:
        event = _cloudevent(fields, payload, (raw, "data"))
    return None if event is None else [event]


def _batch(raw: bytes) -> list[DataWorksEvent] | None:
    elements = _validate_again(raw, batch=True)
    if elements is None:
        return None
    events = []
    for index, fields in enumerate(elements):
        event = _cloudevent(fields, fields.pop("data"), (raw, index, "data"))
        if event is None:
            return None
        events.append(event)
    return events


def _validate_again(raw: bytes, *, batch: bool) -> Any:
    """``raw`` through the union (after adding the types it names, when the union did not hold them);
    None when it does not validate (the general path then says why)."""
    validator = _UNION.many if batch else None
    if validator is not None:
        try:
            return validator.validate_json(raw)
        except ValidationError as exc:
            if not _tag_problem(exc):
                return None
    if not _UNION.add(_types_in(raw), [] if batch else _event_types_in(raw)):
        return None
    try:
        return (_UNION.many if batch else _UNION.one).validate_json(raw)
    except (ValidationError, AttributeError):
        return None


def _tag_problem(exc: ValidationError) -> bool:
    """Whether the only problem is a type the union does not hold (any other is the general path's)."""
    return all(error["type"] in _TAG_PROBLEMS for error in exc.errors(include_url=False, include_input=False))


def _cloudevent(attributes: dict[str, Any], payload: Any, data: tuple[Any, ...]) -> DataWorksEvent | None:
    get = attributes.get
    spec = BY_TYPE.get(get("type", ""))  # the union's tag (the last "type", as for json.loads)
    message_id = get("id")
    if spec is None or not message_id:  # every other attribute is text or null (the union says so)
        return None
    event: DataWorksEvent = _new(DataWorksEvent)
    _set(
        event,
        "__dict__",
        {
            "message_id": message_id,
            "type": spec.type,
            "event_code": spec.event_code,
            "source": get("source"),
            "time": parse_time(get("time")),
            "account": get("aliyunaccountid"),
            "region": get("aliyunregionid"),
            "bus": get("aliyuneventbusname"),
            "payload": payload,
            "spec": spec,
            "delivery": "cloudevent",
            "attributes": attributes,
            "block_business": None,
            "event_category_type": None,
            "extension_biz_id": None,
            "_data": data,
        },
    )
    return event


def _fc_direct(attributes: dict[str, Any], raw: bytes) -> DataWorksEvent | None:
    payload = attributes.pop("messageBody")
    get = attributes.get
    spec = BY_CODE.get(str(get("eventType")))  # the union's tag
    message_id, category, biz_id = get("messageId"), get("eventCategoryType"), get("extensionBizId")
    if (
        spec is None
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
            "payload": payload,
            "spec": spec,
            "delivery": "fc-direct",
            "attributes": attributes,
            "block_business": flag(get("blockBusiness")),
            "event_category_type": category,
            "extension_biz_id": biz_id,
            "_data": (raw, "messageBody"),
        }
    )


def _types_in(raw: bytes) -> list[EventSpec]:
    """The catalogue entries named by ``"dataworks:…"`` texts in ``raw`` (every catalogue type has that
    form; a payload quoting one only adds a type to the union)."""
    found: list[EventSpec] = []
    start = raw.find(_TYPE_PREFIX)
    while start >= 0 and len(found) < 64:
        end = raw.find(b'"', start + 1)
        if end < 0:
            break
        spec = BY_TYPE.get(raw[start + 1 : end].decode("ascii", "replace"))
        if spec is not None and spec not in found:
            found.append(spec)
        start = raw.find(_TYPE_PREFIX, end)
    return found


def _event_types_in(raw: bytes) -> list[EventSpec]:
    """The catalogue entry of the first ``"eventType": "<code>"`` in ``raw`` (exact code only)."""
    at = raw.find(_EVENT_TYPE_KEY)
    if at < 0:
        return []
    rest = raw[at + len(_EVENT_TYPE_KEY) : at + len(_EVENT_TYPE_KEY) + 128].lstrip(_WHITESPACE)
    if rest[:1] != b":":
        return []
    rest = rest[1:].lstrip(_WHITESPACE)
    end = rest.find(b'"', 1)
    if rest[:1] != b'"' or end < 0:
        return []
    spec = BY_CODE.get(rest[1:end].decode("ascii", "replace"))
    return [] if spec is None else [spec]
