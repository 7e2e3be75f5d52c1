"""Cold starts (process start → the event handled) and each function's peak RSS, against baselines in one run.

Every case is a fresh interpreter, timed from spawn to the instant the child marks done (CLOCK_MONOTONIC,
shared by all processes, so interpreter exit is not counted); cases are interleaved round-robin after one
warm-up each (page cache, ``.pyc``), medians reported. Logs go to the child's stdout, i.e. ``/dev/null``.

* ``floor``            ``python -c "from pydantic import BaseModel"``: the least a pydantic function pays
* ``floor + one model`` the floor, plus one trivial model defined and validated: not a baseline, the
                       least any pydantic function pays on top of the floor (a yardstick for goal 3)
* ``regular``          functions/InstanceStatusChanges/index.py first on ``sys.path``: import ``index``,
                       ``initialize``, one event (source checkout; and from the built artifact when given)
* ``regular→ext fn``   the same with a regular event into NodeChange, a function that also has extension
                       points: it must cost what a regular-only function costs (issue 12, goal 3)
* ``hand-written``     a hand-written extension handler: import the DataWorks SDK, one UpdateIDEEventResult
                       call against the local stand-in over http
* ``extension``        functions/FileChange/index.py: import, ``initialize``, one commit-file event, default
                       rules, answered through the stand-in at ``DWEVENTS_DATAWORKS_ENDPOINT`` over http;
                       done = the handler returned with the verdict acknowledged

Also, one child per function (``sweep``): import, initialize, one regular event, then one extension event
where the category has them: its peak RSS, and which cloud SDK modules were loaded before the first
extension event (must be none).

    python bench/cold_start.py [--runs 9] [--artifact .s/bench-build/out]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from _harness import (
    ACCOUNT,
    CONTEXT,
    EPILOGUE,
    FUNCTIONS,
    PRELUDE,
    SDK_LOADED,
    categories,
    first,
    function_env,
    median,
    mib,
    run_child,
    samples,
    standin,
    write_json,
)

CTX = CONTEXT.format(account=ACCOUNT)

FLOOR = PRELUDE + "from pydantic import BaseModel\nR = {'done_ns': time.monotonic_ns()}\n" + EPILOGUE
#: Not a baseline, a yardstick: the floor plus the least a pydantic model costs — one trivial model
#: defined and validated once (pydantic.fields, its schema generation, a validator built).
ONE_MODEL = (
    PRELUDE
    + "from pydantic import BaseModel\nclass One(BaseModel):\n    x: int = 0\nOne(x=1)\n"
    + "R = {'done_ns': time.monotonic_ns()}\n"
    + EPILOGUE
)

HAND_WRITTEN = """import json, os
from alibabacloud_dataworks_public20200518 import models
from alibabacloud_dataworks_public20200518.client import Client
from alibabacloud_tea_openapi.models import Config

def handler(event, context):
    message = json.loads(event)
    client = Client(Config(
        access_key_id=os.environ['ALIBABA_CLOUD_ACCESS_KEY_ID'],
        access_key_secret=os.environ['ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
        endpoint=os.environ['DWEVENTS_DATAWORKS_ENDPOINT'],
        protocol='http',
    ))
    client.update_ideevent_result(models.UpdateIDEEventResultRequest(
        message_id=message['id'], extension_code=os.environ['DWEVENTS_EXTENSION_CODE'],
        check_result='OK', check_result_tip='checked by hand',
    ))
    return 'OK'
"""


def hand_written_code(event: Path) -> str:
    """The hand-written extension handler, run on one event (the baseline of the extension cold start)."""
    run = f"R = {{}}\nhandler(open({str(event)!r}, 'rb').read(), ctx)\nR['done_ns'] = time.monotonic_ns()\n"
    return PRELUDE + HAND_WRITTEN + CTX + run + EPILOGUE


def function_code(function_dir: Path, events: list[Path], layers: list[str] | None = None) -> str:
    """Import ``index`` with the function's folder first on ``sys.path`` (as FC does with /code; a built
    function's layers next, as FC does with /opt/python), ``initialize``, then each event; done after the
    last. Records the SDK modules loaded before each."""
    body = (
        PRELUDE
        + f"sys.path[:0] = [{str(function_dir)!r}, *{layers or []!r}]\n"
        + "import index\n"
        + CTX
        + "index.initialize(ctx)\nR = {'returns': [], 'sdk_before': []}\n"
    )
    for event in events:
        body += f"R['sdk_before'].append({SDK_LOADED})\n"
        body += f"R['returns'].append(index.handler(open({str(event)!r}, 'rb').read(), ctx))\n"
    body += "R['done_ns'] = time.monotonic_ns()\nR['dwevents'] = sys.modules['dwevents'].__file__\n"
    return body + EPILOGUE


def artifact_layers(function_dir: Path) -> list[str]:
    """The ``python/`` directories of a built function's layers (what FC mounts as /opt/python)."""
    info_path = function_dir / "BUILD-INFO.json"
    if not info_path.is_file():
        return []
    info = json.loads(info_path.read_text(encoding="utf-8"))
    return [str(function_dir.parent / "layers" / name / "python") for name in info.get("layers", [])]


def acknowledged(handler_return: str) -> bool:
    doc = json.loads(handler_return)
    return any((e.get("verdict") or {}).get("acknowledged") for e in doc.get("events", []))


def _cases(artifact: Path | None) -> dict[str, tuple[str, Path | None]]:
    regular = first("InstanceStatusChanges", extension=False)
    into_ext = first("NodeChange", extension=False)
    commit = next(s for s in samples("FileChange") if s.event_code == "commit-file")
    assert regular and into_ext
    cases: dict[str, tuple[str, Path | None]] = {
        "floor": (FLOOR, None),
        "floor + one model": (ONE_MODEL, None),
        "regular (source)": (function_code(FUNCTIONS / "InstanceStatusChanges", [regular.path]), None),
        "regular→ext fn (source)": (function_code(FUNCTIONS / "NodeChange", [into_ext.path]), None),
        "hand-written": (hand_written_code(commit.path), None),
        "extension (source)": (function_code(FUNCTIONS / "FileChange", [commit.path]), None),
    }
    if artifact is not None:
        for label, category, sample in (
            ("regular (artifact)", "InstanceStatusChanges", regular),
            ("regular→ext fn (artifact)", "NodeChange", into_ext),
            ("extension (artifact)", "FileChange", commit),
        ):
            if (artifact / category / "index.py").is_file():
                code = function_code(artifact / category, [sample.path], artifact_layers(artifact / category))
                cases[label] = (code, artifact / category)
    return cases


def measure(
    runs: int, *, artifact: Path | None = None, sweep: bool = True, sweep_only: list[str] | None = None
) -> dict[str, Any]:
    """Median cold start of every case (interleaved) and, with ``sweep``, every function's cold peak RSS
    (or only those of ``sweep_only``)."""
    cases = _cases(artifact)
    times: dict[str, list[float]] = {name: [] for name in cases}
    rss: dict[str, list[float]] = {name: [] for name in cases}
    details: dict[str, dict[str, Any]] = {}
    with standin() as server:
        env = function_env(server.env)
        for round_ in range(runs + 1):  # round 0 warms the page cache and the .pyc files
            names = list(cases)
            names = names[round_ % len(names) :] + names[: round_ % len(names)]
            for name in names:
                code, cwd = cases[name]
                child = run_child(code, env=env, cwd=cwd)
                _check(name, child.result, cwd)
                if round_:
                    times[name].append(child.elapsed_s)
                    rss[name].append(child.result["rss_kib"])
                details[name] = {
                    "sdk_modules_at_end": child.result["sdk_modules"],
                    "sdk_before_first_event": (child.result.get("sdk_before") or [[]])[0],
                }
        rows = {
            name: {
                "median_s": round(median(times[name]), 4),
                "best_s": round(min(times[name]), 4),
                "runs": len(times[name]),
                "peak_rss_mib": mib(median(rss[name])),
                **details[name],
            }
            for name in cases
        }
        functions = _sweep(env, sweep_only or categories()) if sweep else {}
    return {"runs": runs, "cases": rows, "functions": functions}


def _check(name: str, result: Mapping[str, Any], cwd: Path | None) -> None:
    if cwd is not None and not str(result.get("dwevents", "")).startswith(str(cwd)):
        raise RuntimeError(f"{name}: dwevents came from {result.get('dwevents')}, not the artifact {cwd}")
    if name.startswith("extension") and not acknowledged(result["returns"][-1]):
        raise RuntimeError(f"{name}: the verdict was not acknowledged: {result['returns'][-1][:300]}")


def _sweep(env: Mapping[str, str], which: list[str]) -> dict[str, Any]:
    """Per function: import, initialize, a regular event, then an extension event (where there are)."""
    out: dict[str, Any] = {}
    for category in which:
        regular = first(category, extension=False)
        extension = first(category, extension=True)
        events = [s.path for s in (regular, extension) if s is not None]
        child = run_child(function_code(FUNCTIONS / category, events), env=env)
        before_extension = child.result["sdk_before"][1 if regular and extension else 0]
        if regular is None:  # an extension-only function: what initialize loaded
            before_extension = child.result["sdk_before"][0]
        out[category] = {
            "kind": "extension-capable" if extension else "regular-only",
            "events": [p.name for p in events],
            "peak_rss_mib": mib(child.result["rss_kib"]),
            "sdk_before_first_extension_event": before_extension,
            "sdk_modules_at_end": child.result["sdk_modules"],
            "verdict_acknowledged": acknowledged(child.result["returns"][-1]) if extension else None,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="children per case (after one warm-up)")
    parser.add_argument(
        "--artifact", type=Path, help="a build output (python -m dwevents.deploy.build --out)"
    )
    parser.add_argument("--no-sweep", action="store_true", help="skip the per-function peak RSS sweep")
    args = parser.parse_args(argv)
    result = measure(max(1, args.runs), artifact=args.artifact, sweep=not args.no_sweep)
    floor = result["cases"]["floor"]["median_s"]
    hand = result["cases"]["hand-written"]["median_s"]
    print(f"{'case':<28}{'median s':>10}{'best s':>9}{'×floor':>8}{'×hand':>7}{'peak MiB':>10}  SDK loaded")
    for name, row in result["cases"].items():
        print(
            f"{name:<28}{row['median_s']:>10.3f}{row['best_s']:>9.3f}{row['median_s'] / floor:>8.2f}"
            f"{row['median_s'] / hand:>7.2f}{row['peak_rss_mib']:>10.1f}  "
            + ",".join(row["sdk_modules_at_end"])
        )
    for category, row in result["functions"].items():
        print(
            f"  {category:<24}{row['kind']:<18}{row['peak_rss_mib']:>7.1f} MiB  SDK before the first "
            f"extension event: {','.join(row['sdk_before_first_extension_event']) or 'none'}"
        )
    write_json("cold_start", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
