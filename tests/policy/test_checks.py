"""dwevents.policy.checks: each built-in check (freeze, code, limit, allow / deny) through the engine and
on its own, with the values its tip quotes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from dwevents.envelope import decode_one
from dwevents.local.dataworks.server import DataWorksApiStandIn
from dwevents.policy import (
    Enricher,
    FreezeCheck,
    check_freeze,
    code_text,
)
from dwevents.verdict import CheckResult, Verdict

from ..conftest import load_sample
from .conftest import (
    BACKFILL,
    COMMIT,
    CST,
    DOWNLOAD,
    DOWNLOAD_EXEC,
    START_DI,
    actions,
    engine,
    event,
    offline,
    rule,
)

# --------------------------------------------------------------------------------------------
# freeze: a lockdown calendar, evaluated against a fixed clock
# --------------------------------------------------------------------------------------------


def frozen_at(check: dict[str, Any], when: datetime) -> str | None:
    """The freeze reason at ``when`` through the engine (None when not frozen)."""
    eng = engine(
        rule("freeze", ["deploy-file"], {"freeze": check}, tip="{reason} @ {now}"), clock=lambda: when
    )
    verdict = eng.evaluate(event("FileChange/deploy-file"), offline())
    return verdict.tip if verdict.result is CheckResult.FAIL else None


def cst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CST)


@pytest.mark.parametrize(
    ("when", "frozen"),
    [
        (datetime(2026, 11, 10, 16, 0, tzinfo=timezone.utc), True),  # 11-11 00:00 in Shanghai
        (datetime(2026, 11, 10, 15, 59, tzinfo=timezone.utc), False),  # 11-10 23:59 in Shanghai
        (cst(2026, 11, 11, 23, 59), True),
        (cst(2026, 11, 12, 0, 0), False),
    ],
)
def test_given_a_freeze_date_when_now_is_that_local_day_then_fail(when: datetime, frozen: bool) -> None:
    tip = frozen_at({"dates": ["2026-11-11"]}, when)
    assert (tip is not None) == frozen
    if frozen:
        assert (
            tip
            == "2026-11-11 is a freeze date @ 2026-11-11 "
            + when.astimezone(CST).strftime("%H:%M")
            + " Asia/Shanghai"
        )


@pytest.mark.parametrize(
    ("when", "frozen"),
    [
        (cst(2026, 12, 23, 23, 59), False),
        (cst(2026, 12, 24, 0, 0), True),
        (cst(2027, 1, 3, 23, 59), True),
        (cst(2027, 1, 4, 0, 0), False),
    ],
)
def test_given_a_freeze_range_when_now_is_inside_both_ends_included_then_fail(
    when: datetime, frozen: bool
) -> None:
    tip = frozen_at({"ranges": [{"from": "2026-12-24", "to": "2027-01-03"}]}, when)
    assert (tip is not None) == frozen
    if frozen:
        assert tip is not None and tip.startswith("freeze from 2026-12-24 to 2027-01-03 @ ")


@pytest.mark.parametrize(
    ("when", "frozen"),
    [
        (cst(2026, 11, 27, 23, 59), False),
        (cst(2026, 11, 28, 0, 0), True),
        (cst(2026, 11, 29, 12, 0), True),
        (cst(2026, 11, 30, 0, 1), False),
    ],
    ids=["fri-night", "sat-midnight", "sun-noon", "mon"],
)
def test_given_weekend_weekdays_when_now_is_a_weekend_then_fail(when: datetime, frozen: bool) -> None:
    tip = frozen_at({"weekdays": ["Saturday", "SUN"]}, when)
    assert (tip is not None) == frozen
    if frozen:
        assert tip is not None and tip.startswith(f"no changes on {when.strftime('%a').lower()} @")


@pytest.mark.parametrize(
    ("hhmm", "frozen"),
    [
        ((21, 59), False),
        ((22, 0), True),
        ((23, 30), True),
        ((0, 0), True),
        ((5, 59), True),
        ((6, 0), True),
        ((6, 1), False),
        ((12, 0), False),
    ],
)
def test_given_a_daily_window_across_midnight_when_now_is_inside_then_fail(
    hhmm: tuple[int, int], frozen: bool
) -> None:
    tip = frozen_at({"windows": [{"from": "22:00", "to": "06:00"}]}, cst(2026, 6, 3, *hhmm))
    assert (tip is not None) == frozen
    if frozen:
        assert tip is not None and tip.startswith("inside a daily freeze window @ 2026-06-03 ")


@pytest.mark.parametrize(
    ("hhmm", "frozen"), [((11, 59), False), ((12, 0), True), ((13, 0), True), ((13, 1), False)]
)
def test_given_a_same_day_window_when_now_is_inside_then_fail(hhmm: tuple[int, int], frozen: bool) -> None:
    assert (
        frozen_at({"windows": [{"from": "12:00", "to": "13:00"}]}, cst(2026, 6, 3, *hhmm)) is not None
    ) == frozen


@pytest.mark.parametrize(
    ("when", "frozen"),
    [(cst(2026, 11, 27, 19, 0), True), (cst(2026, 11, 27, 17, 0), False), (cst(2026, 11, 26, 19, 0), False)],
    ids=["fri-evening", "fri-afternoon", "thu-evening"],
)
def test_given_weekdays_and_a_window_when_checked_then_both_must_hold(when: datetime, frozen: bool) -> None:
    tip = frozen_at({"weekdays": ["fri"], "windows": [{"from": "18:00", "to": "23:59"}]}, when)
    assert (tip is not None) == frozen


@pytest.mark.parametrize(
    ("zone", "utc_time", "frozen"),
    [
        ("UTC", datetime(2026, 11, 11, 0, 0, tzinfo=timezone.utc), True),
        ("UTC", datetime(2026, 11, 10, 23, 59, tzinfo=timezone.utc), False),
        ("Asia/Tokyo", datetime(2026, 11, 10, 15, 0, tzinfo=timezone.utc), True),  # 00:00 JST
        ("UTC+05:30", datetime(2026, 11, 10, 18, 29, tzinfo=timezone.utc), False),  # 23:59 IST
        ("UTC+05:30", datetime(2026, 11, 10, 18, 30, tzinfo=timezone.utc), True),  # 00:00 IST
        ("-03:00", datetime(2026, 11, 11, 2, 59, tzinfo=timezone.utc), False),
        ("America/New_York", datetime(2026, 11, 11, 4, 59, tzinfo=timezone.utc), False),  # 23:59 EST
        ("America/New_York", datetime(2026, 11, 11, 5, 0, tzinfo=timezone.utc), True),
    ],
)
def test_given_a_time_zone_when_checking_a_date_then_the_local_day_counts(
    zone: str, utc_time: datetime, frozen: bool
) -> None:
    assert (frozen_at({"timezone": zone, "dates": ["2026-11-11"]}, utc_time) is not None) == frozen


def test_given_several_reasons_when_frozen_then_the_reason_lists_them_all() -> None:
    check = FreezeCheck.model_validate({"dates": ["2026-11-28"], "weekdays": ["sat"]})
    failure = check_freeze(check, cst(2026, 11, 28, 10, 0))
    assert failure is not None
    assert failure.values["reason"] == "2026-11-28 is a freeze date; no changes on sat"


# --------------------------------------------------------------------------------------------
# code: patterns over the snapshot GetIDEEventDetail returns
# --------------------------------------------------------------------------------------------

SQL = (
    "-- daily orders\n"
    "INSERT OVERWRITE TABLE t PARTITION (ds)\n"
    "  SELECT * FROM ods WHERE ds = MAX_PT('ods');\n"
)


def test_given_a_denied_pattern_in_the_code_when_evaluated_then_the_tip_quotes_line_and_number(
    standin: DataWorksApiStandIn, online: Callable[..., Enricher]
) -> None:
    # GIVEN the committed code has MAX_PT on line 3
    ev = event(COMMIT)
    standin.set_file_content(ev.message_id, SQL)
    eng = engine(
        rule(
            "no-max-pt",
            ["commit-file"],
            {"code": {"deny": [r"\bmax_pt\s*\("]}},
            tip="line {line_no}: {line} ({match})",
        )
    )
    # WHEN evaluated
    verdict = eng.evaluate(ev, online())
    # THEN FAIL, quoting the stripped line, its number and the match
    assert verdict == Verdict(
        CheckResult.FAIL,
        "line 3: SELECT * FROM ods WHERE ds = MAX_PT('ods'); (MAX_PT()",
        "no-max-pt",
        "policy",
    )
    # the snapshot for the code check, then (the rule fails) the extension's parameters
    assert actions(standin) == ["GetIDEEventDetail", "GetExtension"]
    detail = next(r for r in standin.requests if r.action == "GetIDEEventDetail")
    assert detail.params["MessageId"] == ev.message_id and detail.params["ProjectId"] == "42"


def test_given_ignore_case_false_when_the_case_differs_then_no_match(
    standin: DataWorksApiStandIn, online: Callable[..., Enricher]
) -> None:
    ev = event(COMMIT)
    standin.set_file_content(ev.message_id, SQL)
    eng = engine(rule("strict", ["commit-file"], {"code": {"deny": [r"max_pt\("], "ignore_case": False}}))
    assert eng.evaluate(ev, online()).result is CheckResult.OK


@pytest.mark.parametrize(
    ("content", "result"), [("SELECT 1;\n-- owner: data-team\n", "OK"), ("SELECT 1;", "WARN")]
)
def test_given_a_required_pattern_when_missing_then_the_rule_fails_with_the_reason(
    content: str, result: str, standin: DataWorksApiStandIn, online: Callable[..., Enricher]
) -> None:
    ev = event(COMMIT)
    standin.set_file_content(ev.message_id, content)
    eng = engine(
        rule(
            "owner-header",
            ["commit-file"],
            {"code": {"require": [r"^--\s*owner:"]}},
            verdict="WARN",
            tip="{reason}",
        )
    )
    verdict = eng.evaluate(ev, online())
    assert verdict.result.value == result
    if result == "WARN":
        assert verdict.tip == "required pattern '^--\\\\s*owner:' not found"


@pytest.mark.parametrize(("life_cycle", "result"), [(30, "OK"), (None, "FAIL")])
def test_given_a_table_model_when_checked_then_it_is_matched_as_ddl_like_text(
    life_cycle: int | None, result: str, standin: DataWorksApiStandIn, online: Callable[..., Enricher]
) -> None:
    ev = event("TableChange/commit-table")
    standin.set_table_model(
        ev.message_id, "dim_customer", [("id", "BIGINT", "key", False), ("ds", "STRING", "day", True)]
    )
    if life_cycle is None:  # a table without a lifecycle
        detail = {"TableModel": {"TableName": "dim_customer", "Columns": []}}
        standin.set_event_detail(ev.message_id, detail)
    eng = engine(
        rule(
            "lifecycle",
            ["commit-table"],
            {"code": {"require": [r"LIFECYCLE\s+\d+"]}},
            tip="Table {data.tableName} must declare a lifecycle",
        )
    )
    verdict = eng.evaluate(ev, online())
    assert verdict.result.value == result
    if result == "FAIL":
        assert verdict.tip == "Table dim_customer must declare a lifecycle"


def test_code_text_renders_each_snapshot_kind() -> None:
    assert code_text({"DeletedFile": {"Content": "rm -rf /"}}) == "rm -rf /"
    assert code_text({"FileExecutionCommand": {"Content": "select 2"}}) == "select 2"
    text = code_text(
        {
            "TableModel": {
                "TableName": "t",
                "LifeCycle": 7,
                "Comment": "c",
                "Columns": [
                    {"ColumnName": "ds", "ColumnType": "STRING", "IsPartitionColumn": True, "Comment": "day"}
                ],
            }
        }
    )
    assert text.splitlines() == ["TABLE t COMMENT 'c' LIFECYCLE 7", "  ds STRING PARTITION COMMENT 'day'"]
    assert code_text({}) == ""


# --------------------------------------------------------------------------------------------
# limit: data.<field> and derived values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "field", "bound", "result", "value"),
    [
        (DOWNLOAD, "data.dataRowSize", {"max": 100000}, "FAIL", "123456"),  # a string on the wire
        (DOWNLOAD, "data.dataRowSize", {"max": 123456}, "OK", None),  # the bound itself passes
        (DOWNLOAD, "download_rows", {"max": 100000}, "FAIL", "123456"),
        (DOWNLOAD, "download_rows", {"min": 200000}, "FAIL", "123456"),
        (DOWNLOAD_EXEC, "file_size_mb", {"max": 9}, "FAIL", "9.77"),
        (DOWNLOAD_EXEC, "file_size_mb", {"max": 10}, "OK", None),
        # periods 05-01..05-10 and 05-20..05-31: the span from the first to the last day, both counted
        (BACKFILL, "backfill_days", {"max": 30}, "FAIL", "31"),
        (BACKFILL, "backfill_days", {"max": 31}, "OK", None),
        (BACKFILL, "node_count", {"max": 1}, "FAIL", "2"),
        ("NodeChange/freeze-node", "node_count", {"max": 1}, "FAIL", "2"),
        (DOWNLOAD, "data.noSuchField", {"max": 1}, "OK", None),  # absent → nothing to bound
    ],
)
def test_given_a_limit_when_the_value_is_out_of_bounds_then_the_tip_quotes_value_and_limit(
    sample: str, field: str, bound: dict[str, float], result: str, value: str | None
) -> None:
    ev = event(sample)
    eng = engine(
        rule(
            "lim",
            [ev.event_code or ""],
            {"limit": {"field": field, **bound}},
            tip="{value} vs {bound} {limit}",
        )
    )
    verdict = eng.evaluate(ev, offline())
    assert verdict.result.value == result
    if value is not None:
        name, limit = next(iter(bound.items()))
        assert verdict.tip == f"{value} vs {name} {int(limit)}"


@pytest.mark.parametrize(
    ("periods", "days"),
    [
        ([("2024-01-01", "2024-03-31")], "91"),
        ([("2024-03-01", "2024-03-05"), ("2024-01-01", "2024-01-05")], "65"),  # first to last day, leap year
    ],
    ids=["one-quarter", "two-weeks-apart"],
)
def test_given_adapted_backfill_periods_when_limited_then_the_days_follow_the_periods(
    periods: list[tuple[str, str]], days: str
) -> None:
    text = json.dumps([{"bizBeginTime": b, "bizEndTime": e} for b, e in periods])
    ev = event(BACKFILL, multipleTimePeriods=text)
    eng = engine(
        rule("days", ["backfill-data"], {"limit": {"field": "backfill_days", "max": 31}}, tip="{value}")
    )
    assert eng.evaluate(ev, offline()).tip == days


# --------------------------------------------------------------------------------------------
# allow / deny: globs over operator, workspace, table, data source, data.<field>
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "kind", "field", "values", "failing"),
    [
        (COMMIT, "allow", "operator", ["2079*"], None),
        (COMMIT, "allow", "operator", ["1000*", "42"], "207947397706614299"),
        (COMMIT, "deny", "operator", ["207947397706614299"], "207947397706614299"),
        (COMMIT, "deny", "workspace", ["4?"], "42"),
        (COMMIT, "deny", "workspace", ["1001", "20*"], None),
        (COMMIT, "allow", "workspace", ["42"], None),
        (START_DI, "deny", "table", ["ods_*"], "ods_orders_116"),
        (START_DI, "deny", "table", ["ODS_*"], None),  # globs are case-sensitive
        (START_DI, "allow", "table", ["orders_*", "ods_orders_*"], None),
        (START_DI, "allow", "table", ["orders_*"], "ods_orders_116"),
        (START_DI, "deny", "datasource", ["mysql_*_prod"], "mysql_orders_prod"),
        (START_DI, "allow", "datasource", ["odps_first"], "mysql_orders_prod"),
        (DOWNLOAD, "deny", "data.queryDwProjectName", ["dw_*"], "dw_sales"),
    ],
)
def test_given_a_list_check_when_a_subject_is_outside_it_then_the_tip_names_the_subject(
    sample: str, kind: str, field: str, values: list[str], failing: str | None
) -> None:
    ev = event(sample)
    eng = engine(
        rule("list", [ev.event_code or ""], {kind: {"field": field, "values": values}}, tip="{field}={value}")
    )
    verdict = eng.evaluate(ev, offline())
    if failing is None:
        assert verdict.result is CheckResult.OK
    else:
        assert (verdict.result, verdict.tip) == (CheckResult.FAIL, f"{field}={failing}")


def test_given_a_when_pattern_when_it_does_not_match_then_the_rule_does_not_apply() -> None:
    deny_all = {"deny": {"field": "workspace", "values": ["*"]}}
    eng = engine(rule("only-43", ["commit-file"], deny_all, when={"data": {"projectId": [43]}}))
    assert eng.evaluate(event(COMMIT), offline()).result is CheckResult.OK
    assert eng.evaluate(event(COMMIT, projectId=43), offline()).result is CheckResult.FAIL



# --------------------------------------------------------------------------------------------
# Overnight windows anchored to a day; allow-lists fail closed
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_time", "frozen"),
    [
        ("2026-11-27 23:00", True),
        ("2026-11-28 01:00", True),
        ("2026-11-27 01:00", False),
        ("2026-11-28 07:00", False),
    ],
    ids=["fri-evening", "sat-small-hours", "fri-small-hours", "sat-morning"],
)
def test_given_an_overnight_window_on_a_weekday_then_it_runs_from_that_evening_into_the_next_morning(
    local_time: str, frozen: bool
) -> None:
    from datetime import datetime, timezone

    from dwevents.policy import FreezeCheck, check_freeze

    # GIVEN "Fridays from 22:00 to 06:00" (2026-11-27 is a Friday)
    check = FreezeCheck.model_validate({"weekdays": ["fri"], "windows": [{"from": "22:00", "to": "06:00"}]})
    now = datetime.fromisoformat(local_time).replace(tzinfo=timezone(timedelta(hours=8)))
    # WHEN checked THEN Saturday 01:00 is inside Friday's window, Friday 01:00 is not
    assert (check_freeze(check, now) is not None) is frozen


def test_given_an_allow_list_and_no_subject_then_the_check_fails_closed() -> None:
    from dwevents.policy import ListCheck, check_list

    # GIVEN an operator allow-list and an event that names no operator
    event = load_sample("NodeChange/freeze-node")
    event["data"].pop("operator", None)
    decoded = decode_one(json.dumps(event))
    # WHEN checked THEN it fails (an allow-list cannot pass what it cannot see)
    failure = check_list(ListCheck(field="operator", values=["*"]), decoded, allow=True)
    assert failure is not None and failure.values["value"] == "(unknown)"

