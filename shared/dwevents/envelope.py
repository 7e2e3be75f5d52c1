"""From bytes to :class:`DataWorksEvent`: the envelope layer.

Recognised inputs (``bytes`` as FC's Python 3 runtime passes them, ``str``, or already-parsed JSON):

* one EventBridge CloudEvent (``data`` an object, or JSON text);
* a JSON array of CloudEvents (EventBridge batch / event-streaming delivery);
* the RawData delivery schema: the payload alone, no envelope (decoded by ``eventCode``; the message
  id is then a content hash, since RawData drops the CloudEvent ``id``);
* the FC-direct extension message DataWorks sends when it invokes a function itself
  (``messageId`` / ``messageBody`` / ``eventType`` / ``eventCategoryType`` / ``blockBusiness`` /
  ``extensionBizId``).

The envelope never reads payload fields except ``eventCode`` (the catalogue fallback key); the payload
models never read envelope fields.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from dwevents.catalogue import EventSpec, Kind, ReplyApi, lookup
from dwevents.errors import DecodeError
from dwevents.models.base import GenericPayload, WireModel

#: FC's synchronous invocation payload limit; anything larger cannot be a real delivery.
MAX_INPUT_BYTES = 32 * 1024 * 1024
#: Deepest nesting accepted. Documented payloads nest fewer than 10 levels; a limit far above that keeps
#: every later step (validation, hashing, logging, dumping) clear of Python's recursion limit.
MAX_DEPTH = 64
#: int_max_str_digits (3.10.7+; 0 = unlimited) in bits: str() of a larger int raises ValueError.
_MAX_INT_BITS = int(getattr(sys, "get_int_max_str_digits", lambda: 0)() * 3.3219)

Delivery = Literal["cloudevent", "rawdata", "fc-direct"]

#: CloudEvent context attributes and the aliyun* extensions (kept verbatim in ``attributes``).
_CE_CORE = ("id", "source", "specversion", "type", "subject", "time", "datacontenttype", "dataschema")


@dataclass(frozen=True)
class DataWorksEvent:
    """One decoded event: the envelope facts every handler needs, plus the typed payload."""

    message_id: str
    type: str | None
    event_code: str | None
    source: str | None
    time: datetime | None
    account: str | None
    region: str | None
    bus: str | None
    payload: WireModel
    spec: EventSpec | None
    delivery: Delivery
    #: Every envelope attribute as received, aliyun* and unknown ones included (not ``data``).
    attributes: Mapping[str, Any] = field(default_factory=dict)
    #: FC-direct only: ``blockBusiness`` / ``eventCategoryType`` / ``extensionBizId`` of the wrapper.
    block_business: bool | None = None
    event_category_type: str | None = None
    extension_biz_id: str | None = None
    #: The ``data`` object (or ``messageBody``) as received, for patterns and audit.
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def category(self) -> str | None:
        if self.spec is not None:
            return self.spec.category
        if self.type and self.type.count(":") == 2:
            return self.type.split(":")[1]
        return None

    @property
    def is_extension(self) -> bool:
        """Whether DataWorks is waiting for a verdict on this message."""
        if self.delivery == "fc-direct":
            return True
        return self.spec is not None and self.spec.is_extension

    @property
    def reply_api(self) -> ReplyApi | None:
        if self.delivery == "fc-direct":
            return ReplyApi.RETURN
        return self.spec.reply_api if self.spec and self.spec.is_extension else None

    @property
    def kind(self) -> Kind | None:
        return self.spec.kind if self.spec else None

    def as_cloudevent(self) -> dict[str, Any]:
        """The event as a CloudEvent dict (what EventBridge patterns are matched against)."""
        event = {k: v for k, v in self.attributes.items()}
        event.setdefault("id", self.message_id)
        if self.source is not None:
            event.setdefault("source", self.source)
        if self.type is not None:
            event.setdefault("type", self.type)
        event["data"] = dict(self.data)
        return event

    def summary(self) -> dict[str, Any]:
        """The one-line JSON shape ``dwevents decode`` prints."""
        spec = self.spec
        return {
            "message_id": self.message_id,
            "type": self.type,
            "event_code": self.event_code,
            "module": spec.module.value if spec else None,
            "category": self.category,
            "level": spec.level.value if spec else None,
            "kind": spec.kind.value if spec else None,
            "reply_api": self.reply_api.value if self.reply_api else None,
            "payload": self.payload.to_wire(),
        }


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def decode(raw: bytes | bytearray | str | Mapping[str, Any] | list[Any]) -> list[DataWorksEvent]:
    """Decode one event or a batch; raise :class:`DecodeError` on the first bad element."""
    results = decode_batch(raw)
    for item in results:
        if isinstance(item, DecodeError):
            raise item
    return [item for item in results if isinstance(item, DataWorksEvent)]


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
    document = parse_json(raw)
    if isinstance(document, list):
        if not document:
            raise DecodeError("empty batch: expected at least one event in the array")
        out: list[DataWorksEvent | DecodeError] = []
        for index, element in enumerate(document):
            try:
                _check_depth(element, start=2, index=index)
                out.append(_decode_document(element, index=index))
            except DecodeError as exc:
                out.append(exc)
        return out
    _check_depth(document)
    return [_decode_document(document, index=None)]


def parse_json(raw: bytes | bytearray | str | Mapping[str, Any] | list[Any]) -> Any:
    """Bytes / text → JSON value with a clear error; parsed values pass through."""
    if isinstance(raw, (Mapping, list)):
        return raw
    if isinstance(raw, (bytes, bytearray, memoryview)):
        if len(raw) > MAX_INPUT_BYTES:
            raise DecodeError(f"input is {len(raw)} bytes, larger than the {MAX_INPUT_BYTES}-byte limit")
        try:
            text = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"input is not UTF-8 text (byte {exc.start})") from None
    elif isinstance(raw, str):
        text = raw
        if len(text) > MAX_INPUT_BYTES:
            raise DecodeError(f"input is {len(text)} characters, larger than the {MAX_INPUT_BYTES} limit")
    else:
        raise DecodeError(f"expected bytes, str, dict or list, got {type(raw).__name__}")
    if not text.strip():
        raise DecodeError("input is empty: expected a JSON event or an array of events")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DecodeError(f"input is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise DecodeError(f"input is nested too deeply (more than {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # e.g. an integer literal longer than int_max_str_digits
        raise DecodeError(f"input is not acceptable JSON: {exc}") from None


def _check_depth(document: Any, *, start: int = 1, index: int | None = None) -> None:
    """Refuse documents nested deeper than :data:`MAX_DEPTH` (iteratively: no recursion to exhaust).

    Also refuses integers json.loads would refuse (more digits than ``sys.get_int_max_str_digits()``):
    a parsed dict handed to decode() must meet the same limits as JSON text, or str()/repr()/json.dumps
    of the value raise ValueError later (ids, error messages, the RawData hash, summary()).
    """
    stack: list[tuple[Any, int]] = [(document, start)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DecodeError(f"input is nested too deeply (more than {MAX_DEPTH} levels)", index=index)
        for child in node.values() if isinstance(node, dict) else node if isinstance(node, list) else ():
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
            elif type(child) is int and _MAX_INT_BITS and child.bit_length() > _MAX_INT_BITS:
                raise DecodeError("input holds an integer with too many digits to read", index=index)


# --------------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------------


def _decode_document(doc: Any, *, index: int | None) -> DataWorksEvent:
    if not isinstance(doc, Mapping):
        raise DecodeError(f"expected a JSON object, got {_json_kind(doc)}", index=index)
    if "messageBody" in doc or "messageId" in doc:
        return _decode_fc_direct(doc, index)
    if "specversion" in doc or ("source" in doc and "type" in doc) or ("id" in doc and "data" in doc):
        return _decode_cloudevent(doc, index)
    if "eventCode" in doc or "tenantId" in doc:
        return _decode_rawdata(doc, index)
    keys = ", ".join(sorted(map(str, doc))[:6]) or "none"
    raise DecodeError(
        "not a DataWorks event: expected a CloudEvent (id, source, type, data), an FC-direct message "
        f"(messageId, messageBody) or a RawData payload (eventCode); keys present: {keys}",
        index=index,
    )


def _decode_cloudevent(doc: Mapping[str, Any], index: int | None) -> DataWorksEvent:
    message_id = _required_text(doc, "id", index)
    type_ = _optional_text(doc, "type", index)
    source = _optional_text(doc, "source", index)
    data = doc.get("data")
    if isinstance(data, (str, bytes, bytearray)):
        try:
            text = data if isinstance(data, str) else bytes(data).decode("utf-8")
            data = json.loads(text) if text.strip() else {}
            _check_depth(data)
        except DecodeError as exc:
            raise DecodeError(exc.reason, location="data", index=index) from None
        except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, the digit limit
            raise DecodeError(
                "expected a JSON object or JSON text, got text that is not JSON", location="data", index=index
            ) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise DecodeError(f"expected a JSON object, got {_json_kind(data)}", location="data", index=index)
    attributes = {k: v for k, v in doc.items() if k != "data"}
    event_code = _payload_code(data)
    spec = lookup(type_, event_code)
    payload = _decode_payload(spec, data, "data", index)
    return DataWorksEvent(
        message_id=message_id,
        type=type_ or (spec.type if spec else None),
        event_code=event_code or (spec.event_code if spec else None),
        source=source,
        time=_parse_time(doc.get("time"), "time", index),
        account=_optional_text(doc, "aliyunaccountid", index),
        region=_optional_text(doc, "aliyunregionid", index),
        bus=_optional_text(doc, "aliyuneventbusname", index),
        payload=payload,
        spec=spec,
        delivery="cloudevent",
        attributes=attributes,
        data=data,
    )


def _decode_fc_direct(doc: Mapping[str, Any], index: int | None) -> DataWorksEvent:
    message_id = _required_text(doc, "messageId", index)
    body = doc.get("messageBody")
    if isinstance(body, str):
        try:
            body = json.loads(body)
            _check_depth(body)
        except DecodeError as exc:
            raise DecodeError(exc.reason, location="messageBody", index=index) from None
        except (ValueError, RecursionError):
            raise DecodeError(
                "expected a JSON object, got text that is not JSON", location="messageBody", index=index
            ) from None
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise DecodeError(
            f"expected a JSON object, got {_json_kind(body)}", location="messageBody", index=index
        )
    event_type = _optional_text(doc, "eventType", index)
    event_code = _payload_code(body) or event_type
    spec = lookup(None, event_code) or lookup(None, event_type)
    payload = _decode_payload(spec, body, "messageBody", index)
    block = doc.get("blockBusiness")
    return DataWorksEvent(
        message_id=message_id,
        type=spec.type if spec else None,
        event_code=event_code,
        source="acs.dataworks",  # DataWorks invoked the function itself; there is no bus in between
        time=None,
        account=None,
        region=None,
        bus=None,
        payload=payload,
        spec=spec,
        delivery="fc-direct",
        attributes={k: v for k, v in doc.items() if k != "messageBody"},
        block_business=block
        if isinstance(block, bool)
        else (str(block).lower() == "true" if block is not None else None),
        event_category_type=_optional_text(doc, "eventCategoryType", index),
        extension_biz_id=_optional_text(doc, "extensionBizId", index),
        data=body,
    )


def _decode_rawdata(doc: Mapping[str, Any], index: int | None) -> DataWorksEvent:
    event_code = _payload_code(doc)
    spec = lookup(None, event_code)
    payload = _decode_payload(spec, doc, "data", index)
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return DataWorksEvent(
        message_id=f"rawdata-{digest}",
        type=spec.type if spec else None,
        event_code=event_code,
        source=None,
        time=None,
        account=None,
        region=None,
        bus=None,
        payload=payload,
        spec=spec,
        delivery="rawdata",
        attributes={},
        data=doc,
    )


# --------------------------------------------------------------------------------------------
# Payload validation and error messages
# --------------------------------------------------------------------------------------------


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _decode_payload(
    spec: EventSpec | None, data: Mapping[str, Any], where: str, index: int | None
) -> WireModel:
    model = spec.model if spec is not None else GenericPayload
    try:
        return _adapter(model).validate_python(data)
    except ValidationError as exc:
        location, message = describe_validation_error(exc)
        raise DecodeError(
            message, location=f"{where}.{location}" if location else where, index=index
        ) from None
    except RecursionError:
        raise DecodeError("nested too deeply", location=where, index=index) from None
    except (ArithmeticError, OSError, TypeError, ValueError) as exc:
        # Defence in depth: a model validator raised something pydantic does not wrap.
        reason = f"unreadable value ({type(exc).__name__}: {exc})"
        raise DecodeError(reason, location=where, index=index) from None


_FRIENDLY = {
    "int_parsing": "expected an integer",
    "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected a boolean",
    "bool_type": "expected a boolean",
    "string_type": "expected a string",
    "list_type": "expected an array",
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "missing": "required field is missing",
    "datetime_parsing": "expected a timestamp",
    "datetime_type": "expected a timestamp",
    "date_from_datetime_parsing": "expected a date (yyyy-MM-dd)",
    "date_parsing": "expected a date (yyyy-MM-dd)",
    "date_type": "expected a date (yyyy-MM-dd)",
    "enum": "not one of the documented values",
    "union_tag_not_found": "cannot tell which variant this is",
}


def describe_validation_error(exc: ValidationError) -> tuple[str, str]:
    """The most useful (location, message) of a pydantic error, in wire names, without internals."""
    errors = exc.errors(include_url=False)
    # Prefer the deepest location; union branches produce one error per branch at the same place.
    best = max(errors, key=lambda e: len([p for p in e["loc"] if not _is_branch(p)]))
    loc = _format_loc(best["loc"])
    friendly = _FRIENDLY.get(best["type"])
    if friendly is None:
        msg = str(best.get("msg", "invalid value"))
        friendly = msg[:1].lower() + msg[1:]
        if friendly.startswith("value error, "):
            friendly = friendly[len("value error, ") :]
    if best["type"] not in ("missing", "value_error") and "input" in best:
        friendly = f"{friendly}, got {_short(best['input'])}"
    extra = len({_format_loc(e["loc"]) for e in errors}) - 1
    if extra > 0 and not all(_format_loc(e["loc"]) == loc for e in errors):
        friendly = f"{friendly} (and {extra} more problem{'s' if extra > 1 else ''})"
    return loc, friendly


def _is_branch(part: Any) -> bool:
    # Union member / function-validator tags pydantic inserts into locations, e.g. 'int', 'enum[Status]',
    # 'function-before[...]', 'BaselineAlert'.
    if isinstance(part, int):
        return False
    text = str(part)
    return (
        ("[" in text and "]" in text)
        or text in {"int", "str", "float", "bool", "list", "dict"}
        or (text[:1].isupper() and not text.isupper())
    )


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if _is_branch(part):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _payload_code(data: Mapping[str, Any]) -> str | None:
    code = data.get("eventCode")
    return str(code) if isinstance(code, (str, int)) and str(code) else None


def _required_text(doc: Mapping[str, Any], key: str, index: int | None) -> str:
    value = doc.get(key)
    if value is None or value == "":
        raise DecodeError("required field is missing", location=key, index=index)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DecodeError(f"expected a string, got {_json_kind(value)}", location=key, index=index)
    return str(value)


def _optional_text(doc: Mapping[str, Any], key: str, index: int | None) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DecodeError(f"expected a string, got {_json_kind(value)}", location=key, index=index)
    return str(value)


def _parse_time(value: Any, key: str, index: int | None) -> datetime | None:
    """CloudEvent ``time`` (RFC 3339). Unparseable → None: a bad timestamp must not lose an event."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if text.endswith("PRC"):
        text = text[:-3] + "+08:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
