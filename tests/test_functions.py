"""functions/<category>/index.py: one thin FC handler per catalogue category."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dwevents.catalogue import CATEGORIES, Kind, ReplyApi, specs_for_category
from dwevents.testing import Client

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"


def _index(category: str) -> str:
    return str(FUNCTIONS / category / "index.py")


def test_there_is_one_function_per_category_and_no_other() -> None:
    assert sorted(p.name for p in FUNCTIONS.iterdir() if p.is_dir()) == sorted(CATEGORIES)


@pytest.mark.parametrize("category", CATEGORIES)
def test_given_a_function_when_imported_fresh_then_it_exposes_fc_entry_points_and_no_cloud_sdk(
    category: str,
) -> None:
    # GIVEN a clean interpreter WHEN the handler module is imported THEN handler/initialize exist and no
    # cloud SDK was imported (cold start: regular paths never pay for it; extension ones in initialize).
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('index', {_index(category)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "assert callable(m.handler) and callable(m.initialize)\n"
        "heavy = sorted(n for n in sys.modules if n.split('.')[0] in "
        "('alibabacloud_dataworks_public20200518', 'Tea', 'aiohttp', 'requests', 'redis'))\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


@pytest.mark.parametrize(
    "category", [c for c in CATEGORIES if all(s.kind is Kind.REGULAR for s in specs_for_category(c))]
)
def test_given_a_regular_only_function_when_it_handles_an_event_then_the_sdk_is_never_imported(
    category: str,
) -> None:
    sample = next((ROOT / "events" / category).glob("*.json"))
    code = (
        "import importlib.util, sys, json\n"
        "from dwevents.local.fc_context import FunctionMeta, LocalContext\n"
        f"spec = importlib.util.spec_from_file_location('index', {_index(category)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "ctx = LocalContext(function=FunctionMeta(name='f'), account_id='1234567890123456')\n"
        "m.initialize(ctx)\n"
        f"out = json.loads(m.handler(open({str(sample)!r}, 'rb').read(), ctx))\n"
        "assert out['events'][0]['outcome'] == 'processed', out\n"
        "print(any(n.startswith('alibabacloud') for n in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DWEVENTS_LOG_LEVEL": "WARNING",
            **{k: v for k, v in __import__("os").environ.items() if k.startswith("PYTHON")},
        },
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize("category", CATEGORIES)
def test_given_each_function_when_every_sample_of_its_category_is_invoked_then_each_is_processed(
    category: str,
) -> None:
    # GIVEN the function as FC loads it, with the DataWorks stand-in and the shipped default rules
    with Client.for_function(FUNCTIONS / category) as client:
        for spec in specs_for_category(category):
            # WHEN the sample of each of its event types is delivered
            response = client.invoke(spec.event_code)
            # THEN it is processed; an extension point got one acknowledged verdict through its API
            assert response.error is None and response.outcome == "processed", response.event.error
            verdict = response.verdict
            if spec.is_extension:
                assert verdict is not None and verdict.acknowledged and verdict.api is spec.reply_api
            else:
                assert verdict is None
        api_verdicts = [s for s in specs_for_category(category) if s.is_extension]
        assert len(client.verdicts) == len(api_verdicts)
        assert all(v.action != ReplyApi.RETURN.value for v in client.verdicts)
