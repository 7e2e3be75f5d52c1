"""``dwevents invoke --remote``: the FC 3.0 invoke API, signed, against a local FC stand-in that runs the
real handlers (so the whole remote path runs on one machine)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dwevents.cli import main
from dwevents.local.cloud import CloudApiStandIn
from dwevents.local.emulator import LocalBus

ROOT = Path(__file__).resolve().parents[1]
KEY_ID, SECRET = "LTAI-remote-test", "remote-test-secret"


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudApiStandIn]:
    """A stand-in FC whose functions are the project's real handlers (loaded like the emulator does)."""
    bus = LocalBus(ROOT / "s.yaml", environ={"DWEVENTS_ALLOWED_ACCOUNTS": "1234567890123456"})
    with CloudApiStandIn({KEY_ID: SECRET}) as cloud:
        for fn in bus.functions:

            def run(payload: bytes, invocation: Any, fn: Any = fn) -> Any:
                reports: list[Any] = []
                from dwevents.local.emulator import EventReport

                report = EventReport(None, None, [fn.name], "unrouted")
                reports.append(report)
                bus._invoke(fn, payload, reports)
                if report.error and report.returned is None:
                    raise RuntimeError(report.error)
                return report.returned

            cloud.register_function(fn.name, run)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
        monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
        yield cloud
    bus.close()


def test_given_deployed_functions_when_invoked_remotely_then_each_sample_reaches_its_function(
    deployed: CloudApiStandIn,
) -> None:
    out = io.StringIO()
    code = main(
        [
            "invoke",
            "--remote",
            "--endpoint",
            deployed.endpoint,
            "--protocol",
            "http",
            "--syaml",
            str(ROOT / "s.yaml"),
            str(ROOT / "events" / "InstanceStatusChanges"),
            str(ROOT / "events" / "ProjectChange" / "delete-project.json"),
        ],
        out=out,
    )
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 0, records
    assert {r["function"] for r in records} == {"dwevents-instance-status-changes", "dwevents-project-change"}
    assert all(r["status"] == 200 and r["error_type"] is None for r in records)
    project = next(r for r in records if r["function"] == "dwevents-project-change")
    assert project["response"]["events"][0]["verdict"]["api"] == "CallbackExtension"


def test_given_a_wrong_secret_when_invoked_remotely_then_a_clear_error_and_nothing_runs(
    deployed: CloudApiStandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong")
    code = main(
        [
            "invoke",
            "--remote",
            "--endpoint",
            deployed.endpoint,
            "--protocol",
            "http",
            "--syaml",
            str(ROOT / "s.yaml"),
            str(ROOT / "events" / "DagStatusChanges"),
        ],
        out=io.StringIO(),
    )
    err = capsys.readouterr().err
    assert code == 2 and "Signature" in err and "Traceback" not in err
    assert deployed.invocations == []
