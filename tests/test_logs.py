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


# -- the direct audit line (logs.write_direct) ---------------------------------------------------------


class Installed:
    """The ``dwevents`` logger as :func:`logs.configure` leaves it in FC, writing into a list.

    Entered around each call, not set up once: pytest (9.2 and later) attaches its own capture handlers
    to non-propagating loggers such as ``dwevents`` when the test body starts, and FC has none of them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lines: list[str] = []
        lines = self.lines

        class Stream:
            def write(self, text: str) -> None:
                lines.append(text)

            def flush(self) -> None:
                pass

        self.handler = logging.StreamHandler(Stream())
        self.handler.setFormatter(logs.JsonFormatter())
        self.root = logging.getLogger("dwevents")
        self.logger = logging.getLogger("dwevents.audit")
        monkeypatch.setattr(logs, "_HANDLER", self.handler)
        for logger, handlers, propagate in ((self.root, [self.handler], False), (self.logger, [], True)):
            for name, value in (("handlers", handlers), ("filters", []), ("propagate", propagate)):
                monkeypatch.setattr(logger, name, value)
            monkeypatch.setattr(logger, "disabled", False)
        monkeypatch.setattr(self.root, "level", logging.INFO)

    def __enter__(self) -> Installed:
        self._saved = (list(self.root.handlers), list(self.logger.handlers))
        self.root.handlers[:] = [self.handler]
        self.logger.handlers[:] = []
        return self

    def __exit__(self, *exc: object) -> None:
        self.root.handlers[:], self.logger.handlers[:] = self._saved


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Installed:
    return Installed(monkeypatch)


def _without_time(text: str) -> dict[str, object]:
    line = json.loads(text)
    assert isinstance(line.pop("time"), str)
    return line


def test_given_the_installed_handler_then_the_direct_line_is_the_line_logging_writes(
    installed: Installed,
) -> None:
    """GIVEN the handler configure() installs, WHEN a line is written directly and through logging,
    THEN both lines hold the same fields (only the time may differ)."""
    extra = {"record": {"audit": True, "workspace_id": 42, "metrics": [{"value": 1.5}], "name": "é"}}
    with installed, logs.log_context(request_id="r-1", message_id="m-1"):
        assert logs.write_direct(installed.logger, "audit x processed", extra)
        installed.logger.info("audit %s %s", "x", "processed", extra=extra)
    lines = installed.lines
    assert len(lines) == 2 and all(line.endswith("\n") for line in lines)
    assert _without_time(lines[0]) == _without_time(lines[1])
    assert list(json.loads(lines[0])) == list(json.loads(lines[1]))  # same key order too


def test_given_a_handler_or_filter_added_then_the_direct_path_steps_aside(installed: Installed) -> None:
    """GIVEN a user handler on the way, or a filter, WHEN writing directly, THEN nothing is written and
    False comes back (the caller logs through logging, so the user's handler sees the line)."""
    logger = installed.logger
    with installed:
        logger.addHandler(logging.NullHandler())
        assert not logs.write_direct(logger, "m", {})
    with installed:
        only_some = logging.Filter("nothing")
        installed.root.addFilter(only_some)
        try:
            assert not logs.write_direct(logger, "m", {})
        finally:
            installed.root.removeFilter(only_some)
    assert installed.lines == []
    with installed:
        assert logs.write_direct(logger, "m", {})
    assert len(installed.lines) == 1


def test_given_a_line_holding_a_secret_then_the_direct_path_leaves_it_to_the_scrubbing_formatter(
    installed: Installed,
) -> None:
    """GIVEN a value that is a known secret, WHEN writing directly, THEN it is refused (False), and the
    logging path writes it scrubbed."""
    extra = {"record": {"note": "env-secret-value-123"}}
    with installed:
        assert not logs.write_direct(installed.logger, "m", extra)
        installed.logger.info("m", extra=extra)
    assert json.loads(installed.lines[0])["record"]["note"] == "***"
