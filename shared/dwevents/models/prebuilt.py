"""Prebuilt core schemas: pydantic's schema generation done once and kept, like a ``.pyc``.

Why: the first model or ``TypeAdapter`` a process builds runs pydantic's schema generation
(``GenerateSchema`` and the modules it imports lazily): about a third of a bare ``from pydantic import
BaseModel`` again, before any work is done. A function's cold start needs only the *result*, the core
schema, which pydantic-core turns into a validator in microseconds. So the core schema of each type the
cold path validates (the payload model of an event type, the configuration ``Settings``) is generated once
with pydantic, stripped of what only JSON Schema and serialization read (``metadata``,
``serialization``), and pickled into ``_prebuilt/`` beside this module — classes and functions by
reference, never by value. ``python -m dwevents.deploy.build`` writes the entries of each function into
its artifact; a source checkout writes them the first time it needs them (unless
``sys.dont_write_bytecode``, as for ``.pyc``).

An entry is used only when it is fresh: same format, same pydantic and pydantic-core versions, same
Python minor version, and the same SHA-256 of every dwevents source file that can shape the schema (the
modules of the models and of every class and function the entry refers to, ``catalogue.py`` and all of
``models/*.py``). Missing, stale, corrupt, unreadable, or for another version: the entry is regenerated
with pydantic, which is today's path — never wrong, only slower.

Trust: an entry is a pickle, and unpickling can call code. Entries are read only from this package's own
directory (the same trust as its ``.py`` and ``.pyc`` files: whoever can write there can change the code
itself), never from a path given at run time by configuration or input; and the unpickler resolves only
names from dwevents, pydantic and a few standard modules (defence in depth, not a sandbox).

Pickle: https://docs.python.org/3/library/pickle.html (``Pickler.reducer_override``, "Restricting
Globals"); pydantic-core's ``SchemaValidator``: https://docs.pydantic.dev/latest/api/pydantic_core/.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pydantic_core

try:  # the C pickler pickle itself uses, without importing pickle.py (≈1.5 ms on a cold start)
    from _pickle import Pickler, PicklingError, Unpickler, UnpicklingError
except ImportError:  # pragma: no cover - another Python implementation
    from pickle import Pickler, PicklingError, Unpickler, UnpicklingError

#: First line of every entry; a change of layout changes it (older entries are then stale).
MAGIC = b"dwevents-prebuilt-schema 1\n"
#: The package's own directory of entries (never a path from configuration or input).
DIRECTORY = Path(__file__).resolve().with_name("_prebuilt")
_PACKAGE = Path(__file__).resolve().parent.parent  # .../dwevents
#: Sources every entry depends on, besides the modules it refers to: the catalogue (which model an event
#: type has) and the model modules (their ``Annotated`` aliases carry constraints without any reference).
_ALWAYS = ("catalogue.py", "models/*.py")
#: Modules whose names an entry may refer to (the unpickler refuses any other).
_MODULES = ("dwevents.", "pydantic.", "pydantic_core.", "annotated_types")
_STDLIB = frozenset(
    {"datetime", "decimal", "enum", "re", "uuid", "ipaddress", "pathlib", "copyreg", "collections"}
)
_BUILTINS = frozenset(
    {"getattr", "str", "int", "float", "bool", "bytes", "list", "dict", "set", "frozenset", "tuple"}
)
#: Keys of a schema node that only JSON Schema / serialization read (a validator never does).
_STRIPPED = frozenset({"metadata", "serialization"})
#: Keys whose values are data, not schema nodes (a default or a literal may be any dict).
_DATA_KEYS = frozenset({"default", "expected", "members"})

_digests: dict[str, str | None] = {}
_memo: dict[tuple[str, str], Any] = {}
_installed: set[type[Any]] = set()


def tag() -> str:
    """What an entry is valid for besides its sources: pydantic, pydantic-core and Python versions."""
    import pydantic.version

    return (
        f"pydantic-{pydantic.version.VERSION} pydantic-core-{pydantic_core.__version__} "
        f"py{sys.version_info[0]}.{sys.version_info[1]}"
    )


def type_schema(name: str, tp: Any, directory: Path | None = None) -> tuple[Any, Any]:
    """``(core schema, core config)`` of ``TypeAdapter(tp)`` (``name`` identifies it: the same ``name``
    always means the same ``tp``), from the entry when fresh, else generated and written back."""
    entry = _entry("type", name, tp, directory)
    return entry["schema"], entry["config"]


def model_entry(cls: type[Any]) -> tuple[str, str, Any]:
    """The ``(kind, name, type)`` of :func:`install`'s entry for ``cls`` (what :func:`write` takes)."""
    return "models", f"{cls.__module__}.{cls.__qualname__}", cls


def install(cls: type[Any], directory: Path | None = None) -> None:
    """Give the model ``cls`` and every model its schema holds a validator from the entry of ``cls``, so
    validating (``model_validate``, ``cls()``, a ``default_factory``) runs no schema generation.

    Only the validator: the model is not marked complete, so anything else (``model_dump``, JSON
    Schema) still makes pydantic build the class as usual, which then replaces the validator with its
    own (the same one). A class pydantic has already built is left alone."""
    if cls in _installed or cls.__dict__.get("__pydantic_complete__"):
        return
    entry = _entry(*model_entry(cls), directory)
    for model, (schema, config) in entry["models"].items():
        if not model.__dict__.get("__pydantic_complete__"):
            model.__pydantic_validator__ = _LazyValidator(model, schema, config)
    _installed.add(cls)


class _LazyValidator:
    """A model's validator, built from its schema when first used (a model that is only held, never
    constructed, costs nothing), then put in its place on the class."""

    def __init__(self, model: type[Any], schema: Any, config: Any) -> None:
        self._model, self._schema, self._config = model, schema, config

    def __getattr__(self, name: str) -> Any:
        validator = pydantic_core.SchemaValidator(self._schema, self._config)
        if self._model.__dict__.get("__pydantic_validator__") is self:
            self._model.__pydantic_validator__ = validator
        return getattr(validator, name)


# -- entries -----------------------------------------------------------------------------------------


def _entry(kind: str, name: str, tp: Any, directory: Path | None) -> Any:
    key = (kind, name)
    found = _memo.get(key)
    if found is None:
        folder = DIRECTORY if directory is None else directory
        found = load(folder, kind, name)
        if found is None:
            found, blob = generate(kind, tp)
            if not sys.dont_write_bytecode and blob is not None:
                store(folder, kind, name, blob)
        _memo[key] = found
    return found


def entry_path(directory: Path, kind: str, name: str) -> Path:
    """Where the entry of ``name`` lives (one file per entry and pydantic-core version)."""
    digest = hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:24]
    return directory / f"{kind}-{digest}.core-{pydantic_core.__version__}.pickle"


def load(directory: Path, kind: str, name: str) -> Any:
    """The entry when present, readable and fresh; else None (the caller regenerates it)."""
    try:
        data = entry_path(directory, kind, name).read_bytes()
        if not data.startswith(MAGIC):
            return None
        end = data.index(b"\n", len(MAGIC))
        header = json.loads(data[len(MAGIC) : end])
        if header.get("name") != f"{kind}:{name}" or header.get("tag") != tag():
            return None
        sources = header.get("sources")
        if not isinstance(sources, dict) or any(_digest(p) != d for p, d in sources.items()):
            return None
        return _Unpickler(io.BytesIO(data[end + 1 :])).load()
    except Exception:
        return None


def store(directory: Path, kind: str, name: str, blob: tuple[bytes, set[str]]) -> Path | None:
    """Write an entry atomically (a temporary file renamed over it); None when it cannot be written."""
    payload, modules = blob
    sources = {p: _digest(p) for p in sorted(_sources(modules))}
    header = json.dumps({"name": f"{kind}:{name}", "tag": tag(), "sources": sources}, sort_keys=True)
    path = entry_path(directory, kind, name)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(MAGIC + header.encode() + b"\n" + payload)
        os.replace(temporary, path)
    except OSError:  # a read-only tree (FC's /code), a full disk: the entry is only a cache
        temporary.unlink(missing_ok=True)
        return None
    return path


def write(entries: Iterable[tuple[str, str, Any]], directory: Path | None = None) -> list[Path]:
    """Generate and write ``(kind, name, tp)`` entries (the build's step); the files written."""
    written = []
    for kind, name, tp in entries:
        _found, blob = generate(kind, tp)
        path = (
            None if blob is None else store(DIRECTORY if directory is None else directory, kind, name, blob)
        )
        if path is not None:
            written.append(path)
    return written


def generate(kind: str, tp: Any) -> tuple[Any, tuple[bytes, set[str]] | None]:
    """The entry of ``tp`` from pydantic itself, and its pickle (None when it cannot be pickled, e.g. a
    validator that is a local function: it is then used, not kept)."""
    if kind == "type":
        from pydantic import TypeAdapter
        from pydantic._internal._config import ConfigWrapper

        adapter: TypeAdapter[Any] = TypeAdapter(tp)
        adapter.rebuild()
        config = ConfigWrapper(adapter._config).core_config(None)  # what TypeAdapter builds with
        entry: dict[str, Any] = {"schema": strip(adapter.core_schema), "config": config}
    else:
        entry = {"models": {model: _model_schema(model) for model in _models(tp)}}
    pickler_file = io.BytesIO()
    pickler = _Pickler(pickler_file)
    try:
        pickler.dump(entry)
    except (PicklingError, TypeError, AttributeError):
        return entry, None
    return entry, (pickler_file.getvalue(), pickler.modules)


def strip(node: Any) -> Any:
    """A copy of a core schema without what only JSON Schema and serialization read."""
    if isinstance(node, dict):
        is_schema = isinstance(node.get("type"), str)
        return {
            k: (v if is_schema and k in _DATA_KEYS else strip(v))
            for k, v in node.items()
            if not (is_schema and k in _STRIPPED)
        }
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def _model_schema(model: type[Any]) -> tuple[Any, Any]:
    from pydantic._internal._config import ConfigWrapper

    model.model_rebuild()
    config = ConfigWrapper(model.model_config, check=False).core_config(title=model.__name__)
    return strip(model.__pydantic_core_schema__), config


def _models(root: type[Any]) -> list[type[Any]]:
    """``root`` and every model class its core schema holds (the ones validating it may construct)."""
    root.model_rebuild()
    found = [root]
    stack = [root.__pydantic_core_schema__]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            cls = node.get("cls")
            if node.get("type") == "model" and isinstance(cls, type) and cls not in found:
                found.append(cls)
            stack.extend(v for k, v in node.items() if k not in _DATA_KEYS)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _sources(modules: set[str]) -> set[str]:
    """The dwevents source files (relative to the package) an entry depends on."""
    paths = {str(p.relative_to(_PACKAGE)) for pattern in _ALWAYS for p in _PACKAGE.glob(pattern)}
    for module in modules:
        parts = module.split(".")
        if parts[0] != "dwevents" or len(parts) < 2:
            continue
        base = _PACKAGE.joinpath(*parts[1:])
        paths.add(
            str((base / "__init__.py" if base.is_dir() else base.with_suffix(".py")).relative_to(_PACKAGE))
        )
    return paths


def _digest(relative: str) -> str | None:
    """SHA-256 of a package source file (None when it cannot be read), computed once per process."""
    if relative not in _digests:
        try:
            _digests[relative] = hashlib.sha256((_PACKAGE / relative).read_bytes()).hexdigest()
        except OSError:
            _digests[relative] = None
    return _digests[relative]


class _Pickler(Pickler):
    """Pickles by reference; a validator made by a factory (``__dwevents_rebuild__``: the factory and
    its arguments) is pickled as that call; records the modules referred to (the entry's sources)."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=5)  # pickle.HIGHEST_PROTOCOL since Python 3.8
        self.modules: set[str] = set()

    def reducer_override(self, obj: Any) -> Any:
        rebuild = getattr(obj, "__dwevents_rebuild__", None) if callable(obj) else None
        if rebuild is not None and not isinstance(obj, type):
            self.modules.add(rebuild[0].__module__)
            return rebuild
        if isinstance(obj, type):
            self.modules.update(c.__module__ for c in obj.__mro__)
        elif callable(obj) and hasattr(obj, "__module__"):
            if "<locals>" in getattr(obj, "__qualname__", "") or "<lambda>" in getattr(
                obj, "__qualname__", ""
            ):
                raise PicklingError(f"{obj!r} is a local function")
            self.modules.add(str(obj.__module__))
        return NotImplemented


class _Unpickler(Unpickler):
    """Resolves only names of dwevents, pydantic and a few standard modules."""

    def find_class(self, module: str, name: str) -> Any:
        if (
            module.startswith(_MODULES)
            or module in _STDLIB
            or (module == "builtins" and name in _BUILTINS)
            or module in ("dwevents", "pydantic", "pydantic_core")
        ):
            return super().find_class(module, name)
        raise UnpicklingError(f"{module}.{name} is not allowed in a prebuilt schema")


__all__ = [
    "DIRECTORY",
    "MAGIC",
    "generate",
    "install",
    "load",
    "model_entry",
    "store",
    "strip",
    "tag",
    "type_schema",
    "write",
]
