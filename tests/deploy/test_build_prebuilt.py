"""The build writes each function's prebuilt core schemas into its artifact (:mod:`dwevents.deploy.prebuilt`).

Assembled here with this host's interpreter as the target and stand-in layers (pydantic then comes from
this host's site-packages, as it would from the deps layer): the entries are in the function's own
``dwevents/models/_prebuilt``, BUILD-INFO counts them, the source tree's own entries are not copied, and
a new process with only the tree first on ``sys.path`` finds them fresh (no schema generation).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dwevents.catalogue import specs_for_category
from dwevents.config import Settings
from dwevents.deploy.build import BUILD_INFO, assemble
from dwevents.deploy.layers import LAYERS_DIR, LayerBuild
from dwevents.models import prebuilt

ROOT = Path(__file__).resolve().parents[2]
CATEGORY = "InstanceStatusChanges"
SAMPLE = ROOT / "events" / CATEGORY / "instance-status-changes.json"
HOST = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _layer(tmp_path: Path) -> LayerBuild:
    path = tmp_path / LAYERS_DIR / "fake-deps"
    (path / "python").mkdir(parents=True, exist_ok=True)
    return LayerBuild("fake-deps", "deps", path, HOST, 0, 1, [])


def test_given_a_target_python_when_assembled_then_the_artifact_has_fresh_entries(tmp_path: Path) -> None:
    # GIVEN a function assembled with a target interpreter
    dest = tmp_path / "out" / CATEGORY
    assemble(CATEGORY, ROOT / "functions" / CATEGORY, dest, sys.executable, HOST, False, [_layer(tmp_path)])
    # THEN its entries (Settings, the generic payload, each payload of its category) are in its own tree
    entries = sorted((dest / "dwevents" / "models" / "_prebuilt").glob("*.pickle"))
    expected = 2 + len(specs_for_category(CATEGORY))
    assert len(entries) == expected
    assert json.loads((dest / BUILD_INFO).read_text())["prebuilt_schemas"] == expected
    # WHEN a new process with only the tree first on sys.path loads settings and decodes an event
    probe = f"""
import json, sys
sys.path.insert(0, {str(dest)!r})
from pathlib import Path
import dwevents.config
from pydantic._internal import _generate_schema
calls = []
GS = _generate_schema.GenerateSchema
original = GS.generate_schema
GS.generate_schema = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
dwevents.config.load_settings(environ={{"DWEVENTS_EXTENSION_CODE": "x"}})
from dwevents.envelope import decode
event = decode(Path({str(SAMPLE)!r}).read_bytes())[0]
print(json.dumps({{"calls": len(calls), "from": sys.modules["dwevents"].__file__, "type": event.type}}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DWEVENTS_", "PYTHON"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # the artifact is read-only in FC: nothing may need writing
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # THEN the entries were fresh: pydantic generated no schema
    assert result["from"].startswith(str(dest))
    assert result["calls"] == 0
    assert result["type"].startswith("dataworks:InstanceStatusChanges")


def test_given_no_target_interpreter_when_assembled_then_no_entries_and_none_copied(tmp_path: Path) -> None:
    # GIVEN entries in the source tree (written by this process)
    prebuilt.write([prebuilt.model_entry(Settings)])
    assert list(prebuilt.DIRECTORY.glob("*.pickle"))
    # WHEN assembled without a target interpreter
    dest = tmp_path / "out" / CATEGORY
    assemble(CATEGORY, ROOT / "functions" / CATEGORY, dest, None, "3.12", False, [_layer(tmp_path)])
    # THEN the host's entries are not shipped (another Python may run it) and BUILD-INFO says none
    assert not (dest / "dwevents" / "models" / "_prebuilt").exists()
    assert json.loads((dest / BUILD_INFO).read_text())["prebuilt_schemas"] == 0
