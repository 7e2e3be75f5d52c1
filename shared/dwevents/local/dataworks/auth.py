"""Who may call, and with which request shape: the checks every request passes before its action runs.

From "Request syntax and signature method V3"
(https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature): "This
version uses common request headers to pass the required parameters of API operations" — ``x-acs-action``,
``x-acs-version``, ``x-acs-date``, ``x-acs-signature-nonce``, ``x-acs-content-sha256`` and an
``Authorization: ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`` header (verified by
:mod:`dwevents.local.acs3`). Error codes: "管控OpenAPI的客户端公用错误码" (https://developer.aliyun.com/ask/278265):
``InvalidTimeStamp.Format`` / ``InvalidTimeStamp.Expired`` ("用户时间和服务器时间超过15分钟"),
``SignatureNonceUsed``, ``SignatureDoesNotMatch``, ``InvalidAccessKeyId.NotFound``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone

from dwevents.local.acs3 import SignatureError, verify
from dwevents.local.dataworks.spec import API_VERSION, METHODS, SPECS, StandInError, invalid, missing

#: Alibaba Cloud rejects requests whose x-acs-date is further than this from its clock.
MAX_CLOCK_SKEW = timedelta(minutes=15)


def now() -> datetime:
    return datetime.now(timezone.utc)


def check_route(method: str, path: str, headers: Mapping[str, str]) -> str:
    """Method, path, action and version; returns the action. Raises :class:`StandInError`."""
    if method not in METHODS:
        raise StandInError(400, "UnsupportedHTTPMethod", f"This http method ({method}) is not supported.")
    if path != "/":
        raise StandInError(
            404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method."
        )
    action = headers.get("x-acs-action", "")
    if not action:
        raise missing("Action")
    if action not in SPECS:
        raise StandInError(
            404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method."
        )
    version = headers.get("x-acs-version", "")
    if not version:
        raise missing("Version")
    if version != API_VERSION:
        raise invalid("Version")
    return action


class Authenticator:
    """ACS3 signature, STS token, date window and nonce replay, against configured test credentials."""

    def __init__(
        self, secret_for: Callable[[str], str | None], token_for: Callable[[str], str | None]
    ) -> None:
        self._secret_for = secret_for
        self._token_for = token_for
        self._nonces: set[str] = set()
        self._lock = threading.Lock()

    def authenticate(
        self, method: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> str:
        """The access key id of a well-signed request; :class:`StandInError` otherwise."""
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            key_id = verify(method, "/", dict(query), lowered, body, self._secret_for)
        except SignatureError as exc:
            raise StandInError(exc.status, exc.code, str(exc)) from None
        token = lowered.get("x-acs-security-token")
        expected_token = self._token_for(key_id)
        if token is not None:
            signed = (
                lowered.get("authorization", "").split("SignedHeaders=", 1)[-1].split(",", 1)[0].split(";")
            )
            if "x-acs-security-token" not in signed:
                raise StandInError(400, "IncompleteSignature", "header x-acs-security-token is not signed")
            if lowered.get("x-acs-accesskey-id", key_id) != key_id:
                raise StandInError(
                    400, "InvalidAccessKeyId.Mismatch", "x-acs-accesskey-id differs from Credential"
                )
        if expected_token is not None and token != expected_token:
            raise StandInError(
                400,
                "InvalidSecurityToken.MismatchWithAccessKey" if token else "MissingSecurityToken",
                "The security token you provided does not match the access key.",
            )
        raw_date = lowered.get("x-acs-date", "")
        try:
            sent = datetime.strptime(raw_date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise StandInError(
                400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
            ) from None
        if abs(now() - sent) > MAX_CLOCK_SKEW:
            raise StandInError(
                400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
            )
        nonce = lowered.get("x-acs-signature-nonce", "")
        if not nonce:
            raise missing("SignatureNonce")
        with self._lock:
            if nonce in self._nonces:
                raise StandInError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.add(nonce)
        return key_id
