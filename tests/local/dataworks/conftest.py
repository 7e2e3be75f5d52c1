"""A hand-signed request to the DataWorks stand-in, for what neither client would ever send."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import pytest

from dwevents.local import acs3
from dwevents.local.dataworks.server import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DataWorksApiStandIn,
)

Signed = Callable[..., tuple[int, dict[str, Any]]]


def signed_request(
    api_server: DataWorksApiStandIn,
    action: str,
    params: dict[str, str],
    *,
    method: str = "POST",
    path: str = "/",
    in_query: bool = False,
    secret: str = DEFAULT_ACCESS_KEY_SECRET,
    nonce: str | None = None,
    date: datetime | None = None,
    version: str = "2020-05-18",
) -> tuple[int, dict[str, Any]]:
    """An ACS3-signed request (the SDK's algorithm) with parameters in the form body or the query."""
    query = dict(params) if in_query else {}
    body = b"" if in_query else urlencode(params).encode()
    headers = {
        "host": api_server.endpoint,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": (date or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    if body:
        headers["content-type"] = "application/x-www-form-urlencoded"
    if not action:
        del headers["x-acs-action"]
    signed = sorted(headers)
    to_sign = acs3.string_to_sign(method, path, query, headers, signed, headers["x-acs-content-sha256"])
    headers["authorization"] = (
        f"{acs3.ALGORITHM} Credential={DEFAULT_ACCESS_KEY_ID},"
        f"SignedHeaders={';'.join(signed)},Signature={acs3.sign(secret, to_sign)}"
    )
    url = f"http://{api_server.endpoint}{path}" + (f"?{acs3.canonical_query(query)}" if query else "")
    request = urllib.request.Request(url, data=body or None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture()
def signed(api: DataWorksApiStandIn) -> Signed:
    """``signed(action, params, **options)`` against the module's stand-in."""
    return lambda action, params, **options: signed_request(api, action, params, **options)
