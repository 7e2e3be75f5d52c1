"""Which events a function accepts (dwevents.trust), each refusal with the reason it gives.

Every branch of the trust check, pinned by its message: the mutation run (``python3 -m tests.mutation``,
docs/testing.md) found the "no account to check" path and the FC-direct routing unexercised. Events are
the documented samples from ``events/``, decoded from bytes as a delivery would be.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from dwevents.config import TrustConfig
from dwevents.envelope import DataWorksEvent, decode_one
from dwevents.errors import RefusedEventError
from dwevents.trust import FC_DIRECT_EVENT_CODES, check_trust, envelope_category, is_unknown_blocking_direct

from .conftest import SAMPLE_ACCOUNT, load_sample

TRUST = TrustConfig(allowed_accounts=[SAMPLE_ACCOUNT])


def decoded(sample: str, **changes: Any) -> DataWorksEvent:
    doc = copy.deepcopy(load_sample(sample))
    doc.update(changes)
    return decode_one(json.dumps(doc).encode())


def refusal(
    event: DataWorksEvent, category: str, trust: TrustConfig = TRUST, account: str | None = None
) -> str:
    with pytest.raises(RefusedEventError) as info:
        check_trust(event, trust=trust, category=category, account_id=account)
    return str(info.value)


def test_fc_direct_codes_come_from_the_catalogue_for_the_two_functions_dataworks_invokes() -> None:
    # the docs' FC-direct page names the download pre-event; its own sample is the upload event: both kept
    assert {
        "ResourcesDownload": frozenset({"download-resources"}),
        "ResourcesUpload": frozenset({"upload-data-to-table"}),
    } == FC_DIRECT_EVENT_CODES


def test_an_fc_direct_message_is_accepted_only_by_its_own_function() -> None:
    upload = decoded("fc-direct/upload-data-to-table")
    check_trust(upload, trust=TRUST, category="ResourcesUpload", account_id=None)  # accepted
    assert refusal(upload, "FileChange") == (
        "FC-direct messages are accepted only by ResourcesDownload and ResourcesUpload, not FileChange"
    )
    assert refusal(upload, "ResourcesDownload") == (
        "FC-direct eventType 'upload-data-to-table' is not sent to ResourcesDownload "
        "(expected download-resources)"
    )
    unknown = decoded("fc-direct/upload-data-to-table", eventType="not-an-event")
    assert (
        refusal(unknown, "ResourcesUpload")
        == "FC-direct eventType 'not-an-event' is not a known DataWorks event"
    )


def test_an_unknown_blocking_fc_direct_message_to_an_fc_direct_function_is_flagged_for_the_fail_mode() -> (
    None
):
    unknown = decoded("fc-direct/upload-data-to-table", eventType="not-an-event")
    assert envelope_category(unknown) is None
    assert is_unknown_blocking_direct(unknown, "ResourcesUpload")
    assert not is_unknown_blocking_direct(unknown, "FileChange")  # not a function DataWorks invokes
    not_blocking = decoded("fc-direct/upload-data-to-table", eventType="not-an-event", blockBusiness=False)
    assert not is_unknown_blocking_direct(not_blocking, "ResourcesUpload")
    known = decoded("fc-direct/upload-data-to-table")
    assert envelope_category(known) == "ResourcesUpload" and not is_unknown_blocking_direct(
        known, "ResourcesUpload"
    )
    assert not is_unknown_blocking_direct(decoded("FileChange/commit-file"), "ResourcesUpload")


def test_a_cloudevent_from_another_source_or_account_is_refused_naming_it() -> None:
    assert refusal(decoded("FileChange/commit-file", source="acs.oss"), "FileChange") == (
        "source 'acs.oss' is not allowed (expected acs.dataworks)"
    )
    assert refusal(decoded("FileChange/commit-file", aliyunaccountid="999"), "FileChange") == (
        "account '999' is not allowed"
    )
    two = TrustConfig(allowed_sources=["acs.dataworks", "acs.other"], allowed_accounts=[SAMPLE_ACCOUNT])
    assert refusal(decoded("FileChange/commit-file", source="x"), "FileChange", two) == (
        "source 'x' is not allowed (expected acs.dataworks, acs.other)"
    )


def test_with_no_account_configured_the_functions_own_account_is_the_one_trusted() -> None:
    event = decoded("FileChange/commit-file")
    open_trust = TrustConfig()
    check_trust(event, trust=open_trust, category="FileChange", account_id=SAMPLE_ACCOUNT)  # accepted
    assert refusal(event, "FileChange", open_trust, account="5555") == (
        f"account '{SAMPLE_ACCOUNT}' is not allowed"
    )
    assert refusal(event, "FileChange", open_trust, account=None) == (
        "no account to check the event against: set trust.allowed_accounts or DWEVENTS_ALLOWED_ACCOUNTS"
    )
    assert refusal(event, "FileChange", open_trust, account="").startswith("no account to check")


def test_the_envelopes_own_type_decides_the_category_never_the_payload() -> None:
    other = decoded("FileChange/commit-file", type="dataworks:NodeChange:NotARealAction")
    assert envelope_category(other) == "NodeChange"
    assert refusal(other, "FileChange") == (
        "type 'dataworks:NodeChange:NotARealAction' belongs to the NodeChange function, not FileChange"
    )
    nameless = decoded("FileChange/commit-file", type="dataworks-FileChange")
    assert envelope_category(nameless) is None
    assert refusal(nameless, "FileChange") == "type 'dataworks-FileChange' names no DataWorks category"
    too_many = decoded("FileChange/commit-file", type="dataworks:FileChange:CommitFile:extra")
    assert refusal(too_many, "FileChange").endswith("names no DataWorks category")


def test_rawdata_is_refused_unless_allowed_and_then_checked_by_its_category() -> None:
    event = decode_one(
        json.dumps(load_sample("InstanceStatusChanges/instance-status-changes")["data"]).encode()
    )
    assert event.delivery == "rawdata"
    assert refusal(event, "InstanceStatusChanges").startswith("RawData delivery carries no source or account")
    allow = TrustConfig(allow_rawdata=True)
    check_trust(event, trust=allow, category="InstanceStatusChanges", account_id=None)  # accepted
    assert envelope_category(event) == "InstanceStatusChanges"
    assert refusal(event, "FileChange", allow).endswith(
        "belongs to the InstanceStatusChanges function, not FileChange"
    )
