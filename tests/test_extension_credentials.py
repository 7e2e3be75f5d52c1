"""STS credentials rotate during an FC instance's life: each verdict is signed with the current ones."""

from __future__ import annotations

import json
from typing import Any

from dwevents.local.fc_context import ContextCredentials, FunctionMeta, LocalContext
from dwevents.runtime import FunctionApp

from .conftest import SAMPLE_ACCOUNT, load_sample


def _event(message_id: str) -> bytes:
    event = load_sample("NodeChange/freeze-node")
    event["id"] = message_id
    return json.dumps(event).encode()


def test_given_rotated_environment_credentials_then_the_next_verdict_uses_them(standin: Any) -> None:
    # GIVEN a function running with one set of keys (python3.12: credentials come from the environment)
    standin.add_credentials("LTAI-rotated", "rotated-secret", "sts-token-2")
    environ = {
        **standin.client_env(),
        "DWEVENTS_EXTENSION_CODE": "ext",
        "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
    }
    app = FunctionApp("NodeChange", environ=environ)
    context = LocalContext(function=FunctionMeta(name="f", timeout=20), account_id=SAMPLE_ACCOUNT)
    first = app.process(_event("rotation-1"), context).events[0]
    # WHEN FC rotates the role's STS credentials
    environ.update(
        {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-rotated",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "rotated-secret",
            "ALIBABA_CLOUD_SECURITY_TOKEN": "sts-token-2",
        }
    )
    second = app.process(_event("rotation-2"), context).events[0]
    # THEN both verdicts are acknowledged, each signed with the keys current at the time
    assert (
        first.verdict and first.verdict.acknowledged and second.verdict and second.verdict.acknowledged
    )
    signers = {v.message_id: v.access_key_id for v in standin.verdicts}
    assert signers["rotation-2"] == "LTAI-rotated" and signers["rotation-1"] != "LTAI-rotated"


def test_given_python310_context_credentials_then_they_win_over_the_environment(standin: Any) -> None:
    # GIVEN stale keys in the environment but fresh ones in the python3.10 context
    standin.add_credentials("LTAI-context", "context-secret", "ctx-token")
    environ = {
        **standin.client_env(),
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "stale-wrong-secret",
        "DWEVENTS_EXTENSION_CODE": "ext",
        "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
    }
    app = FunctionApp("NodeChange", environ=environ)
    context = LocalContext(
        function=FunctionMeta(name="f", timeout=20),
        account_id=SAMPLE_ACCOUNT,
        credentials=ContextCredentials("LTAI-context", "context-secret", "ctx-token"),
    )
    # WHEN it answers THEN the context's credentials signed the verdict and DataWorks accepted it
    result = app.process(_event("ctx-creds"), context).events[0]
    assert result.verdict and result.verdict.acknowledged is True
    assert [v.access_key_id for v in standin.verdicts] == ["LTAI-context"]


def test_given_an_endpoint_only_in_the_config_file_then_no_region_is_needed(
    standin: Any, tmp_path: Any
) -> None:
    # GIVEN the DataWorks endpoint in the config file (extension.dataworks), credentials in the environment,
    # and no region anywhere: not in the environment, not in the context
    config = tmp_path / "dwevents.yaml"
    config.write_text(
        f"extension:\n  code: ext\n  dataworks:\n    endpoint: {standin.endpoint}\n    protocol: http\n",
        encoding="utf-8",
    )
    environ = {
        "DWEVENTS_CONFIG": str(config),
        "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-dwevents-local",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "dwevents-local-secret",
    }
    app = FunctionApp("NodeChange", environ=environ)
    context = LocalContext(function=FunctionMeta(name="f", timeout=20), account_id=SAMPLE_ACCOUNT)
    context.region = ""
    # WHEN an extension event is answered
    result = app.process(_event("config-endpoint"), context).events[0]
    # THEN the config file's endpoint was applied before the settings were checked: the verdict arrived
    assert result.verdict and result.verdict.acknowledged is True, result.error
    assert [v.message_id for v in standin.verdicts] == ["config-endpoint"]
