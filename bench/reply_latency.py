"""Verdict latency and SDK import cost.

Latency: ``send_verdict`` start → acknowledged, against the local DataWorks stand-in on loopback, next
to a bare SDK ``update_ideevent_result`` call (the floor the wrapper adds to) and the optional lean
transport, interleaved round-robin so drift hits all alike. Import cost: wall time and peak RSS of a
child interpreter doing each import, against ``python -c pass``.

    python bench/reply_latency.py [--calls N] [--repeats R]

Prints a table and writes bench/results/reply_latency.json. Bounded: finishes well under 60 s.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dwevents.catalogue import ReplyApi
from dwevents.dataworks.client import DataWorksClient
from dwevents.dataworks.reply import send_verdict
from dwevents.dataworks.settings import DataWorksSettings
from dwevents.local.dataworks.server import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DataWorksApiStandIn,
)
from dwevents.verdict import CheckResult, Verdict

RESULTS = Path(__file__).resolve().parent / "results" / "reply_latency.json"
VERDICT = Verdict(CheckResult.FAIL, "SELECT * on a partitioned table without a partition filter")

#: One child per case; the wrapper reports the child's own wall time and peak RSS (ru_maxrss of the
#: only child it waited for), so the wrapper's footprint is not counted.
_WRAPPER = """
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run([sys.executable, "-c", sys.argv[1]], check=True)
wall = time.perf_counter() - t
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
IMPORT_CASES = {
    "python -c pass": "pass",
    "import dwevents.dataworks.client": "import dwevents.dataworks.client",
    "SDK client import": "from alibabacloud_dataworks_public20200518.client import Client",
    "DataWorksClient.warm() (sdk)": (
        "from dwevents.dataworks.client import DataWorksClient; "
        "from dwevents.dataworks.settings import DataWorksSettings; "
        "DataWorksClient(DataWorksSettings(endpoint='x', access_key_id='a', access_key_secret='b', "
        "transport='sdk')).warm()"
    ),
    "DataWorksClient.warm() (lean)": (
        "from dwevents.dataworks.client import DataWorksClient; "
        "from dwevents.dataworks.settings import DataWorksSettings; "
        "DataWorksClient(DataWorksSettings(endpoint='x', access_key_id='a', access_key_secret='b', "
        "transport='lean')).warm()"
    ),
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(samples_s: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "mean_ms": statistics.fmean(ms),
        "n": len(ms),
    }


def measure_latency(calls: int, warmup: int) -> dict[str, Any]:
    with DataWorksApiStandIn() as standin:
        env = standin.client_env()
        sdk_client = DataWorksClient(DataWorksSettings.from_env(environ=env))
        lean_client = DataWorksClient(
            DataWorksSettings.from_env(environ={**env, "DWEVENTS_DATAWORKS_TRANSPORT": "lean"})
        )
        sdk_client.warm()
        lean_client.warm()

        from alibabacloud_dataworks_public20200518 import models
        from alibabacloud_dataworks_public20200518.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        bare = Client(
            Config(
                access_key_id=DEFAULT_ACCESS_KEY_ID,
                access_key_secret=DEFAULT_ACCESS_KEY_SECRET,
                endpoint=standin.endpoint,
                protocol="http",
            )
        )

        def via(client: DataWorksClient) -> Callable[[int], bool]:
            def run(i: int) -> bool:
                receipt = send_verdict(
                    client,
                    ReplyApi.UPDATE_IDE_EVENT_RESULT,
                    message_id=f"m-{i}",
                    extension_code="bench",
                    verdict=VERDICT,
                    deadline=time.monotonic() + 5,
                )
                return receipt.acknowledged

            return run

        def bare_sdk(i: int) -> bool:
            bare.update_ideevent_result(
                models.UpdateIDEEventResultRequest(
                    message_id=f"m-{i}",
                    extension_code="bench",
                    check_result="FAIL",
                    check_result_tip=VERDICT.tip,
                )
            )
            return True

        # The whole extension handler: decode, trust, idempotency, policy (default rules: GetExtension
        # cached, GetIDEEventDetail for the MAX_PT check), verdict, audit: handler start → acknowledged.
        import json as _json

        from dwevents.local.fc_context import FunctionMeta, LocalContext
        from dwevents.runtime import FunctionApp

        app = FunctionApp(
            "FileChange",
            environ={
                **env,
                "DWEVENTS_EXTENSION_CODE": "bench",
                "DWEVENTS_ALLOWED_ACCOUNTS": "1234567890123456",
            },
        )
        context = LocalContext(function=FunctionMeta(name="bench", timeout=30), account_id="1234567890123456")
        app.initialize(context)
        commit = _json.loads(
            (Path(__file__).resolve().parents[1] / "events/FileChange/commit-file.json").read_text()
        )

        def handler(i: int) -> bool:
            commit["id"] = f"handler-{i}"
            result = app.process(_json.dumps(commit).encode(), context)
            verdict = result.events[0].verdict
            return bool(verdict and verdict.acknowledged)

        variants: dict[str, Callable[[int], bool]] = {
            "bare SDK update_ideevent_result": bare_sdk,
            "send_verdict (sdk transport)": via(sdk_client),
            "send_verdict (lean transport)": via(lean_client),
            "handler start → acknowledged": handler,
        }
        samples: dict[str, list[float]] = {name: [] for name in variants}
        names = list(variants)
        for i in range(warmup + calls):
            for k in range(len(names)):  # rotate the order each round
                name = names[(i + k) % len(names)]
                started = time.perf_counter()
                ok = variants[name](i)
                elapsed = time.perf_counter() - started
                if not ok:
                    raise SystemExit(f"{name}: verdict not acknowledged")
                if i >= warmup:
                    samples[name].append(elapsed)
        received = len(standin.verdicts)
    result = {name: summary(values) for name, values in samples.items()}
    floor = result["bare SDK update_ideevent_result"]
    for name in names[1:]:
        result[name]["ratio_p50_vs_bare"] = result[name]["p50_ms"] / floor["p50_ms"]
        result[name]["ratio_p99_vs_bare"] = result[name]["p99_ms"] / floor["p99_ms"]
    return {"variants": result, "verdicts_received": received}


def measure_imports(repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, code in IMPORT_CASES.items():
        walls, rss = [], []
        for _ in range(repeats):
            line = subprocess.run(
                [sys.executable, "-c", _WRAPPER, code], capture_output=True, text=True, check=True
            ).stdout.split()
            walls.append(float(line[0]))
            rss.append(int(line[1]) / 1024)  # Linux: KiB → MiB
        out[label] = {
            "wall_s_median": statistics.median(walls),
            "peak_rss_mib_median": statistics.median(rss),
            "repeats": repeats,
        }
    base = out["python -c pass"]
    for row in out.values():
        row["wall_ratio_vs_pass"] = row["wall_s_median"] / base["wall_s_median"]
        row["extra_rss_mib"] = row["peak_rss_mib_median"] - base["peak_rss_mib_median"]
    return out


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DWEVENTS_LOG_LEVEL", "WARNING")  # the handler variant logs; keep the table clean
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="measured calls per variant (default 300)")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3, help="child processes per import case")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    latency = measure_latency(max(1, min(args.calls, 5000)), max(0, min(args.warmup, 500)))
    imports = measure_imports(max(1, min(args.repeats, 10)))

    print(f"\nVerdict latency, loopback stand-in ({args.calls} calls each, interleaved)")
    print(f"{'variant':<34}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'p50 ×bare':>11}{'p99 ×bare':>11}")
    for name, row in latency["variants"].items():
        r50 = f"{row['ratio_p50_vs_bare']:.2f}" if "ratio_p50_vs_bare" in row else "1.00"
        r99 = f"{row['ratio_p99_vs_bare']:.2f}" if "ratio_p99_vs_bare" in row else "1.00"
        print(f"{name:<34}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}{row['mean_ms']:>9.2f}{r50:>11}{r99:>11}")
    print(f"\nImport cost (child interpreter, median of {args.repeats})")
    print(f"{'case':<34}{'wall s':>9}{'×pass':>8}{'peak RSS MiB':>14}{'+MiB':>8}")
    for label, row in imports.items():
        print(
            f"{label:<34}{row['wall_s_median']:>9.3f}{row['wall_ratio_vs_pass']:>8.1f}"
            f"{row['peak_rss_mib_median']:>14.1f}{row['extra_rss_mib']:>8.1f}"
        )

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "reply_latency",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "calls": args.calls,
        "latency": latency,
        "imports": imports,
        "elapsed_s": time.perf_counter() - started,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {RESULTS} in {report['elapsed_s']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
