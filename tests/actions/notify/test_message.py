"""The values routing hands to the channels (dwevents.actions.notify.message)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from dwevents.actions.notify import Notification, SendResult
from dwevents.actions.notify.message import footer, headline, truncate, truncate_bytes


def test_notification_rejects_an_unknown_severity() -> None:
    with pytest.raises(ValueError, match="severity"):
        Notification(title="t", text="x", severity="fatal", event_type=None, message_id="m")  # type: ignore[arg-type]


def test_headline_leads_with_the_severity_and_footer_names_the_event() -> None:
    # GIVEN a warning about one event
    n = Notification(title="Rule fired", text="x", severity="warning", event_type="dataworks:X:Y",
                     message_id="m-1")
    # THEN a chat preview shows the severity first, and the footer lets a reader find the event
    assert headline(n) == "[WARNING] Rule fired"
    assert footer(n) == "event: dataworks:X:Y · id: m-1"


def test_truncation_marks_the_cut_and_never_splits_a_character() -> None:
    assert truncate("abcdef", 4) == "abc…" and truncate("abc", 4) == "abc"
    cut = truncate_bytes("数据" * 10, 10)
    assert len(cut.encode("utf-8")) <= 10 and cut.endswith("…") and cut.startswith("数据")


def test_delivery_as_dict_is_json_ready() -> None:
    delivery = SendResult("ops", "slack", True, 1, 200, None, datetime(2026, 1, 1, tzinfo=timezone.utc))
    report = json.loads(json.dumps(delivery.as_dict()))
    assert report == {"channel": "ops", "kind": "slack", "ok": True, "attempts": 1, "status": 200,
                      "error": None, "sent_at": "2026-01-01T00:00:00+00:00"}
