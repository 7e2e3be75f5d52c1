"""dwevents.jsontext: the encoder made once writes what ``json.dumps(..., ensure_ascii=False, default=str)``
writes."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from enum import Enum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dwevents import jsontext


class Colour(str, Enum):
    RED = "red"


DOCS: list[Any] = [
    {},
    [],
    "text",
    "é \u2028 \ud800",
    {"a": [1, 2.5, -0.0, 1e300, float("inf"), float("nan"), None, True, False]},
    {"nested": {"deep": [{"x": (1, 2)}]}, "when": datetime(2024, 6, 3, tzinfo=timezone.utc)},
    {1: "int key", 2.5: "float key", None: "none key", False: "bool key"},
    {"enum": Colour.RED, "big": 10**40, "set": {1}},
]


@pytest.mark.parametrize("doc", DOCS)
def test_given_a_document_then_the_text_is_json_dumps_text(doc: Any) -> None:
    """GIVEN documents with every JSON type, odd keys, non-JSON values (default=str) and odd text,
    THEN the reused encoder writes exactly what json.dumps writes."""
    assert jsontext.dumps(doc) == json.dumps(doc, ensure_ascii=False, default=str)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_given_any_json_document_then_the_text_is_json_dumps_text(doc: Any) -> None:
    assert jsontext.dumps(doc) == json.dumps(doc, ensure_ascii=False, default=str)


def test_given_a_value_json_cannot_write_then_it_raises_like_json_dumps() -> None:
    """GIVEN a key json cannot write, THEN TypeError, as json.dumps (callers fall back on it)."""
    with pytest.raises(TypeError):
        jsontext.dumps({(1, 2): "tuple key"})


def test_now_text_is_utc_to_the_millisecond_and_shared_within_one() -> None:
    """GIVEN two calls, THEN each is ISO 8601 UTC with milliseconds, and equal calls within one ms share
    the text."""
    first, second = jsontext.now_text(), jsontext.now_text()
    for text in (first, second):
        parsed = datetime.fromisoformat(text)
        assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert len(text.split(".")[1]) == len("123+00:00")
    assert second >= first
