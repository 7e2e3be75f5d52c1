"""The replay engine: the same events under two rules files, through the real function pipeline, with
verdicts recorded locally and the code read with the real (stand-in) GetIDEEventDetail when possible."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import dwevents
from dwevents.errors import ConfigError
from dwevents.local.event_sources import ReplayInput, read_paths
from dwevents.local.judge import UNKNOWN, RecordingTransport, reader_from_env
from dwevents.local.overrides import Fixtures
from dwevents.local.replay import Progress, Replay, Summary, rule_lines

from ..conftest import EVENTS, SAMPLE_ACCOUNT, load_sample

RULES = Path(dwevents.__file__).parent / "data" / "rules"
FORBIDDEN = str(RULES / "forbidden-sql.yaml")
FREEZE = str(RULES / "change-freeze.yaml")
CST = timezone(timedelta(hours=8))
DROP = "SELECT 1;\nDROP TABLE ods_orders;\n"


def _item(name: str, **data: Any) -> ReplayInput:
    doc = load_sample(name)
    doc["data"].update(data)
    return ReplayInput(name, document=doc)


def _code(tmp_path: Path, text: str) -> Fixtures:
    path = tmp_path / "code.sql"
    path.write_text(text, encoding="utf-8")
    return Fixtures.load(code=path)


def test_given_a_drop_table_and_a_stricter_candidate_then_the_change_is_reported_with_rule_and_lines(
    tmp_path: Path,
) -> None:
    # GIVEN the default rules as baseline, forbidden-sql as candidate, and code with DROP TABLE on line 2
    replay = Replay(FORBIDDEN, None, environ={}, fixtures=_code(tmp_path, DROP))
    # WHEN a deploy is replayed
    line = replay.line(_item("FileChange/deploy-file"))
    # THEN OK became FAIL, naming the rule, where the rule is defined and the matching code line
    assert line.transition == ("OK", "FAIL")
    assert line.candidate is not None and line.candidate["rule"] == "no-drop-table"
    assert line.candidate["rule_line"] == rule_lines(Path(FORBIDDEN).read_text())["no-drop-table"]
    assert line.candidate["code_line"] == 2 and line.candidate["code"] == str(tmp_path / "code.sql")
    assert line.event_code == "deploy-file" and line.outcome == "processed"
    # AND both verdicts went to the recording transports, nowhere else
    assert replay.recorded_verdicts == 2
    assert [v.check_result for v in replay.transports["candidate"].verdicts] == ["FAIL"]


def test_given_a_regular_event_then_both_verdicts_are_null_and_nothing_is_recorded() -> None:
    replay = Replay(FORBIDDEN, None, environ={})
    line = replay.line(_item("InstanceStatusChanges/instance-status-changes"))
    assert (line.baseline, line.candidate, line.changed) == (None, None, False)
    assert line.outcome == "processed" and replay.recorded_verdicts == 0
    assert line.as_dict()["type"] == load_sample("InstanceStatusChanges/instance-status-changes")["type"]


def test_given_no_code_and_no_credentials_then_a_code_rule_is_unknown_never_silently_ok() -> None:
    # GIVEN no --code, no fixtures and no DataWorks reader
    replay = Replay(FORBIDDEN, None, environ={})
    # WHEN a commit is replayed under code rules
    line = replay.line(_item("FileChange/commit-file"))
    # THEN the candidate verdict is UNKNOWN and says why; the default rules' MAX_PT check is too
    assert line.candidate is not None and line.candidate["result"] == UNKNOWN
    assert "code unavailable" in line.candidate["tip"]
    assert line.candidate["code"] == "unavailable"


def test_given_dataworks_credentials_then_the_code_is_read_with_get_ide_event_detail_and_no_verdict_is_sent(
    standin: Any,
) -> None:
    # GIVEN the DataWorks API (stand-in) still has the snapshot of this deploy
    doc = load_sample("FileChange/deploy-file")
    standin.set_file_content(doc["id"], "select * from t;\ntruncate table tmp;")
    reader = reader_from_env(standin.client_env())
    assert reader is not None
    replay = Replay(FORBIDDEN, None, environ={}, reader=reader)
    # WHEN it is replayed
    line = replay.line(ReplayInput("x", document=doc))
    # THEN the candidate read the real snapshot and FAILs at line 2
    assert line.candidate is not None
    assert (line.candidate["result"], line.candidate["code"], line.candidate["code_line"]) == (
        "FAIL",
        "GetIDEEventDetail",
        2,
    )
    # AND DataWorks was only read (the snapshot, the extension's parameters), no verdict at all
    assert standin.verdicts == []
    actions = {r.action for r in standin.requests}
    assert "GetIDEEventDetail" in actions
    assert actions <= {"GetIDEEventDetail", "GetExtension", "GetOptionValueForProject"}


def test_given_the_snapshot_is_gone_then_the_verdict_is_unknown_naming_it(standin: Any) -> None:
    standin.set_event_detail(None, {})  # DataWorks answers, but with no snapshot
    replay = Replay(FORBIDDEN, None, environ={}, reader=reader_from_env(standin.client_env()))
    line = replay.line(_item("FileChange/deploy-file"))
    assert line.candidate is not None and line.candidate["result"] == UNKNOWN
    assert "GetIDEEventDetail returned no snapshot" in line.candidate["tip"]


def test_given_a_freeze_then_each_event_is_judged_at_its_own_time_unless_now_is_given(tmp_path: Path) -> None:
    # GIVEN a deploy that happened on a Saturday (the sample's time moved there)
    item = _item("FileChange/deploy-file")
    item.document["time"] = "2026-11-28T10:00:00+08:00"
    # WHEN replayed with the freeze rules as candidate
    at_event_time = Replay(FREEZE, None, environ={}).line(item)
    on_a_wednesday = Replay(FREEZE, None, environ={}, now=datetime(2026, 11, 25, 15, tzinfo=CST)).line(item)
    # THEN its own time blocks it; --now on a quiet Wednesday does not
    assert at_event_time.candidate is not None and at_event_time.candidate["result"] == "FAIL"
    assert at_event_time.candidate["rule"] == "no-weekend-deploys"
    assert at_event_time.clock == "2026-11-28T10:00:00+08:00"
    assert on_a_wednesday.candidate is not None and on_a_wednesday.candidate["result"] == "OK"


def test_given_another_account_with_allowed_accounts_set_then_it_is_refused_without_verdicts() -> None:
    item = _item("FileChange/deploy-file")
    replay = Replay(FREEZE, None, environ={"DWEVENTS_ALLOWED_ACCOUNTS": "999"})
    line = replay.line(item)
    assert line.outcome == "refused" and (line.baseline, line.candidate) == (None, None)
    assert SAMPLE_ACCOUNT in (line.error or "")


def test_given_undecodable_input_then_it_is_failed_and_reported() -> None:
    line = Replay(FREEZE, None, environ={}).line(ReplayInput("bad", raw="{oops"))
    assert line.outcome == "failed" and "JSON" in (line.error or "")


def test_given_an_fc_direct_message_from_a_file_then_the_returned_verdict_is_compared() -> None:
    # GIVEN the FC-direct download of 2.5 M rows; download-limits allows 100 000
    message = load_sample("fc-direct/download-resources")
    replay = Replay(str(RULES / "download-limits.yaml"), None, environ={})
    line = replay.line(ReplayInput("fc", document=message))
    # THEN default WARN (large download) became FAIL; answered by return value, so nothing recorded
    assert line.transition == ("WARN", "FAIL")
    assert replay.recorded_verdicts == 0


def test_given_the_samples_then_the_summary_counts_transitions_and_outcomes(tmp_path: Path) -> None:
    replay = Replay(FORBIDDEN, None, environ={}, fixtures=_code(tmp_path, DROP))
    summary = Summary()
    for line in replay.run(read_paths([EVENTS])):
        summary.add(line)
    assert summary.changed == sum(summary.transitions.values()) > 0
    assert summary.transitions[("OK", "FAIL")] >= 3  # commit, deploy and run of a file
    assert summary.changes_text().startswith("OK→FAIL ")
    assert summary.events == sum(summary.outcomes.values())


def test_given_a_broken_candidate_then_the_replay_does_not_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrules:\n  - name: x\n    events: [deploy-fiel]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="deploy-fiel"):
        Replay(str(bad), None, environ={})


def test_given_a_long_replay_then_progress_lines_show_read_decided_and_rate() -> None:
    # GIVEN a clock that advances one second per event
    ticks = iter(range(100))
    stream = io.StringIO()
    progress = Progress(stream, clock=lambda: float(next(ticks)), every_s=2.0)
    # WHEN five events are read, three decided
    for read, decided in [(1, 0), (2, 1), (3, 1), (4, 2), (5, 3)]:
        progress.update(read, decided)
    # THEN a line every two seconds, with the counts and the rate
    assert stream.getvalue().splitlines() == [
        "replay: 2 read, 1 decided, 1/s",
        "replay: 4 read, 2 decided, 1/s",
    ]


def test_given_a_short_replay_then_no_progress_line() -> None:
    stream = io.StringIO()
    progress = Progress(stream, clock=lambda: 0.0)
    progress.update(10, 5)
    progress.done()
    assert stream.getvalue() == ""


def test_recording_transport_never_answers_a_write_it_does_not_know() -> None:
    from dwevents.errors import CloudApiError

    with pytest.raises(CloudApiError, match="not available in a replay"):
        RecordingTransport().call("DeleteFile", {}, timeout_s=1.0)


def test_a_replay_line_is_json_with_the_documented_keys(tmp_path: Path) -> None:
    line = Replay(FORBIDDEN, None, environ={}, fixtures=_code(tmp_path, DROP)).line(
        _item("FileChange/run-file")
    )
    doc = json.loads(json.dumps(line.as_dict()))
    assert set(doc) == {
        "origin",
        "message_id",
        "type",
        "event_code",
        "outcome",
        "baseline",
        "candidate",
        "changed",
        "clock",
        "error",
    }
    assert set(doc["candidate"]) == {
        "result",
        "rule",
        "tip",
        "origin",
        "code",
        "rule_line",
        "rules",
        "code_line",
    }
