"""Prebuilt core schemas (:mod:`dwevents.models.prebuilt`): used only when fresh, never wrong.

A fresh entry gives the very events pydantic's own schema gives; a stale one (another pydantic-core, a
changed source), a corrupt one or one naming a forbidden global is a miss: the schema is generated again
as without entries. Written into the package's own directory only (a temporary one here).
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from dwevents.catalogue import BY_TYPE
from dwevents.config import Settings
from dwevents.envelope import decode, fast, payload
from dwevents.envelope.payload import payload_entry
from dwevents.models import prebuilt

from ..test_envelope_fast import SAMPLES, assert_same

ROOT = Path(__file__).resolve().parents[2]
SPEC = BY_TYPE["dataworks:InstanceStatusChanges:InstanceStatusChanges"]
SAMPLE = ROOT / "events" / "InstanceStatusChanges" / "instance-status-changes.json"


@pytest.fixture
def entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A process state with no entry remembered, reading and writing ``tmp_path`` (the envelope's
    validators and union start empty as in a new process)."""
    monkeypatch.setattr(prebuilt, "DIRECTORY", tmp_path)
    monkeypatch.setattr(prebuilt, "_memo", {})
    monkeypatch.setattr(prebuilt, "_installed", set())
    monkeypatch.setattr(payload, "_VALIDATORS", {})
    monkeypatch.setattr(fast, "_UNION", fast._Union())
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return tmp_path


def _pydantics(tp: Any) -> Any:
    """The core schema pydantic's own TypeAdapter builds for ``tp``, stripped as entries are."""
    adapter: TypeAdapter[Any] = TypeAdapter(tp)
    adapter.rebuild()
    return prebuilt.strip(adapter.core_schema)


def _one_file(directory: Path) -> Path:
    files = list(directory.glob("*.pickle"))
    assert len(files) == 1, files
    return files[0]


def _rewrite_header(path: Path, change: Any) -> None:
    data = path.read_bytes()
    end = data.index(b"\n", len(prebuilt.MAGIC))
    header = json.loads(data[len(prebuilt.MAGIC) : end])
    change(header)
    path.write_bytes(prebuilt.MAGIC + json.dumps(header).encode() + data[end:])


def test_given_no_entry_when_a_payload_schema_is_needed_then_it_is_generated_and_written(
    entries: Path,
) -> None:
    # GIVEN an empty directory WHEN the payload schema of a type is asked for
    schema, _config = payload.payload_schema(SPEC)
    # THEN it is pydantic's own (without what only JSON Schema / serialization read), and kept
    assert schema == _pydantics(SPEC.model)
    assert prebuilt.load(entries, "type", f"payload:{SPEC.type}") is not None


def test_given_dont_write_bytecode_when_generated_then_nothing_is_written(
    entries: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN PYTHONDONTWRITEBYTECODE's flag WHEN a schema is generated THEN no entry is written (as .pyc)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    payload.payload_schema(SPEC)
    assert list(entries.iterdir()) == []


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(ROOT / "events")))
def test_given_fresh_entries_when_samples_are_decoded_then_the_same_events(path: Path, entries: Path) -> None:
    # GIVEN the events of a sample decoded with schemas pydantic generates (entries written meanwhile)
    raw = path.read_bytes()
    try:
        generated = decode(raw)
    except Exception as exc:
        generated = exc
    assert list(entries.glob("*.pickle")), "no entry was written"
    # WHEN a new process state decodes it from the entries alone
    prebuilt._memo.clear()
    payload._VALIDATORS.clear()
    fast._UNION = fast._Union()
    try:
        loaded = decode(raw)
    except Exception as exc:
        assert type(exc) is type(generated) and str(exc) == str(generated)
        return
    # THEN the same events
    assert not isinstance(generated, Exception)
    assert len(loaded) == len(generated)
    for a, b in zip(loaded, generated, strict=True):
        assert_same(a, b)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(
            lambda h: h.update(tag=h["tag"].replace("pydantic-core-", "pydantic-core-0.0.")), id="other-core"
        ),
        pytest.param(lambda h: h["sources"].update({"models/base.py": "0" * 64}), id="changed-source"),
        pytest.param(lambda h: h.update(name="type:payload:other"), id="other-name"),
    ],
)
def test_given_a_stale_entry_when_loaded_then_it_is_a_miss_and_regenerated(entries: Path, spoil: Any) -> None:
    # GIVEN an entry whose header no longer matches this process
    payload.payload_schema(SPEC)
    path = _one_file(entries)
    _rewrite_header(path, spoil)
    # WHEN loaded THEN it is a miss; asked for again, the schema is generated and the entry rewritten
    assert prebuilt.load(entries, "type", f"payload:{SPEC.type}") is None
    prebuilt._memo.clear()
    schema, _config = payload.payload_schema(SPEC)
    assert schema == _pydantics(SPEC.model)
    assert prebuilt.load(entries, "type", f"payload:{SPEC.type}") is not None


@pytest.mark.parametrize("cut", [0, 10, -20], ids=["empty", "header-cut", "pickle-cut"])
def test_given_a_corrupt_entry_when_loaded_then_it_is_a_miss(entries: Path, cut: int) -> None:
    # GIVEN an entry cut short WHEN loaded THEN a miss, and decoding still gives the event
    payload.payload_schema(SPEC)
    path = _one_file(entries)
    path.write_bytes(path.read_bytes()[:cut])
    assert prebuilt.load(entries, "type", f"payload:{SPEC.type}") is None
    prebuilt._memo.clear()
    assert decode(SAMPLE.read_bytes())[0].type == SPEC.type


def test_given_an_entry_naming_a_forbidden_global_when_loaded_then_it_is_refused_not_run(
    entries: Path,
) -> None:
    # GIVEN a well-formed, fresh-looking entry whose pickle calls os.system
    payload.payload_schema(SPEC)
    path = _one_file(entries)
    data = path.read_bytes()
    end = data.index(b"\n", len(prebuilt.MAGIC))
    marker = entries / "ran"

    class Evil:
        def __reduce__(self) -> tuple[Any, ...]:
            return os.system, (f"touch {marker}",)

    path.write_bytes(data[: end + 1] + pickle.dumps(Evil()))
    # WHEN loaded THEN refused (a miss), and nothing ran
    assert prebuilt.load(entries, "type", f"payload:{SPEC.type}") is None
    assert not marker.exists()


def test_given_a_local_function_in_a_schema_when_generated_then_it_is_used_but_not_kept(
    entries: Path,
) -> None:
    # GIVEN a type validated by a local function (not importable by name)
    from typing import Annotated

    from pydantic import AfterValidator

    def double(value: int) -> int:
        return value * 2

    local = Annotated[int, AfterValidator(double)]
    # WHEN its schema is asked for THEN it validates, and no entry is written
    schema, config = prebuilt.type_schema("local", local)
    from pydantic_core import SchemaValidator

    assert SchemaValidator(schema, config).validate_python(2) == 4
    assert list(entries.glob("*.pickle")) == []


def test_given_fresh_entries_when_a_new_process_loads_settings_and_decodes_then_no_schema_is_generated(
    tmp_path: Path,
) -> None:
    # GIVEN the entries of Settings and of a payload, written into a directory
    written = prebuilt.write([prebuilt.model_entry(Settings), payload_entry(SPEC)], tmp_path)
    assert len(written) == 2
    probe = f"""
import json, sys
from pathlib import Path
from dwevents.models import prebuilt
prebuilt.DIRECTORY = Path({str(tmp_path)!r})
import dwevents.config
from pydantic._internal import _generate_schema
calls = []
GS = _generate_schema.GenerateSchema
original = GS.generate_schema
GS.generate_schema = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
environ = {{"DWEVENTS_EXTENSION_CODE": "x", "DWEVENTS_ALLOWED_ACCOUNTS": "1"}}
settings = dwevents.config.load_settings(environ=environ)
from dwevents.envelope import decode
events = decode(Path({str(SAMPLE)!r}).read_bytes())
trust = settings.trust
print(json.dumps({{"calls": len(calls), "code": settings.extension.code, "accounts": trust.allowed_accounts,
                  "sources": trust.allowed_sources, "type": events[0].type}}))
"""
    # WHEN a new process loads its settings and decodes one event
    env = {k: v for k, v in os.environ.items() if not k.startswith("DWEVENTS_")}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # THEN pydantic generated no schema, and the settings and event are what they are without entries
    assert result == {
        "calls": 0,
        "code": "x",
        "accounts": ["1"],
        "sources": ["acs.dataworks"],
        "type": SPEC.type,
    }


def test_given_installed_validators_when_settings_are_validated_then_as_pydantic_validates(
    entries: Path,
) -> None:
    # GIVEN the Settings entry (written by one state, loaded by another)
    prebuilt.write([prebuilt.model_entry(Settings)], entries)
    entry = prebuilt.load(entries, *prebuilt.model_entry(Settings)[:2])
    # WHEN its validators validate good and bad settings THEN the results equal pydantic's own
    models = entry["models"]
    from pydantic_core import SchemaValidator, ValidationError

    validator = SchemaValidator(*models[Settings])
    good = {"extension": {"fail_mode": "fail"}, "trust": {"allowed_accounts": ["1"]}}
    assert validator.validate_python(good) == Settings.model_validate(good)
    bad = {"idempotency": {"ttl_seconds": 1}, "nope": 1}
    with pytest.raises(ValidationError) as ours:
        validator.validate_python(bad)
    with pytest.raises(ValidationError) as theirs:
        Settings.model_validate(bad)
    assert ours.value.errors(include_url=False) == theirs.value.errors(include_url=False)
