"""What a local run may change about a function's world: the code a code rule reads, the clock, the
account, and config paths written for FC. Shared by ``dwevents invoke``, ``serve``, ``replay`` and
``rules test`` so one option means one thing everywhere.

* ``--code FILE``: the text every code rule sees (as GetIDEEventDetail's committed file), for events
  no fixture names;
* ``--fixtures FILE``: what the DataWorks lookups answer, per message id (same format as
  ``events/dataworks-api-fixtures.yaml``: ``event_details``, ``extensions``, ``options``);
* ``--now ISO-TIME``: the instant freeze and allowed-window rules judge;
* ``/code/...`` in ``DWEVENTS_CONFIG`` / ``DWEVENTS_RULES``: FC unpacks the package to ``/code``, so
  ``/code/config/rules.yaml`` is ``./config/rules.yaml`` locally (when ``/code`` does not exist here);
* the account: a local run puts each event in its own ``aliyunaccountid`` (the function's account), so a
  captured event from your account works as is — unless ``DWEVENTS_ALLOWED_ACCOUNTS`` or
  ``FC_ACCOUNT_ID`` is set, which then decide as in FC. Only the local context is affected; the runtime's
  trust check is unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from dwevents import env
from dwevents.errors import DwEventsError

#: Where FC unpacks the function's code package.
FC_CODE_DIR = "/code/"
#: Variables whose ``/code/...`` values resolve to the project directory locally.
PATH_VARIABLES = (env.CONFIG_FILE, env.RULES_FILE)
#: GetIDEEventDetail's snapshot kind per eventCode (everything else: CommittedFile).
SNAPSHOT_KIND = {"run-file": "FileExecutionCommand", "delete-file": "DeletedFile"}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


# -- time -----------------------------------------------------------------------------------------


def parse_time(text: str, what: str = "time") -> datetime:
    """An ISO 8601 instant (``2026-05-04T10:00:00+08:00``, ``...Z``, or a date); without an offset: UTC."""
    value = str(text).strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise DwEventsError(
            f"{what}: {text!r} is not an ISO 8601 time (e.g. 2026-05-04T10:00:00+08:00)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def parse_duration(text: str, what: str = "--since") -> timedelta:
    """``90s``, ``30m``, ``24h``, ``7d``, ``2w``."""
    match = _DURATION.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise DwEventsError(f"{what}: {text!r} is not a duration such as 30m, 24h, 7d or 2w")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])


# -- paths ----------------------------------------------------------------------------------------


def local_path(value: str, root: Path) -> str:
    """``/code/x`` → ``<root>/x`` when this machine has no ``/code`` (FC's path, locally)."""
    if value.startswith(FC_CODE_DIR) and not Path(FC_CODE_DIR).exists():
        return str(root / value[len(FC_CODE_DIR) :])
    return value


def local_environ(environ: Mapping[str, str], root: Path) -> dict[str, str]:
    """A copy of ``environ`` with FC's ``/code/...`` paths in the config/rules variables made local."""
    out = dict(environ)
    for name in PATH_VARIABLES:
        if out.get(name):
            out[name] = local_path(out[name], root)
    return out


# -- the account ----------------------------------------------------------------------------------


def local_account(document: Any, environ: Mapping[str, str]) -> str | None:
    """The account the local context claims for this delivery.

    ``FC_ACCOUNT_ID`` when set; ``None`` (no account of the function's own) when only
    ``DWEVENTS_ALLOWED_ACCOUNTS`` is set, so that list decides; otherwise the event's own
    ``aliyunaccountid`` (the first one of a batch).
    """
    if environ.get(env.FC_ACCOUNT_ID):
        return environ[env.FC_ACCOUNT_ID]
    if environ.get(env.ALLOWED_ACCOUNTS):
        return None
    for item in document if isinstance(document, list) else [document]:
        if isinstance(item, Mapping) and item.get("aliyunaccountid") not in (None, ""):
            return str(item["aliyunaccountid"])
    return None


def refusal_hint(error: str | None, environ: Mapping[str, str]) -> str | None:
    """A refusal's text plus how to allow the event locally (for account refusals)."""
    if not error:
        return error
    match = re.search(r"account '([^']*)' is not allowed", error)
    if not match or "to allow it" in error:
        return error
    account = match.group(1)
    where = (
        f"{env.FC_ACCOUNT_ID}={environ[env.FC_ACCOUNT_ID]} is set"
        if environ.get(env.FC_ACCOUNT_ID)
        else f"{env.ALLOWED_ACCOUNTS} is set"
    )
    return f"{error} ({where}); to allow it locally, add it: {env.ALLOWED_ACCOUNTS}={account}"


# -- what the DataWorks lookups answer ------------------------------------------------------------


@dataclass
class Fixtures:
    """Answers for GetIDEEventDetail (per message id, or ``default``), GetExtension and
    GetOptionValueForProject."""

    event_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_detail: dict[str, Any] | None = None
    extensions: dict[str, dict[str, Any]] = field(default_factory=dict)
    options: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: Options for every (extension, workspace) pair without its own entry.
    default_options: dict[str, Any] | None = None
    #: Where the default detail came from (``--code FILE``), for reports.
    code_source: str | None = None

    @classmethod
    def load(cls, path: str | Path | None = None, *, code: str | Path | None = None) -> Fixtures:
        """The ``--fixtures`` file (YAML) and the ``--code`` file; either may be omitted."""
        fixtures = cls()
        if path is not None:
            fixtures.merge_file(Path(path))
        if code is not None:
            fixtures.set_code(read_text(Path(code), "--code"), source=str(code))
        return fixtures

    def merge_file(self, path: Path) -> None:
        from dwevents.schema import load_yaml

        text = read_text(path, "--fixtures")
        # YAML as every file of the package is read (dates stay text, as DataWorks sends them)
        doc = load_yaml(text, source=str(path), top="a mapping with event_details, extensions or options")
        unknown = sorted(set(doc) - {"event_details", "extensions", "options"})
        if unknown:
            raise DwEventsError(f"{path}: unknown key {unknown[0]!r} (event_details, extensions, options)")
        for key in ("event_details", "extensions", "options"):
            if not isinstance(doc.get(key) or {}, Mapping):
                raise DwEventsError(f"{path}: {key} must be a mapping")
        for message_id, detail in (doc.get("event_details") or {}).items():
            if not isinstance(detail, Mapping):
                raise DwEventsError(f"{path}: event_details.{message_id} must be a mapping")
            if str(message_id) == "default":
                self.default_detail = dict(detail)
            else:
                self.event_details[str(message_id)] = dict(detail)
        for code, ext in (doc.get("extensions") or {}).items():
            self.extensions[str(code)] = dict(ext or {})
        for code, per_project in (doc.get("options") or {}).items():
            if not isinstance(per_project or {}, Mapping):
                raise DwEventsError(f"{path}: options.{code} must map workspace ids to options")
            for project_id, value in (per_project or {}).items():
                if isinstance(value, str):  # OptionValue as the API carries it: a JSON object as text
                    try:
                        value = json.loads(value)
                    except ValueError:
                        value = None
                if not isinstance(value, Mapping):
                    raise DwEventsError(f"{path}: options.{code}.{project_id} must be a mapping")
                self.options[(str(code), str(project_id))] = dict(value)

    def set_code(
        self,
        text: str,
        *,
        source: str = "--code",
        message_id: str | None = None,
        event_code: str | None = None,
    ) -> None:
        """The code text every event without its own fixture reads (or one message's)."""
        kind = SNAPSHOT_KIND.get(event_code or "", "CommittedFile")
        detail = {kind: {"Content": text, "FileName": "local_file", "FileType": 10}}
        if message_id is None:
            self.default_detail, self.code_source = detail, source
        else:
            self.event_details[message_id] = detail

    def detail_for(self, message_id: str) -> dict[str, Any] | None:
        return self.event_details.get(message_id, self.default_detail)

    def apply_to(self, standin: Any) -> None:
        """Load these answers into the DataWorks API stand-in (``dwevents invoke`` / ``serve``)."""
        for message_id, detail in self.event_details.items():
            standin.set_event_detail(message_id, detail)
        if self.default_detail is not None:
            standin.set_event_detail(None, self.default_detail)
        for code, ext in self.extensions.items():
            ext = dict(ext)
            standin.set_extension(code, parameter_setting=ext.pop("parameter_setting", None), **ext)
        for (code, project_id), value in self.options.items():
            standin.set_option_value(code, project_id, value)


def read_text(path: Path, what: str) -> str:
    """A text file's content, or a one-line error (missing, a directory, unreadable)."""
    if path.is_dir():
        raise DwEventsError(f"{what} {path}: is a directory, expected a file")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DwEventsError(f"{what} {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise DwEventsError(f"{what} {path}: cannot read ({reason})") from None
