"""The real Serverless Devs CLI renders s.yaml (``s preview``) exactly as dwevents.deploy.syaml does.

``s preview`` needs neither credentials nor the fc3 component (it only renders the YAML), so it runs
offline. The CLI's background daemons (update check, analytics) are switched off through a throw-away
HOME, and when this machine allows it the command runs in a network namespace with no network at all,
which proves the point. Install: ``npm install -g @serverless-devs/s`` (3.x).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from dwevents.catalogue import CATEGORIES
from dwevents.deploy.syaml import load_syaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_ENV = {
    "DWEVENTS_ROLE_ARN": "acs:ram::1234567890123456:role/dwevents-fc",
    "DWEVENTS_DLQ_ARN": "acs:mns:cn-hangzhou:1234567890123456:/queues/dwevents-dlq/messages",
    "DWEVENTS_EXTENSION_CODE": "ext-code-from-env",
}


def _s_binary() -> str:
    found = shutil.which("s")
    if found:
        return found
    message = "Serverless Devs CLI `s` not on PATH (npm install -g @serverless-devs/s)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _offline_prefix() -> list[str]:
    """``unshare -n`` (no network at all) where this machine lets us create a namespace."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, check=False)
    return [unshare, "-n"] if probe.returncode == 0 else []


def _quiet_home(home: Path) -> None:
    """No analytics report, no 'is there a newer s' check: the daemons that would go online."""
    config = home / ".s" / "config"
    config.mkdir(parents=True)
    (home / ".s" / "set-config.yml").write_text("analysis: disable\n")
    (config / "update-notifier.json").write_text(
        json.dumps(
            {"output": False, "current": "0", "latest": "0", "lastUpdateCheck": int(time.time() * 1000)}
        )
    )


def s_preview(tmp_path: Path, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    binary = _s_binary()
    home = tmp_path / "home"
    _quiet_home(home)
    environ = {key: value for key, value in os.environ.items() if not key.startswith("DWEVENTS_")}
    environ.update(HOME=str(home), serverless_devs_config_home=str(home), NO_COLOR="1", **extra_env)
    return subprocess.run(
        [*_offline_prefix(), binary, "preview", "-t", "s.yaml", "-o", "json", "--silent"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    done = s_preview(tmp_path_factory.mktemp("s-preview"), DEPLOY_ENV)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    doc: dict[str, Any] = json.loads(done.stdout[done.stdout.index("{") :])
    return doc


def test_preview_renders_every_function(rendered: dict[str, Any]) -> None:
    assert rendered["edition"] == "3.0.0" and rendered["name"] == "dwevents"
    resources = rendered["resources"]
    assert sorted(resources) == sorted(CATEGORIES)
    for name, resource in resources.items():
        props = resource["props"]
        assert resource["component"] == "fc3"
        assert props["functionName"].startswith("dwevents-"), name
        assert props["code"] == f"./.s/build/{name}"
        # `s preview` leaves ${config('AccountID')} (the `access` credential's account) for `s deploy`;
        # it appears only in the layer ARNs, nothing else stays unrendered
        layers = props.get("layers") or []
        assert layers and all(
            arn.startswith("acs:fc:cn-hangzhou:${config('AccountID')}:layers/") for arn in layers
        )
        assert all(arn.endswith("/versions/1") for arn in layers)
        assert "${" not in json.dumps({k: v for k, v in props.items() if k != "layers"}), name
        assert "${" not in json.dumps([a.replace("${config('AccountID')}", "") for a in layers]), name
        assert "triggers" not in props, name  # every rule comes from the bus tool
    assert sorted(rendered["vars"]["patterns"]) == sorted(CATEGORIES)
    environment = resources["NodeChange"]["props"]["environmentVariables"]
    assert environment["DWEVENTS_EXTENSION_CODE"] == "ext-code-from-env"
    # `s preview` leaves ${config('AccountID')} for `s deploy` to expand from the `access` credential
    [post] = rendered["actions"]["success-deploy"]
    assert post["run"].endswith("--account-id ${config('AccountID')}")
    [undo] = rendered["actions"]["pre-remove"]
    assert undo["run"] == "python3 -m dwevents.deploy.bus undo --syaml s.yaml"


def test_load_syaml_renders_exactly_like_s(rendered: dict[str, Any]) -> None:
    """The emulator, the build and the bus tool see the props `s deploy` will send."""
    declared = load_syaml(ROOT / "s.yaml", environ=DEPLOY_ENV)
    ours = {decl.resource: decl.props for decl in declared.functions}
    theirs = {name: resource["props"] for name, resource in rendered["resources"].items()}
    for name in theirs:
        assert ours[name] == theirs[name], name
    assert declared.vars == rendered["vars"]
    assert declared.actions == rendered["actions"]
    for decl in declared.functions:  # every function's pattern is the one vars declaration `s` renders
        assert decl.pattern == json.loads(rendered["vars"]["patterns"][decl.category]), decl.resource
        assert decl.default_bus_trigger is ("triggers" in rendered["resources"][decl.resource]["props"])


def test_a_fresh_clone_previews_with_no_variable_set(tmp_path: Path) -> None:
    """No DWEVENTS_* variable at all: `s preview` renders (the defaults are placeholders the preflight
    refuses at deploy time, see test_preflight.py)."""
    done = s_preview(tmp_path, {})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    doc = json.loads(done.stdout[done.stdout.index("{") :])
    assert doc["vars"]["roleArn"] == "" and doc["vars"]["dlqArn"] == "" and doc["vars"]["tenantBus"] == "both"
    assert sorted(doc["resources"]) == sorted(CATEGORIES)
