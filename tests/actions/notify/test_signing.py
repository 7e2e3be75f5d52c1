"""Signatures (dwevents.actions.notify.signing): known-answer vectors computed outside this code
(openssl, and Node's crypto), from "Custom bot security settings"
(https://open.dingtalk.com/document/robots/customize-robot-security-settings) and the Feishu
"Custom bot guide" (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot)."""

from __future__ import annotations

import urllib.parse

from dwevents.actions.notify import DingTalkChannel, dingtalk_sign, feishu_sign, webhook_signature
from dwevents.actions.notify.signing import feishu_signed_fields, webhook_signed_headers


def test_dingtalk_sign_matches_an_independent_hmac() -> None:
    # GIVEN vectors from `printf '<ts>\n<secret>' | openssl dgst -sha256 -hmac '<secret>' -binary | base64`
    # WHEN signing THEN the base64 HMAC matches, '+' and '/' included (they must be URL-encoded later)
    assert dingtalk_sign("1599360473000", "this is secret") == "hXZTWifRGHclNuZSKxoXc//sh51SWfVfRIhcdeKs63I="
    assert dingtalk_sign("1599360473001", "this is secret") == "FFa7lqbDg9nUpjv2PsmsNQx0pUOYra+izTNB/0xfMGY="


def test_dingtalk_signed_url_url_encodes_the_sign() -> None:
    # GIVEN a robot URL and a secret whose signature at this instant contains '+' and '/'
    channel = DingTalkChannel("ops", "https://oapi.dingtalk.com/robot/send?access_token=t", "this is secret")
    # WHEN the URL is signed at 1599360473.001 s
    url = channel.signed_url(now=1599360473.001)
    # THEN timestamp (ms) and the percent-encoded sign are appended to the existing query
    query = urllib.parse.urlsplit(url).query
    assert "timestamp=1599360473001" in query
    assert "sign=FFa7lqbDg9nUpjv2PsmsNQx0pUOYra%2BizTNB%2F0xfMGY%3D" in query
    assert query.startswith("access_token=t&")


def test_feishu_sign_uses_timestamp_and_secret_as_the_key() -> None:
    # GIVEN the vector from `openssl dgst -sha256 -mac HMAC -macopt key:"<ts>\n<secret>"` on empty input
    # (the same value another project's Node test pins) THEN ours agrees
    assert feishu_sign("1756800000", "orbit-test-secret") == "sN+9ZKa5w6BQmKyxCaxNA1DWEgtEnZaOcfEOCqZ26fg="
    # AND the body members carry the timestamp in seconds, as a string
    assert feishu_signed_fields("orbit-test-secret", now=1756800000.9) == {
        "timestamp": "1756800000", "sign": "sN+9ZKa5w6BQmKyxCaxNA1DWEgtEnZaOcfEOCqZ26fg="}


def test_webhook_signature_covers_timestamp_and_body() -> None:
    a = webhook_signature("s", "1700000000", b'{"a":1}')
    assert a.startswith("sha256=") and len(a) == len("sha256=") + 64
    assert a != webhook_signature("s", "1700000001", b'{"a":1}')
    assert a != webhook_signature("s", "1700000000", b'{"a":2}')
    assert webhook_signed_headers("s", b'{"a":1}', now=1700000000.5) == {
        "X-Dwevents-Timestamp": "1700000000", "X-Dwevents-Signature": a}
