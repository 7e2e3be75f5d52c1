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

from dwevents._version import __version__ as __version__
from dwevents.catalogue import CATALOGUE as _CATALOGUE

if TYPE_CHECKING:
    from dwevents.catalogue import (
        CATALOGUE as CATALOGUE,
    )
    from dwevents.catalogue import (
        EventSpec as EventSpec,
    )
    from dwevents.catalogue import (
        Kind as Kind,
    )
    from dwevents.catalogue import (
        Level as Level,
    )
    from dwevents.catalogue import (
        ReplyApi as ReplyApi,
    )
    from dwevents.catalogue import (
        lookup as lookup,
    )
    from dwevents.envelope import (
        DataWorksEvent as DataWorksEvent,
    )
    from dwevents.envelope import (
        decode as decode,
    )
    from dwevents.envelope import (
        decode_one as decode_one,
    )
    from dwevents.errors import (
        ConfigError as ConfigError,
    )
    from dwevents.errors import (
        DecodeError as DecodeError,
    )
    from dwevents.errors import (
        DwEventsError as DwEventsError,
    )
    from dwevents.results import (
        EventResult as EventResult,
    )
    from dwevents.results import (
        InvocationResult as InvocationResult,
    )
    from dwevents.results import (
        Outcome as Outcome,
    )
    from dwevents.results import (
        RetryBatchError as RetryBatchError,
    )
    from dwevents.results import (
        VerdictReport as VerdictReport,
    )
    from dwevents.runtime import (
        FunctionApp as FunctionApp,
    )
    from dwevents.verdict import (
        CheckResult as CheckResult,
    )
    from dwevents.verdict import (
        Verdict as Verdict,
    )


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
