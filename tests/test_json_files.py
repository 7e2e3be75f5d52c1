"""Config and rules files written as JSON (``*.json``): read without the YAML parser, same errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dwevents.config import load_settings
from dwevents.errors import ConfigError
from dwevents.policy import PolicyEngine
from dwevents.schema import load_yaml

RULES_YAML = """
version: 1
rules:
  - name: no-drop
    events: [commit-file]
    check:
      code:
        deny: ['drop\\s+table']
    verdict: FAIL
    tip: "DROP TABLE at line {line_no}"
"""


def test_given_a_rules_file_as_json_then_it_loads_the_rules_its_yaml_twin_does(tmp_path: Path) -> None:
    """GIVEN the same rules as YAML and as JSON, WHEN both load, THEN the engines hold the same rules."""
    (tmp_path / "rules.yaml").write_text(RULES_YAML, encoding="utf-8")
    data = load_yaml(RULES_YAML, source="rules.yaml")
    (tmp_path / "rules.json").write_text(json.dumps(data), encoding="utf-8")
    from_yaml = PolicyEngine.load(tmp_path / "rules.yaml")
    from_json = PolicyEngine.load(tmp_path / "rules.json")
    assert [r.rule for r in from_json.rules] == [r.rule for r in from_yaml.rules]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"version": 1,\n "rules": [}', "not valid JSON at line 2"),
        ("[1, 2]", "expected a mapping with 'rules'"),
        ('{"version": 1, "rules": [{"name": "x"}]}', "rules[0] (x)"),
    ],
)
def test_given_a_bad_json_rules_file_then_one_config_error_names_the_file_and_what(
    tmp_path: Path, text: str, message: str
) -> None:
    """GIVEN a JSON rules file that is not JSON, not a mapping, or not valid rules, THEN a ConfigError
    names the file and the problem (the line, the rule)."""
    path = tmp_path / "rules.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        PolicyEngine.load(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_given_a_config_file_as_json_then_its_settings_load_and_errors_name_the_key(tmp_path: Path) -> None:
    """GIVEN a JSON config file, THEN its values are the settings; a mistake names file and key."""
    path = tmp_path / "dwevents.json"
    path.write_text(json.dumps({"trust": {"allowed_accounts": ["1234567890123456"]}}), encoding="utf-8")
    assert load_settings(path, environ={}).trust.allowed_accounts == ["1234567890123456"]
    path.write_text(json.dumps({"trust": {"allowed_acounts": []}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"trust\.allowed_acounts: unknown key"):
        load_settings(path, environ={})


def test_given_json_files_then_no_yaml_parser_is_imported(tmp_path: Path) -> None:
    """GIVEN a config and a rules file as JSON, WHEN a new process loads both, THEN PyYAML is not
    imported (its import alone cost a cold start tens of milliseconds)."""
    (tmp_path / "dwevents.json").write_text('{"trust": {"allowed_accounts": ["1"]}}', encoding="utf-8")
    (tmp_path / "rules.json").write_text(json.dumps(load_yaml(RULES_YAML, source="r")), encoding="utf-8")
    code = (
        "import sys\nfrom dwevents.config import load_settings\nfrom dwevents.policy import PolicyEngine\n"
        f"load_settings({str(tmp_path / 'dwevents.json')!r}, environ={{}})\n"
        f"PolicyEngine.load({str(tmp_path / 'rules.json')!r})\nprint('yaml' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
