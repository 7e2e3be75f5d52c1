"""One normalized audit record per event: who did what, where, when, and how it ended.

The record is built from the event's facts (:mod:`dwevents.models.facts`), the same vocabulary the
policy, the notification texts and the metrics read, whatever the event type, so one SLS query answers
"what happened in workspace 42 yesterday" across every DataWorks module.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from dwevents import jsontext, logs
from dwevents.envelope import DataWorksEvent
from dwevents.models.facts import facts_of, plain

logger = logging.getLogger("dwevents.audit")


def audit_record(
    event: DataWorksEvent, *, function: str | None, outcome: str, detail: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The normalized record. ``outcome`` is the pipeline's (processed, refused, ...)."""
    facts = facts_of(event.payload)
    spec = event.spec
    tables = facts.tables
    record: dict[str, Any] = {
        "audit": True,
        "message_id": event.message_id,
        "type": event.type,
        "event_code": event.event_code,
        "title": spec.title if spec else "Unknown DataWorks event",
        "module": spec.module.value if spec else None,
        "kind": spec.kind.value if spec else None,
        "who": facts.operator or facts.owner,
        "workspace_id": facts.workspace_id,
        "tenant_id": facts.tenant_id,
        "node": facts.node,
        "instance": facts.instance,
        "table": (tables[0] if len(tables) == 1 else list(tables)) if tables else None,
        "file": facts.file_name or facts.file_id,
        "name": facts.name,
        "status": plain(facts.status),
        "when": (event.time.isoformat() if event.time else None),
        "account": event.account,
        "region": event.region,
        "function": function,
        "outcome": outcome,
        "recorded_at": jsontext.now_text(),
    }
    if detail:
        record.update(detail)
    return {k: v for k, v in record.items() if v is not None}


class AuditSink:
    """Writes audit records as structured log lines and, optionally, to a JSON-lines file."""

    def __init__(self, *, log: bool = True, file: str | None = None) -> None:
        self.log = log
        self.path = Path(file) if file else None
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        if self.log and logger.isEnabledFor(logging.INFO):
            message = f"audit {record.get('event_code') or record.get('type')} {record.get('outcome')}"
            if not logs.write_direct(logger, message, {"record": record}):
                self._log(record)
        if self.path is not None:
            text = json.dumps(record, ensure_ascii=False, default=str)
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(text + "\n")

    @staticmethod
    def _log(record: dict[str, Any]) -> None:
        """The line through ``logging`` (any handler, filter or formatter a user installed sees it)."""
        # makeRecord + handle is what logger.info does, less the caller lookup (a stack walk that
        # cost as much as the rest of the line): the audit line's caller is always this method.
        line = logger.makeRecord(
            logger.name,
            logging.INFO,
            __file__,
            0,
            "audit %s %s",
            (record.get("event_code") or record.get("type"), record.get("outcome")),
            None,
            func="AuditSink.write",
            extra={"record": record},
        )
        logger.handle(line)
