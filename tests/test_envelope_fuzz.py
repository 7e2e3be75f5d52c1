"""Property tests: whatever arrives, ``decode`` returns events or raises ``DecodeError`` — nothing else.

A handler turns ``DecodeError`` into a dead-letter with a readable reason; any other exception
(pydantic ``ValidationError``, ``json`` errors, ``RecursionError``, ``TypeError``, ``OverflowError``...)
would be a crash with a stack trace and an EventBridge retry storm.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dwevents
from dwevents.catalogue import CATALOGUE
from dwevents.envelope import DataWorksEvent, decode, decode_batch
from dwevents.errors import DecodeError

EVENTS = Path(__file__).parents[1] / "events"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load_documents() -> list[dict[str, Any]]:
    """Every single event in events/ (batch files contribute their elements)."""
    out: list[dict[str, Any]] = []
    for path in sorted(EVENTS.rglob("*.json")):
        doc = json.loads(path.read_bytes())
        out.extend(d for d in (doc if isinstance(doc, list) else [doc]) if isinstance(d, dict))
    return out


DOCUMENTS = _load_documents()

# Raw JSON tokens that cannot be produced by json.dumps of a Python value (or would crash json.dumps
# itself): they are spliced into the serialised text in place of a sentinel string.
_SENTINEL = "\u0000raw:"
RAW_TOKENS = [
    "1" * 5000,  # more digits than int() converts by default
    "-" + "9" * 4400,
    "9" * 309,  # float() of it overflows (issue 10: OverflowError in limit rules)
    "1" * 101,  # one digit over MAX_NUMBER_DIGITS
    "1" * 400 + ".5",
    '"' + "7" * 400 + '"',  # a number as text, that long
    '"\\ud800"',  # a lone surrogate, escaped as JSON writes it
    '"' + ",".join(["7"] * 20000) + '"',  # a comma list longer than MAX_LIST_ITEMS
    "1e400",  # float overflow → inf
    "-1e400",
    "NaN",
    "Infinity",
    "-Infinity",
    "[" * 1200 + "]" * 1200,  # deeper than the parser's recursion allowance
    '{"a":' * 600 + "0" + "}" * 600,
    "1.0e-400",
]


def _nested_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


#: The same oddities as Python values, for callers that hand decode() an already-parsed dict.
PARSED_TOKENS: list[Any] = [
    10**5000 // 9,  # 5000 ones: str() of it raises ValueError (int_max_str_digits)
    -(10**4400) + 1,
    10**308 * 9,
    10**100,
    float("1" * 400 + ".5"),
    "7" * 400,
    "\ud800",
    ",".join(["7"] * 20000),
    float("inf"),
    float("-inf"),
    float("nan"),
    float("inf"),
    float("-inf"),
    _nested_list(1200),
    _nested_list(600),
    0.0,
]

# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)

TYPES = [spec.type for spec in CATALOGUE]
CODES = [spec.event_code for spec in CATALOGUE]
type_values = (
    st.sampled_from(TYPES)
    | st.sampled_from(TYPES).map(str.lower)
    | st.sampled_from(["", "dataworks", "dataworks::", "a:b:c", "dataworks:NodeChange:UnfreezeNode", ":::"])
    | json_values
)
code_values = st.sampled_from(CODES) | st.sampled_from(CODES).map(str.upper) | json_values
payloads = st.sampled_from([d.get("data", d.get("messageBody")) for d in DOCUMENTS]).map(copy.deepcopy)
data_values = (
    payloads
    | payloads.map(lambda p: json.dumps(p, allow_nan=True))
    | json_values
    | json_values.map(json.dumps)
    | st.text(max_size=30)
)
time_values = (
    st.sampled_from(
        [
            "2020-11-19T21:04:41+08:00",
            "2023-12-11T10:10:00.117Z",
            "2020-11-19T21:04:42.179PRC",
            "PRC",
            "",
            "Z",
            "9999-12-31T23:59:59+14:00",
            "0001-01-01T00:00:00-14:00",
            "2024-02-30T00:00:00Z",
        ]
    )
    | json_values
)

cloudeventish = st.fixed_dictionaries(
    {},
    optional={
        "id": st.uuids().map(str) | json_values,
        "source": st.just("acs.dataworks") | json_values,
        "specversion": st.just("1.0") | json_values,
        "type": type_values,
        "subject": st.just("") | json_values,
        "time": time_values,
        "datacontenttype": st.just("application/json;charset=utf-8") | json_values,
        "data": data_values,
        "aliyunaccountid": st.just("1234567890123456") | json_values,
        "aliyunpublishtime": time_values,
        "aliyuneventbusname": st.just("default") | json_values,
        "aliyunregionid": st.just("cn-hangzhou") | json_values,
        "messageId": st.uuids().map(str) | json_values,
        "messageBody": data_values,
        "eventType": code_values,
        "eventCategoryType": st.just("resources-download") | json_values,
        "blockBusiness": st.booleans() | st.sampled_from(["true", "False", "yes"]) | json_values,
        "extensionBizId": st.text(max_size=12) | json_values,
        "eventCode": code_values,
        "tenantId": st.integers() | json_values,
    },
)

NUMBER_STRINGS = [
    "abc",
    "",
    " ",
    " 42 ",
    "1e3",
    "0x1F",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "-0",
    "١٢٣",
    "9" * 40,
    "1_000",
    "4.5",
    "true",
    "null",
    "[]",
    "{}",
    "2024-07-12 11:08:51",
    "1717265573000",
]
REPLACEMENTS = (
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            -1,
            2**63,
            -(2**63) - 1,
            10**30,
            1e300,
            -1e300,
            1e-300,
            0.5,
            "",
            "abc",
            [],
            {},
            [None],
            {"": None},
            "2024-13-45 25:61:61",
            "1" * 400,
        ]
    )
    | st.sampled_from([_SENTINEL + str(i) for i in range(len(RAW_TOKENS))])
    | json_values
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            out.append((*prefix, key))
            out.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out.append((*prefix, index))
            out.extend(_paths(child, (*prefix, index)))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _retype(value: Any, choice: int) -> Any:
    """The same information in another JSON type."""
    if isinstance(value, bool):
        return ["true", 1, [value], None][choice % 4]
    if isinstance(value, (int, float)):
        return [
            str(value),
            [value],
            {"value": value},
            bool(value),
            float(value)
            if isinstance(value, int)
            else int(value)
            if value == value and abs(value) != float("inf")
            else None,
        ][choice % 5]
    if isinstance(value, str):
        return [len(value), [value], {"value": value}, value == "", None][choice % 5]
    if isinstance(value, list):
        return [
            json.dumps(value, allow_nan=True),
            {str(i): v for i, v in enumerate(value)},
            len(value),
            value[0] if value else None,
        ][choice % 4]
    if isinstance(value, dict):
        return [json.dumps(value, allow_nan=True), list(value.values()), list(value), None][choice % 4]
    return {"was": None}


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    """A real sample with 1-4 mutations: drop a key, change a value's type, strings into numbers, replace."""
    doc: Any = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _get(doc, path[:-1])
        key = path[-1]
        value = parent[key]
        op = draw(st.sampled_from(["drop", "retype", "string-into-number", "replace"]))
        if op == "drop":
            if isinstance(parent, dict):
                del parent[key]
            else:
                parent.pop(key)
        elif op == "retype":
            parent[key] = _retype(value, draw(st.integers(min_value=0, max_value=9)))
        elif op == "string-into-number":
            numbers = (
                [
                    p
                    for p in paths
                    if isinstance(_get(doc, p), (int, float)) and not isinstance(_get(doc, p), bool)
                ]
                if not isinstance(value, (int, float))
                else [path]
            )
            if numbers:
                target = draw(st.sampled_from(numbers))
                _get(doc, target[:-1])[target[-1]] = draw(st.sampled_from(NUMBER_STRINGS))
        else:
            parent[key] = copy.deepcopy(draw(REPLACEMENTS))  # sampled values are shared objects
    return doc


def _serialise(doc: Any) -> str:
    text = json.dumps(doc, allow_nan=True, ensure_ascii=False)
    for index, token in enumerate(RAW_TOKENS):
        text = text.replace(json.dumps(_SENTINEL + str(index)), token)
    return text


def _materialise(doc: Any) -> Any:
    """The document with each sentinel replaced by its Python value (the dict path of decode())."""
    if isinstance(doc, str) and doc.startswith(_SENTINEL):
        return PARSED_TOKENS[int(doc[len(_SENTINEL) :])]
    if isinstance(doc, dict):
        return {k: _materialise(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_materialise(v) for v in doc]
    return doc


# --------------------------------------------------------------------------------------------
# The property
# --------------------------------------------------------------------------------------------


def assert_events_or_decode_error(raw: Any) -> list[DataWorksEvent] | None:
    """THEN: events (that summarise to JSON and turn back into CloudEvents) or DecodeError, nothing else."""
    try:
        events = decode(raw)
    except DecodeError as exc:
        assert str(exc), "a DecodeError must say what is wrong"
        return None
    for event in events:
        assert isinstance(event, DataWorksEvent)
        assert isinstance(event.message_id, str) and event.message_id
        # summary() and as_cloudevent() never raise, and their JSON can always be written as UTF-8
        # (lone surrogates are escaped by json.dumps' default ensure_ascii)
        json.dumps(event.summary(), allow_nan=True).encode("utf-8")
        cloudevent = event.as_cloudevent()
        assert "data" in cloudevent
        json.dumps(cloudevent, allow_nan=True, default=str).encode("utf-8")
    return events


@FUZZ
@given(st.binary(max_size=2048))
def test_given_arbitrary_bytes_when_decoded_then_events_or_decode_error(raw: bytes) -> None:
    # GIVEN any bytes WHEN decoded THEN events or DecodeError
    assert_events_or_decode_error(raw)


@FUZZ
@given(st.text(max_size=512))
def test_given_arbitrary_text_when_decoded_then_events_or_decode_error(raw: str) -> None:
    # GIVEN any text WHEN decoded THEN events or DecodeError
    assert_events_or_decode_error(raw)


@FUZZ
@given(json_values, st.sampled_from(["text", "bytes", "parsed"]))
def test_given_arbitrary_json_when_decoded_then_events_or_decode_error(value: Any, form: str) -> None:
    # GIVEN any JSON value, as text, as bytes, or already parsed (dicts and lists only)
    raw: Any
    if form == "parsed" and isinstance(value, (dict, list)):
        raw = value
    else:
        text = json.dumps(value, allow_nan=True)
        raw = text.encode() if form == "bytes" else text
    # WHEN decoded THEN events or DecodeError
    assert_events_or_decode_error(raw)


@FUZZ
@given(cloudeventish, st.sampled_from(["text", "parsed", "batch"]))
def test_given_cloudevent_ish_dicts_when_decoded_then_events_or_decode_error(
    doc: dict[str, Any], form: str
) -> None:
    # GIVEN a dict with any subset of CloudEvent / FC-direct / RawData keys, plausible or arbitrary values
    raw: Any = (
        doc
        if form == "parsed"
        else [doc, doc]
        if form == "batch"
        else json.dumps(doc, allow_nan=True, default=repr)
    )
    # WHEN decoded THEN events or DecodeError
    assert_events_or_decode_error(raw)


@FUZZ
@given(mutated_documents(), st.sampled_from(["bytes", "parsed", "batch"]))
def test_given_mutated_real_samples_when_decoded_then_events_or_decode_error(doc: Any, form: str) -> None:
    # GIVEN a real sample: keys dropped, types changed, strings injected into numbers, odd tokens spliced in
    raw: Any
    if form == "parsed":
        raw = _materialise(doc)
    elif form == "batch":
        raw = ("[" + _serialise(DOCUMENTS[0]) + "," + _serialise(doc) + "]").encode()
    else:
        raw = _serialise(doc).encode()
    # WHEN decoded THEN events or DecodeError
    assert_events_or_decode_error(raw)


@FUZZ
@given(st.lists(mutated_documents(), min_size=1, max_size=4))
def test_given_a_batch_of_mutated_samples_when_decode_batch_then_errors_stay_in_place(
    docs: list[Any],
) -> None:
    # GIVEN a batch of mutated samples
    raw = ("[" + ",".join(_serialise(d) for d in docs) + "]").encode()
    try:
        json.loads(raw)
        parseable = True
    except (ValueError, RecursionError):
        parseable = False  # a spliced token (digit limit, 1200 levels) breaks the JSON itself
    # WHEN decoded element by element
    try:
        results = decode_batch(raw)
    except DecodeError:
        # THEN only an unreadable input may fail as a whole; a bad element must not hide the good ones
        assert not parseable, "a parseable batch failed as a whole"
        return
    # THEN one result per element: an event, or a DecodeError that carries its index
    assert len(results) == len(docs)
    for index, result in enumerate(results):
        assert isinstance(result, (DataWorksEvent, DecodeError))
        if isinstance(result, DecodeError):
            assert result.index == index and str(result).startswith(f"event[{index}]")


@FUZZ
@given(mutated_documents())
def test_given_mutated_samples_when_decoded_from_bytes_and_from_text_then_the_same_outcome(doc: Any) -> None:
    # GIVEN a mutated sample serialised once (bytes take the one-pass path when they can, text never)
    text = _serialise(doc)
    raw = text.encode("utf-8")
    # WHEN decoded from bytes and from the same text
    outcomes: list[Any] = []
    for form in (raw, text):
        try:
            outcomes.append([_numbers_as_text(event.summary()) for event in decode(form)])
        except DecodeError as exc:
            outcomes.append(str(exc))
    # THEN the same events, or the same error (a JSON float sent where the docs say String is the one
    # documented difference: "100000" from bytes, "100000.0" from text; compared as numbers)
    assert outcomes[0] == outcomes[1]


def _numbers_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _numbers_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_text(v) for v in value]
    if isinstance(value, str):
        try:
            return ("number", repr(float(value)))  # repr: NaN equals NaN here
        except ValueError:
            return value
    return value


# --------------------------------------------------------------------------------------------
# Numbers as numeric strings: same catalogue entry
# --------------------------------------------------------------------------------------------


def _stringify_numbers(value: Any, pick: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value) if pick() else value
    if isinstance(value, dict):
        return {k: _stringify_numbers(v, pick) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_numbers(v, pick) for v in value]
    return value


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(DOCUMENTS), st.randoms(use_true_random=False))
def test_given_numbers_sent_as_numeric_strings_when_decoded_then_same_spec(
    doc: dict[str, Any], rnd: Any
) -> None:
    # GIVEN a real sample, re-serialised with some (or all) numbers as numeric strings
    everything = rnd.random() < 0.3
    changed = _stringify_numbers(doc, lambda: everything or rnd.random() < 0.5)
    # WHEN both are decoded
    original = dwevents.decode_one(json.dumps(doc).encode())
    again = dwevents.decode_one(json.dumps(changed).encode())
    # THEN the same catalogue entry, the same payload model and the same message id
    assert again.spec is original.spec
    assert type(again.payload) is type(original.payload)
    assert again.message_id == original.message_id
