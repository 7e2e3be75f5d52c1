"""What the lookup APIs answer: a data snapshot per message (GetIDEEventDetail), an extension's
registration (GetExtension) and its options per workspace (GetOptionValueForProject).

Field names follow "GetIDEEventDetail - 查询触发扩展点事件时的数据快照"
(https://help.aliyun.com/document_detail/338385.htm) and "GetExtension - 获取扩展程序详情"
(https://help.aliyun.com/zh/dataworks/api-getextension).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_EVENT_DETAIL: dict[str, Any] = {
    "CommittedFile": {
        "ChangeType": "UPDATE",
        "Comment": "local stand-in",
        "Committor": "local-user",
        "Content": "SELECT 1;",
        "FileId": 1,
        "FileName": "local_file",
        "FileType": 10,
        "NodeId": 1,
        "UseType": "NORMAL",
        "FilePropertyContent": {
            "BusinessId": 1,
            "CurrentVersion": 1,
            "DataSourceName": "odps_first",
            "FolderId": "folder",
            "Owner": "local-user",
            "ParentFileId": 0,
        },
    }
}


@dataclass
class Fixtures:
    default_event_detail: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULT_EVENT_DETAIL))
    event_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    extensions: dict[str, dict[str, Any]] = field(default_factory=dict)
    option_values: dict[tuple[str, str], str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def answer(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The documented answer (without RequestId) of a lookup action."""
        with self.lock:
            if action == "GetIDEEventDetail":
                detail = self.event_details.get(params["MessageId"], self.default_event_detail)
                return {"EventDetail": copy.deepcopy(detail)}
            if action == "GetExtension":
                code = params["ExtensionCode"]
                extension: dict[str, Any] = {
                    "ExtensionCode": code,
                    "ExtensionName": code,
                    "ExtensionDesc": "local stand-in",
                    "ParameterSetting": "",
                    "OptionSetting": "",
                    "Status": 1,
                    "ProjectTesting": 0,
                    "DetailUrl": "",
                    "HelpDocUrl": "",
                    "BindEventList": [],
                    "EventCategoryList": [],
                }
                extension.update(self.extensions.get(code, {}))
                return {"Extension": extension}
            if action == "GetOptionValueForProject":
                key = (params.get("ExtensionCode", ""), params.get("ProjectId", ""))
                return {"OptionValue": self.option_values.get(key, "{}")}
        raise KeyError(action)

    def set_option_value(
        self, extension_code: str, project_id: int | str, value: Mapping[str, Any] | str
    ) -> None:
        with self.lock:
            self.option_values[(extension_code, str(project_id))] = (
                value if isinstance(value, str) else json.dumps(dict(value))
            )


def file_snapshot(
    kind: str,
    content: str,
    *,
    file_type: int,
    file_name: str,
    data_source_name: str,
    change_type: str,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """An ``EventDetail`` with one file snapshot: CommittedFile (commit/deploy), DeletedFile (delete) or
    FileExecutionCommand (run)."""
    if kind not in ("CommittedFile", "DeletedFile", "FileExecutionCommand"):
        raise ValueError(f"unknown file snapshot kind {kind!r}")
    item: dict[str, Any] = {
        "Content": content,
        "FileType": file_type,
        "DataSourceName": data_source_name,
        "FileId": 1,
    }
    if kind != "FileExecutionCommand":
        item.update({"FileName": file_name, "NodeId": 1, "UseType": "NORMAL"})
    if kind == "CommittedFile":
        item.update({"ChangeType": change_type, "Committor": "local-user", "Comment": ""})
    item.update(extra)
    return {kind: item}


def table_snapshot(
    table_name: str,
    columns: list[tuple[str, str, str, bool]],
    *,
    env: str,
    life_cycle: int,
    comment: str,
    data_source_name: str,
    location: str,
) -> dict[str, Any]:
    """An ``EventDetail`` with a TableModel (commit-table / deploy-table)."""
    return {
        "TableModel": {
            "TableName": table_name,
            "Env": env,
            "LifeCycle": life_cycle,
            "Comment": comment,
            "DataSourceName": data_source_name,
            "Location": location,
            "Columns": [
                {"ColumnName": n, "ColumnType": t, "Comment": c, "IsPartitionColumn": p}
                for n, t, c, p in columns
            ],
        }
    }
