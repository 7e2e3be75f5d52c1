"""The catalogue side of s.yaml: each function's EventBridge pattern, checked against the catalogue and
rewritten from it.

Every function's pattern is declared once, as compact JSON in ``vars.patterns.<Category>`` (generated from
dwevents.catalogue). :func:`check` lists every disagreement between a rendered s.yaml and the catalogue;
:func:`sync_text` rewrites the ``vars.patterns`` block of the file's text in place (comments and anchors
survive). ``python -m dwevents.deploy.syaml check|sync`` runs them; this module never reads files itself, so
dwevents.deploy.syaml can import it without a cycle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

from dwevents.errors import ConfigError

if TYPE_CHECKING:
    from dwevents.deploy.syaml import SYaml

DATAWORKS_SOURCE = "acs.dataworks"
#: ``vars.<PATTERNS_VAR>.<Category>``: the one declaration of each function's EventBridge pattern.
PATTERNS_VAR = "patterns"
#: ``eventSourceType`` of an fc3 eventbridge trigger whose rule lives on the default bus (fc3's default).
DEFAULT_SOURCE_TYPE = "Default"
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SYamlError(ConfigError):
    """``s.yaml`` is missing, unreadable, or not shaped like a Serverless Devs 3.x project."""


def parse_pattern(raw: Any, where: str) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    try:
        pattern = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise SYamlError(f"{where} is not JSON: {exc}") from exc
    if not isinstance(pattern, dict):
        raise SYamlError(f"{where} is not a JSON object")
    return pattern


def category_is_tenant_level(category: str) -> bool | None:
    """True when every catalogue event of ``category`` is tenant-level (published to the default bus),
    False when any is workspace-level (custom bus only), None when the category is unknown."""
    from dwevents.catalogue import Level, specs_for_category

    specs = specs_for_category(category)
    if not specs:
        return None
    return all(spec.level is Level.TENANT for spec in specs)


def expected_pattern(category: str) -> dict[str, Any]:
    """The EventBridge pattern that routes exactly ``category``'s catalogue types (catalogue order)."""
    from dwevents.catalogue import specs_for_category

    specs = specs_for_category(category)
    if not specs:
        raise KeyError(f"category {category!r} is not in the catalogue")
    return {"source": [DATAWORKS_SOURCE], "type": [spec.type for spec in specs]}


def expected_patterns() -> dict[str, str]:
    """``vars.patterns`` as it should read: every catalogue category → its compact JSON pattern."""
    from dwevents.catalogue import CATEGORIES

    return {category: pattern_json(expected_pattern(category)) for category in CATEGORIES}


def pattern_json(pattern: Mapping[str, Any]) -> str:
    """The compact one-line JSON written into ``vars.patterns`` (stable, so fc3 sees no diff)."""
    return json.dumps(pattern, separators=(",", ":"), ensure_ascii=False)


def _pattern_problems(where: str, category: str, have: Mapping[str, Any]) -> list[str]:
    want = expected_pattern(category)
    problems: list[str] = []
    if set(have) != set(want):
        problems.append(f"{where}: pattern keys {sorted(have)} != {sorted(want)}")
    if sorted(map(str, have.get("source") or [])) != want["source"]:
        problems.append(f"{where}: pattern source {have.get('source')!r} != {want['source']!r}")
    types = have.get("type") or []
    missing = [t for t in want["type"] if t not in types]
    extra = [t for t in types if t not in want["type"]]
    if missing:
        problems.append(f"{where}: pattern lacks {', '.join(missing)}")
    if extra:
        problems.append(f"{where}: pattern names types not of {category}: {', '.join(map(str, extra))}")
    return problems


def check(syaml: SYaml) -> list[str]:
    """Every disagreement between s.yaml and the catalogue, one readable line each.

    ``vars.patterns`` must hold exactly the catalogue's patterns; each category has one function; no
    function has an fc3 default-bus ``eventbridge`` trigger (``dwevents.deploy.bus`` puts every rule, on the
    custom bus and, for tenant-level functions, on the default bus as s.yaml ``vars.tenantBus`` says: a
    trigger would add a second default-bus rule with FC's own target parameters, whose
    ``asyncInvocationType`` the FC API pages define in opposite ways); every function's effective pattern
    is the catalogue's.
    """
    from dwevents.catalogue import CATEGORIES

    problems: list[str] = []
    declared = syaml.vars.get(PATTERNS_VAR) if isinstance(syaml.vars, Mapping) else None
    if not isinstance(declared, Mapping) or not declared:
        problems.append(f"vars.{PATTERNS_VAR}: missing; run `python -m dwevents.deploy.syaml sync`")
        declared = {}
    for category, raw in declared.items():
        where = f"vars.{PATTERNS_VAR}.{category}"
        if category not in CATEGORIES:
            problems.append(f"{where}: not a catalogue category")
            continue
        try:
            problems.extend(_pattern_problems(where, category, parse_pattern(raw, where)))
        except SYamlError as exc:
            problems.append(str(exc))
    for category in CATEGORIES:
        if declared and category not in declared:
            problems.append(f"vars.{PATTERNS_VAR}.{category}: missing")
    seen: set[str] = set()
    for decl in syaml.functions:
        if decl.category not in CATEGORIES:
            problems.append(f"{decl.resource}: code {decl.code!r} names no catalogue category")
            continue
        if decl.category in seen:
            problems.append(f"{decl.resource}: a second function for category {decl.category}")
        seen.add(decl.category)
        reference = f"vars.{PATTERNS_VAR}.{decl.category}"
        if decl.default_bus_trigger:
            where = (
                "tenant-level: the bus tool puts its default-bus rule (vars.tenantBus)"
                if decl.tenant_level
                else "workspace-level events never reach the default bus"
            )
            problems.append(
                f"{decl.resource}: drop fc3 eventbridge trigger {decl.trigger_name!r} "
                f"(eventSourceType {DEFAULT_SOURCE_TYPE}): {where}; its rules come from {reference}"
            )
        if not decl.pattern:
            problems.append(f"{decl.resource}: no pattern ({reference})")
            continue
        if decl.pattern_origin != reference:
            problems.extend(_pattern_problems(decl.resource, decl.category, decl.pattern))
    for category in CATEGORIES:
        if category not in seen:
            problems.append(f"category {category}: no function in {syaml.path.name}")
    return problems


# -- sync: rewriting vars.patterns in the text ----------------------------------------------------

_TOP_KEY = re.compile(r"^[^\s#]")
_KEY_LINE = re.compile(r"^(?P<indent>[ ]*)(?P<key>[A-Za-z0-9_-]+):(?P<rest>.*)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    """Neither blank nor a whole-line comment."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _scalar(rest: str) -> Any:
    try:
        return yaml.load(rest, Loader=_Loader) if rest.strip() else None
    except yaml.YAMLError:
        return None


def sync_text(text: str) -> tuple[str, list[str]]:
    """``text`` with ``vars.patterns`` rewritten from the catalogue → (new text, categories changed).

    Edits only the entry lines of that block (stale ones rewritten in place, missing ones appended,
    unknown ones removed), or adds the block at the end of ``vars``: comments and anchors survive.
    """
    lines = text.splitlines(keepends=True)
    vars_at = next((i for i, line in enumerate(lines) if re.match(r"^vars:\s*(#.*)?$", line)), None)
    if vars_at is None:
        raise SYamlError("no top-level `vars:` mapping to hold the patterns")
    vars_end = next((i for i in range(vars_at + 1, len(lines)) if _TOP_KEY.match(lines[i])), len(lines))
    members = [i for i in range(vars_at + 1, vars_end) if _is_content(lines[i])]
    member_indent = min((_indent(lines[i]) for i in members), default=2)
    wanted = expected_patterns()
    head = next(
        (
            i
            for i in members
            if _indent(lines[i]) == member_indent and re.match(rf"^ *{PATTERNS_VAR}:\s*(#.*)?$", lines[i])
        ),
        None,
    )
    newline = "\r\n" if "\r\n" in text else "\n"
    if head is None and any(
        re.match(rf"^ *{PATTERNS_VAR}:", lines[i]) for i in members if _indent(lines[i]) == member_indent
    ):
        raise SYamlError(f"vars.{PATTERNS_VAR} must be a block mapping, one `<Category>: '<JSON>'` a line")
    if head is None:
        last = max((i for i in members), default=vars_at)
        while (
            last + 1 < vars_end
            and lines[last + 1].strip().startswith("#")
            and _indent(lines[last + 1]) >= member_indent
        ):
            last += 1  # comments indented like the vars belong to them (they may introduce the block)
        block = [f"{' ' * member_indent}{PATTERNS_VAR}:{newline}"]
        block += [f"{' ' * member_indent * 2}{c}: {_yaml_quote(v)}{newline}" for c, v in wanted.items()]
        if not lines[last].endswith(("\n", "\r")):
            lines[last] += newline
        lines[last + 1 : last + 1] = block
        return "".join(lines), list(wanted)
    block_end = head + 1
    while block_end < vars_end and (
        not lines[block_end].strip() or _indent(lines[block_end]) > member_indent
    ):
        block_end += 1
    while block_end > head + 1 and not _is_content(lines[block_end - 1]):
        block_end -= 1  # trailing blank and comment lines belong to what follows
    entries = [i for i in range(head + 1, block_end) if _is_content(lines[i])]
    entry_indent = min((_indent(lines[i]) for i in entries), default=member_indent * 2)
    changed: list[str] = []
    seen: set[str] = set()
    remove: list[int] = []
    last_entry = head
    for i in entries:
        match = _KEY_LINE.match(lines[i].rstrip("\r\n"))
        if _indent(lines[i]) != entry_indent or match is None:
            raise SYamlError(
                f"line {i + 1}: vars.{PATTERNS_VAR} entries must be one line each "
                f"(`<Category>: '<JSON>'`); rewrite the block by hand or delete it and sync"
            )
        category, rest = match.group("key"), match.group("rest")
        last_entry = i
        if category not in wanted or category in seen:
            remove.append(i)
            changed.append(category)
            continue
        seen.add(category)
        if _scalar(rest) != wanted[category]:
            ending = lines[i][len(lines[i].rstrip("\r\n")) :] or newline
            lines[i] = f"{' ' * entry_indent}{category}: {_yaml_quote(wanted[category])}{ending}"
            changed.append(category)
    missing = [c for c in wanted if c not in seen]
    if missing:
        if not lines[last_entry].endswith(("\n", "\r")):
            lines[last_entry] += newline
        lines[last_entry + 1 : last_entry + 1] = [
            f"{' ' * entry_indent}{c}: {_yaml_quote(wanted[c])}{newline}" for c in missing
        ]
        changed.extend(missing)
    for i in sorted(remove, reverse=True):
        del lines[i]
    return "".join(lines), changed
