"""Import cost of ``dwevents`` in fresh interpreters, against ``python -c pass`` in the same run.

Each case is a new child interpreter (what a cold FC instance pays): wall time via
``time.perf_counter`` around the subprocess, best and median of ``--runs`` (≥ 5), and the child's
own peak RSS. Cases: ``bare`` (``pass``), ``pydantic`` and ``pydantic.BaseModel`` (the one heavy
dependency: the floor), ``dwevents.envelope`` (the decoding layer), ``decode first event`` (that import
plus the first event, whose payload model is built then), ``dwevents`` and ``dwevents.runtime``.
Ratios: case / bare for time and RSS. One extra child runs with ``-X importtime`` and lists the slowest
modules under ``import dwevents``.

It also proves the lazy-import promise: no cloud SDK module (``alibabacloud*``, ``Tea``,
``darabonba``, ``aiohttp``, ``requests``, ``redis``) is in ``sys.modules`` after ``import dwevents``, nor
after decoding (and summarising) every sample in events/. Exit status 1 if one is.

    python bench/import_time.py [--runs 7]

Prints a table and writes bench/results/import_time.json. No network; bounded loops.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
FORBIDDEN = ("alibabacloud", "Tea", "darabonba", "aiohttp", "requests", "redis")

# Every case reports its own peak RSS the same way, so the bare case pays the same reporting cost.
_RSS = "import resource, sys; sys.stdout.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))"
_SAMPLE = str(ROOT / "events" / "InstanceStatusChanges" / "instance-status-changes.json")
CASES: dict[str, str] = {
    "bare": f"pass\n{_RSS}",
    "pydantic": f"import pydantic\n{_RSS}",
    "pydantic.BaseModel": f"from pydantic import BaseModel\n{_RSS}",
    "dwevents.envelope": f"import dwevents.envelope\n{_RSS}",
    # the decoding layer's whole cold path: import, then the first event (its model's schema built)
    "decode first event": (
        f"import dwevents.envelope\ndwevents.envelope.decode(open({_SAMPLE!r}, 'rb').read())\n{_RSS}"
    ),
    "dwevents": f"import dwevents\n{_RSS}",
    "dwevents.runtime": f"import dwevents.runtime\n{_RSS}",
}

SDK_PROBE = f"""
import json, sys
from pathlib import Path
FORBIDDEN = {FORBIDDEN!r}

def sdk_modules():
    return sorted(m for m in sys.modules
                  if m.startswith("alibabacloud") or any(m == f or m.startswith(f + ".") for f in FORBIDDEN))

import dwevents
after_import = sdk_modules()
decoded = 0
for path in sorted(Path({str(ROOT / "events")!r}).rglob("*.json")):
    for event in dwevents.decode(path.read_bytes()):
        json.dumps(event.summary())
        decoded += 1
after_decode = sdk_modules()
try:
    import dwevents.runtime
    after_runtime = sdk_modules()
except Exception as exc:  # reported, not fatal: the runtime may need configuration
    after_runtime = ["<import failed: " + type(exc).__name__ + ">"]
print(json.dumps({{"after_import": after_import, "after_decode_all_samples": after_decode,
                  "samples_decoded": decoded, "after_import_runtime": after_runtime,
                  "modules_after_decode": len(sys.modules)}}))
"""


def run_child(code: str, *flags: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *flags, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"child failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return wall, done


def importtime_top(limit: int = 10) -> dict[str, Any]:
    """Slowest modules (cumulative µs) under ``import dwevents`` from ``python -X importtime``."""
    _, done = run_child("import dwevents", "-X", "importtime")
    rows: list[tuple[int, int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        self_us, cumulative_us, name = (part.strip() for part in line[len("import time:") :].split("|"))
        rows.append((int(cumulative_us), int(self_us), name))
    total = next((c for c, _, n in rows if n == "dwevents"), 0)
    top_self = sorted(rows, key=lambda r: r[1], reverse=True)[:limit]
    own = sorted((r for r in rows if r[2].strip().startswith("dwevents")), reverse=True)[:limit]
    return {
        "dwevents_cumulative_ms": round(total / 1000, 1),
        "top_self": [{"module": n.strip(), "self_ms": round(s / 1000, 1)} for _, s, n in top_self],
        "dwevents_modules_cumulative": [
            {"module": n.strip(), "cumulative_ms": round(c / 1000, 1)} for c, _, n in own
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="children per case (best and median; >= 5)")
    args = parser.parse_args(argv)
    runs = max(5, args.runs)

    for code in CASES.values():  # warm the page cache and the .pyc files once
        run_child(code)
    walls: dict[str, list[float]] = {name: [] for name in CASES}
    rss_kib: dict[str, list[int]] = {name: [] for name in CASES}
    for _ in range(runs):  # interleaved, so drift hits every case alike
        for name, code in CASES.items():
            wall, done = run_child(code)
            walls[name].append(wall)
            rss_kib[name].append(int(done.stdout.strip() or 0))

    rows: dict[str, dict[str, float]] = {}
    for name in CASES:
        rows[name] = {
            "best_ms": round(min(walls[name]) * 1e3, 1),
            "median_ms": round(statistics.median(walls[name]) * 1e3, 1),
            "peak_rss_mb": round(max(rss_kib[name]) / 1024, 1),  # ru_maxrss is KiB on Linux
        }
    bare = rows["bare"]
    for row in rows.values():
        row["time_ratio"] = round(row["best_ms"] / bare["best_ms"], 2)
        row["rss_ratio"] = round(row["peak_rss_mb"] / bare["peak_rss_mb"], 2)
        row["added_best_ms"] = round(row["best_ms"] - bare["best_ms"], 1)

    _, probe = run_child(SDK_PROBE)
    sdk = json.loads(probe.stdout.strip().splitlines()[-1])
    sdk_free = not sdk["after_import"] and not sdk["after_decode_all_samples"]
    profile = importtime_top()

    print(f"fresh interpreters, best / median of {runs} (python {platform.python_version()})")
    header = f"{'case':<18}{'best ms':>9}{'median ms':>11}{'+ms':>8}{'x bare':>8}{'peak MB':>9}{'x bare':>8}"
    print(header)
    print("-" * len(header))
    for name, r in rows.items():
        print(
            f"{name:<18}{r['best_ms']:>9}{r['median_ms']:>11}{r['added_best_ms']:>8}{r['time_ratio']:>8}"
            f"{r['peak_rss_mb']:>9}{r['rss_ratio']:>8}"
        )
    print(f"-X importtime: import dwevents {profile['dwevents_cumulative_ms']} ms cumulative")
    print(
        "    slowest modules (self): "
        + ", ".join(f"{i['module']} {i['self_ms']}" for i in profile["top_self"][:5])
    )
    print(
        "    dwevents modules (cumulative): "
        + ", ".join(f"{i['module']} {i['cumulative_ms']}" for i in profile["dwevents_modules_cumulative"][:5])
    )
    verdict = "PASS" if sdk_free else "FAIL"
    print(
        f"cloud SDK modules after import / after decoding {sdk['samples_decoded']} sample events: "
        f"{sdk['after_import'] or 'none'} / {sdk['after_decode_all_samples'] or 'none'} -> {verdict}"
    )
    print(f"(after import dwevents.runtime: {sdk['after_import_runtime'] or 'none'})")

    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "import_time",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "runs": runs,
        "rows": rows,
        "importtime": profile,
        "forbidden_prefixes": list(FORBIDDEN),
        "sdk_modules": sdk,
        "sdk_free": sdk_free,
    }
    (RESULTS / "import_time.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if sdk_free else 1


if __name__ == "__main__":
    sys.exit(main())
