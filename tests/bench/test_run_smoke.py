"""bench/run.py runs end to end (one iteration of everything, no build) and writes issue 12's table.

No timing is asserted: this only proves the harness works against the current code (public entry points,
the DataWorks stand-in, the children), so a change that breaks a bench is seen in the test run, not on the
day someone wants figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: One row per line of issue 12's table (and the goals added beside them).
ROWS = (
    "`dwevents.decode` per event, all samples",
    "same, InstanceStatusChanges",
    "`FunctionApp.handler` per regular event",
    "log lines per regular event at INFO",
    "regular cold start, source checkout",
    "regular cold start, built artifact",
    "a regular event into a function that also has extension points",
    "cloud SDK modules imported before the first extension event",
    "extension cold start to first verdict acknowledged",
    "handler start → verdict acknowledged, p99, warm (default rules)",
    "handler start → verdict acknowledged, p99, warm (rules with no lookup)",
    "verdict own overhead p99",
    "peak RSS, extension function",
    "peak RSS, warm regular instance",
    "upload per deploy",
)


def test_smoke_run_writes_every_row_with_the_machine(tmp_path: Path) -> None:
    # GIVEN the bench harness in smoke mode (one iteration, no artifact build)
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--results", str(tmp_path)]

    # WHEN it runs
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)

    # THEN it succeeds and latest.md has every row of the table, the goal column and the machine
    assert done.returncode == 0, done.stderr[-3000:]
    table = (tmp_path / "latest.md").read_text(encoding="utf-8")
    for row in ROWS:
        assert row in table, row
    assert "| goal | status |" in table
    assert "Machine: " in table and "uname -m" in table
    # AND latest.json carries the machine and a status for every row
    result = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert {"machine", "cpu", "cores", "python"} <= set(result["machine"])
    statuses = {row["status"] for row in result["table"]}
    assert statuses <= {"not judged (smoke)", "not measured", "info"}, statuses
