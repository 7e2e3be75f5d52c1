"""Every row of issue 12's table, each as a ratio against its baseline measured in the same run, with the
goal beside it: one command.

    python bench/run.py            # the full run (~15–25 min on 2 cores; builds every function)
    python bench/run.py --quick    # fewer iterations, 2 of 13 functions built (~4–6 min)
    python bench/run.py --smoke    # one iteration of everything, no build: checks the harness works
    python bench/run.py --docs     # the full run, its table also written into docs/performance.md

Prints the table and writes ``bench/results/latest.md`` (the table, the machine, the mode) and
``bench/results/latest.json`` (every figure). The parts are plain scripts that also run alone:
decode_throughput.py (decode), pipeline.py (per-event handler cost), cold_start.py (cold starts, per-function
cold RSS, SDK imports), reply_latency.py (warm verdict latency), memory.py (RSS after many events),
artifact.py (build and upload sizes). No network: DataWorks is the local stand-in over loopback http.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import _harness
from _harness import BENCH, RESULTS, describe_machine, load_average, machine

MODES: dict[str, dict[str, Any]] = {
    "full": {
        "decode": {"loops": 200, "rounds": 7},
        "pipeline": {"events": 2000, "rounds": 7},
        "cold_runs": 9,
        "latency": {"calls": 1000, "warmup": 100},
        "memory": {"regular": [10_000, 100_000], "extension": 100_000},
        "build": "all",
    },
    "quick": {
        "decode": {"loops": 40, "rounds": 3},
        "pipeline": {"events": 500, "rounds": 3},
        "cold_runs": 3,
        "latency": {"calls": 300, "warmup": 30},
        "memory": {"regular": [2_000, 10_000], "extension": 2_000},
        "build": ["InstanceStatusChanges", "NodeChange", "FileChange"],
    },
    "smoke": {
        "decode": {"loops": 1, "rounds": 1},
        "pipeline": {"events": 5, "rounds": 1},
        "cold_runs": 1,
        "sweep_only": ["InstanceStatusChanges", "FileChange"],
        "latency": {"calls": 3, "warmup": 1},
        "memory": {"regular": [3, 6], "extension": 3},
        "build": None,
    },
}
MIB_GOAL = 64.0


@dataclass
class Row:
    what: str
    baseline: str
    baseline_value: str
    value: str
    ratio: str
    goal: str
    status: str  # met | missed | not measured | info


def _status(value: float | None, limit: float) -> str:
    if value is None or value != value:
        return "not measured"
    return "met" if value <= limit else "missed"


def _x(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:.2f}×"


# -- the parts ------------------------------------------------------------------------------------------


def run_decode(loops: int, rounds: int) -> dict[str, Any]:
    """bench/decode_throughput.py (helper h8's), run as a script; its JSON result read back."""
    script = BENCH / "decode_throughput.py"
    subprocess.run(
        [sys.executable, str(script), "--loops", str(loops), "--rounds", str(rounds)],
        cwd=_harness.ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        env=_harness.function_env(),
    )
    return dict(json.loads((RESULTS / "decode_throughput.json").read_text(encoding="utf-8")))


def collect(mode: str, *, artifact_dir: Path | None) -> dict[str, Any]:
    import artifact
    import cold_start
    import memory
    import pipeline
    import reply_latency

    plan = MODES[mode]
    out: dict[str, Any] = {"mode": mode, "machine": machine(), "started": _now()}
    timings: dict[str, float] = {}

    def part(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        print(f"[{_now()}] {name} …", flush=True)
        started = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            timings[name] = round(time.monotonic() - started, 1)

    built = None
    if plan["build"] is not None and artifact_dir is None:
        only = None if plan["build"] == "all" else plan["build"]
        out["artifact"] = part("artifact", artifact.measure, only=only, zip_them=True)
        built = artifact.OUT
    elif artifact_dir is not None:
        out["artifact"] = part("artifact", lambda: {**artifact.sizes(artifact_dir), "build_seconds": None})
        built = artifact_dir
    out["decode"] = part("decode", run_decode, **plan["decode"])
    out["pipeline"] = part("pipeline", pipeline.measure, **plan["pipeline"])
    out["cold_start"] = part(
        "cold_start", cold_start.measure, plan["cold_runs"], artifact=built, sweep_only=plan.get("sweep_only")
    )
    out["latency"] = part("reply_latency", reply_latency.measure, **plan["latency"])
    out["memory"] = part("memory", memory.measure, plan["memory"]["regular"], plan["memory"]["extension"])
    out["seconds"] = timings
    out["finished"] = _now()
    out["load_average_end"] = load_average()
    return out


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# -- the table ----------------------------------------------------------------------------------------------


def rows(r: dict[str, Any]) -> list[Row]:
    """Issue 12's table, row by row, with its goals."""
    out: list[Row] = []
    d = r["decode"]
    overall = d.get("overall", {})
    isc = d.get("categories", {}).get("InstanceStatusChanges", {})
    out.append(
        Row(
            "`dwevents.decode` per event, all samples",
            "`json.loads` of the same bytes",
            f"{overall.get('json_loads_us', float('nan')):.1f} µs",
            f"{overall.get('decode_us', float('nan')):.1f} µs",
            _x(overall.get("decode_vs_json")),
            "goal 1: ≤ 2×",
            _status(overall.get("decode_vs_json"), 2.0),
        )
    )
    out.append(
        Row(
            "same, InstanceStatusChanges",
            f"hand-written `json.loads` + one `model_validate`: {_x(isc.get('hand_vs_json'))} `json.loads`",
            f"{isc.get('hand_written_us', float('nan')):.1f} µs",
            f"{isc.get('decode_us', float('nan')):.1f} µs = {_x(isc.get('decode_vs_json'))} `json.loads`",
            _x(isc.get("decode_vs_hand")),
            "goal 1: ≤ 1× hand-written",
            _status(isc.get("decode_vs_hand"), 1.0),
        )
    )

    every = r["pipeline"]["rows"]
    p = {c: row for c, row in every.items() if row.get("judged", True)}
    worst = max(p.values(), key=lambda row: row["ratio"])
    spread = ", ".join(f"{c} {row['ratio']:.1f}×" for c, row in p.items())
    extra = [f"{c}: {row['ratio']:.1f}×" for c, row in every.items() if not row.get("judged", True)]
    out.append(
        Row(
            "`FunctionApp.handler` per regular event (audit + metrics, no network, logs to /dev/null)",
            "`json.loads`",
            f"{worst['json_loads_us']:.1f} µs",
            f"{worst['handler_us']:.0f} µs ({spread})",
            _x(worst["ratio"]),
            "goal 2: ≤ 10× (worst category)",
            _status(worst["ratio"], 10.0),
        )
    )
    if extra:
        out.append(Row("same, not judged: " + "; ".join(extra), "`json.loads`", "—", "—", "—", "—", "info"))
    lines = {c: row.get("log_lines") for c, row in p.items()}
    out.append(
        Row(
            "log lines per regular event at INFO (the audit record carrying the metric values)",
            "—",
            "—",
            ", ".join(f"{c}: {n}" for c, n in lines.items()),
            "—",
            "goal 2: 1",
            "met" if all(n == 1 for n in lines.values()) else "missed",
        )
    )

    c = r["cold_start"]["cases"]
    floor = c["floor"]["median_s"]
    hand = c["hand-written"]["median_s"]
    for label, case in (("source checkout", "regular (source)"), ("built artifact", "regular (artifact)")):
        if case in c:
            ratio = c[case]["median_s"] / floor
            out.append(
                Row(
                    f"regular cold start, {label} (new process: import `index`, `initialize`, one event)",
                    '`python -c "from pydantic import BaseModel"`',
                    f"{floor * 1000:.0f} ms",
                    f"{c[case]['median_s'] * 1000:.0f} ms",
                    _x(ratio),
                    "goal 3: ≤ 1.3×",
                    _status(ratio, 1.3),
                )
            )
        else:
            out.append(
                Row(f"regular cold start, {label}", "floor", "—", "—", "—", "goal 3: ≤ 1.3×", "not measured")
            )
    if "floor + one model" in c:  # the yardstick: what one trivial pydantic model adds to the floor
        one = c["floor + one model"]["median_s"]
        out.append(
            Row(
                "yardstick, not dwevents: the floor plus one trivial model defined and validated once",
                "same floor",
                f"{floor * 1000:.0f} ms",
                f"{one * 1000:.0f} ms",
                _x(one / floor),
                "—",
                "info",
            )
        )
    for label, case, regular in (
        ("source", "regular→ext fn (source)", "regular (source)"),
        ("artifact", "regular→ext fn (artifact)", "regular (artifact)"),
    ):
        if case in c:
            ratio = c[case]["median_s"] / floor
            same = c[case]["median_s"] / c[regular]["median_s"]
            out.append(
                Row(
                    f"a regular event into a function that also has extension points (NodeChange), {label}",
                    "same floor",
                    f"{floor * 1000:.0f} ms",
                    f"{c[case]['median_s'] * 1000:.0f} ms ({same:.2f}× the regular-only function)",
                    _x(ratio),
                    "goal 3: ≤ 1.3×",
                    _status(ratio, 1.3),
                )
            )
    functions = r["cold_start"]["functions"]
    loaded = {f: row["sdk_before_first_extension_event"] for f, row in functions.items()}
    offenders = {f: m for f, m in loaded.items() if m}
    out.append(
        Row(
            "cloud SDK modules imported before the first extension event (each of the "
            f"{len(functions)} functions: import, `initialize`, a regular event)",
            "—",
            "—",
            "none" if not offenders else "; ".join(f"{f}: {', '.join(m)}" for f, m in offenders.items()),
            "—",
            "goal 3: none in any function",
            ("met" if not offenders else "missed") if functions else "not measured",
        )
    )
    for label, case in (("source", "extension (source)"), ("artifact", "extension (artifact)")):
        if case in c:
            ratio = c[case]["median_s"] / hand
            out.append(
                Row(
                    f"extension cold start to first verdict acknowledged ({label}; default rules, "
                    "DataWorks stand-in over http)",
                    "hand-written handler: import the SDK + one UpdateIDEEventResult call",
                    f"{hand * 1000:.0f} ms",
                    f"{c[case]['median_s'] * 1000:.0f} ms",
                    _x(ratio),
                    "goal 4: ≤ 0.6×",
                    _status(ratio, 0.6),
                )
            )

    lat = r["latency"]["variants"]
    for name, label in (("default rules", "default rules"), ("no-lookup rules", "rules with no lookup")):
        row = lat[name]
        out.append(
            Row(
                f"handler start → verdict acknowledged, p99, warm ({label})",
                "the bare SDK call(s) the decision needs: "
                + " + ".join(f"{a}" for a in row["calls_per_event"]),
                f"p99 {row['bare']['p99_ms']:.2f} ms",
                f"p99 {row['handler']['p99_ms']:.2f} ms (p50 {row['handler']['p50_ms']:.2f} vs "
                f"{row['bare']['p50_ms']:.2f})",
                _x(row["ratio_p99_handler_vs_bare"]),
                "—",
                "info",
            )
        )
    own = max(row["own"]["p99_ms"] for row in lat.values())
    own_text = ", ".join(f"{n}: {row['own']['p99_ms']:.3f} ms" for n, row in lat.items())
    out.append(
        Row(
            "verdict own overhead p99 (handler start → acknowledged, minus time inside the DataWorks calls)",
            "—",
            "—",
            own_text,
            "—",
            "goal 5: ≤ 0.3 ms (worst variant)",
            _status(own, 0.3),
        )
    )
    calls_ok = (
        "GetExtension" not in lat["default rules"]["calls_per_event"]
        and set(lat["no-lookup rules"]["calls_per_event"]) <= {"UpdateIDEEventResult"}
        and lat["default rules, WARN"]["calls_per_event"].get("GetExtension", 0) < 0.05
    )
    out.append(
        Row(
            "DataWorks calls per warm event: clean file / a rule WARNs / rules with no lookup",
            "—",
            "—",
            " / ".join(
                ", ".join(f"{a} {n:g}" for a, n in lat[v]["calls_per_event"].items())
                for v in ("default rules", "default rules, WARN", "no-lookup rules")
            ),
            "—",
            "goal 5: GetIDEEventDetail only for code checks, GetExtension only to WARN/FAIL (cached)",
            "met" if calls_ok else "missed",
        )
    )

    ext_cold = max(
        (row["peak_rss_mib"] for row in functions.values() if row["kind"] == "extension-capable"),
        default=None,
    )
    every_cold = max((row["peak_rss_mib"] for row in functions.values()), default=None)
    out.append(
        Row(
            "peak RSS, extension function (cold: import, `initialize`, a regular and an extension event)",
            "FC's smallest instance: 128 MB",
            "128 MB",
            f"{ext_cold} MiB" if ext_cold is not None else "—",
            "—",
            "goal 4: ≤ 64 MiB",
            _status(ext_cold, MIB_GOAL),
        )
    )
    out.append(
        Row(
            f"peak RSS, every function cold (max over {len(functions)})",
            "—",
            "—",
            f"{every_cold} MiB" if every_cold is not None else "—",
            "—",
            "goal 4: ≤ 64 MiB",
            _status(every_cold, MIB_GOAL),
        )
    )
    m = r["memory"]
    reg = m["InstanceStatusChanges"]["peak_rss_mib"]
    points = [k for k in reg if k != "1"]
    out.append(
        Row(
            "peak RSS, warm regular instance (InstanceStatusChanges) cold → after "
            + " and ".join(f"{int(k):,}" for k in points)
            + " events",
            "—",
            "—",
            f"{reg['1']} MiB → " + " → ".join(f"{reg[k]} MiB" for k in points),
            "—",
            "goal 4: ≤ 64 MiB",
            _status(max(reg.values()), MIB_GOAL),
        )
    )
    ext = m["FileChange"]["peak_rss_mib"]
    last = max(ext, key=int)
    out.append(
        Row(
            f"peak RSS, extension function (FileChange) after {int(last):,} extension events",
            "—",
            "—",
            f"{ext['1']} MiB → {ext[last]} MiB",
            "—",
            "goal 4: ≤ 64 MiB",
            _status(max(ext.values()), MIB_GOAL),
        )
    )
    out.extend(_artifact_rows(r.get("artifact")))
    return out


def _artifact_rows(a: dict[str, Any] | None) -> list[Row]:
    """Upload per deploy, now (functions + each layer once) against the same files carried by every
    function (no layers: the layout before goal 6), both from this run's build."""
    if a is None:
        return [
            Row("upload per deploy", "—", "—", "—", "—", "goal 6: shared deps uploaded once", "not measured")
        ]
    from dwevents.catalogue import specs_for_category

    def kind(category: str) -> str:
        return "extension" if any(s.is_extension for s in specs_for_category(category)) else "regular"

    shared = a["shared"]

    def carried(row: dict[str, Any], key: str) -> int:  # a function's own tree plus its layers
        return int(row[key] or 0) + sum(
            int(shared[n][key] or 0) for n in row.get("layers", []) if n in shared
        )

    by_kind: dict[str, dict[str, Any]] = {}
    for name, row in a["functions"].items():
        by_kind.setdefault(kind(name), row)
    all_categories = _harness.categories()
    counts = {k: sum(1 for c in all_categories if kind(c) == k) for k in ("extension", "regular")}
    partial = len(a["functions"]) < len(all_categories)
    rows = (
        [(by_kind[k], n) for k, n in counts.items() if k in by_kind]
        if partial  # estimated from one function of each kind
        else [(row, 1) for row in a["functions"].values()]
    )
    layer_zip = sum(int(r["zip_bytes"] or 0) for r in shared.values())
    layer_files = sum(int(r["files"]) for r in shared.values())
    after = layer_zip + sum(int(row["zip_bytes"] or 0) * n for row, n in rows)
    files = layer_files + sum(int(row["files"]) * n for row, n in rows)
    before = sum(carried(row, "zip_bytes") * n for row, n in rows)
    before_files = sum(carried(row, "files") * n for row, n in rows)
    per_kind = "; ".join(
        f"{counts[k]} {'extension-capable' if k == 'extension' else 'regular-only'}: "
        f"{row['zip_bytes'] / 1e6:.2f} MB zip / {row['files']:,} files each "
        f"(with its layers {carried(row, 'zip_bytes') / 1e6:.1f} MB / {carried(row, 'files'):,})"
        for k, row in sorted(by_kind.items())
    )
    layers = "; ".join(
        f"layer {n}: {r['zip_bytes'] / 1e6:.1f} MB zip / {r['files']:,} files, once"
        for n, r in shared.items()
    )
    deps_in_functions = any(
        any(Path(a["out"], name).glob("*.dist-info"))
        for name in a["functions"]
        if Path(a["out"], name).is_dir()
    )
    once = bool(shared) and not deps_in_functions
    note = " (estimated from one function of each kind)" if partial else ""
    return [
        Row(
            f"upload per deploy{note}, built for Python {a.get('python', '?')}",
            "the same files with every function carrying its dependencies (no layers)",
            f"{before / 1e6:.0f} MB zipped, {before_files:,} files",
            f"{after / 1e6:.0f} MB zipped, {files:,} files — {per_kind}" + (f"; {layers}" if layers else ""),
            _x(after / before if before else None),
            "goal 6: shared dependencies uploaded once",
            "met" if once else "missed",
        )
    ]


def markdown(r: dict[str, Any], table: list[Row]) -> str:
    m = r["machine"]
    lines = [
        "# dwevents bench: latest figures",
        "",
        f"`python bench/run.py{'' if r['mode'] == 'full' else ' --' + r['mode']}` — mode **{r['mode']}**, "
        f"{r['started']} → {r['finished']}.",
        "",
        f"Machine: {describe_machine(m)}; `uname -m` = {m['machine']}; {m['platform']}; load average "
        f"{m['load_average']} at the start, {r['load_average_end']} at the end.",
        "",
        "Every ratio is against its baseline measured in the same run on the same machine; absolute numbers "
        "move with the machine and its load, the ratios much less.",
        "",
        "| what | baseline (same run) | baseline | dwevents | ratio | goal | status |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table:
        cells = [row.what, row.baseline, row.baseline_value, row.value, row.ratio, row.goal, row.status]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines += ["", f"Seconds per part: {r['seconds']}.", ""]
    return "\n".join(lines)


DOCS = _harness.ROOT / "docs" / "performance.md"
DOCS_START, DOCS_END = "<!-- latest-figures:start -->", "<!-- latest-figures:end -->"


def write_docs(text: str, path: Path = DOCS) -> None:
    """Put the run's table (latest.md without its title) between the figures markers of the docs page."""
    page = path.read_text(encoding="utf-8")
    start, end = page.index(DOCS_START) + len(DOCS_START), page.index(DOCS_END)
    body = text.split("\n", 2)[2].strip()  # drop "# dwevents bench: latest figures" and its blank line
    path.write_text(page[:start] + "\n" + body + "\n" + page[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="fewer iterations, 3 functions built")
    group.add_argument("--smoke", action="store_true", help="one iteration of everything, no build")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where latest.md/.json go")
    parser.add_argument("--artifact", type=Path, help="size and cold-start this build output (no build)")
    parser.add_argument(
        "--docs", action="store_true", help="also write the table into docs/performance.md (Latest figures)"
    )
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "smoke" if args.smoke else "full"
    result = collect(mode, artifact_dir=args.artifact)
    table = rows(result)
    if mode == "smoke":  # one iteration proves the harness runs, not where the code stands
        for row in table:
            row.status = "not judged (smoke)" if row.status in ("met", "missed") else row.status
    text = markdown(result, table)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "latest.md").write_text(text, encoding="utf-8")
    result["table"] = [row.__dict__ for row in table]
    (args.results / "latest.json").write_text(
        json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8"
    )
    if args.docs:
        write_docs(text)
    print()
    print(text)
    print(f"wrote {args.results / 'latest.md'} and latest.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
