"""The gate the runtime puts around an event's effect: claim, then complete or release.

Learned from AWS Lambda Powertools' idempotency utility
(https://docs.powertools.aws.dev/lambda/python/latest/utilities/idempotency/): the in-progress claim
lapses at the holder's invocation deadline (so a killed instance does not block the event until the
record's TTL), and a failed run releases its claim so EventBridge's retry can run again. Differences:

* the runtime completes the record itself, at the moment it chooses (right after a verdict is sent,
  before anything else can fail), so :meth:`Idempotency.claim` / :meth:`complete` / :meth:`release` are
  public; :meth:`Idempotency.run` wraps them for a plain effect;
* a failure to *record* success is logged and the result still returned: raising would make
  EventBridge redeliver an event whose effect already happened.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dwevents.errors import ConfigError
from dwevents.idempotency.store import DEFAULT_NAMESPACE, Clock, IdempotencyStore, idempotency_key

logger = logging.getLogger("dwevents.idempotency")

DEFAULT_TTL_S = 3600.0
#: How long a claim is held when the caller cannot say when its invocation ends.
DEFAULT_IN_PROGRESS_S = 300.0


@dataclass(frozen=True)
class Ticket:
    """An event's place at the gate: ours to run (``token``), or a duplicate with its ``stored`` result."""

    key: str
    token: str = ""
    stored: dict[str, Any] | None = field(default=None)

    @property
    def duplicate(self) -> bool:
        return self.stored is not None


class Idempotency:
    """Claims, completes and releases records in one :class:`IdempotencyStore` under one namespace."""

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Clock = time.time,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        if ttl_s <= 0:
            raise ConfigError(f"TTL must be positive, got {ttl_s}", key="idempotency.ttl_seconds")
        self.store = store
        self.ttl_s = float(ttl_s)
        self.clock = clock
        self.namespace = namespace

    def __repr__(self) -> str:
        return f"Idempotency({self.store!r}, namespace={self.namespace!r}, ttl_s={self.ttl_s})"

    def key(self, source: str | None, message_id: str) -> str:
        return idempotency_key(source, message_id, namespace=self.namespace)

    def claim(self, source: str | None, message_id: str, *, remaining_ms: int | None) -> Ticket:
        """Take the event for this invocation, or learn it was done before.

        The claim lasts until the invocation deadline (``remaining_ms``), after which a retry may take
        over from a holder that was killed. Raises :class:`~dwevents.errors.AlreadyInProgressError`
        while another invocation holds the event, :class:`~dwevents.errors.TransientError` when the
        store cannot be reached.
        """
        key = self.key(source, message_id)
        window = DEFAULT_IN_PROGRESS_S if remaining_ms is None else max(remaining_ms, 0) / 1000
        claim = self.store.claim(key, in_progress_until=self.clock() + window, ttl_s=self.ttl_s)
        if claim.acquired:
            return Ticket(key, token=claim.token)
        logger.info("duplicate delivery of %s (%s); using the stored result", message_id, key)
        record = claim.record
        stored = copy.deepcopy(record.result) if record is not None and record.result else {}
        return Ticket(key, stored=stored)

    def complete(self, ticket: Ticket, result: dict[str, Any]) -> bool:
        """Record ``result`` for the ticket's event; False (and an ERROR log) when it could not be kept."""
        try:
            self.store.complete(ticket.key, result, ttl_s=self.ttl_s, token=ticket.token or None)
        except Exception as exc:
            # The effect happened: raising would get it redelivered and run again. The claim stays
            # IN_PROGRESS until the deadline, which still holds off concurrent duplicates.
            logger.error(
                "effect of %s done but not recorded in the idempotency store: %s: %s",
                ticket.key,
                type(exc).__name__,
                exc,
            )
            return False
        return True

    def release(self, ticket: Ticket) -> None:
        """Give the event back after a failure so a retry can run (never raises)."""
        try:
            self.store.release(ticket.key, token=ticket.token or None)
        except Exception as exc:
            logger.warning(
                "could not release idempotency claim %s (%s); it lapses at the deadline", ticket.key, exc
            )

    def run(
        self,
        source: str | None,
        message_id: str,
        fn: Callable[[], dict[str, Any]],
        *,
        remaining_ms: int | None,
    ) -> tuple[dict[str, Any], bool]:
        """Run ``fn`` once per event; returns ``(result, duplicate)``.

        Raises what :meth:`claim` raises, and whatever ``fn`` raised (after releasing the claim).
        """
        ticket = self.claim(source, message_id, remaining_ms=remaining_ms)
        if ticket.stored is not None:
            return ticket.stored, True
        try:
            result = fn()
        except BaseException:
            self.release(ticket)
            raise
        self.complete(ticket, result)
        return result, False
