"""Run a fixed-seed sample of mutants of the verdict-path modules against the tests that execute them.

Each mutant runs in a forked child of a parent that has already imported pytest and the heavy
third-party libraries: the child forgets every ``dwevents`` module, puts a finder first on
``sys.meta_path`` that serves the mutated code for the one module under test, and runs pytest on the
tests that cover the mutated line (``-x``, fastest first). Nothing in the source tree is written, so the
run is safe while others edit it. A mutant is *killed* when a test fails (or the run exceeds its time
budget: a mutant that hangs is caught too), *survived* when every covering test passes, *uncovered* when
no test runs its line.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

from tests.mutation.equivalent import equivalent_reason
from tests.mutation.mutants import SOURCES, Mutant, module_mutants, mutated_code

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "tests" / "mutation" / ".cache"
SRC = ROOT / "shared"
_snapshot: Path | None = None


def snapshot() -> Path:
    """A private copy of ``shared/dwevents`` taken when the run starts: the line map and every mutant use
    it (first on ``sys.path`` in the children), so others editing the tree during a long run change
    nothing in it. Removed at exit."""
    global _snapshot
    if _snapshot is None:
        _snapshot = Path(tempfile.mkdtemp(prefix="dwevents-mutation-"))
        shutil.copytree(
            SRC / "dwevents", _snapshot / "dwevents", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        atexit.register(shutil.rmtree, _snapshot, True)
    return _snapshot


def snapshot_file(relpath: str) -> Path:
    """``shared/dwevents/x.py`` → its copy in the snapshot."""
    return snapshot() / Path(relpath).relative_to("shared")


def _use_snapshot() -> None:
    """In a child: import ``dwevents`` from the snapshot instead of the (editable-installed) tree."""
    sys.path[:] = [str(snapshot()) if p in (str(SRC), "shared") else p for p in sys.path]
    if str(snapshot()) not in sys.path:
        sys.path.insert(0, str(snapshot()))


# The verdict path (issue 10, item 9), wherever the redesign put it.
MODULES: dict[str, str] = {
    "dwevents.extension": "shared/dwevents/extension.py",
    "dwevents.pipeline": "shared/dwevents/pipeline.py",
    "dwevents.runtime": "shared/dwevents/runtime.py",
    "dwevents.trust": "shared/dwevents/trust.py",
    "dwevents.results": "shared/dwevents/results.py",
    "dwevents.idempotency": "shared/dwevents/idempotency/__init__.py",
    "dwevents.idempotency.gate": "shared/dwevents/idempotency/gate.py",
    "dwevents.idempotency.store": "shared/dwevents/idempotency/store.py",
    "dwevents.idempotency.redis_store": "shared/dwevents/idempotency/redis_store.py",
    "dwevents.dataworks.reply": "shared/dwevents/dataworks/reply.py",
    "dwevents.dataworks.wire": "shared/dwevents/dataworks/wire.py",
}
# The tests that exercise the verdict path; the line map picks, per mutant, the ones that matter.
TESTS: tuple[str, ...] = (
    "tests/test_extension.py",
    "tests/test_extension_credentials.py",
    "tests/test_seams_input.py",
    "tests/test_seams_verdict.py",
    "tests/test_runtime.py",
    "tests/test_idempotency.py",
    "tests/test_idempotency_redis.py",
    "tests/test_router.py",
    "tests/test_functions.py",
    "tests/test_testing.py",
    "tests/dataworks",
    "tests/test_verdict_path_*.py",
)
SEED = 10
SAMPLE = 480
PYTEST_ARGS = ("-q", "-x", "-p", "no:cacheprovider", "-m", "not slow", "--no-header", "-W", "ignore")
EXIT_INCOMPETENT = 97  # the mutated module does not compile


@dataclasses.dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed | timeout | survived | uncovered | incompetent
    seconds: float
    tests: int


#: Test files left out of the run (``--exclude-tests``), e.g. to measure the score without some tests.
EXCLUDED_TESTS: list[str] = []


def test_paths() -> list[str]:
    paths: list[str] = []
    for pattern in TESTS:
        paths.extend(sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(pattern)))
    return [p for p in paths if not any(Path(p).match(x) for x in EXCLUDED_TESTS)]


def all_mutants(modules: Sequence[str]) -> list[Mutant]:
    """Every mutant of ``modules``, listed from the snapshot (see :func:`snapshot`)."""
    found: list[Mutant] = []
    for module in modules:
        relpath = MODULES[module]
        SOURCES.setdefault(relpath, snapshot_file(relpath).read_text(encoding="utf-8"))
        found.extend(module_mutants(ROOT, relpath, module))
    return found


def sample(mutants: list[Mutant], size: int, seed: int) -> list[Mutant]:
    """A fixed-seed sample, in file order so the report reads top to bottom."""
    chosen = random.Random(seed).sample(mutants, min(size, len(mutants)))
    return sorted(chosen, key=lambda m: (m.path, m.lineno, m.index, m.operator))


# --- the line map -----------------------------------------------------------------------------------


def _fingerprint(paths: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for rel in sorted(set(paths)):
        base = ROOT
        if rel.startswith("shared/"):
            base, rel = snapshot(), str(Path(rel).relative_to("shared"))
        for path in sorted(base.glob(rel)) if "*" in rel else [base / rel]:
            files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
            for file in files:
                digest.update(str(file).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def line_map(refresh: bool = False) -> dict[str, Any]:
    """{"tests": {nodeid: {"seconds": s, "lines": {path: [lineno...]}}}}, cached by source fingerprint."""
    key = _fingerprint([*MODULES.values(), *test_paths(), "tests/conftest.py"])
    cached = CACHE / f"linemap-{key}.json"
    if cached.exists() and not refresh:
        data: dict[str, Any] = json.loads(cached.read_text())
        return data
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"mutation: recording which tests run which lines (once per source change) → {cached.name}")
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            os.chdir(ROOT)
            _use_snapshot()
            for name in [n for n in sys.modules if n == "dwevents" or n.startswith("dwevents.")]:
                del sys.modules[name]
            import pytest
            from tests.mutation.tracing import LineMap

            files = {str(snapshot_file(p)) for p in MODULES.values()}
            tracer = LineMap(files)
            rc = pytest.main(
                [*test_paths(), *PYTEST_ARGS[:1], "-p", "no:cacheprovider", "-m", "not slow"],
                plugins=[tracer],
            )
            out: dict[str, Any] = {"exit": int(rc), "tests": {}}
            for nodeid, hits in tracer.lines.items():
                per_file: dict[str, list[int]] = {}
                for filename, lineno in hits:
                    if not Path(filename).is_relative_to(snapshot()):
                        continue  # a test that loads the real tree by path: mutants never reach it
                    rel = Path("shared") / Path(filename).relative_to(snapshot())
                    per_file.setdefault(str(rel), []).append(lineno)
                out["tests"][nodeid] = {
                    "seconds": round(tracer.durations.get(nodeid, 0.0), 3),
                    "lines": {k: sorted(v) for k, v in per_file.items()},
                }
            cached.write_text(json.dumps(out))
            code = 0 if int(rc) == 0 else 2
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("mutation: the unmutated tests do not pass; fix them before mutating")
    data = json.loads(cached.read_text())
    return data


def covering_tests(mutant: Mutant, linemap: dict[str, Any]) -> list[tuple[str, float]]:
    """The tests to run for ``mutant``, fastest first: those running its lines, or for import-time lines
    (module constants, class bodies, defaults, decorators) every test of the files that run the module."""
    wanted = set(range(mutant.lineno, mutant.end_lineno + 1))
    chosen: list[tuple[str, float]] = []
    tests = linemap["tests"]
    if not mutant.in_function:
        # A test may use what the line defines without running any traced line of the module (a
        # dataclass's generated __init__): take every test of each file that touches the module.
        files = {nodeid.split("::")[0] for nodeid, info in tests.items() if info["lines"].get(mutant.path)}
        chosen = [(n, float(i["seconds"])) for n, i in tests.items() if n.split("::")[0] in files]
        return sorted(chosen, key=lambda t: (t[1], t[0]))
    for nodeid, info in tests.items():
        if wanted.intersection(info["lines"].get(mutant.path) or ()):
            chosen.append((nodeid, float(info["seconds"])))
    return sorted(chosen, key=lambda t: (t[1], t[0]))


# --- running one mutant -------------------------------------------------------------------------------


class _MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the mutated code object for exactly one module name; everything else imports as usual."""

    def __init__(self, name: str, path: Path, code: CodeType) -> None:
        self.name, self.path, self.code = name, path, code

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        is_package = self.path.name == "__init__.py"
        return importlib.util.spec_from_file_location(
            fullname,
            self.path,
            loader=self,
            submodule_search_locations=[str(self.path.parent)] if is_package else None,
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(self.code, module.__dict__)


def _child(mutant: Mutant | None, nodeids: list[str], quiet: bool) -> None:
    """In the forked child: install the mutant, run pytest, exit with its status. Never returns."""
    code = 1
    try:
        os.setsid()  # its own process group, so a timeout kills the redis-servers it started too
        os.chdir(ROOT)
        if quiet:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
        _use_snapshot()
        for name in [n for n in sys.modules if n == "dwevents" or n.startswith("dwevents.")]:
            del sys.modules[name]
        if mutant is not None:
            try:
                compiled = mutated_code(ROOT, mutant)
            except (SyntaxError, ValueError, TypeError):
                os._exit(EXIT_INCOMPETENT)
            assert isinstance(compiled, CodeType)
            sys.meta_path.insert(0, _MutantFinder(mutant.module, snapshot_file(mutant.path), compiled))
        import pytest

        code = int(pytest.main([*nodeids, *PYTEST_ARGS]))
    except BaseException:
        code = 3
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _warm_parent() -> None:
    """Import what every child needs and does not change, once, before forking."""
    import hypothesis  # noqa: F401
    import pydantic  # noqa: F401
    import pytest  # noqa: F401
    import yaml  # noqa: F401


def run(
    mutants: list[Mutant], linemap: dict[str, Any], jobs: int = 2, progress: bool = True
) -> list[Outcome]:
    _warm_parent()
    pending = list(mutants)
    running: dict[int, tuple[Mutant, float, float, int]] = {}  # pid → mutant, started, budget, tests
    outcomes: list[Outcome] = []
    total = len(mutants)
    try:
        _loop(pending, running, outcomes, total, linemap, jobs, progress)
    finally:  # interrupted: take the children (and the redis-servers they started) down too
        for pid in running:
            with _suppress_lookup():
                os.killpg(pid, signal.SIGKILL)
    return sorted(outcomes, key=lambda o: (o.mutant.path, o.mutant.lineno, o.mutant.index))


def _loop(
    pending: list[Mutant],
    running: dict[int, tuple[Mutant, float, float, int]],
    outcomes: list[Outcome],
    total: int,
    linemap: dict[str, Any],
    jobs: int,
    progress: bool,
) -> None:
    while pending or running:
        while pending and len(running) < jobs:
            mutant = pending.pop(0)
            tests = covering_tests(mutant, linemap)
            reason = equivalent_reason(mutant)
            if reason is not None:
                outcomes.append(Outcome(mutant, "equivalent", 0.0, 0))
                continue
            if not tests:
                outcomes.append(Outcome(mutant, "uncovered", 0.0, 0))
                continue
            budget = 20.0 + 3 * sum(seconds for _, seconds in tests)
            pid = os.fork()
            if pid == 0:
                _child(mutant, [nodeid for nodeid, _ in tests], quiet=True)
            running[pid] = (mutant, time.monotonic(), budget, len(tests))
        time.sleep(0.05)
        for pid in list(running):
            mutant, started, budget, ntests = running[pid]
            done, status = os.waitpid(pid, os.WNOHANG)
            elapsed = time.monotonic() - started
            if done == 0 and elapsed <= budget:
                continue
            if done == 0:
                with _suppress_lookup():
                    os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                state = "timeout"
            else:
                rc = os.waitstatus_to_exitcode(status)
                state = "survived" if rc == 0 else "incompetent" if rc == EXIT_INCOMPETENT else "killed"
            del running[pid]
            outcomes.append(Outcome(mutant, state, round(elapsed, 2), ntests))
            if progress:
                print(
                    f"[{len(outcomes):>3}/{total}] {state:<9} {mutant.path}:{mutant.lineno} "
                    f"{mutant.description} ({elapsed:.1f}s, {ntests} tests)",
                    flush=True,
                )


class _suppress_lookup:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is ProcessLookupError


def run_one_verbose(mutant: Mutant, linemap: dict[str, Any]) -> int:
    """Run one mutant with pytest's output shown (to see which test kills it, or why none does)."""
    tests = [nodeid for nodeid, _ in covering_tests(mutant, linemap)]
    print(f"{mutant.key} {mutant.description}: {len(tests)} covering tests")
    pid = os.fork()
    if pid == 0:
        _child(mutant, tests, quiet=False)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def summary(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """Per module: sampled, killed (incl. timeouts), survived, uncovered, equivalent, score (killed out of
    the sampled mutants that are neither equivalent nor fail to compile)."""
    rows: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        row = rows.setdefault(
            outcome.mutant.path,
            {
                "module": outcome.mutant.path,
                "mutants": 0,
                "killed": 0,
                "survived": 0,
                "uncovered": 0,
                "incompetent": 0,
                "equivalent": 0,
            },
        )
        row["mutants"] += 1
        key = "killed" if outcome.status in ("killed", "timeout") else outcome.status
        row[key] += 1
    total = {
        "module": "total",
        "mutants": 0,
        "killed": 0,
        "survived": 0,
        "uncovered": 0,
        "incompetent": 0,
        "equivalent": 0,
    }
    for row in rows.values():
        for k in ("mutants", "killed", "survived", "uncovered", "incompetent", "equivalent"):
            total[k] += row[k]
    out = [*sorted(rows.values(), key=lambda r: r["module"]), total]
    for row in out:
        scored = row["mutants"] - row["incompetent"] - row["equivalent"]
        row["score"] = round(100.0 * row["killed"] / scored, 1) if scored else 100.0
    return out


def source_line(mutant: Mutant) -> str:
    lines = SOURCES.get(mutant.path, "").splitlines()
    return lines[mutant.lineno - 1].strip() if mutant.lineno <= len(lines) else ""
