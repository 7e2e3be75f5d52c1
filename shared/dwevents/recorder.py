"""Keep every event a function receives, so there is something to replay beyond the bus's trace retention.

Opt-in with ``DWEVENTS_RECORD``:

* ``log`` (or ``true`` / ``on`` / ``1``): one JSON line per event on standard output. In Function Compute
  standard output goes to the function's Log Service logstore, so a saved search exports the
  recording (each line, or each log's ``message`` field, is one record);
* any other value: a path; records are appended to that JSON-lines file (local runs, tests);
* unset, empty, ``off`` / ``false`` / ``0``: nothing is recorded (the default).

One record per event, as delivered — a CloudEvent, an FC-direct message, or an element of a batch —
wrapped with when and where it arrived::

    {"dwevents_record": 1, "recorded_at": "2026-05-04T10:00:00.000+00:00", "function": "...",
     "request_id": "...", "event": {...}}

Input that is not JSON is kept as ``"raw"`` text (bounded) instead of ``"event"``, so a replay
reports it as undecodable just as the function did. ``dwevents replay --from FILE`` reads these
records directly (see ``docs/replay.md``).

Credentials never reach a record: values under keys that name a secret (password, secret, token,
signature, credential, authorization, cookie, access key) are replaced by ``***``, and every string goes
through :func:`dwevents.logs.redact` (the function's own credential values, from the environment and the
invocation context, and credential-bearing ``name=value`` pairs). Recording never fails an invocation:
a record that cannot be written is logged once as a warning and skipped.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, TextIO

from dwevents import env, logs

logger = logging.getLogger(__name__)

#: The marker (and version) of a record line; ``dwevents replay`` recognises records by it.
RECORD_KEY = "dwevents_record"
RECORD_VERSION = 1
REDACTED = "***"
#: A value kept as ``raw`` text (input that is not JSON) is cut to this many characters.
MAX_RAW_CHARS = 65_536

_TO_LOG = frozenset({"log", "true", "on", "1", "yes", "stdout"})
_OFF = frozenset({"", "off", "false", "0", "no", "none"})
#: Key names (lower-cased, without ``_``/``-``) whose values are secrets wherever they appear.
_SECRET_KEY = re.compile(
    r"(password|passwd|secret|credential|signature|authorization|cookie|privatekey|accesskey|apikey"
    r"|securitytoken|accesstoken|token$)"
)


class Recorder:
    """Writes one record line per delivered event to a file or to standard output (FC's log)."""

    def __init__(self, target: str, *, stream: TextIO | None = None) -> None:
        self.target = target
        self._stream = stream
        self._lock = threading.Lock()
        self._warned = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Recorder | None:
        """The recorder ``DWEVENTS_RECORD`` asks for, or ``None`` when recording is off."""
        value = (os.environ if environ is None else environ).get(env.RECORD, "").strip()
        if value.lower() in _OFF:
            return None
        return cls("log" if value.lower() in _TO_LOG else value)

    @property
    def to_log(self) -> bool:
        return self.target == "log"

    # -- recording ---------------------------------------------------------------------------------

    def record(
        self, raw: Any, *, function: str = "", request_id: str = "", secrets: Iterable[str] = ()
    ) -> int:
        """Record every event of one invocation payload; returns how many records were written.

        ``secrets``: further credential values to scrub (e.g. the keys FC's python3.10 context carries).
        """
        try:
            records = records_for(raw, function=function, request_id=request_id)
            extra = [s for s in secrets if s and len(s) >= 8]
            lines = []
            for rec in records:
                line = logs.dumps_line(rec)
                for secret in extra:
                    line = line.replace(json.dumps(secret)[1:-1], REDACTED)
                lines.append(line)
            self._write(lines)
            return len(lines)
        except Exception as exc:  # recording is an aid: it never costs an event its processing
            if not self._warned:
                self._warned = True
                logger.warning("cannot record events to %s: %s: %s", self.target, type(exc).__name__, exc)
            return 0

    def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        text = "".join(line + "\n" for line in lines)
        with self._lock:
            if self.to_log:
                stream = self._stream or sys.stdout
                stream.write(text)
                stream.flush()
            else:
                with open(self.target, "a", encoding="utf-8") as fh:
                    fh.write(text)


def records_for(raw: Any, *, function: str = "", request_id: str = "") -> list[dict[str, Any]]:
    """The records for one invocation payload: one per event (a batch array gives one per element)."""
    at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    base: dict[str, Any] = {RECORD_KEY: RECORD_VERSION, "recorded_at": at}
    if function:
        base["function"] = function
    if request_id:
        base["request_id"] = request_id
    document, text = _parse(raw)
    if document is None:
        return [{**base, "raw": scrub_text(text[:MAX_RAW_CHARS])}]
    events = document if isinstance(document, list) else [document]
    return [{**base, "event": scrub(event)} for event in events]


def _parse(raw: Any) -> tuple[Any, str]:
    """(the JSON document, or None when the input is not JSON; the input as text)."""
    if isinstance(raw, (dict, list)):
        return raw, ""
    if isinstance(raw, (bytes, bytearray, memoryview)):
        text = bytes(raw).decode("utf-8", "replace")
    else:
        text = str(raw)
    try:
        return json.loads(text), text
    except ValueError:
        return None, text


def is_secret_key(key: str) -> bool:
    """Whether a key names a credential (``accessKeySecret``, ``password``, ``x-acs-security-token``)."""
    return bool(_SECRET_KEY.search(re.sub(r"[_\-\s]", "", key.lower())))


def scrub(value: Any) -> Any:
    """A copy of ``value`` with secret-named keys' values replaced and credential values scrubbed."""
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if isinstance(k, str) and is_secret_key(k) and v not in (None, "") else scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def scrub_text(text: str) -> str:
    """``text`` without credential values (the role's keys from the environment and the invocation
    context, webhook secrets) or credential-bearing ``name=value`` pairs: :func:`dwevents.logs.redact`."""
    return logs.redact(text)
