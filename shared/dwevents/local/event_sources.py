"""Where past events come from for ``dwevents replay``: files (recordings, samples) or the bus's event trace.

Files (``--from PATH``, base install only): a directory is read recursively (``*.json``, ``*.jsonl``,
``*.ndjson``, ``*.log``, sorted by path). A ``.json`` file holds one document — a CloudEvent, a batch
array or an FC-direct message; any other file, or a ``.json`` file that is not one document, is read as
JSON lines. A line may be an event itself, a record written by :mod:`dwevents.recorder`, or a Log Service
export of one (the record as the text of a field such as ``message`` or ``content``). Lines of other
logs in the same export (objects with ``level`` and ``logger``, or Log Service's ``__time__``) are
skipped and counted; any other line — text that is not JSON included — is replayed, and reported as
undecodable when it is.

The bus (``--bus NAME``): EventBridge keeps a trace of the events a bus received. ``QueryTracedEvents``
lists them for a time range, 100 per page at most, paged with ``NextToken``; ``QueryEvent`` returns one
event's CloudEvent content (``Data``). Both through the official SDK
(``alibabacloud_eventbridge20200401``), imported only when a bus is read. API references (Chinese
originals): "QueryTracedEvents - 通过时间范围查询事件轨迹",
https://help.aliyun.com/zh/eventbridge/developer-reference/api-eventbridge-2020-04-01-querytracedevents
and "QueryEvent - 查询事件内容",
https://help.aliyun.com/zh/eventbridge/developer-reference/api-eventbridge-2020-04-01-queryevent
(``EventSource`` is required there when the bus is ``default``; it is passed from the trace entry).
FC-direct messages never pass through a bus: they replay from files only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from dwevents.deploy._sdk import SdkApi, call_sdk
from dwevents.errors import CloudApiError, DwEventsError
from dwevents.recorder import RECORD_KEY

#: Suffixes a directory walk picks up.
EVENT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".log")
#: QueryTracedEvents: "每次返回的最大条数不超过 100" (at most 100 entries per page).
TRACE_PAGE_LIMIT = 100
DATAWORKS_SOURCE = "acs.dataworks"


@dataclass
class ReplayInput:
    """One event to replay: the parsed document (or the text that did not parse) and where it came from."""

    origin: str
    document: Any = None
    raw: str | None = None

    def payload(self) -> bytes:
        """The bytes a function would have received."""
        if self.raw is not None:
            return self.raw.encode("utf-8", "replace")
        return json.dumps(self.document, ensure_ascii=False).encode("utf-8")


@dataclass
class SourceStats:
    """What a source read: inputs yielded and log lines skipped (not events)."""

    read: int = 0
    skipped: int = 0
    files: int = 0
    pages: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# ================================================================================================
# Files
# ================================================================================================


def read_paths(paths: Sequence[str | Path], stats: SourceStats | None = None) -> Iterator[ReplayInput]:
    """Every event in the given files and directories, in order (directories sorted by path)."""
    stats = stats if stats is not None else SourceStats()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in EVENT_SUFFIXES)
            if not files:
                raise DwEventsError(f"{raw}: no event files (*.json, *.jsonl) in this directory")
        elif path.is_file():
            files = [path]
        elif path.exists():
            raise DwEventsError(f"{raw}: not a regular file or directory")
        else:
            raise DwEventsError(f"{raw}: no such file or directory")
        for file in files:
            stats.files += 1
            yield from _read_file(file, stats)


def _read_file(path: Path, stats: SourceStats) -> Iterator[ReplayInput]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DwEventsError(f"{path}: cannot read ({exc.strerror})") from None
    if path.suffix.lower() == ".json":
        try:
            document = json.loads(text)
        except ValueError:
            if text.strip().count("\n") == 0:  # one broken document: report it as undecodable
                stats.read += 1
                yield ReplayInput(str(path), raw=text)
                return
        else:
            yield from _expand(document, str(path), stats)
            return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        yield from _from_line(line, f"{path}:{number}", stats)


def _from_line(line: str, origin: str, stats: SourceStats) -> Iterator[ReplayInput]:
    try:
        document = json.loads(line)
    except ValueError:
        stats.read += 1
        yield ReplayInput(origin, raw=line)
        return
    yield from _expand(document, origin, stats)


def _expand(document: Any, origin: str, stats: SourceStats) -> Iterator[ReplayInput]:
    """A record, an exported log line holding one, a batch array or an event → the events inside."""
    if isinstance(document, Mapping):
        record = _record_in(document)
        if record is not None:
            if "event" in record:
                document = record["event"]
            else:
                stats.read += 1
                yield ReplayInput(origin, raw=str(record.get("raw", "")))
                return
        elif _is_other_log_line(document):
            stats.skipped += 1
            return
    if isinstance(document, list):
        for index, item in enumerate(document):
            stats.read += 1
            yield ReplayInput(f"{origin}[{index}]", document=item)
        return
    stats.read += 1
    yield ReplayInput(origin, document=document)


def _record_in(document: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if RECORD_KEY in document:
        return document
    for value in document.values():  # a Log Service export: the record line is a field's text
        if isinstance(value, str) and RECORD_KEY in value:
            try:
                inner = json.loads(value)
            except ValueError:
                continue
            if isinstance(inner, Mapping) and RECORD_KEY in inner:
                return inner
    return None


def _is_other_log_line(document: Mapping[str, Any]) -> bool:
    return ("level" in document and "logger" in document) or "__time__" in document


# ================================================================================================
# The bus's event trace
# ================================================================================================


class TraceApi(Protocol):
    """The two EventBridge calls a bus replay makes."""

    def query_traced_events(
        self,
        bus: str,
        start_ms: int,
        end_ms: int,
        *,
        event_type: str | None,
        source: str | None,
        next_token: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]: ...

    def query_event(self, bus: str, event_id: str, *, source: str | None) -> dict[str, Any]: ...


def read_bus(
    api: TraceApi,
    bus: str,
    start: datetime,
    end: datetime,
    *,
    types: Iterable[str | None] = (None,),
    source: str | None = DATAWORKS_SOURCE,
    stats: SourceStats | None = None,
) -> Iterator[ReplayInput]:
    """List the trace page by page (per type), fetch each event once, yield them as the bus stored them."""
    stats = stats if stats is not None else SourceStats()
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    seen: set[str] = set()
    for event_type in types:
        token: str | None = None
        tokens: set[str] = set()
        while True:
            entries, token = api.query_traced_events(
                bus, start_ms, end_ms, event_type=event_type, source=source, next_token=token
            )
            stats.pages += 1
            for entry in entries:
                event_id = entry.get("EventId")
                if not isinstance(event_id, str) or not event_id:
                    raise DwEventsError(
                        f"EventBridge QueryTracedEvents (bus {bus}): malformed page: an entry without EventId"
                    )
                if event_id in seen:
                    continue
                seen.add(event_id)
                event = api.query_event(bus, event_id, source=entry.get("EventSource") or source)
                stats.read += 1
                yield ReplayInput(f"bus {bus} event {event_id}", document=event)
            if not token:
                break
            if token in tokens:
                raise DwEventsError(
                    f"EventBridge QueryTracedEvents (bus {bus}): malformed page: NextToken {token!r} repeats"
                )
            tokens.add(token)


class SdkTraceApi(SdkApi):
    """:class:`TraceApi` over the official EventBridge SDK (imported here, when a bus is replayed)."""

    def _sdk(self) -> Any:
        try:
            from alibabacloud_eventbridge20200401 import models
            from alibabacloud_eventbridge20200401.client import Client
        except ImportError:
            raise DwEventsError(
                "--bus needs the EventBridge SDK: pip install 'dwevents[deploy]' "
                "(alibabacloud-eventbridge20200401)"
            ) from None
        self._m = models
        return Client

    def _call(self, action: str, method: str, request: Any) -> Any:
        try:
            response = call_sdk("EventBridge", action, lambda: getattr(self._client, method)(request))
        except DwEventsError:
            raise
        except Exception as exc:  # not the SDK's own error: it could not read the answer into its model
            raise DwEventsError(
                f"EventBridge {action}: malformed answer ({type(exc).__name__}: {exc})"
            ) from None
        body = response.body
        if body is None:
            raise CloudApiError(f"EventBridge {action}: malformed answer (no body)", action=action)
        return body

    def query_traced_events(
        self,
        bus: str,
        start_ms: int,
        end_ms: int,
        *,
        event_type: str | None,
        source: str | None,
        next_token: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        request = self._m.QueryTracedEventsRequest(
            event_bus_name=bus,
            start_time=start_ms,
            end_time=end_ms,
            limit=TRACE_PAGE_LIMIT,
            next_token=next_token,
            event_type=event_type,
            event_source=source,
        )
        body = self._call("QueryTracedEvents", "query_traced_events", request)
        data = body.data
        if data is None:
            raise DwEventsError(f"EventBridge QueryTracedEvents (bus {bus}): malformed page: no Data")
        entries = [e.to_map() for e in (data.events or [])]
        return entries, (data.next_token or None)

    def query_event(self, bus: str, event_id: str, *, source: str | None) -> dict[str, Any]:
        request = self._m.QueryEventRequest(event_bus_name=bus, event_id=event_id, event_source=source)
        body = self._call("QueryEvent", "query_event", request)
        if not isinstance(body.data, dict) or not body.data:
            raise DwEventsError(
                f"EventBridge QueryEvent (bus {bus}, event {event_id}): malformed answer: "
                "Data is not an event"
            )
        return dict(body.data)
