"""Decode cost of ``dwevents.decode`` against ``json.loads`` of the same bytes, and against the
hand-written alternative (``json.loads`` + one pydantic validation of the payload), in the same run.

Input: every sample in events/ as bytes (a batch file counts as its number of events). For each sample
the three ways are timed back to back, ``--loops`` calls each, for ``--rounds`` rounds; a sample's
cost per event is the median of its rounds. Time is the process's CPU time (``time.process_time``):
what other processes do to the wall clock on a shared machine does not count, the work itself does.

Reported, per category (events/<Category>/, fc-direct, batch) and for all samples:

* ``decode / json.loads`` = Σ decode µs per event / Σ json.loads µs per event over the samples (goal of
  issue 12: ≤ 2), and the median of the per-sample ratios;
* ``decode / hand-written``: the same against ``json.loads`` + ``TypeAdapter(model).validate_python``
  of the payload, the model picked by hand (no envelope, no limits, no error naming);
* ``hand-written / json.loads``, so the three read as one scale.

Also the first decode of every sample in a fresh process (lazy model imports, validator builds), and
the machine: ``uname -m``, the CPU model, the Python and pydantic versions, the load average.

    python bench/decode_throughput.py [--loops 200] [--rounds 7]

Prints a table and writes bench/results/decode_throughput.json. No network; bounded loops.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
RESULTS = ROOT / "bench" / "results"
GOAL = 2.0


@dataclass
class Sample:
    name: str
    category: str
    raw: bytes
    events: int
    times: dict[str, list[float]] = field(default_factory=dict)  # way → µs per event, one per round

    def median(self, way: str) -> float:
        return statistics.median(self.times[way])


def load_samples() -> list[Sample]:
    out = []
    for path in sorted(EVENTS.rglob("*.json")):
        raw = path.read_bytes()
        doc = json.loads(raw)
        count = len(doc) if isinstance(doc, list) else 1
        out.append(Sample(str(path.relative_to(EVENTS)), path.parent.name, raw, count))
    return out


def machine() -> dict[str, Any]:
    """What the figures were measured on (they mean little without it)."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import pydantic
    import pydantic_core

    return {
        "machine": platform.machine(),  # uname -m
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pydantic": pydantic.VERSION,
        "pydantic_core": pydantic_core.__version__,
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def hand_written(sample: Sample) -> Callable[[bytes], Any]:
    """``json.loads`` + one validation of the payload with the model a hand-written handler would pick."""
    from pydantic import TypeAdapter

    from dwevents.catalogue import lookup

    doc = json.loads(sample.raw)

    def key(element: dict[str, Any]) -> tuple[str, Any]:
        if "messageBody" in element:
            return "messageBody", lookup(None, element["eventType"])
        return "data", lookup(element["type"])

    elements = doc if isinstance(doc, list) else [doc]
    plans = [(where, TypeAdapter(spec.model)) for where, spec in map(key, elements)]
    loads = json.loads

    def run(raw: bytes) -> Any:
        parsed = loads(raw)
        items = parsed if isinstance(parsed, list) else [parsed]
        pairs = zip(plans, items, strict=False)
        return [adapter.validate_python(item[where]) for (where, adapter), item in pairs]

    run(sample.raw)  # build the validators outside the timing, as decode's are
    return run


def timed(fn: Callable[[bytes], Any], raw: bytes, loops: int) -> float:
    start = time.process_time()
    for _ in range(loops):
        fn(raw)
    return time.process_time() - start


def measure(samples: list[Sample], loops: int, rounds: int) -> None:
    import dwevents

    ways: dict[str, Callable[[Sample], Callable[[bytes], Any]]] = {
        "json": lambda s: json.loads,
        "hand": hand_written,
        "decode": lambda s: dwevents.decode,
    }
    prepared = {(s.name, way): make(s) for s in samples for way, make in ways.items()}
    for s in samples:
        s.times = {way: [] for way in ways}
    gc.disable()
    try:
        for _ in range(rounds):
            for s in samples:  # the three ways back to back per sample: drift hits them alike
                for way in ways:
                    seconds = timed(prepared[(s.name, way)], s.raw, loops)
                    s.times[way].append(seconds / loops / s.events * 1e6)
            gc.collect()
    finally:
        gc.enable()


def summarise(samples: list[Sample]) -> dict[str, float]:
    json_us = sum(s.median("json") * s.events for s in samples)
    hand_us = sum(s.median("hand") * s.events for s in samples)
    decode_us = sum(s.median("decode") * s.events for s in samples)
    events = sum(s.events for s in samples)
    return {
        "samples": len(samples),
        "events": events,
        "json_loads_us": round(json_us / events, 2),
        "hand_written_us": round(hand_us / events, 2),
        "decode_us": round(decode_us / events, 2),
        "decode_vs_json": round(decode_us / json_us, 2),
        "decode_vs_hand": round(decode_us / hand_us, 2),
        "hand_vs_json": round(hand_us / json_us, 2),
        "median_sample_decode_vs_json": round(
            statistics.median(s.median("decode") / s.median("json") for s in samples), 2
        ),
    }


def first_decode_ms() -> float:
    """The first decode of every sample in a fresh interpreter: imports and validator builds included."""
    code = (
        "import time, pathlib\nstart = time.perf_counter()\nimport dwevents\n"
        f"for p in sorted(pathlib.Path({str(EVENTS)!r}).rglob('*.json')):\n"
        "    dwevents.decode(p.read_bytes())\n"
        "print((time.perf_counter() - start) * 1e3)\n"
    )
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return round(float(done.stdout.strip().splitlines()[-1]), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--loops", type=int, default=200, help="calls per sample, way and round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (the median is kept)")
    args = parser.parse_args(argv)

    samples = load_samples()
    measure(samples, max(1, args.loops), max(1, args.rounds))
    categories: dict[str, list[Sample]] = {}
    for s in samples:
        categories.setdefault(s.category, []).append(s)
    rows = {name: summarise(group) for name, group in sorted(categories.items())}
    overall = summarise(samples)
    info = machine()

    print(
        f"decode vs json.loads and vs hand-written (json.loads + validate), {len(samples)} sample files, "
        f"{overall['events']} events; median of {args.rounds} rounds x {args.loops} calls, CPU time"
    )
    print(
        f"machine: {info['machine']}, {info['cpu']}, {info['cpus']} CPUs, Python {info['python']}, "
        f"pydantic {info['pydantic']}, load average {info['load_average']}"
    )
    header = f"{'category':<24}{'events':>7}{'json µs':>9}{'hand µs':>9}{'decode µs':>11}"
    header += f"{'dec/json':>10}{'dec/hand':>10}{'hand/json':>11}"
    print(header)
    print("-" * len(header))
    for name, row in [*rows.items(), ("ALL", overall)]:
        print(
            f"{name:<24}{row['events']:>7}{row['json_loads_us']:>9}{row['hand_written_us']:>9}"
            f"{row['decode_us']:>11}{row['decode_vs_json']:>10}{row['decode_vs_hand']:>10}"
            f"{row['hand_vs_json']:>11}"
        )
    first = first_decode_ms()
    verdict = "met" if overall["decode_vs_json"] <= GOAL else "MISSED"
    print(f"first decode of every sample in a fresh process (imports, validator builds): {first} ms")
    print(
        f"decode / json.loads = {overall['decode_vs_json']}x per event over all samples "
        f"(median sample {overall['median_sample_decode_vs_json']}x); goal <= {GOAL}x: {verdict}; "
        f"decode / hand-written = {overall['decode_vs_hand']}x"
    )

    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "decode_throughput",
        "machine": info,
        "loops": args.loops,
        "rounds": args.rounds,
        "goal_decode_vs_json": GOAL,
        "goal_met": overall["decode_vs_json"] <= GOAL,
        "overall": overall,
        "categories": rows,
        "samples": {s.name: {w: round(s.median(w), 2) for w in s.times} for s in samples},
        "first_decode_all_samples_ms": first,
    }
    (RESULTS / "decode_throughput.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
