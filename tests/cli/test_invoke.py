"""``dwevents invoke``, the local loop: exit status when events are not processed, --code/--fixtures/--now,
each event in its own account, /code/... config paths."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

import dwevents
from dwevents.cli import main

from ..conftest import EVENTS, load_sample

ROOT = EVENTS.parent
RULES = Path(dwevents.__file__).parent / "data" / "rules"


@pytest.fixture(autouse=True)
def _project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for name in (
        "DWEVENTS_RULES",
        "DWEVENTS_CONFIG",
        "DWEVENTS_ALLOWED_ACCOUNTS",
        "FC_ACCOUNT_ID",
        "DWEVENTS_DATAWORKS_ENDPOINT",
        "DWEVENTS_RECORD",
        "DWEVENTS_WEBHOOK_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def invoke(*argv: str) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    code = main(["invoke", "--json", *argv], out=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def _write(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return str(path)


def test_given_a_captured_event_from_another_account_then_it_runs_as_is_locally(tmp_path: Path) -> None:
    # GIVEN an event captured in the user's own account (not the samples' account)
    doc = dict(load_sample("FileChange/deploy-file"), aliyunaccountid="5550001112223334")
    # WHEN invoked with no account configured
    code, [report] = invoke(_write(tmp_path, "mine.json", doc))
    # THEN the local function is that account's: processed, verdict acknowledged, exit 0
    assert code == 0 and report["outcome"] == "processed" and report["verdict"]["acknowledged"] is True


def test_given_allowed_accounts_then_a_foreign_event_is_refused_exit_1_and_the_refusal_says_how_to_allow(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DWEVENTS_ALLOWED_ACCOUNTS", "999")
    code, [report] = invoke(str(EVENTS / "FileChange" / "deploy-file.json"))
    assert code == 1 and report["outcome"] == "refused"
    assert "DWEVENTS_ALLOWED_ACCOUNTS=1234567890123456" in report["error"]
    assert "refused" in capsys.readouterr().err


def test_given_fc_account_id_then_events_of_other_accounts_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FC_ACCOUNT_ID", "999")
    code, [report] = invoke(str(EVENTS / "FileChange" / "deploy-file.json"))
    assert code == 1 and report["outcome"] == "refused" and "FC_ACCOUNT_ID=999 is set" in report["error"]


def test_given_allow_refused_then_refusals_alone_exit_0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DWEVENTS_ALLOWED_ACCOUNTS", "999")
    code, [report] = invoke("--allow-refused", str(EVENTS / "FileChange" / "deploy-file.json"))
    assert code == 0 and report["outcome"] == "refused"


@pytest.mark.parametrize(
    ("content", "outcome"),
    [
        ("{oops", "failed"),
        (json.dumps(dict(load_sample("FileChange/deploy-file"), source="acs.oss")), "unrouted"),
    ],
    ids=["undecodable", "unrouted"],
)
def test_given_an_event_that_fails_or_is_unrouted_then_exit_1(
    tmp_path: Path, content: str, outcome: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN one good event and one bad one
    code, [report, good] = invoke(
        _write(tmp_path, "e.json", content), str(EVENTS / "FileChange" / "run-file.json")
    )
    # THEN the good one ran, the bad one is reported, and the run fails
    assert code == 1 and report["outcome"] == outcome and good["outcome"] == "processed"
    assert "1 event(s) not processed as expected" in capsys.readouterr().err


def test_given_a_verdict_dataworks_does_not_acknowledge_then_exit_1(
    standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN DataWorks (the stand-in, configured as the endpoint) refuses every verdict permanently
    for key, value in standin.client_env().items():
        monkeypatch.setenv(key, value)
    standin.inject(status=400, code="InvalidParameter", times=10)
    code, [report] = invoke(str(EVENTS / "FileChange" / "deploy-file.json"))
    assert code == 1 and report["verdict"]["acknowledged"] is False


# deploy-file's message has a snapshot of its own in events/dataworks-api-fixtures.yaml: --code wins over it
@pytest.mark.parametrize("sample", ["run-file.json", "deploy-file.json"])
def test_given_code_then_code_rules_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: str
) -> None:
    monkeypatch.setenv("DWEVENTS_RULES", str(RULES / "forbidden-sql.yaml"))
    code_file = _write(tmp_path, "drop.sql", "SELECT 1;\nDROP TABLE t;\n")
    code, [report] = invoke("--code", code_file, str(EVENTS / "FileChange" / sample))
    assert code == 0
    assert (report["verdict"]["result"], report["verdict"]["rule"]) == ("FAIL", "no-drop-table")


def test_given_fixtures_then_they_answer_for_their_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DWEVENTS_RULES", str(RULES / "forbidden-sql.yaml"))
    doc = load_sample("FileChange/deploy-file")
    fixtures = _write(
        tmp_path,
        "f.yaml",
        f"event_details:\n  {doc['id']}:\n    CommittedFile: {{Content: 'truncate table x;'}}\n",
    )
    code, [report] = invoke("--fixtures", fixtures, str(EVENTS / "FileChange" / "deploy-file.json"))
    assert report["verdict"]["result"] == "FAIL" and code == 0


def test_given_now_then_freeze_rules_judge_that_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DWEVENTS_RULES", str(RULES / "change-freeze.yaml"))
    deploy = str(EVENTS / "FileChange" / "deploy-file.json")
    _, [saturday] = invoke("--now", "2026-11-28T10:00:00+08:00", deploy)
    _, [wednesday] = invoke("--now", "2026-11-25T15:00:00+08:00", deploy)
    assert (saturday["verdict"]["result"], saturday["verdict"]["rule"]) == ("FAIL", "no-weekend-deploys")
    assert wednesday["verdict"]["result"] == "OK"


def test_given_rules_as_a_fc_code_path_then_they_resolve_to_the_project_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a project with config/rules.yaml and DWEVENTS_RULES written for FC
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "rules.yaml").write_text(
        (RULES / "change-freeze.yaml").read_text(), encoding="utf-8"
    )
    (tmp_path / "s.yaml").write_text((ROOT / "s.yaml").read_text(), encoding="utf-8")
    os.symlink(ROOT / "functions", tmp_path / "functions")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DWEVENTS_RULES", "/code/config/rules.yaml")
    # WHEN a deploy on a Saturday is invoked there
    code, [report] = invoke(
        "--now", "2026-11-28T10:00:00+08:00", str(EVENTS / "FileChange" / "deploy-file.json")
    )
    # THEN the project's rules decided it
    assert code == 0 and report["verdict"]["rule"] == "no-weekend-deploys"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--now", "noon"], "--now: 'noon' is not an ISO 8601 time"),
        (["--code", "{tmp}"], "is a directory"),
        (["--code", "{tmp}/none.sql"], "no such file"),
        (["--fixtures", "{tmp}/bad.yaml"], "not valid YAML"),
    ],
    ids=["bad-now", "code-dir", "code-missing", "bad-fixtures"],
)
def test_given_a_bad_local_option_then_one_line_and_exit_2(
    tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text("event_details: [\n", encoding="utf-8")
    code, lines = invoke(
        *[a.format(tmp=tmp_path) for a in argv], str(EVENTS / "FileChange" / "run-file.json")
    )
    [err] = capsys.readouterr().err.strip().splitlines()
    assert (code, lines) == (2, []) and message in err
