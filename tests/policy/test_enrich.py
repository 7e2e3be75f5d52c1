"""dwevents.policy.enrich: DataWorks' extension parameters, and enrichment (GetExtension /
GetIDEEventDetail / GetOptionValueForProject) only when needed, against the stand-in."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dwevents.local.dataworks.server import DataWorksApiStandIn
from dwevents.policy import (
    Enricher,
    ExtensionParamCache,
    disabled_by_params,
    parse_parameter_setting,
)
from dwevents.runtime import FunctionApp
from dwevents.verdict import CheckResult

from ..conftest import SAMPLE_ACCOUNT, load_sample
from .conftest import (
    COMMIT,
    DOWNLOAD,
    EXT,
    actions,
    engine,
    event,
    rule,
    rules_yaml,
)

# --------------------------------------------------------------------------------------------
# DataWorks' extension parameters
# --------------------------------------------------------------------------------------------


def test_parse_parameter_setting_last_wins_and_append_extends() -> None:
    text = """
    # comment line
    extension.project.disabled=1
    extension.project.disabled = 2,3
    extension.project.disabled.append=42
    extension.project.commit-file.disabled.append=7
    not a setting
    extension.note=a=b
    """
    assert parse_parameter_setting(text) == {
        "extension.project.disabled": "2,3,42",
        "extension.project.commit-file.disabled": "7",
        "extension.note": "a=b",
    }


@pytest.mark.parametrize(
    ("setting", "disabled"),
    [
        ("extension.project.disabled=41,42", "disabled for workspace 42 (extension.project.disabled)"),
        ("extension.project.disabled=41, 43", None),
        (
            "extension.project.disabled=1\nextension.project.disabled.append=42",
            "(extension.project.disabled)",
        ),
        ("extension.project.commit-file.disabled=42", "(extension.project.commit-file.disabled)"),
        (
            "extension.project.commit-file.disabled=1\nextension.project.commit-file.disabled.append=42",
            "commit-file checks are disabled for workspace 42",
        ),
        ("extension.project.deploy-file.disabled=42", None),
        ("extension.fileType.10.commit-file.enabled=false", "disabled for file type 10"),
        ("extension.fileType.10.commit-file.enabled=true", None),
        ("extension.fileType.11.commit-file.enabled=true", "enabled only for other file types"),
        ("extension.fileType.11.deploy-file.enabled=true", None),
    ],
)
def test_given_extension_parameters_when_they_cover_the_event_then_the_check_is_off(
    setting: str, disabled: str | None
) -> None:
    why = disabled_by_params(parse_parameter_setting(setting), event(COMMIT))
    if disabled is None:
        assert why is None
    else:
        assert why is not None and disabled in why


def test_given_a_disabled_workspace_when_a_rule_would_fail_then_ok_from_extension_params(
    standin: DataWorksApiStandIn, online: Callable[..., Enricher]
) -> None:
    standin.set_extension(EXT, parameter_setting="extension.project.commit-file.disabled=42")
    eng = engine(rule("code", ["commit-file"], {"code": {"deny": ["."]}}))
    verdict = eng.evaluate(event(COMMIT), online())
    assert verdict.result is CheckResult.OK and verdict.origin == "extension-params"
    assert verdict.tip.startswith("dwevents: commit-file checks are disabled for workspace 42")
    # GetExtension only once a rule would WARN or FAIL; the workspace's parameters then win
    assert actions(standin) == ["GetIDEEventDetail", "GetExtension"]


# --------------------------------------------------------------------------------------------
# enrichment only when needed, GetExtension cached
# --------------------------------------------------------------------------------------------


@pytest.fixture()
def ext_app(standin: DataWorksApiStandIn, tmp_path: Path) -> Iterator[Callable[..., FunctionApp]]:
    def make(rules: str, category: str = "FileChange", config: str | None = None) -> FunctionApp:
        path = tmp_path / "rules.yaml"
        path.write_text(rules)
        environ = {
            **standin.client_env(),
            "DWEVENTS_EXTENSION_CODE": EXT,
            "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
            "DWEVENTS_RULES": str(path),
        }
        if config is not None:
            (tmp_path / "config.yaml").write_text(config)
            environ["DWEVENTS_CONFIG"] = str(tmp_path / "config.yaml")
        return FunctionApp(category, environ=environ)

    yield make


def test_given_no_rule_for_the_event_when_handled_then_no_lookup_reaches_dataworks(
    standin: DataWorksApiStandIn, ext_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = ext_app(rules_yaml(rule("deploy-only", ["deploy-file"], {"code": {"deny": ["."]}})))
    [result] = app.process(json.dumps(load_sample(COMMIT)).encode(), fc_context()).events
    assert result.verdict is not None and result.verdict.result == "OK"
    assert actions(standin) == ["UpdateIDEEventResult"]


def test_given_only_a_limit_rule_when_handled_then_no_code_snapshot_is_fetched(
    standin: DataWorksApiStandIn, ext_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = ext_app(
        rules_yaml(rule("rows", ["download-resources"], {"limit": {"field": "download_rows", "max": 1}})),
        category="ResourcesDownload",
    )
    [result] = app.process(json.dumps(load_sample(DOWNLOAD)).encode(), fc_context()).events
    assert result.verdict is not None and result.verdict.result == "FAIL"
    assert actions(standin) == ["GetExtension", "CallbackExtension"]


def _three_commits() -> list[bytes]:
    out = []
    for i in range(3):
        doc = copy.deepcopy(load_sample(COMMIT))
        doc["id"] = f"commit-{i}"
        out.append(json.dumps(doc).encode())
    return out


def test_given_several_events_when_handled_then_get_extension_is_called_once_within_the_ttl(
    standin: DataWorksApiStandIn, ext_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = ext_app(rules_yaml(rule("code", ["commit-file"], {"code": {"deny": ["select"]}})))
    for raw in _three_commits():
        app.process(raw, fc_context())
    assert actions(standin).count("GetExtension") == 1
    assert actions(standin).count("GetIDEEventDetail") == 3  # the snapshot is per message
    assert len(standin.verdicts) == 3


def test_given_a_zero_ttl_when_several_events_are_handled_then_get_extension_is_called_each_time(
    standin: DataWorksApiStandIn, ext_app: Callable[..., FunctionApp], fc_context: Any
) -> None:
    app = ext_app(
        rules_yaml(rule("code", ["commit-file"], {"code": {"deny": ["select"]}})),
        config="extension:\n  extension_params_cache_seconds: 0\n",
    )
    for raw in _three_commits():
        app.process(raw, fc_context())
    assert actions(standin).count("GetExtension") == 3


def test_extension_param_cache_expires_after_the_ttl() -> None:
    now = [100.0]
    cache = ExtensionParamCache(ttl_s=300, clock=lambda: now[0])
    cache.put(EXT, {"a": "1"})
    now[0] += 299.9
    assert cache.get(EXT) == {"a": "1"}
    now[0] += 0.2
    assert cache.get(EXT) is None
    assert cache.get("other") is None


def test_given_one_enricher_when_the_detail_is_needed_twice_then_it_is_fetched_once(
    standin: DataWorksApiStandIn, online: Callable[..., Enricher]
) -> None:
    ev = event(COMMIT)
    eng = engine(
        rule("a", ["commit-file"], {"code": {"deny": ["drop"]}}),
        rule("b", ["commit-file"], {"code": {"require": ["select"]}}, verdict="WARN"),
    )
    enricher = online()
    assert eng.evaluate(ev, enricher).result is CheckResult.OK
    assert enricher.calls == ["GetIDEEventDetail"]  # every rule passes: no GetExtension
    assert actions(standin) == ["GetIDEEventDetail"]


