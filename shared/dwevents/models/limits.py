"""Value limits every payload model applies, so no later step meets a value it cannot handle.

Documented payloads hold Long ids (19 digits), short lists and shallow objects. A value far outside
that is refused where it would become a Python number or an unknown object, with the field named:

* an integer longer than :data:`MAX_NUMBER_DIGITS` digits (``float()`` of a 309-digit integer raises
  ``OverflowError``; ``str()`` of one longer than ``sys.get_int_max_str_digits()`` raises
  ``ValueError``) — a typed integer field is a :data:`Long`, a number sent as text included;
* an unknown field (kept as sent, ``extra="allow"``) nested deeper than :data:`MAX_UNKNOWN_DEPTH`
  levels, holding such an integer or an array longer than :data:`MAX_ARRAY_ITEMS` — :data:`Unknown`.

Numbers sent where the docs say String become text (``coerce_numbers_to_str``) and need no limit.
The envelope (:mod:`dwevents.envelope.limits`) adds the limits of the document as a whole: size,
depth, text length.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic_core import PydanticCustomError, core_schema

# Only pydantic-core here: ``dwevents.envelope`` imports these constants, and its import stays clear of
# pydantic's model machinery (built when the first event needs a model).

#: Most digits in an integer. DataWorks ids are Longs (19 digits); 100 keeps every integer clear of
#: ``float()`` overflow (309 digits) and of ``int()``'s ``int_max_str_digits`` (4300 by default).
MAX_NUMBER_DIGITS = 100
#: Integers are refused from ``NUMBER_BOUND`` (101 digits) up, in either direction.
NUMBER_BOUND = 10**MAX_NUMBER_DIGITS
#: Most items in one array.
MAX_ARRAY_ITEMS = 100_000
#: Most items a comma-separated list (or the array in its place) may hold: node and instance id lists
#: are tens long; a 10⁶-item list would take seconds to validate and is refused by name instead.
MAX_LIST_ITEMS = 10_000
#: Deepest an unknown field may nest (the value itself is level 1). The models themselves nest fewer
#: than MAX_MODEL_DEPTH levels (a test holds them to it), so a whole event, a batch element included,
#: stays within the envelope's 64.
MAX_UNKNOWN_DEPTH = 48
MAX_MODEL_DEPTH = 14

TOO_MANY_DIGITS = f"number longer than {MAX_NUMBER_DIGITS} digits"
TOO_MANY_ITEMS = f"array longer than {MAX_ARRAY_ITEMS} items"
TOO_DEEP_UNKNOWN = f"nested more than {MAX_UNKNOWN_DEPTH} levels deep"


class _Schema:
    """An ``Annotated`` marker giving pydantic a ready core schema (no ``Field`` machinery needed)."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return self.schema


#: An integer field: a Long, as DataWorks documents ids and counts, refused past 100 digits.
Long = Annotated[int, _Schema(core_schema.int_schema(gt=-NUMBER_BOUND, lt=NUMBER_BOUND))]


def _refuse(reason: str, path: str) -> PydanticCustomError:
    """The error of a value over a limit; ``path`` (inside the value) is in the context, so an error
    message can name the very item (``dwevents.envelope`` appends it to the field's location)."""
    return PydanticCustomError("value_limit", "{reason}", {"reason": reason, "path": path})


def check_unknown(value: Any) -> Any:
    """``value`` unchanged when within the limits of an unknown field; a validation error naming the
    inner path of the first value that is not. Iterative (no recursion to exhaust)."""
    kind = type(value)
    if kind is int:
        if not -NUMBER_BOUND < value < NUMBER_BOUND:
            raise _refuse(TOO_MANY_DIGITS, "")
        return value
    if kind is not dict and kind is not list:
        return value
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        node, level, path = stack.pop()
        if level > MAX_UNKNOWN_DEPTH:
            raise _refuse(TOO_DEEP_UNKNOWN, path)
        if isinstance(node, dict):
            items: Any = node.items()
        else:
            if len(node) > MAX_ARRAY_ITEMS:
                raise _refuse(TOO_MANY_ITEMS, path)
            items = enumerate(node)
        for key, child in items:
            if isinstance(child, (dict, list)):
                stack.append((child, level + 1, _join(path, key)))
            elif type(child) is int and not -NUMBER_BOUND < child < NUMBER_BOUND:
                raise _refuse(TOO_MANY_DIGITS, _join(path, key))
    return value


def _join(path: str, key: Any) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


#: A value of no documented shape (an unknown field, a free-form object), kept as sent within limits.
Unknown = Annotated[
    Any, _Schema(core_schema.no_info_after_validator_function(check_unknown, core_schema.any_schema()))
]


def bounded(number: int) -> int:
    """``number`` when within :data:`NUMBER_BOUND`; the validation error a :data:`Long` gives otherwise."""
    if -NUMBER_BOUND < number < NUMBER_BOUND:
        return number
    raise _refuse(TOO_MANY_DIGITS, "")
