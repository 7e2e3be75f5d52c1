"""Load a function's configuration exactly as the function will at cold start, before it is deployed.

Why: a typo in the rules or config file (or a ``DWEVENTS_RULES`` path that is not in the package) is only
discovered by the function itself, which then answers every extension point with the fail-mode verdict.
The pre-deploy build calls :func:`check_function` for every function it built — the config file and the
rules file copied into that function's tree, read with the environment s.yaml gives the function, FC's
``/code/`` meaning the function's directory — and stops the deploy with the error. The same loaders the
runtime uses are called (dwevents.config.load_settings, dwevents.policy.PolicyEngine.load; see
dwevents/runtime.py), so "valid here" means "valid there". ``dwevents config check`` runs the same check on
a local checkout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dwevents import env
from dwevents.errors import ConfigError

#: Where FC unpacks a function's code package.
FC_CODE_DIR = "/code/"
#: Variables whose values name files of the package.
PATH_VARIABLES = (env.CONFIG_FILE, env.RULES_FILE)


@dataclass(frozen=True)
class Checked:
    """What was loaded: the config source, the rules source and how many rules it holds (None: the
    function has no extension point, so it never loads rules)."""

    config: str
    rules: str | None
    rule_count: int | None


def mapped(value: str, code_dir: Path) -> str:
    """``/code/x`` → ``<code_dir>/x`` (the function's own tree); a relative path is relative to ``/code``
    (the function's working directory in FC) too; another absolute path is kept (and will not exist)."""
    if value.startswith(FC_CODE_DIR):
        return str(code_dir / value[len(FC_CODE_DIR) :])
    return value if Path(value).is_absolute() else str(code_dir / value)


def check_function(
    environment: Mapping[str, str], code_dir: Path, *, extension: bool, name: str = ""
) -> Checked:
    """Load the function's settings (and rules, for an extension-capable function); raise ConfigError
    naming the function, the file and the key."""
    from dwevents.config import load_settings
    from dwevents.policy import PolicyEngine

    environ = {
        key: (mapped(value, code_dir) if key in PATH_VARIABLES and value else value)
        for key, value in environment.items()
    }
    prefix = f"{name}: " if name else ""
    try:
        settings = load_settings(environ=environ)
    except ConfigError as exc:
        raise ConfigError(f"{prefix}{exc}", key=exc.key) from None
    config = environ.get(env.CONFIG_FILE) or "<defaults>"
    if not extension:
        return Checked(config, None, None)
    rules_file = settings.extension.rules_file
    rules_path = mapped(rules_file, code_dir) if rules_file else None
    try:
        engine = PolicyEngine.load(rules_path)
    except ConfigError as exc:
        raise ConfigError(f"{prefix}{exc}", key=exc.key) from None
    except Exception as exc:  # anything a broken rules file provokes counts as broken
        raise ConfigError(f"{prefix}rules file {rules_path}: {type(exc).__name__}: {exc}") from None
    return Checked(config, rules_path or "default rules", len(engine.rules))
