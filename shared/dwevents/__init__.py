"""dwevents: DataWorks OpenEvent messages, typed and acted on, on Function Compute 3.0.

Importing this package is cheap: it pulls in pydantic and the envelope/catalogue only. Cloud SDKs
are imported lazily by the reply and deploy paths that need them.
"""

from __future__ import annotations

from dwevents.catalogue import CATALOGUE, EventSpec, Kind, Level, ReplyApi, lookup
from dwevents.envelope import DataWorksEvent, decode, decode_one
from dwevents.errors import DecodeError, DwEventsError

__all__ = [
    "CATALOGUE",
    "DataWorksEvent",
    "DecodeError",
    "DwEventsError",
    "EventSpec",
    "Kind",
    "Level",
    "ReplyApi",
    "decode",
    "decode_one",
    "lookup",
]

__version__ = "0.1.0"
