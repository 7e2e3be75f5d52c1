"""Test a function in-process: a sample event by eventCode, a few field overrides, the verdict it got.

Modelled on Chalice's test client (``chalice.test.Client``, https://aws.github.io/chalice/topics/testing.html):
a context manager around the app that builds realistic events and invokes the real handler path, with
a local DataWorks API stand-in (a real HTTP server on 127.0.0.1 that checks the request signature and
records verdicts) instead of DataWorks::

    from dwevents.testing import Client

    with Client("FileChange", rules="rules.yaml") as client:
        response = client.invoke("deploy-file", data={"fileName": "drop_all.sql"})
        assert response.verdict.result == "FAIL"
        assert [v.check_result for v in client.verdicts] == ["FAIL"]

Samples come from the project's ``events/`` folder (``events/<Category>/<eventCode>.json``, FC-direct
messages in ``events/fc-direct/``), found from the working directory upwards. This module is a tool:
the runtime never imports it.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dwevents import env
from dwevents.catalogue import lookup
from dwevents.errors import ConfigError
from dwevents.results import EventResult, InvocationResult, RetryBatchError, VerdictReport
from dwevents.runtime import FunctionApp

#: The account id the samples carry; the client's context uses it so the trust check passes.
SAMPLE_ACCOUNT = "1234567890123456"
#: The extension code the client configures unless the environment given names one (or "" for none).
TEST_EXTENSION_CODE = "dwevents-test"
FIXTURES_FILE = "dataworks-api-fixtures.yaml"

_ids = itertools.count(1)


@dataclass
class Response:
    """One invocation through the client: the typed result, and what FC would have seen."""

    result: InvocationResult
    #: The handler's return value, parsed (None when it raised).
    returned: Any
    #: The retry error the handler raised (EventBridge would deliver the batch again), or None.
    error: RetryBatchError | None

    @property
    def events(self) -> list[EventResult]:
        return self.result.events

    @property
    def event(self) -> EventResult:
        """The result of the only event (an AssertionError for a batch)."""
        assert len(self.result.events) == 1, f"expected one event, got {len(self.result.events)}"
        return self.result.events[0]

    @property
    def outcome(self) -> str:
        return self.event.outcome.value

    @property
    def verdict(self) -> VerdictReport | None:
        return self.event.verdict


class Client:
    """Invokes one function in-process with sample events; see the module docstring."""

    def __init__(
        self,
        app: FunctionApp | str,
        *,
        environ: Mapping[str, str] | None = None,
        rules: str | Path | None = None,
        config: str | Path | None = None,
        dataworks: bool = True,
        samples: str | Path | None = None,
        account_id: str = SAMPLE_ACCOUNT,
        timeout_s: int = 30,
    ) -> None:
        if isinstance(app, FunctionApp) and app.started:
            raise ConfigError("give the client an app that has not started (no event handled yet)")
        self._stack = contextlib.ExitStack()
        self.samples = Path(samples) if samples is not None else find_samples()
        self.account_id = account_id
        self.timeout_s = timeout_s
        self.standin: Any = None
        merged: dict[str, str] = {env.ALLOWED_ACCOUNTS: account_id, env.EXTENSION_CODE: TEST_EXTENSION_CODE}
        if dataworks:
            from dwevents.local.dataworks.server import DataWorksApiStandIn

            self.standin = self._stack.enter_context(DataWorksApiStandIn())
            merged.update(self.standin.client_env())
            self._load_fixtures()
        if rules is not None:
            merged[env.RULES_FILE] = str(rules)
        if config is not None:
            merged[env.CONFIG_FILE] = str(config)
        merged.update(environ or {})
        if isinstance(app, FunctionApp):
            app.environ = {**(app.environ or {}), **merged}
            self.app = app
        else:
            self.app = FunctionApp(app, environ=merged)

    @classmethod
    def for_function(cls, directory: str | Path, **kwargs: Any) -> Client:
        """A client for ``functions/<Category>/index.py`` as FC loads it (its ``app``)."""
        import importlib.util

        path = Path(directory) / "index.py"
        spec = importlib.util.spec_from_file_location(f"dwevents_test_fn_{Path(directory).name}", path)
        if spec is None or spec.loader is None:
            raise ConfigError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        app = getattr(module, "app", None)
        if not isinstance(app, FunctionApp):
            raise ConfigError(f"{path} has no FunctionApp named 'app'")
        return cls(app, **kwargs)

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- events ----------------------------------------------------------------------------------

    def event(
        self,
        event_code: str,
        *,
        data: Mapping[str, Any] | None = None,
        drop: Iterable[str] = (),
        **envelope: Any,
    ) -> dict[str, Any]:
        """The sample CloudEvent for ``event_code`` with ``data`` fields replaced, ``drop`` fields removed
        and envelope attributes overridden (``id=...``, ``source=...``). A fresh ``id`` unless given."""
        spec = lookup(None, event_code)
        if spec is None:
            raise ConfigError(f"unknown eventCode {event_code!r}")
        doc = self._sample(self.samples / spec.category / f"{spec.event_code}.json")
        doc["id"] = f"{doc.get('id', 'test')}-{next(_ids)}"
        _apply(doc.setdefault("data", {}), data, drop)
        doc.update(envelope)
        return doc

    def fc_direct(
        self,
        event_code: str,
        *,
        body: Mapping[str, Any] | None = None,
        drop: Iterable[str] = (),
        **fields: Any,
    ) -> dict[str, Any]:
        """The FC-direct sample message for ``event_code``, with ``messageBody`` / wrapper overrides."""
        doc = self._sample(self.samples / "fc-direct" / f"{event_code}.json")
        doc["messageId"] = f"{doc.get('messageId', 'test')}-{next(_ids)}"
        _apply(doc.setdefault("messageBody", {}), body, drop)
        doc.update(fields)
        return doc

    def invoke(
        self,
        event: str | Mapping[str, Any] | list[Any] | bytes,
        *,
        data: Mapping[str, Any] | None = None,
        **envelope: Any,
    ) -> Response:
        """Invoke the function with an eventCode's sample (plus overrides), a document, a batch or bytes."""
        if isinstance(event, str):
            event = self.event(event, data=data, **envelope)
        raw = (
            event
            if isinstance(event, bytes)
            else json.dumps(event, ensure_ascii=False).encode("utf-8", "surrogatepass")
        )
        context = self.context()
        if not self.app.started:
            self.app.initialize(context)  # FC's initializer runs before the first invocation
        result = self.app.process(raw, context)
        try:
            return Response(result, json.loads(result.handler_return()), None)
        except RetryBatchError as exc:
            return Response(result, None, exc)

    def context(self) -> Any:
        """An FC3-like invocation context for the function."""
        from dwevents.local.fc_context import FunctionMeta, LocalContext

        name = f"dwevents-{self.app.category.lower()}"
        return LocalContext(
            function=FunctionMeta(name=name, timeout=self.timeout_s), account_id=self.account_id
        )

    @property
    def verdicts(self) -> list[Any]:
        """The verdicts the DataWorks stand-in received, in order."""
        return list(self.standin.verdicts) if self.standin is not None else []

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _sample(path: Path) -> dict[str, Any]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except OSError:
            raise ConfigError(f"no sample event at {path}") from None
        return copy.deepcopy(doc) if isinstance(doc, dict) else {}

    def _load_fixtures(self) -> None:
        path = self.samples / FIXTURES_FILE
        if path.exists():
            from dwevents.local.emulator import load_fixtures

            load_fixtures(self.standin, path)


def _apply(target: dict[str, Any], values: Mapping[str, Any] | None, drop: Iterable[str]) -> None:
    target.update(values or {})
    for key in drop:
        target.pop(key, None)


def find_samples(start: Path | None = None) -> Path:
    """The nearest ``events/`` folder with category sub-folders, from ``start`` (the working directory)
    upwards, then beside this package's source tree."""
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents, *Path(__file__).resolve().parents]:
        candidate = folder / "events"
        if (candidate / "FileChange").is_dir():
            return candidate
    raise ConfigError("no events/ folder with sample events found; pass samples=")
