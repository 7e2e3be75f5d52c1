"""Facts of the Data Studio payloads (:mod:`dwevents.models.datastudio`)."""

from __future__ import annotations

from dwevents.models.datastudio import (
    FileChangePayload,
    FileOperationPayload,
    NodeChangePayload,
    TableChangePayload,
)
from dwevents.models.facts import Facts, derives, names, of_project


@derives(NodeChangePayload)
def node_change(p: NodeChangePayload) -> Facts:
    return of_project(
        p,
        owner=p.owner_id,
        node_id=p.node_id,
        node_name=p.node_name,
        name=p.node_name,
        data_sources=names(p.datasource),
    )


def _file(p: FileOperationPayload | FileChangePayload, data_sources: tuple[str, ...] = ()) -> Facts:
    return of_project(
        p,
        owner=p.file_owner,
        node_id=p.node_id,
        file_id=p.file_id,
        file_name=p.file_name,
        file_type=p.file_type,
        name=p.file_name,
        data_sources=data_sources,
    )


@derives(FileOperationPayload)
def file_operation(p: FileOperationPayload) -> Facts:
    """Delete and run: the file, its node and owner."""
    return _file(p)


@derives(FileChangePayload)
def file_change(p: FileChangePayload) -> Facts:
    """Commit, deploy and (a subclass) review: a file operation that may name its data source."""
    return _file(p, names(p.data_source_name))


@derives(TableChangePayload)
def table_change(p: TableChangePayload) -> Facts:
    return of_project(
        p,
        tables=names(p.table_name),
        name=p.table_name,
    )
