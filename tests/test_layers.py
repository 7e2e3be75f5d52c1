"""The package's shape: layers that show at run time, small modules, no import cycle (issue 9).

* the runtime (a function handling events) loads no tool module: ``dwevents.local``, ``dwevents.deploy``
  and ``dwevents.cli`` stay out of a function's process, so the build can leave them out;
* no ``.py`` file under ``shared/`` is longer than 400 lines;
* no import cycle in the package, imports inside functions included (``if TYPE_CHECKING:`` aside).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "shared" / "dwevents"
MAX_LINES = 400
TOOLS = ("dwevents.local", "dwevents.deploy", "dwevents.cli")

#: Runs in a fresh interpreter: one cold start and one event of each kind, then lists loaded modules.
_ONE_OF_EACH = """
import importlib.util, json, sys, types

def load(category):
    path = {functions!r} + "/" + category + "/index.py"
    spec = importlib.util.spec_from_file_location("index_" + category, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

def context(name):
    return types.SimpleNamespace(
        request_id="layers-" + name, account_id="1234567890123456", region="cn-hangzhou",
        function=types.SimpleNamespace(name=name, timeout=30), credentials=None,
    )

outcomes = []
for category, sample in [
    ("InstanceStatusChanges", "InstanceStatusChanges/instance-status-changes.json"),  # regular
    ("FileChange", "FileChange/commit-file.json"),  # extension point, answered through the API
    ("ResourcesDownload", "fc-direct/download-resources.json"),  # FC-direct, answered by return value
]:
    fn = load(category)
    fn.initialize(context(category))
    answer = json.loads(fn.handler(open({events!r} + "/" + sample, "rb").read(), context(category)))
    outcomes.append(answer.get("checkResult") or answer["events"][0]["outcome"])
loaded = sorted(n for n in sys.modules if n.startswith("dwevents"))
print(json.dumps({{"outcomes": outcomes, "modules": loaded}}))
"""


def test_given_one_event_of_each_kind_then_no_tool_module_is_loaded(standin: object) -> None:
    # GIVEN a fresh interpreter pointed at a DataWorks stand-in (running here, not in the child)
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DWEVENTS_", "ALIBABA_CLOUD_"))},
        **standin.client_env(),  # type: ignore[attr-defined]
        "DWEVENTS_EXTENSION_CODE": "layers",
        "DWEVENTS_ALLOWED_ACCOUNTS": "1234567890123456",
        "DWEVENTS_LOG_LEVEL": "ERROR",
    }
    code = _ONE_OF_EACH.format(functions=str(ROOT / "functions"), events=str(ROOT / "events"))
    # WHEN it starts three functions and handles a regular, an extension and an FC-direct event
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    # THEN each was handled, and no local/, deploy/ or CLI module was imported
    assert report["outcomes"][0] == "processed" and report["outcomes"][1] == "processed"
    assert report["outcomes"][2] in ("OK", "WARN", "FAIL")
    assert [m for m in report["modules"] if m.startswith(TOOLS)] == []
    assert "dwevents.testing" not in report["modules"]


def test_no_python_file_under_shared_is_longer_than_400_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): n
        for path in sorted((ROOT / "shared").rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[str, list[str]]]:
    """(imported module, names) for every import, in functions too, outside ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            yield base, [alias.name for alias in node.names]
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports (a ``from pkg import sub`` counts as importing ``pkg.sub``)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, names in _imports(tree, name, path.name == "__init__.py"):
            if target not in files:
                continue
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in files]
            for dep in subs or [target]:
                if dep != name:
                    graph[name].add(dep)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import() -> None:
    # GIVEN a graph as the AST reader builds it WHEN two modules import each other THEN it is reported
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    tree = ast.parse(
        "def f():\n    from dwevents import runtime\nif TYPE_CHECKING:\n    import dwevents.cli\n"
    )
    assert list(_imports(tree, "dwevents.x", False)) == [("dwevents", ["runtime"])]


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("tool", TOOLS)
def test_no_runtime_module_imports_a_tool(tool: str) -> None:
    graph = import_graph()
    runtime = [m for m in graph if not m.startswith((*TOOLS, "dwevents.testing", "dwevents.__main__"))]
    offenders = {m: sorted(d for d in graph[m] if d.startswith(tool)) for m in runtime}
    assert {m: d for m, d in offenders.items() if d} == {}
