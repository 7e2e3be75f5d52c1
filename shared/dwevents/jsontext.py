"""JSON text for log lines and handler returns: ``json.dumps(doc, ensure_ascii=False, default=str)``,
written by one encoder made once; and the time text those lines carry (:func:`now_text`).

Why: ``json.dumps`` with any keyword builds a new ``JSONEncoder`` and a new C encoder on every call, and
checks for circular references as it goes; for the small documents a regular event writes (its one
log line, the handler's return) that set-up cost as much as the encoding. The documents written here
are trees built by this package, so the circular-reference check is left out: a cycle ends in
``RecursionError`` instead of ``ValueError`` (both are caught where a line could hold one, see
:func:`dwevents.logs.dumps_line`). The text is the same as ``json.dumps`` writes (a test holds it to that);
where the C encoder is missing or has another signature (another Python implementation or version) the
standard encoder is used.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

__all__ = ["dumps", "now_text"]

_standard = json.JSONEncoder(ensure_ascii=False, default=str)


def _make() -> Callable[[Any], str]:
    try:
        from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]

        if c_make_encoder is None:
            raise ImportError("no C encoder")
        encode = c_make_encoder(None, str, encode_basestring, None, ": ", ", ", False, False, True)
        join = "".join

        def fast(doc: Any) -> str:
            if type(doc) is str:
                return encode_basestring(doc)
            return join(encode(doc, 0))

        if fast({"a": [1, 2.5, None, True, "é"]}) != _standard.encode({"a": [1, 2.5, None, True, "é"]}):
            raise ImportError("the C encoder writes something else here")
        return fast
    except (ImportError, TypeError):
        return _standard.encode


#: ``dumps(doc)`` ≡ ``json.dumps(doc, ensure_ascii=False, default=str)`` for trees (see the module doc).
dumps: Callable[[Any], str] = _make()


#: The last UTC millisecond written as text, and its text (see :func:`now_text`).
_NOW: tuple[int, str] = (-1, "")


def now_text() -> str:
    """The current UTC time as ISO 8601 text to the millisecond (``2026-12-01T21:09:24.639+00:00``).

    Why cached: a regular event writes the time three times (the line, the audit record, the
    idempotency record) and formatting it cost more than writing the line; events of one millisecond
    share the text. One tuple, swapped whole, so a thread never sees one instant's number with another's
    text."""
    global _NOW
    ms = int(time.time() * 1000)
    cached = _NOW
    if cached[0] == ms:
        return cached[1]
    text = datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")
    _NOW = (ms, text)
    return text
