"""Payload validation (one pydantic-core validator per event type) and its error messages.

A function validates only its own category's payloads, so each validator is built on first use (the
models use ``defer_build``) and kept: the schema build is paid once per instance, not per event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic_core import ValidationError

from dwevents.catalogue import EventSpec
from dwevents.errors import DecodeError
from dwevents.models.limits import NUMBER_BOUND, TOO_MANY_DIGITS

if TYPE_CHECKING:  # the models are imported when the first event needs one, not with the envelope
    from dwevents.models.base import WireModel

_VALIDATORS: dict[str, Any] = {}


def _validator(spec: EventSpec | None) -> Any:
    """The pydantic-core validator of ``spec``'s model (GenericPayload without a spec), built once."""
    key = spec.type if spec is not None else ""
    found = _VALIDATORS.get(key)
    if found is None:
        from pydantic import TypeAdapter  # only when a type is met: keeps the import of decode light

        from dwevents.models.base import GenericPayload

        adapter: TypeAdapter[Any] = TypeAdapter(spec.model if spec is not None else GenericPayload)
        adapter.validate_python({})  # builds the deferred schema; every payload field is optional
        found = _VALIDATORS[key] = adapter.validator
    return found


def validate_payload(
    spec: EventSpec | None, data: Mapping[str, Any], where: str, index: int | None
) -> WireModel:
    """The typed payload of ``data``; a :class:`DecodeError` naming the field (``where`` + its path)."""
    try:
        payload: WireModel = _validator(spec).validate_python(data)
    except ValidationError as exc:
        location, message = describe_validation_error(exc)
        raise DecodeError(
            message, location=f"{where}.{location}" if location else where, index=index
        ) from None
    except RecursionError:
        raise DecodeError("nested too deeply", location=where, index=index) from None
    except (ArithmeticError, OSError, TypeError, ValueError) as exc:
        # Defence in depth: a model validator raised something pydantic does not wrap.
        reason = f"unreadable value ({type(exc).__name__}: {exc})"
        raise DecodeError(reason, location=where, index=index) from None
    return payload


_FRIENDLY = {
    "int_parsing": "expected an integer",
    "int_type": "expected an integer",
    "int_from_float": "expected an integer",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected a boolean",
    "bool_type": "expected a boolean",
    "string_type": "expected a string",
    "list_type": "expected an array",
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "missing": "required field is missing",
    "datetime_parsing": "expected a timestamp",
    "datetime_type": "expected a timestamp",
    "date_from_datetime_parsing": "expected a date (yyyy-MM-dd)",
    "date_parsing": "expected a date (yyyy-MM-dd)",
    "date_type": "expected a date (yyyy-MM-dd)",
    "enum": "not one of the documented values",
    "union_tag_not_found": "cannot tell which variant this is",
}


def describe_validation_error(exc: ValidationError) -> tuple[str, str]:
    """The most useful (location, message) of a pydantic error, in wire names, without internals."""
    errors = exc.errors(include_url=False)
    # Prefer the deepest location; union branches produce one error per branch at the same place.
    best = max(errors, key=lambda e: len([p for p in e["loc"] if not _is_branch(p)]))
    loc = _format_loc(best["loc"])
    kind, context = best["type"], best.get("ctx") or {}
    if kind in ("less_than", "greater_than") and NUMBER_BOUND in map(abs, context.values()):
        kind = "value_limit"  # a Long's bound: say why in words, not with a 100-digit number
        best = {**best, "msg": TOO_MANY_DIGITS}
    elif kind == "value_limit" and context.get("path"):  # the item inside an unknown value
        loc = f"{loc}{context['path']}" if loc else str(context["path"]).lstrip(".")
    friendly = _FRIENDLY.get(kind)
    if friendly is None:
        msg = str(best.get("msg", "invalid value"))
        friendly = msg[:1].lower() + msg[1:]
        if friendly.startswith("value error, "):
            friendly = friendly[len("value error, ") :]
    if kind not in ("missing", "value_error", "value_limit") and "input" in best:
        friendly = f"{friendly}, got {_short(best['input'])}"
    extra = len({_format_loc(e["loc"]) for e in errors}) - 1
    if extra > 0 and not all(_format_loc(e["loc"]) == loc for e in errors):
        friendly = f"{friendly} (and {extra} more problem{'s' if extra > 1 else ''})"
    return loc, friendly


def _is_branch(part: Any) -> bool:
    # Union member / function-validator tags pydantic inserts into locations, e.g. 'int', 'enum[Status]',
    # 'function-before[...]', 'BaselineAlert'.
    if isinstance(part, int):
        return False
    text = str(part)
    return (
        ("[" in text and "]" in text)
        or text in {"int", "str", "float", "bool", "list", "dict"}
        or (text[:1].isupper() and not text.isupper())
    )


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if _is_branch(part):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_kind(value: Any) -> str:
    """How an error message names the JSON type of ``value`` ("a number", "an array", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__
