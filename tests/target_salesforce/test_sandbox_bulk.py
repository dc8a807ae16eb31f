"""target-salesforce's Bulk API 2.0 path against the HTTPS sandbox: above bulk_threshold
rows of one object and action, writes go through a few ingest jobs, not ceil(n/200)
collection calls, with the same order, refs and per-record sync log."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from crmsync_sandbox.testing import SandboxProcess
from salesforce_client import SalesforceClient

from tests.target_salesforce.test_sandbox_apply import _apply, _collection_writes, _config, _row

#: Calls of one ingest job: create, upload, close, a poll or two, one or two result files.
MAX_CALLS_PER_JOB = 7


def _ingest_calls(sandbox: SandboxProcess) -> int:
    routes = sandbox.calls("salesforce")["by_route"]
    return sum(n for route, n in routes.items() if "/jobs/ingest" in route)


@pytest.fixture
def own_sandbox(
    sandbox_factory: Callable[..., SandboxProcess], monkeypatch: pytest.MonkeyPatch
) -> SandboxProcess:
    """A sandbox of this test alone, so call counts are this test's."""
    process = sandbox_factory(seed=7, size="small")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", process.env["REQUESTS_CA_BUNDLE"])
    return process


def test_creates_above_the_threshold_go_through_bulk_with_refs_and_failures(
    own_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    """2,000 accounts and 2,000 contacts above a threshold of 1,000 cost two jobs (at most
    14 calls), not 20 collection calls; contacts resolve AccountId from the accounts
    created just before; contacts without LastName fail per record with the API's code;
    a re-run duplicates nothing."""
    n = 2000
    tag = uuid.uuid4().hex[:6]
    accounts = [
        _row(
            "run-bulk",
            "create",
            10_000 + i,
            {"Name": f"{tag}-{i}", "ForceManager_Id__c": str(10_000 + i)},
        )
        for i in range(n)
    ]
    contacts = [
        _row(
            "run-bulk",
            "create",
            20_000 + i,
            {"ForceManager_Id__c": str(20_000 + i)}
            | ({"FirstName": "NoLastName"} if i % 100 == 0 else {"LastName": f"{tag}-c{i}"}),
            refs={"AccountId": {"object": "accounts", "forcemanager_id": 10_000 + i}},
        )
        for i in range(n)
    ]
    config = _config(own_sandbox, tmp_path) | {"bulk_threshold": 1000}
    own_sandbox.reset_calls("salesforce")
    lines = _apply(config, {"contacts": contacts, "accounts": accounts}, "run-bulk")

    assert _collection_writes(own_sandbox) == 0
    calls = _ingest_calls(own_sandbox)
    assert calls <= 2 * MAX_CALLS_PER_JOB
    assert calls < 2 * math.ceil(n / 200)
    assert len(lines) == 2 * n
    assert [line["object"] for line in lines] == ["accounts"] * n + ["contacts"] * n
    failed = [line for line in lines if line["status"] == "error"]
    assert {line["forcemanager_id"] for line in failed} == {20_000 + i for i in range(0, n, 100)}
    assert {line["error_code"] for line in failed} == {"REQUIRED_FIELD_MISSING"}
    assert all(line["error_message"] for line in failed)
    account_ids = {line["forcemanager_id"]: line["salesforce_id"] for line in lines[:n]}

    client = SalesforceClient.from_config(config)
    landed = list(
        client.query(
            "SELECT LastName, AccountId, ForceManager_Id__c FROM Contact "
            f"WHERE LastName LIKE '{tag}-c%'"
        )
    )
    assert len(landed) == n - len(failed)
    assert all(c["AccountId"] == account_ids[int(c["ForceManager_Id__c"]) - 10_000] for c in landed)

    _apply(config, {"contacts": contacts, "accounts": accounts}, "run-bulk")
    found = list(client.query(f"SELECT Id FROM Account WHERE Name LIKE '{tag}-%'"))
    assert len(found) == n
    client.close()


def test_updates_and_deletes_above_the_threshold_go_through_bulk(
    own_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    """Updates and deletes above the threshold take one job each; an update of an unknown
    id fails alone; deleting again still succeeds."""
    tag = uuid.uuid4().hex[:6]
    config = _config(own_sandbox, tmp_path) | {"bulk_threshold": 5}
    creates = [
        _row(
            "run-ud",
            "create",
            30_000 + i,
            {"Name": f"{tag}-{i}", "ForceManager_Id__c": str(30_000 + i)},
        )
        for i in range(20)
    ]
    ids = [line["salesforce_id"] for line in _apply(config, {"accounts": creates}, "run-ud")]
    updates = [
        _row("run-ud2", "update", 30_000 + i, {"Name": f"{tag}-new-{i}"}, salesforce_id=sf_id)
        for i, sf_id in enumerate(ids[:10])
    ]
    updates.append(_row("run-ud2", "update", 1, {"Name": "x"}, salesforce_id="001000000000000AAA"))
    deletes = [_row("run-ud2", "delete", None, {}, salesforce_id=sf_id) for sf_id in ids[10:]]
    own_sandbox.reset_calls("salesforce")
    lines = _apply(config, {"accounts": updates + deletes}, "run-ud2")

    assert _collection_writes(own_sandbox) == 0
    assert _ingest_calls(own_sandbox) <= 2 * MAX_CALLS_PER_JOB
    by_action = {(line["action"], line["status"]) for line in lines}
    assert by_action == {("delete", "success"), ("update", "success"), ("update", "error")}
    assert [line["salesforce_id"] for line in lines if line["status"] == "error"] == [
        "001000000000000AAA"
    ]
    client = SalesforceClient.from_config(config)
    names = sorted(
        r["Name"] for r in client.query(f"SELECT Name FROM Account WHERE Name LIKE '{tag}-%'")
    )
    assert names == sorted(f"{tag}-new-{i}" for i in range(10))
    client.close()

    again = _apply(config, {"accounts": deletes}, "run-ud2")[len(lines) :]
    assert len(again) == len(deletes)
    assert {line["status"] for line in again} == {"success"}


def test_below_the_threshold_collections_are_used(
    own_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    """Exactly bulk_threshold rows stay on sObject Collections."""
    tag = uuid.uuid4().hex[:6]
    rows = [
        _row(
            "run-small",
            "create",
            40_000 + i,
            {"Name": f"{tag}-{i}", "ForceManager_Id__c": str(40_000 + i)},
        )
        for i in range(250)
    ]
    own_sandbox.reset_calls("salesforce")
    _apply(
        _config(own_sandbox, tmp_path) | {"bulk_threshold": 250}, {"accounts": rows}, "run-small"
    )
    assert _ingest_calls(own_sandbox) == 0
    assert _collection_writes(own_sandbox) == 2
