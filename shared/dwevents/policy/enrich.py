"""Enrichment: what rules need from DataWorks, fetched only when an applicable rule needs it, and
DataWorks' own extension parameters, which switch checks off before any rule runs.

Calls (each at most once per event, within the decision deadline): GetExtension (the extension's
``ParameterSetting``, cached per extension code), GetIDEEventDetail (the code or table snapshot a code
rule reads) and GetOptionValueForProject (the per-workspace option an option verdict reads).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from dwevents.envelope import DataWorksEvent
from dwevents.errors import TransientError
from dwevents.models.facts import facts_of

if TYPE_CHECKING:
    from dwevents.dataworks.client import DataWorksClient

__all__ = ["Enricher", "ExtensionParamCache", "disabled_by_params", "parse_parameter_setting"]


class ExtensionParamCache:
    """GetExtension's ParameterSetting, parsed and cached per extension code for ``ttl_s``."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._data: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def get(self, code: str) -> dict[str, str] | None:
        with self._lock:
            hit = self._data.get(code)
            if hit and self.clock() - hit[0] < self.ttl_s:
                return hit[1]
        return None

    def put(self, code: str, params: dict[str, str]) -> None:
        with self._lock:
            self._data[code] = (self.clock(), params)


class Enricher:
    """Calls DataWorks for what rules need, within the decision deadline, each call at most once."""

    def __init__(
        self,
        client: Callable[[], DataWorksClient],
        extension_code: str | None,
        cache: ExtensionParamCache,
        *,
        deadline: float,
    ) -> None:
        self._client = client
        self.extension_code = extension_code
        self.cache = cache
        self.deadline = deadline
        self._memo: dict[str, Any] = {}
        self.calls: list[str] = []

    def _timeout(self, what: str) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0.05:
            raise TransientError(f"no time left to call {what}")
        return left

    def extension_params(self) -> dict[str, str]:
        if not self.extension_code:
            return {}
        cached = self.cache.get(self.extension_code)
        if cached is not None:
            return cached
        self.calls.append("GetExtension")
        ext = self._client().get_extension(self.extension_code, timeout_s=self._timeout("GetExtension"))
        setting = ext.get("ParameterSetting") or ext.get("Extension", {}).get("ParameterSetting") or ""
        params = parse_parameter_setting(str(setting))
        self.cache.put(self.extension_code, params)
        return params

    def event_detail(self, event: DataWorksEvent) -> dict[str, Any]:
        if "detail" not in self._memo:
            project_id = facts_of(event.payload).workspace_id
            if project_id is None:
                raise ValueError("the event has no projectId; GetIDEEventDetail needs one")
            self.calls.append("GetIDEEventDetail")
            self._memo["detail"] = self._client().get_ide_event_detail(
                event.message_id, int(project_id), timeout_s=self._timeout("GetIDEEventDetail")
            )
        detail: dict[str, Any] = self._memo["detail"]
        return detail

    def options(self, project_id: Any) -> dict[str, Any]:
        key = f"options:{project_id}"
        if key not in self._memo:
            if not self.extension_code or project_id is None:
                self._memo[key] = {}
            else:
                self.calls.append("GetOptionValueForProject")
                self._memo[key] = self._client().get_option_value_for_project(
                    self.extension_code, str(project_id), timeout_s=self._timeout("GetOptionValueForProject")
                )
        options: dict[str, Any] = self._memo[key]
        return options


def parse_parameter_setting(text: str) -> dict[str, str]:
    """``key=value`` lines; the last value of a key wins; ``.append`` keys extend their base list."""
    params: dict[str, str] = {}
    appends: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if key.endswith(".append"):
            appends.append((key[: -len(".append")], value))
        else:
            params[key] = value
    for base, value in appends:
        params[base] = ",".join(v for v in (params.get(base, ""), value) if v)
    return params


def disabled_by_params(params: Mapping[str, str], event: DataWorksEvent) -> str | None:
    """Why DataWorks' own extension parameters switch the check off for this event, or None."""
    facts = facts_of(event.payload)
    code = (event.spec.event_code if event.spec is not None else event.event_code) or ""
    ws = str(facts.workspace_id) if facts.workspace_id is not None else None

    def listed(key: str) -> bool:
        return ws is not None and ws in {v.strip() for v in params.get(key, "").split(",") if v.strip()}

    if listed("extension.project.disabled"):
        return f"the extension is disabled for workspace {ws} (extension.project.disabled)"
    if listed(f"extension.project.{code}.disabled"):
        return f"{code} checks are disabled for workspace {ws} (extension.project.{code}.disabled)"
    file_type = facts.file_type.value if isinstance(facts.file_type, Enum) else facts.file_type
    if file_type is not None:
        own = params.get(f"extension.fileType.{file_type}.{code}.enabled")
        if own is not None and own.strip().lower() == "false":
            return (
                f"{code} checks are disabled for file type {file_type} (extension.fileType...enabled=false)"
            )
        enabled_types = [
            k
            for k, v in params.items()
            if k.startswith("extension.fileType.")
            and k.endswith(f".{code}.enabled")
            and v.strip().lower() == "true"
        ]
        if enabled_types and own is None:
            return f"{code} checks are enabled only for other file types (extension.fileType...enabled)"
    return None
