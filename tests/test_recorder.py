"""The recorder: every delivered event as one JSON line, to a file or to the log; no secrets; never fatal."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from dwevents import logs
from dwevents.local.event_sources import read_paths
from dwevents.recorder import RECORD_KEY, REDACTED, Recorder, records_for, scrub

from .conftest import load_sample, sample_path


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("value", [None, "", "off", "false", "0"])
def test_given_no_record_variable_or_off_then_there_is_no_recorder(value: str | None) -> None:
    environ = {} if value is None else {"DWEVENTS_RECORD": value}
    assert Recorder.from_env(environ) is None


@pytest.mark.parametrize("value", ["log", "true", "on", "1"])
def test_given_log_then_the_recorder_writes_to_the_log_stream(value: str) -> None:
    recorder = Recorder.from_env({"DWEVENTS_RECORD": value})
    assert recorder is not None and recorder.to_log


def test_given_a_path_when_a_batch_is_recorded_then_one_line_per_event_as_delivered(tmp_path: Path) -> None:
    # GIVEN a recorder to a file and a batch of three events
    target = tmp_path / "rec.jsonl"
    recorder = Recorder.from_env({"DWEVENTS_RECORD": str(target)})
    assert recorder is not None
    raw = sample_path("batch/instance-status-changes.batch").read_bytes()
    # WHEN the invocation payload is recorded
    written = recorder.record(raw, function="fn-InstanceStatusChanges", request_id="req-1")
    # THEN each element is one record, unchanged, with where and when it arrived
    records = _lines(target)
    assert written == 3 and len(records) == 3
    assert [r["event"] for r in records] == json.loads(raw)
    assert all(r[RECORD_KEY] == 1 and r["function"] == "fn-InstanceStatusChanges" for r in records)
    assert all(r["request_id"] == "req-1" and r["recorded_at"] for r in records)


def test_given_an_fc_direct_message_then_it_is_recorded_as_delivered_and_replays_from_the_file(
    tmp_path: Path,
) -> None:
    # GIVEN an FC-direct message recorded to a file
    target = tmp_path / "rec.jsonl"
    message = load_sample("fc-direct/download-resources")
    Recorder(str(target)).record(json.dumps(message).encode())
    # WHEN the recording is read as a replay source
    [item] = list(read_paths([target]))
    # THEN the replay sees exactly the message DataWorks sent
    assert item.document == message


def test_given_input_that_is_not_json_then_it_is_kept_as_raw_text(tmp_path: Path) -> None:
    [record] = records_for(b"{oops")
    assert record["raw"] == "{oops" and "event" not in record


def test_given_log_mode_then_each_record_is_one_line_on_the_stream() -> None:
    stream = io.StringIO()
    recorder = Recorder("log", stream=stream)
    recorder.record(
        json.dumps([load_sample("FileChange/commit-file"), load_sample("FileChange/deploy-file")])
    )
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and all(json.loads(line)[RECORD_KEY] == 1 for line in lines)


def test_given_secret_named_keys_anywhere_then_their_values_never_reach_the_record() -> None:
    # GIVEN an event whose payload carries credential-like fields at several depths
    doc = load_sample("FileChange/commit-file")
    doc["data"]["password"] = "hunter2-hunter2"
    doc["data"]["nested"] = {"accessKeySecret": "abcd-secret-1234", "securityToken": "tok-12345678"}
    doc["data"]["list"] = [{"Authorization": "ACS3-HMAC-SHA256 Credential=x"}]
    # WHEN it is scrubbed for a record
    out = json.dumps(scrub(doc))
    # THEN no secret value remains and the rest is intact
    for secret in ("hunter2-hunter2", "abcd-secret-1234", "tok-12345678", "Credential=x"):
        assert secret not in out
    assert json.loads(out)["data"]["password"] == REDACTED
    assert json.loads(out)["data"]["fileName"] == doc["data"]["fileName"]


def test_given_the_functions_own_credentials_in_the_environment_then_they_are_scrubbed_from_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the role's secret is in the environment and, by accident, in an event value
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "role-secret-value-xyz")
    monkeypatch.setattr(logs, "_env_cache", (-1.0, ()))  # logs re-reads the environment once a second
    doc = load_sample("FileChange/commit-file")
    doc["data"]["comment"] = "pasted role-secret-value-xyz here"
    target = tmp_path / "rec.jsonl"
    # WHEN recorded, with a context-only credential passed too
    Recorder(str(target)).record(json.dumps(doc), secrets=["context-secret-987654"])
    text = target.read_text(encoding="utf-8")
    # THEN neither value is in the file
    assert "role-secret-value-xyz" not in text
    assert json.loads(text)["event"]["data"]["comment"] == f"pasted {REDACTED} here"


def test_given_a_context_credential_in_the_payload_then_it_is_scrubbed(tmp_path: Path) -> None:
    doc = load_sample("FileChange/commit-file")
    doc["data"]["comment"] = "context-secret-987654"
    target = tmp_path / "rec.jsonl"
    Recorder(str(target)).record(json.dumps(doc), secrets=["context-secret-987654"])
    assert "context-secret-987654" not in target.read_text(encoding="utf-8")


def test_given_an_unwritable_target_then_recording_warns_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a target that is a directory (cannot be appended to)
    recorder = Recorder(str(tmp_path))
    # WHEN two invocations are recorded
    first = recorder.record(json.dumps(load_sample("FileChange/commit-file")))
    second = recorder.record(json.dumps(load_sample("FileChange/commit-file")))
    # THEN nothing is written, nothing raised, and one warning says why
    assert (first, second) == (0, 0)
    warnings = [r for r in caplog.records if "cannot record events" in r.getMessage()]
    assert len(warnings) == 1


def test_given_record_set_on_a_function_when_it_handles_a_batch_then_every_event_is_recorded(
    tmp_path: Path, fc_context: Any
) -> None:
    # GIVEN a function with DWEVENTS_RECORD pointing at a file
    from dwevents.runtime import FunctionApp

    target = tmp_path / "fn.jsonl"
    app = FunctionApp(
        "InstanceStatusChanges",
        environ={"DWEVENTS_RECORD": str(target), "DWEVENTS_ALLOWED_ACCOUNTS": "1234567890123456"},
    )
    raw = sample_path("batch/instance-status-changes.batch").read_bytes()
    # WHEN it handles a batch
    result = app.process(raw, fc_context(name="fn-isc"))
    # THEN the three events were processed and recorded as delivered, with the function's name
    assert [e.outcome.value for e in result.events] == ["processed"] * 3
    records = _lines(target)
    assert [r["event"] for r in records] == json.loads(raw)
    assert {r["function"] for r in records} == {"fn-isc"}


def test_given_no_record_variable_then_a_function_records_nothing(
    tmp_path: Path, fc_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dwevents.runtime import FunctionApp

    monkeypatch.chdir(tmp_path)
    app = FunctionApp("FileChange", environ={"DWEVENTS_ALLOWED_ACCOUNTS": "1234567890123456"})
    app.process(sample_path("FileChange/commit-file").read_bytes(), fc_context())
    assert list(tmp_path.iterdir()) == []
