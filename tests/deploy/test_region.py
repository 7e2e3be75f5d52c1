"""One region for every deploy tool (dwevents/deploy/region.py): ``--region`` when given, else s.yaml
``vars.region`` (what ``s deploy`` uses); ``DWEVENTS_REGION`` / ``ALIBABA_CLOUD_REGION_ID`` / ``FC_REGION``
never win silently. The bus tool, ``dwevents invoke --remote`` and ``dwevents doctor`` are run with each
override and must agree."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from dwevents.cli import main as dwevents
from dwevents.deploy import bus
from dwevents.deploy.region import KNOWN_REGIONS, REGION_VARIABLES, resolve_region
from dwevents.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SYAML = str(ROOT / "s.yaml")
EVENT = str(ROOT / "events" / "FileChange")


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        *REGION_VARIABLES,
        "ALIBABA_CLOUD_ACCOUNT_ID",
        "FC_ACCOUNT_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


def bus_region(*extra: str) -> tuple[int, str]:
    """The region the bus tool's offline plan puts in the target ARNs (or its one-line error)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code = bus.run(
            ["plan", "--offline", "--json", "--syaml", SYAML, "--account-id", "1", *extra], out=out, err=err
        )
    except ConfigError as exc:
        return 2, str(exc)
    return code, json.loads(out.getvalue())[0]["targets"][0]["endpoint"].split(":")[2]


def doctor_region(*extra: str) -> tuple[int, str]:
    out = io.StringIO()
    code = dwevents(["doctor", "--syaml", SYAML, "--json", *extra], out=out)
    checks = json.loads(out.getvalue())["checks"]
    return code, checks[0]["found"]


def invoke_region(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = dwevents(["invoke", "--remote", "--syaml", SYAML, EVENT, *extra], out=io.StringIO())
    return code, capsys.readouterr().err


def test_syaml_region_is_the_default_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    assert bus_region() == (0, "cn-hangzhou")
    code, found = doctor_region()
    assert found == "cn-hangzhou (s.yaml vars.region)"
    # invoke --remote gets past the region to the credentials it then lacks
    code, err = invoke_region(capsys)
    assert code == 2 and "no credentials" in err


def test_cli_region_wins_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    assert bus_region("--region", "cn-shanghai") == (0, "cn-shanghai")
    assert doctor_region("--region", "cn-shanghai")[1] == "cn-shanghai (--region)"
    code, err = invoke_region(capsys, "--region", "cn-shanghai")
    assert code == 2 and "no credentials" in err


@pytest.mark.parametrize("variable", REGION_VARIABLES)
def test_a_region_variable_that_differs_is_an_error_naming_both_values(
    variable: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, "cn-beijing")
    message = f"${variable}=cn-beijing differs from s.yaml vars.region=cn-hangzhou"
    code, text = bus_region()
    assert code == 2 and message in text
    code, text = doctor_region()
    assert code == 1 and message in text
    code, err = invoke_region(capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("variable", REGION_VARIABLES)
def test_a_region_variable_that_agrees_is_fine(variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, "cn-hangzhou")
    assert bus_region() == (0, "cn-hangzhou")
    assert doctor_region()[1] == "cn-hangzhou (s.yaml vars.region)"


def test_a_variable_also_disagreeing_with_cli_region_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FC_REGION", "cn-hangzhou")
    code, text = bus_region("--region", "cn-shanghai")
    assert code == 2 and "$FC_REGION=cn-hangzhou differs from --region=cn-shanghai" in text


def test_unknown_and_missing_regions() -> None:
    with pytest.raises(ConfigError, match=r"unknown region 'cn-hangzou' \(from s.yaml vars.region\)"):
        resolve_region(None, "cn-hangzou", environ={})
    with pytest.raises(ConfigError, match=r"no region: set vars\.region in s\.yaml"):
        resolve_region(None, "${env('REGION')}", environ={})
    assert resolve_region(None, "eu-central-1", environ={}).name == "eu-central-1"
    assert "cn-hangzhou" in KNOWN_REGIONS and len(KNOWN_REGIONS) == len(set(KNOWN_REGIONS))
