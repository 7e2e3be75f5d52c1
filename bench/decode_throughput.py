"""Decode throughput of ``dwevents.decode`` against plain ``json.loads`` of the same bytes, same run.

Input: every sample in events/ as bytes (a batch file counts as its number of events), repeated until
about ``--events`` events. Both loops walk the same list, ``--rounds`` times, interleaved; the best
round of each is kept (least disturbed by the machine). The first decode of every sample is timed separately:
it pays the lazy model imports and the pydantic validator build a fresh FC instance pays once.

Reported: events/s and µs/event for both, and ``ratio`` = decode µs / json.loads µs (how many times the
cost of parsing alone a typed, validated event costs). Also per category (events/<Category>/,
fc-direct, batch).

    python bench/decode_throughput.py [--events 20000] [--rounds 5]

Prints a table and writes bench/results/decode_throughput.json. No network; bounded loops.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
RESULTS = ROOT / "bench" / "results"


def load_samples() -> dict[str, list[tuple[bytes, int]]]:
    """Category → [(raw bytes, events in it)]; the category is the sample's folder name."""
    out: dict[str, list[tuple[bytes, int]]] = {}
    for path in sorted(EVENTS.rglob("*.json")):
        raw = path.read_bytes()
        doc = json.loads(raw)
        out.setdefault(path.parent.name, []).append((raw, len(doc) if isinstance(doc, list) else 1))
    return out


def repeat_to(items: Sequence[tuple[bytes, int]], target_events: int) -> tuple[list[bytes], int]:
    """The items in order, cycled until at least ``target_events`` events (bounded by construction)."""
    per_cycle = sum(n for _, n in items)
    cycles = max(1, -(-target_events // per_cycle))
    return [raw for _ in range(cycles) for raw, _ in items], cycles * per_cycle


def best_times(fns: Sequence[Callable[[list[bytes]], Any]], inputs: list[bytes], rounds: int) -> list[float]:
    """Best wall time of each function; rounds interleave the functions so drift hits them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            gc.collect()
            start = time.perf_counter()
            fn(inputs)
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def _json_loop(inputs: list[bytes]) -> None:
    loads = json.loads
    for raw in inputs:
        loads(raw)


def _decode_loop(inputs: list[bytes]) -> None:
    from dwevents import decode

    for raw in inputs:
        decode(raw)


def measure(inputs: list[bytes], events: int, rounds: int) -> dict[str, float]:
    json_s, decode_s = best_times([_json_loop, _decode_loop], inputs, rounds)
    return {
        "events": events,
        "json_loads_per_s": round(events / json_s),
        "decode_per_s": round(events / decode_s),
        "json_loads_us": round(json_s / events * 1e6, 2),
        "decode_us": round(decode_s / events * 1e6, 2),
        "ratio": round(decode_s / json_s, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="events per measurement (all samples)")
    parser.add_argument("--per-category", type=int, default=2000, help="events per category measurement")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    samples = load_samples()
    every = [item for items in samples.values() for item in items]

    # First decode of each sample in this process: imports the payload models, builds the validators.
    start = time.perf_counter()
    import dwevents  # import cost is bench/import_time.py's business; reported here, not in the ratio

    import_s = time.perf_counter() - start
    start = time.perf_counter()
    first_events = 0
    for raw, _ in every:
        first_events += len(dwevents.decode(raw))
    first_s = time.perf_counter() - start

    inputs, events = repeat_to(every, args.events)
    overall = measure(inputs, events, args.rounds)
    categories: dict[str, dict[str, float]] = {}
    for name, items in sorted(samples.items()):
        cat_inputs, cat_events = repeat_to(items, args.per_category)
        categories[name] = {"samples": len(items), **measure(cat_inputs, cat_events, args.rounds)}

    print(f"decode vs json.loads over {len(every)} sample files, {events} events, best of {args.rounds}")
    header = f"{'category':<24}{'events':>7}{'json/s':>10}{'decode/s':>10}"
    header += f"{'json µs':>9}{'decode µs':>11}{'ratio':>7}"
    print(header)
    print("-" * len(header))
    for name, row in [*categories.items(), ("ALL", overall)]:
        print(
            f"{name:<24}{row['events']:>7}{row['json_loads_per_s']:>10}{row['decode_per_s']:>10}"
            f"{row['json_loads_us']:>9}{row['decode_us']:>11}{row['ratio']:>7}"
        )
    print(
        f"first decode of all {first_events} sample events (models + validators built): "
        f"{first_s * 1e3:.1f} ms"
    )
    print(f"ratio = decode µs / json.loads µs; overall {overall['ratio']}x")

    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "decode_throughput",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "rounds": args.rounds,
        "sample_files": len(every),
        "overall": overall,
        "categories": categories,
        "first_decode_all_samples_ms": round(first_s * 1e3, 1),
        "import_dwevents_in_process_ms": round(import_s * 1e3, 1),
    }
    (RESULTS / "decode_throughput.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
