"""One home for what every YAML file of the package shares: the strict model base, the loader, and the
one-line description of a pydantic error.

Why one module: the config file, the rules file and the notification channels used to carry three copies
of each, and their error texts drifted apart. A user's typo in any of them now reads the same way:
``<source>: <key>: <what is wrong>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from dwevents.errors import ConfigError

__all__ = ["Strict", "describe_error", "load_json", "load_yaml"]


class Strict(BaseModel):
    """A configuration model: unknown keys are errors (a typo must not be silently ignored).

    Built on first use (``defer_build``), not at import: a function validates its settings from a
    prebuilt schema (:func:`dwevents.models.prebuilt.install`), so the cold path runs no schema generation."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


_loader: Any = None


def _yaml_loader() -> Any:
    """SafeLoader (the C one when available) without implicit timestamps: dates stay text, so the schema
    validates them and names the key (PyYAML itself raises a bare ValueError for 2026-02-30). Built on
    first use: a function with no file to read never imports PyYAML (cold start)."""
    global _loader
    if _loader is None:
        import yaml

        base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        loader: Any = type("_Loader", (base,), {})
        loader.yaml_implicit_resolvers = {
            first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }
        _loader = loader
    return _loader


def load_yaml(text: str, *, source: str, top: str = "a mapping at the top level") -> dict[str, Any]:
    """Parse one YAML document that must be a mapping (empty → ``{}``); errors are ConfigErrors."""
    import yaml

    try:
        data = yaml.load(text, Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"not valid YAML{where}", source=source) from None
    except ValueError as exc:  # a scalar constructor refused a value
        raise ConfigError(f"not valid YAML ({exc})", source=source) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"expected {top}", source=source)
    return data


def load_json(text: str, *, source: str, top: str = "a mapping at the top level") -> dict[str, Any]:
    """Parse a ``.json`` config or rules file: what :func:`load_yaml` does, without PyYAML.

    Why: importing the YAML parser cost a cold start tens of milliseconds; a file written as JSON (which
    is YAML too) needs none of it. Empty text is ``{}``, as for YAML."""
    import json

    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON at line {exc.lineno}", source=source) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"expected {top}", source=source)
    return data


def is_json_file(path: Any) -> bool:
    """Whether a config or rules file is read as JSON (its name ends in ``.json``)."""
    return str(path).lower().endswith(".json")


def describe_error(
    exc: ValidationError, *, name_item: Callable[[tuple[Any, ...]], str | None] | None = None
) -> tuple[str, str]:
    """(key, message) of a pydantic error in the file's own names: ``rules[2].check.limit``, ``unknown
    key``. ``name_item`` may replace a location prefix with a friendlier one (e.g. the rule's name)."""
    first = exc.errors(include_url=False)[0]
    loc = tuple(first["loc"])
    parts = [p for p in loc if not str(p).startswith(("function-", "literal[", "tagged-union["))]
    key = ""
    for part in parts:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    if name_item is not None:
        named = name_item(loc)
        if named:
            key = named
    msg = str(first["msg"])
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return re.sub(r"\.?\b(OptionVerdict|str)\b", "", key), msg
