"""Which events a function accepts: source, account, its own category, and the FC-direct path.

Why each check:

* **source and account** (CloudEvents): EventBridge rules can be widened by mistake; an event from
  another account or service must not get a verdict or an alert in ours.
* **category from the envelope's own field**: a CloudEvent's ``type`` (an FC-direct message's
  ``eventType``) decides which function an event belongs to. A payload ``eventCode`` never moves an
  event into another category: ``dataworks:NodeChange:NotARealAction`` with ``eventCode: commit-file``
  is not a FileChange event.
* **FC-direct** messages (``messageId`` / ``messageBody``) carry no source or account: only the
  functions DataWorks invokes directly (ResourcesDownload, ResourcesUpload) accept them, and only for
  the event codes the catalogue marks ``fc_direct``. The DataWorks "Event list and message format"
  page says the FC-direct path serves the data download pre-event, while its own FC-direct sample is
  the upload event (``upload-data-to-table``); the catalogue marks both.
"""

from __future__ import annotations

from dwevents.catalogue import CATALOGUE, lookup
from dwevents.config import TrustConfig
from dwevents.envelope import DataWorksEvent
from dwevents.errors import RefusedEventError

#: FC-direct event codes, per function: the catalogue's ``fc_direct`` entries (see the module docstring).
FC_DIRECT_EVENT_CODES: dict[str, frozenset[str]] = {
    category: frozenset(s.event_code for s in CATALOGUE if s.fc_direct and s.category == category)
    for category in dict.fromkeys(s.category for s in CATALOGUE if s.fc_direct)
}


def envelope_category(event: DataWorksEvent) -> str | None:
    """The category the envelope's own type field names (None when it names none)."""
    if event.delivery == "fc-direct":
        code = event.attributes.get("eventType")
        spec = lookup(None, str(code)) if isinstance(code, str) else None
        return spec.category if spec is not None else None
    if event.delivery == "rawdata":
        return event.spec.category if event.spec is not None else None
    raw_type = event.attributes.get("type")
    if isinstance(raw_type, str) and raw_type.count(":") == 2:
        return raw_type.split(":")[1]
    return None


def is_unknown_blocking_direct(event: DataWorksEvent, category: str) -> bool:
    """An FC-direct message to this function whose ``eventType`` is not in the catalogue but which says
    ``blockBusiness: true``: DataWorks waits, so it gets the fail-mode verdict as the return value."""
    return (
        event.delivery == "fc-direct"
        and category in FC_DIRECT_EVENT_CODES
        and envelope_category(event) is None
        and event.block_business is True
    )


def check_trust(event: DataWorksEvent, *, trust: TrustConfig, category: str, account_id: str | None) -> None:
    """Raise :class:`RefusedEventError` (naming why) unless ``event`` is for this function."""
    if event.delivery == "fc-direct":
        _check_fc_direct(event, category)
        return
    if event.delivery == "rawdata" and not trust.allow_rawdata:
        raise RefusedEventError(
            "RawData delivery carries no source or account to verify; use the "
            "CloudEvents schema or set trust.allow_rawdata"
        )
    if event.delivery == "cloudevent":
        if event.source not in trust.allowed_sources:
            raise RefusedEventError(
                f"source {event.source!r} is not allowed (expected {', '.join(trust.allowed_sources)})"
            )
        allowed = set(trust.allowed_accounts) or ({account_id} if account_id else set())
        if not allowed:
            raise RefusedEventError(
                "no account to check the event against: set trust.allowed_accounts "
                "or DWEVENTS_ALLOWED_ACCOUNTS"
            )
        if event.account not in allowed:
            raise RefusedEventError(f"account {event.account!r} is not allowed")
    own = envelope_category(event)
    if own is None:
        raise RefusedEventError(f"type {event.attributes.get('type')!r} names no DataWorks category")
    if own != category:
        raise RefusedEventError(f"type {event.type!r} belongs to the {own} function, not {category}")
    if event.spec is not None and event.spec.category != own:
        raise RefusedEventError(
            f"type {event.type!r} is not a {event.spec.category} event, whatever its eventCode says"
        )


def _check_fc_direct(event: DataWorksEvent, category: str) -> None:
    codes = FC_DIRECT_EVENT_CODES.get(category)
    if codes is None:
        raise RefusedEventError(
            f"FC-direct messages are accepted only by {' and '.join(FC_DIRECT_EVENT_CODES)}, not {category}"
        )
    event_type = event.attributes.get("eventType")
    spec = lookup(None, str(event_type)) if isinstance(event_type, str) else None
    if spec is None:
        raise RefusedEventError(f"FC-direct eventType {event_type!r} is not a known DataWorks event")
    if spec.event_code not in codes:
        raise RefusedEventError(
            f"FC-direct eventType {event_type!r} is not sent to {category} "
            f"(expected {', '.join(sorted(codes))})"
        )
