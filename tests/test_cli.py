"""The ``dwevents`` command: exit codes, output contracts, errors on stderr in one line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dwevents.catalogue import CATALOGUE
from dwevents.cli import main

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
DECODE_KEYS = {
    "message_id",
    "type",
    "event_code",
    "module",
    "category",
    "level",
    "kind",
    "reply_api",
    "payload",
}


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_given_a_sample_when_decoded_then_one_json_line_with_exactly_the_documented_keys() -> None:
    code, out = run("decode", str(EVENTS / "FileChange" / "commit-file.json"))
    [line] = out.splitlines()
    doc = json.loads(line)
    assert code == 0 and set(doc) == DECODE_KEYS
    assert (doc["kind"], doc["reply_api"], doc["category"]) == ("both", "UpdateIDEEventResult", "FileChange")
    assert doc["payload"]["fileName"]  # wire names in the payload dump


def test_given_a_batch_when_decoded_then_one_line_per_event() -> None:
    code, out = run("decode", str(EVENTS / "batch" / "instance-status-changes.batch.json"))
    assert code == 0 and len(out.splitlines()) == 3


def test_given_a_regular_event_then_reply_api_is_null() -> None:
    _, out = run("decode", str(EVENTS / "InstanceStatusChanges" / "instance-status-changes.json"))
    assert json.loads(out)["reply_api"] is None and json.loads(out)["kind"] == "regular"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "input is empty"),
        (b"{oops", "input is not JSON"),
        (b"42", "expected a JSON object"),
        (
            b'{"id": "1", "source": "acs.dataworks", '
            b'"type": "dataworks:InstanceStatusChanges:InstanceStatusChanges",'
            b' "data": {"status": "abc"}}',
            'data.status: expected an integer, got "abc"',
        ),
    ],
    ids=["empty", "not-json", "wrong-shape", "wrong-type"],
)
def test_given_bad_input_when_decoded_then_exit_2_and_one_stderr_line_naming_the_problem(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    proc = subprocess.run(
        [sys.executable, "-m", "dwevents", "decode", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert message in line and "Traceback" not in proc.stderr


def test_given_catalogue_json_then_every_entry_is_listed() -> None:
    code, out = run("catalogue", "--json")
    assert code == 0 and len(out.splitlines()) == len(CATALOGUE)


def test_given_match_then_true_exits_0_and_false_exits_1(tmp_path: Path) -> None:
    event = EVENTS / "FileChange" / "commit-file.json"
    yes, no = tmp_path / "yes.json", tmp_path / "no.json"
    yes.write_text(json.dumps({"source": ["acs.dataworks"], "type": [{"prefix": "dataworks:FileChange:"}]}))
    no.write_text(json.dumps({"data": {"projectId": [{"anything-but": 42}]}}))
    assert run("match", str(yes), str(event)) == (0, "true\n")
    assert run("match", str(no), str(event)) == (1, "false\n")


def test_given_a_broken_pattern_then_match_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": [{"no-such-operator": 1}]}))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dwevents",
            "match",
            str(bad),
            str(EVENTS / "FileChange" / "commit-file.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_given_invoke_json_then_stdout_has_one_json_object_per_event_and_nothing_else() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dwevents", "invoke", "--json", "events/FileChange", "events/fc-direct"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(docs) == len(list((EVENTS / "FileChange").glob("*.json"))) + 2
    for doc in docs:
        assert {"message_id", "type", "functions", "outcome", "actions", "verdict"} <= set(doc)
        assert doc["outcome"] == "processed"
    commit = next(d for d in docs if d["type"] == "dataworks:FileChange:CommitFile")
    assert commit["verdict"]["result"] == "WARN" and commit["verdict"]["api"] == "UpdateIDEEventResult"
    assert "MAX_PT" in commit["verdict"]["tip"]


def test_given_the_main_job_then_every_sample_runs_and_the_stand_in_reports_verdicts() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dwevents", "invoke"], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "Local DataWorks API stand-in" in proc.stdout and "verdict(s):" in proc.stdout
    total = sum(
        len(json.loads(p.read_text())) if p.parent.name == "batch" else 1 for p in EVENTS.rglob("*.json")
    )
    assert f"{total} event(s): {total} processed" in proc.stdout


def test_given_a_rules_file_then_rules_check_validates_it(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - name: x\n    events: [commit-file]\n    check: {code: {deny: ['(']}}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "dwevents", "rules", "check", str(bad)], capture_output=True, text=True
    )
    assert (
        proc.returncode == 2 and "rules[0] (x)" in proc.stderr and "invalid regular expression" in proc.stderr
    )
