"""Shared idempotency records in Redis / Tair, so duplicates on different FC instances are caught too.

The claim is one Lua script (check-and-set in a single step) instead of ``SET NX`` plus an orphan lock, so
an expired or orphaned record is taken over atomically, with standard commands only (works on Alibaba
Cloud Redis / Tair, including proxy-mode clusters: one key per script). redis-py is imported only when a
store is built.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from dwevents import env
from dwevents.errors import ConfigError, IdempotencyError, TransientError
from dwevents.idempotency.store import (
    Claim,
    Clock,
    IdempotencyStore,
    MemoryStore,
    Record,
    RecordStatus,
    in_progress_error,
    result_text,
)
from dwevents.redact import redact_url

logger = logging.getLogger("dwevents.idempotency")

REDIS_SCHEMES = ("redis", "rediss", "unix")


# -- Redis ----------------------------------------------------------------------------------------
# A record is a hash: status, ipx (in-progress expiry), exp (expiry), owner, result (JSON).
# Times are compared against the caller's clock (ARGV), like Powertools: FC hosts are NTP-synced and
# claims last minutes, and it keeps the scripts deterministic (no TIME inside a script).
# HMSET rather than multi-field HSET so Redis/Tair versions before 4.0 work too.

_CLAIM_LUA = """
local r = redis.call('HMGET', KEYS[1], 'status', 'ipx', 'exp', 'result', 'owner')
local now = tonumber(ARGV[1])
local status = r[1]
if status then
  local exp = tonumber(r[3])
  if exp == nil or exp > now then
    if status == 'COMPLETED' then
      return {'COMPLETED', r[2], r[3], r[4], r[5]}
    end
    local ipx = tonumber(r[2])
    if status == 'IN_PROGRESS' and (ipx == nil or ipx > now) then
      return {'IN_PROGRESS', r[2], r[3], false, r[5]}
    end
  end
end
redis.call('DEL', KEYS[1])
redis.call('HMSET', KEYS[1], 'status', 'IN_PROGRESS', 'ipx', ARGV[2], 'exp', ARGV[3], 'owner', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if status then
  return {'TAKEOVER'}
end
return {'ACQUIRED'}
"""

_COMPLETE_LUA = """
if ARGV[1] ~= '' then
  local r = redis.call('HMGET', KEYS[1], 'owner', 'exp')
  local exp = tonumber(r[2])
  if r[1] and r[1] ~= ARGV[1] and (exp == nil or exp > tonumber(ARGV[5])) then
    return 0
  end
end
redis.call('DEL', KEYS[1])
redis.call('HMSET', KEYS[1], 'status', 'COMPLETED', 'result', ARGV[2], 'exp', ARGV[3], 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""

_RELEASE_LUA = """
local r = redis.call('HMGET', KEYS[1], 'status', 'owner')
if r[1] ~= 'IN_PROGRESS' then
  return 0
end
if ARGV[1] ~= '' and r[2] ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
"""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisStore(IdempotencyStore):
    """Shared records in Redis / Tair, so duplicates on different FC instances are caught too."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        clock: Clock = time.time,
        timeout_s: float = 2.0,
    ) -> None:
        """Give ``url`` (redis://, rediss://, unix://) or a ready redis-py ``client``.

        Short socket timeouts: a stuck store must not eat the invocation's whole deadline.
        """
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigError(
                "the redis package is needed for a Redis store: pip install 'dwevents[redis]'",
                key=env.REDIS_URL,
            ) from exc
        self._redis = redis
        self._clock = clock
        self._shown = redact_url(url) if url else repr(client)
        if client is None:
            if not url:
                raise ConfigError("a Redis URL or client is required", key=env.REDIS_URL)
            try:
                client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
            except ValueError as exc:
                raise ConfigError(f"invalid Redis URL {self._shown}: {exc}", key=env.REDIS_URL) from None
        self.client = client
        self._claim = client.register_script(_CLAIM_LUA)
        self._complete = client.register_script(_COMPLETE_LUA)
        self._release = client.register_script(_RELEASE_LUA)

    def __repr__(self) -> str:
        return f"RedisStore({self._shown})"

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Map redis-py errors onto ours: unreachable/failing-over → transient (EventBridge retries)."""
        errors = self._redis.exceptions
        try:
            return fn()
        except (errors.ConnectionError, errors.TimeoutError, errors.ReadOnlyError) as exc:
            logger.warning("idempotency store %s unavailable during %s: %s", self._shown, what, exc)
            raise TransientError(
                f"idempotency store {self._shown} unavailable ({what}): {type(exc).__name__}: {exc}"
            ) from None
        except errors.RedisError as exc:
            raise IdempotencyError(f"idempotency store {self._shown} failed ({what}): {exc}") from None

    def claim(self, key: str, *, in_progress_until: float, ttl_s: float) -> Claim:
        now = self._clock()
        expiry = max(now + ttl_s, in_progress_until)
        token = uuid.uuid4().hex
        reply = self._call(
            "claim",
            lambda: self._claim(
                keys=[key], args=[repr(now), repr(in_progress_until), repr(expiry), _ms(expiry - now), token]
            ),
        )
        outcome = _text(reply[0])
        if outcome in ("ACQUIRED", "TAKEOVER"):
            if outcome == "TAKEOVER":
                logger.warning("idempotency claim on %s lapsed or expired; taken over", key)
            return Claim(acquired=True, token=token)
        record = self._record(key, outcome, reply[1:])
        if record.status is RecordStatus.COMPLETED:
            return Claim(acquired=False, record=record)
        raise in_progress_error(record)

    def complete(self, key: str, result: dict[str, Any], *, ttl_s: float, token: str | None = None) -> None:
        payload = result_text(result)
        now = self._clock()
        written = self._call(
            "complete",
            lambda: self._complete(
                keys=[key], args=[token or "", payload, repr(now + ttl_s), _ms(ttl_s), repr(now)]
            ),
        )
        if not written:
            logger.warning("idempotency record %s now belongs to another claim; keeping it", key)

    def release(self, key: str, *, token: str | None = None) -> None:
        self._call("release", lambda: self._release(keys=[key], args=[token or ""]))

    def get(self, key: str) -> Record | None:
        fields = ("status", "ipx", "exp", "result", "owner")
        values = self._call("get", lambda: self.client.hmget(key, list(fields)))
        status = _text(values[0])
        if status is None:
            return None
        record = self._record(key, status, values[1:])
        return None if record.is_expired(self._clock()) else record

    def ttl_ms(self, key: str) -> int:
        """Remaining Redis TTL of a key (-1 none, -2 missing); for operators and tests."""
        return int(self._call("pttl", lambda: self.client.pttl(key)))

    @staticmethod
    def _record(key: str, status: str | None, values: Any) -> Record:
        ipx, exp, result, owner = (_text(v) for v in values)
        try:
            return Record(
                key=key,
                status=RecordStatus(status),
                result=json.loads(result) if result else None,
                in_progress_expiry=float(ipx) if ipx else None,
                expiry=float(exp) if exp else float("inf"),
                owner=owner,
            )
        except ValueError as exc:
            raise IdempotencyError(f"corrupt idempotency record {key}: {exc}") from None


def store_from_url(url: str | None, *, clock: Clock = time.time) -> IdempotencyStore:
    """The store ``DWEVENTS_REDIS_URL`` asks for: unset → in-memory LRU, a Redis URL → Redis."""
    if not url or not url.strip():
        logger.debug("%s unset; idempotency is per instance (in-memory LRU)", env.REDIS_URL)
        return MemoryStore(clock=clock)
    url = url.strip()
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in REDIS_SCHEMES:
        raise ConfigError(
            f"unsupported URL {redact_url(url)!r}: expected redis://, rediss:// or unix://",
            key=env.REDIS_URL,
        )
    store = RedisStore(url, clock=clock)
    logger.debug("idempotency store: %r", store)
    return store
