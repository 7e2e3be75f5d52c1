"""The decoded event: envelope facts every handler needs, plus the typed payload."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import FrozenInstanceError
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic_core import from_json

from dwevents.catalogue import EventSpec, Kind, ReplyApi, category_of_type

if TYPE_CHECKING:  # the models are imported when the first event needs one, not with the envelope
    from dwevents.models.base import WireModel

#: How the event arrived: an EventBridge CloudEvent, the RawData schema (payload only), or the message
#: DataWorks sends when it invokes a function itself (FC-direct, answered by the return value).
Delivery = Literal["cloudevent", "rawdata", "fc-direct"]

#: The public fields, in constructor order.
FIELDS: tuple[str, ...] = (
    "message_id",
    "type",
    "event_code",
    "source",
    "time",
    "account",
    "region",
    "bus",
    "payload",
    "spec",
    "delivery",
    "attributes",
    "block_business",
    "event_category_type",
    "extension_biz_id",
    "data",
)


class DataWorksEvent:
    """One decoded event: the envelope facts every handler needs, plus the typed payload. Immutable.

    ``event_code`` is the catalogue code of the envelope's own ``type`` (CloudEvent) or ``eventType``
    (FC-direct), never the payload's ``eventCode``: the documented samples carry placeholders there
    (``"xxxx"``), and a payload must not move an event into another category. The payload's own value
    stays in ``payload.event_code``. An unknown CloudEvent type has no code (``None``) but keeps its
    :attr:`category`, the type's middle segment.

    ``delivery`` is ``fc-direct`` only for a message of the documented FC-direct shape (``messageId``,
    ``messageBody`` and ``eventType``, no CloudEvent attribute). Such a message carries no source or
    account, so the runtime accepts it only in the functions DataWorks invokes directly.

    ``attributes`` holds every envelope attribute as received (aliyun* and unknown ones included, not
    ``data``); ``data`` the ``data`` object (or ``messageBody``) as received, for patterns and audit.
    The common decoding path validates the payload straight from the bytes and keeps them: ``data`` is
    then read from them on first use (most events never look at their raw payload).
    """

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
    attributes: Mapping[str, Any]
    #: FC-direct only: ``blockBusiness`` / ``eventCategoryType`` / ``extensionBizId`` of the wrapper.
    block_business: bool | None
    event_category_type: str | None
    extension_biz_id: str | None
    _data: Mapping[str, Any] | tuple[Any, ...]

    def __init__(
        self,
        message_id: str,
        type: str | None,
        event_code: str | None,
        source: str | None,
        time: datetime | None,
        account: str | None,
        region: str | None,
        bus: str | None,
        payload: WireModel,
        spec: EventSpec | None,
        delivery: Delivery,
        attributes: Mapping[str, Any] | None = None,
        block_business: bool | None = None,
        event_category_type: str | None = None,
        extension_biz_id: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        self.__dict__.update(
            message_id=message_id,
            type=type,
            event_code=event_code,
            source=source,
            time=time,
            account=account,
            region=region,
            bus=bus,
            payload=payload,
            spec=spec,
            delivery=delivery,
            attributes={} if attributes is None else attributes,
            block_business=block_business,
            event_category_type=event_category_type,
            extension_biz_id=extension_biz_id,
            _data={} if data is None else data,
        )

    @property
    def data(self) -> Mapping[str, Any]:
        found = self._data
        if type(found) is tuple:  # (the JSON bytes, the path to the payload in them): read it now
            value: Any = from_json(found[0])
            for part in found[1:]:
                value = value[part]
            self.__dict__["_data"] = found = value
        return found  # type: ignore[return-value]

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable mappings inside: not hashable

    def __repr__(self) -> str:
        return (
            f"DataWorksEvent(message_id={self.message_id!r}, type={self.type!r}, "
            f"event_code={self.event_code!r}, delivery={self.delivery!r})"
        )

    @property
    def category(self) -> str | None:
        """The catalogue category; for an unknown ``dataworks:{Category}:{Action}`` type, its middle
        segment (so the runtime can treat it as an unknown event of that category)."""
        if self.spec is not None:
            return self.spec.category
        return category_of_type(self.type)

    @property
    def is_extension(self) -> bool:
        """Whether DataWorks is waiting for a verdict on this message."""
        if self.delivery == "fc-direct":
            return True
        return self.spec is not None and self.spec.is_extension

    @property
    def is_fc_direct(self) -> bool:
        """Delivered FC-direct: no source or account to check (see the class docstring)."""
        return self.delivery == "fc-direct"

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
        event = dict(self.attributes)
        event.setdefault("id", self.message_id)
        if self.source is not None:
            event.setdefault("source", self.source)
        if self.type is not None:
            event.setdefault("type", self.type)
        event["data"] = dict(self.data)
        return event

    def summary(self) -> dict[str, Any]:
        """The one-line JSON shape ``dwevents decode`` prints.

        Text is returned as decoded, lone surrogates included (JSON escapes them as ``\\udXXX``);
        writing it as UTF-8 is the caller's business (``json.dumps`` with the default ``ensure_ascii``).
        """
        spec = self.spec
        reply_api = self.reply_api
        return {
            "message_id": self.message_id,
            "type": self.type,
            "event_code": self.event_code,
            "module": spec.module.value if spec else None,
            "category": self.category,
            "level": spec.level.value if spec else None,
            "kind": spec.kind.value if spec else None,
            "reply_api": reply_api.value if reply_api else None,
            "payload": self.payload.to_wire(),
        }


_new = object.__new__
_set = object.__setattr__


def make_event(fields: dict[str, Any]) -> DataWorksEvent:
    """Build an event from a complete field dict (every name of :data:`FIELDS`, ``data`` as ``_data``:
    the mapping, or ``(json_bytes, *path)`` to read it on first use), which becomes the instance's
    ``__dict__`` as it is (no keyword handling, no copy). The caller hands the dict over."""
    event: DataWorksEvent = _new(DataWorksEvent)
    _set(event, "__dict__", fields)
    return event
