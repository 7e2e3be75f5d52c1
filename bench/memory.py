"""Peak RSS of a warm instance after many events (is every store bounded?).

One child interpreter per function (the FC instance): ``index`` imported from functions/<Category>/,
``initialize``, then events cycled from the category's samples, each with its own id (so each is stored by
the idempotency gate), through ``index.handler``; the child's peak RSS (``ru_maxrss``) is read cold (after
the first event) and at each checkpoint. Extension points are answered through the DataWorks stand-in
running in its own process over http. Logs go to the child's stdout, i.e. ``/dev/null``.

* ``InstanceStatusChanges`` (regular-only): its samples, all regular;
* ``FileChange`` (extension): its samples, every one an extension point answered with a verdict.

    python bench/memory.py [--checkpoints 10000,100000] [--extension-events 100000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from _harness import (
    ACCOUNT,
    FUNCTIONS,
    function_env,
    mib,
    run_child,
    samples,
    standin,
    worker_code,
    write_json,
)


def worker(params: dict[str, Any], result_path: str) -> None:
    """In the child: handle events, note ru_maxrss at each checkpoint."""
    import resource
    import types

    sys.path.insert(0, params["function_dir"])
    import index

    ctx = types.SimpleNamespace(
        request_id="bench",
        account_id=params["account"],
        region="cn-hangzhou",
        function=types.SimpleNamespace(name="dwevents-bench", timeout=60),
    )
    templates = [json.loads(Path(p).read_bytes()) for p in params["samples"]]
    index.initialize(ctx)
    checkpoints = sorted(params["checkpoints"])
    rss: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    started = time.process_time()
    count = 0
    for count in range(1, checkpoints[-1] + 1):
        template = templates[count % len(templates)]
        template["id"] = f"memory-{count}"
        out = index.handler(json.dumps(template).encode(), ctx)
        if count == 1 or count in checkpoints:
            rss[str(count)] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if count % 97 == 1:  # sample the outcomes (parsing every return would be the bench's own cost)
            event = json.loads(out)["events"][0]
            key = f"{event['outcome']}/{(event.get('verdict') or {}).get('acknowledged')}"
            outcomes[key] = outcomes.get(key, 0) + 1
    Path(result_path).write_text(
        json.dumps(
            {"rss_kib": rss, "outcomes_sampled": outcomes, "cpu_s": time.process_time() - started, "n": count}
        )
    )


def run(category: str, checkpoints: list[int], env: dict[str, str]) -> dict[str, Any]:
    params = {
        "function_dir": str(FUNCTIONS / category),
        "samples": [str(s.path) for s in samples(category)],
        "checkpoints": checkpoints,
        "account": ACCOUNT,
    }
    code = worker_code("memory", params)
    child = run_child(code, env=env, timeout=3600)
    result = child.result
    bad = {k: v for k, v in result["outcomes_sampled"].items() if not k.startswith("processed/")}
    if bad:
        raise RuntimeError(f"{category}: events not processed: {result['outcomes_sampled']}")
    return {
        "peak_rss_mib": {n: mib(kib) for n, kib in result["rss_kib"].items()},
        "events": result["n"],
        "cpu_s": round(result["cpu_s"], 1),
        "outcomes_sampled": result["outcomes_sampled"],
    }


def measure(regular_checkpoints: list[int], extension_events: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["InstanceStatusChanges"] = run("InstanceStatusChanges", regular_checkpoints, function_env())
    with standin() as server:
        out["FileChange"] = run("FileChange", [extension_events], function_env(server.env))
        out["FileChange"]["standin_requests"] = server.stats()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--checkpoints", default="10000,100000", help="regular function: events counts")
    parser.add_argument("--extension-events", type=int, default=100000)
    args = parser.parse_args(argv)
    checkpoints = [int(x) for x in args.checkpoints.split(",") if x]
    result = measure(checkpoints, max(1, args.extension_events))
    for category, row in result.items():
        points = ", ".join(f"{n}: {v} MiB" for n, v in row["peak_rss_mib"].items())
        print(f"{category:<24} peak RSS after events: {points}  (CPU {row['cpu_s']} s)")
    write_json("memory", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
