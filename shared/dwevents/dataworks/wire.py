"""What goes on the wire for each DataWorks API the project calls, decided in one place.

- :func:`wire_verdict` maps a verdict (OK / WARN / FAIL) to the exact ``CheckResult`` and tip text an API
  accepts. It is called once per send (by :func:`dwevents.dataworks.reply.send_verdict`, or by the
  client's per-API helpers), never again inside a transport.
- :data:`QUERY_ACTIONS`: the actions whose parameters the official SDK sends in the query string (the
  others go in an ``application/x-www-form-urlencoded`` body) — read from the SDK's generated client.
- :func:`api_error` / :func:`is_transient`: an answer → :class:`~dwevents.errors.CloudApiError`.

Documentation the mapping follows (the Chinese original wins where translations disagree):

- "UpdateIDEEventResult - 更新扩展点事件的检查结果"
  (https://help.aliyun.com/zh/dataworks/developer-reference/api-dataworks-public-2024-05-18-updateideeventresult):
  CheckResult is OK, FAIL or WARN, with a CheckResultTip.
- "UpdateWorkbenchEventResult - 更新扩展程序的处理结果"
  (https://alibabacloud.com/help/zh/dataworks/developer-reference/api-dataworks-public-2020-05-18-updateworkbencheventresult):
  "回调结果,OK 代表检查成功,FAIL 代表检查失败" — only OK and FAIL (the English page says "OK and Fail";
  the Chinese original and every example say ``FAIL``). WARN is sent as OK with a ``WARN:`` tip.
- "CallbackExtension - 返回扩展程序对扩展点事件的检查结果"
  (https://help.aliyun.com/zh/dataworks/developer-reference/api-dataworks-public-2020-05-18-callbackextension):
  OK / FAIL / WARN, and "当 CheckResult 设置为 FAIL,提供 FAIL 原因" in CheckMessage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dwevents.catalogue import ReplyApi
from dwevents.errors import CloudApiError
from dwevents.verdict import truncate_tip

_RESULTS = frozenset({"OK", "WARN", "FAIL"})
#: Codes that mean "try again later" whatever the HTTP status (DataWorks documents
#: ``InternalError.UserId.Missing`` as a 400 "internal error, try again later").
_TRANSIENT_CODE_PREFIXES = ("Throttling", "InternalError", "ServiceUnavailable", "SignatureNonceUsed")
_QUERY_IN_TEXT = re.compile(r"(/[^\s?'\"]*)\?[^\s'\")]*")
#: Actions whose parameters the official SDK puts in the query string rather than the form body.
QUERY_ACTIONS = frozenset({"UpdateWorkbenchEventResult", "GetExtension"})
#: The text parameter of each verdict API (CallbackExtension names it CheckMessage).
TEXT_FIELD = {
    ReplyApi.UPDATE_IDE_EVENT_RESULT: "CheckResultTip",
    ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT: "CheckResultTip",
    ReplyApi.CALLBACK_EXTENSION: "CheckMessage",
}
#: CallbackExtension requires a cause with FAIL; this is sent when the verdict has no tip.
DEFAULT_FAIL_MESSAGE = "Blocked by the extension."


@dataclass(frozen=True)
class WireVerdict:
    """The exact values sent: ``check_result`` and ``text`` (CheckResultTip or CheckMessage)."""

    api: ReplyApi
    check_result: str
    text: str

    def params(self, message_id: str, extension_code: str) -> dict[str, str]:
        """The request parameters, wire-named."""
        return {
            "MessageId": message_id,
            "ExtensionCode": extension_code,
            "CheckResult": self.check_result,
            TEXT_FIELD[self.api]: self.text,
        }


def wire_verdict(api: ReplyApi, check_result: str, tip: str) -> WireVerdict:
    """The exact ``CheckResult`` and text sent for ``api`` (see the module docstring for the sources)."""
    if api is ReplyApi.RETURN:
        raise ValueError("ReplyApi.RETURN is answered by the function's return value, not an API call")
    result = str(check_result).strip().upper()
    if result not in _RESULTS:
        raise ValueError(f"check result must be OK, WARN or FAIL, not {check_result!r}")
    text = truncate_tip(tip)
    if api is ReplyApi.UPDATE_WORKBENCH_EVENT_RESULT and result == "WARN":
        return WireVerdict(api, "OK", truncate_tip(f"WARN: {text}" if text else "WARN"))
    if api is ReplyApi.CALLBACK_EXTENSION and result == "FAIL" and not text:
        return WireVerdict(api, result, DEFAULT_FAIL_MESSAGE)
    return WireVerdict(api, result, text)


def scrub(text: str) -> str:
    """Drop query strings from transport error texts (they can carry parameters we did not mean to log)."""
    return _QUERY_IN_TEXT.sub(r"\1?…", text)


def none_if_blank(value: Any) -> str | None:
    text = "" if value is None else str(value)
    return None if text in ("", "None") else text


def is_transient(status: int | None, code: str) -> bool:
    """429 / 5xx, or a code that says "try again later" whatever the status."""
    return (status is not None and (status == 429 or status >= 500)) or code.startswith(
        _TRANSIENT_CODE_PREFIXES
    )


def api_error(
    action: str, status: int | None, code: str, message: str, request_id: str | None = None
) -> CloudApiError:
    """An error answer (HTTP ≥ 400 with a JSON body) as the package's one API error."""
    where = f"HTTP {status} " if status is not None else ""
    return CloudApiError(
        scrub(f"{action} failed: {where}{code or 'error'}: {message}"),
        action=action,
        code=code,
        status=status,
        request_id=request_id,
        transient=is_transient(status, code),
    )


def transport_error(action: str, code: str, detail: str, status: int | None = None) -> CloudApiError:
    """No usable answer (timeout, connection, non-JSON body): worth a retry unless the status says no."""
    transient = status is None or status >= 500 or status == 429 or status < 400
    return CloudApiError(
        scrub(f"{action} failed: {code}: {detail}"),
        action=action,
        code=code,
        status=status,
        transient=transient,
    )


def check_success(action: str, body: Mapping[str, Any]) -> None:
    """``Success: false`` (a Boolean, or the String ``"false"`` CallbackExtension documents) is a refusal."""
    value = body.get("Success", True)
    failed = value.strip().lower() == "false" if isinstance(value, str) else value is False
    if failed:
        raise CloudApiError(
            f"{action} answered Success=false",
            action=action,
            code="Success.False",
            status=200,
            transient=False,
            request_id=none_if_blank(body.get("RequestId")),
        )
