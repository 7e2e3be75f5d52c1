"""Read ``s.yaml`` the way Serverless Devs renders it, so every tool agrees with what gets deployed.

The local emulator routes events with the same EventBridge patterns the deployment creates, the build
reads each function's runtime, and the bus tool mirrors the rules: all of them read ``s.yaml`` through
:func:`load_syaml` instead of re-parsing it their own way. Dependency-light on purpose (PyYAML only; the
catalogue is imported only to compute the expected patterns) because the emulator loads it per run.

Rendering follows ``s preview`` (Serverless Devs 3.x) for what this project uses: YAML anchors and merge
keys, ``${vars.a.b}`` (a whole-value reference keeps the value's type), ``${env('NAME')}`` and
``${env('NAME', 'default')}``, and ``extend: {name, ignore}`` against ``template`` (dicts merge deeply,
lists and scalars of the resource win). An ``${env(...)}`` whose variable is unset and that has no default
stays in place as a placeholder, where ``s`` would stop with an error; other expressions (``${path(..)}``,
``${config(..)}``, ``${resources..}``) are left as written.

``python -m dwevents.deploy.syaml check|sync|pattern|functions [s.yaml]`` checks the trigger patterns
against the catalogue, or rewrites them from it.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

logger = logging.getLogger(__name__)

DATAWORKS_SOURCE = "acs.dataworks"
FC3_COMPONENT = "fc3"

_EXPR = re.compile(r"\$\{([^{}]*)\}")
_ENV_CALL = re.compile(r"""^env\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])(.*?)\3\s*)?\)$""", re.DOTALL)
_VARS_REF = re.compile(r"^vars((?:\.[A-Za-z0-9_-]+)+)$")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SYamlError(ValueError):
    """``s.yaml`` is missing, unreadable, or not shaped like a Serverless Devs 3.x project."""


@dataclass
class FunctionDecl:
    """One fc3 resource, rendered: what the emulator, the build and the bus tool need to know."""

    resource: str
    name: str
    category: str
    code: str
    handler: str
    runtime: str
    memory_size: int | None
    timeout: int | None
    environment: dict[str, str]
    initializer: str | None
    initializer_timeout: int | None
    #: The first eventbridge trigger's ``eventRuleFilterPattern``, parsed; ``{}`` when there is none.
    pattern: dict[str, Any]
    trigger_name: str | None
    #: ``asyncInvocationType`` of that trigger (None when absent).
    async_invocation: bool | None
    triggers: list[dict[str, Any]] = field(default_factory=list)
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def python_version(self) -> str | None:
        """``python3.12`` → ``3.12``; ``python3`` (FC's Python 3.6) → ``3.6``; None for other runtimes."""
        return runtime_python_version(self.runtime)

    @property
    def is_extension(self) -> bool:
        """True when the category has an extension point (the function replies to DataWorks)."""
        from dwevents.catalogue import specs_for_category

        return any(spec.is_extension for spec in specs_for_category(self.category))

    def code_path(self, root: Path) -> Path:
        return (root / self.code).resolve() if not Path(self.code).is_absolute() else Path(self.code)


@dataclass
class SYaml:
    """The rendered project: its functions in file order, plus what the other tools may need."""

    path: Path
    name: str
    access: str | None
    vars: dict[str, Any]
    functions: list[FunctionDecl]
    actions: dict[str, Any]
    #: Environment variables referenced with ``${env('NAME')}`` (no default) that were not set.
    missing_env: list[str]
    document: dict[str, Any]

    @property
    def root(self) -> Path:
        return self.path.parent

    def function(self, category: str) -> FunctionDecl:
        for decl in self.functions:
            if decl.category == category:
                return decl
        raise KeyError(f"no function for category {category!r} in {self.path}")

    def by_name(self, name: str) -> FunctionDecl:
        for decl in self.functions:
            if decl.name == name or decl.resource == name:
                return decl
        raise KeyError(f"no function named {name!r} in {self.path}")


# -- rendering ----------------------------------------------------------------------------------


class _Renderer:
    def __init__(self, variables: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.vars = variables
        self.environ = environ
        self.missing: list[str] = []

    def expression(self, expr: str) -> tuple[bool, Any]:
        """Evaluate one ``${...}`` body; ``(False, None)`` when it must stay as written."""
        expr = expr.strip()
        ref = _VARS_REF.match(expr)
        if ref:
            cur: Any = self.vars
            for key in ref.group(1)[1:].split("."):
                if not isinstance(cur, Mapping) or key not in cur:
                    return False, None
                cur = cur[key]
            return True, cur
        call = _ENV_CALL.match(expr)
        if call:
            name, default = call.group(2), call.group(4)
            if name in self.environ:
                return True, self.environ[name]
            if default is not None:
                return True, default
            if name not in self.missing:
                self.missing.append(name)
        return False, None

    def render(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self.render(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.render(item) for item in value]
        if not isinstance(value, str) or "${" not in value:
            return value
        whole = _EXPR.fullmatch(value)
        if whole:
            ok, result = self.expression(whole.group(1))
            return copy.deepcopy(result) if ok else value

        def one(match: re.Match[str]) -> str:
            ok, result = self.expression(match.group(1))
            if not ok:
                return match.group(0)
            return json.dumps(result) if isinstance(result, (dict, list)) else _scalar_text(result)

        return _EXPR.sub(one, value)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def deep_merge(base: Any, override: Any) -> Any:
    """``extend`` semantics observed with ``s preview``: dicts merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, item in override.items():
            merged[key] = deep_merge(base[key], item) if key in base else item
        return merged
    return override


def _apply_extend(name: str, resource: dict[str, Any], templates: Mapping[str, Any]) -> dict[str, Any]:
    extend = resource.get("extend")
    props = resource.get("props") or {}
    if not extend:
        return props
    template_name = extend.get("name") if isinstance(extend, Mapping) else extend
    template = templates.get(template_name) if isinstance(template_name, str) else None
    if not isinstance(template, dict):
        raise SYamlError(f"resource {name}: extend names unknown template {template_name!r}")
    base = copy.deepcopy(template)
    ignore = extend.get("ignore") if isinstance(extend, Mapping) else None
    for key in ignore or ():
        base.pop(key, None)
    return deep_merge(base, props)


# -- loading ------------------------------------------------------------------------------------


def runtime_python_version(runtime: str) -> str | None:
    """The CPython ``major.minor`` of an FC runtime name, or None when it is not a Python runtime."""
    if runtime == "python3":
        return "3.6"
    match = re.fullmatch(r"python(\d)\.(\d+)", runtime)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def category_of(code: Any) -> str:
    """The function's category is the last component of its code path (``./.s/build/NodeChange``)."""
    if isinstance(code, Mapping):
        code = code.get("src") or code.get("ossObjectName") or ""
    posix = PurePosixPath(str(code).replace("\\", "/"))
    return posix.stem if posix.suffix == ".zip" else posix.name


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _function(resource: str, props: dict[str, Any]) -> FunctionDecl:
    triggers = [t for t in props.get("triggers") or [] if isinstance(t, dict)]
    eventbridge = next((t for t in triggers if t.get("triggerType") == "eventbridge"), None)
    pattern: dict[str, Any] = {}
    trigger_name = None
    async_invocation = None
    if eventbridge is not None:
        trigger_name = eventbridge.get("triggerName")
        config = eventbridge.get("triggerConfig") or {}
        raw = config.get("eventRuleFilterPattern")
        if raw:
            try:
                pattern = json.loads(raw) if isinstance(raw, str) else dict(raw)
            except ValueError as exc:
                raise SYamlError(f"resource {resource}: eventRuleFilterPattern is not JSON: {exc}") from exc
        if "asyncInvocationType" in config:
            async_invocation = bool(config["asyncInvocationType"])
    lifecycle = props.get("instanceLifecycleConfig") or {}
    initializer = (lifecycle.get("initializer") or {}) if isinstance(lifecycle, Mapping) else {}
    if not isinstance(initializer, Mapping):
        initializer = {}
    environment = props.get("environmentVariables") or {}
    return FunctionDecl(
        resource=resource,
        name=str(props.get("functionName") or resource),
        category=category_of(props.get("code", "")),
        code=str(props.get("code", "")) if not isinstance(props.get("code"), Mapping) else "",
        handler=str(props.get("handler") or ""),
        runtime=str(props.get("runtime") or ""),
        memory_size=_int_or_none(props.get("memorySize")),
        timeout=_int_or_none(props.get("timeout")),
        environment={str(k): _scalar_text(v) for k, v in environment.items()},
        initializer=initializer.get("handler"),
        initializer_timeout=_int_or_none(initializer.get("timeout")),
        pattern=pattern,
        trigger_name=trigger_name,
        async_invocation=async_invocation,
        triggers=triggers,
        props=props,
    )


def load_syaml(path: str | os.PathLike[str] = "s.yaml", environ: Mapping[str, str] | None = None) -> SYaml:
    """Parse and render ``s.yaml``; ``environ`` (default ``os.environ``) feeds ``${env(...)}``."""
    path = Path(path)
    environ = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SYamlError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise SYamlError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("resources"), dict):
        raise SYamlError(f"{path}: no `resources` mapping (Serverless Devs 3.x, edition 3.0.0)")
    document = copy.deepcopy(document)  # anchors alias one object; rendering must not leak between them

    raw_vars = document.get("vars") or {}
    renderer = _Renderer({}, environ)
    variables = renderer.render(raw_vars)
    for _ in range(3):  # vars may use other vars; a few passes settle any sane chain
        renderer = _Renderer(variables, environ)
        rendered = renderer.render(raw_vars)
        if rendered == variables:
            break
        variables = rendered
    missing = renderer.missing
    renderer = _Renderer(variables, environ)
    renderer.missing = missing
    templates = renderer.render(document.get("template") or {})
    functions: list[FunctionDecl] = []
    resources: dict[str, Any] = {}
    for name, resource in document["resources"].items():
        if not isinstance(resource, dict):
            raise SYamlError(f"{path}: resource {name} is not a mapping")
        rendered_resource = renderer.render(resource)
        rendered_resource["props"] = _apply_extend(name, rendered_resource, templates)
        resources[name] = rendered_resource
        component = str(rendered_resource.get("component") or "")
        if component.split("@", 1)[0] == FC3_COMPONENT:
            functions.append(_function(name, rendered_resource["props"]))
    rendered_document = {**document, "vars": variables, "template": templates, "resources": resources}
    rendered_document["actions"] = renderer.render(document.get("actions") or {})
    return SYaml(
        path=path,
        name=str(document.get("name") or ""),
        access=document.get("access"),
        vars=variables,
        functions=functions,
        actions=rendered_document["actions"],
        missing_env=list(renderer.missing),
        document=rendered_document,
    )


# -- the catalogue side -------------------------------------------------------------------------


def expected_pattern(category: str) -> dict[str, Any]:
    """The EventBridge pattern that routes exactly ``category``'s catalogue types (catalogue order)."""
    from dwevents.catalogue import specs_for_category

    specs = specs_for_category(category)
    if not specs:
        raise KeyError(f"category {category!r} is not in the catalogue")
    return {"source": [DATAWORKS_SOURCE], "type": [spec.type for spec in specs]}


def pattern_json(pattern: Mapping[str, Any]) -> str:
    """The compact one-line JSON written into ``eventRuleFilterPattern`` (stable, so fc3 sees no diff)."""
    return json.dumps(pattern, separators=(",", ":"), ensure_ascii=False)


def check(syaml: SYaml) -> list[str]:
    """Every disagreement between the functions' patterns and the catalogue, one readable line each."""
    from dwevents.catalogue import CATEGORIES

    problems: list[str] = []
    seen: set[str] = set()
    for decl in syaml.functions:
        if decl.category not in CATEGORIES:
            problems.append(f"{decl.resource}: code {decl.code!r} names no catalogue category")
            continue
        if decl.category in seen:
            problems.append(f"{decl.resource}: a second function for category {decl.category}")
        seen.add(decl.category)
        want = expected_pattern(decl.category)
        have = decl.pattern
        if not have:
            problems.append(f"{decl.resource}: no eventbridge trigger pattern")
            continue
        if set(have) != set(want):
            problems.append(f"{decl.resource}: pattern keys {sorted(have)} != {sorted(want)}")
        if sorted(map(str, have.get("source") or [])) != want["source"]:
            problems.append(f"{decl.resource}: pattern source {have.get('source')!r} != {want['source']!r}")
        types = have.get("type") or []
        missing = [t for t in want["type"] if t not in types]
        extra = [t for t in types if t not in want["type"]]
        if missing:
            problems.append(f"{decl.resource}: pattern lacks {', '.join(missing)}")
        if extra:
            names = ", ".join(map(str, extra))
            problems.append(f"{decl.resource}: pattern names types not of {decl.category}: {names}")
    for category in CATEGORIES:
        if category not in seen:
            problems.append(f"category {category}: no function in {syaml.path.name}")
    return problems


def sync(path: str | os.PathLike[str] = "s.yaml") -> list[str]:
    """Rewrite every stale ``eventRuleFilterPattern`` from the catalogue in place; returns the categories.

    Works on the text (comments and anchors survive): the stale JSON string must occur exactly once.
    """
    from dwevents.catalogue import CATEGORIES

    path = Path(path)
    syaml = load_syaml(path, environ={})
    text = path.read_text(encoding="utf-8")
    changed: list[str] = []
    for decl in syaml.functions:
        if decl.category not in CATEGORIES or decl.trigger_name is None:
            continue
        want = expected_pattern(decl.category)
        if decl.pattern == want:
            continue
        trigger = next(t for t in decl.triggers if t.get("triggerType") == "eventbridge")
        config = trigger.get("triggerConfig") or {}
        old = config.get("eventRuleFilterPattern")
        if not isinstance(old, str) or text.count(old) != 1:
            raise SYamlError(f"{decl.resource}: cannot locate its pattern text uniquely; edit it by hand to "
                             f"{pattern_json(want)}")
        text = text.replace(old, pattern_json(want))
        changed.append(decl.category)
    if changed:
        path.write_text(text, encoding="utf-8")
        logger.info("rewrote the patterns of %s", ", ".join(changed))
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dwevents.deploy.syaml",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("command", choices=["check", "sync", "pattern", "functions"])
    parser.add_argument("arg", nargs="?", default="s.yaml", help="s.yaml path, or a category for `pattern`")
    args = parser.parse_args(argv)
    try:
        if args.command == "pattern":
            print(pattern_json(expected_pattern(args.arg)))
            return 0
        if args.command == "sync":
            changed = sync(args.arg)
            print(f"patterns rewritten: {', '.join(changed) or 'none'}")
            return 0
        syaml = load_syaml(args.arg)
        if args.command == "functions":
            for decl in syaml.functions:
                kind = "extension" if decl.is_extension else "regular"
                print(f"{decl.resource:22} {decl.name:34} {decl.runtime:11} {decl.memory_size} MB "
                      f"{decl.timeout} s {kind}")
            return 0
        problems = check(syaml)
    except (SYamlError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in problems:
        print(line)
    print(f"{len(syaml.functions)} functions, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
