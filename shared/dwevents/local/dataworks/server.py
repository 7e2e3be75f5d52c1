"""The DataWorks API stand-in: a real HTTP server that answers like DataWorks, checks what the
documentation requires (:mod:`~dwevents.local.dataworks.spec`), checks ACS3 signatures
(:mod:`~dwevents.local.dataworks.auth`), records every request and verdict, serves fixtures for the lookup
APIs and injects faults (throttling, server errors, hangs, dropped connections).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from http.server import ThreadingHTTPServer
from typing import Any

from dwevents import env
from dwevents.local.dataworks.auth import Authenticator, now
from dwevents.local.dataworks.fixtures import Fixtures, file_snapshot, table_snapshot
from dwevents.local.dataworks.handler import Handler
from dwevents.local.dataworks.records import Fault, RequestRecord, VerdictRecord
from dwevents.local.dataworks.spec import SPECS, TIP_FIELD, VERDICT_ACTIONS

logger = logging.getLogger(__name__)

DEFAULT_ACCESS_KEY_ID = "LTAI-dwevents-local"
DEFAULT_ACCESS_KEY_SECRET = "dwevents-local-secret"


class DataWorksApiStandIn:
    """The stand-in server. Use as a context manager; point the client at :attr:`endpoint` over http.

    ``enforce_implied_required=False`` accepts the parameters the pages mark optional (see
    :mod:`dwevents.local.dataworks.spec`)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_keys: Mapping[str, str] | None = None,
        security_tokens: Mapping[str, str] | None = None,
        on_verdict: Callable[[VerdictRecord], None] | None = None,
        enforce_implied_required: bool = True,
    ) -> None:
        self._host, self._port = host, port
        #: access key id → secret. An id also in ``security_tokens`` must come with that STS token.
        self.access_keys: dict[str, str] = dict(
            access_keys or {DEFAULT_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_SECRET}
        )
        self.security_tokens: dict[str, str] = dict(security_tokens or {})
        self.on_verdict = on_verdict
        self.enforce_implied_required = enforce_implied_required
        self.fixtures = Fixtures()
        self._verdicts: list[VerdictRecord] = []
        self._requests: list[RequestRecord] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.closing = threading.Event()
        self.auth = Authenticator(self._secret_for, self._token_for)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> DataWorksApiStandIn:
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (Handler,), {"standin": self})
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self.closing.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            name="dataworks-api-standin",
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()
        logger.info("DataWorks API stand-in listening on %s", self.endpoint)
        return self

    def close(self) -> None:
        self.closing.set()  # wakes handlers sleeping in an injected delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DataWorksApiStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stand-in is not started")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """``host:port`` as the client's endpoint wants it (use protocol ``http``)."""
        return f"{self._host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}/"

    def client_env(self, access_key_id: str | None = None) -> dict[str, str]:
        """Environment variables that point ``DataWorksSettings.from_env`` at this server. A
        ``DWEVENTS_DATAWORKS_TRANSPORT`` set in this process is passed on, so one test run can drive every
        stand-in test through the SDK (``DWEVENTS_DATAWORKS_TRANSPORT=sdk pytest``) or the lean transport."""
        key_id = access_key_id or next(iter(self.access_keys))
        out = {
            env.DATAWORKS_ENDPOINT: self.endpoint,
            env.DATAWORKS_PROTOCOL: "http",
            env.ACCESS_KEY_ID: key_id,
            env.ACCESS_KEY_SECRET: self.access_keys[key_id],
        }
        if key_id in self.security_tokens:
            out[env.SECURITY_TOKEN] = self.security_tokens[key_id]
        if os.environ.get(env.DATAWORKS_TRANSPORT):
            out[env.DATAWORKS_TRANSPORT] = os.environ[env.DATAWORKS_TRANSPORT]
        return out

    # -- configuration --------------------------------------------------------------------------------
    def add_credentials(self, access_key_id: str, secret: str, security_token: str | None = None) -> None:
        with self._lock:
            self.access_keys[access_key_id] = secret
            if security_token is not None:
                self.security_tokens[access_key_id] = security_token

    def inject(
        self,
        action: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        delay_s: float = 0,
        drop: bool = False,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` requests (for ``action``, or any) fail: wait ``delay_s`` first, then
        answer ``status`` with ``code`` (defaults: 429 Throttling.User, 500 InternalError.System, …), or
        close the connection without an answer (``drop``). A delay alone answers normally, late."""
        if status is None and code is not None:
            raise ValueError("a code needs a status")
        with self._lock:
            self._faults.append(Fault(action, status, code, delay_s, drop, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forget recorded verdicts/requests and faults; keep fixtures and credentials."""
        with self._lock:
            self._faults.clear()
            self._verdicts.clear()
            self._requests.clear()

    def set_event_detail(self, message_id: str | None, detail: Mapping[str, Any]) -> None:
        """GetIDEEventDetail's ``EventDetail`` for one message id (None: the default for all others)."""
        with self.fixtures.lock:
            if message_id is None:
                self.fixtures.default_event_detail = dict(detail)
            else:
                self.fixtures.event_details[message_id] = dict(detail)

    def set_file_content(
        self,
        message_id: str | None,
        content: str,
        *,
        kind: str = "CommittedFile",
        file_type: int = 10,
        file_name: str = "local_file",
        data_source_name: str = "odps_first",
        change_type: str = "UPDATE",
        **extra: Any,
    ) -> None:
        """Shortcut for a file snapshot: ``kind`` is CommittedFile (commit/deploy), DeletedFile (delete) or
        FileExecutionCommand (run)."""
        snapshot = file_snapshot(
            kind,
            content,
            file_type=file_type,
            file_name=file_name,
            data_source_name=data_source_name,
            change_type=change_type,
            extra=extra,
        )
        self.set_event_detail(message_id, snapshot)

    def set_table_model(
        self,
        message_id: str | None,
        table_name: str,
        columns: Iterable[tuple[str, str, str, bool]] = (),
        *,
        env: str = "DEV",
        life_cycle: int = 30,
        comment: str = "",
        data_source_name: str = "odps_first",
        location: str = "",
    ) -> None:
        """Shortcut for a table snapshot (commit-table / deploy-table); columns are
        (name, type, comment, is_partition_column)."""
        snapshot = table_snapshot(
            table_name,
            list(columns),
            env=env,
            life_cycle=life_cycle,
            comment=comment,
            data_source_name=data_source_name,
            location=location,
        )
        self.set_event_detail(message_id, snapshot)

    def set_extension(
        self, extension_code: str, *, parameter_setting: str | None = None, **fields: Any
    ) -> None:
        """GetExtension's ``Extension`` for a code: ParameterSetting text plus any other field."""
        with self.fixtures.lock:
            ext = self.fixtures.extensions.setdefault(extension_code, {})
            if parameter_setting is not None:
                ext["ParameterSetting"] = parameter_setting
            ext.update(fields)

    def set_option_value(
        self, extension_code: str, project_id: int | str, value: Mapping[str, Any] | str
    ) -> None:
        """GetOptionValueForProject's ``OptionValue`` (a JSON string on the wire) for (extension, project)."""
        self.fixtures.set_option_value(extension_code, project_id, value)

    # -- what was received ----------------------------------------------------------------------------
    @property
    def verdicts(self) -> list[VerdictRecord]:
        with self._lock:
            return list(self._verdicts)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    # -- request processing (called from handler threads) ---------------------------------------------
    def take_fault(self, action: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.action in (None, action):
                    fault.times -= 1
                    return fault
        return None

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def _secret_for(self, key_id: str) -> str | None:
        with self._lock:
            return self.access_keys.get(key_id)

    def _token_for(self, key_id: str) -> str | None:
        with self._lock:
            return self.security_tokens.get(key_id)

    def dispatch(self, action: str, params: Mapping[str, str], key_id: str, token: bool) -> dict[str, Any]:
        """Validate ``params`` against the action's documentation, then answer (without RequestId)."""
        valid = SPECS[action].validate(params, enforce_implied=self.enforce_implied_required)
        if action not in VERDICT_ACTIONS:
            return self.fixtures.answer(action, valid)
        record = VerdictRecord(
            action,
            valid.get("MessageId", ""),
            valid.get("ExtensionCode", ""),
            valid.get("CheckResult", ""),
            valid.get(TIP_FIELD[action], ""),
            now(),
            key_id,
            token,
        )
        with self._lock:
            self._verdicts.append(record)
        if self.on_verdict is not None:
            try:
                self.on_verdict(record)
            except Exception:  # a printing callback must not break the server
                logger.exception("on_verdict callback failed")
        if action == "UpdateIDEEventResult":
            return {}  # the page documents RequestId only
        if action == "UpdateWorkbenchEventResult":
            return {"Success": True}  # Boolean on the page
        return {"Success": "true"}  # CallbackExtension: "Success | String | true"
