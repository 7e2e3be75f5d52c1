"""The read-only calls ``dwevents doctor`` makes besides EventBridge's: who the credentials are (STS
GetCallerIdentity), what FC 3.0 holds (GetFunction) and what DataWorks knows about the extension
(GetExtension). Official clients, imported when built; every failure is a
:class:`dwevents.errors.CloudApiError`.

- GetCallerIdentity (STS 2015-04-01, RPC), https://help.aliyun.com/zh/ram/developer-reference/
  api-sts-2015-04-01-getcalleridentity: ``AccountId``, ``Arn``, ``IdentityType``. Called through the
  OpenAPI core client's generic ``call_api`` (``alibabacloud_tea_openapi``, installed with every Alibaba
  Cloud SDK), so no STS SDK is needed; endpoint ``sts.<region>.aliyuncs.com``.
- GetFunction (FC 2023-03-30, ``GET /2023-03-30/functions/{functionName}``), via
  ``alibabacloud_fc20230330``: https://help.aliyun.com/zh/functioncompute/fc-3-0/developer-reference/
  api-fc-2023-03-30-getfunction.
- GetExtension (DataWorks 2020-05-18), https://help.aliyun.com/zh/dataworks/api-getextension: ``Status``
  (0 testing, 1 online, 3 disabled, 4 approving, 5 approved, 6 approval failed) and ``BindEventList``
  (the extension points it subscribes to); through the project's own DataWorks client
  (dwevents.dataworks.DataWorksClient, the stdlib transport the functions use).
"""

from __future__ import annotations

from typing import Any

from dwevents.deploy._sdk import Credentials, SdkApi, call_sdk, unless_absent


class FcApi(SdkApi):
    """FC 3.0 GetFunction over ``alibabacloud_fc20230330``."""

    def _sdk(self) -> Any:
        from alibabacloud_fc20230330 import models
        from alibabacloud_fc20230330.client import Client

        self._m = models
        return Client

    def get_function(self, name: str) -> dict[str, Any] | None:
        """The function's description (``runtime``, ``handler``, ``role``, ...); None: it does not exist."""
        response = unless_absent(
            "FunctionNotFound",
            lambda: call_sdk(
                "FC",
                "GetFunction",
                lambda: self._client.get_function(name, self._m.GetFunctionRequest()),
                name,
            ),
        )
        if response is None:
            return None
        body = response.body
        return dict(body.to_map()) if body is not None else {}


class StsApi(SdkApi):
    """STS GetCallerIdentity through the OpenAPI core client's generic call."""

    def _sdk(self) -> Any:
        from alibabacloud_tea_openapi.client import Client

        return Client

    def default_endpoint(self, region: str) -> str:
        return f"sts.{region}.aliyuncs.com"

    def caller_identity(self) -> dict[str, Any]:
        from alibabacloud_tea_openapi.utils_models import OpenApiRequest, Params
        from alibabacloud_tea_util.models import RuntimeOptions

        params = Params(
            action="GetCallerIdentity",
            version="2015-04-01",
            protocol=self._protocol.upper(),
            pathname="/",
            method="POST",
            auth_type="AK",
            style="RPC",
            req_body_type="formData",
            body_type="json",
        )
        answer = call_sdk(
            "STS",
            "GetCallerIdentity",
            lambda: self._client.call_api(params, OpenApiRequest(), RuntimeOptions()),
        )
        body = answer.get("body") if isinstance(answer, dict) else None
        return dict(body) if isinstance(body, dict) else {}


def get_extension(
    code: str, *, region: str, endpoint: str | None, credentials: Credentials, timeout_s: float = 10.0
) -> dict[str, Any]:
    """GetExtension's ``Extension`` through the functions' own DataWorks client (stdlib transport)."""
    from dwevents.dataworks.client import DataWorksClient
    from dwevents.dataworks.settings import DataWorksSettings

    settings = DataWorksSettings(
        endpoint=endpoint or f"dataworks.{region}.aliyuncs.com",
        region=region,
        access_key_id=credentials.access_key_id,
        access_key_secret=credentials.access_key_secret,
        security_token=credentials.security_token,
        transport="lean",
    )
    return DataWorksClient(settings).get_extension(code, timeout_s=timeout_s)
