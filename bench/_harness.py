"""What every bench shares: the machine, the sample events, child interpreters, the DataWorks stand-in.

Why child interpreters: a cold start is a new process, a peak RSS is a process's own, and a per-event cost
measured where log lines really go to ``/dev/null`` (the child's stdout/stderr) is the cost FC pays. Each
child runs a code string that imports nothing from ``bench/`` (so the bench does not add to what it
measures) and writes its figures to a result file named on its command line.

Why the stand-in runs in its own process (bench/_standin.py): a server thread inside the measured process
would compete for the GIL with the code being timed and add its own memory to the peak RSS.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
EVENTS = ROOT / "events"
FUNCTIONS = ROOT / "functions"
RESULTS = BENCH / "results"
#: The account the sample events come from (``aliyunaccountid``); the functions are told to trust it.
ACCOUNT = "1234567890123456"
EXTENSION_CODE = "bench"
#: Module prefixes of the cloud SDKs (and their HTTP stacks) that must not load before they are needed.
SDK_PREFIXES = ("alibabacloud", "Tea", "darabonba", "aiohttp", "requests", "apscheduler", "cryptography")


# -- machine ------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on (``uname -m``, CPU model, cores, Python): ratios travel, absolute
    numbers do not."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    import pydantic

    return {
        "machine": platform.machine(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "pydantic": pydantic.VERSION,
        "platform": platform.platform(),
        "load_average": load_average(),
    }


def load_average() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def describe_machine(info: Mapping[str, Any]) -> str:
    return (
        f"{info['machine']}, {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"{info['implementation']} {info['python']}, pydantic {info['pydantic']}"
    )


# -- statistics -----------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: with 300 samples p99 is the 3rd largest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- samples --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    category: str
    path: Path
    event_code: str
    extension: bool

    @property
    def raw(self) -> bytes:
        return self.path.read_bytes()


def samples(category: str) -> list[Sample]:
    """The CloudEvent samples of one category (events/<Category>/*.json), each with its kind."""
    from dwevents import lookup

    out = []
    for path in sorted((EVENTS / category).glob("*.json")):
        doc = json.loads(path.read_bytes())
        if not isinstance(doc, dict) or "type" not in doc:
            continue
        spec = lookup(doc["type"])
        if spec is None:
            continue
        out.append(Sample(category, path, spec.event_code, spec.is_extension))
    return out


def first(category: str, *, extension: bool) -> Sample | None:
    return next((s for s in samples(category) if s.extension is extension), None)


def categories() -> list[str]:
    return sorted(p.name for p in FUNCTIONS.iterdir() if (p / "index.py").is_file())


# -- environment for the functions -------------------------------------------------------------------


def function_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any dwevents or cloud settings, plus what the benches set.

    Log level and format stay the functions' defaults (INFO, JSON): what FC pays."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DWEVENTS_", "ALIBABA_CLOUD_", "FC_", "PYTHON"))
    }
    base["DWEVENTS_ALLOWED_ACCOUNTS"] = ACCOUNT
    base["DWEVENTS_EXTENSION_CODE"] = EXTENSION_CODE
    base.update(extra or {})
    return base


# -- child interpreters -------------------------------------------------------------------------------

#: Lines every child code string starts with: the stdlib only, no bench module (see the module doc).
PRELUDE = "import sys, time, resource, types\n"
#: An FC3 python3.12-like context (no credentials attribute) for the children.
CONTEXT = (
    "ctx = types.SimpleNamespace(request_id='bench-1', account_id={account!r}, region='cn-hangzhou', "
    "function=types.SimpleNamespace(name='dwevents-bench', timeout=60))\n"
)
#: Written last by every child: its done instant (CLOCK_MONOTONIC, shared by all processes), its peak
#: RSS in KiB and whatever else it put in ``R``.
SDK_LOADED = f"sorted({{m.split('.')[0] for m in sys.modules if m.startswith({SDK_PREFIXES!r})}})"
EPILOGUE = (
    "R['rss_kib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    f"R['sdk_modules'] = {SDK_LOADED}\n"
    "import json as _json\n"
    "open(sys.argv[1], 'w').write(_json.dumps(R))\n"
)


def worker_code(module: str, params: Mapping[str, Any]) -> str:
    """A child that runs ``bench/<module>.py``'s ``worker(params, result_path)`` (warm measurements, where
    importing a bench module costs nothing that is measured)."""
    return (
        f"import sys; sys.path.insert(0, {str(BENCH)!r}); import {module}; "
        f"{module}.worker({dict(params)!r}, sys.argv[1])"
    )


@dataclass
class ChildRun:
    elapsed_s: float  # spawn → the child's ``R['done_ns']`` (or its exit when it has none)
    result: dict[str, Any]


def run_child(
    code: str,
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout: float = 900,
    python_args: Sequence[str] = (),
) -> ChildRun:
    """Run ``code`` in a fresh interpreter with stdout/stderr to ``/dev/null`` (so log lines cost what
    they cost in FC, and nothing more); → the time from spawn to the child's done mark and its result."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as handle:
        result_path = handle.name
    try:
        command = [sys.executable, *python_args, "-c", code, result_path]
        started = time.monotonic_ns()
        done = subprocess.run(
            command,
            env=dict(env),
            cwd=cwd or ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
        ended = time.monotonic_ns()
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-12:]
            raise RuntimeError("bench child failed:\n" + "\n".join(tail))
        text = Path(result_path).read_text(encoding="utf-8")
        result = json.loads(text) if text else {}
    finally:
        os.unlink(result_path)
    done_ns = result.get("done_ns", ended)
    return ChildRun((done_ns - started) / 1e9, result)


# -- the DataWorks stand-in -----------------------------------------------------------------------------


@dataclass
class StandIn:
    endpoint: str
    env: dict[str, str]
    process: subprocess.Popen[str]

    def stats(self) -> dict[str, Any]:
        """Requests and verdicts the stand-in has answered so far, per action."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return dict(json.loads(self.process.stdout.readline()))


@contextmanager
def standin(*, file_content: str | None = None) -> Iterator[StandIn]:
    """The local DataWorks API stand-in (dwevents.local.dataworks) in its own process, over http."""
    command = [sys.executable, str(BENCH / "_standin.py")]
    if file_content is not None:
        command += ["--file-content", file_content]
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("DWEVENTS_")},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the DataWorks stand-in did not start")
        ready = json.loads(line)
        yield StandIn(ready["endpoint"], dict(ready["env"]), process)
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the stand-in exits when its stdin closes
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- output -----------------------------------------------------------------------------------------


def write_json(name: str, doc: Mapping[str, Any], results: Path = RESULTS) -> Path:
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{name}.json"
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def mib(kib: float) -> float:
    return round(kib / 1024.0, 1)
