"""Shared fixtures: sample events from events/, an FC-like context, the DataWorks API stand-in."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dwevents.local.fc_context import FunctionMeta, LocalContext

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
SAMPLE_ACCOUNT = "1234567890123456"


def sample_path(name: str) -> Path:
    """``sample_path("FileChange/commit-file")`` → events/FileChange/commit-file.json."""
    path = EVENTS / (name if name.endswith(".json") else f"{name}.json")
    assert path.exists(), f"missing sample {path}"
    return path


def load_sample(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(sample_path(name).read_text(encoding="utf-8"))
    return doc


def decode_sample(name: str) -> Any:
    """A sample decoded from its bytes, as a delivery would be."""
    from dwevents import decode_one

    return decode_one(sample_path(name).read_bytes())


def decode_changed(name: str, drop: tuple[str, ...] = (), **data: Any) -> Any:
    """The sample with some ``data`` fields replaced / removed, decoded from bytes like a delivery."""
    from dwevents import decode_one

    doc = load_sample(name)
    doc["data"].update(data)
    for key in drop:
        doc["data"].pop(key, None)
    return decode_one(json.dumps(doc).encode())


def raw(doc: Any) -> bytes:
    """A document as the bytes FC hands the handler."""
    return json.dumps(doc).encode()


def sample_event(name: str, message_id: str, **changes: Any) -> dict[str, Any]:
    """A sample's document with its own id (and envelope ``changes``): a delivery of its own."""
    doc = copy.deepcopy(load_sample(name))
    doc["id"] = message_id
    doc.update(changes)
    return doc


def redis_helper() -> ModuleType:
    """tests/redis_server.py (a real redis-server per test module) by path, loaded once: pytest runs
    with --import-mode=importlib and tests/ is no package."""
    name = "dwevents_tests_redis_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("redis_server.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def all_sample_paths() -> list[Path]:
    return sorted(p for p in EVENTS.rglob("*.json") if p.parent.name not in ("fc-direct", "batch"))


@pytest.fixture
def sample() -> Callable[[str], dict[str, Any]]:
    return load_sample


@pytest.fixture
def fc_context() -> Callable[..., LocalContext]:
    def make(
        name: str = "dwevents-test", timeout: int = 30, account_id: str = SAMPLE_ACCOUNT
    ) -> LocalContext:
        return LocalContext(function=FunctionMeta(name=name, timeout=timeout), account_id=account_id)

    return make


def dataworks_client(
    endpoint: str,
    key_id: str | None = None,
    secret: str | None = None,
    token: str | None = None,
    *,
    transport: str | None = None,
) -> Any:
    """A DataWorks client over http with exactly these credentials (the default transport unless
    ``transport``): for what the stand-in answers a wrong, missing or foreign key."""
    from dwevents.dataworks.client import DataWorksClient
    from dwevents.dataworks.settings import DataWorksSettings

    extra = {"transport": transport} if transport else {}
    return DataWorksClient(
        DataWorksSettings(
            endpoint=endpoint,
            protocol="http",
            access_key_id=key_id,
            access_key_secret=secret,
            security_token=token,
            **extra,
        )
    )


@pytest.fixture
def standin() -> Iterator[Any]:
    """A running DataWorks API stand-in (real HTTP, checks ACS3 signatures)."""
    from dwevents.local.dataworks.server import DataWorksApiStandIn

    with DataWorksApiStandIn() as server:
        yield server


@pytest.fixture(scope="module")
def api_server() -> Iterator[Any]:
    """One DataWorks API stand-in per test module (use ``api`` for a clean slate per test)."""
    from dwevents.local.dataworks.server import DataWorksApiStandIn

    with DataWorksApiStandIn() as server:
        yield server


@pytest.fixture()
def api(api_server: Any) -> Any:
    """The module's stand-in with recorded verdicts, requests and faults cleared."""
    api_server.reset()
    return api_server


@pytest.fixture(scope="module", params=("sdk", "lean"))
def client(api_server: Any, request: pytest.FixtureRequest) -> Any:
    """A DataWorks client pointed at the stand-in, over the official SDK and over the lean transport."""
    from dwevents.dataworks.client import DataWorksClient
    from dwevents.dataworks.settings import DataWorksSettings

    environ = {**api_server.client_env(), "DWEVENTS_DATAWORKS_TRANSPORT": request.param}
    dw = DataWorksClient(DataWorksSettings.from_env(environ=environ))
    dw.warm()
    return dw


@pytest.fixture(autouse=True)
def _fresh_dwevents_logging() -> Iterator[None]:
    """Undo ``logs.configure()`` after each test: in FC the ``dwevents`` logger stops propagating (the
    runtime's root handler would print every line twice), which would hide records from ``caplog``."""
    import logging

    from dwevents import logs

    logger = logging.getLogger("dwevents")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    configured = logs._configured
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate
    logs._configured = configured
