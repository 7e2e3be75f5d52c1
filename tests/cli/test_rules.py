"""``dwevents rules test``: the case runner, on the shipped gallery and on failing/broken case files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import dwevents
from dwevents.cli import main

from ..conftest import EVENTS

RULES = Path(dwevents.__file__).parent / "data" / "rules"
CASES = RULES / "cases"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["rules", *argv], out=out), out.getvalue()


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EVENTS.parent)
    for name in (
        "DWEVENTS_RULES",
        "DWEVENTS_CONFIG",
        "DWEVENTS_ALLOWED_ACCOUNTS",
        "FC_ACCOUNT_ID",
        "DWEVENTS_FAIL_MODE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_every_gallery_rules_file_has_a_case_file_and_every_rule_a_case_that_names_it() -> None:
    from dwevents.local.rulecases import load_cases
    from dwevents.policy import PolicyEngine

    files = sorted(p.stem for p in RULES.glob("*.yaml"))
    assert files == sorted(p.stem for p in CASES.glob("*.yaml"))
    for stem in files:
        named = {c.rule for c in load_cases(CASES / f"{stem}.yaml").cases}
        rules = {r.rule.name for r in PolicyEngine.load(RULES / f"{stem}.yaml").rules}
        assert rules <= named, f"{stem}: rules without a case {sorted(rules - named)}"


@pytest.mark.parametrize("stem", sorted(p.stem for p in RULES.glob("*.yaml")))
def test_given_a_gallery_file_then_its_own_cases_pass(stem: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("test", str(RULES / f"{stem}.yaml"), str(CASES / f"{stem}.yaml"))
    assert code == 0, out
    lines = out.splitlines()
    assert lines and all(line.startswith("PASS ") for line in lines)
    assert capsys.readouterr().err.strip().endswith(f"{len(lines)} passed, 0 failed")


def test_given_cases_run_against_the_wrong_rules_then_exit_1_with_the_difference() -> None:
    # GIVEN forbidden-sql's cases run against the default rules (which only WARN)
    code, out = run("test", "-q", str(RULES / "default.yaml"), str(CASES / "forbidden-sql.yaml"))
    # THEN failures name expected and actual verdict and rule
    assert code == 1
    assert "FAIL " in out and "expected FAIL, got " in out
    assert "max-pt-fails-by-default: expected FAIL, got WARN by no-max-pt" in out


def _case_file(tmp_path: Path, body: str) -> str:
    path = tmp_path / "cases.yaml"
    path.write_text("version: 1\ncases:\n" + body, encoding="utf-8")
    return str(path)


def test_given_a_rule_mismatch_and_a_tip_mismatch_then_each_is_reported(tmp_path: Path) -> None:
    cases = _case_file(
        tmp_path,
        """
  - name: wrong-rule
    event: delete-project
    expect: WARN
    rule: some-other-rule
  - name: wrong-tip
    event: delete-project
    expect: WARN
    tip: "not in the tip"
""",
    )
    code, out = run("test", str(RULES / "default.yaml"), cases)
    assert code == 1
    assert "wrong-rule: expected rule some-other-rule, got WARN by workspace-deletion-review" in out
    assert "wrong-tip: tip 'Deleting workspace 42" in out and "does not contain 'not in the tip'" in out


def test_given_a_case_from_a_file_with_set_overrides_then_it_is_used(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text((EVENTS / "ProjectChange" / "delete-project.json").read_text(), encoding="utf-8")
    cases = _case_file(
        tmp_path,
        """
  - name: sandbox-by-file
    file: event.json
    set: {data.projectId: 7}
    expect: OK
""",
    )
    assert run("test", str(RULES / "protected-workspaces.yaml"), cases)[0] == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  - {name: a, event: deploy-fiel, expect: OK}\n", "unknown eventCode 'deploy-fiel'"),
        (
            "  - {name: a, event: deploy-file, expect: OK, now: 'tomorrow'}\n",
            "cases[0] (a).now: now: 'tomorrow' is not an ISO 8601 time",
        ),
        ("  - {name: a, event: deploy-file, expect: MAYBE}\n", "cases[0] (a).expect"),
        ("  - {name: a, expect: OK}\n", "exactly one of event"),
        ("  - {name: a, event: deploy-file, expect: OK, colour: red}\n", "cases[0] (a).colour: unknown key"),
        ("  - {name: a, file: nope.json, expect: OK}\n", "nope.json: no such file"),
    ],
    ids=["unknown-event-code", "bad-time", "bad-expect", "no-event", "unknown-key", "missing-file"],
)
def test_given_a_broken_case_file_then_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    code, out = run("test", str(RULES / "default.yaml"), _case_file(tmp_path, body))
    [line] = capsys.readouterr().err.strip().splitlines()
    assert (code, out) == (2, "") and message in line and "cases.yaml" in line


def test_given_a_broken_rules_file_then_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules: [{name: x}]\n", encoding="utf-8")
    code, _ = run("test", str(rules), str(CASES / "default.yaml"))
    [line] = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "rules.yaml" in line


def test_rules_check_still_validates_a_file() -> None:
    code, out = run("check", str(RULES / "forbidden-sql.yaml"))
    assert code == 0 and "4 rule(s) valid" in out
