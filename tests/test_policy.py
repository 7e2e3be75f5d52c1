"""dwevents.policy: the rules schema, each built-in check, verdict precedence, tips, DataWorks'
extension parameters and enrichment (GetExtension / GetIDEEventDetail / GetOptionValueForProject)
against the stand-in."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from dwevents.dataworks import DataWorksClient, DataWorksSettings
from dwevents.envelope import DataWorksEvent, decode_one
from dwevents.errors import ConfigError
from dwevents.local.dataworks_api import DataWorksApiStandIn
from dwevents.policy import (
    Enricher,
    ExtensionParamCache,
    FreezeCheck,
    PolicyEngine,
    check_freeze,
    code_text,
    disabled_by_params,
    parse_parameter_setting,
)
from dwevents.runtime import FunctionApp
from dwevents.verdict import CheckResult, Verdict

from .conftest import SAMPLE_ACCOUNT, load_sample

EXT = "ext-test"
COMMIT = "FileChange/commit-file"
DOWNLOAD = "ResourcesDownload/download-resources"
DOWNLOAD_EXEC = "ResourcesDownload/download-resources-execute"
BACKFILL = "BackfillDataOperate/backfill-data"
START_DI = "NodeChange/start-diJob"
CST = timezone(timedelta(hours=8))


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def rules_yaml(*rules: dict[str, Any]) -> str:
    return yaml.safe_dump({"version": 1, "rules": list(rules)}, sort_keys=False)


def rule(
    name: str,
    events: list[str],
    check: dict[str, Any],
    verdict: Any = "FAIL",
    tip: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "events": events, "check": check, "verdict": verdict, **extra}
    if tip is not None:
        out["tip"] = tip
    return out


def engine(*rules: dict[str, Any], **kwargs: Any) -> PolicyEngine:
    return PolicyEngine.from_yaml(rules_yaml(*rules), source="test-rules.yaml", **kwargs)


def event(name: str, **data: Any) -> DataWorksEvent:
    doc = copy.deepcopy(load_sample(name))
    doc["data"].update(data)
    return decode_one(json.dumps(doc))


def _no_dataworks() -> DataWorksClient:
    raise AssertionError("this evaluation must not call DataWorks")


def offline() -> Enricher:
    """No extension code and no client: any DataWorks call fails the test."""
    return Enricher(_no_dataworks, None, ExtensionParamCache(ttl_s=300), deadline=time.monotonic() + 10)


@pytest.fixture()
def online(standin: DataWorksApiStandIn) -> Callable[..., Enricher]:
    """Enrichers that call the stand-in through the real SDK (one client shared by the test)."""
    client = DataWorksClient(DataWorksSettings.from_env(environ=standin.client_env()))
    cache = ExtensionParamCache(ttl_s=300)

    def make(code: str | None = EXT) -> Enricher:
        return Enricher(lambda: client, code, cache, deadline=time.monotonic() + 10)

    return make


def actions(standin: DataWorksApiStandIn) -> list[str]:
    return [r.action for r in standin.requests]


# --------------------------------------------------------------------------------------------
# rules file validation: errors name the rule and the key
# --------------------------------------------------------------------------------------------

GOOD = {"name": "ok-rule", "events": ["commit-file"], "check": {"code": {"deny": ["x"]}}}


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (
            [GOOD, rule("no-max-pt", ["commit-file"], {"code": {"deny": ["max_pt(("]}})],
            "rules[1] (no-max-pt): check.code.deny: [0] invalid regular expression 'max_pt(('",
        ),
        (
            [rule("typo", ["commit-fiel"], {"code": {"deny": ["x"]}})],
            "rules[0] (typo): events: unknown eventCode 'commit-fiel'",
        ),
        (
            [rule("regular", ["instance-status-changes"], {"code": {"deny": ["x"]}})],
            "rules[0] (regular): events: 'instance-status-changes' is a regular event",
        ),
        (
            [
                rule(
                    "two",
                    ["commit-file"],
                    {"code": {"deny": ["x"]}, "limit": {"field": "node_count", "max": 1}},
                )
            ],
            "rules[0] (two): check: exactly one check of freeze, code, limit, allow, deny is required; "
            "got code, limit",
        ),
        ([rule("none", ["commit-file"], {})], "rules[0] (none): check: exactly one check"),
        ([{**GOOD, "name": "extra", "severity": "high"}], "rules[0] (extra): severity: unknown key"),
        (
            [rule("deep", ["commit-file"], {"code": {"deny": ["x"], "flags": "i"}})],
            "rules[0] (deep): check.code.flags: unknown key",
        ),
        (
            [rule("wd", ["deploy-file"], {"freeze": {"weekdays": ["sat", "funday"]}})],
            "rules[0] (wd): check.freeze.weekdays: unknown weekday 'funday'; use mon..sun",
        ),
        (
            [rule("tm", ["deploy-file"], {"freeze": {"windows": [{"from": "22:00", "to": "24:00"}]}})],
            "rules[0] (tm): check.freeze.windows.0.to: expected HH:MM, got '24:00'",
        ),
        (
            [rule("tz", ["deploy-file"], {"freeze": {"timezone": "Mars/Olympus", "weekdays": ["sat"]}})],
            "rules[0] (tz): check.freeze.timezone: unknown time zone 'Mars/Olympus'",
        ),
        (
            [
                rule(
                    "rng",
                    ["deploy-file"],
                    {"freeze": {"ranges": [{"from": "2026-02-01", "to": "2026-01-01"}]}},
                )
            ],
            "rules[0] (rng): check.freeze.ranges.0: 'to' is before 'from'",
        ),
        (
            [rule("empty-freeze", ["deploy-file"], {"freeze": {"timezone": "UTC"}})],
            "rules[0] (empty-freeze): check.freeze: a freeze needs dates, ranges, weekdays or windows",
        ),
        (
            [rule("lim", ["download-resources"], {"limit": {"field": "rows", "max": 1}})],
            "rules[0] (lim): check.limit: field 'rows': use data.<wireName> or one of backfill_days",
        ),
        (
            [rule("nobound", ["download-resources"], {"limit": {"field": "download_rows"}})],
            "rules[0] (nobound): check.limit: a limit needs min or max",
        ),
        (
            [rule("who", ["commit-file"], {"allow": {"field": "user", "values": ["x"]}})],
            "rules[0] (who): check.allow: field 'user': use data.<wireName> or one of datasource, operator",
        ),
        (
            [rule("noval", ["commit-file"], {"deny": {"field": "operator", "values": []}})],
            "rules[0] (noval): check.deny: values must not be empty",
        ),
        (
            [rule("vd", ["commit-file"], {"code": {"deny": ["x"]}}, verdict="BLOCK")],
            "rules[0] (vd): verdict: Input should be 'WARN' or 'FAIL'",
        ),
        (
            [rule("noev", [], {"code": {"deny": ["x"]}})],
            "rules[0] (noev): events: at least one eventCode is required",
        ),
        ([{"events": ["commit-file"], "check": {"code": {"deny": ["x"]}}}], "rules[0]: name: Field required"),
    ],
    ids=[
        "bad-regex",
        "unknown-eventCode",
        "regular-event",
        "two-checks",
        "no-check",
        "unknown-key",
        "unknown-key-in-check",
        "bad-weekday",
        "bad-time",
        "bad-zone",
        "range-reversed",
        "empty-freeze",
        "limit-field-unknown",
        "limit-without-bounds",
        "list-field-unknown",
        "empty-values",
        "bad-verdict",
        "no-events",
        "no-name",
    ],
)
def test_given_an_invalid_rule_when_loaded_then_the_error_names_the_file_rule_and_key(
    rules: list[dict[str, Any]], expected: str
) -> None:
    # GIVEN a rules file with one mistake WHEN it is loaded
    with pytest.raises(ConfigError) as info:
        PolicyEngine.from_yaml(rules_yaml(*rules), source="my-rules.yaml")
    # THEN the message starts with the file and names the rule (index and name) and the key
    message = str(info.value)
    assert message.startswith("my-rules.yaml: ")
    assert expected in message


def test_given_two_rules_with_one_name_when_loaded_then_the_duplicate_is_named() -> None:
    with pytest.raises(ConfigError, match=r"duplicate rule name 'same'"):
        engine(
            rule("same", ["commit-file"], {"code": {"deny": ["a"]}}),
            rule("other", ["commit-file"], {"code": {"deny": ["b"]}}),
            rule("same", ["deploy-file"], {"code": {"deny": ["c"]}}),
        )


def test_given_a_bad_when_pattern_when_loaded_then_the_rule_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        engine(rule("w", ["commit-file"], {"code": {"deny": ["x"]}}, when={"data": {"projectId": 42}}))
    assert "rules[0] (w)" in str(info.value) and "when:" in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules:\n  - name: r1\n    events: [commit-file\n    check: {}\n", "not valid YAML at line 4"),
        ("rules:\n  - name: r1\n\tevents: [commit-file]\n", "not valid YAML at line 3"),
        ("- just\n- a list\n", "expected a mapping with 'rules'"),
        ("version: 2\nrules: []\n", "version: Input should be 1"),
    ],
    ids=["unclosed-flow", "tab-indent", "top-level-list", "version"],
)
def test_given_a_file_that_is_not_a_rules_mapping_when_loaded_then_config_error_with_the_line(
    text: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=r"bad\.yaml: ") as info:
        PolicyEngine.from_yaml(text, source="bad.yaml")
    assert expected in str(info.value)


def test_given_an_impossible_unquoted_date_when_loaded_then_config_error_not_a_bare_value_error() -> None:
    text = "rules:\n  - name: xmas\n    events: [deploy-file]\n    check: {freeze: {dates: [2026-02-30]}}\n"
    with pytest.raises(ConfigError, match=r"frozen\.yaml"):
        PolicyEngine.from_yaml(text, source="frozen.yaml")


def test_given_a_missing_rules_file_when_loaded_then_config_error_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read rules file"):
        PolicyEngine.load(path)


def _shipped() -> list[str]:
    folder = resources.files("dwevents").joinpath("data/rules")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml"))


@pytest.mark.parametrize("name", _shipped())
def test_given_a_shipped_rules_file_when_loaded_then_it_validates_and_has_rules(name: str) -> None:
    path = resources.files("dwevents").joinpath(f"data/rules/{name}")
    with resources.as_file(path) as real:
        loaded = PolicyEngine.load(real)
    assert loaded.rules, f"{name} has no rules"
    assert all(r.rule.events for r in loaded.rules)


def test_the_gallery_is_complete_and_the_default_is_what_load_none_reads() -> None:
    assert set(_shipped()) >= {
        "default.yaml",
        "change-freeze.yaml",
        "forbidden-sql.yaml",
        "download-limits.yaml",
        "protected-workspaces.yaml",
        "backfill-limits.yaml",
        "dq-rule-protection.yaml",
    }
    default = PolicyEngine.load(None)
    assert default.source == "default rules"
    assert [r.rule.name for r in default.rules] == [
        "no-max-pt",
        "large-download",
        "workspace-deletion-review",
    ]


def test_given_events_named_by_type_when_loaded_then_they_are_normalised_to_event_codes() -> None:
    loaded = engine(rule("t", ["dataworks:FileChange:CommitFile", "DEPLOY-FILE"], {"code": {"deny": ["x"]}}))
    assert loaded.rules[0].rule.events == ["commit-file", "deploy-file"]


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
    assert actions(standin) == ["GetExtension", "GetIDEEventDetail"]
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
# precedence: FAIL beats WARN; among equals the first failing rule decides; none → OK
# --------------------------------------------------------------------------------------------

DENY_ALL = {"deny": {"field": "workspace", "values": ["*"]}}
PASS = {"allow": {"field": "workspace", "values": ["*"]}}


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([("w1", DENY_ALL, "WARN"), ("f1", DENY_ALL, "FAIL")], ("FAIL", "f1")),
        ([("f1", DENY_ALL, "FAIL"), ("w1", DENY_ALL, "WARN")], ("FAIL", "f1")),
        ([("p", PASS, "FAIL"), ("f1", DENY_ALL, "FAIL"), ("f2", DENY_ALL, "FAIL")], ("FAIL", "f1")),
        ([("w1", DENY_ALL, "WARN"), ("w2", DENY_ALL, "WARN")], ("WARN", "w1")),
        ([("p1", PASS, "FAIL"), ("p2", PASS, "WARN")], ("OK", None)),
        ([], ("OK", None)),
    ],
    ids=[
        "fail-beats-earlier-warn",
        "fail-first",
        "first-fail-decides",
        "first-warn-decides",
        "none-failing",
        "no-rules",
    ],
)
def test_given_several_rules_when_evaluated_then_precedence_holds(
    rules: list[tuple[str, dict[str, Any], str]], expected: tuple[str, str | None]
) -> None:
    eng = engine(*(rule(n, ["commit-file"], c, verdict=v, tip=n) for n, c, v in rules))
    verdict = eng.evaluate(event(COMMIT), offline())
    assert (verdict.result.value, verdict.rule) == expected
    assert verdict.origin == "policy"
    assert verdict.tip == (expected[1] or "")


# --------------------------------------------------------------------------------------------
# OptionVerdict: the per-workspace choice (the MAX_PT demo's checkStatus)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "expected"), [("FAIL", "FAIL"), ("warn", "WARN"), ("OK", "OK"), (None, "FAIL")]
)
def test_given_an_option_verdict_when_the_check_fails_then_the_workspace_option_decides(
    option: str | None, expected: str, standin: DataWorksApiStandIn, online: Callable[..., Enricher]
) -> None:
    if option is not None:
        standin.set_option_value(EXT, 42, {"checkStatus": option})
    eng = engine(rule("opt", ["commit-file"], DENY_ALL, verdict={"option": "checkStatus", "default": "FAIL"}))
    verdict = eng.evaluate(event(COMMIT), online())
    assert verdict.result.value == expected
    option_calls = [r for r in standin.requests if r.action == "GetOptionValueForProject"]
    assert [(r.params["ExtensionCode"], r.params["ProjectId"]) for r in option_calls] == [(EXT, "42")]


def test_given_an_option_verdict_when_the_check_passes_then_no_option_lookup(
    standin: DataWorksApiStandIn, online: Callable[..., Enricher]
) -> None:
    eng = engine(rule("opt", ["commit-file"], PASS, verdict={"option": "checkStatus"}))
    assert eng.evaluate(event(COMMIT), online()).result is CheckResult.OK
    assert "GetOptionValueForProject" not in actions(standin)


# --------------------------------------------------------------------------------------------
# tips
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tip", "expected"),
    [
        ("{value} rows from {data.queryDwProjectName} in {workspace}", "123456 rows from dw_sales in 42"),
        ("{rule}/{event_code}/{operator}/{limit}/{bound}", "t/download-resources/207947397706614299/1/max"),
        ("keep {nope} and {nope.x} visible", "keep {nope} and {nope.x} visible"),
        ("an unbalanced { brace", "an unbalanced { brace"),
    ],
)
def test_given_tip_placeholders_when_the_rule_fails_then_they_are_filled_or_left_visible(
    tip: str, expected: str
) -> None:
    eng = engine(rule("t", ["download-resources"], {"limit": {"field": "download_rows", "max": 1}}, tip=tip))
    assert eng.evaluate(event(DOWNLOAD), offline()).tip == expected


def test_given_a_data_placeholder_the_event_lacks_when_the_rule_fails_then_it_stays_visible() -> None:
    eng = engine(
        rule(
            "t",
            ["download-resources"],
            {"limit": {"field": "download_rows", "max": 1}},
            tip="from {data.noSuchField}",
        )
    )
    assert eng.evaluate(event(DOWNLOAD), offline()).tip == "from {data.noSuchField}"


def test_given_a_rule_without_tip_when_it_fails_then_the_default_tip_names_it() -> None:
    eng = engine(rule("plain", ["commit-file"], DENY_ALL))
    assert eng.evaluate(event(COMMIT), offline()).tip == "plain: check failed"


# --------------------------------------------------------------------------------------------
# DataWorks' extension parameters
# --------------------------------------------------------------------------------------------


def test_parse_parameter_setting_last_wins_and_append_extends() -> None:
    text = """
    # comment line
    extension.project.disabled=1
    extension.project.disabled = 2,3
    extension.project.disabled.append=42
    extension.project.commit-file.disabled.append=7
    not a setting
    extension.note=a=b
    """
    assert parse_parameter_setting(text) == {
        "extension.project.disabled": "2,3,42",
        "extension.project.commit-file.disabled": "7",
        "extension.note": "a=b",
    }


@pytest.mark.parametrize(
    ("setting", "disabled"),
    [
        ("extension.project.disabled=41,42", "disabled for workspace 42 (extension.project.disabled)"),
        ("extension.project.disabled=41, 43", None),
        (
            "extension.project.disabled=1\nextension.project.disabled.append=42",
            "(extension.project.disabled)",
        ),
        ("extension.project.commit-file.disabled=42", "(extension.project.commit-file.disabled)"),
        (
            "extension.project.commit-file.disabled=1\nextension.project.commit-file.disabled.append=42",
            "commit-file checks are disabled for workspace 42",
        ),
        ("extension.project.deploy-file.disabled=42", None),
        ("extension.fileType.10.commit-file.enabled=false", "disabled for file type 10"),
        ("extension.fileType.10.commit-file.enabled=true", None),
        ("extension.fileType.11.commit-file.enabled=true", "enabled only for other file types"),
        ("extension.fileType.11.deploy-file.enabled=true", None),
    ],
)
def test_given_extension_parameters_when_they_cover_the_event_then_the_check_is_off(
    setting: str, disabled: str | None
) -> None:
    why = disabled_by_params(parse_parameter_setting(setting), event(COMMIT))
    if disabled is None:
        assert why is None
    else:
        assert why is not None and disabled in why


def test_given_a_disabled_workspace_when_evaluated_then_ok_from_extension_params_without_running_checks(
    standin: DataWorksApiStandIn, online: Callable[..., Enricher]
) -> None:
    standin.set_extension(EXT, parameter_setting="extension.project.commit-file.disabled=42")
    eng = engine(rule("code", ["commit-file"], {"code": {"deny": ["."]}}))
    verdict = eng.evaluate(event(COMMIT), online())
    assert verdict.result is CheckResult.OK and verdict.origin == "extension-params"
    assert verdict.tip.startswith("dwevents: commit-file checks are disabled for workspace 42")
    assert actions(standin) == ["GetExtension"]  # no GetIDEEventDetail: the code check did not run


# --------------------------------------------------------------------------------------------
# enrichment only when needed, GetExtension cached
# --------------------------------------------------------------------------------------------


@pytest.fixture()
def ext_app(standin: DataWorksApiStandIn, tmp_path: Path) -> Iterator[Callable[..., FunctionApp]]:
    def make(rules: str, category: str = "FileChange", config: str | None = None) -> FunctionApp:
        path = tmp_path / "rules.yaml"
        path.write_text(rules)
        environ = {
            **standin.client_env(),
            "DWEVENTS_EXTENSION_CODE": EXT,
            "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
            "DWEVENTS_RULES": str(path),
        }
        if config is not None:
            (tmp_path / "config.yaml").write_text(config)
            environ["DWEVENTS_CONFIG"] = str(tmp_path / "config.yaml")
        return FunctionApp(category, environ=environ)

    yield make


def test_given_no_rule_for_the_event_when_handled_then_no_lookup_reaches_dataworks(
    standin: DataWorksApiStandIn, ext_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = ext_app(rules_yaml(rule("deploy-only", ["deploy-file"], {"code": {"deny": ["."]}})))
    [result] = app.process(json.dumps(load_sample(COMMIT)).encode(), fc_context()).events
    assert result.verdict is not None and result.verdict["result"] == "OK"
    assert actions(standin) == ["UpdateIDEEventResult"]


def test_given_only_a_limit_rule_when_handled_then_no_code_snapshot_is_fetched(
    standin: DataWorksApiStandIn, ext_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = ext_app(
        rules_yaml(rule("rows", ["download-resources"], {"limit": {"field": "download_rows", "max": 1}})),
        category="ResourcesDownload",
    )
    [result] = app.process(json.dumps(load_sample(DOWNLOAD)).encode(), fc_context()).events
    assert result.verdict is not None and result.verdict["result"] == "FAIL"
    assert actions(standin) == ["GetExtension", "CallbackExtension"]


def _three_commits() -> list[bytes]:
    out = []
    for i in range(3):
        doc = copy.deepcopy(load_sample(COMMIT))
        doc["id"] = f"commit-{i}"
        out.append(json.dumps(doc).encode())
    return out


def test_given_several_events_when_handled_then_get_extension_is_called_once_within_the_ttl(
    standin: DataWorksApiStandIn, ext_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = ext_app(rules_yaml(rule("code", ["commit-file"], {"code": {"deny": ["drop"]}})))
    for raw in _three_commits():
        app.process(raw, fc_context())
    assert actions(standin).count("GetExtension") == 1
    assert actions(standin).count("GetIDEEventDetail") == 3  # the snapshot is per message
    assert len(standin.verdicts) == 3


def test_given_a_zero_ttl_when_several_events_are_handled_then_get_extension_is_called_each_time(
    standin: DataWorksApiStandIn, ext_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = ext_app(
        rules_yaml(rule("code", ["commit-file"], {"code": {"deny": ["drop"]}})),
        config="extension:\n  extension_params_cache_seconds: 0\n",
    )
    for raw in _three_commits():
        app.process(raw, fc_context())
    assert actions(standin).count("GetExtension") == 3


def test_extension_param_cache_expires_after_the_ttl() -> None:
    now = [100.0]
    cache = ExtensionParamCache(ttl_s=300, clock=lambda: now[0])
    cache.put(EXT, {"a": "1"})
    now[0] += 299.9
    assert cache.get(EXT) == {"a": "1"}
    now[0] += 0.2
    assert cache.get(EXT) is None
    assert cache.get("other") is None


def test_given_one_enricher_when_the_detail_is_needed_twice_then_it_is_fetched_once(
    standin: DataWorksApiStandIn, online: Callable[..., Enricher]
) -> None:
    ev = event(COMMIT)
    eng = engine(
        rule("a", ["commit-file"], {"code": {"deny": ["drop"]}}),
        rule("b", ["commit-file"], {"code": {"require": ["select"]}}, verdict="WARN"),
    )
    enricher = online()
    assert eng.evaluate(ev, enricher).result is CheckResult.OK
    assert enricher.calls == ["GetExtension", "GetIDEEventDetail"]
    assert actions(standin) == ["GetExtension", "GetIDEEventDetail"]


# --------------------------------------------------------------------------------------------
# event codes: the rule follows the event's type (the catalogue), not a deviating eventCode
# --------------------------------------------------------------------------------------------


def test_given_an_event_code_case_variant_when_evaluated_then_the_rule_still_applies() -> None:
    ev = event(START_DI, eventCode="start-dijob")
    assert ev.spec is not None and ev.spec.event_code == "start-diJob"
    eng = engine(rule("no-di", ["start-diJob"], DENY_ALL))
    assert eng.evaluate(ev, offline()).result is CheckResult.FAIL


def test_given_the_batch_update_sample_when_a_rule_names_its_type_code_then_it_applies() -> None:
    ev = event("DqcCheck/batch-update-data-quality-rules")
    assert ev.spec is not None and ev.spec.event_code == "batch-update-data-quality-rules"
    eng = engine(rule("no-batch-update", ["batch-update-data-quality-rules"], DENY_ALL))
    assert eng.evaluate(ev, offline()).result is CheckResult.FAIL


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
    from datetime import datetime, timedelta, timezone

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
