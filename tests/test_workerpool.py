"""dwevents.workerpool: decisions run in reused threads, and a hung one never delays the next."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from dwevents.workerpool import WorkerPool


def test_given_tasks_one_after_another_when_run_then_the_same_worker_thread_serves_them() -> None:
    # GIVEN a pool
    pool = WorkerPool("t")
    seen = []
    # WHEN three tasks run one after the other
    for _ in range(3):
        done, value = pool.run(lambda: threading.current_thread().name, timeout=5)
        assert done
        seen.append(value)
    # THEN one worker (not the caller's thread) ran all three, and is idle again
    assert len(set(seen)) == 1 and seen[0] != threading.current_thread().name
    assert _eventually(lambda: pool.idle == 1)


def test_given_a_hung_task_when_its_time_is_up_then_the_caller_goes_on_and_the_next_task_runs() -> None:
    # GIVEN a task that never finishes by itself
    pool = WorkerPool("t")
    release = threading.Event()
    # WHEN it runs with a short timeout
    done, value = pool.run(lambda: release.wait(30), timeout=0.05)
    # THEN the caller is told it did not finish
    assert (done, value) == (False, None)
    # AND the next task gets another worker and finishes in time
    assert pool.run(lambda: "next", timeout=5) == (True, "next")
    release.set()


def test_given_a_task_that_raises_when_run_then_the_caller_gets_the_exception() -> None:
    pool = WorkerPool("t")

    def boom() -> None:
        raise ValueError("bad rule")

    with pytest.raises(ValueError, match="bad rule"):
        pool.run(boom, timeout=5)
    assert pool.run(lambda: 1, timeout=5) == (True, 1)  # the worker survived it


def test_given_many_workers_finishing_together_then_only_max_idle_are_kept() -> None:
    # GIVEN three tasks running at once (each needs its own worker)
    pool = WorkerPool("t", max_idle=1)
    gate = threading.Event()
    results: list[tuple[bool, object]] = []
    callers = [
        threading.Thread(target=lambda: results.append(pool.run(lambda: gate.wait(5), timeout=5)))
        for _ in range(3)
    ]
    for caller in callers:
        caller.start()
    # WHEN they all finish
    gate.set()
    for caller in callers:
        caller.join(5)
    # THEN every caller got its result and one idle worker is kept
    assert results == [(True, True)] * 3
    assert _eventually(lambda: pool.idle == 1)  # a worker idles just after releasing its caller
    assert pool.idle == 1


def _eventually(test: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + 5
    while not test() and time.monotonic() < deadline:
        time.sleep(0.01)
    return test()
