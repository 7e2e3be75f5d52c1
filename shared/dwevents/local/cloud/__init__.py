"""Local stand-in for the Alibaba Cloud APIs the tools call: EventBridge (rules, targets, buses, event
trace), Function Compute 3.0 (invoke, GetFunction) and STS (GetCallerIdentity). See server.py."""

from dwevents.local.cloud.server import SEND_TO_FC_ROLE, CloudApiStandIn
from dwevents.local.cloud.state import (
    ApiError,
    FcInvocation,
    InvokeHandler,
    RecordedCall,
    StoredRule,
    TracedEvent,
)

__all__ = [
    "SEND_TO_FC_ROLE",
    "ApiError",
    "CloudApiStandIn",
    "FcInvocation",
    "InvokeHandler",
    "RecordedCall",
    "StoredRule",
    "TracedEvent",
]
