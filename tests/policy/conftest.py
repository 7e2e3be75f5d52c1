"""Shared helpers of the policy tests: rules files written inline, samples adapted, enrichers with and
without a DataWorks stand-in."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from datetime import timedelta, timezone
from typing import Any

import pytest
import yaml

from dwevents.dataworks.client import DataWorksClient
from dwevents.dataworks.settings import DataWorksSettings
from dwevents.envelope import DataWorksEvent, decode_one
from dwevents.local.dataworks.server import DataWorksApiStandIn
from dwevents.policy import (
    Enricher,
    ExtensionParamCache,
    PolicyEngine,
)

from ..conftest import load_sample

EXT = "ext-test"
COMMIT = "FileChange/commit-file"
DOWNLOAD = "ResourcesDownload/download-resources"
DOWNLOAD_EXEC = "ResourcesDownload/download-resources-execute"
BACKFILL = "BackfillDataOperate/backfill-data"
START_DI = "NodeChange/start-diJob"
CST = timezone(timedelta(hours=8))


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def rules_yaml(*rules: dict[str, Any]) -> str:
    return yaml.safe_dump({"version": 1, "rules": list(rules)}, sort_keys=False)


def rule(
    name: str,
    events: list[str],
    check: dict[str, Any],
    verdict: Any = "FAIL",
    tip: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "events": events, "check": check, "verdict": verdict, **extra}
    if tip is not None:
        out["tip"] = tip
    return out


def engine(*rules: dict[str, Any], **kwargs: Any) -> PolicyEngine:
    return PolicyEngine.from_yaml(rules_yaml(*rules), source="test-rules.yaml", **kwargs)


def event(name: str, **data: Any) -> DataWorksEvent:
    doc = copy.deepcopy(load_sample(name))
    doc["data"].update(data)
    return decode_one(json.dumps(doc))


def _no_dataworks() -> DataWorksClient:
    raise AssertionError("this evaluation must not call DataWorks")


def offline() -> Enricher:
    """No extension code and no client: any DataWorks call fails the test."""
    return Enricher(_no_dataworks, None, ExtensionParamCache(ttl_s=300), deadline=time.monotonic() + 10)


@pytest.fixture()
def online(standin: DataWorksApiStandIn) -> Callable[..., Enricher]:
    """Enrichers that call the stand-in through the real SDK (one client shared by the test)."""
    client = DataWorksClient(DataWorksSettings.from_env(environ=standin.client_env()))
    cache = ExtensionParamCache(ttl_s=300)

    def make(code: str | None = EXT) -> Enricher:
        return Enricher(lambda: client, code, cache, deadline=time.monotonic() + 10)

    return make


def actions(standin: DataWorksApiStandIn) -> list[str]:
    return [r.action for r in standin.requests]


