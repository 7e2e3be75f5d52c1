"""``python3 -m tests.mutation``: mutation score of the verdict path (see docs/testing.md).

Examples::

    python3 -m tests.mutation                      # the fixed sample: 480 mutants, seed 10, 2 jobs
    python3 -m tests.mutation --module dwevents.extension --all    # every mutant of one module
    python3 -m tests.mutation --list               # the sample, without running it
    python3 -m tests.mutation --show shared/dwevents/extension.py:120   # one line's mutants, verbose
"""

from __future__ import annotations

import argparse
import json
import sys

from tests.mutation import runner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tests.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=runner.SEED)
    parser.add_argument("--sample", type=int, default=runner.SAMPLE, help="mutants drawn over all modules")
    parser.add_argument("--all", action="store_true", help="every mutant instead of a sample")
    parser.add_argument(
        "--module",
        action="append",
        choices=sorted(runner.MODULES),
        help="only these modules (repeatable); the sample is drawn first, then filtered",
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    parser.add_argument("--show", metavar="PATH:LINE", help="run the mutants of one line with test output")
    parser.add_argument("--refresh", action="store_true", help="re-record the line map")
    parser.add_argument(
        "--exclude-tests",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave these test files out (e.g. 'test_verdict_path_*.py' for a before score)",
    )
    parser.add_argument("--json", metavar="FILE", help="write every outcome to FILE")
    parser.add_argument("--fail-under", type=float, default=0.0, help="exit 1 if the total score is lower")
    args = parser.parse_args(argv)
    runner.EXCLUDED_TESTS.extend(args.exclude_tests)

    everything = runner.all_mutants(sorted(runner.MODULES))
    chosen = everything if args.all else runner.sample(everything, args.sample, args.seed)
    if args.module:
        paths = {runner.MODULES[m] for m in args.module}
        chosen = [m for m in chosen if m.path in paths]
    if args.show:
        path, _, line = args.show.rpartition(":")
        chosen = [m for m in everything if m.path == path and m.lineno == int(line)]
    if args.list:
        for mutant in chosen:
            print(f"{mutant.path}:{mutant.lineno} {mutant.description}  | {runner.source_line(mutant)}")
        print(f"{len(chosen)} of {len(everything)} mutants")
        return 0

    linemap = runner.line_map(refresh=args.refresh)
    if args.show:
        for mutant in chosen:
            print(f"exit {runner.run_one_verbose(mutant, linemap)}")
        return 0
    outcomes = runner.run(chosen, linemap, jobs=args.jobs)
    rows = runner.summary(outcomes)
    print("\n| module | mutants | killed | survived | uncovered | equivalent | score |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['module']} | {row['mutants']} | {row['killed']} | {row['survived']} | "
            f"{row['uncovered']} | {row['equivalent']} | {row['score']} % |"
        )
    survivors = [o for o in outcomes if o.status in ("survived", "uncovered")]
    if survivors:
        print("\nSurvivors:")
        for outcome in survivors:
            m = outcome.mutant
            print(f"  {outcome.status:<9} {m.path}:{m.lineno} {m.description}  | {runner.source_line(m)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(
                [
                    {
                        "key": o.mutant.key,
                        "description": o.mutant.description,
                        "status": o.status,
                        "seconds": o.seconds,
                        "tests": o.tests,
                    }
                    for o in outcomes
                ],
                handle,
                indent=1,
            )
    return 1 if rows[-1]["score"] < args.fail_under else 0


if __name__ == "__main__":
    sys.exit(main())
