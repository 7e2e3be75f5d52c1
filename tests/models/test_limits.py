"""Value limits of the payload models (:mod:`dwevents.models.limits`): integers, unknown values, depth.

The envelope's one-pass path checks no depth of its own: it relies on every model nesting at most
``MAX_MODEL_DEPTH`` levels and on unknown values nesting at most ``MAX_UNKNOWN_DEPTH``. The first
test holds every catalogue model to the first bound.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from dwevents.catalogue import CATALOGUE, EventSpec
from dwevents.envelope.limits import MAX_DEPTH
from dwevents.models.base import GenericPayload, WireModel
from dwevents.models.limits import (
    MAX_ARRAY_ITEMS,
    MAX_MODEL_DEPTH,
    MAX_UNKNOWN_DEPTH,
    NUMBER_BOUND,
    TOO_DEEP_UNKNOWN,
    TOO_MANY_DIGITS,
    TOO_MANY_ITEMS,
    Long,
    check_unknown,
)
from dwevents.models.operation_center import InstanceStatus, InstanceStatusChangesPayload

CONTAINERS = {"model", "typed-dict", "dataclass", "dict", "list", "set", "frozenset", "tuple"}


def _depth(schema: Any, definitions: dict[str, Any], seen: tuple[str, ...] = ()) -> int:
    """Most container levels a value of ``schema`` can have (a recursive schema fails the test)."""
    if isinstance(schema, list):
        return max((_depth(item, definitions, seen) for item in schema), default=0)
    if not isinstance(schema, dict):
        return 0
    if schema.get("type") == "definition-ref":
        ref = schema["schema_ref"]
        assert ref not in seen, f"recursive model: {ref}"
        return _depth(definitions[ref], definitions, (*seen, ref))
    if schema.get("type") == "definitions":
        for item in schema["definitions"]:
            definitions[item["ref"]] = item
        return _depth(schema["schema"], definitions, seen)
    inner = max((_depth(value, definitions, seen) for value in schema.values()), default=0)
    kind = schema.get("type")
    return inner + (1 if isinstance(kind, str) and kind in CONTAINERS else 0)


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.event_code)
def test_given_a_catalogue_model_when_its_nesting_is_measured_then_within_the_bound(spec: EventSpec) -> None:
    # GIVEN the payload model of an event type, its schema built
    adapter: TypeAdapter[Any] = TypeAdapter(spec.model)
    adapter.validate_python({})
    # WHEN its deepest nesting is measured
    depth = _depth(adapter.core_schema, {})
    # THEN within MAX_MODEL_DEPTH, so the envelope (2 levels) + the model + an unknown value fit MAX_DEPTH
    assert 1 <= depth <= MAX_MODEL_DEPTH
    assert 2 + MAX_MODEL_DEPTH + MAX_UNKNOWN_DEPTH <= MAX_DEPTH


class _Counter(WireModel):
    count: Long | None = None


@pytest.mark.parametrize("value", [NUMBER_BOUND - 1, -(NUMBER_BOUND - 1), 0, "42", 7.0])
def test_given_an_integer_within_100_digits_when_validated_as_a_long_then_kept(value: Any) -> None:
    # GIVEN an integer of at most 100 digits (or one sent as text / integral float) WHEN validated
    # THEN the integer
    assert _Counter.model_validate({"count": value}).count == int(value)


@pytest.mark.parametrize("value", [NUMBER_BOUND, -NUMBER_BOUND, "9" * 101, 10**400])
def test_given_an_integer_past_100_digits_when_validated_as_a_long_then_refused(value: Any) -> None:
    # GIVEN an integer of 101 digits or more, as a number or as text WHEN validated THEN refused
    with pytest.raises(ValidationError) as info:
        _Counter.model_validate({"count": value})
    assert info.value.errors()[0]["type"] in ("less_than", "greater_than")


def test_given_a_coded_field_with_an_undocumented_huge_code_when_validated_then_refused_too() -> None:
    # GIVEN an Enum | int field (int_code): documented codes become members, others stay ints
    ok = InstanceStatusChangesPayload.model_validate({"status": 5, "dagType": 99})
    assert ok.status is InstanceStatus.FAILED and ok.dag_type == 99
    # WHEN the undocumented code has 101 digits THEN refused like any Long
    with pytest.raises(ValidationError, match="number longer than 100 digits"):
        InstanceStatusChangesPayload.model_validate({"dagType": NUMBER_BOUND})


@pytest.mark.parametrize(
    ("value", "reason", "path"),
    [
        ({"a": [1, {"b": NUMBER_BOUND}]}, TOO_MANY_DIGITS, ".a[1].b"),
        ([0] * (MAX_ARRAY_ITEMS + 1), TOO_MANY_ITEMS, ""),
        ({"deep": [[[[]]]]}, None, None),
        (NUMBER_BOUND * 3, TOO_MANY_DIGITS, ""),
    ],
    ids=["huge-int-inside", "long-array", "shallow", "huge-int-itself"],
)
def test_given_an_unknown_value_when_checked_then_the_first_value_over_a_limit_is_named(
    value: Any, reason: str | None, path: str | None
) -> None:
    # GIVEN an unknown value WHEN checked
    if reason is None:
        # THEN within the limits it comes back unchanged
        assert check_unknown(value) is value
        return
    # THEN otherwise the reason and the inner path are in the error
    with pytest.raises(Exception) as info:
        check_unknown(value)
    assert str(info.value) == reason and getattr(info.value, "context", {}).get("path") == path


def test_given_an_unknown_value_nested_past_its_limit_when_checked_then_refused() -> None:
    # GIVEN lists nested MAX_UNKNOWN_DEPTH levels, and one more
    value: Any = 0
    for _ in range(MAX_UNKNOWN_DEPTH):
        value = [value]
    # WHEN checked THEN the first passes and the deeper one is refused
    assert check_unknown(value) is value
    with pytest.raises(Exception, match=TOO_DEEP_UNKNOWN):
        check_unknown([value])


def test_given_unknown_fields_when_validated_then_every_model_checks_them() -> None:
    # GIVEN a generic payload (every field unknown) and a typed one with an unknown nested field
    # WHEN a field holds a 101-digit integer THEN refused, whichever model holds it
    for model in (GenericPayload, InstanceStatusChangesPayload):
        assert issubclass(model, BaseModel)
        with pytest.raises(ValidationError, match="number longer than 100 digits"):
            model.model_validate({"extra": {"values": [NUMBER_BOUND]}})
