"""dwevents.policy.engine: verdict precedence, option verdicts, tips, and which rules apply to an event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dwevents.local.dataworks.server import DataWorksApiStandIn
from dwevents.policy import (
    Enricher,
)
from dwevents.verdict import CheckResult

from .conftest import (
    COMMIT,
    DOWNLOAD,
    EXT,
    START_DI,
    actions,
    engine,
    event,
    offline,
    rule,
)

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


