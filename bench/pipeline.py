"""Per-event cost of the whole pipeline against decoding alone, measured in the same run.

Pipeline = decode + trust checks + idempotency gate (in-memory store) + route + default action
(audit record, metric lines, notification routing; no network: the events used notify nobody).
Baseline = ``dwevents.decode_one`` of the same bytes. Reported as events/s and the ratio.

    python bench/pipeline.py [--events 5000]
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import logging
import time
from pathlib import Path
from typing import Any

from dwevents import decode_one, logs
from dwevents.local.fc_context import FunctionMeta, LocalContext
from dwevents.runtime import FunctionApp

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = {
    "InstanceStatusChanges": ROOT / "events/InstanceStatusChanges/instance-status-changes.success.json",
    "NodeChange": ROOT / "events/NodeChange/node-change-created.json",
    "DqcCheck": ROOT / "events/DqcCheck/dqc-check-feedback-event.json",
}


class _Null(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def _payloads(path: Path, n: int) -> list[bytes]:
    base = json.loads(path.read_text())
    out = []
    for i in range(n):
        event = copy.deepcopy(base)
        event["id"] = f"{base['id']}-{i}"
        out.append(json.dumps(event).encode())
    return out


def _rate(fn: Any, payloads: list[bytes]) -> float:
    start = time.perf_counter()
    for raw in payloads:
        fn(raw)
    return len(payloads) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    # Log lines are produced and formatted as in FC, then dropped.
    logs.configure(level="INFO", fmt="json", stream=io.StringIO())
    handler = logging.getLogger("dwevents").handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(_Null())
    context = LocalContext(function=FunctionMeta(name="bench", timeout=60), account_id="1234567890123456")
    rows = []
    for category, path in SAMPLES.items():
        app = FunctionApp(
            category,
            environ={"DWEVENTS_ALLOWED_ACCOUNTS": "1234567890123456", "DWEVENTS_EXTENSION_CODE": "bench"},
        )
        warm = _payloads(path, 50)
        for raw in warm:  # warm caches (adapters, compiled patterns) outside the measurement
            app.process(raw, context)
            decode_one(raw)
        decode_rate = _rate(decode_one, _payloads(path, args.events))
        pipeline_rate = _rate(
            lambda raw, a=app: a.process(raw, context), [b"%s" % p for p in _payloads(path, args.events)]
        )
        rows.append(
            {
                "category": category,
                "decode_per_s": round(decode_rate),
                "pipeline_per_s": round(pipeline_rate),
                "pipeline_us": round(1e6 / pipeline_rate, 1),
                "decode_us": round(1e6 / decode_rate, 1),
                "ratio_pipeline_to_decode": round(decode_rate / pipeline_rate, 2),
            }
        )
    print(
        f"{'category':<24}{'decode/s':>10}{'pipeline/s':>12}{'decode µs':>11}{'pipeline µs':>13}{'ratio':>7}"
    )
    for r in rows:
        print(
            f"{r['category']:<24}{r['decode_per_s']:>10}{r['pipeline_per_s']:>12}{r['decode_us']:>11}"
            f"{r['pipeline_us']:>13}{r['ratio_pipeline_to_decode']:>7}"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "pipeline.json").write_text(json.dumps({"events": args.events, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
