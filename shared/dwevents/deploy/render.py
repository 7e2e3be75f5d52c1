"""Serverless Devs 3.x rendering of s.yaml values: ``${vars.a.b}``, ``${env('NAME'[, 'default'])}`` and
``extend`` against ``template`` — what ``s preview`` does for the expressions this project uses.

A whole-value ``${vars...}`` reference keeps the value's type; an ``${env(...)}`` whose variable is unset and
has no default stays in place as a placeholder (and is reported), where ``s`` would stop with an error; other
expressions (``${path(..)}``, ``${config(..)}``, ``${resources..}``) are left as written. ``extend`` merges
dicts deeply while lists and scalars of the resource win (observed with ``s preview``).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from dwevents.deploy.patterns import SYamlError

EXPR = re.compile(r"\$\{([^{}]*)\}")
_ENV_CALL = re.compile(r"""^env\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])(.*?)\3\s*)?\)$""", re.DOTALL)
VARS_REF = re.compile(r"^vars((?:\.[A-Za-z0-9_-]+)+)$")


class Renderer:
    def __init__(self, variables: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.vars = variables
        self.environ = environ
        self.missing: list[str] = []

    def expression(self, expr: str) -> tuple[bool, Any]:
        """Evaluate one ``${...}`` body; ``(False, None)`` when it must stay as written."""
        expr = expr.strip()
        ref = VARS_REF.match(expr)
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
        whole = EXPR.fullmatch(value)
        if whole:
            ok, result = self.expression(whole.group(1))
            return copy.deepcopy(result) if ok else value

        def one(match: re.Match[str]) -> str:
            ok, result = self.expression(match.group(1))
            if not ok:
                return match.group(0)
            return json.dumps(result) if isinstance(result, (dict, list)) else scalar_text(result)

        return EXPR.sub(one, value)


def scalar_text(value: Any) -> str:
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


def apply_extend(name: str, resource: dict[str, Any], templates: Mapping[str, Any]) -> dict[str, Any]:
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
