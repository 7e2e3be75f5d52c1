"""The pre-deploy preflight (``python -m dwevents.deploy.preflight``): a fresh clone previews with no
variable set, and ``s deploy`` is refused — one line per problem, naming what to set — until the
placeholders that cannot deploy are replaced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLE = "acs:ram::1234567890123456:role/dwevents-fc"


def preflight(**variables: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DWEVENTS_", "ALIBABA_CLOUD", "FC_"))}
    environ.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "dwevents.deploy.preflight", "--syaml", "s.yaml"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_fresh_clone_is_refused_naming_the_role_variable() -> None:
    done = preflight()
    assert done.returncode == 2
    assert (
        "preflight: no execution role: export DWEVENTS_ROLE_ARN=acs:ram::<account>:role/<name>" in done.stderr
    )
    assert "Traceback" not in done.stderr


def test_a_role_is_all_a_deploy_needs() -> None:
    done = preflight(DWEVENTS_ROLE_ARN=ROLE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "preflight: ok"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DWEVENTS_ROLE_ARN": "acs:ram::x:user/me"}, "is not a RAM role ARN"),
        ({"DWEVENTS_DLQ_ARN": "https://mns.example/queue"}, "is not an MNS queue"),
        ({"DWEVENTS_TENANT_BUS": "all"}, "tenantBus 'all' is not one of both, custom, default"),
        ({"FC_REGION": "cn-beijing"}, "$FC_REGION=cn-beijing differs from s.yaml vars.region=cn-hangzhou"),
    ],
)
def test_each_unusable_setting_is_one_line(variables: dict[str, str], message: str) -> None:
    done = preflight(**{"DWEVENTS_ROLE_ARN": ROLE, **variables})
    assert done.returncode == 2
    problems = [line for line in done.stderr.splitlines() if not line.endswith("(docs/deploy.md)")]
    assert len(problems) == 1 and message in problems[0], done.stderr
