"""``dwevents config check``: the config file and the rules file together, loaded as a function loads them.

``dwevents rules check FILE`` validates one rules file; this command answers the deploy question instead:
with *this* environment (``DWEVENTS_CONFIG``, ``DWEVENTS_RULES`` and every other override, or ``--config`` /
``--rules``), would an extension function start with a working policy? It runs the same check the
pre-deploy build runs on every built function (dwevents/deploy/configcheck.py), with FC's ``/code/`` meaning
the current directory (``DWEVENTS_RULES=/code/config/rules.yaml`` reads ``./config/rules.yaml``). Exit 0
when both load, 2 with one line naming the file and the key otherwise. Needs only the base install.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

from dwevents import env
from dwevents.cli._common import EXIT_OK


def cmd_config_check(args: argparse.Namespace, out: TextIO) -> int:
    from dwevents.deploy.configcheck import check_function

    environ = dict(os.environ)
    if args.config is not None:
        environ[env.CONFIG_FILE] = args.config
    if args.rules is not None:
        environ[env.RULES_FILE] = args.rules
    root = Path(args.root).resolve()
    checked = check_function(environ, root, extension=True)
    out.write(f"config: {checked.config} ok\n")
    out.write(f"rules: {checked.rules} ok ({checked.rule_count} rule(s))\n")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("config", help="check the config file and the rules file together")
    config_sub = p.add_subparsers(dest="config_command", required=True, metavar="{check}")
    check = config_sub.add_parser(
        "check",
        help="load the config and rules files as a function would (exit 0 ok, 2 broken)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "--config",
        default=None,
        help=f"the config file (default ${env.CONFIG_FILE}; '' for the embedded defaults)",
    )
    check.add_argument(
        "--rules",
        default=None,
        help=f"the rules file (default ${env.RULES_FILE}, then the config file's, then the shipped default)",
    )
    check.add_argument(
        "--root",
        default=".",
        help="what FC's /code/ means here: the project or function directory (default .)",
    )
    check.set_defaults(func=cmd_config_check)
