"""The DataWorks API calls the project makes, over the transport the settings name.

Verdicts: UpdateIDEEventResult (Data Studio extension points), UpdateWorkbenchEventResult (Operation
Center), CallbackExtension (the generic callback). Lookups: GetIDEEventDetail (the data snapshot of an
extension point), GetExtension (the extension's parameters), GetOptionValueForProject (its options for a
workspace). Every call is one HTTP attempt; failures raise :class:`~dwevents.errors.CloudApiError`.
Importing this module loads no SDK module; the transport is built on first use (or in :meth:`warm`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from dwevents.catalogue import ReplyApi
from dwevents.dataworks.settings import DataWorksSettings
from dwevents.dataworks.wire import WireVerdict, check_success, none_if_blank, wire_verdict
from dwevents.errors import CloudApiError


class Transport(Protocol):
    def warm(self) -> None: ...

    def call(self, action: str, params: Mapping[str, Any], *, timeout_s: float) -> dict[str, Any]: ...


class DataWorksClient:
    """One DataWorks API client per settings. Thread-safe; the transport is built once, lazily."""

    def __init__(self, settings: DataWorksSettings, *, transport: Transport | None = None) -> None:
        """``transport`` replaces the one the settings name (e.g. a recorder that never calls DataWorks)."""
        self.settings = settings
        self._transport: Transport | None = transport
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DataWorksClient({self.settings!r})"

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            with self._lock:
                if self._transport is None:
                    if self.settings.transport == "sdk":
                        from dwevents.dataworks.sdk import SdkTransport

                        self._transport = SdkTransport(self.settings)
                    else:
                        from dwevents.dataworks.lean import LeanTransport

                        self._transport = LeanTransport(self.settings)
        return self._transport

    @property
    def deadline_bounded(self) -> bool:
        """Whether a call cannot outlive its ``timeout_s``: the lean transport bounds the connect, the write
        and every read by the call's deadline; the SDK bounds each read on its own, so an answer that
        trickles in could stretch a call (see :meth:`dwevents.extension.ExtensionService.decide`)."""
        return bool(getattr(self.transport, "deadline_bounded", False))

    def warm(self) -> None:
        """Build the transport now (FC initializer); with ``sdk`` this imports the SDK."""
        self.transport.warm()

    def call(self, action: str, params: Mapping[str, Any], *, timeout_s: float) -> dict[str, Any]:
        """One attempt of ``action`` with wire-named ``params``."""
        return self.transport.call(action, params, timeout_s=timeout_s)

    # -- verdicts -----------------------------------------------------------------------------------
    def reply(
        self, wire: WireVerdict, message_id: str, extension_code: str, *, timeout_s: float
    ) -> dict[str, Any]:
        """Send an already-mapped verdict (see :func:`~dwevents.dataworks.wire.wire_verdict`) as is."""
        body = self.call(wire.api.value, wire.params(message_id, extension_code), timeout_s=timeout_s)
        check_success(wire.api.value, body)
        return body

    def _verdict(
        self, api: ReplyApi, message_id: str, extension_code: str, result: str, tip: str, timeout_s: float
    ) -> dict[str, Any]:
        return self.reply(wire_verdict(api, result, tip), message_id, extension_code, timeout_s=timeout_s)

    def update_ide_event_result(
        self, message_id: str, extension_code: str, check_result: str, tip: str, *, timeout_s: float
    ) -> dict[str, Any]:
        """Data Studio extension points: CheckResult OK | WARN | FAIL with CheckResultTip."""
        return self._verdict(
            ReplyApi.UPDATE_IDE_EVENT_RESULT, message_id, extension_code, check_result, tip, timeout_s
        )

    def update_workbench_event_result(
        self, message_id: str, extension_code: str, check_result: str, tip: str, *, timeout_s: float
    ) -> dict[str, Any]:
        """Operation Center extension points: OK / FAIL only, WARN goes as OK with a ``WARN:`` tip."""
        return self._verdict(
            ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT, message_id, extension_code, check_result, tip, timeout_s
        )

    def callback_extension(
        self, message_id: str, extension_code: str, check_result: str, check_message: str, *, timeout_s: float
    ) -> dict[str, Any]:
        """The generic callback; its text field is CheckMessage (mandatory with FAIL)."""
        return self._verdict(
            ReplyApi.CALLBACK_EXTENSION, message_id, extension_code, check_result, check_message, timeout_s
        )

    # -- lookups ------------------------------------------------------------------------------------
    def get_ide_event_detail(self, message_id: str, project_id: int, *, timeout_s: float) -> dict[str, Any]:
        """The data snapshot of a Data Studio extension point: the ``EventDetail`` map (may be empty)."""
        body = self.call(
            "GetIDEEventDetail", {"MessageId": message_id, "ProjectId": int(project_id)}, timeout_s=timeout_s
        )
        return dict(body.get("EventDetail") or {})

    def get_extension(self, extension_code: str, *, timeout_s: float) -> dict[str, Any]:
        """The extension's registration, notably ``ParameterSetting`` (extension.project.disabled=…)."""
        body = self.call("GetExtension", {"ExtensionCode": extension_code}, timeout_s=timeout_s)
        return dict(body.get("Extension") or {})

    def get_option_value_for_project(
        self, extension_code: str, project_id: int | str, *, timeout_s: float
    ) -> dict[str, Any]:
        """The extension's options for one workspace; ``OptionValue`` is a JSON string, returned parsed."""
        params = {"ExtensionCode": extension_code, "ProjectId": str(project_id)}
        body = self.call("GetOptionValueForProject", params, timeout_s=timeout_s)
        raw = body.get("OptionValue")
        if raw in (None, ""):
            return {}
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise CloudApiError(
                "GetOptionValueForProject: OptionValue is not a JSON object",
                action="GetOptionValueForProject",
                code="InvalidOptionValue",
                status=200,
                transient=False,
                request_id=none_if_blank(body.get("RequestId")),
            )
        return value
