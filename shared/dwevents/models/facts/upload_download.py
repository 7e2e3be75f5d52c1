"""Facts of the Upload & Download payloads (:mod:`dwevents.models.upload_download`).

The workspace is ``queryDwProjectId`` (sent as text; the model's ``workspace_id`` reads it as a number).
The operator is the UID when sent, else the base id.
"""

from __future__ import annotations

from dwevents.models.facts import Facts, derives, names
from dwevents.models.upload_download import DownloadResourcesPayload, UploadDataToTablePayload


@derives(DownloadResourcesPayload)
def download(p: DownloadResourcesPayload) -> Facts:
    return Facts(
        workspace_id=p.workspace_id,
        workspace_name=p.query_dw_project_name,
        tenant_id=p.tenant_id,
        operator=p.operator_uid or p.operator_base_id,
        file_name=p.file_name,
        name=p.file_name,
        data_sources=names(p.datasource_name),
        rows=p.data_row_size,
        file_size=p.file_size,
    )


@derives(UploadDataToTablePayload)
def upload(p: UploadDataToTablePayload) -> Facts:
    return Facts(
        workspace_id=p.workspace_id,
        workspace_name=p.query_dw_project_name,
        tenant_id=p.tenant_id,
        operator=p.operator_uid or p.operator_base_id,
        tables=names(p.table_guid),
        data_sources=names(p.datasource_name),
        file_size=p.file_size,
    )
