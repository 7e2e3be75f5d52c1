"""The shipped rules gallery, end to end: an adapted sample runs through the FunctionApp and the verdict
DataWorks RECEIVES (the stand-in's record) is the one the file promises, with its tip text."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import dwevents
from dwevents.local.dataworks.server import DataWorksApiStandIn
from dwevents.policy import PolicyEngine
from dwevents.runtime import FunctionApp

from .conftest import SAMPLE_ACCOUNT, load_sample

EXT = "ext-test"
RULES = Path(dwevents.__file__).parent / "data" / "rules"
CST = timezone(timedelta(hours=8))
#: A Wednesday afternoon outside every freeze in change-freeze.yaml.
QUIET = datetime(2026, 11, 25, 15, 0, tzinfo=CST)


@dataclass(frozen=True)
class Case:
    """One sample, adapted, through one gallery file: what DataWorks must receive."""

    id: str
    rules: str
    sample: str
    data: dict[str, Any] = field(default_factory=dict)
    #: GetIDEEventDetail snapshot: (kind, content) for a file, or ("TableModel", life_cycle or None).
    snapshot: tuple[str, Any] | None = None
    options: dict[str, str] | None = None
    clock: datetime | None = None
    #: (action, CheckResult on the wire, tip)
    expected: tuple[str, str, str] = ("", "OK", "")


IDE, WB, CB = "UpdateIDEEventResult", "UpdateWorkbenchEventResult", "CallbackExtension"
MAX_PT_SQL = "INSERT OVERWRITE TABLE t PARTITION (ds)\nSELECT a FROM s WHERE ds = max_pt('s');"
CLEAN_SQL = (
    "INSERT OVERWRITE TABLE t PARTITION (ds='${bizdate}')\nSELECT a, b FROM s WHERE ds = '${bizdate}';"
)
periods = json.dumps([{"bizBeginTime": "2024-01-01", "bizEndTime": "2024-03-31"}])

CASES = [
    # -- change-freeze.yaml ----------------------------------------------------------------------
    Case(
        "freeze-range-commit",
        "change-freeze",
        "FileChange/commit-file",
        clock=datetime(2026, 12, 25, 10, 0, tzinfo=CST),
        expected=(
            IDE,
            "FAIL",
            "Change freeze (freeze from 2026-12-24 to 2027-01-03); commit-file is blocked. "
            "Contact the platform team for an exception.",
        ),
    ),
    Case(
        "freeze-date-backfill",
        "change-freeze",
        "BackfillDataOperate/backfill-data",
        clock=datetime(2026, 11, 10, 16, 30, tzinfo=timezone.utc),  # 11-11 00:30 in Shanghai
        expected=(
            WB,
            "FAIL",
            "Change freeze (2026-11-11 is a freeze date); backfill-data is blocked. "
            "Contact the platform team for an exception.",
        ),
    ),
    Case(
        "weekend-deploy",
        "change-freeze",
        "FileChange/deploy-file",
        clock=datetime(2026, 11, 28, 10, 0, tzinfo=CST),
        expected=(IDE, "FAIL", "No production deployments on weekends (2026-11-28 10:00 Asia/Shanghai)."),
    ),
    Case(
        "night-deploy",
        "change-freeze",
        "FileChange/deploy-file",
        clock=datetime(2026, 11, 25, 23, 30, tzinfo=CST),
        expected=(
            IDE,
            "WARN",
            "Deploying at 2026-11-25 23:30 Asia/Shanghai, inside the nightly batch window: "
            "watch the running instances.",
        ),
    ),
    Case(
        "saturday-night-deploy-fail-beats-warn",
        "change-freeze",
        "FileChange/deploy-file",
        clock=datetime(2026, 11, 28, 23, 0, tzinfo=CST),
        expected=(IDE, "FAIL", "No production deployments on weekends (2026-11-28 23:00 Asia/Shanghai)."),
    ),
    Case("quiet-deploy-ok", "change-freeze", "FileChange/deploy-file", clock=QUIET, expected=(IDE, "OK", "")),
    Case(
        "quiet-undeploy-ok", "change-freeze", "NodeChange/undeploy-node", clock=QUIET, expected=(WB, "OK", "")
    ),
    # -- forbidden-sql.yaml ----------------------------------------------------------------------
    Case(
        "max-pt-default-fail",
        "forbidden-sql",
        "FileChange/commit-file",
        snapshot=("CommittedFile", MAX_PT_SQL),
        expected=(IDE, "FAIL", "MAX_PT is not allowed (line 2): SELECT a FROM s WHERE ds = max_pt('s');"),
    ),
    Case(
        "max-pt-workspace-warns",
        "forbidden-sql",
        "FileChange/commit-file",
        snapshot=("CommittedFile", MAX_PT_SQL),
        options={"checkStatus": "WARN"},
        expected=(IDE, "WARN", "MAX_PT is not allowed (line 2): SELECT a FROM s WHERE ds = max_pt('s');"),
    ),
    Case(
        "drop-table-on-run",
        "forbidden-sql",
        "FileChange/run-file",
        snapshot=("FileExecutionCommand", "-- cleanup\n  DROP TABLE IF EXISTS tmp_orders;"),
        expected=(IDE, "FAIL", "Destructive statement at line 2: DROP TABLE IF EXISTS tmp_orders;"),
    ),
    Case(
        "select-star-on-deploy",
        "forbidden-sql",
        "FileChange/deploy-file",
        snapshot=("CommittedFile", "select * from ods_orders;"),
        expected=(
            IDE,
            "WARN",
            "SELECT * at line 1 breaks when upstream columns change: select * from ods_orders;",
        ),
    ),
    Case(
        "truncate-beats-select-star",
        "forbidden-sql",
        "FileChange/deploy-file",
        snapshot=("CommittedFile", "select * from ods_orders;\ntruncate table tmp;"),
        expected=(IDE, "FAIL", "Destructive statement at line 2: truncate table tmp;"),
    ),
    Case(
        "table-without-lifecycle",
        "forbidden-sql",
        "TableChange/commit-table",
        snapshot=("TableModel", None),
        expected=(IDE, "FAIL", "Table dim_customer must declare a lifecycle"),
    ),
    Case(
        "table-with-lifecycle-ok",
        "forbidden-sql",
        "TableChange/deploy-table",
        snapshot=("TableModel", 365),
        expected=(IDE, "OK", ""),
    ),
    Case(
        "clean-sql-ok",
        "forbidden-sql",
        "FileChange/deploy-file",
        snapshot=("CommittedFile", CLEAN_SQL),
        expected=(IDE, "OK", ""),
    ),
    # -- download-limits.yaml --------------------------------------------------------------------
    Case(
        "too-many-rows",
        "download-limits",
        "ResourcesDownload/download-resources",
        data={"dataRowSize": "500000"},
        expected=(CB, "FAIL", "Downloads are limited to 100000 rows; this one has 500000."),
    ),
    Case(
        "file-too-large",
        "download-limits",
        "ResourcesDownload/download-resources-execute",
        data={"dataRowSize": "10", "fileSize": 300 * 1024 * 1024},
        expected=(CB, "FAIL", "Downloads are limited to 200 MB; this file is 300 MB."),
    ),
    Case(
        "pii-project-review",
        "download-limits",
        "ResourcesDownload/download-resources",
        data={"dataRowSize": "10", "queryDwProjectName": "customer_pii"},
        expected=(CB, "WARN", "Download from customer_pii needs an approval."),
    ),
    Case(
        "small-download-ok",
        "download-limits",
        "ResourcesDownload/download-resources-execute",
        data={"dataRowSize": "5000"},
        expected=(CB, "OK", ""),
    ),
    # -- protected-workspaces.yaml ---------------------------------------------------------------
    Case(
        "delete-production-workspace",
        "protected-workspaces",
        "ProjectChange/delete-project",
        expected=(CB, "FAIL", "Workspace 42 is protected from deletion."),
    ),
    Case(
        "delete-glob-protected-workspace",
        "protected-workspaces",
        "ProjectChange/delete-project",
        data={"projectId": 2077},
        expected=(CB, "FAIL", "Workspace 2077 is protected from deletion."),
    ),
    Case(
        "delete-sandbox-ok",
        "protected-workspaces",
        "ProjectChange/delete-project",
        data={"projectId": 7},
        expected=(CB, "OK", ""),
    ),
    Case(
        "undeploy-by-outsider",
        "protected-workspaces",
        "NodeChange/undeploy-node",
        expected=(
            WB,
            "FAIL",
            "Only the platform team may undeploy-node in workspace 42 (operator 207712345678901234).",
        ),
    ),
    Case(
        "freeze-node-by-platform-glob-ok",
        "protected-workspaces",
        "NodeChange/freeze-node",
        data={"operator": "1000123"},
        expected=(WB, "OK", ""),
    ),
    Case(
        "undeploy-elsewhere-ok",
        "protected-workspaces",
        "NodeChange/undeploy-node",
        data={"projectId": 43},
        expected=(WB, "OK", ""),
    ),
    # -- backfill-limits.yaml --------------------------------------------------------------------
    Case(
        "backfill-a-quarter",
        "backfill-limits",
        "BackfillDataOperate/backfill-data",
        data={"multipleTimePeriods": periods},
        expected=(WB, "FAIL", "Backfill spans 91 days; at most 31 days per request."),
    ),
    Case(
        "backfill-many-nodes-warns",
        "backfill-limits",
        "BackfillDataOperate/backfill-data",
        data={"includeNodeIds": list(range(700000000, 700000060))},
        expected=(WB, "OK", "WARN: Backfilling 60 nodes at once; consider splitting (limit 50)."),
    ),
    Case(
        "bulk-rerun-warns",
        "backfill-limits",
        "InstanceChange/pre-rerun-instance",
        data={"taskIds": list(range(7001, 7026))},
        expected=(CB, "WARN", "pre-rerun-instance on 25 instances at once (more than 20)."),
    ),
    Case(
        "backfill-sample-ok", "backfill-limits", "BackfillDataOperate/backfill-data", expected=(WB, "OK", "")
    ),
    Case("single-kill-ok", "backfill-limits", "InstanceChange/pre-kill-instance", expected=(CB, "OK", "")),
    # -- dq-rule-protection.yaml -----------------------------------------------------------------
    Case(
        "bulk-rule-deletion-first-fail-decides",
        "dq-rule-protection",
        "DqcCheck/batch-delete-data-quality-rules",
        data={"ids": list(range(40001, 40007))},
        expected=(CB, "FAIL", "Deleting 6 quality rules/monitors at once is not allowed (limit 5)."),
    ),
    Case(
        "rule-change-by-outsider",
        "dq-rule-protection",
        "DqcCheck/update-data-quality-rule",
        expected=(CB, "FAIL", "Only the data-quality owners may change rules (operator 207712345678901234)."),
    ),
    Case(
        "rule-change-by-owner-ok",
        "dq-rule-protection",
        "DqcCheck/update-data-quality-rule",
        data={"operator": "207947397706614299"},
        expected=(CB, "OK", ""),
    ),
    Case(
        "delete-two-monitors-ok",
        "dq-rule-protection",
        "DqcCheck/batch-delete-data-quality-evaluation-tasks",
        expected=(CB, "OK", ""),
    ),
    # -- deploy-hours.yaml (an allowed window) ---------------------------------------------------
    Case(
        "deploy-after-hours",
        "deploy-hours",
        "FileChange/deploy-file",
        clock=datetime(2026, 11, 25, 19, 30, tzinfo=CST),
        expected=(
            IDE,
            "FAIL",
            "Deploys run only 10:00-18:00 on mon,tue,wed,thu,fri (Asia/Shanghai); it is 2026-11-25 19:30 "
            "Asia/Shanghai. Ask the platform team for an exception.",
        ),
    ),
    Case(
        "deploy-in-hours-ok", "deploy-hours", "FileChange/deploy-file", clock=QUIET, expected=(IDE, "OK", "")
    ),
    # -- default.yaml ----------------------------------------------------------------------------
    Case(
        "default-max-pt-warns",
        "default",
        "FileChange/run-file",
        snapshot=("FileExecutionCommand", MAX_PT_SQL),
        expected=(
            IDE,
            "WARN",
            "MAX_PT found at line 2: SELECT a FROM s WHERE ds = max_pt('s'); "
            "— read the partition explicitly instead",
        ),
    ),
    Case(
        "default-large-download-warns",
        "default",
        "ResourcesDownload/download-resources",
        data={"dataRowSize": 2_000_000},
        expected=(CB, "WARN", "Downloading 2000000 rows (more than 1000000) from dw_sales needs a review"),
    ),
    Case(
        "default-workspace-deletion-warns",
        "default",
        "ProjectChange/delete-project",
        expected=(CB, "WARN", "Deleting workspace 42 is irreversible; confirm with the platform team"),
    ),
    Case(
        "default-clean-commit-ok",
        "default",
        "FileChange/commit-file",
        snapshot=("CommittedFile", CLEAN_SQL),
        expected=(IDE, "OK", ""),
    ),
]


def _category(sample: str) -> str:
    """Samples live under events/<Category>/, the function that handles them."""
    return sample.split("/")[0]


@pytest.fixture()
def run_case(standin: DataWorksApiStandIn, fc_context: Any) -> Callable[[Case], Any]:
    def run(case: Case) -> Any:
        path = RULES / f"{case.rules}.yaml"
        doc = copy.deepcopy(load_sample(case.sample))
        doc["data"].update(case.data)
        if case.snapshot is not None:
            kind, content = case.snapshot
            if kind == "TableModel":
                if content is None:
                    standin.set_event_detail(
                        doc["id"], {"TableModel": {"TableName": "dim_customer", "Columns": []}}
                    )
                else:
                    standin.set_table_model(
                        doc["id"], "dim_customer", [("id", "BIGINT", "", False)], life_cycle=content
                    )
            else:
                standin.set_file_content(doc["id"], content, kind=kind)
        if case.options is not None:
            standin.set_option_value(EXT, doc["data"]["projectId"], case.options)
        environ = {
            **standin.client_env(),
            "DWEVENTS_EXTENSION_CODE": EXT,
            "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
            "DWEVENTS_RULES": str(path),
        }
        app = FunctionApp(_category(case.sample), environ=environ)
        clock = case.clock
        if clock is not None:  # the same file, judged at a fixed instant
            app.set_policy_clock(lambda: clock)
        app.initialize(fc_context())
        return app.process(json.dumps(doc).encode(), fc_context()), doc

    return run


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rules}:{c.id}")
def test_given_a_gallery_rules_file_when_an_adapted_sample_runs_then_dataworks_receives_the_expected_verdict(
    case: Case, run_case: Callable[[Case], Any], standin: DataWorksApiStandIn
) -> None:
    # GIVEN the shipped rules file and the adapted sample WHEN the function handles it
    result, doc = run_case(case)
    # THEN DataWorks received exactly one verdict: the expected API, result and tip, for this message
    [event] = result.events
    assert event.outcome == "processed", event.error
    [verdict] = standin.verdicts
    assert (verdict.action, verdict.check_result, verdict.tip) == case.expected
    assert (verdict.message_id, verdict.extension_code) == (doc["id"], EXT)
    assert event.verdict is not None and event.verdict.acknowledged is True
    assert event.verdict.origin == "policy"


def test_every_gallery_file_has_a_failing_and_a_passing_case() -> None:
    files = {p.stem for p in RULES.glob("*.yaml")}
    failing = {c.rules for c in CASES if c.expected[1] != "OK" or c.expected[2].startswith("WARN:")}
    passing = {c.rules for c in CASES if c.expected[1] == "OK" and not c.expected[2]}
    assert files == failing == passing
    names = {r.rule.name for f in files for r in PolicyEngine.load(RULES / f"{f}.yaml").rules}
    assert len(names) >= 19


def test_given_a_freeze_for_today_in_a_copy_of_the_file_when_a_commit_arrives_then_it_is_blocked(
    standin: DataWorksApiStandIn, fc_context: Any, tmp_path: Path
) -> None:
    # GIVEN change-freeze.yaml with its freeze date moved to today (Shanghai), real clock
    today = datetime.now(CST).date().isoformat()
    text = (RULES / "change-freeze.yaml").read_text(encoding="utf-8").replace('"2026-11-11"', f'"{today}"')
    assert today in text
    rules = tmp_path / "change-freeze.yaml"
    rules.write_text(text, encoding="utf-8")
    environ = {
        **standin.client_env(),
        "DWEVENTS_EXTENSION_CODE": EXT,
        "DWEVENTS_ALLOWED_ACCOUNTS": SAMPLE_ACCOUNT,
        "DWEVENTS_RULES": str(rules),
    }
    app = FunctionApp("FileChange", environ=environ)
    # WHEN a commit arrives
    app.process(json.dumps(load_sample("FileChange/commit-file")).encode(), fc_context())
    # THEN DataWorks receives FAIL naming today's freeze
    [verdict] = standin.verdicts
    assert (verdict.action, verdict.check_result) == (IDE, "FAIL")
    assert verdict.tip.startswith(f"Change freeze ({today} is a freeze date")
