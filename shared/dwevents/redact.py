"""The one URL redaction of the package: what of a URL may reach a log line, a repr or an error text.

Why one function: Redis URLs carry a password in the user-info part, webhook URLs carry their
credential in the query (``?access_token=``, ``?key=``) or in a path segment (Slack's
``/services/T…/B…/<token>``, Feishu's ``/hook/<uuid>``). Logging either must show where a call went
and never the credential, so both kinds go through :func:`redact_url`; :func:`url_secrets` lists the
same parts so a text that echoes a URL (an upstream error body, say) can be scrubbed of them.
"""

from __future__ import annotations

import urllib.parse

__all__ = ["redact_url", "url_secrets"]

#: Schemes whose path segments may be credentials (the rest, e.g. unix:// socket paths, are files).
_TOKEN_PATH_SCHEMES = frozenset({"http", "https"})


def _looks_secret(segment: str) -> bool:
    """A path segment that reads like a token: long, or mixing letters and digits."""
    has_digit = any(c.isdigit() for c in segment)
    has_alpha = any(c.isalpha() for c in segment)
    return len(segment) >= 16 or (len(segment) >= 8 and has_digit and has_alpha)


def redact_url(url: str) -> str:
    """``url`` fit for logs: the password, the query and (for http/https) token-like path segments are
    ``***``; the fragment is dropped; scheme, user name, host, port and the rest of the path stay."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return "<invalid url>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port is not None:
        host = f"{host}:{port}"
    if parts.password is not None:
        host = f"{parts.username or ''}:***@{host}"
    elif parts.username:
        host = f"{parts.username}@{host}"
    path = parts.path
    if parts.scheme.lower() in _TOKEN_PATH_SCHEMES:
        path = "/".join("***" if _looks_secret(seg) else seg for seg in path.split("/"))
    return f"{parts.scheme}://{host}{path}" + ("?***" if parts.query else "")


def url_secrets(url: str) -> list[str]:
    """The parts of ``url`` that are credentials: the password, the query and its values, token-like
    path segments (http/https). Fragments shorter than four characters are left out: scrubbing them
    would mangle ordinary text."""
    try:
        parts = urllib.parse.urlsplit(url)
        password = parts.password
    except ValueError:
        return [url]
    found = [v for _, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=False)]
    if parts.scheme.lower() in _TOKEN_PATH_SCHEMES:
        found += [seg for seg in parts.path.split("/") if _looks_secret(seg)]
    found += [parts.query] if parts.query else []
    found += [password] if password else []
    return [s for s in found if len(s) >= 4]
