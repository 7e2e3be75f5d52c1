"""One normalized audit record per event: who did what, where, when, and how it ended.

The record is built from the typed payload with a fixed vocabulary, whatever the event type, so one
SLS query answers "what happened in workspace 42 yesterday" across every DataWorks module.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any

from dwevents.envelope import DataWorksEvent
from dwevents.models.base import field_value

logger = logging.getLogger("dwevents.audit")

# Payload attributes, in order of preference, that answer each audit question.
_WHO = ("operator", "operator_uid", "operator_base_id", "create_user", "owner")
_WORKSPACE = ("project_id", "app_id", "workspace_id", "query_dw_project_id", "root_node_project_id")
_NODE = ("node_id", "node_ids", "root_node_id")
_INSTANCE = ("task_id", "task_ids", "task_instance_id", "deleted_task_instance_ids")
_TABLE = ("table_name", "table_guid")
_FILE = ("file_name", "file_id")
_NAME = ("node_name", "dag_name", "name", "file_name", "extension_biz_name", "project_name")
_STATUS = ("status", "check_result", "baseline_status", "remind_type")


def _first(payload: Any, names: Iterable[str]) -> Any:
    for name in names:
        value = field_value(payload, name)
        if value not in (None, "", []):
            return _plain(value)
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def audit_record(
    event: DataWorksEvent, *, function: str | None, outcome: str, detail: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The normalized record. ``outcome`` is the pipeline's (processed, refused, ...)."""
    payload = event.payload
    spec = event.spec
    record: dict[str, Any] = {
        "audit": True,
        "message_id": event.message_id,
        "type": event.type,
        "event_code": event.event_code,
        "title": spec.title if spec else "Unknown DataWorks event",
        "module": spec.module.value if spec else None,
        "kind": spec.kind.value if spec else None,
        "who": _first(payload, _WHO),
        "workspace_id": _first(payload, _WORKSPACE),
        "tenant_id": field_value(payload, "tenant_id"),
        "node": _first(payload, _NODE),
        "instance": _first(payload, _INSTANCE),
        "table": _first(payload, _TABLE),
        "file": _first(payload, _FILE),
        "name": _first(payload, _NAME),
        "status": _first(payload, _STATUS),
        "when": (event.time.isoformat() if event.time else None),
        "account": event.account,
        "region": event.region,
        "function": function,
        "outcome": outcome,
        "recorded_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
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
        if self.log:
            logger.info(
                "audit %s %s",
                record.get("event_code") or record.get("type"),
                record.get("outcome"),
                extra={"record": record},
            )
        if self.path is not None:
            line = json.dumps(record, ensure_ascii=False, default=str)
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
