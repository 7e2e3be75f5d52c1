"""``dwevents rules``: check a policy rules file, and test it against cases.

``rules check FILE``: validate (exit 0, or 2 with one line naming the rule and key).
``rules test RULES CASES...``: run each case (see dwevents/local/rulecases.py) and print PASS/FAIL per
case with the difference; exit 0 all passed, 1 any failed, 2 a file could not be used (unknown
eventCode, bad time, invalid rules or case file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from dwevents.cli._common import EXIT_NO_MATCH, EXIT_OK


def cmd_rules(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.local.overrides import read_text
    from dwevents.policy import PolicyEngine

    read_text(Path(args.file), "rules")  # one line for a missing file or a directory
    engine = PolicyEngine.load(args.file)
    out.write(f"{args.file}: {len(engine.rules)} rule(s) valid\n")
    for compiled in engine.rules:
        rule = compiled.rule
        verdict = rule.verdict if isinstance(rule.verdict, str) else f"option:{rule.verdict.option}"
        out.write(f"  {rule.name}: {rule.check.kind} on {', '.join(rule.events)} → {verdict}\n")
    return EXIT_OK


def cmd_rules_test(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.cli.replay import quiet_logging
    from dwevents.local.overrides import read_text
    from dwevents.local.rulecases import run_files

    quiet_logging(args.verbose)
    read_text(Path(args.rules), "rules")
    passed = failed = 0
    for result in run_files(args.rules, [Path(p) for p in args.cases], events_dir=Path(args.events)):
        if result.passed:
            passed += 1
            if not args.quiet:
                out.write(result.line() + "\n")
        else:
            failed += 1
            out.write(result.line() + "\n")
    out.flush()
    print(f"dwevents rules test: {passed} passed, {failed} failed", file=sys.stderr)
    return EXIT_NO_MATCH if failed else EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("rules", help="check and test policy rules files")
    rules_sub = p.add_subparsers(dest="rules_command", required=True, metavar="{check,test}")
    check = rules_sub.add_parser("check", help="validate a rules file")
    check.add_argument("file", help="the rules file (YAML, version: 1)")
    check.set_defaults(func=cmd_rules)

    test = rules_sub.add_parser(
        "test",
        help="run rule test cases (exit 1 on any failure)",
        description="Judge each case's event with RULES and compare with its expected verdict. "
        "Exit 0: all passed; 1: a case failed; 2: a file could not be used.",
    )
    test.add_argument("rules", help="the rules file under test")
    test.add_argument("cases", nargs="+", help="case files (YAML; see docs/rules.md)")
    test.add_argument(
        "--events",
        default="events",
        help="directory of the samples cases name by eventCode (default: events)",
    )
    test.add_argument("-q", "--quiet", action="store_true", help="print failing cases only")
    test.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv: debug)")
    test.set_defaults(func=cmd_rules_test)
