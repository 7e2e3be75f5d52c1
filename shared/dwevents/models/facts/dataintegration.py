"""Facts of the Data Integration payloads (:mod:`dwevents.models.dataintegration`).

Tables and data sources are the source and destination sides of every table mapping (a batch start
lists them per job). V2 messages name the workspace ``appId`` only: the model's ``workspace_id`` reads
either.
"""

from __future__ import annotations

from collections.abc import Iterable

from dwevents.models.dataintegration import BatchStartDiJobPayload, StartDiJobV1, StartDiJobV2, TableMapping
from dwevents.models.facts import Facts, derives, names


def _tables(mappings: Iterable[TableMapping]) -> tuple[str, ...]:
    return names(*(table for m in mappings for table in (m.src_table, m.dst_table)))


def _sources(mappings: Iterable[TableMapping]) -> tuple[str, ...]:
    return names(*(src for m in mappings for src in (m.src_datasource_name, m.dst_datasource_name)))


@derives(StartDiJobV1, StartDiJobV2)
def start_job(p: StartDiJobV1 | StartDiJobV2) -> Facts:
    mappings = list(p.table_mapping or [])
    return Facts(
        workspace_id=p.workspace_id,
        tenant_id=p.tenant_id,
        operator=p.operator,
        name=p.extension_biz_name,
        object_id=p.job_id,
        tables=_tables(mappings),
        data_sources=_sources(mappings),
    )


@derives(BatchStartDiJobPayload)
def batch_start_jobs(p: BatchStartDiJobPayload) -> Facts:
    mappings = [m for job in p.table_mappings or [] for m in job.table_mapping or []]
    return Facts(
        workspace_id=p.project_id if p.project_id is not None else p.app_id,
        tenant_id=p.tenant_id,
        operator=p.operator,
        name=", ".join(p.extension_biz_name or []) or None,
        tables=_tables(mappings),
        data_sources=_sources(mappings),
    )
