"""Warm verdict latency: handler start → verdict acknowledged, against the bare SDK calls the decision needs.

One child interpreter per variant (a warm FC instance of functions/FileChange): a ``FunctionApp`` whose
DataWorks client (the ``dataworks_client`` seam, default transport) notes every API call it makes and how
long it spent inside it. For each commit-file event (own id each):

* ``handler``  ``app.handler(event, ctx)`` start → the end of the verdict call (acknowledged);
* ``inside``   the time spent inside the DataWorks calls made before the acknowledgement, less the time
               the transport spent opening connections (DNS, TCP, TLS: the client's cost, not DataWorks');
* ``own``      ``handler − inside``: the runtime's own overhead on the verdict path (goal: p99 ≤ 0.3 ms),
               connection setup included (``connects_per_event`` says how often it happened);
* ``bare``     the same API calls (same actions, same parameters) made with the official SDK client,
               nothing else: the floor a hand-written handler pays for the same decision.

Handler and bare alternate (order swapped every event), against the DataWorks stand-in running in its own
process over http (loopback). Variants:

* ``default rules``        the shipped rules; the file is clean (GetIDEEventDetail + UpdateIDEEventResult)
* ``default rules, WARN``  the file has MAX_PT, a rule WARNs (+ GetExtension, cached after the first)
* ``no-lookup rules``      a rule that needs no DataWorks data and passes (UpdateIDEEventResult only)

    python bench/reply_latency.py [--calls 1000] [--warmup 100]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from _harness import (
    ACCOUNT,
    FUNCTIONS,
    function_env,
    median,
    percentile,
    run_child,
    samples,
    standin,
    worker_code,
    write_json,
)

VERDICT_ACTIONS = frozenset({"UpdateIDEEventResult", "UpdateWorkbenchEventResult", "CallbackExtension"})
#: The SDK method of each wire action (the SDK's own snake-casing of the API names).
SDK_METHODS = {
    "UpdateIDEEventResult": "update_ideevent_result",
    "UpdateWorkbenchEventResult": "update_workbench_event_result",
    "CallbackExtension": "callback_extension",
    "GetIDEEventDetail": "get_ideevent_detail",
    "GetExtension": "get_extension",
    "GetOptionValueForProject": "get_option_value_for_project",
}
NO_LOOKUP_RULES = """\
# bench: a rule that needs nothing from DataWorks and passes (no GetIDEEventDetail, no GetExtension)
version: 1
rules:
  - name: bench-operators
    events: [commit-file]
    check:
      deny:
        field: operator
        values: ["nobody-at-all"]
    verdict: FAIL
    tip: "operator {value} may not commit"
"""
MAX_PT_FILE = "SELECT * FROM t WHERE ds = MAX_PT('t');"


def worker(params: dict[str, Any], result_path: str) -> None:
    """In the child (stdout is /dev/null): the measurement."""
    import os
    import types

    from alibabacloud_dataworks_public20200518 import models
    from alibabacloud_dataworks_public20200518.client import Client
    from alibabacloud_tea_openapi.models import Config

    from dwevents import FunctionApp
    from dwevents.dataworks.client import DataWorksClient
    from dwevents.dataworks.settings import DataWorksSettings

    class TimedClient(DataWorksClient):
        """The default client, noting each call: (action, params, start, end, connection setup)."""

        calls: list[tuple[str, dict[str, Any], float, float, float]] = []

        def call(self, action: str, params: Mapping[str, Any], *, timeout_s: float) -> dict[str, Any]:
            start = time.perf_counter()
            try:
                return super().call(action, params, timeout_s=timeout_s)
            finally:
                end = time.perf_counter()
                setup = getattr(self.transport, "last_connect_s", None)
                self.calls.append((action, dict(params), start, end, setup() if setup else 0.0))

    environ = dict(os.environ)
    client = TimedClient(DataWorksSettings.from_env(environ=environ))
    app = FunctionApp("FileChange", environ=environ, dataworks_client=client)
    ctx = types.SimpleNamespace(
        request_id="bench",
        account_id=params["account"],
        region="cn-hangzhou",
        function=types.SimpleNamespace(name="dwevents-bench", timeout=60),
    )
    app.initialize(ctx)
    bare = Client(
        Config(
            access_key_id=environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
            access_key_secret=environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
            endpoint=environ["DWEVENTS_DATAWORKS_ENDPOINT"],
            protocol="http",
        )
    )

    def bare_calls(calls: list[tuple[str, dict[str, Any]]]) -> float:
        start = time.perf_counter()
        for action, wire in calls:
            request = getattr(models, f"{action}Request")().from_map(wire)
            getattr(bare, SDK_METHODS[action])(request)
        return time.perf_counter() - start

    template = json.loads(Path(params["sample"]).read_bytes())
    series: dict[str, list[float]] = {"handler": [], "inside": [], "own": [], "bare": []}
    actions: dict[str, int] = {}
    connects = 0
    unacknowledged = 0
    outcomes: dict[str, int] = {}
    previous: list[tuple[str, dict[str, Any]]] = []
    for i in range(params["warmup"] + params["calls"]):
        template["id"] = f"latency-{i}"
        raw = json.dumps(template).encode()
        TimedClient.calls = []

        def run_handler(raw: bytes = raw) -> tuple[float, float, list[tuple[str, dict[str, Any]]], str, int]:
            start = time.perf_counter()
            out = app.handler(raw, ctx)
            calls = TimedClient.calls
            acks = [c for c in calls if c[0] in VERDICT_ACTIONS]
            if not acks:
                return float("nan"), 0.0, [], out, 0
            acked = acks[0][3]
            before = [c for c in calls if c[3] <= acked]
            inside = sum(end - begin - setup for _a, _p, begin, end, setup in before)
            opened = sum(1 for c in before if c[4] > 0)
            return acked - start, inside, [(a, p) for a, p, _b, _e, _s in before], out, opened

        if i % 2:
            handler_s, inside_s, needed, out, opened = run_handler()
            bare_s = bare_calls(needed)
        else:  # bare first: the same calls as the previous event's decision (same rules, same answers)
            bare_s = bare_calls(previous) if previous else float("nan")
            handler_s, inside_s, needed, out, opened = run_handler()
        previous = needed
        verdict = json.loads(out)["events"][0]["verdict"] or {}
        if not verdict.get("acknowledged"):
            unacknowledged += 1
        outcomes[str(verdict.get("result"))] = outcomes.get(str(verdict.get("result")), 0) + 1
        if i < params["warmup"]:
            continue
        connects += opened
        for action, _ in needed:
            actions[action] = actions.get(action, 0) + 1
        series["handler"].append(handler_s)
        series["inside"].append(inside_s)
        series["own"].append(handler_s - inside_s)
        if bare_s == bare_s:  # not NaN
            series["bare"].append(bare_s)
    Path(result_path).write_text(
        json.dumps(
            {
                "series_s": series,
                "actions": actions,
                "connects": connects,
                "unacknowledged": unacknowledged,
                "verdicts": outcomes,
            }
        )
    )


def _summary(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {"p50_ms": round(median(ms), 4), "p99_ms": round(percentile(ms, 99), 4), "n": len(ms)}


def measure(calls: int, warmup: int) -> dict[str, Any]:
    commit = next(s for s in samples("FileChange") if s.event_code == "commit-file")
    rows: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "no-lookup.yaml"
        rules.write_text(NO_LOOKUP_RULES, encoding="utf-8")
        variants: list[tuple[str, str | None, dict[str, str]]] = [
            ("default rules", None, {}),
            ("default rules, WARN", MAX_PT_FILE, {}),
            ("no-lookup rules", None, {"DWEVENTS_RULES": str(rules)}),
        ]
        for name, file_content, extra in variants:
            with standin(file_content=file_content) as server:
                params = {
                    "sample": str(commit.path),
                    "calls": calls,
                    "warmup": warmup,
                    "account": ACCOUNT,
                    "function_dir": str(FUNCTIONS / "FileChange"),
                }
                code = worker_code("reply_latency", params)
                child = run_child(code, env=function_env({**server.env, **extra}))
            series = child.result["series_s"]
            if child.result["unacknowledged"]:
                raise RuntimeError(f"{name}: {child.result['unacknowledged']} verdict(s) not acknowledged")
            row: dict[str, Any] = {key: _summary(values) for key, values in series.items()}
            row["calls_per_event"] = {
                a: round(n / max(1, calls), 3) for a, n in child.result["actions"].items()
            }
            row["connects_per_event"] = round(child.result["connects"] / max(1, calls), 3)
            row["verdicts"] = child.result["verdicts"]
            row["ratio_p99_handler_vs_bare"] = round(row["handler"]["p99_ms"] / row["bare"]["p99_ms"], 2)
            row["ratio_p50_handler_vs_bare"] = round(row["handler"]["p50_ms"] / row["bare"]["p50_ms"], 2)
            rows[name] = row
    return {"calls": calls, "warmup": warmup, "variants": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="measured events per variant")
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args(argv)
    result = measure(max(1, args.calls), max(0, args.warmup))
    print(
        f"{'variant':<22}{'handler p50/p99 ms':>20}{'bare p50/p99 ms':>18}{'own p99 ms':>12}{'p99 ×bare':>11}"
    )
    for name, row in result["variants"].items():
        print(
            f"{name:<22}{row['handler']['p50_ms']:>10.3f}/{row['handler']['p99_ms']:<9.3f}"
            f"{row['bare']['p50_ms']:>8.3f}/{row['bare']['p99_ms']:<9.3f}"
            f"{row['own']['p50_ms']:>8.3f}/{row['own']['p99_ms']:<7.3f}"
            f"{row['ratio_p99_handler_vs_bare']:>11}  calls/event {row['calls_per_event']} {row['verdicts']}"
            f" connects/event {row['connects_per_event']}"
        )
    write_json("reply_latency", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
