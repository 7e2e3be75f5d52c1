"""The documentation keeps its promises (issue 9): a short README whose links resolve, every environment
variable the package reads documented, and one version for the package, its metadata and the CLI."""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path
from typing import Any

import pytest

from dwevents import env
from dwevents._version import __version__
from dwevents.cli import main

from .conftest import SAMPLE_ACCOUNT, load_sample

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"
#: Relative Markdown link targets: [text](target), without a scheme or a pure #anchor.
_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)\s]+)\)")


def test_readme_is_at_most_120_lines() -> None:
    # GIVEN the README  WHEN its lines are counted  THEN reference material lives in docs/, not here
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 120


def test_every_relative_link_of_the_readme_resolves() -> None:
    # GIVEN the README's relative links (docs pages, LICENSE, CHANGELOG.md)
    targets = _LINK.findall(README.read_text(encoding="utf-8"))
    assert targets, "the README links into docs/"
    # WHEN each is resolved from the repository root  THEN the file exists
    missing = [t for t in targets if not (ROOT / t.split("#", 1)[0]).exists()]
    assert missing == []


def test_every_dwevents_variable_in_env_py_is_documented() -> None:
    # GIVEN every DWEVENTS_* name env.py declares (the list the package reads)
    names = {v for v in vars(env).values() if isinstance(v, str) and v.startswith("DWEVENTS_")}
    assert "DWEVENTS_FAIL_MODE" in names
    # WHEN docs/configuration.md is searched for each as `NAME`
    text = CONFIGURATION.read_text(encoding="utf-8")
    undocumented = sorted(n for n in names if f"`{n}`" not in text)
    # THEN none is missing
    assert undocumented == []


def test_the_version_has_one_source(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the version written in shared/dwevents/_version.py
    # WHEN the installed metadata, the package attribute and `dwevents --version` report theirs
    import dwevents

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    printed = capsys.readouterr().out.strip()
    # THEN all three are that one version
    assert importlib.metadata.version("dwevents") == __version__
    assert dwevents.__version__ == __version__
    assert printed == f"dwevents {__version__}"


def _python_example(page: Path, marker: str) -> str:
    """The page's ```python block that contains ``marker``."""
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    [code] = [b for b in blocks if marker in b]
    return code


@pytest.mark.parametrize("page", ["README.md", "docs/extension-points.md"])
def test_the_decider_and_reaction_example_runs_as_documented(
    page: str,
    standin: Any,
    fc_context: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the page's @app.decide / @app.on example as a function's index.py, beside forbidden-sql rules
    import dwevents
    from dwevents.verdict import CheckResult

    for key, value in {
        **standin.client_env(),
        "DWEVENTS_RULES": str(Path(dwevents.__file__).parent / "data" / "rules" / "forbidden-sql.yaml"),
        "DWEVENTS_EXTENSION_CODE": "ext-test",
        "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
    }.items():
        monkeypatch.setenv(key, value)
    module: dict[str, Any] = {}
    exec(compile(_python_example(ROOT / page, "@app.decide"), page, "exec"), module)
    app = module["app"]
    assert module["handler"] == app.handler and module["initialize"] == app.initialize

    def deploy(file_name: str, code: str) -> Any:
        doc = load_sample("FileChange/deploy-file")
        doc["id"] = f"{file_name}-{len(code)}"
        doc["data"]["fileName"] = file_name
        standin.set_file_content(doc["id"], code)
        [event] = app.process(json.dumps(doc).encode(), fc_context()).events
        return event.verdict

    # WHEN deploys are handled THEN the decider blocks a scratch file, the rules block a DROP TABLE (the
    # stricter verdict wins), a clean deploy passes, and the reaction ran
    scratch, dropping, clean = (
        deploy("tmp_orders", "SELECT 1;"),
        deploy("ods_orders_di", "SELECT 1;\nDROP TABLE t;"),
        deploy("ods_orders_di", "SELECT 1;"),
    )
    assert (scratch.result, scratch.tip) == (CheckResult.FAIL, "scratch files are not deployed")
    assert dropping.result is CheckResult.FAIL and dropping.rule == "no-drop-table"
    assert clean.result is CheckResult.OK
    if page == "README.md":
        assert capsys.readouterr().out.count("deployed: ") == 3
