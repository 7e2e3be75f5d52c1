"""``dwevents rules``: work with a policy rules file."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from dwevents.cli._common import EXIT_OK


def cmd_rules(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.policy import PolicyEngine

    engine = PolicyEngine.load(args.file)
    out.write(f"{args.file}: {len(engine.rules)} rule(s) valid\n")
    for compiled in engine.rules:
        rule = compiled.rule
        verdict = rule.verdict if isinstance(rule.verdict, str) else f"option:{rule.verdict.option}"
        out.write(f"  {rule.name}: {rule.check.kind} on {', '.join(rule.events)} → {verdict}\n")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("rules", help="policy rules files")
    rules_sub = p.add_subparsers(dest="rules_command", required=True)
    check = rules_sub.add_parser("check", help="validate a rules file")
    check.add_argument("file")
    check.set_defaults(func=cmd_rules)
