"""Limits applied before any conversion (issue 10, "inputs no real event has, handled anyway").

Every input here is far outside what DataWorks sends; each must come back as a :class:`DecodeError`
naming the field (never ``ValueError`` from ``int()``, ``OverflowError`` from ``float()``, a
``RecursionError`` or seconds of work), and one bad element of a batch must not hide the others.
The limits are those of :mod:`dwevents.envelope.limits` (the document) and
:mod:`dwevents.models.limits` (the values a payload model converts).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from dwevents.envelope import DataWorksEvent, decode, decode_batch, decode_one, limits
from dwevents.errors import DecodeError
from dwevents.models.base import MAX_LIST_ITEMS
from dwevents.models.limits import TOO_DEEP_UNKNOWN

EVENTS = Path(__file__).parents[1] / "events"
UPLOAD = "ResourcesUpload/upload-data-to-table.json"
NODE_CREATED = "NodeChange/node-change-created.json"
BACKFILL = "BackfillDataOperate/backfill-data.json"


def sample(rel: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((EVENTS / rel).read_text(encoding="utf-8"))
    return doc


def with_raw(doc: dict[str, Any], path: list[str], literal: str) -> bytes:
    """``doc`` as JSON bytes with the value at ``path`` replaced by the raw JSON ``literal``."""
    marker = "\u0000literal\u0000"
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = marker
    return json.dumps(doc).replace(json.dumps(marker), literal).encode()


def error_of(raw: Any) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode(raw)
    return info.value


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [
        "1" * 5000,  # more than int_max_str_digits: int() would raise ValueError
        "9" * 4300,
        "9" * 309,  # float() of it overflows (issue 10: OverflowError in limit rules)
        "-" + "9" * 101,
    ],
    ids=["5000-digits", "4300-digits", "309-digits", "negative-101"],
)
@pytest.mark.parametrize("field", ["fileSize", "anUnknownField"])
def test_given_an_integer_longer_than_the_limit_when_decoded_then_decode_error_names_the_field(
    literal: str, field: str
) -> None:
    # GIVEN the upload sample whose fileSize (an integer field) or an unknown field is an integer literal
    # longer than MAX_NUMBER_DIGITS
    raw = with_raw(sample(UPLOAD), ["data", field], literal)
    # WHEN decoded THEN a DecodeError naming the field, whatever the number's size
    error = error_of(raw)
    assert (error.location, error.reason) == (f"data.{field}", "number longer than 100 digits")


@pytest.mark.parametrize("literal", ["1" * 400 + ".5", "1." + "0" * 400 + "1", "1e400"])
def test_given_a_float_literal_too_large_for_a_double_when_decoded_then_read_as_infinity_or_its_value(
    literal: str,
) -> None:
    # GIVEN a float literal of 400 digits (or an exponent past a double's range) in an unknown field
    raw = with_raw(sample(UPLOAD), ["data", "ratio"], literal)
    # WHEN decoded THEN it reads as the nearest double (infinity past the range, as JSON's Infinity
    # does): a float never raises on its way through a rule or a log line, so it is not refused
    assert decode_one(raw).data["ratio"] == float(literal)


def test_given_a_number_exactly_at_the_digit_limit_when_decoded_then_accepted_as_sent() -> None:
    # GIVEN an unknown field holding a 100-digit integer (not a real id, but within the limit)
    number = int("9" * limits.MAX_NUMBER_DIGITS)
    raw = with_raw(sample(UPLOAD), ["data", "bigCounter"], str(number))
    # WHEN decoded THEN kept as the integer it is
    event = decode_one(raw)
    assert event.payload.to_wire()["bigCounter"] == number and event.data["bigCounter"] == number


def test_given_numeric_text_too_long_in_an_integer_field_when_decoded_then_decode_error() -> None:
    # GIVEN a number sent as text ("numbers as strings" is tolerated) with 400 digits, in an integer field
    doc = sample(UPLOAD)
    doc["data"]["fileSize"] = "7" * 400
    # WHEN decoded THEN refused by name, before it becomes a 400-digit int
    error = error_of(json.dumps(doc).encode())
    assert (error.location, error.reason) == ("data.fileSize", "number longer than 100 digits")


def test_given_numeric_text_too_long_in_an_unknown_field_when_decoded_then_kept_as_text() -> None:
    # GIVEN the same text in a field no model declares: nothing converts it, so it stays text
    doc = sample(UPLOAD)
    doc["data"]["serial"] = "7" * 400
    # WHEN decoded THEN kept as sent
    assert decode_one(json.dumps(doc).encode()).payload.to_wire()["serial"] == "7" * 400


def test_given_long_text_that_is_not_a_number_when_decoded_then_kept() -> None:
    # GIVEN a 400-character text made of digits and letters (SQL, ids, hashes are text, not numbers)
    doc = sample(UPLOAD)
    doc["data"]["note"] = "7" * 200 + "x" + "7" * 199
    # WHEN decoded THEN kept as sent
    assert decode_one(json.dumps(doc).encode()).payload.to_wire()["note"] == doc["data"]["note"]


@pytest.mark.parametrize("number", [10**5000, 10**150], ids=["5000-digits", "150-digits"])
def test_given_a_parsed_dict_with_a_huge_int_when_decoded_then_the_path_is_named(number: int) -> None:
    # GIVEN an already-parsed dict (json.loads never saw it) with a huge int in a nested list
    doc = sample(NODE_CREATED)
    doc["data"]["extra"] = {"values": [1, number]}
    # WHEN decoded THEN the path of the value, not a ValueError from str()/repr()
    error = error_of(doc)
    assert (error.location, error.reason) == ("data.extra.values[1]", "number longer than 100 digits")


def test_given_a_batch_whose_first_event_holds_a_huge_number_then_the_next_event_decodes() -> None:
    # GIVEN a batch: an event with a 5000-digit literal, then a valid event
    # (issue 10: the >4,300-digit number raised inside the refusal and blocked the event after it)
    bad = with_raw(sample(UPLOAD), ["data", "fileSize"], "1" * 5000).decode()
    raw = f"[{bad}, {json.dumps(sample(NODE_CREATED))}]".encode()
    # WHEN decoded element by element
    results = decode_batch(raw)
    # THEN the first is an error naming its field, the second an event
    assert isinstance(results[0], DecodeError) and str(results[0]) == (
        "event[0].data.fileSize: number longer than 100 digits"
    )
    assert isinstance(results[1], DataWorksEvent) and results[1].event_code == "node-change-created"


# --------------------------------------------------------------------------------------------
# Lists, arrays, text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (",".join(["7"] * 1_000_000), limits.TOO_LONG_TEXT),
        (",".join(["7"] * 200_000), f"more than {MAX_LIST_ITEMS} items"),
        ([7] * 1_000_000, limits.TOO_MANY_ITEMS),
        ([7] * (MAX_LIST_ITEMS + 1), f"more than {MAX_LIST_ITEMS} items"),
    ],
    ids=["10^6-as-text", "200k-as-text", "10^6-as-array", "limit+1-as-array"],
)
def test_given_a_comma_list_longer_than_the_limit_when_decoded_then_decode_error_names_the_field(
    value: Any, reason: str
) -> None:
    # GIVEN a backfill whose includeNodeIds holds far more ids than any backfill, as comma-separated text
    # or as an array (issue 10: a 10⁶-item comma list took 7.4 s to decode)
    doc = sample(BACKFILL)
    doc["data"]["includeNodeIds"] = value
    # WHEN decoded THEN refused by name: the text, array or list limit, whichever it breaks first
    error = error_of(json.dumps(doc).encode())
    assert (error.location, error.reason) == ("data.includeNodeIds", reason)


def test_given_a_comma_list_at_the_limit_when_decoded_then_every_item_is_kept() -> None:
    # GIVEN exactly MAX_LIST_ITEMS ids as comma-separated text
    doc = sample(BACKFILL)
    doc["data"]["includeNodeIds"] = ",".join(str(i) for i in range(MAX_LIST_ITEMS))
    # WHEN decoded THEN all of them, as integers
    payload = decode_one(json.dumps(doc).encode()).payload
    assert payload.include_node_ids == list(range(MAX_LIST_ITEMS))  # type: ignore[attr-defined]


def test_given_an_array_longer_than_the_limit_when_decoded_then_decode_error_names_it() -> None:
    # GIVEN an unknown field holding more than MAX_ARRAY_ITEMS values
    doc = sample(UPLOAD)
    doc["data"]["samples"] = [0] * (limits.MAX_ARRAY_ITEMS + 1)
    # WHEN decoded THEN refused by name
    error = error_of(json.dumps(doc).encode())
    assert (error.location, error.reason) == ("data.samples", limits.TOO_MANY_ITEMS)


@pytest.mark.parametrize("where", ["value", "key"])
def test_given_text_longer_than_the_limit_when_decoded_then_decode_error(where: str) -> None:
    # GIVEN a text (or a key) one character longer than MAX_STRING_CHARS
    long_text = "a" * (limits.MAX_STRING_CHARS + 1)
    doc = sample(UPLOAD)
    if where == "value":
        doc["data"]["sqlText"] = long_text
    else:
        doc["data"][long_text] = 1
    # WHEN decoded THEN refused, naming the value (or the object holding the key)
    error = error_of(json.dumps(doc).encode())
    expected = ("data.sqlText", limits.TOO_LONG_TEXT) if where == "value" else ("data", limits.TOO_LONG_KEY)
    assert (error.location, error.reason) == expected


# --------------------------------------------------------------------------------------------
# Lone surrogates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["bytes", "str", "parsed"])
def test_given_a_lone_surrogate_in_the_id_when_decoded_then_kept_and_summary_and_cloudevent_work(
    form: str,
) -> None:
    # GIVEN a CloudEvent whose id and a payload value carry a lone surrogate (\ud800 escaped in the JSON)
    doc = sample(NODE_CREATED)
    doc["id"] = "id-\ud800"
    doc["data"]["nodeName"] = "node-\udfff"
    text = json.dumps(doc)  # ensure_ascii: the surrogates are written as \\u escapes
    raw: Any = {"bytes": text.encode(), "str": text, "parsed": doc}[form]
    # WHEN decoded
    event = decode_one(raw)
    # THEN decode keeps them (the runtime decides what an unsendable id means)
    assert event.message_id == "id-\ud800"
    # AND summary() and as_cloudevent() do not crash, and serialise as escaped JSON
    summary = event.summary()
    assert summary["payload"]["nodeName"] == "node-\udfff"
    line = json.dumps(summary)
    assert "\\ud800" in line and line.encode("utf-8")
    assert json.dumps(event.as_cloudevent()).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Depth
# --------------------------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("form", ["bytes", "parsed"])
def test_given_nesting_at_the_limit_when_decoded_then_accepted_and_one_more_level_refused(form: str) -> None:
    # GIVEN a CloudEvent (level 1) with an extra attribute (level 2) holding arrays that reach exactly
    # MAX_DEPTH levels, and the same one level deeper
    doc = sample(NODE_CREATED)
    at_limit = dict(doc, trace=_nested(limits.MAX_DEPTH - 1))
    too_deep = dict(doc, trace=_nested(limits.MAX_DEPTH))

    def shape(value: dict[str, Any]) -> Any:
        return json.dumps(value).encode() if form == "bytes" else value

    # WHEN decoded THEN the first is an event and the second a DecodeError saying why
    assert decode_one(shape(at_limit)).attributes["trace"] == at_limit["trace"]
    assert limits.TOO_DEEP in str(error_of(shape(too_deep)))


@pytest.mark.parametrize("form", ["bytes", "parsed"])
def test_given_an_unknown_field_nested_past_its_limit_when_decoded_then_refused_by_name(form: str) -> None:
    # GIVEN an unknown payload field nested exactly MAX_UNKNOWN_DEPTH levels, and one level more
    # (the models nest at most MAX_MODEL_DEPTH levels, so an event stays within MAX_DEPTH)
    doc = sample(NODE_CREATED)
    at_limit, too_deep = copy.deepcopy(doc), copy.deepcopy(doc)
    at_limit["data"]["tree"] = _nested(limits.MAX_UNKNOWN_DEPTH)
    too_deep["data"]["tree"] = _nested(limits.MAX_UNKNOWN_DEPTH + 1)

    def shape(value: dict[str, Any]) -> Any:
        return json.dumps(value).encode() if form == "bytes" else value

    # WHEN decoded THEN the first keeps the field as sent, the second names the level too deep
    assert decode_one(shape(at_limit)).payload.to_wire()["tree"] == at_limit["data"]["tree"]
    error = error_of(shape(too_deep))
    assert error.location == "data.tree" + "[0]" * limits.MAX_UNKNOWN_DEPTH
    assert error.reason == TOO_DEEP_UNKNOWN
