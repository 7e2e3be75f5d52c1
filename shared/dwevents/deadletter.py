"""Where permanently failed events go: an ERROR log line (SLS can alert on it) and optionally a file.

Permanent means retrying cannot help: input that does not decode, an event refused as not ours, an id
DataWorks could never be answered for. The sink never raises: losing the dead-letter line must not
cost the other events of the batch, and whatever the event holds (a lone surrogate, an integer too long
to print) is written escaped or described (:func:`dwevents.logs.dumps_line`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from dwevents import logs

logger = logging.getLogger("dwevents.dead_letter")

#: Characters of a non-JSON input kept in a dead-letter line.
EXCERPT_CHARS = 4096


class DeadLetterSink:
    """Writes dead-letter records; ``path`` (JSON lines) is for local runs and tests."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()

    def put(self, raw: Any, reason: str, *, message_id: str | None = None) -> None:
        reason = logs.error_text(reason) or ""
        try:
            logger.error(
                "dead-letter: %s", reason, extra={"dead_letter": True, "dead_letter_message_id": message_id}
            )
            if self.path:
                excerpt = raw if isinstance(raw, (dict, list)) else _excerpt(raw)
                line = logs.dumps_line(
                    {"reason": reason, "message_id": message_id, "event": logs.redact_value(excerpt)}
                )
                with self._lock, open(self.path, "a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
        except Exception:  # never let the sink take the batch down
            logger.exception("could not write a dead-letter record")


def _excerpt(raw: Any, limit: int = EXCERPT_CHARS) -> str:
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raw = bytes(raw[:limit]).decode("utf-8", "replace")
    try:
        text = str(raw)
    except Exception:
        text = f"<{type(raw).__name__}>"
    return text if len(text) <= limit else text[:limit] + "…"
