"""Structured JSON logs with per-invocation correlation (FC ships stdout to SLS), scrubbed of secrets.

Every record logged while an event is processed carries ``request_id`` (FC), ``message_id`` and
``type`` from a context variable, so concurrent requests on one instance stay apart.

Secrets never reach a log line, a result report or an idempotency record: :func:`redact` replaces
every known credential value — the role's keys from the environment *and* from the python3.10
invocation context (:func:`add_secrets`), webhook secrets, URL passwords — and the values of
credential-bearing headers or parameters a library may echo (``Authorization``,
``x-acs-security-token``, ``Signature`` …). The JSON formatter applies it to the message, the
correlation fields and every ``extra=`` field. A line is never lost to its content: a value JSON
cannot encode as UTF-8 (a lone surrogate in an event id) is written escaped, and a value ``str()``
refuses (an integer past ``sys.get_int_max_str_digits()``) is described instead.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from dwevents import env, jsontext
from dwevents.redact import url_secrets

_CONTEXT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "dwevents_log_context", default=None
)

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

#: Shorter values are not scrubbed: replacing them would mangle ordinary text.
MIN_SECRET_CHARS = 8
#: Secrets registered from invocation contexts are kept for the instance's life, at most this many.
MAX_REGISTERED = 64
#: Longest text a report or record keeps of an error message.
MAX_ERROR_CHARS = 1000

#: Environment variables whose values are credentials.
_SECRET_VARIABLES = (env.ACCESS_KEY_SECRET, env.SECURITY_TOKEN, env.WEBHOOK_SECRET)
#: Environment variables holding URLs whose password / query / token path may be credentials.
_URL_VARIABLES = (env.REDIS_URL, env.WEBHOOK_URL)

#: ``Authorization: <anything up to the end of the quoted value or line>``.
_AUTHORIZATION = re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n]+")
#: ``name: value`` / ``name=value`` for credential-bearing headers and parameters.
#: Every alternative of the patterns above (and below) contains one of these words: a JSON line in which
#: none occurs, and no secret either, needs no per-value scrubbing. Plain substring tests on the
#: lower-cased line (no ``\b``, so JSON escaping cannot hide a match); the patterns' IGNORECASE also
#: matches these non-ASCII letters to ASCII ones (ſ→s, ı/İ→i, K→k), so a line with any of them is
#: scrubbed the slow way.
_TRIGGER_WORDS = ("authorization", "sign", "secret", "token", "password")
_CASE_TWINS = "\u017f\u0131\u0130\u212a"
_CREDENTIAL_FIELD = re.compile(
    r"(?i)(\b(?:x-acs-security-token|x-acs-signature[\w-]*|securitytoken|security_token|"
    r"accesskeysecret|access_key_secret|signature|x-dingtalk-sign|sign|secret|token|password)"
    r"[\"']?\s*[:=]\s*[\"']?)([^\s\"',;&}\]]+)"
)


class log_context:
    """Add correlation fields to every log record inside the block.

    A class rather than a ``@contextmanager`` generator: it is entered twice per event, and the
    generator machinery cost more than the rest of the bookkeeping around it."""

    __slots__ = ("_fields", "_token")

    def __init__(self, **fields: Any) -> None:
        self._fields = fields

    def __enter__(self) -> None:
        merged = dict(_CONTEXT.get() or ())
        for key, value in self._fields.items():
            if value is not None:
                merged[key] = value
        self._token = _CONTEXT.set(merged)

    def __exit__(self, *exc: object) -> None:
        _CONTEXT.reset(self._token)


_registered: dict[str, None] = {}
_env_cache: tuple[float, tuple[str, ...]] = (-1.0, ())


def add_secrets(values: Iterable[str | None]) -> None:
    """Register credential values to scrub (the python3.10 context's keys, a function's own environ)."""
    for value in values:
        if isinstance(value, str) and len(value) >= MIN_SECRET_CHARS and value not in _registered:
            _registered[value] = None
            while len(_registered) > MAX_REGISTERED:
                del _registered[next(iter(_registered))]


def secrets_of(environ: Mapping[str, str]) -> list[str]:
    """The credential values an environment holds (role keys, webhook secret, URL passwords)."""
    found = [environ.get(name) or "" for name in _SECRET_VARIABLES]
    for name in _URL_VARIABLES:
        if environ.get(name):
            found += url_secrets(environ[name])
    return [v for v in found if len(v) >= MIN_SECRET_CHARS]


_sorted_cache: tuple[tuple[object, ...], tuple[str, ...], frozenset[str]] = ((), (), frozenset())


def _secrets() -> tuple[str, ...]:
    """Every value to scrub; the environment is re-read at most once a second (FC rotates STS keys)."""
    return _secret_forms()[0]


def _secret_forms() -> tuple[tuple[str, ...], frozenset[str]]:
    """The secrets, longest first (a secret that contains another is replaced whole), and every form
    they take inside a JSON line (as written, and JSON-escaped): sorted once per change, not per call."""
    global _env_cache, _sorted_cache
    now = time.monotonic()
    if now - _env_cache[0] > 1.0:
        _env_cache = (now, tuple(secrets_of(os.environ)))
    key = (_env_cache[1], tuple(_registered))
    if key != _sorted_cache[0]:
        ordered = tuple(sorted({*_env_cache[1], *_registered}, key=len, reverse=True))
        forms = {
            form
            for s in ordered
            for form in (s, json.dumps(s)[1:-1], json.dumps(s, ensure_ascii=False)[1:-1])
        }
        _sorted_cache = (key, ordered, frozenset(forms))
    return _sorted_cache[1], _sorted_cache[2]


def redact(text: str) -> str:
    """``text`` without credential values or credential-bearing header / parameter values."""
    for secret in _secrets():
        if secret in text:
            text = text.replace(secret, "***")
    text = _AUTHORIZATION.sub(r"\1***", text)
    return _CREDENTIAL_FIELD.sub(r"\1***", text)


def redact_value(value: Any, depth: int = 0) -> Any:
    """:func:`redact` applied to every string inside ``value`` (dicts, lists, tuples)."""
    if isinstance(value, str):
        return redact(value)
    if depth > 20:
        return "…"
    if isinstance(value, Mapping):
        return {k: redact_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v, depth + 1) for v in value]
    return value


def error_text(error: BaseException | str | None, limit: int = MAX_ERROR_CHARS) -> str | None:
    """An error as a report or record may keep it: redacted, one line, bounded."""
    if error is None:
        return None
    text = error if isinstance(error, str) else describe(error)
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(exc: BaseException) -> str:
    """``str(exc)``, or its type when even that fails (an exception holding an unprintable value)."""
    try:
        return str(exc)
    except Exception:  # pragma: no cover - depends on the exception
        return f"{type(exc).__name__} (message not printable)"


def _plain(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of ``value`` for the rare line json.dumps refused."""
    if isinstance(value, (str, bool, float)) or value is None:
        return value
    if isinstance(value, int):
        limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
        return (
            value
            if not limit or value.bit_length() < limit * 3
            else f"<integer of {value.bit_length()} bits>"
        )
    if depth > 20:
        return "…"
    if isinstance(value, Mapping):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v, depth + 1) for v in value]
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__}>"


def dumps_line(doc: Mapping[str, Any]) -> str:
    """One JSON line that can always be written as UTF-8: lone surrogates escaped, odd values described."""
    try:
        text = json.dumps(doc, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        text = json.dumps(_plain(doc), ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(json.loads(text), ensure_ascii=True)
    return text


def escape_text(text: str) -> str:
    """``text`` writable as UTF-8: a lone surrogate becomes its ``\\udXXX`` escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a %-argument whose str() raises must not cost the line
        return f"{record.msg} (arguments not printable)"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation fields, extras.

    Why two paths: scrubbing every value of a line costs more than the rest of a regular event's
    processing. The line is therefore written first, as is, and scrubbed value by value only when it
    holds a known secret (in any of its JSON forms) or a word every credential pattern contains
    (:data:`_TRIGGER_WORDS`); otherwise nothing in it could have been replaced, and it goes out as is.
    """

    def format(self, record: logging.LogRecord) -> str:
        if not record.exc_info:
            text = self._fast(record)
            if text is not None:
                return text
        return self._scrubbed(record)

    def _fields(self, record: logging.LogRecord) -> dict[str, Any]:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
        }
        out.update(_CONTEXT.get() or {})
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value
        return out

    def _fast(self, record: logging.LogRecord) -> str | None:
        """The line as is, or None when it may hold something to scrub (or cannot be written as is)."""
        return _unscrubbed(self._fields(record))

    def _scrubbed(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(_message(record)),
        }
        out.update(redact_value(_CONTEXT.get() or {}))
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = redact_value(value)
        if record.exc_info:
            out["exception"] = redact(self.formatException(record.exc_info))
        return dumps_line(out)


def _unscrubbed(fields: Mapping[str, Any]) -> str | None:
    """``fields`` as one JSON line, or None when it may hold something to scrub (or cannot be written
    as is): see :class:`JsonFormatter`."""
    try:
        text = jsontext.dumps(fields)
        text.encode("utf-8")
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError):
        return None
    lowered = text.lower()
    if any(word in lowered for word in _TRIGGER_WORDS):
        return None
    if not text.isascii() and any(twin in text for twin in _CASE_TWINS):
        return None
    forms = _secret_forms()[1]
    if forms and any(form in text for form in forms):
        return None
    return text


def write_direct(logger: logging.Logger, message: str, extra: Mapping[str, Any]) -> bool:
    """Write an INFO line for ``logger`` straight to the handler :func:`configure` installed, the line
    :class:`JsonFormatter` would write for ``logger.info(message, extra=extra)``; False (nothing
    written) when that is not certain: another handler or filter anywhere on the way, another
    formatter or level, or a line that needs scrubbing. The caller then logs it the usual way.

    Why: the audit record is the one line of every regular event, and building a ``LogRecord`` and
    dispatching it cost as much as encoding the line. Checked on every call (a handler added later, as
    tests and users do, is honoured at once)."""
    handler = _HANDLER
    if handler is None or handler.filters or handler.level > logging.INFO:
        return False
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return False
        if current.handlers:
            if current.name != "dwevents" or current.handlers != [handler] or current.propagate:
                return False
            break
        if not current.propagate:
            return False
        current = current.parent
    if current is None or type(handler.formatter) is not JsonFormatter:
        return False
    fields: dict[str, Any] = {
        "time": jsontext.now_text(),
        "level": "INFO",
        "logger": logger.name,
        "message": message,
    }
    fields.update(_CONTEXT.get() or ())
    fields.update(extra)
    text = _unscrubbed(fields)
    if text is None:
        return False
    with handler.lock:  # type: ignore[union-attr]  # StreamHandler.emit, minus the LogRecord
        try:
            handler.stream.write(text + handler.terminator)
            handler.flush()
        except Exception:
            handler.handleError(logging.makeLogRecord({"msg": message, "name": logger.name}))
    return True


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal, with the correlation id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        ctx = _CONTEXT.get() or {}
        tag = f" [{ctx['message_id']}]" if "message_id" in ctx else ""
        line = f"{record.levelname:<7} {record.name}{tag}: {redact(_message(record))}"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return escape_text(line)


_configured = False
#: The handler :func:`configure` installed (what :func:`write_direct` writes to).
_HANDLER: logging.StreamHandler[Any] | None = None


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
    global _HANDLER
    handler = logging.StreamHandler(stream or sys.stdout)
    chosen = (fmt or os.environ.get(env.LOG_FORMAT) or "json").lower()
    handler.setFormatter(TextFormatter() if chosen == "text" else JsonFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    _HANDLER = handler
    _configured = True
