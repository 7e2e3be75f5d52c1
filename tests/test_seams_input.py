"""Trust, odd inputs and secrets at the runtime's seams (issue 10, items 5, 6 and 7).

Real handlers, the DataWorks stand-in, a real redis-server for stored records, and a local HTTP server
that echoes the request headers back in its error (as some gateways do) for the secrets cases.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis

from dwevents import logs
from dwevents.local.fc_context import ContextCredentials, FunctionMeta, LocalContext
from dwevents.runtime import FunctionApp

from .conftest import SAMPLE_ACCOUNT, load_sample, raw, redis_helper

COMMIT = "FileChange/commit-file"
UPLOAD = "fc-direct/upload-data-to-table"
DOWNLOAD = "fc-direct/download-resources"


@pytest.fixture()
def make_app(standin: Any, tmp_path: Path) -> Callable[..., FunctionApp]:
    def make(category: str = "FileChange", **env: str) -> FunctionApp:
        config = tmp_path / "config.yaml"
        config.write_text(f"dead_letter:\n  file: {tmp_path / 'dlq.jsonl'}\n", encoding="utf-8")
        environ = {
            **standin.client_env(),
            "DWEVENTS_EXTENSION_CODE": "ext",
            "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
            "DWEVENTS_CONFIG": str(config),
            "DWEVENTS_RULES": str(_pass_all(tmp_path)),
            **env,
        }
        return FunctionApp(category, environ=environ)

    return make


def _pass_all(tmp_path: Path) -> Path:
    path = tmp_path / "pass-all.yaml"
    path.write_text("version: 1\nrules: []\n", encoding="utf-8")
    return path


def dead_letters(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "dlq.jsonl"
    return (
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    )


# -- 5. trust -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "message", "reason"),
    [
        (
            "FileChange",
            DOWNLOAD,
            "FC-direct messages are accepted only by ResourcesDownload and ResourcesUpload",
        ),
        ("ResourcesDownload", UPLOAD, "is not sent to ResourcesDownload"),
    ],
)
def test_given_an_fc_direct_message_to_a_function_that_does_not_take_it_then_refused_without_an_answer(
    category: str,
    message: str,
    reason: str,
    make_app: Callable[..., FunctionApp],
    standin: Any,
    fc_context: Any,
) -> None:
    # GIVEN a message shaped like DataWorks' FC-direct call (no source, no account to check)
    app = make_app(category)
    # WHEN another function receives it
    result = app.process(raw(load_sample(message)), fc_context())
    # THEN it is refused: no verdict, no ExtensionResponse (it used to be trusted by every function)
    [event] = result.events
    assert event.outcome == "refused" and reason in (event.error or "")
    assert result.answer is None and event.verdict is None and standin.verdicts == []


def test_given_an_unknown_type_of_another_category_with_our_event_code_then_it_is_refused(
    make_app: Callable[..., FunctionApp], standin: Any, fc_context: Any
) -> None:
    doc = copy.deepcopy(load_sample(COMMIT))
    doc["type"] = "dataworks:NodeChange:NotARealAction"  # data.eventCode still says commit-file
    [event] = make_app().process(raw(doc), fc_context()).events
    assert event.outcome == "refused" and "belongs to the NodeChange function" in (event.error or "")
    assert standin.verdicts == []


@pytest.mark.parametrize(("block", "answered"), [(True, True), (False, False)])
def test_given_an_fc_direct_message_of_an_unknown_type_then_only_a_blocking_one_gets_the_fail_mode_answer(
    block: bool, answered: bool, make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    doc = copy.deepcopy(load_sample(UPLOAD))
    doc.update(eventType="upload-something-new", blockBusiness=block)
    doc["messageBody"]["eventCode"] = "upload-something-new"
    app = make_app("ResourcesUpload", DWEVENTS_FAIL_MODE="FAIL")
    returned = json.loads(app.handler(raw(doc), fc_context()))
    if answered:
        assert returned["checkResult"] == "FAIL" and returned["messageId"] == doc["messageId"]
        assert "upload-something-new" in returned["checkResultTip"]
    else:
        assert "checkResult" not in returned and returned["events"][0]["outcome"] == "refused"


# -- 6. inputs no real event has ----------------------------------------------------------------------


def test_given_an_extension_event_whose_payload_does_not_validate_then_one_fail_mode_verdict_naming_the_field(
    make_app: Callable[..., FunctionApp], standin: Any, fc_context: Any, tmp_path: Path
) -> None:
    doc = copy.deepcopy(load_sample(COMMIT))
    doc["id"] = "bad-payload"
    doc["data"]["projectId"] = {"not": "a number"}
    app = make_app(DWEVENTS_FAIL_MODE="FAIL")
    # WHEN delivered, and delivered again
    first = app.process(raw(doc), fc_context())
    second = app.process(raw(doc), fc_context())
    # THEN one verdict per delivery: the fail mode, its tip naming the field; dead-lettered, not retried
    [v1, v2] = standin.verdicts
    assert (v1.message_id, v1.check_result) == ("bad-payload", "FAIL") and "data.projectId" in v1.tip
    assert v2.tip == v1.tip  # the redelivery re-sent the recorded verdict
    assert first.events[0].outcome == "failed" and not first.needs_retry
    assert second.events[0].outcome == "duplicate"
    assert [d["reason"].split(":")[0] for d in dead_letters(tmp_path)] == ["undecodable"]


def test_given_an_fc_direct_body_that_does_not_validate_then_the_fail_mode_answer_names_the_field(
    make_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    doc = copy.deepcopy(load_sample(UPLOAD))
    doc["messageBody"]["fileSize"] = {"not": "a size"}
    returned = json.loads(make_app("ResourcesUpload").handler(raw(doc), fc_context()))
    assert returned["checkResult"] == "WARN" and "messageBody.fileSize" in returned["checkResultTip"]


def test_given_an_id_with_a_lone_surrogate_then_a_permanent_failure_logged_escaped_and_the_batch_returns(
    make_app: Callable[..., FunctionApp], standin: Any, fc_context: Any, tmp_path: Path
) -> None:
    # GIVEN a batch whose first event id holds a lone surrogate (valid JSON, not encodable as UTF-8)
    good = copy.deepcopy(load_sample(COMMIT))
    good["id"] = "good-id"
    odd = copy.deepcopy(load_sample(COMMIT))
    odd["id"] = "odd-ID"
    body = raw([odd, good]).replace(b"odd-ID", b"odd-\\ud800")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logging.getLogger("dwevents").addHandler(handler)
    try:
        # WHEN handled THEN the handler returns (it used to raise on every delivery, forever)
        returned = json.loads(make_app().handler(body, fc_context()))
    finally:
        logging.getLogger("dwevents").removeHandler(handler)
    assert [e["outcome"] for e in returned["events"]] == ["failed", "processed"]
    assert returned["events"][0]["retry"] is False
    assert [v.message_id for v in standin.verdicts] == ["good-id"]
    # AND every log line was written, the odd id escaped
    lines = stream.getvalue().splitlines()
    assert all(line.encode("utf-8") for line in lines)
    assert any("odd-\\ud800" in line for line in lines)
    [letter] = dead_letters(tmp_path)
    assert letter["message_id"] == "odd-\ud800"


def test_given_log_values_json_cannot_write_then_the_line_is_escaped_or_described_never_lost() -> None:
    record = logging.LogRecord("dwevents.x", logging.INFO, __file__, 1, "id %s", ("a\ud800b",), None)
    record.payload = {"n": 10**5000, "s": "\udfff"}  # an integer past str()'s digit limit, a lone surrogate
    line = logs.JsonFormatter().format(record)
    parsed = json.loads(line.encode("utf-8"))
    assert parsed["message"] == "id a\ud800b" and parsed["payload"]["s"] == "\udfff"
    assert parsed["payload"]["n"].startswith("<integer of")


# -- 7. secrets ---------------------------------------------------------------------------------------------


class _EchoHeaders(BaseHTTPRequestHandler):
    """Answers every call with a 400 whose message echoes the request headers (as some gateways do)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        echoed = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
        body = json.dumps(
            {"RequestId": "echo-1", "Code": "InvalidParameter", "Message": f"bad request, headers: {echoed}"}
        ).encode()
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def echo_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHeaders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_given_python310_context_credentials_and_an_echoing_endpoint_then_no_log_report_or_record_holds_them(
    echo_endpoint: str, tmp_path: Path
) -> None:
    secret, token = "ctx-secret-0123456789abcdef", "ctx-sts-token-0123456789abcdef"
    context = LocalContext(
        function=FunctionMeta(name="secrets", timeout=10),
        account_id=SAMPLE_ACCOUNT,
        credentials=ContextCredentials("LTAI-context-key", secret, token),
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logging.getLogger("dwevents").addHandler(handler)
    with redis_helper().run_redis_server(tmp_path / "redis") as url:
        app = FunctionApp(
            "FileChange",
            environ={
                "DWEVENTS_DATAWORKS_ENDPOINT": echo_endpoint,
                "DWEVENTS_DATAWORKS_PROTOCOL": "http",
                "DWEVENTS_EXTENSION_CODE": "ext",
                "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
                "DWEVENTS_REDIS_URL": url,
                "DWEVENTS_RULES": str(_pass_all(tmp_path)),
            },
        )

        @app.on("commit-file")
        def chatty(event: Any, invocation: Any) -> None:  # user code logging what it should not
            logging.getLogger("dwevents.user").info(
                "signing with %s", secret, extra={"creds": {"token": token, "nested": [secret]}}
            )

        try:
            [result] = app.process(raw(load_sample(COMMIT)), context).events
        finally:
            logging.getLogger("dwevents").removeHandler(handler)
        stored = [redis.Redis.from_url(url).hgetall(key) for key in redis.Redis.from_url(url).keys("*")]
    # THEN DataWorks' error (echoing Authorization and the token) is kept only scrubbed in the report
    report = result.verdict
    assert report is not None and not report.acknowledged and report.error_code == "InvalidParameter"
    assert "headers:" in (report.error or "")
    # AND no log line, report or idempotency record holds the secret, the token or the signature
    texts = {
        "logs": stream.getvalue(),
        "report": json.dumps(result.as_dict()),
        "record": json.dumps([{k.decode(): v.decode() for k, v in r.items()} for r in stored]),
    }
    for where, text in texts.items():
        assert secret not in text and token not in text, where
        assert "Signature=" not in text.replace("Signature=***", ""), where
    assert "***" in texts["logs"] and "***" in texts["report"]
    [record] = stored
    assert set(json.loads(record[b"result"])) == {"outcome", "verdict", "at"}
