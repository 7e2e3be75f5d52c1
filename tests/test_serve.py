"""``dwevents serve``: the local bus over HTTP, for producers that want to POST events to it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bus_url() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dwevents", "serve", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/", first)
        assert match, f"unexpected banner: {first!r}"
        yield match.group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _post(url: str, body: bytes) -> dict[str, object]:
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        result: dict[str, object] = json.loads(response.read())
        return result


def test_given_a_posted_extension_event_then_the_response_says_which_function_ran_and_the_verdict(
    bus_url: str,
) -> None:
    body = (ROOT / "events" / "NodeChange" / "freeze-node.json").read_bytes()
    [report] = _post(bus_url, body)["events"]  # type: ignore[misc]
    assert report["functions"] == ["dwevents-node-change"] and report["outcome"] == "processed"
    assert report["verdict"]["api"] == "UpdateWorkbenchEventResult"
    with urllib.request.urlopen(bus_url + "verdicts", timeout=30) as response:
        verdicts = json.loads(response.read())["verdicts"]
    assert [v["message_id"] for v in verdicts] == [json.loads(body)["id"]]


def test_given_a_posted_batch_then_every_event_is_reported(bus_url: str) -> None:
    body = (ROOT / "events" / "batch" / "instance-status-changes.batch.json").read_bytes()
    reports = _post(bus_url, body)["events"]
    assert isinstance(reports, list) and len(reports) == 3
    assert {r["outcome"] for r in reports} == {"processed"}


def test_given_garbage_then_400_naming_it_without_crashing_the_bus(bus_url: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        _post(bus_url, b"{nope")
    assert info.value.code == 400 and "not JSON" in json.loads(info.value.read())["error"]
    assert _post(bus_url, (ROOT / "events" / "DagStatusChanges" / "dag-status-changes.json").read_bytes())
