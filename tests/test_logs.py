"""Log lines and report texts: credentials and credential-bearing headers scrubbed, every line writable."""

from __future__ import annotations

import json
import logging

import pytest

from dwevents import logs


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret-value-123")
    monkeypatch.setenv("DWEVENTS_WEBHOOK_SECRET", "SECwebhook-secret-456")
    monkeypatch.setenv("DWEVENTS_REDIS_URL", "redis://:redis-password-789@cache:6379/0")
    monkeypatch.setattr(logs, "_env_cache", (-1.0, ()))  # re-read the environment now


def test_given_credential_values_from_the_environment_then_they_are_replaced() -> None:
    text = "keys env-secret-value-123 / SECwebhook-secret-456 / redis-password-789"
    assert logs.redact(text) == "keys *** / *** / ***"


def test_given_registered_context_credentials_then_they_are_replaced_too() -> None:
    logs.add_secrets(["ctx-only-secret-000", None, "short"])
    assert logs.redact("ctx-only-secret-000 and short") == "*** and short"


@pytest.mark.parametrize(
    ("echoed", "kept"),
    [
        (
            "Authorization: ACS3-HMAC-SHA256 Credential=LTAI5t,SignedHeaders=host,Signature=9f86d0",
            "Authorization: ",
        ),
        ("x-acs-security-token: CAIS1234567890abc", "x-acs-security-token: "),
        ('{"SecurityToken": "CAIS1234567890abc"}', '"SecurityToken": "'),
        ("...&Signature=abc123def&SignatureNonce=1", "Signature="),
    ],
)
def test_given_echoed_request_headers_then_their_values_are_scrubbed(echoed: str, kept: str) -> None:
    scrubbed = logs.redact(echoed)
    assert kept in scrubbed and "***" in scrubbed
    for secret in ("9f86d0", "CAIS1234567890abc", "abc123def"):
        assert secret not in scrubbed


def test_given_extra_fields_and_context_fields_then_the_json_line_is_scrubbed() -> None:
    record = logging.LogRecord(
        "dwevents.x", logging.INFO, __file__, 1, "calling with %s", ("env-secret-value-123",), None
    )
    record.request = {
        "headers": {"Authorization": "ACS3 Signature=deadbeef"},
        "keys": ["SECwebhook-secret-456"],
    }
    with logs.log_context(message_id="m-1", note="redis-password-789"):
        line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "calling with ***" and line["note"] == "***"
    assert line["request"]["keys"] == ["***"]
    assert "deadbeef" not in json.dumps(line)


def test_given_an_error_text_then_the_report_keeps_one_bounded_scrubbed_line() -> None:
    text = logs.error_text("failed:\n token=CAIS-abcdef-123456 " + "x" * 5000)
    assert text is not None and "\n" not in text and "CAIS-abcdef-123456" not in text
    assert len(text) == logs.MAX_ERROR_CHARS and text.endswith("…")
