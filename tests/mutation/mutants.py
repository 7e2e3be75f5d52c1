"""Mutant generation: small, mutmut-style changes to the AST of one verdict-path module.

Each mutant changes one node (a comparison, a boolean operator, a constant, an arithmetic operator, a
``return`` value, a call statement) and is compiled from the changed tree with the module's own file name
and line numbers, so a traceback points at the real line. Nothing is written to disk: the runner imports
the mutated code object in place of the module.

Left out, because changing them cannot change what the program does (equivalent mutants), or only
changes text meant for people:

* docstrings, annotations (every module uses ``from __future__ import annotations``, so they are never
  evaluated), ``if TYPE_CHECKING:`` blocks, ``__all__``;
* the message text and arguments of a logging call (``log.warning("... %s", x)``): tests pin the level
  and the structured ``extra=`` fields, not the wording (removing the whole call is still a mutant);
* anything on a line marked ``# mutation: skip (<reason>)`` — the reason is required and is the
  written justification for that exclusion.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})
LOGGER_NAMES = frozenset({"log", "logger", "LOG", "LOGGER", "_log", "_logger"})

COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.Div,
    ast.Pow: ast.Mult,
    ast.BitOr: ast.BitAnd,
    ast.BitAnd: ast.BitOr,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
}
OP_TEXT = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.And: "and",
    ast.Or: "or",
}


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One change: ``index`` is the node's position in a deterministic walk of the module's tree."""

    module: str  # dotted name, e.g. dwevents.extension
    path: str  # file, relative to the repository root
    index: int
    operator: str  # which kind of change (for the report)
    lineno: int
    end_lineno: int
    description: str  # e.g. "`==` → `!=`"
    in_function: bool  # False: the line runs at import time (module / class body, defaults, decorators)

    @property
    def key(self) -> str:
        return f"{self.path}:{self.lineno}:{self.index}:{self.operator}"


def _docstring_nodes(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def _excluded_subtrees(tree: ast.AST) -> set[int]:
    """ids of nodes whose whole subtree is never mutated (annotations, TYPE_CHECKING, __all__, log text)."""
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.returns is not None:
                roots.append(node.returns)
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None and arg.annotation is not None:
                    roots.append(arg.annotation)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            roots.extend(node.body)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
                roots.append(node.value)
        elif isinstance(node, ast.Call) and _is_log_call(node):
            roots.extend(node.args)
    excluded: set[int] = set()
    for root in roots:
        excluded.update(id(n) for n in ast.walk(root))
    return excluded


def _is_log_call(node: ast.Call) -> bool:
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in LOG_METHODS:
        return False
    owner = func.value
    return (isinstance(owner, ast.Name) and owner.id in LOGGER_NAMES) or (
        isinstance(owner, ast.Attribute) and owner.attr in LOGGER_NAMES
    )


def _skipped_lines(source: str) -> set[int]:
    return {n for n, line in enumerate(source.splitlines(), 1) if "# mutation: skip (" in line}


def _function_lines(tree: ast.AST) -> set[int]:
    """Lines inside function bodies (they run when called, so per-test line coverage applies)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for stmt in node.body:
                lines.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    return lines


def _walk(tree: ast.AST) -> Iterator[ast.AST]:
    """Deterministic pre-order walk (ast.walk is breadth-first; either works if used consistently)."""
    yield tree
    for child in ast.iter_child_nodes(tree):
        yield from _walk(child)


def _changes(node: ast.AST, parent: ast.AST | None) -> list[tuple[str, str]]:
    """(operator, description) for each way to mutate ``node``; the order fixes the variant number."""
    out: list[tuple[str, str]] = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            new = COMPARE_SWAPS.get(type(op))
            if new is not None:
                out.append((f"compare{i}", f"`{OP_TEXT[type(op)]}` → `{OP_TEXT[new]}`"))
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        out.append(("boolop", f"`{OP_TEXT[type(node.op)]}` → `{OP_TEXT[other]}`"))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        out.append(("not", "`not x` → `x`"))
    elif isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
        swapped = BINOP_SWAPS[type(node.op)]
        out.append(("binop", f"`{OP_TEXT[type(node.op)]}` → `{OP_TEXT[swapped]}`"))
    elif isinstance(node, ast.AugAssign) and type(node.op) in BINOP_SWAPS:
        swapped = BINOP_SWAPS[type(node.op)]
        out.append(("augassign", f"`{OP_TEXT[type(node.op)]}=` → `{OP_TEXT[swapped]}=`"))
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            out.append(("bool", f"`{value}` → `{not value}`"))
        elif isinstance(value, int):
            out.append(("number", f"`{value}` → `{value + 1}`"))
        elif isinstance(value, float):
            out.append(("number", f"`{value}` → `{value + 1.0}`"))
        elif isinstance(value, str) and not isinstance(parent, ast.JoinedStr):
            out.append(("string", f"`{value[:30]!r}` → `'XX...XX'`"))
        elif value is None and not isinstance(parent, (ast.Return, ast.Compare)):
            out.append(("none", '`None` → `""`'))
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            out.append(("return", "`return x` → `return None`"))
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        out.append(("drop-call", f"call `{ast.unparse(node.value.func)[:40]}(...)` removed"))
    elif isinstance(node, ast.Break):
        out.append(("break", "`break` → `continue`"))
    elif isinstance(node, ast.Continue):
        out.append(("continue", "`continue` → `break`"))
    return out


def _apply(node: ast.AST, operator: str) -> ast.AST:
    """Change ``node`` in place (it is a node of a deep copy); returns the node to put in its place."""
    if operator.startswith("compare"):
        assert isinstance(node, ast.Compare)
        i = int(operator[len("compare") :])
        node.ops[i] = COMPARE_SWAPS[type(node.ops[i])]()
        return node
    if operator == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return node
    if operator == "not":
        assert isinstance(node, ast.UnaryOp)
        return node.operand
    if operator in ("binop", "augassign"):
        assert isinstance(node, (ast.BinOp, ast.AugAssign))
        node.op = BINOP_SWAPS[type(node.op)]()
        return node
    if operator in ("bool", "number", "string", "none"):
        assert isinstance(node, ast.Constant)
        value: Any = node.value
        if operator == "bool":
            new: Any = not value
        elif operator == "number":
            new = value + 1
        elif operator == "string":
            new = f"XX{value!s}XX"
        else:
            new = ""
        return ast.copy_location(ast.Constant(value=new), node)
    if operator == "return":
        assert isinstance(node, ast.Return)
        node.value = ast.copy_location(ast.Constant(value=None), node)
        return node
    if operator == "drop-call":
        return ast.copy_location(ast.Pass(), node)
    if operator == "break":
        return ast.copy_location(ast.Continue(), node)
    if operator == "continue":
        return ast.copy_location(ast.Break(), node)
    raise ValueError(operator)


#: The text each module had when its mutants were listed: a run mutates that snapshot even if the file
#: is edited meanwhile (forked children inherit it).
SOURCES: dict[str, str] = {}


def module_mutants(root: Path, relpath: str, module: str) -> list[Mutant]:
    """Every mutant of one module, in a fixed order (walk order, then variant)."""
    source = SOURCES.setdefault(relpath, (root / relpath).read_text(encoding="utf-8"))
    tree = ast.parse(source)
    skip_ids = _docstring_nodes(tree) | _excluded_subtrees(tree)
    skip_lines = _skipped_lines(source)
    fn_lines = _function_lines(tree)
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    mutants: list[Mutant] = []
    for index, node in enumerate(_walk(tree)):
        if id(node) in skip_ids or not hasattr(node, "lineno"):
            continue
        lineno = node.lineno
        end = getattr(node, "end_lineno", None) or lineno
        if any(n in skip_lines for n in range(lineno, end + 1)):
            continue
        for operator, description in _changes(node, parents.get(id(node))):
            mutants.append(
                Mutant(module, relpath, index, operator, lineno, end, description, lineno in fn_lines)
            )
    return mutants


def mutated_code(root: Path, mutant: Mutant) -> object:
    """The module's code object with ``mutant`` applied."""
    path = root / mutant.path
    source = SOURCES.get(mutant.path)
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    target: ast.AST | None = None
    parent: ast.AST | None = None
    # Same pre-order as _walk, keeping each node's parent so the node can be replaced.
    for walk_index, (node, node_parent) in enumerate(_walk_with_parents(tree)):
        if walk_index == mutant.index:
            target, parent = node, node_parent
            break
    if target is None or parent is None:
        raise LookupError(f"{mutant.key}: node not found (file changed since the mutants were listed?)")
    replacement = _apply(target, mutant.operator)
    if replacement is not target:
        _replace_child(parent, target, replacement)
    ast.fix_missing_locations(tree)
    return compile(tree, str(path), "exec")


def _walk_with_parents(
    tree: ast.AST, parent: ast.AST | None = None
) -> Iterator[tuple[ast.AST, ast.AST | None]]:
    yield tree, parent
    for child in ast.iter_child_nodes(tree):
        yield from _walk_with_parents(child, tree)


def _replace_child(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return
    raise LookupError("child not found in parent")
