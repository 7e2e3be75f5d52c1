"""Run each DataWorks event's effect once, although EventBridge delivers it at least once.

:mod:`~dwevents.idempotency.store` holds the record lifecycle and the bounded in-memory store,
:mod:`~dwevents.idempotency.redis_store` the shared Redis / Tair store (redis-py imported only when
used), :mod:`~dwevents.idempotency.gate` the claim / complete / release gate the runtime uses.
"""

from __future__ import annotations

from dwevents.idempotency.gate import DEFAULT_IN_PROGRESS_S, DEFAULT_TTL_S, Idempotency, Ticket
from dwevents.idempotency.redis_store import RedisStore, store_from_url
from dwevents.idempotency.store import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ITEMS,
    DEFAULT_NAMESPACE,
    Claim,
    IdempotencyStore,
    MemoryStore,
    Record,
    RecordStatus,
    idempotency_key,
)

__all__ = [
    "DEFAULT_IN_PROGRESS_S",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ITEMS",
    "DEFAULT_NAMESPACE",
    "DEFAULT_TTL_S",
    "Claim",
    "Idempotency",
    "IdempotencyStore",
    "MemoryStore",
    "Record",
    "RecordStatus",
    "RedisStore",
    "Ticket",
    "idempotency_key",
    "store_from_url",
]
