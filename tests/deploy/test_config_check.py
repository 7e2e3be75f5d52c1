"""``dwevents config check``: the config file and the rules file together, loaded as an extension function
loads them (the pre-deploy build runs the same check on every built function, see test_build.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dwevents.cli import main

BROKEN_RULES = "version: 1\nrules:\n  - name: no-drop\n    events: [commit-file]\n"


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DWEVENTS_CONFIG", "DWEVENTS_RULES"):
        monkeypatch.delenv(name, raising=False)


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["config", "check", *args], out=out), out.getvalue()


def test_the_defaults_load(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run()
    assert code == 0
    assert out.splitlines()[0] == "config: <defaults> ok"
    assert out.splitlines()[1].startswith("rules: default rules ok (")


def test_code_paths_resolve_under_the_root_as_in_fc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "rules.yaml").write_text(
        "version: 1\nrules:\n  - name: freeze\n    events: [deploy-file]\n"
        "    check: {freeze: {weekdays: [sat, sun]}}\n    verdict: FAIL\n    tip: weekend\n"
    )
    monkeypatch.setenv("DWEVENTS_RULES", "/code/config/rules.yaml")
    code, out = run("--root", str(tmp_path))
    assert code == 0, out
    assert f"rules: {tmp_path / 'config' / 'rules.yaml'} ok (1 rule(s))" in out


def test_a_broken_rules_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(BROKEN_RULES)
    code, _ = run("--rules", str(rules))
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert str(rules) in err and "rules[0] (no-drop)" in err


def test_a_config_file_naming_a_missing_rules_file_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "dwevents.yaml"
    config.write_text("extension:\n  rules_file: /code/config/missing.yaml\n")
    code, _ = run("--config", str(config), "--root", str(tmp_path))
    assert code == 2 and "cannot read rules file" in capsys.readouterr().err
