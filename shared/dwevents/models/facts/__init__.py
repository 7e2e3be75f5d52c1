"""One vocabulary for what an event is about: workspace, operator, node, instance, file, tables, status …

Why: audit records, policy subjects, notification texts and metric lines each used to keep their own list
of which payload field holds the workspace (``project_id``? ``app_id``? ``queryDwProjectId``?), the
operator or the status, and the lists disagreed. Now each payload model type has ONE derivation to
:class:`Facts`, written next to the models of its module (``dwevents/models/facts/<module>.py``), and every
reader asks the facts.

A derivation module is imported on the first event of its model module, the way the catalogue imports
payload models (a function pays only for its own category at cold start). Facts are computed once per
payload object and cached for its lifetime.

Adding an event type: its model (in ``dwevents/models/<module>.py``) gets a derivation here with
:func:`derives`; an unregistered model falls back to :func:`generic_facts` (workspace, operator and tenant
from the fields every DataWorks payload may carry).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Literal, TypeVar

__all__ = ["Facts", "derivation_for", "derives", "facts_of", "generic_facts", "label", "of_project", "plain"]

#: A coded value as the model decoded it: the enum member when documented, the raw value otherwise.
Coded = Enum | int | str


@dataclass(frozen=True)
class Facts:
    """What an event is about, in one vocabulary, whatever its payload model.

    Every field is optional: a payload that does not carry a fact leaves it empty. Identifiers keep
    the type the model gives them (ids are ints, except where DataWorks sends text). ``status`` is the
    model's enum member (e.g. ``InstanceStatus.FAILED``) when the value is documented.
    """

    #: The DataWorks workspace (projectId, appId, queryDwProjectId, … whichever the payload names it).
    workspace_id: int | str | None = None
    workspace_name: str | None = None
    tenant_id: int | None = None
    #: Who did it (operator, applicant, feedback author …).
    operator: str | None = None
    #: Who owns the object (node or file owner), when it is not the operator.
    owner: str | None = None
    #: The one node the event concerns (a backfill's root node included).
    node_id: int | None = None
    #: The nodes of a batch operation (undeploy/freeze several, nodes a backfill includes, alerts).
    node_ids: tuple[int, ...] = ()
    node_name: str | None = None
    #: The one instance the event concerns (an Operation Center instance or a quality check run).
    instance_id: int | str | None = None
    instance_ids: tuple[int, ...] = ()
    workflow_id: int | None = None
    workflow_name: str | None = None
    flow_name: str | None = None
    dag_type: Coded | None = None
    file_id: int | None = None
    file_name: str | None = None
    file_type: Coded | None = None
    #: Tables the event names (tables, table GUIDs, source/destination tables of a sync job).
    tables: tuple[str, ...] = ()
    #: Data sources the event names.
    data_sources: tuple[str, ...] = ()
    #: What kind of object the event is about when one event type has several ("baseline", "rule" …).
    subject: str | None = None
    #: The display name of the object the event is about (node, workflow, rule, backfill, monitor …).
    name: str | None = None
    #: The id of that object when no field above holds it (baseline, rule, approval process, topic).
    object_id: int | str | None = None
    status: Coded | None = None
    #: The instance or workflow failed: decided by the model's status enum, here and nowhere else.
    failed: bool = False
    #: Which alert threshold a quality check reached, if any.
    threshold: Literal["warning", "critical"] | None = None
    #: The kind of monitoring alert (``AlarmType``).
    alarm: Coded | None = None
    business_date: date | None = None
    #: How many rules (or monitors) a Data Quality batch touches.
    rule_count: int | None = None
    #: Rows of a download (``dataRowSize``).
    rows: int | None = None
    #: Bytes of a download or upload file (``fileSize``).
    file_size: int | None = None
    #: Days from the earliest to the latest business date of a backfill, inclusive.
    backfill_days: int | None = None
    wait_time: timedelta | None = None
    resource_wait: timedelta | None = None
    run_time: timedelta | None = None
    #: Data Quality: the partition expression checked and what was measured against which threshold.
    scope: str | None = None
    measure: str | None = None
    #: Approvals: who decided, and their comment.
    decided_by: str | None = None
    comment: str | None = None

    @property
    def node_count(self) -> int | None:
        return len(self.node_ids) if self.node_ids else None

    @property
    def instance_count(self) -> int | None:
        return len(self.instance_ids) if self.instance_ids else None

    @property
    def table_count(self) -> int | None:
        return len(self.tables) if self.tables else None

    @property
    def file_size_mb(self) -> float | None:
        return self.file_size / 1024 / 1024 if self.file_size else None

    @property
    def node(self) -> int | list[int] | None:
        """The node, or the nodes of a batch (what an audit record shows)."""
        return self.node_id if self.node_id is not None else (list(self.node_ids) or None)

    @property
    def instance(self) -> int | str | list[int] | None:
        return self.instance_id if self.instance_id is not None else (list(self.instance_ids) or None)


#: The facts that hold text as sent, where DataWorks may send an empty string.
_TEXT_FACTS = frozenset(
    name for name, kind in Facts.__annotations__.items() if "str" in str(kind) and "tuple" not in str(kind)
)
_FACT_NAMES = frozenset(Facts.__dataclass_fields__)


def _init(self: Facts, **given: Any) -> None:
    """``Facts(**given)``: only the given facts are stored; every other one reads its class default.

    Why not the generated ``__init__``: it sets all 38 fields, one ``object.__setattr__`` each (frozen),
    and cost as much as decoding a whole event; a derivation names six or seven. Same behaviour
    otherwise: an unknown name is a TypeError, the instance stays frozen, equality, hashing, ``repr``
    and ``dataclasses.replace`` read the attributes. An empty string on the wire (``"operator": ""``)
    is no fact: readers test for None only, so it is not stored.
    """
    unknown = given.keys() - _FACT_NAMES
    if unknown:
        raise TypeError(f"Facts() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    state = self.__dict__
    for name, value in given.items():
        if value is not None and not (value == "" and name in _TEXT_FACTS):
            state[name] = value


setattr(Facts, "__init__", _init)  # noqa: B010 - mypy keeps checking calls against the dataclass signature


def plain(value: Any) -> Any:
    """A fact as JSON-friendly data: enum members by name, times in ISO 8601, tuples as lists."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def label(value: Any) -> str | None:
    """A fact as text for a sentence: enum members by name, lists comma-separated, None stays None."""
    if value is None or value == "" or value == () or value == []:
        return None
    if isinstance(value, (list, tuple)):
        return ", ".join(str(plain(v)) for v in value)
    return str(plain(value))


# --------------------------------------------------------------------------------------------
# The registry: one derivation per payload model class
# --------------------------------------------------------------------------------------------

Derivation = Callable[[Any], Facts]
D = TypeVar("D", bound=Callable[..., Facts])

_DERIVATIONS: dict[type, Derivation] = {}
_LOADED: set[str] = set()
#: Most recent payloads and their facts (see :func:`facts_of`).
_CACHE: dict[int, tuple[Any, Facts]] = {}
_CACHE_SIZE = 8


def derives(*models: type) -> Callable[[D], D]:
    """Register the derivation of :class:`Facts` for payload model classes (and their subclasses)."""

    def register(fn: D) -> D:
        for model in models:
            if model in _DERIVATIONS:
                raise ValueError(f"facts for {model.__name__} are already derived")
            _DERIVATIONS[model] = fn
        return fn

    return register


def _derivation(cls: type) -> Derivation | None:
    for klass in cls.__mro__:
        found = _DERIVATIONS.get(klass)
        if found is not None:
            return found
    return None


def _load_for(cls: type) -> None:
    """Import the derivations of the model module ``cls`` lives in (``dwevents.models.<module>…``)."""
    prefix = "dwevents.models."
    if not cls.__module__.startswith(prefix):
        return
    module = cls.__module__[len(prefix) :].split(".")[0]
    if module in _LOADED or module in ("base", "facts"):
        return
    _LOADED.add(module)
    try:
        importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{module}":
            raise


def derivation_for(cls: type) -> Derivation | None:
    """The registered derivation for a payload class (its module's derivations loaded), or None."""
    found = _derivation(cls)
    if found is None:
        _load_for(cls)
        found = _derivation(cls)
    return found


def facts_of(payload: Any) -> Facts:
    """The facts of a decoded payload (computed once per payload object).

    The audit record, the metrics, the policy and the notifications of one event all ask for the same
    payload's facts, one after the other, so a few most recent payloads are kept (strongly: an
    ``id()`` alone could be reused by a later object; the ``is`` check below rules that out), and an
    older one is simply computed again. Bounded, and cheaper than a weak reference per payload."""
    key = id(payload)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is payload:
        return cached[1]
    derive = derivation_for(type(payload)) or generic_facts
    facts = derive(payload)
    _CACHE[key] = (payload, facts)
    while len(_CACHE) > _CACHE_SIZE:
        try:  # another thread (the decision worker) may trim at the same time
            _CACHE.pop(next(iter(_CACHE)), None)
        except (StopIteration, RuntimeError):
            break
    return facts


def generic_facts(payload: Any) -> Facts:
    """Facts of a payload no derivation knows (an unknown event type): the fields every DataWorks payload
    may carry, read from the declared fields or, for a generic payload, from the wire names kept."""
    return Facts(
        workspace_id=_any(payload, "project_id", "projectId"),
        tenant_id=_any(payload, "tenant_id", "tenantId"),
        operator=text(_any(payload, "operator", "operator")),
    )


def _any(payload: Any, attr: str, wire: str) -> Any:
    value = getattr(payload, "__dict__", {}).get(attr)
    if value is None:
        value = (getattr(payload, "__pydantic_extra__", None) or {}).get(wire)
    return None if value == "" else value


# --------------------------------------------------------------------------------------------
# Small helpers for the derivation modules
# --------------------------------------------------------------------------------------------


def of_project(p: Any, **facts: Any) -> Facts:
    """The three facts most payloads name alike — workspace (``projectId``), tenant, operator — plus
    ``facts``. A payload that names them otherwise (``appId``, an applicant …) builds :class:`Facts`
    itself."""
    return Facts(workspace_id=p.project_id, tenant_id=p.tenant_id, operator=p.operator, **facts)


def text(value: Any) -> str | None:
    """A non-empty string or None."""
    if value is None:
        return None
    out = str(value)
    return out or None


def ids(values: Iterable[int] | None) -> tuple[int, ...]:
    return tuple(values or ())


def names(*values: Any) -> tuple[str, ...]:
    """Non-empty values as text, in order, without duplicates."""
    return tuple(dict.fromkeys(str(v) for v in values if v not in (None, "")))
