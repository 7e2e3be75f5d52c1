"""Structured JSON logs with per-invocation correlation (FC ships stdout to SLS).

Every record logged while an event is processed carries ``request_id`` (FC), ``message_id`` and
``type`` from a context variable, so concurrent requests on one instance stay apart. Secrets never
reach a log line: known credential variables are redacted from messages as a last line of defence.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from dwevents import env

_CONTEXT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "dwevents_log_context", default=None
)

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add correlation fields to every log record inside the block."""
    merged = {**(_CONTEXT.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    token = _CONTEXT.set(merged)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


_secret_cache: tuple[float, list[str]] = (-1.0, [])


def _secrets() -> list[str]:
    """The credential values to scrub; re-read at most once a second (FC rotates STS keys)."""
    global _secret_cache
    now = time.monotonic()
    if now - _secret_cache[0] > 1.0:
        names = (env.ACCESS_KEY_SECRET, env.SECURITY_TOKEN)
        _secret_cache = (now, [v for name in names if (v := os.environ.get(name)) and len(v) >= 8])
    return _secret_cache[1]


def redact(text: str) -> str:
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation fields, extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        out.update(_CONTEXT.get() or {})
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal, with the correlation id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        ctx = _CONTEXT.get() or {}
        tag = f" [{ctx['message_id']}]" if "message_id" in ctx else ""
        line = f"{record.levelname:<7} {record.name}{tag}: {redact(record.getMessage())}"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


_configured = False


def configure(level: str | None = None, fmt: str | None = None, stream: Any = None) -> None:
    """Install one handler on the ``dwevents`` logger (idempotent). JSON by default."""
    global _configured
    logger = logging.getLogger("dwevents")
    if _configured and level is None:
        return
    level_name = (level or os.environ.get(env.LOG_LEVEL) or "INFO").upper()
    logger.setLevel(getattr(logging, level_name, logging.INFO))
    if _configured:
        return
    handler = logging.StreamHandler(stream or sys.stdout)
    chosen = (fmt or os.environ.get(env.LOG_FORMAT) or "json").lower()
    handler.setFormatter(TextFormatter() if chosen == "text" else JsonFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    _configured = True
