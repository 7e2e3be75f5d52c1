"""Per-event cost of a function's handler on regular events, against ``json.loads`` of the same bytes.

One child interpreter per category (the FC instance): ``index`` imported from functions/<Category>/ (folder
first on ``sys.path``), ``initialize``, a warm-up, then rounds of the same block of events (each with its own
id, so none is a duplicate) through ``json.loads`` and through ``index.handler``, alternating every 20
events so that whatever else the machine does hits both alike. Everything
a regular event gets happens — decode, trust checks, idempotency (memory store), audit, metrics, the
notification routing (no channel configured: no network) — and the log lines are written to the child's
stdout, which is ``/dev/null``. Time is the child's CPU time (``time.process_time``, all threads), so what
other processes do on a shared machine does not count; the per-event figure is the median of the rounds.

    python bench/pipeline.py [--events 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from _harness import EVENTS, function_env, median, run_child, worker_code, write_json

#: (row, category, sample, judged): a regular-only function and two that also have extension points,
#: each with an event that gets the audit record and its metrics (the issue's "audit + metrics"); and,
#: not judged, a failed instance, which the default routes also send to the console channel.
CASES = (
    ("InstanceStatusChanges", "InstanceStatusChanges", "instance-status-changes.success.json", True),
    ("NodeChange", "NodeChange", "node-change-created.json", True),
    ("DqcCheck", "DqcCheck", "dqc-check-feedback-event.json", True),
    ("InstanceStatusChanges, failed (+ console notification)", "InstanceStatusChanges",
     "instance-status-changes.json", False),
)  # fmt: skip


def payloads(sample: Path, count: int, tag: str) -> list[bytes]:
    """``count`` copies of a sample, each with its own event id (so the idempotency gate lets it through)."""
    base = json.loads(sample.read_bytes())
    out = []
    for i in range(count):
        base["id"] = f"{tag}-{i}"
        out.append(json.dumps(base, ensure_ascii=False).encode())
    return out


def worker(params: dict[str, Any], result_path: str) -> None:
    """In the child: the measurement (stdout is /dev/null, so every log line is really written)."""
    import gc
    import types

    sys.path.insert(0, params["function_dir"])
    import index  # the function's own entry point, as FC imports it

    ctx = types.SimpleNamespace(
        request_id="bench",
        account_id=params["account"],
        region="cn-hangzhou",
        function=types.SimpleNamespace(name="dwevents-bench", timeout=60),
    )
    index.initialize(ctx)
    sample = Path(params["sample"])
    for raw in payloads(sample, params["warmup"], "warm"):
        index.handler(raw, ctx)
    loads = json.loads
    handler = index.handler
    per_event: dict[str, list[float]] = {"json.loads": [], "handler": []}
    n = params["events"]
    chunk = 20  # json.loads and the handler alternate every 20 events: a busy moment hits both alike
    for round_ in range(params["rounds"]):
        block = payloads(sample, n, f"r{round_}")
        gc.collect()
        spent = {"json.loads": 0.0, "handler": 0.0}
        for start in range(0, n, chunk):
            part = block[start : start + chunk]
            t0 = time.process_time()
            for raw in part:
                loads(raw)
            t1 = time.process_time()
            for raw in part:
                handler(raw, ctx)
            t2 = time.process_time()
            spent["json.loads"] += t1 - t0
            spent["handler"] += t2 - t1
        for way, seconds in spent.items():
            per_event[way].append(seconds / n * 1e6)
    check, lines = _one_counted(handler, payloads(sample, 1, "check")[0], ctx)
    Path(result_path).write_text(json.dumps({"per_event_us": per_event, "check": check, "log_lines": lines}))


def _one_counted(handler: Any, raw: bytes, ctx: Any) -> tuple[Any, int]:
    """One more event, counting the log lines it writes (records reaching the ``dwevents`` handlers)."""
    import logging

    class Counter(logging.Handler):
        count = 0

        def emit(self, record: logging.LogRecord) -> None:
            Counter.count += 1

    root = logging.getLogger("dwevents")
    counter = Counter(level=logging.NOTSET)
    root.addHandler(counter)
    try:
        out = json.loads(handler(raw, ctx))
    finally:
        root.removeHandler(counter)
    return out, Counter.count


def measure(events: int, rounds: int, warmup: int = 200) -> dict[str, Any]:
    from _harness import ACCOUNT, FUNCTIONS

    rows: dict[str, Any] = {}
    for label, category, name, judged in CASES:
        sample = EVENTS / category / name
        params = {
            "function_dir": str(FUNCTIONS / category),
            "sample": str(sample),
            "events": events,
            "rounds": rounds,
            "warmup": warmup,
            "account": ACCOUNT,
        }
        code = worker_code("pipeline", params)
        child = run_child(code, env=function_env())
        times = child.result["per_event_us"]
        outcome = child.result["check"]["events"][0]["outcome"]
        if outcome != "processed":
            raise RuntimeError(f"{label}: the event was {outcome}, not processed: {child.result['check']}")
        loads_us, handler_us = median(times["json.loads"]), median(times["handler"])
        rows[label] = {
            "category": category,
            "sample": name,
            "judged": judged,
            "log_lines": child.result["log_lines"],
            "json_loads_us": round(loads_us, 2),
            "handler_us": round(handler_us, 2),
            "ratio": round(handler_us / loads_us, 1),
            "rounds": rounds,
            "events_per_round": events,
        }
    return {"rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events per round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    result = measure(max(1, args.events), max(1, args.rounds))
    print(f"{'case':<56}{'json.loads µs':>15}{'handler µs':>12}{'ratio':>8}{'log lines':>11}")
    for label, row in result["rows"].items():
        print(
            f"{label:<56}{row['json_loads_us']:>15}{row['handler_us']:>12}{row['ratio']:>8}"
            f"{row['log_lines']:>11}"
        )
    write_json("pipeline", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
