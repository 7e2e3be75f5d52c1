"""The one-pass path (:mod:`dwevents.envelope.fast`) against the general path: same events, or it
stands aside.

``decode(bytes)`` first tries one ``validate_json`` through a tagged union of the types met so far;
anything it cannot prove returns ``None`` and the general path decodes. The promise tested here: when
the fast path returns events, the general path returns the very same events for the same input (text
input always takes the general path), and ``data`` read lazily from the bytes is the payload as sent.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwevents.catalogue import BY_TYPE
from dwevents.envelope import DataWorksEvent, decode, decode_batch, fast
from dwevents.envelope.event import FIELDS
from dwevents.errors import DecodeError

EVENTS = Path(__file__).parents[1] / "events"
SAMPLES = sorted(EVENTS.rglob("*.json"))


def _rel(path: Path) -> str:
    return str(path.relative_to(EVENTS))


def numbers_as_text(value: Any) -> Any:
    """``value`` with text that reads as a number replaced by the number: the one documented difference
    between the paths is how a JSON *float* sent where the docs say String is written ("100000" from
    bytes, "100000.0" from parsed values; see :mod:`dwevents.envelope.fast`)."""
    if isinstance(value, dict):
        return {k: numbers_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [numbers_as_text(v) for v in value]
    if isinstance(value, str):
        try:
            return ("number", repr(float(value)))  # repr: NaN equals NaN here
        except ValueError:
            return value
    return value


def assert_same(a: DataWorksEvent, b: DataWorksEvent) -> None:
    """Every public field equal; the payload of the same model and equal on the wire; data as sent."""
    for name in FIELDS:
        if name in ("payload", "data", "attributes"):
            continue
        assert getattr(a, name) == getattr(b, name), name
    assert type(a.payload) is type(b.payload)
    assert numbers_as_text(a.payload.to_wire()) == numbers_as_text(b.payload.to_wire())
    assert dict(a.attributes) == dict(b.attributes)
    assert list(a.attributes) == list(b.attributes)  # as received: same attributes, same order
    assert dict(a.data) == dict(b.data)
    assert numbers_as_text(a.summary()) == numbers_as_text(b.summary())
    assert a.as_cloudevent() == b.as_cloudevent()


def general(raw: bytes) -> list[DataWorksEvent | DecodeError]:
    """The general path for the same input (text never takes the fast path); a whole-input error in place."""
    try:
        return decode_batch(raw.decode("utf-8"))
    except DecodeError as exc:
        return [exc]


@pytest.mark.parametrize("path", SAMPLES, ids=_rel)
def test_given_a_sample_when_decoded_by_both_paths_then_the_same_events(path: Path) -> None:
    # GIVEN a documented sample as bytes
    raw = path.read_bytes()
    # WHEN the fast path decodes it
    events = fast.decode_fast(raw)
    # THEN it does (every sample is the common case), and the general path agrees event by event
    assert events is not None, "a documented sample fell back to the general path"
    expected = general(raw)
    assert len(events) == len(expected)
    for got, want in zip(events, expected, strict=False):
        assert isinstance(want, DataWorksEvent)
        assert_same(got, want)


@pytest.mark.parametrize("path", SAMPLES, ids=_rel)
def test_given_a_fast_decoded_event_when_data_is_read_then_the_payload_as_sent(path: Path) -> None:
    # GIVEN a sample decoded from bytes (the payload validated straight from them)
    raw = path.read_bytes()
    document = json.loads(raw)
    elements = document if isinstance(document, list) else [document]
    # WHEN data is read (first use parses it from the same bytes)
    for event, element in zip(decode(raw), elements, strict=False):
        # THEN it is the data (or messageBody) object exactly as sent, and stays the same object
        assert event.data == element.get("data", element.get("messageBody"))
        assert event.data is event.data


def test_given_a_type_the_process_has_not_met_when_decoded_then_it_joins_the_union() -> None:
    # GIVEN a sample whose type the union may not hold yet (the union is per process)
    raw = (EVENTS / "ProjectChange/project-deleted.json").read_bytes()
    # WHEN decoded twice
    first, again = decode(raw), decode(raw)
    # THEN both are the event of its type, and the type is now in the union
    assert first[0].spec is again[0].spec is BY_TYPE["dataworks:ProjectChange:ProjectDeleted"]
    assert "dataworks:ProjectChange:ProjectDeleted" in fast._UNION.cloudevents


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda d: d.update(id=12345), "a numeric id (kept as sent in attributes)"),
        (lambda d: d.update(type="DATAWORKS:NODECHANGE:NODECHANGECREATED"), "a case variant of the type"),
        (lambda d: d.update(type="dataworks:NodeChange:NotARealAction"), "an unknown type"),
        (lambda d: d.update(data=json.dumps(d["data"])), "data as JSON text"),
        (lambda d: d.update(aliyunaccountid=1234567890123456), "a numeric account"),
        (lambda d: d["data"].update(nodeId="x"), "a payload field that does not validate"),
        (lambda d: d["data"].update(extra={"nested": [1, {"a": None}]}), "a nested unknown field"),
        (lambda d: d["data"].update(nodeName=1234), "a number where the docs say String"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_given_an_unusual_cloudevent_when_decoded_then_fast_path_and_general_path_agree(
    mutate: Any, why: str
) -> None:
    # GIVEN the node-change-created sample changed in one unusual way
    doc = json.loads((EVENTS / "NodeChange/node-change-created.json").read_bytes())
    mutate(doc)
    raw = json.dumps(doc).encode()
    # WHEN decoded from bytes and from text
    try:
        from_bytes: list[Any] = decode(raw)
    except DecodeError as exc:
        from_bytes = [str(exc)]
    expected = general(raw)
    # THEN the same outcome: the same events, or the same error
    if isinstance(expected[0], DecodeError):
        assert from_bytes == [str(expected[0])], why
    else:
        assert isinstance(expected[0], DataWorksEvent)
        assert_same(from_bytes[0], expected[0])


# --------------------------------------------------------------------------------------------
# Property: over mutated samples, the fast path either stands aside or agrees with the general path
# --------------------------------------------------------------------------------------------

DOCUMENTS = [json.loads(p.read_bytes()) for p in SAMPLES]
LEAVES = st.sampled_from(
    [None, True, 0, -1, 2**63, 10**30, 1.5, 1e300, "", "x", "12", "2024-07-12 11:08:51",
     [], {}, [1, "a"], {"k": 1}]
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(draw(LEAVES))
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_given_mutated_samples_when_the_fast_path_decodes_then_the_general_path_agrees(doc: Any) -> None:
    # GIVEN a sample with a few fields dropped or replaced, as bytes
    raw = json.dumps(doc).encode()
    # WHEN the fast path decodes it
    events = fast.decode_fast(raw)
    # THEN it stood aside, or the general path decodes the same events from the same input
    if events is None:
        return
    expected = general(raw)
    assert len(events) == len(expected)
    for got, want in zip(events, expected, strict=False):
        assert isinstance(want, DataWorksEvent), str(want)
        assert_same(got, want)
