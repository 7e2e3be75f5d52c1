"""Who acts on an event: reactions (``@app.on``) and deciders (``@app.decide``), checked at registration.

Keys are EventBridge types (``dataworks:FileChange:CommitFile``), eventCodes (``commit-file``) or the
category (``FileChange``); the most specific registered key wins. Every key is checked when it is
registered, against the catalogue *and* the function's category: a typo (``DeployFiel``) or another
function's event would otherwise register silently and never run. The error names the closest valid
key (:mod:`difflib`).

* A **reaction** runs for an event after the pipeline audited it and, for an extension point, after
  the verdict went out; it never decides. One registered for a key replaces the default reactions
  (metric lines and notifications) for those events.
* A **decider** returns the verdict for an extension point. Its verdict and the rules' verdict
  combine, the stricter winning, unless it was registered with ``rules=False``.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from dwevents.catalogue import BY_CODE, BY_TYPE, CATEGORIES, EventSpec, specs_for_category
from dwevents.envelope import DataWorksEvent
from dwevents.errors import ConfigError, RouteNotFoundError

logger = logging.getLogger(__name__)

Action = Callable[[DataWorksEvent, Any], Any]
F = TypeVar("F", bound=Action)


@dataclass(frozen=True)
class Decider:
    """A registered decider: the function, and whether the rules still decide alongside it."""

    fn: Action
    rules: bool = True

    @property
    def name(self) -> str:
        return str(getattr(self.fn, "__name__", repr(self.fn)))


def _candidates(category: str | None) -> dict[str, str]:
    """Lower-cased spellings a typo is compared with → the valid key to suggest. A type's last segment
    (``DeployFile``) counts too: that is how people write it."""
    specs = specs_for_category(category) if category is not None else BY_TYPE.values()
    out: dict[str, str] = {}
    for spec in specs:
        out[spec.type.lower()] = spec.type
        out[spec.type.rsplit(":", 1)[-1].lower()] = spec.type
        out[spec.event_code.lower()] = spec.event_code
        out.update({alias.lower(): alias for alias in spec.aliases})
        out[spec.category.lower()] = spec.category
    return out


def closest_key(key: str, category: str | None) -> str | None:
    """The valid key nearest to ``key`` (difflib), or None when nothing is close."""
    candidates = _candidates(category)
    close = difflib.get_close_matches(key.lower(), list(candidates), n=1, cutoff=0.6)
    return candidates[close[0]] if close else None


def specs_of_key(key: str, category: str | None) -> tuple[EventSpec, ...]:
    """The catalogue entries a router key stands for, or a :class:`ConfigError` naming the closest key."""
    if key in CATEGORIES and (category is None or key == category):
        return specs_for_category(key)
    spec = BY_TYPE.get(key) or BY_CODE.get(key)
    if spec is not None and (category is None or spec.category == category):
        return (spec,)
    where = f"the {category} function" if category else "the catalogue"
    if spec is not None or key in CATEGORIES:
        owner = spec.category if spec is not None else key
        problem = f"{key!r} belongs to the {owner} function, not {category}"
    else:
        problem = f"{key!r} is not an event type, eventCode or category of {where}"
    close = closest_key(key, category)
    hint = f"; did you mean {close!r}?" if close else ""
    raise ConfigError(f"{problem}{hint}", key="router")


class Router:
    """Reactions by key, with a default. ``@router.on("commit-file")`` registers; ``resolve`` finds."""

    def __init__(self, category: str | None = None) -> None:
        if category is not None and category not in CATEGORIES:
            raise ConfigError(f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")
        self.category = category
        self._routes: dict[str, Action] = {}
        self._default: Action | None = None
        self._deciders: dict[str, Decider] = {}

    # -- reactions ---------------------------------------------------------------------------------

    def on(self, *keys: str) -> Callable[[F], F]:
        """Register a reaction for event types, eventCodes or the category (checked at once)."""
        if not keys:
            raise ConfigError("on() needs at least one event type, eventCode or category", key="router")
        for key in keys:
            specs_of_key(key, self.category)
            if key in self._routes:
                raise ConfigError(
                    f"a reaction for {key!r} is already registered ({_name(self._routes[key])})", key="router"
                )

        def register(fn: F) -> F:
            for key in keys:
                self._routes[key] = fn
            return fn

        return register

    def default(self, fn: F) -> F:
        """Register the reaction for events without a specific one."""
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
            f"in the {self.category or 'unnamed'} router and no default route"
        )

    def is_custom(self, event: DataWorksEvent) -> bool:
        """Whether a registered reaction (not the default) handles ``event``."""
        routes = self._routes
        if not routes:  # the usual function: no reaction registered
            return False
        return any(key and key in routes for key in (event.type, event.event_code, event.category))

    @property
    def has_default(self) -> bool:
        return self._default is not None

    # -- deciders ----------------------------------------------------------------------------------

    def decide(self, *keys: str, rules: bool = True) -> Callable[[F], F]:
        """Register a decider for extension points (keys as for :meth:`on`; the category means all of
        its extension points). A key that names no extension point is an error: nobody waits for it."""
        if not keys:
            raise ConfigError("decide() needs at least one extension point", key="router")
        for key in keys:
            specs = [s for s in specs_of_key(key, self.category) if s.is_extension]
            if not specs:
                raise ConfigError(
                    f"{key!r} is not an extension point: DataWorks waits for no verdict on it "
                    "(register a reaction with on() instead)",
                    key="router",
                )
            if key in self._deciders:
                raise ConfigError(
                    f"a decider for {key!r} is already registered ({self._deciders[key].name})", key="router"
                )

        def register(fn: F) -> F:
            for key in keys:
                self._deciders[key] = Decider(fn, rules=rules)
            return fn

        return register

    def decider_for(self, event: DataWorksEvent) -> Decider | None:
        for key in (event.type, event.event_code, event.category):
            if key and key in self._deciders:
                return self._deciders[key]
        return None

    def decider_of(self, spec: EventSpec) -> Decider | None:
        for key in (spec.type, spec.event_code, spec.category):
            if key in self._deciders:
                return self._deciders[key]
        return None

    def who_decides(self, spec: EventSpec) -> str:
        """One phrase for the cold-start log: the rules, a decider, or both (stricter wins)."""
        decider = self.decider_of(spec)
        if decider is None:
            return "the rules"
        if not decider.rules:
            return f"{decider.name} (rules off)"
        return f"{decider.name} and the rules (stricter wins)"


def _name(fn: Any) -> str:
    return str(getattr(fn, "__name__", repr(fn)))


__all__ = ["Action", "Decider", "Router", "specs_of_key"]
