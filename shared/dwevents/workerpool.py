"""Reusable worker threads for work that must finish by a deadline or be abandoned: a verdict decision that
runs user code (an ``@app.decide`` decider), which may block. The rules alone decide inline (see
:mod:`dwevents.extension`): even a pooled hand-off (two thread wake-ups) cost ~10 ms at p99 on a busy
2-core host, far more than the decision itself.

Why not a thread per decision: starting one cost more than the rest of a warm extension point's own
work (issue 12). Why not ``concurrent.futures.ThreadPoolExecutor``: its workers are shared, so one hung
decision (a rule stuck on a pathological expression, a decider that never returns) would hold a worker
and, with enough of them, queue the next decisions behind it past their deadlines. Here a task always
gets a worker of its own: an idle one when there is one, else a new thread. A worker whose task ran
past the caller's deadline is simply not waited for; when (if) it finishes it becomes idle again.
At most ``max_idle`` idle workers are kept; the others end.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["WorkerPool"]

_names = itertools.count(1)


class _Task:
    __slots__ = ("error", "finished", "fn", "value")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.value: Any = None
        self.error: BaseException | None = None
        self.finished = threading.Lock()
        self.finished.acquire()  # released by the worker when the task is done


class _Worker:
    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.inbox: queue.SimpleQueue[_Task] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name=f"{pool.name}-{next(_names)}", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            task = self.inbox.get()
            try:
                task.value = task.fn()
            except BaseException as exc:  # handed to the caller, who decides what it means
                task.error = exc
            # Idle again *before* the caller is released, so the caller's next task finds this worker.
            keep = self.pool._idle_again(self)
            task.finished.release()
            del task
            if not keep:
                return


class WorkerPool:
    """``run(fn, timeout)`` in a worker thread; ``(True, value)``, or ``(False, None)`` past the timeout.

    ``fn``'s exception is re-raised in the caller."""

    def __init__(self, name: str = "worker", *, max_idle: int = 2) -> None:
        self.name = name
        self.max_idle = max_idle
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def _idle_again(self, worker: _Worker) -> bool:
        with self._lock:
            if len(self._idle) >= self.max_idle:
                return False
            self._idle.append(worker)
            return True

    def run(self, fn: Callable[[], Any], timeout: float) -> tuple[bool, Any]:
        task = _Task(fn)
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            worker = _Worker(self)
        worker.inbox.put(task)
        if not task.finished.acquire(timeout=max(0.0, timeout)):
            return False, None
        if task.error is not None:
            raise task.error
        return True, task.value

    @property
    def idle(self) -> int:
        with self._lock:
            return len(self._idle)
