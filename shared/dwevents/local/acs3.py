"""Verify Alibaba Cloud ACS3-HMAC-SHA256 request signatures (what the Tea/OpenAPI SDKs send).

Used by the local stand-ins so the tests drive the real SDKs and a wrong secret is rejected exactly as
the cloud would. Algorithm ("Request syntax and signature method V3",
https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature; checked against
the SDKs by tests/dataworks/test_client.py and tests/dataworks/test_conformance.py):

1. ``Authorization: ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<h1;h2;...>,Signature=<hex>``;
2. ``x-acs-content-sha256`` must equal hex(sha256(body));
3. canonical request = method, path, canonical query, the signed headers as ``name:value\\n`` lines,
   the SignedHeaders string and the body hash, joined by ``\\n``;
4. string to sign = ``ACS3-HMAC-SHA256\\n`` + hex(sha256(canonical request));
5. signature = hex(HMAC-SHA256(secret, string to sign)), compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from urllib.parse import quote

from dwevents.errors import DwEventsError

ALGORITHM = "ACS3-HMAC-SHA256"


class SignatureError(DwEventsError):
    """The request is not signed correctly. ``code`` is the error code the cloud answers with."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        self.code = code
        self.status = status
        super().__init__(message)


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def canonical_query(query: Mapping[str, str | list[str]]) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        values = value if isinstance(value, list) else [value]
        pairs.extend((_encode(key), _encode(v)) for v in values)
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def string_to_sign(
    method: str,
    path: str,
    query: Mapping[str, str | list[str]],
    headers: Mapping[str, str],
    signed_headers: list[str],
    body_hash: str,
) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    header_block = "".join(f"{name}:{lowered.get(name, '').strip()}\n" for name in signed_headers)
    canonical = "\n".join(
        [
            method.upper(),
            path or "/",
            canonical_query(query),
            header_block,
            ";".join(signed_headers),
            body_hash,
        ]
    )
    return f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def sign(secret: str, to_sign: str) -> str:
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def parse_authorization(value: str) -> tuple[str, list[str], str]:
    """→ (access key id, signed header names, signature)."""
    if not value.startswith(ALGORITHM + " "):
        raise SignatureError("IncompleteSignature", f"Authorization must use {ALGORITHM}")
    fields: dict[str, str] = {}
    for part in value[len(ALGORITHM) + 1 :].split(","):
        key, _, val = part.strip().partition("=")
        fields[key] = val
    try:
        return fields["Credential"], [h for h in fields["SignedHeaders"].split(";") if h], fields["Signature"]
    except KeyError as exc:
        raise SignatureError("IncompleteSignature", f"Authorization lacks {exc.args[0]}") from None


def verify(
    method: str,
    path: str,
    query: Mapping[str, str | list[str]],
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], str | None],
) -> str:
    """Check the signature; return the access key id. Raise :class:`SignatureError` otherwise."""
    lowered = {k.lower(): v for k, v in headers.items()}
    auth = lowered.get("authorization")
    if not auth:
        raise SignatureError("MissingAuthorization", "Authorization header is missing")
    key_id, signed_headers, signature = parse_authorization(auth)
    secret = secret_for(key_id)
    if secret is None:
        raise SignatureError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    body_hash = hashlib.sha256(body).hexdigest()
    if lowered.get("x-acs-content-sha256", body_hash) != body_hash:
        raise SignatureError("IncompleteSignature", "x-acs-content-sha256 does not match the body")
    for required in ("host", "x-acs-date", "x-acs-signature-nonce"):
        if required in lowered and required not in signed_headers:
            raise SignatureError("IncompleteSignature", f"header {required} is not signed")
    expected = sign(secret, string_to_sign(method, path, query, headers, signed_headers, body_hash))
    if not hmac.compare_digest(expected, signature):
        raise SignatureError(
            "SignatureDoesNotMatch", "The request signature does not conform to Aliyun standards."
        )
    return key_id
