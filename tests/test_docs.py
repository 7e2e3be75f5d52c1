"""The documentation keeps its promises (issue 9): a short README whose links resolve, every environment
variable the package reads documented, and one version for the package, its metadata and the CLI."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest

from dwevents import env
from dwevents._version import __version__
from dwevents.cli import main

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
