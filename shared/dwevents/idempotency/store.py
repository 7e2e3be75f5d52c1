"""Idempotency records and where they live: the store interface and the bounded in-memory store.

A record per event goes ``IN_PROGRESS`` → ``COMPLETED`` (the lifecycle of AWS Lambda Powertools'
idempotency utility, https://docs.powertools.aws.dev/lambda/python/latest/utilities/idempotency/).
Every claim carries an owner token; ``complete``/``release`` pass it, so a holder that overran its
deadline can neither delete nor overwrite the record of the instance that took over.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from dwevents.errors import AlreadyInProgressError, IdempotencyError

logger = logging.getLogger("dwevents.idempotency")

Clock = Callable[[], float]

DEFAULT_NAMESPACE = "dwevents"
#: Records a memory store keeps at most, and the bytes their keys and results may take together: a
#: burst of distinct events must not grow an FC instance's memory without bound.
DEFAULT_MAX_ITEMS = 10_000
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
#: Bookkeeping per record on top of its key and result text (an estimate; keeps tiny records honest).
_RECORD_OVERHEAD = 200


class RecordStatus(str, Enum):
    """Lifecycle of one event's record (an expired record is simply absent or overwritable)."""

    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class Record:
    """What a store knows about one event; times are epoch seconds."""

    key: str
    status: RecordStatus
    result: dict[str, Any] | None
    in_progress_expiry: float | None
    expiry: float
    #: Token of the claim that wrote the record (fences late ``complete``/``release`` calls).
    owner: str | None = None

    def is_expired(self, now: float) -> bool:
        return self.expiry <= now

    def is_live_claim(self, now: float) -> bool:
        """An unexpired IN_PROGRESS record whose holder is still within its deadline."""
        return (
            self.status is RecordStatus.IN_PROGRESS
            and not self.is_expired(now)
            and (self.in_progress_expiry is None or self.in_progress_expiry > now)
        )


@dataclass(frozen=True)
class Claim:
    """Outcome of :meth:`IdempotencyStore.claim`: ours to run, or a completed duplicate."""

    acquired: bool
    record: Record | None = None
    #: Owner token of an acquired claim; pass it to ``complete``/``release``.
    token: str = ""


def idempotency_key(source: str | None, message_id: str, *, namespace: str = DEFAULT_NAMESPACE) -> str:
    """Stable, bounded key: CloudEvents make ``source`` + ``id`` unique, and ids may be long or odd
    (``surrogatepass``: an id with a lone surrogate still has a key)."""
    digest = hashlib.sha256(f"{source or ''}\0{message_id}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{namespace}:{digest[:40]}"


def result_text(result: Mapping[str, Any]) -> str:
    """The JSON text a store keeps, so every store returns exactly what Redis would."""
    try:
        text = json.dumps(result, separators=(",", ":"), ensure_ascii=True)
        copied = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise IdempotencyError(f"result is not JSON-serializable: {exc}") from exc
    if not isinstance(copied, dict):
        raise IdempotencyError(f"result must be a JSON object, got {type(result).__name__}")
    return text


_SCALARS = (str, int, float, bool)


def plain_copy(value: Any, depth: int = 0) -> tuple[Any, int]:
    """A copy of a JSON-native ``value`` (what :func:`result_text` then ``json.loads`` would return)
    and its approximate size in bytes, without writing JSON text; None when ``value`` holds anything
    else (an enum, a non-string key, a custom object), for which only the JSON round trip is exact.

    Why: the memory store keeps each event's record; copying it through JSON text cost more than the
    rest of the bookkeeping of a regular event."""
    kind = type(value)
    if value is None or kind in _SCALARS:
        return value, (len(value) + 2 if kind is str else 8)
    if depth > 32:
        raise _NotPlain
    if kind is dict:
        out: dict[str, Any] = {}
        size = 2
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            item_kind = type(item)
            if item is None or item_kind in _SCALARS:  # the usual value, without another call
                out[key] = item
                size += len(key) + 4 + (len(item) + 2 if item_kind is str else 8)
                continue
            out[key], item_size = plain_copy(item, depth + 1)
            size += len(key) + 4 + item_size
        return out, size
    if kind is list or kind is tuple:
        items = [plain_copy(item, depth + 1) for item in value]
        return [item for item, _ in items], 2 + sum(n + 1 for _, n in items)
    raise _NotPlain


class _NotPlain(Exception):
    """A value :func:`plain_copy` cannot copy exactly; the caller falls back to the JSON round trip."""


def in_progress_error(record: Record) -> AlreadyInProgressError:
    return AlreadyInProgressError(
        f"event {record.key} is being processed by another invocation "
        f"(claim held until {record.in_progress_expiry})"
    )


class IdempotencyStore(ABC):
    """Persistence for idempotency records; ``claim`` must be atomic across all callers it serves."""

    @abstractmethod
    def claim(self, key: str, *, in_progress_until: float, ttl_s: float) -> Claim:
        """Take the event unless it is completed (duplicate) or held by a live holder.

        Raises :class:`AlreadyInProgressError` (transient) while another holder is within its deadline.
        """

    @abstractmethod
    def complete(self, key: str, result: dict[str, Any], *, ttl_s: float, token: str | None = None) -> None:
        """Store the result for ``ttl_s``; with ``token``, leave another owner's record alone."""

    @abstractmethod
    def release(self, key: str, *, token: str | None = None) -> None:
        """Drop an IN_PROGRESS record after a failure so a retry can run (never a COMPLETED one)."""

    @abstractmethod
    def get(self, key: str) -> Record | None:
        """The live record, or None."""


class MemoryStore(IdempotencyStore):
    """Thread-safe LRU for one instance: catches redeliveries that land on the same FC instance.

    Bounded twice: at most ``max_items`` records and ``max_bytes`` of keys plus stored results; the
    least recently used records go first.
    """

    def __init__(
        self,
        *,
        max_items: int = DEFAULT_MAX_ITEMS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Clock = time.time,
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[Record, int]] = OrderedDict()
        self._bytes = 0

    def __repr__(self) -> str:
        return f"MemoryStore(max_items={self.max_items}, max_bytes={self.max_bytes}, size={len(self._items)})"

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size_bytes(self) -> int:
        """Bytes the kept records take by this store's estimate (keys, results, bookkeeping)."""
        return self._bytes

    def _drop(self, key: str) -> None:
        _, size = self._items.pop(key)
        self._bytes -= size

    def _put(self, record: Record, result_bytes: int = 0) -> None:
        if record.key in self._items:
            self._drop(record.key)
        size = len(record.key) + result_bytes + _RECORD_OVERHEAD
        self._items[record.key] = (record, size)
        self._bytes += size
        items = self._items
        while len(items) > 1 and (len(items) > self.max_items or self._bytes > self.max_bytes):
            evicted = next(iter(items))
            self._drop(evicted)
            logger.debug("idempotency memory store full; evicted %s", evicted)

    def _current(self, key: str) -> Record | None:
        entry = self._items.get(key)
        return entry[0] if entry is not None else None

    def claim(self, key: str, *, in_progress_until: float, ttl_s: float) -> Claim:
        with self._lock:
            now = self._clock()
            current = self._current(key)
            if current is not None and not current.is_expired(now):
                if current.status is RecordStatus.COMPLETED:
                    self._items.move_to_end(key)
                    return Claim(acquired=False, record=current)
                if current.is_live_claim(now):
                    raise in_progress_error(current)
                logger.warning(
                    "idempotency claim on %s lapsed (holder passed its deadline); taking over", key
                )
            token = os.urandom(16).hex()  # a uuid4's randomness, without building a UUID
            expiry = max(now + ttl_s, in_progress_until)
            self._put(Record(key, RecordStatus.IN_PROGRESS, None, in_progress_until, expiry, owner=token))
            return Claim(acquired=True, token=token)

    def complete(self, key: str, result: dict[str, Any], *, ttl_s: float, token: str | None = None) -> None:
        try:
            if type(result) is not dict:
                raise _NotPlain
            kept, size = plain_copy(result)
        except _NotPlain:
            text = result_text(result)  # raises for what JSON cannot hold, exactly like Redis would
            kept, size = json.loads(text), len(text)
        with self._lock:
            now = self._clock()
            current = self._current(key)
            if (
                token is not None
                and current is not None
                and not current.is_expired(now)
                and current.owner != token
            ):
                logger.warning("idempotency record %s now belongs to another claim; keeping it", key)
                return
            record = Record(key, RecordStatus.COMPLETED, kept, None, now + ttl_s, owner=token)
            self._put(record, size)

    def release(self, key: str, *, token: str | None = None) -> None:
        with self._lock:
            current = self._current(key)
            if current is None or current.status is not RecordStatus.IN_PROGRESS:
                return
            if token is not None and current.owner != token:
                return
            self._drop(key)

    def get(self, key: str) -> Record | None:
        with self._lock:
            current = self._current(key)
            if current is None:
                return None
            if current.is_expired(self._clock()):
                self._drop(key)
                return None
            return current
