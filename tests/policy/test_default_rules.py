"""The shipped default rules: ``data/rules/default.json`` is ``default.yaml`` parsed, and is what loads."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

from dwevents.policy import PolicyEngine
from dwevents.policy.engine import DEFAULT_RULES_JSON
from dwevents.schema import load_yaml

REWRITE = (
    "python3 -c \"import json; from dwevents.schema import load_yaml; "
    "p='shared/dwevents/data/rules/default'; "
    "open(p + '.json', 'w').write(json.dumps(load_yaml(open(p + '.yaml').read(), "
    "source='default.yaml'), ensure_ascii=False, indent=2) + '\\n')\""
)


def test_the_json_default_is_the_yaml_default_parsed() -> None:
    """GIVEN the default rules as YAML (the file people read and edit) and as JSON (what loads), THEN
    the JSON is the YAML parsed by the loader every rules file goes through."""
    package = resources.files("dwevents")
    from_yaml = load_yaml(package.joinpath("data/rules/default.yaml").read_text("utf-8"), source="default")
    from_json = json.loads(package.joinpath(DEFAULT_RULES_JSON).read_text("utf-8"))
    assert from_json == from_yaml, f"default.json is stale: rewrite it with\n{REWRITE}"


def test_the_default_engine_has_the_yaml_rules() -> None:
    """GIVEN no rules file, WHEN the engine loads, THEN it holds the rules of default.yaml, in order."""
    package = resources.files("dwevents")
    expected = load_yaml(package.joinpath("data/rules/default.yaml").read_text("utf-8"), source="default")
    assert [r.rule.name for r in PolicyEngine.load().rules] == [r["name"] for r in expected["rules"]]


def test_loading_the_default_rules_imports_no_yaml_parser() -> None:
    """GIVEN a new process, WHEN the default rules load, THEN PyYAML is not imported (its import alone
    cost an extension-capable function's cold start tens of milliseconds)."""
    code = (
        "import sys\nfrom dwevents.policy import PolicyEngine\n"
        "PolicyEngine.load()\nprint('yaml' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
