"""``dwevents serve``: chunked bodies, 4xx for what no delivery can be, one line per event, one-line errors
for the port."""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwevents.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dwevents", "serve", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", proc.stdout.readline())
        assert match
        yield int(match.group(1)), proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _request(
    port: int,
    body: bytes | None,
    *,
    path: str = "/",
    headers: dict[str, str] | None = None,
    chunks: list[bytes] | None = None,
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        if chunks is not None:
            conn.putrequest("POST", path)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for chunk in chunks:
                conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            conn.send(b"0\r\n\r\n")
        elif body is None:
            conn.putrequest("POST", path)
            for key, value in (headers or {}).items():
                conn.putheader(key, value)
            conn.endheaders()
        else:
            conn.request("POST", path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_given_a_chunked_body_then_it_is_read_whole_and_one_line_per_event_is_printed(
    served: tuple[int, subprocess.Popen[str]],
) -> None:
    port, proc = served
    body = (ROOT / "events" / "batch" / "instance-status-changes.batch.json").read_bytes()
    status, doc = _request(port, None, chunks=[body[:100], body[100:1000], body[1000:]])
    assert status == 200 and [r["outcome"] for r in doc["events"]] == ["processed"] * 3
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(3)]
    assert all(
        "dataworks:InstanceStatusChanges:InstanceStatusChanges" in x and "PROCESSED" in x for x in lines
    )


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 400, "empty body"),
        (b"{nope", 400, "not JSON"),
        (b"42", 400, "expected a JSON object"),
        (b"  \n", 400, "empty body"),
    ],
    ids=["empty", "not-json", "scalar", "blank"],
)
def test_given_input_no_delivery_can_be_then_4xx_with_the_reason(
    served: tuple[int, subprocess.Popen[str]], body: bytes, status: int, message: str
) -> None:
    got, doc = _request(served[0], body)
    assert got == status and message in doc["error"]


def test_given_another_path_or_no_length_then_404_and_411(served: tuple[int, subprocess.Popen[str]]) -> None:
    assert _request(served[0], b"{}", path="/events")[0] == 404
    assert _request(served[0], None)[0] == 411
    assert _request(served[0], None, headers={"Content-Length": "x"})[0] == 400


def test_given_an_event_no_rule_matches_then_200_reporting_it_unrouted(
    served: tuple[int, subprocess.Popen[str]],
) -> None:
    doc = json.loads((ROOT / "events" / "FileChange" / "deploy-file.json").read_text())
    doc["source"] = "acs.oss"
    status, answer = _request(served[0], json.dumps(doc).encode())
    [report] = answer["events"]
    assert status == 200 and report["outcome"] == "unrouted" and "no function's rule" in report["error"]


def test_given_a_posted_extension_event_then_the_response_says_which_function_ran_and_the_verdict(
    served: tuple[int, subprocess.Popen[str]],
) -> None:
    body = (ROOT / "events" / "NodeChange" / "freeze-node.json").read_bytes()
    status, answer = _request(served[0], body)
    [report] = answer["events"]
    assert status == 200 and report["functions"] == ["dwevents-node-change"]
    assert report["outcome"] == "processed" and report["verdict"]["api"] == "UpdateWorkbenchEventResult"
    with urllib.request.urlopen(f"http://127.0.0.1:{served[0]}/verdicts", timeout=30) as response:
        verdicts = json.loads(response.read())["verdicts"]
    assert [v["message_id"] for v in verdicts][-1:] == [json.loads(body)["id"]]


def test_given_garbage_then_the_bus_keeps_serving(served: tuple[int, subprocess.Popen[str]]) -> None:
    assert _request(served[0], b"{nope")[0] == 400
    status, answer = _request(
        served[0], (ROOT / "events" / "DagStatusChanges" / "dag-status-changes.json").read_bytes()
    )
    assert status == 200 and [r["outcome"] for r in answer["events"]] == ["processed"]


def _serve_error(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["serve", *argv], out=io.StringIO())
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    return code, lines[0]


@pytest.mark.parametrize(
    ("port", "message"), [("70000", "out of range"), ("-1", "out of range"), ("http", "not a number")]
)
def test_given_a_bad_port_then_one_line_and_exit_2(
    port: str, message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, line = _serve_error("--port", port, capsys=capsys)
    assert code == 2 and message in line and line.startswith("dwevents serve: --port")


def test_given_a_port_in_use_then_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, line = _serve_error("--port", str(port), capsys=capsys)
    assert code == 2 and "already in use" in line and str(port) in line


def test_given_no_syaml_then_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, line = _serve_error("--port", "0", capsys=capsys)
    assert code == 2 and "s.yaml: not found" in line
