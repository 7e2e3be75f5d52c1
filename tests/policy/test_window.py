"""The allowed-window check ("only between … and …, in a timezone"): on its own, through the engine with a
fixed clock, and its schema errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from dwevents.errors import ConfigError
from dwevents.policy import WindowCheck, check_window
from dwevents.verdict import CheckResult

from .conftest import COMMIT, CST, engine, event, offline, rule

OFFICE = {"between": {"from": "10:00", "to": "18:00"}, "weekdays": ["mon", "tue", "wed", "thu", "fri"]}
WED = datetime(2026, 11, 25, tzinfo=CST)  # a Wednesday
SAT = datetime(2026, 11, 28, tzinfo=CST)


def at(day: datetime, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return day.replace(hour=hh, minute=mm, second=ss)


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (at(WED, 10), True),  # from is inclusive
        (at(WED, 17, 59, 59), True),
        (at(WED, 18), False),  # to is exclusive
        (at(WED, 9, 59, 59), False),
        (at(SAT, 12), False),  # inside the hours, not on an allowed day
    ],
    ids=["opens-at-10", "last-second", "closed-at-18", "before-10", "saturday-noon"],
)
def test_given_office_hours_then_only_weekdays_10_to_18_are_allowed(now: datetime, allowed: bool) -> None:
    failure = check_window(WindowCheck.model_validate(OFFICE), now)
    assert (failure is None) is allowed


def test_given_a_time_in_another_zone_then_it_is_judged_in_the_checks_timezone() -> None:
    # 02:30 UTC on a Wednesday is 10:30 in Shanghai: inside
    assert (
        check_window(WindowCheck.model_validate(OFFICE), datetime(2026, 11, 25, 2, 30, tzinfo=timezone.utc))
        is None
    )
    # 12:00 UTC is 20:00 in Shanghai: outside, and the failure says when, in that zone
    failure = check_window(
        WindowCheck.model_validate(OFFICE), datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    )
    assert failure is not None
    assert failure.values["now"] == "2026-11-25 20:00 Asia/Shanghai"
    assert (
        failure.values["reason"]
        == "outside the allowed window 10:00-18:00 on mon,tue,wed,thu,fri (Asia/Shanghai)"
    )


def test_given_an_overnight_window_then_it_belongs_to_the_day_it_starts_on() -> None:
    # GIVEN maintenance allowed Friday 22:00 to Saturday 06:00 only
    check = WindowCheck.model_validate({"between": {"from": "22:00", "to": "06:00"}, "weekdays": ["fri"]})
    friday = datetime(2026, 11, 27, tzinfo=CST)
    # THEN Friday 23:00 and Saturday 05:00 are inside; Friday 05:00 (Thursday's night) and Saturday 23:00 not
    assert check_window(check, at(friday, 23)) is None
    assert check_window(check, at(SAT, 5)) is None
    assert check_window(check, at(friday, 5)) is not None
    assert check_window(check, at(SAT, 23)) is not None


def test_given_weekdays_alone_then_whole_days_are_allowed() -> None:
    check = WindowCheck.model_validate({"weekdays": ["sat", "sun"], "timezone": "UTC"})
    assert check_window(check, datetime(2026, 11, 28, 23, 59, tzinfo=timezone.utc)) is None
    failure = check_window(check, datetime(2026, 11, 27, 12, tzinfo=timezone.utc))
    assert failure is not None and failure.values["window"] == "all day on sat,sun (UTC)"


def test_given_several_windows_then_any_of_them_allows() -> None:
    check = WindowCheck.model_validate(
        {"between": [{"from": "09:00", "to": "11:00"}, {"from": "14:00", "to": "16:00"}]}
    )
    assert check_window(check, at(WED, 15)) is None
    assert check_window(check, at(WED, 12)) is not None


def test_given_a_rule_with_an_allowed_window_then_the_engine_fails_outside_and_quotes_it() -> None:
    # GIVEN "commits only in office hours" judged at Wednesday 19:30 and at Wednesday 11:00
    tip = "Commits only {window}; it is {now}."
    made: dict[str, Any] = rule("office-hours", ["commit-file"], {"window": OFFICE}, tip=tip)
    late = engine(made, clock=lambda: at(WED, 19, 30)).evaluate(event(COMMIT), offline())
    morning = engine(made, clock=lambda: at(WED, 11)).evaluate(event(COMMIT), offline())
    # THEN FAIL with the rule and the window in the tip; OK in the morning
    assert (late.result, late.rule) == (CheckResult.FAIL, "office-hours")
    assert late.tip == (
        "Commits only 10:00-18:00 on mon,tue,wed,thu,fri (Asia/Shanghai); "
        "it is 2026-11-25 19:30 Asia/Shanghai."
    )
    assert morning.result is CheckResult.OK


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({}, "an allowed window needs between or weekdays"),
        ({"between": {"from": "10:00", "to": "10:00"}}, "window 10:00-10:00 is empty"),
        ({"between": {"from": "9:00", "to": "18:00"}}, "expected HH:MM"),
        (
            {"between": {"from": "10:00", "to": "18:00"}, "timezone": "Mars/Base"},
            "unknown time zone 'Mars/Base'",
        ),
        ({"weekdays": ["funday"]}, "unknown weekday 'funday'"),
        ({"between": {"from": "10:00", "to": "18:00"}, "days": ["mon"]}, "days: unknown key"),
    ],
    ids=["nothing", "empty", "bad-hhmm", "bad-zone", "bad-weekday", "unknown-key"],
)
def test_given_a_broken_window_then_the_error_names_the_rule_and_the_key(
    window: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        engine(rule("office-hours", ["deploy-file"], {"window": window}))
    text = str(info.value)
    assert "test-rules.yaml" in text and "rules[0] (office-hours)" in text and message in text


def test_given_a_window_and_a_freeze_in_one_check_then_exactly_one_is_required() -> None:
    with pytest.raises(ConfigError, match="exactly one check of freeze, window, code"):
        engine(rule("both", ["deploy-file"], {"window": OFFICE, "freeze": {"weekdays": ["sat"]}}))


def test_a_fixed_offset_timezone_is_accepted() -> None:
    check = WindowCheck.model_validate({"between": {"from": "10:00", "to": "18:00"}, "timezone": "+09:00"})
    assert check_window(check, datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc)) is None  # 10:30 in +09:00
    assert (
        check_window(check, datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc) - timedelta(hours=1))
        is not None
    )
