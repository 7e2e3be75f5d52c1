"""What the DataWorks API accepts, written down from its documentation (not from this project's client).

Each :class:`ApiSpec` names its page; where translations disagree the Chinese original wins (the English
UpdateWorkbenchEventResult page says "Valid values: OK and Fail", the Chinese one "OK 代表检查成功,FAIL 代表
检查失败", and every example sends ``FAIL``: only ``OK`` and ``FAIL`` are accepted).

Error codes follow the OpenAPI gateway's client error list ("管控OpenAPI的客户端公用错误码",
https://developer.aliyun.com/ask/278265): ``Missing{ParameterName}`` "{ParameterName} is mandatory for this
action." (400), ``Invalid{ParameterName}`` "Specified parameter {ParameterName} is not valid." (400),
``InvalidApi.NotFound`` "Specified api is not found, please check your url and method." (404),
``UnsupportedHTTPMethod`` (400); and "客户端错误码" (https://help.aliyun.com/document_detail/51132.html):
``UnsupportedParameter`` "The parameter ”” is not supported." (400).

Undocumented choice (selectable): the UpdateIDEEventResult and GetOptionValueForProject pages mark every
parameter optional, but a verdict without MessageId/ExtensionCode/CheckResult, or options without
ExtensionCode/ProjectId, mean nothing; they are required unless the stand-in is built with
``enforce_implied_required=False``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

API_VERSION = "2020-05-18"
#: The HTTP method the official SDK uses for every one of these actions (its generated ``Params``).
METHODS = ("POST",)
#: Documented on the older API pages of every action: "The system automatically determines the value of
#: this parameter based on the endpoint that is used to call the operation." Accepted, ignored.
COMMON_PARAMS = frozenset({"RegionId"})


class StandInError(Exception):
    """An error answer: HTTP status, ``Code`` and ``Message`` as DataWorks sends them."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(f"{status} {code}: {message}")


def missing(name: str) -> StandInError:
    return StandInError(400, f"Missing{name}", f"{name} is mandatory for this action.")


def invalid(name: str) -> StandInError:
    return StandInError(400, f"Invalid{name}", f"Specified parameter {name} is not valid.")


def unsupported(name: str) -> StandInError:
    return StandInError(400, "UnsupportedParameter", f"The parameter \u201d{name}\u201d is not supported.")


@dataclass(frozen=True)
class Param:
    name: str
    #: Marked required on the page.
    required: bool = False
    #: Not marked required, but the call means nothing without it (see the module docstring).
    implied: bool = False
    #: Allowed values (case-sensitive), when the page lists them.
    values: tuple[str, ...] = ()
    #: ``long``: the page types it as an integer.
    integer: bool = False


@dataclass(frozen=True)
class ApiSpec:
    action: str
    title: str
    url: str
    params: tuple[Param, ...]
    #: (parameter, value) whose presence makes another parameter required: (("CheckResult", "FAIL"),
    #: "CheckMessage") for CallbackExtension.
    required_with: tuple[tuple[tuple[str, str], str], ...] = field(default=())

    def validate(self, params: Mapping[str, str], *, enforce_implied: bool = True) -> dict[str, str]:
        """The parameters if the page allows them; :class:`StandInError` for the first rule broken."""
        known = {p.name: p for p in self.params}
        for name in params:
            if name not in known and name not in COMMON_PARAMS:
                raise unsupported(name)
        for p in self.params:
            value = params.get(p.name, "")
            if value == "":
                if p.required or (p.implied and enforce_implied):
                    raise missing(p.name)
                continue
            if p.values and value not in p.values:
                raise invalid(p.name)
            if p.integer and not value.lstrip("-").isdigit():
                raise invalid(p.name)
        for (name, value), needed in self.required_with:
            if params.get(name) == value and not params.get(needed):
                raise missing(needed)
        return {k: v for k, v in params.items() if k in known}


_VERDICT = ("OK", "FAIL", "WARN")
SPECS: dict[str, ApiSpec] = {
    spec.action: spec
    for spec in (
        ApiSpec(
            "UpdateIDEEventResult",
            "UpdateIDEEventResult - 更新扩展点事件的检查结果",
            "https://help.aliyun.com/document_detail/338386.htm",
            (
                Param("MessageId", implied=True),
                Param("ExtensionCode", implied=True),
                Param("CheckResult", implied=True, values=_VERDICT),
                Param("CheckResultTip"),
            ),
        ),
        ApiSpec(
            "UpdateWorkbenchEventResult",
            "UpdateWorkbenchEventResult - 更新扩展程序的处理结果",
            "https://help.aliyun.com/document_detail/425341.html",
            (
                Param("MessageId", required=True),
                Param("ExtensionCode", required=True),
                Param("CheckResult", required=True, values=("OK", "FAIL")),
                Param("CheckResultTip"),
            ),
        ),
        ApiSpec(
            "CallbackExtension",
            "CallbackExtension - 返回扩展程序对扩展点事件的检查结果",
            "https://help.aliyun.com/zh/dataworks/developer-reference/api-dataworks-public-2020-05-18-callbackextension",
            (
                Param("ExtensionCode", required=True),
                Param("MessageId", required=True),
                Param("CheckResult", required=True, values=_VERDICT),
                Param("CheckMessage"),
            ),
            required_with=((("CheckResult", "FAIL"), "CheckMessage"),),
        ),
        ApiSpec(
            "GetIDEEventDetail",
            "GetIDEEventDetail - 查询触发扩展点事件时的数据快照",
            "https://help.aliyun.com/document_detail/338385.htm",
            (Param("MessageId", required=True), Param("ProjectId", required=True, integer=True)),
        ),
        ApiSpec(
            "GetExtension",
            "GetExtension - 获取扩展程序详情",
            "https://help.aliyun.com/zh/dataworks/api-getextension",
            (Param("ExtensionCode", required=True),),
        ),
        ApiSpec(
            "GetOptionValueForProject",
            "GetOptionValueForProject - 获取扩展程序选项配置在项目空间下的配置",
            "https://help.aliyun.com/zh/dataworks/api-getoptionvalueforproject",
            (Param("ExtensionCode", implied=True), Param("ProjectId", implied=True)),
        ),
    )
}
VERDICT_ACTIONS = ("UpdateIDEEventResult", "UpdateWorkbenchEventResult", "CallbackExtension")
#: The text parameter of each verdict action.
TIP_FIELD = {
    "UpdateIDEEventResult": "CheckResultTip",
    "UpdateWorkbenchEventResult": "CheckResultTip",
    "CallbackExtension": "CheckMessage",
}
