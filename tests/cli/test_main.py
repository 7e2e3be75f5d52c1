"""The ``dwevents`` command itself: version, help, option help texts, one-line errors, pipes."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dwevents._version import __version__
from dwevents.cli import build_parser, main

from ..conftest import EVENTS, load_sample


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_given_version_then_the_package_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"dwevents {__version__}"


def test_given_no_command_then_help_is_printed_and_the_exit_status_is_0() -> None:
    code, out = run()
    assert code == 0
    assert out.startswith("usage: dwevents") and "replay" in out and "rules" in out


def _actions(parser: argparse.ArgumentParser, path: str = "dwevents") -> list[tuple[str, argparse.Action]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.extend(_actions(child, f"{path} {name}"))
        elif not isinstance(action, argparse._HelpAction):
            found.append((path, action))
    return found


def test_every_option_and_argument_of_every_command_has_help_text() -> None:
    missing = [
        f"{path} {'/'.join(a.option_strings) or a.dest}"
        for path, a in _actions(build_parser())
        if not (a.help or "").strip()
    ]
    assert missing == []


def test_given_inline_json_then_match_reads_it_as_json_not_as_a_path() -> None:
    event = json.dumps(load_sample("FileChange/deploy-file"))
    assert run("match", '{"source": ["acs.dataworks"]}', event) == (0, "true\n")
    assert run("match", '{"source": ["acs.oss"]}', event)[0] == 1


def test_given_match_with_a_file_and_inline_pattern_then_both_forms_mix(tmp_path: Path) -> None:
    path = EVENTS / "FileChange" / "deploy-file.json"
    assert run("match", '  {"type": [{"suffix": "DeployFile"}]}', str(path)) == (0, "true\n")


@pytest.mark.parametrize(
    "argv",
    [
        ["decode", "{dir}"],
        ["match", "{dir}", "{{}}"],
        ["rules", "check", "{dir}"],
        ["replay", "--from", "events", "--rules", "{dir}"],
        ["rules", "test", "{dir}", "x.yaml"],
    ],
    ids=["decode", "match", "rules-check", "replay", "rules-test"],
)
def test_given_a_directory_where_a_file_is_expected_then_one_line_error_and_exit_2(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EVENTS.parent)
    code, _ = run(*[a.format(dir=tmp_path) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "is a directory" in err[0] and str(tmp_path) in err[0]


def test_given_a_missing_file_then_one_line_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _ = run("decode", str(tmp_path / "nope.json"))
    [line] = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "nope.json" in line


def test_given_the_reader_closes_the_pipe_early_then_no_broken_pipe_traceback(tmp_path: Path) -> None:
    # GIVEN far more output than a pipe buffer holds (a batch of 3000 events to decode)
    one = load_sample("InstanceStatusChanges/instance-status-changes")
    batch = [dict(one, id=f"{one['id']}-{i}") for i in range(3000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(batch), encoding="utf-8")
    # WHEN only the first line is read (as `| head -1` does)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dwevents", "decode", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    # THEN the line was complete, and the command stopped quietly with the SIGPIPE status
    assert json.loads(first)["event_code"]
    assert "BrokenPipeError" not in err and "Traceback" not in err
    assert code == 141
