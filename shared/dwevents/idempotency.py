"""Run each DataWorks event's effect once, although EventBridge delivers it at least once.

Learned from AWS Lambda Powertools' idempotency utility: a record per event goes ``IN_PROGRESS`` →
``COMPLETED``; the in-progress claim lapses at the holder's invocation deadline (so a killed
instance does not block the event until the record's TTL), and a failed run releases its claim so
EventBridge's retry can run again. Differences, and why:

* every claim carries an owner token; ``complete``/``release`` pass it, so a holder that overran its
  deadline can neither delete nor overwrite the record of the instance that took over;
* the Redis claim is one Lua script (check-and-set in a single step) instead of ``SET NX`` plus an
  orphan lock, so an expired or orphaned record is taken over atomically, with standard commands
  only (works on Alibaba Cloud Redis / Tair, including proxy-mode clusters: one key per script);
* a failure to *record* success is logged and the result still returned: raising would make
  EventBridge redeliver an event whose effect already happened.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dwevents import env
from dwevents.errors import AlreadyInProgressError, ConfigError, IdempotencyError, TransientError

logger = logging.getLogger(__name__)

Clock = Callable[[], float]

DEFAULT_NAMESPACE = "dwevents"
DEFAULT_TTL_S = 3600.0
#: How long a claim is held when the caller cannot say when its invocation ends.
DEFAULT_IN_PROGRESS_S = 300.0
REDIS_SCHEMES = ("redis", "rediss", "unix")


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
    """Stable, bounded key: CloudEvents make ``source`` + ``id`` unique, and ids may be long or odd."""
    digest = hashlib.sha256(f"{source or ''}\0{message_id}".encode()).hexdigest()[:40]
    return f"{namespace}:{digest}"


def redact_url(url: str) -> str:
    """The URL with its password replaced, fit for logs and reprs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port is not None else ""
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
    except ValueError:
        return "<unparseable url>"


def _json_copy(result: Mapping[str, Any]) -> dict[str, Any]:
    """Round-trip through JSON so every store keeps (and returns) exactly what Redis would."""
    try:
        copied = json.loads(json.dumps(result))
    except (TypeError, ValueError) as exc:
        raise IdempotencyError(f"result is not JSON-serializable: {exc}") from exc
    if not isinstance(copied, dict):
        raise IdempotencyError(f"result must be a JSON object, got {type(result).__name__}")
    return copied


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


def _in_progress_error(record: Record) -> AlreadyInProgressError:
    return AlreadyInProgressError(
        f"event {record.key} is being processed by another invocation "
        f"(claim held until {record.in_progress_expiry})"
    )


class MemoryStore(IdempotencyStore):
    """Thread-safe LRU for one instance: catches redeliveries that land on the same FC instance."""

    def __init__(self, *, max_items: int = 10_000, clock: Clock = time.time) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.max_items = max_items
        self._clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Record] = OrderedDict()

    def __repr__(self) -> str:
        return f"MemoryStore(max_items={self.max_items}, size={len(self._items)})"

    def __len__(self) -> int:
        return len(self._items)

    def _put(self, record: Record) -> None:
        self._items[record.key] = record
        self._items.move_to_end(record.key)
        while len(self._items) > self.max_items:
            evicted, _ = self._items.popitem(last=False)
            logger.debug("idempotency LRU full; evicted %s", evicted)

    def claim(self, key: str, *, in_progress_until: float, ttl_s: float) -> Claim:
        with self._lock:
            now = self._clock()
            current = self._items.get(key)
            if current is not None and not current.is_expired(now):
                if current.status is RecordStatus.COMPLETED:
                    self._items.move_to_end(key)
                    return Claim(acquired=False, record=current)
                if current.is_live_claim(now):
                    raise _in_progress_error(current)
                logger.warning(
                    "idempotency claim on %s lapsed (holder passed its deadline); taking over", key
                )
            token = uuid.uuid4().hex
            self._put(
                Record(
                    key=key,
                    status=RecordStatus.IN_PROGRESS,
                    result=None,
                    in_progress_expiry=in_progress_until,
                    expiry=max(now + ttl_s, in_progress_until),
                    owner=token,
                )
            )
            return Claim(acquired=True, token=token)

    def complete(self, key: str, result: dict[str, Any], *, ttl_s: float, token: str | None = None) -> None:
        stored = _json_copy(result)
        with self._lock:
            now = self._clock()
            current = self._items.get(key)
            if (
                token is not None
                and current is not None
                and not current.is_expired(now)
                and current.owner != token
            ):
                logger.warning("idempotency record %s now belongs to another claim; keeping it", key)
                return
            self._put(Record(key, RecordStatus.COMPLETED, stored, None, now + ttl_s, owner=token))

    def release(self, key: str, *, token: str | None = None) -> None:
        with self._lock:
            current = self._items.get(key)
            if current is None or current.status is not RecordStatus.IN_PROGRESS:
                return
            if token is not None and current.owner != token:
                return
            del self._items[key]

    def get(self, key: str) -> Record | None:
        with self._lock:
            current = self._items.get(key)
            if current is None:
                return None
            if current.is_expired(self._clock()):
                del self._items[key]
                return None
            return current


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
        raise _in_progress_error(record)

    def complete(self, key: str, result: dict[str, Any], *, ttl_s: float, token: str | None = None) -> None:
        payload = json.dumps(_json_copy(result), separators=(",", ":"))
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


class Idempotency:
    """The gate the runtime pipeline puts around an event's effect."""

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Clock = time.time,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        if ttl_s <= 0:
            raise ConfigError(f"TTL must be positive, got {ttl_s}", key=env.IDEMPOTENCY_TTL)
        self.store = store
        self.ttl_s = float(ttl_s)
        self.clock = clock
        self.namespace = namespace

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Idempotency:
        """Configured from ``DWEVENTS_REDIS_URL`` / ``DWEVENTS_IDEMPOTENCY_TTL`` / ``..._NAMESPACE``.

        The default namespace includes the FC function name (as Powertools prefixes the Lambda's):
        two functions subscribed to the same event must not see each other's records as duplicates.
        """
        environ = os.environ if environ is None else environ
        raw_ttl = environ.get(env.IDEMPOTENCY_TTL, "").strip()
        try:
            ttl_s = float(raw_ttl) if raw_ttl else DEFAULT_TTL_S
        except ValueError:
            raise ConfigError(f"not a number of seconds: {raw_ttl!r}", key=env.IDEMPOTENCY_TTL) from None
        namespace = environ.get(env.IDEMPOTENCY_NAMESPACE, "").strip()
        if not namespace:
            function = environ.get(env.FC_FUNCTION_NAME, "").strip()
            namespace = f"{DEFAULT_NAMESPACE}:{function}" if function else DEFAULT_NAMESPACE
        return cls(store_from_url(environ.get(env.REDIS_URL)), ttl_s=ttl_s, namespace=namespace)

    def key(self, source: str | None, message_id: str) -> str:
        return idempotency_key(source, message_id, namespace=self.namespace)

    def run(
        self,
        source: str | None,
        message_id: str,
        fn: Callable[[], dict[str, Any]],
        *,
        remaining_ms: int | None,
    ) -> tuple[dict[str, Any], bool]:
        """Run ``fn`` once per event; returns ``(result, duplicate)``.

        The claim lasts until the invocation deadline (``remaining_ms``), after which a retry may take
        over from a holder that was killed. Raises :class:`AlreadyInProgressError` while another
        invocation holds the event, and whatever ``fn`` raised (after releasing the claim).
        """
        key = self.key(source, message_id)
        now = self.clock()
        window = DEFAULT_IN_PROGRESS_S if remaining_ms is None else max(remaining_ms, 0) / 1000
        claim = self.store.claim(key, in_progress_until=now + window, ttl_s=self.ttl_s)
        if not claim.acquired:
            logger.info("duplicate delivery of %s (%s); returning the stored result", message_id, key)
            record = claim.record
            return (copy.deepcopy(record.result) if record and record.result else {}), True
        try:
            result = fn()
        except BaseException:
            try:
                self.store.release(key, token=claim.token)
            except Exception:
                logger.warning(
                    "could not release idempotency claim %s; it lapses at the deadline", key, exc_info=True
                )
            raise
        try:
            self.store.complete(key, result, ttl_s=self.ttl_s, token=claim.token)
        except Exception:
            # The effect happened: raising would get it redelivered and run again. The claim stays
            # IN_PROGRESS until the deadline, which still holds off concurrent duplicates.
            logger.error("effect of %s done but not recorded in the idempotency store", key, exc_info=True)
        return result, False
