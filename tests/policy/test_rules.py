"""dwevents.policy.rules: the rules file schema and loader; errors name the file, the rule and the key;
the shipped gallery validates."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from dwevents.errors import ConfigError
from dwevents.policy import (
    PolicyEngine,
)

from .conftest import (
    engine,
    rule,
    rules_yaml,
)

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
            "rules[0] (two): check: exactly one check of freeze, window, code, limit, allow, deny is "
            "required; got code, limit",
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
            "rules[0] (tm): check.freeze.windows[0].to: expected HH:MM, got '24:00'",
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
            "rules[0] (rng): check.freeze.ranges[0]: 'to' is before 'from'",
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


