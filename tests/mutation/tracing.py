"""A pytest plugin that records which lines of the mutated modules each test runs, and how long it takes.

The runner uses the map to run, for each mutant, only the tests that execute its line (fastest first,
stopping at the first failure), which turns hours into minutes. Tracing starts at session start and
covers every thread started afterwards (the DataWorks reply runs its call in a worker thread); hits are
charged to the test running at that moment.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Generator
from types import FrameType
from typing import Any

import pytest


class LineMap:
    def __init__(self, files: set[str]) -> None:
        self.files = files
        self.current: str | None = None
        self.lines: dict[str, set[tuple[str, int]]] = {}
        self.durations: dict[str, float] = {}

    def _global(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename in self.files:
            return self._local
        return None

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and self.current is not None:
            self.lines[self.current].add((frame.f_code.co_filename, frame.f_lineno))
        return self._local

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        sys.settrace(self._global)
        threading.settrace(self._global)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        sys.settrace(None)
        threading.settrace(None)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
        self.current = item.nodeid
        self.lines.setdefault(item.nodeid, set())
        started = time.perf_counter()
        sys.settrace(self._global)  # pytest or a test may have replaced it
        yield
        self.durations[item.nodeid] = time.perf_counter() - started
        self.current = None
