"""An FC3-like invocation context for local runs (what FC's Python runtime passes as ``context``).

Mirrors the python3.10 runtime's shape (``request_id``, ``function``, ``service``, ``region``,
``account_id``, ``credentials``, ``getLogger()``); ``credentials`` is filled from the standard
``ALIBABA_CLOUD_*`` variables like the runtime does, and is absent when they are not set.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field

from dwevents import env


@dataclass(frozen=True)
class FunctionMeta:
    name: str
    handler: str = "index.handler"
    memory: int = 256
    timeout: int = 60
    initializer: str | None = None


@dataclass(frozen=True)
class ContextCredentials:
    """The role's keys as the python3.10 runtime puts them in ``context.credentials``."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class ServiceMeta:
    log_project: str = ""
    log_store: str = ""
    qualifier: str = "LATEST"
    version_id: str = ""


@dataclass
class LocalContext:
    function: FunctionMeta
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    region: str = "cn-hangzhou"
    account_id: str = ""
    credentials: ContextCredentials | None = None
    service: ServiceMeta = field(default_factory=ServiceMeta)

    def getLogger(self) -> logging.Logger:
        return logging.getLogger(f"fc.{self.function.name}")


def local_context(
    function: FunctionMeta,
    *,
    region: str | None = None,
    account_id: str | None = None,
    runtime: str = "python3.12",
) -> LocalContext:
    """The context FC would pass. python3.12 has no ``credentials`` (the handler reads the
    ``ALIBABA_CLOUD_*`` variables, as there); older runtimes carry the role's keys in the context."""
    key_id = os.environ.get(env.ACCESS_KEY_ID)
    secret = os.environ.get(env.ACCESS_KEY_SECRET)
    creds = None
    if key_id and secret and runtime not in ("python3.12", "python3.13"):
        creds = ContextCredentials(key_id, secret, os.environ.get(env.SECURITY_TOKEN, ""))
    return LocalContext(
        function=function,
        region=region or os.environ.get(env.FC_REGION) or os.environ.get(env.CLOUD_REGION) or "cn-hangzhou",
        account_id=account_id or os.environ.get(env.FC_ACCOUNT_ID) or "",
        credentials=creds,
    )
