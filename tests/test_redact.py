"""The one URL redaction of the package (dwevents.redact): Redis URLs and webhook URLs alike."""

from __future__ import annotations

import pytest

from dwevents.redact import redact_url, url_secrets


@pytest.mark.parametrize(("url", "shown"), [
    # Redis: the password goes, user name, host, port and database stay
    ("redis://:pw@host:6379/0", "redis://:***@host:6379/0"),
    ("rediss://user:pw@host/1", "rediss://user:***@host/1"),
    ("redis://host:6379", "redis://host:6379"),
    ("redis://:pw@[::1]:6379/0", "redis://:***@[::1]:6379/0"),
    ("redis://host/0?password=pw", "redis://host/0?***"),
    # unix sockets: the path is a file, never a token
    ("unix:///var/run/redis-6379.sock", "unix:///var/run/redis-6379.sock"),
    # webhooks: the query and token-like path segments go
    ("https://oapi.dingtalk.com/robot/send?access_token=abc", "https://oapi.dingtalk.com/robot/send?***"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd",
     "https://open.feishu.cn/open-apis/bot/v2/hook/***"),
    ("https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX#frag",
     "https://hooks.slack.com/services/T0001/B0001/***"),
    ("http://127.0.0.1:99999/x", "<invalid url>"),
])
def test_redact_url_keeps_where_and_hides_the_credential(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_url_secrets_lists_what_redact_url_hides() -> None:
    # GIVEN a URL with a password, a token in the path and one in the query
    url = "https://bot:p4ssw0rd@hooks.example.com/hook/tok-0123456789abcdef?key=k3y-value"
    # THEN each credential part is listed (for scrubbing texts that echo the URL), short ones are not
    assert set(url_secrets(url)) == {"p4ssw0rd", "tok-0123456789abcdef", "k3y-value", "key=k3y-value"}
    assert url_secrets("https://h/x?a=1") == []  # "a=1" and "1" are too short to scrub from a text safely
