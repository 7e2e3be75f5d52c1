"""Read ``s.yaml`` the way Serverless Devs renders it, so every tool agrees with what gets deployed.

The local emulator routes events with the same EventBridge patterns the deployment creates, the build
reads each function's runtime, and the bus tool mirrors the rules: all of them read ``s.yaml`` through
:func:`load_syaml` instead of re-parsing it their own way. Dependency-light on purpose (PyYAML only; the
catalogue is imported only to compute the expected patterns) because the emulator loads it per run.

Rendering (dwevents/deploy/render.py) follows ``s preview`` (Serverless Devs 3.x) for what this project
uses: YAML anchors and merge keys, ``${vars.a.b}`` (a whole-value reference keeps the value's type),
``${env('NAME')}`` and ``${env('NAME', 'default')}``, and ``extend: {name, ignore}`` against ``template``
(dicts merge deeply, lists and scalars of the resource win). An ``${env(...)}`` whose variable is unset and
that has no default stays in place as a placeholder, where ``s`` would stop with an error; other
expressions (``${path(..)}``, ``${config(..)}``, ``${resources..}``) are left as written.

Patterns. Every function's EventBridge pattern is declared once, as compact JSON in
``vars.patterns.<Category>`` (generated from the catalogue, dwevents/deploy/patterns.py). That one
declaration feeds every consumer: ``dwevents.deploy.bus`` puts a rule with it on the custom bus (and, for
tenant-level functions, on the default bus too: s.yaml ``vars.tenantBus``) and the local emulator routes
every function by it. No function needs an fc3 ``eventbridge`` trigger; one that has a default-bus trigger
is still read (:attr:`FunctionDecl.pattern` is then the trigger's rendered pattern) so that
``check`` can say to drop it.

``python -m dwevents.deploy.syaml check|sync|pattern|functions [s.yaml]`` checks the declarations against
the catalogue, or rewrites ``vars.patterns`` from it.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from dwevents.deploy.patterns import (
    DATAWORKS_SOURCE,
    DEFAULT_SOURCE_TYPE,
    PATTERNS_VAR,
    SYamlError,
    category_is_tenant_level,
    check,
    expected_pattern,
    parse_pattern,
    pattern_json,
    sync_text,
)
from dwevents.deploy.render import EXPR, VARS_REF, Renderer, apply_extend, scalar_text

__all__ = [
    "DATAWORKS_SOURCE",
    "DEFAULT_SOURCE_TYPE",
    "PATTERNS_VAR",
    "FunctionDecl",
    "SYaml",
    "SYamlError",
    "category_is_tenant_level",
    "check",
    "expected_pattern",
    "load_syaml",
    "pattern_json",
    "sync",
    "sync_text",
]

logger = logging.getLogger(__name__)

FC3_COMPONENT = "fc3"

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    #: The function's EventBridge pattern, parsed: its default-bus trigger's ``eventRuleFilterPattern`` when
    #: it has one, else ``vars.patterns[category]``; ``{}`` when neither exists.
    pattern: dict[str, Any]
    #: Name of the default-bus eventbridge trigger (None: the function has none).
    trigger_name: str | None
    #: ``asyncInvocationType`` of that trigger (None when absent or without a trigger).
    async_invocation: bool | None
    #: Where :attr:`pattern` is declared: ``vars.patterns.<Category>`` (also when a trigger refers to it with
    #: ``${vars.patterns.<Category>}``), ``trigger`` when a trigger spells the JSON out itself, None: nowhere.
    pattern_origin: str | None = None
    triggers: list[dict[str, Any]] = field(default_factory=list)
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def default_bus_trigger(self) -> bool:
        """True when an fc3 ``eventbridge`` trigger (``eventSourceType: Default``) routes to the function,
        i.e. ``s deploy`` creates its rule on the *default* bus (the tenant-level categories)."""
        return self.trigger_name is not None

    @property
    def python_version(self) -> str | None:
        """``python3.12`` → ``3.12``; ``python3`` (FC's Python 3.6) → ``3.6``; None for other runtimes."""
        return runtime_python_version(self.runtime)

    @property
    def tenant_level(self) -> bool | None:
        """True for a tenant-level category (events on the default bus), False for a workspace-level one
        (custom bus only), None when the category is not in the catalogue."""
        return category_is_tenant_level(self.category)

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


def default_bus_trigger_index(triggers: Sequence[Any]) -> int | None:
    """Index of the first fc3 ``eventbridge`` trigger whose rule lives on the default bus, or None."""
    for index, trigger in enumerate(triggers):
        if not isinstance(trigger, Mapping) or trigger.get("triggerType") != "eventbridge":
            continue
        config = trigger.get("triggerConfig") or {}
        source = config.get("eventSourceConfig") if isinstance(config, Mapping) else None
        source_type = source.get("eventSourceType") if isinstance(source, Mapping) else None
        if source_type in (None, DEFAULT_SOURCE_TYPE):
            return index
    return None


def _vars_reference(raw: Any) -> str | None:
    """``vars.patterns.X`` when ``raw`` is exactly one ``${vars.patterns.X}`` expression, else None."""
    whole = EXPR.fullmatch(raw) if isinstance(raw, str) else None
    ref = VARS_REF.match(whole.group(1).strip()) if whole else None
    return f"vars{ref.group(1)}" if ref else None


def _function(
    resource: str, props: dict[str, Any], raw_props: Mapping[str, Any], patterns: Mapping[str, Any]
) -> FunctionDecl:
    triggers = [t for t in props.get("triggers") or [] if isinstance(t, dict)]
    raw_triggers = [t for t in raw_props.get("triggers") or [] if isinstance(t, dict)]
    category = category_of(props.get("code", ""))
    pattern: dict[str, Any] = {}
    origin: str | None = None
    trigger_name = None
    async_invocation = None
    index = default_bus_trigger_index(triggers)
    if index is not None:
        trigger = triggers[index]
        trigger_name = str(trigger.get("triggerName") or "")
        config = trigger.get("triggerConfig") or {}
        raw = config.get("eventRuleFilterPattern")
        if raw:
            raw_config = (raw_triggers[index].get("triggerConfig") or {}) if index < len(raw_triggers) else {}
            origin = _vars_reference(raw_config.get("eventRuleFilterPattern")) or "trigger"
            if not (isinstance(raw, str) and EXPR.fullmatch(raw)):  # else: refers to nothing, no pattern
                pattern = parse_pattern(raw, f"resource {resource}: eventRuleFilterPattern")
        if "asyncInvocationType" in config:
            async_invocation = bool(config["asyncInvocationType"])
    elif patterns.get(category):
        origin = f"vars.{PATTERNS_VAR}.{category}"
        pattern = parse_pattern(patterns[category], origin)
    lifecycle = props.get("instanceLifecycleConfig") or {}
    initializer = (lifecycle.get("initializer") or {}) if isinstance(lifecycle, Mapping) else {}
    if not isinstance(initializer, Mapping):
        initializer = {}
    environment = props.get("environmentVariables") or {}
    return FunctionDecl(
        resource=resource,
        name=str(props.get("functionName") or resource),
        category=category,
        code=str(props.get("code", "")) if not isinstance(props.get("code"), Mapping) else "",
        handler=str(props.get("handler") or ""),
        runtime=str(props.get("runtime") or ""),
        memory_size=_int_or_none(props.get("memorySize")),
        timeout=_int_or_none(props.get("timeout")),
        environment={str(k): scalar_text(v) for k, v in environment.items()},
        initializer=initializer.get("handler"),
        initializer_timeout=_int_or_none(initializer.get("timeout")),
        pattern=pattern,
        trigger_name=trigger_name,
        async_invocation=async_invocation,
        pattern_origin=origin,
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
    renderer = Renderer({}, environ)
    variables = renderer.render(raw_vars)
    for _ in range(3):  # vars may use other vars; a few passes settle any sane chain
        renderer = Renderer(variables, environ)
        rendered = renderer.render(raw_vars)
        if rendered == variables:
            break
        variables = rendered
    missing = renderer.missing
    renderer = Renderer(variables, environ)
    renderer.missing = missing
    raw_templates = document.get("template") or {}
    templates = renderer.render(raw_templates)
    patterns = variables.get(PATTERNS_VAR) if isinstance(variables, Mapping) else None
    if patterns is not None and not isinstance(patterns, Mapping):
        raise SYamlError(f"{path}: vars.{PATTERNS_VAR} must map categories to patterns")
    functions: list[FunctionDecl] = []
    resources: dict[str, Any] = {}
    for name, resource in document["resources"].items():
        if not isinstance(resource, dict):
            raise SYamlError(f"{path}: resource {name} is not a mapping")
        rendered_resource = renderer.render(resource)
        rendered_resource["props"] = apply_extend(name, rendered_resource, templates)
        resources[name] = rendered_resource
        component = str(rendered_resource.get("component") or "")
        if component.split("@", 1)[0] == FC3_COMPONENT:
            raw_props = apply_extend(name, resource, raw_templates)
            functions.append(_function(name, rendered_resource["props"], raw_props, patterns or {}))
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


def sync(path: str | os.PathLike[str] = "s.yaml") -> list[str]:
    """Rewrite ``vars.patterns`` in place from the catalogue; returns the categories changed.

    Triggers are not touched (a trigger referring to ``${vars.patterns.<Category>}`` follows by itself).
    """
    path = Path(path)
    load_syaml(path, environ={})  # refuse to edit a file that is not a readable Serverless Devs project
    text = path.read_text(encoding="utf-8")
    new_text, changed = sync_text(text)
    if changed:
        path.write_text(new_text, encoding="utf-8")
        logger.info("rewrote the patterns of %s", ", ".join(changed))
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m dwevents.deploy.syaml", description=(__doc__ or "").split("\n")[0]
    )
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
                route = "fc3 default-bus trigger" if decl.default_bus_trigger else "bus-tool rules"
                print(
                    f"{decl.resource:22} {decl.name:34} {decl.runtime:11} {decl.memory_size} MB "
                    f"{decl.timeout} s {kind:9} {route}"
                )
            return 0
        from dwevents.deploy.layers import check as check_layers

        problems = check(syaml) + check_layers(syaml)
    except (SYamlError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in problems:
        print(line)
    print(f"{len(syaml.functions)} functions, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
