"""Bytes or text → JSON value, within the limits of :mod:`dwevents.envelope.limits`.

Text is read by pydantic-core's JSON parser (``pydantic_core.from_json``, faster than ``json.loads``)
when it can; anything it refuses (too large, a BOM, text that is not JSON, a lone surrogate, an integer
literal too long for ``int()``) is read by the standard library, so error messages keep ``json``'s
wording with line and column. Either way the caller checks the result value by value
(:func:`~dwevents.envelope.limits.check`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic_core import from_json

from dwevents.envelope import limits
from dwevents.errors import DecodeError


def read_document(raw: Any) -> Any:
    """The JSON value of ``raw``, not yet checked against the limits: the caller runs
    :func:`~dwevents.envelope.limits.check` per element, so one bad element of a batch does not hide the
    others. Parsed values (a dict or list) pass through as they are.
    """
    if isinstance(raw, (Mapping, list)):
        return raw
    if isinstance(raw, (bytes, bytearray, memoryview)):
        if len(raw) > limits.MAX_INPUT_BYTES:
            raise DecodeError(
                f"input is {len(raw)} bytes, larger than the {limits.MAX_INPUT_BYTES}-byte limit"
            )
        data = raw if isinstance(raw, bytes) else bytes(raw)
        if limits.fits(data):
            try:
                return from_json(data)
            except ValueError:
                pass  # the standard library says why, in its own words
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"input is not UTF-8 text (byte {exc.start})") from None
    elif isinstance(raw, str):
        if len(raw) > limits.MAX_INPUT_BYTES:
            raise DecodeError(
                f"input is {len(raw)} characters, larger than the {limits.MAX_INPUT_BYTES} limit"
            )
        parsed = _fast(raw)
        if parsed is not _FAILED:
            return parsed
        text = raw
    else:
        raise DecodeError(f"expected bytes, str, dict or list, got {type(raw).__name__}")
    if not text.strip():
        raise DecodeError("input is empty: expected a JSON event or an array of events")
    try:
        return limits.loads(text)
    except json.JSONDecodeError as exc:
        raise DecodeError(f"input is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise DecodeError(limits.TOO_DEEP) from None
    except ValueError as exc:
        raise DecodeError(f"input is not acceptable JSON: {exc}") from None


def parse_json(raw: bytes | bytearray | str | Mapping[str, Any] | list[Any]) -> Any:
    """Bytes / text → JSON value with a clear error; parsed values pass through.

    Every value of the result is within the document limits (the whole document is checked; use
    :func:`dwevents.envelope.decode_batch` to check a batch element by element).
    """
    document = read_document(raw)
    if not isinstance(raw, (Mapping, list)):
        limits.check(document)
    return document


def read_nested(
    value: str | bytes | bytearray, where: str, index: int | None, *, what: str, blank_is_empty: bool
) -> Any:
    """A payload sent as JSON *text* (``data`` / ``messageBody``), parsed and checked; ``where`` names it.

    ``what`` is the message for text that is not JSON; blank text is an empty object when
    ``blank_is_empty`` (a CloudEvent without data), not JSON otherwise.
    """
    if isinstance(value, str):
        parsed = _fast(value)
        if parsed is not _FAILED:
            limits.check(parsed, where=where, index=index)
            return parsed
        text = value
    else:
        data = bytes(value)
        if limits.fits(data):
            try:
                parsed = from_json(data)
            except ValueError:
                pass
            else:
                limits.check(parsed, where=where, index=index)
                return parsed
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError(what, location=where, index=index) from None
    if not text.strip() and blank_is_empty:
        return {}
    try:
        document = limits.loads(text)
    except RecursionError:
        raise DecodeError(limits.TOO_DEEP, location=where, index=index) from None
    except ValueError:  # JSONDecodeError included
        raise DecodeError(what, location=where, index=index) from None
    limits.check(document, where=where, index=index)
    return document


_FAILED: Any = object()


def _fast(text: str) -> Any:
    """``text`` parsed by pydantic-core when provably within the limits; :data:`_FAILED` otherwise."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only the standard library keeps it
        return _FAILED
    if not limits.fits(data):
        return _FAILED
    try:
        return from_json(data)
    except ValueError:
        return _FAILED
