"""One exception hierarchy for the package.

Every error a caller can see is a :class:`DwEventsError`. Subclasses say *which* stage failed so the
runtime can decide between "retry" (transient) and "dead-letter" (permanent) without string matching.
"""

from __future__ import annotations


class DwEventsError(Exception):
    """Base class of every error this package raises on purpose."""

    #: Whether retrying the same input later can succeed (drives EventBridge retry vs dead-letter).
    transient: bool = False


class DecodeError(DwEventsError, ValueError):
    """The input is not a DataWorks event we can read; the message names what and where."""

    def __init__(self, message: str, *, location: str = "", index: int | None = None) -> None:
        self.location = location
        self.index = index
        self.reason = message
        prefix = ""
        if index is not None:
            prefix = f"event[{index}]"
        if location:
            prefix = f"{prefix}.{location}" if prefix else location
        super().__init__(f"{prefix}: {message}" if prefix else message)


class RefusedEventError(DwEventsError, PermissionError):
    """The event is well formed but not for us (foreign source, foreign account, other function)."""


class RouteNotFoundError(DwEventsError, LookupError):
    """No action is registered for an event type and there is no default route."""


class ConfigError(DwEventsError, ValueError):
    """Configuration (config file, rules file, environment) is invalid; raised at cold start."""

    def __init__(self, message: str, *, key: str = "", source: str = "") -> None:
        self.key = key
        self.source = source
        self.detail = message
        where = " ".join(p for p in (source, key) if p)
        super().__init__(f"{where}: {message}" if where else message)


class TransientError(DwEventsError):
    """A failure that may succeed on retry (network, throttling, a busy store)."""

    transient = True


class DeliveryError(TransientError):
    """A notification could not be delivered within the time allowed."""


class CloudApiError(DwEventsError):
    """An Alibaba Cloud API call (DataWorks, EventBridge, Function Compute) failed or got no answer.

    One class for every cloud API the package calls, so callers branch on fields, not on types:
    ``action`` (the API, e.g. ``UpdateIDEEventResult``), ``code`` (the service's error code, or
    ``Transport.*`` when no answer was read), ``status`` (HTTP status, ``None`` without an answer),
    ``request_id`` (quote it to Alibaba Cloud support) and ``transient`` (a retry can help).
    """

    def __init__(
        self,
        message: str,
        *,
        action: str = "",
        code: str = "",
        status: int | None = None,
        request_id: str | None = None,
        transient: bool = False,
    ) -> None:
        self.action = action
        self.code = code
        self.status = status
        self.request_id = request_id
        self.transient = transient
        super().__init__(message)



class IdempotencyError(DwEventsError):
    """Base class for idempotency-store problems."""


class AlreadyInProgressError(IdempotencyError):
    """Another invocation holds the same event right now; EventBridge should retry later."""

    transient = True
