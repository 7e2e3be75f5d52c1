"""``dwevents replay``: exit codes for CI, the --json contract, the stderr summary, every source and the
errors a user can cause (one line, exit 2, nothing sent anywhere)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import dwevents
from dwevents.cli import main
from dwevents.local.cloud import CloudApiStandIn
from dwevents.recorder import Recorder

from ..conftest import EVENTS, load_sample

RULES = Path(dwevents.__file__).parent / "data" / "rules"
AK, SECRET = "LTAI-replay-cli", "replay-cli-secret"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DWEVENTS_RULES",
        "DWEVENTS_CONFIG",
        "DWEVENTS_ALLOWED_ACCOUNTS",
        "FC_ACCOUNT_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "DWEVENTS_DATAWORKS_ENDPOINT",
        "DWEVENTS_RECORD",
    ):
        monkeypatch.delenv(name, raising=False)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["replay", *argv], out=out), out.getvalue()


def _code(tmp_path: Path, text: str = "SELECT 1;\nDROP TABLE t;\n") -> str:
    path = tmp_path / "code.sql"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_given_the_same_rules_on_both_sides_then_exit_0_and_no_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = str(RULES / "forbidden-sql.yaml")
    code, _ = run("--from", str(EVENTS), "--rules", rules, "--baseline", rules, "--code", _code(tmp_path))
    err = capsys.readouterr().err
    assert code == 0 and "no verdict changed" in err
    assert "none sent to DataWorks" in err


def test_given_a_stricter_candidate_then_exit_1_and_the_summary_counts_transitions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out = run(
        "--from", str(EVENTS), "--rules", str(RULES / "forbidden-sql.yaml"), "--code", _code(tmp_path)
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "OK→FAIL " in err and "WARN→OK " in err
    assert all(
        line.startswith("CHANGED ") or "refused" in line or "failed" in line for line in out.splitlines()
    )


def test_given_json_then_one_line_per_input_event_regular_ones_with_null_verdicts(tmp_path: Path) -> None:
    # GIVEN a recording of a batch (3 regular events) and a deploy with DROP TABLE
    rec = tmp_path / "rec.jsonl"
    recorder = Recorder(str(rec))
    recorder.record((EVENTS / "batch" / "instance-status-changes.batch.json").read_bytes())
    recorder.record(json.dumps(load_sample("FileChange/deploy-file")))
    # WHEN replayed with --json
    code, out = run(
        "--from", str(rec), "--rules", str(RULES / "forbidden-sql.yaml"), "--code", _code(tmp_path), "--json"
    )
    lines = [json.loads(line) for line in out.splitlines()]
    # THEN four lines: three regular with null verdicts, the deploy with both verdicts
    assert code == 1 and len(lines) == 4
    assert [(x["baseline"], x["candidate"]) for x in lines[:3]] == [(None, None)] * 3
    deploy = lines[3]
    assert (deploy["event_code"], deploy["type"]) == (
        "deploy-file",
        load_sample("FileChange/deploy-file")["type"],
    )
    assert (deploy["baseline"]["result"], deploy["candidate"]["result"], deploy["changed"]) == (
        "OK",
        "FAIL",
        True,
    )
    assert deploy["candidate"]["rule"] == "no-drop-table" and deploy["candidate"]["code_line"] == 2


#: Candidate rules equal to the ones DWEVENTS_RULES configures below: no verdict may change.
_SAME_RULES = ("--rules", str(RULES / "forbidden-sql.yaml"))


def test_given_the_configured_rules_in_dwevents_rules_then_they_are_the_default_baseline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DWEVENTS_RULES", str(RULES / "forbidden-sql.yaml"))
    code, _ = run("--from", str(EVENTS / "FileChange"), *_SAME_RULES, "--code", _code(tmp_path))
    assert code == 0 and "no verdict changed" in capsys.readouterr().err


def test_given_a_fc_code_path_in_dwevents_rules_then_it_resolves_to_the_project_directory(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # GIVEN ./config/rules.yaml locally and DWEVENTS_RULES written for FC (/code/config/rules.yaml)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "rules.yaml").write_text(
        (RULES / "forbidden-sql.yaml").read_text(), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DWEVENTS_RULES", "/code/config/rules.yaml")
    code, _ = run("--from", str(EVENTS / "FileChange"), *_SAME_RULES, "--code", _code(tmp_path))
    assert code == 0 and "no verdict changed" in capsys.readouterr().err


def test_given_now_then_every_event_is_judged_at_that_instant(tmp_path: Path) -> None:
    sat = "2026-11-28T10:00:00+08:00"
    code, out = run(
        "--from",
        str(EVENTS / "FileChange" / "deploy-file.json"),
        "--rules",
        str(RULES / "change-freeze.yaml"),
        "--now",
        sat,
        "--json",
    )
    [line] = [json.loads(x) for x in out.splitlines()]
    assert code == 1 and line["candidate"]["rule"] == "no-weekend-deploys" and line["clock"] == sat


def test_given_fixtures_then_their_code_is_what_code_rules_read(tmp_path: Path) -> None:
    doc = load_sample("FileChange/commit-file")
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text(
        f'event_details:\n  {doc["id"]}:\n    CommittedFile:\n      Content: "truncate table x;"\n',
        encoding="utf-8",
    )
    _, out = run(
        "--from",
        str(EVENTS / "FileChange" / "commit-file.json"),
        "--rules",
        str(RULES / "forbidden-sql.yaml"),
        "--fixtures",
        str(fixtures),
        "--json",
    )
    [line] = [json.loads(x) for x in out.splitlines()]
    assert (line["candidate"]["result"], line["candidate"]["code"]) == ("FAIL", "fixtures")


def test_given_refused_events_and_no_change_then_exit_0(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DWEVENTS_ALLOWED_ACCOUNTS", "999")
    rules = str(RULES / "forbidden-sql.yaml")
    code, out = run(
        "--from",
        str(EVENTS / "FileChange" / "deploy-file.json"),
        "--rules",
        rules,
        "--baseline",
        rules,
        "--json",
    )
    [line] = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and line["outcome"] == "refused"
    assert "DWEVENTS_ALLOWED_ACCOUNTS" in line["error"]


# -- the bus -----------------------------------------------------------------------------------------


@pytest.fixture()
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudApiStandIn]:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    with CloudApiStandIn({AK: SECRET}, trace_page_size=3) as stand_in:
        yield stand_in


def _bus_args(cloud: CloudApiStandIn, *extra: str) -> list[str]:
    return [
        "--bus",
        "default",
        "--region",
        "cn-hangzhou",
        "--endpoint",
        cloud.endpoint,
        "--protocol",
        "http",
        "--offline",
        *extra,
    ]


def test_given_a_bus_then_its_traced_events_are_replayed(cloud: CloudApiStandIn, tmp_path: Path) -> None:
    # GIVEN a deploy and a commit on the bus two hours ago, and one eight days ago
    now = datetime.now(timezone.utc)
    for name, age in [
        ("FileChange/deploy-file", 2),
        ("FileChange/commit-file", 2),
        ("FileChange/run-file", 192),
    ]:
        cloud.publish(
            "default", load_sample(name), received_ms=int((now - timedelta(hours=age)).timestamp() * 1000)
        )
    # WHEN the last day is replayed under forbidden-sql with DROP TABLE code
    code, out = run(
        *_bus_args(
            cloud,
            "--since",
            "24h",
            "--rules",
            str(RULES / "forbidden-sql.yaml"),
            "--code",
            _code(tmp_path),
            "--json",
        )
    )
    lines = [json.loads(x) for x in out.splitlines()]
    # THEN the two recent ones were read and both change
    assert code == 1
    assert sorted(x["event_code"] for x in lines) == ["commit-file", "deploy-file"]
    assert all(x["origin"].startswith("bus default event ") for x in lines)


def test_given_start_and_end_then_only_that_range_is_read(cloud: CloudApiStandIn, tmp_path: Path) -> None:
    old = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    cloud.publish("default", load_sample("FileChange/deploy-file"), received_ms=int(old.timestamp() * 1000))
    code, out = run(
        *_bus_args(
            cloud,
            "--start",
            "2026-03-01T00:00:00Z",
            "--end",
            "2026-03-02",
            "--rules",
            str(RULES / "forbidden-sql.yaml"),
            "--code",
            _code(tmp_path),
            "--json",
            "--type",
            "deploy-file",
        )
    )
    assert code == 1 and len(out.splitlines()) == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--since", "yesterday"], "--since: 'yesterday' is not a duration"),
        (["--start", "2026-13-01"], "--start: '2026-13-01' is not an ISO 8601 time"),
        (["--start", "2026-03-02", "--end", "2026-03-01"], "is not before --end"),
        (["--since", "1h", "--start", "2026-03-01"], "--since cannot be combined"),
        (["--type", "deploy-fiel"], "--type deploy-fiel: unknown event type or eventCode"),
    ],
    ids=["bad-since", "bad-start", "start-after-end", "since-and-start", "unknown-type"],
)
def test_given_bad_bus_options_then_one_line_and_exit_2(
    cloud: CloudApiStandIn, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, out = run(*_bus_args(cloud, *extra, "--rules", str(RULES / "forbidden-sql.yaml")))
    [line] = capsys.readouterr().err.strip().splitlines()
    assert (code, out) == (2, "") and message in line


def test_given_an_unreachable_bus_endpoint_then_one_line_and_exit_2(
    cloud: CloudApiStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(
        "--bus",
        "default",
        "--region",
        "cn-hangzhou",
        "--endpoint",
        "127.0.0.1:9",
        "--protocol",
        "http",
        "--rules",
        str(RULES / "forbidden-sql.yaml"),
    )
    [line] = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "QueryTracedEvents" in line and "Unreachable" in line


def test_given_expired_credentials_then_one_line_and_exit_2(
    cloud: CloudApiStandIn, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "expired")
    code, _ = run(*_bus_args(cloud, "--rules", str(RULES / "forbidden-sql.yaml")))
    [line] = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "SignatureDoesNotMatch" in line


def test_given_no_credentials_for_the_bus_then_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _ = run("--bus", "default", "--region", "cn-hangzhou", "--rules", str(RULES / "forbidden-sql.yaml"))
    [line] = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "ALIBABA_CLOUD_ACCESS_KEY_ID" in line


# -- errors before anything runs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rules", "{rules}"], "give exactly one source"),
        (["--from", "events", "--bus", "default", "--rules", "{rules}"], "give exactly one source"),
        (["--from", "{tmp}/missing", "--rules", "{rules}"], "no such file or directory"),
        (["--from", "events", "--rules", "{tmp}/missing.yaml"], "no such file"),
        (["--from", "events", "--rules", "{tmp}/bad.yaml"], "unknown eventCode 'deploy-fiel'"),
        (["--from", "events", "--rules", "{rules}", "--now", "soon"], "--now: 'soon' is not an ISO 8601"),
        (["--from", "events", "--rules", "{rules}", "--code", "{tmp}"], "--code"),
        (["--from", "events", "--rules", "{rules}", "--fixtures", "{tmp}/bad.yaml"], "bad.yaml: unknown key"),
    ],
    ids=[
        "no-source",
        "two-sources",
        "missing-from",
        "missing-rules",
        "broken-rules",
        "bad-now",
        "code-dir",
        "bad-fixtures",
    ],
)
def test_given_a_user_error_then_one_line_exit_2_and_nothing_on_stdout(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(EVENTS.parent)
    (tmp_path / "bad.yaml").write_text(
        "version: 1\nrules:\n  - name: x\n    events: [deploy-fiel]\n"
        "    check: {freeze: {weekdays: [sat]}}\n",
        encoding="utf-8",
    )
    values: dict[str, Any] = {"rules": RULES / "forbidden-sql.yaml", "tmp": tmp_path}
    code, out = run(*[a.format(**values) for a in argv])
    [line] = capsys.readouterr().err.strip().splitlines()
    assert (code, out) == (2, "") and message in line and line.startswith("dwevents replay: ")
