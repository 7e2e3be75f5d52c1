"""Event type → action registry (decorator based), with a default route and a clear not-found error.

Keys are EventBridge types (``dataworks:FileChange:CommitFile``), eventCodes (``commit-file``) or
categories (``FileChange``); the most specific registered key wins, then the default route.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from dwevents.catalogue import lookup
from dwevents.envelope import DataWorksEvent
from dwevents.errors import RouteNotFoundError

logger = logging.getLogger(__name__)

Action = Callable[[DataWorksEvent, Any], Any]
F = TypeVar("F", bound=Action)


class Router:
    """A small registry. ``@router.on("commit-file")`` registers; ``router.resolve(event)`` finds."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._routes: dict[str, Action] = {}
        self._default: Action | None = None

    def on(self, *keys: str) -> Callable[[F], F]:
        """Register an action for event types, eventCodes or categories (validated against the catalogue)."""
        if not keys:
            raise ValueError("Router.on needs at least one event type, eventCode or category")

        def register(fn: F) -> F:
            for key in keys:
                if key in self._routes:
                    raise ValueError(f"route {key!r} is already registered to {self._routes[key].__name__}")
                if ":" not in key and lookup(None, key) is None and not key[:1].isupper():
                    raise ValueError(f"route {key!r} is not a known eventCode, type or category")
                self._routes[key] = fn
            return fn

        return register

    def default(self, fn: F) -> F:
        """Register the action for events without a specific route."""
        self._default = fn
        return fn

    def resolve(self, event: DataWorksEvent) -> Action:
        for key in (event.type, event.event_code, event.category):
            if key and key in self._routes:
                return self._routes[key]
        if self._default is not None:
            return self._default
        raise RouteNotFoundError(
            f"no action registered for type {event.type!r} (eventCode {event.event_code!r}) "
            f"in router {self.name or '<unnamed>'} and no default route"
        )

    @property
    def has_default(self) -> bool:
        return self._default is not None
