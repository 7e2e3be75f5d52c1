"""dwevents: DataWorks OpenEvent messages, typed and acted on, on Function Compute 3.0.

The public API, importable from the package itself::

    from dwevents import FunctionApp, Verdict, CheckResult, decode, DataWorksEvent, RetryBatchError
    from dwevents import FileChangePayload, InstanceStatusChangesPayload   # the payload models

Every name is imported on first use (PEP 562 module ``__getattr__``), so ``import dwevents`` costs the
catalogue table only; decoding pulls in pydantic and the models it needs, the runtime the rest, and
the cloud SDKs are imported later still, by the reply path that needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dwevents.catalogue import CATALOGUE as _CATALOGUE

if TYPE_CHECKING:
    from dwevents.catalogue import CATALOGUE, EventSpec, Kind, Level, ReplyApi, lookup
    from dwevents.envelope import DataWorksEvent, decode, decode_one
    from dwevents.errors import ConfigError, DecodeError, DwEventsError
    from dwevents.results import EventResult, InvocationResult, Outcome, RetryBatchError, VerdictReport
    from dwevents.runtime import FunctionApp
    from dwevents.verdict import CheckResult, Verdict

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "FunctionApp": "dwevents.runtime",
    "RetryBatchError": "dwevents.results",
    "InvocationResult": "dwevents.results",
    "EventResult": "dwevents.results",
    "VerdictReport": "dwevents.results",
    "Outcome": "dwevents.results",
    "Verdict": "dwevents.verdict",
    "CheckResult": "dwevents.verdict",
    "decode": "dwevents.envelope",
    "decode_one": "dwevents.envelope",
    "DataWorksEvent": "dwevents.envelope",
    "DwEventsError": "dwevents.errors",
    "DecodeError": "dwevents.errors",
    "ConfigError": "dwevents.errors",
    "CATALOGUE": "dwevents.catalogue",
    "EventSpec": "dwevents.catalogue",
    "Kind": "dwevents.catalogue",
    "Level": "dwevents.catalogue",
    "ReplyApi": "dwevents.catalogue",
    "lookup": "dwevents.catalogue",
}
#: The payload models, by class name (from the catalogue's ``module:Class`` references).
_MODELS: dict[str, str] = {
    ref.partition(":")[2]: f"dwevents.models.{ref.partition(':')[0]}"
    for ref in dict.fromkeys(spec.model_ref for spec in _CATALOGUE)
}

__all__ = sorted({*_EXPORTS, *_MODELS})


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name) or _MODELS.get(name)
    if module is None:
        raise AttributeError(f"module 'dwevents' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
