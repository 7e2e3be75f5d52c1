"""``python -m dwevents.deploy.preflight --syaml s.yaml``: refuse a deploy that cannot work, before ``s``
touches the cloud (s.yaml ``pre-deploy``).

Why: every s.yaml variable has a default so that ``s preview`` works on a fresh clone; the defaults that
cannot deploy are caught here, each as one line naming the variable to set: an empty execution role, an
unknown region or a region variable that disagrees with ``vars.region`` (dwevents/deploy/region.py), a
dead-letter ARN EventBridge cannot use, a ``tenantBus`` outside both|custom|default, patterns that disagree
with the catalogue. Exit 0 when the deploy may go ahead, 2 otherwise. Needs only the base install.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dwevents.deploy.patterns import check
from dwevents.deploy.settings import resolve, role_problem
from dwevents.errors import DwEventsError


def problems(syaml: str, *, region: str | None = None) -> list[str]:
    """Every reason the deploy would fail or deliver nothing, one line each (empty: go ahead)."""
    try:
        settings = resolve(syaml, region=region)
    except DwEventsError as exc:
        return [str(exc)]
    found = list(check(settings.syaml))
    role = role_problem(settings.role_arn)
    if role:
        found.append(role)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dwevents.deploy.preflight",
        description="Refuse an s.yaml deploy that cannot work (s.yaml pre-deploy).",
    )
    parser.add_argument("--syaml", default="s.yaml", help="the Serverless Devs project file (default s.yaml)")
    parser.add_argument("--region", help="the region, when not s.yaml vars.region")
    args = parser.parse_args(argv)
    found = problems(args.syaml, region=args.region)
    for line in found:
        print(f"preflight: {line}", file=sys.stderr)
    if found:
        print(f"preflight: {len(found)} problem(s); nothing deployed (docs/deploy.md)", file=sys.stderr)
        return 2
    print("preflight: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
