"""Cold start of the FC handlers against a bare interpreter and a bare SDK import, in one run.

Each measurement is a fresh interpreter (what a new FC instance pays), best and median of N runs,
wall time via ``time.perf_counter`` around the subprocess and peak RSS of the child:

* ``bare``           ``python -c pass``
* ``regular``        import functions/InstanceStatusChanges/index.py + initialize + one event
* ``sdk-import``     ``from alibabacloud_dataworks_public20200518.client import Client`` (the cost to know)
* ``extension``      import functions/FileChange/index.py + initialize (imports the SDK once) + one
                     commit-file event answered through the local DataWorks API stand-in

Ratios: regular / bare, extension / sdk-import. ``python bench/cold_start.py [--runs 7]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGULAR_FN = str(ROOT / "functions/InstanceStatusChanges/index.py")
REGULAR_EVENT = str(ROOT / "events/InstanceStatusChanges/instance-status-changes.success.json")

REGULAR = f"""
import importlib.util
from dwevents.local.fc_context import FunctionMeta, LocalContext
spec = importlib.util.spec_from_file_location('index', {REGULAR_FN!r})
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
ctx = LocalContext(function=FunctionMeta(name='f'), account_id='1234567890123456')
m.initialize(ctx)
m.handler(open({REGULAR_EVENT!r}, 'rb').read(), ctx)
"""

EXTENSION = f"""
import importlib.util, os, sys
from dwevents.local.dataworks.server import DataWorksApiStandIn
from dwevents.local.fc_context import FunctionMeta, LocalContext
server = DataWorksApiStandIn().start()
os.environ.update(server.client_env())
os.environ['DWEVENTS_EXTENSION_CODE'] = 'bench'
spec = importlib.util.spec_from_file_location('index', {str(ROOT / "functions/FileChange/index.py")!r})
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
ctx = LocalContext(function=FunctionMeta(name='f', timeout=30), account_id='1234567890123456')
m.initialize(ctx)
m.handler(open({str(ROOT / "events/FileChange/commit-file.json")!r}, 'rb').read(), ctx)
assert len(server.verdicts) == 1
server.close()
"""

CASES = {
    "bare": "pass",
    "regular": REGULAR,
    "sdk-import": "from alibabacloud_dataworks_public20200518.client import Client",
    "extension": EXTENSION,
}


def _run(code: str) -> tuple[float, float]:
    env = {**os.environ, "DWEVENTS_LOG_LEVEL": "WARNING", "DWEVENTS_ALLOWED_ACCOUNTS": "1234567890123456"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(after, before) / 1024.0  # ru_maxrss is KiB on Linux; max over children so far


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rows: dict[str, dict[str, float]] = {}
    for name, code in CASES.items():
        _run(code)  # warm the OS page cache and .pyc files
        walls, rss = [], []
        for _ in range(args.runs):
            wall, peak = _run(code)
            walls.append(wall)
            rss.append(peak)
        rows[name] = {"best_s": round(min(walls), 3), "median_s": round(statistics.median(walls), 3)}
    # Peak RSS per case in isolation (RUSAGE_CHILDREN is a running max, so measure each in its own child).
    for name, code in CASES.items():
        probe = (
            "import resource, runpy, sys; exec(compile(sys.argv[1], 'case', 'exec')); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe, code],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "DWEVENTS_LOG_LEVEL": "WARNING"},
        )
        rows[name]["peak_rss_mb"] = round(int(out.stdout.strip().splitlines()[-1]) / 1024.0, 1)
    ratios = {
        "regular_over_bare": round(rows["regular"]["median_s"] / rows["bare"]["median_s"], 1),
        "extension_over_sdk_import": round(rows["extension"]["median_s"] / rows["sdk-import"]["median_s"], 2),
    }
    print(f"{'case':<12}{'best s':>9}{'median s':>10}{'peak MB':>9}")
    for name, r in rows.items():
        print(f"{name:<12}{r['best_s']:>9}{r['median_s']:>10}{r['peak_rss_mb']:>9}")
    print("ratios:", ratios)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "cold_start.json").write_text(
        json.dumps({"runs": args.runs, "rows": rows, "ratios": ratios}, indent=2)
    )


if __name__ == "__main__":
    main()
