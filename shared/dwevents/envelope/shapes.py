"""The three shapes an event arrives in, each read into a :class:`DataWorksEvent`.

* **CloudEvent** (EventBridge): ``id`` / ``source`` / ``type`` / ``data`` plus the ``aliyun*``
  extensions. The catalogue entry is the one of ``type``; a payload ``eventCode`` never overrides it
  (an unknown type stays unknown, in its own category). Only a CloudEvent without any ``type`` is
  looked up by ``data.eventCode``.
* **FC-direct** (DataWorks invokes the function itself): the documented message is exactly
  ``messageId``, ``messageBody``, ``eventType``, ``eventCategoryType``, ``blockBusiness``,
  ``extensionBizId`` ("Function Compute message format" in "Development Reference: Event List and
  Message Format",
  https://www.alibabacloud.com/help/en/dataworks/user-guide/formats-of-event-messages-sent-to-eventbridge).
  A document is read this way only when it has that shape: ``messageId`` or ``messageBody`` and no
  CloudEvent attribute; ``messageId``, ``messageBody`` and ``eventType`` are then required. The entry is
  the one of ``eventType``, never of ``messageBody.eventCode`` (the documented sample's is ``"xxxx"``).
* **RawData** (EventBridge's payload-only schema): no envelope, so the payload's ``eventCode`` is the
  only key, and the message id is a content hash (RawData drops the CloudEvent ``id``).

The envelope never reads payload fields except ``eventCode`` where nothing else names the event; the
payload models never read envelope fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from dwevents.catalogue import lookup_code, lookup_type
from dwevents.envelope.event import DataWorksEvent, make_event
from dwevents.envelope.parse import read_nested
from dwevents.envelope.payload import json_kind, validate_payload
from dwevents.errors import DecodeError

#: CloudEvent context attributes: any of them makes a document a CloudEvent, never FC-direct.
CE_ATTRIBUTES = ("id", "source", "specversion", "type", "data")
_DATA_NOT_JSON = "expected a JSON object or JSON text, got text that is not JSON"
_BODY_NOT_JSON = "expected a JSON object, got text that is not JSON"


def decode_document(doc: Any, index: int | None) -> DataWorksEvent:
    """Read one element (already within the limits) as whichever shape it has."""
    if not isinstance(doc, Mapping):
        raise DecodeError(f"expected a JSON object, got {json_kind(doc)}", index=index)
    if "specversion" in doc or ("source" in doc and "type" in doc) or ("id" in doc and "data" in doc):
        return _cloudevent(doc, index)
    if ("messageId" in doc or "messageBody" in doc) and not any(key in doc for key in CE_ATTRIBUTES):
        return _fc_direct(doc, index)
    if "eventCode" in doc or "tenantId" in doc:
        return _rawdata(doc, index)
    keys = ", ".join(sorted(map(str, doc))[:6]) or "none"
    raise DecodeError(
        "not a DataWorks event: expected a CloudEvent (id, source, type, data), an FC-direct message "
        f"(messageId, messageBody, eventType) or a RawData payload (eventCode); keys present: {keys}",
        index=index,
    )


def _cloudevent(doc: Mapping[str, Any], index: int | None) -> DataWorksEvent:
    message_id = _required_text(doc, "id", index)
    type_ = _optional_text(doc, "type", index)
    source = _optional_text(doc, "source", index)
    data = doc.get("data")
    if type(data) is not dict:
        data = _object(data, "data", index, _DATA_NOT_JSON, blank_is_empty=True)
    if type_:
        spec = lookup_type(type_)
        event_code = spec.event_code if spec is not None else None
    else:  # no type at all: the payload's eventCode is the only name the event has
        code = _payload_code(data)
        spec = lookup_code(code) if code else None
        event_code = spec.event_code if spec is not None else code
    attributes = dict(doc)
    attributes.pop("data", None)
    return make_event(
        {
            "message_id": message_id,
            "type": type_ or (spec.type if spec is not None else None),
            "event_code": event_code,
            "source": source,
            "time": parse_time(doc.get("time")),
            "account": _optional_text(doc, "aliyunaccountid", index),
            "region": _optional_text(doc, "aliyunregionid", index),
            "bus": _optional_text(doc, "aliyuneventbusname", index),
            "payload": validate_payload(spec, data, "data", index),
            "spec": spec,
            "delivery": "cloudevent",
            "attributes": attributes,
            "block_business": None,
            "event_category_type": None,
            "extension_biz_id": None,
            "_data": data,
        }
    )


def _fc_direct(doc: Mapping[str, Any], index: int | None) -> DataWorksEvent:
    message_id = _required_text(doc, "messageId", index)
    body = doc.get("messageBody")
    if body is None:
        raise DecodeError("required field is missing", location="messageBody", index=index)
    if type(body) is not dict:
        body = _object(body, "messageBody", index, _BODY_NOT_JSON, blank_is_empty=False)
    event_type = _required_text(doc, "eventType", index)
    spec = lookup_code(event_type)
    attributes = dict(doc)
    attributes.pop("messageBody", None)
    return make_event(
        {
            "message_id": message_id,
            "type": spec.type if spec is not None else None,
            "event_code": spec.event_code if spec is not None else event_type,
            "source": "acs.dataworks",  # DataWorks invoked the function itself; there is no bus in between
            "time": None,
            "account": None,
            "region": None,
            "bus": None,
            "payload": validate_payload(spec, body, "messageBody", index),
            "spec": spec,
            "delivery": "fc-direct",
            "attributes": attributes,
            "block_business": flag(doc.get("blockBusiness")),
            "event_category_type": _optional_text(doc, "eventCategoryType", index),
            "extension_biz_id": _optional_text(doc, "extensionBizId", index),
            "_data": body,
        }
    )


def _rawdata(doc: Mapping[str, Any], index: int | None) -> DataWorksEvent:
    code = _payload_code(doc)
    spec = lookup_code(code) if code else None
    payload = validate_payload(spec, doc, "data", index)
    import hashlib  # RawData only (an opt-in delivery): not on every function's import path

    digest = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return make_event(
        {
            "message_id": f"rawdata-{digest}",
            "type": spec.type if spec is not None else None,
            "event_code": spec.event_code if spec is not None else code,
            "source": None,
            "time": None,
            "account": None,
            "region": None,
            "bus": None,
            "payload": payload,
            "spec": spec,
            "delivery": "rawdata",
            "attributes": {},
            "block_business": None,
            "event_category_type": None,
            "extension_biz_id": None,
            "_data": doc,
        }
    )


# --------------------------------------------------------------------------------------------
# Field readers
# --------------------------------------------------------------------------------------------


def _object(value: Any, where: str, index: int | None, not_json: str, *, blank_is_empty: bool) -> Any:
    """A payload slot that is not a dict: JSON text (parsed), null (empty when allowed), or an error."""
    if isinstance(value, (str, bytes, bytearray)):
        value = read_nested(value, where, index, what=not_json, blank_is_empty=blank_is_empty)
    elif value is None and blank_is_empty:
        return {}
    if not isinstance(value, Mapping):
        raise DecodeError(f"expected a JSON object, got {json_kind(value)}", location=where, index=index)
    return value


def _payload_code(data: Mapping[str, Any]) -> str | None:
    code = data.get("eventCode")
    return str(code) if isinstance(code, (str, int)) and not isinstance(code, bool) and str(code) else None


def _required_text(doc: Mapping[str, Any], key: str, index: int | None) -> str:
    value = doc.get(key)
    if value is None or value == "":
        raise DecodeError("required field is missing", location=key, index=index)
    if type(value) is str:
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DecodeError(f"expected a string, got {json_kind(value)}", location=key, index=index)
    return str(value)


def _optional_text(doc: Mapping[str, Any], key: str, index: int | None) -> str | None:
    value = doc.get(key)
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DecodeError(f"expected a string, got {json_kind(value)}", location=key, index=index)
    return str(value)


def flag(value: Any) -> bool | None:
    """``blockBusiness`` as a boolean: ``true`` / ``"true"`` (any case) → True, anything else sent →
    False, absent → None."""
    if value is None or isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == "true"


def parse_time(value: Any) -> datetime | None:
    """CloudEvent ``time`` (RFC 3339). Unparseable → None: a bad timestamp must not lose an event."""
    if type(value) is not str or not value:
        return None
    try:  # the usual form, read as is (Python 3.11 reads RFC 3339 "Z" too)
        parsed = _from_iso(value)
    except ValueError:
        text = value.strip().replace("Z", "+00:00")
        if text.endswith("PRC"):  # "2020-11-19T21:04:42.179PRC", as the docs show aliyunpublishtime
            text = text[:-3] + "+08:00"
        try:
            parsed = _from_iso(text)
        except ValueError:
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


_from_iso = datetime.fromisoformat
