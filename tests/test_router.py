"""Reactions and deciders: keys checked at registration against the catalogue and the function's category."""

from __future__ import annotations

from typing import Any

import pytest

from dwevents.catalogue import lookup
from dwevents.errors import ConfigError
from dwevents.router import Router, specs_of_key
from dwevents.runtime import FunctionApp


@pytest.mark.parametrize(
    ("key", "closest"),
    [
        ("DeployFiel", "dataworks:FileChange:DeployFile"),
        ("FileChnage", "FileChange"),
        ("deploy-fiel", "deploy-file"),
    ],
)
def test_given_a_typo_when_registering_then_the_error_names_the_closest_valid_key(
    key: str, closest: str
) -> None:
    router = Router("FileChange")
    # WHEN a reaction is registered under a misspelt key THEN registration fails at once, with a hint
    with pytest.raises(ConfigError, match=f"did you mean '{closest}'"):
        router.on(key)


def test_given_another_categorys_event_when_registering_then_the_error_names_its_function() -> None:
    router = Router("FileChange")
    with pytest.raises(ConfigError, match="'freeze-node' belongs to the NodeChange function, not FileChange"):
        router.on("freeze-node")
    with pytest.raises(ConfigError, match="belongs to the NodeChange function"):
        router.on("dataworks:NodeChange:FreezeNode")
    with pytest.raises(ConfigError, match="'NodeChange' belongs to the NodeChange function"):
        router.on("NodeChange")


def test_given_valid_keys_then_types_codes_aliases_and_the_category_register() -> None:
    router = Router("ApprovalChange")
    router.on("dataworks:ApprovalChange:ApprovalChangeCreated", "approval-create-before", "ApprovalChange")(
        lambda e, i: None
    )
    assert [s.event_code for s in specs_of_key("approval-create-before", "ApprovalChange")] == [
        "approval-change-before-create"
    ]


def test_given_a_decider_for_a_regular_event_then_registration_fails() -> None:
    router = Router("FileChange")
    with pytest.raises(ConfigError, match="'review-file' is not an extension point"):
        router.decide("review-file")
    router.decide("deploy-file")(lambda e, i: "OK")  # an extension point registers


def test_given_the_same_key_twice_then_the_second_registration_fails() -> None:
    app = FunctionApp("FileChange")
    app.on("commit-file")(lambda e, i: None)
    with pytest.raises(ConfigError, match="already registered"):
        app.on("commit-file")
    app.decide("commit-file")(lambda e, i: "OK")
    with pytest.raises(ConfigError, match="already registered"):
        app.decide("commit-file", rules=False)


def test_who_decides_is_said_per_extension_point() -> None:
    app = FunctionApp("FileChange")

    @app.decide("deploy-file")
    def gate(event: Any, invocation: Any) -> str:
        return "OK"

    @app.decide("run-file", rules=False)
    def runner(event: Any, invocation: Any) -> str:
        return "OK"

    spec = lookup(None, "deploy-file")
    assert spec is not None
    assert app.router.who_decides(spec) == "gate and the rules (stricter wins)"
    assert app.router.who_decides(lookup(None, "run-file")) == "runner (rules off)"  # type: ignore[arg-type]
    assert app.router.who_decides(lookup(None, "commit-file")) == "the rules"  # type: ignore[arg-type]
