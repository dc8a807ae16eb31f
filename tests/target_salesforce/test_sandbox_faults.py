"""Under the sandbox's --fail-rate (a share of calls answered 503), target-salesforce's
writes (Collections and Bulk) and tap-salesforce's reads (REST and Bulk) complete without
loss or duplicates: every failed call is retried."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from crmsync_sandbox.testing import SandboxProcess
from salesforce_client import SalesforceClient
from salesforce_client.retry import RetryPolicy
from tap_salesforce.tap import TapSalesforce

from tests.target_salesforce.test_sandbox_apply import _apply, _config, _row

FAIL_RATE = 0.2


@pytest.fixture
def flaky_sandbox(
    sandbox_factory: Callable[..., SandboxProcess], monkeypatch: pytest.MonkeyPatch
) -> SandboxProcess:
    """A sandbox failing a fifth of the API calls (login included) with 503; retry waits
    are shortened so the test stays fast (the policy's attempts are unchanged)."""
    process = sandbox_factory(seed=7, size="small", fail_rate=FAIL_RATE)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", process.env["REQUESTS_CA_BUNDLE"])
    monkeypatch.setattr(RetryPolicy, "delay", lambda _self, attempt: 0.01 * attempt)
    return process


def _read(config: dict[str, Any], query_api: str) -> dict[str, list[dict[str, Any]]]:
    """Run the tap in process (full refresh) and return its records by stream."""
    tap_config = config | {
        "objects": ["Account", "Contact"],
        "query_api": query_api,
        "full_refresh": True,
    }
    out = io.StringIO()
    tap = TapSalesforce(config=tap_config, parse_env_config=False)
    with contextlib.redirect_stdout(out):
        tap.sync_all()
    tap.client.close()  # an open keep-alive connection would hold up the server's shutdown
    records: dict[str, list[dict[str, Any]]] = {}
    for line in out.getvalue().splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            records.setdefault(message["stream"], []).append(message["record"])
    return records


def test_writes_and_reads_survive_transient_failures(
    flaky_sandbox: SandboxProcess, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """300 accounts through Bulk and 250 contacts through Collections land once each, twice
    applied; REST and Bulk reads return every record exactly once."""
    n, m = 300, 250
    tag = uuid.uuid4().hex[:6]
    accounts = [
        _row(
            "run-f",
            "create",
            50_000 + i,
            {"Name": f"{tag}-{i}", "ForceManager_Id__c": str(50_000 + i)},
        )
        for i in range(n)
    ]
    contacts = [
        _row(
            "run-f",
            "create",
            60_000 + i,
            {"LastName": f"{tag}-c{i}", "ForceManager_Id__c": str(60_000 + i)},
            refs={"AccountId": {"object": "accounts", "forcemanager_id": 50_000 + i}},
        )
        for i in range(m)
    ]
    config = _config(flaky_sandbox, tmp_path) | {"bulk_threshold": 250}
    for _ in range(2):
        lines = _apply(config, {"accounts": accounts, "contacts": contacts}, "run-f")
    assert len(lines) == 2 * (n + m)
    assert {line["status"] for line in lines} == {"success"}
    calls = flaky_sandbox.calls("salesforce")["by_route"]
    assert any("/jobs/ingest" in route for route in calls)

    client = SalesforceClient.from_config(config)
    expected = {
        sobject: next(client.query_pages(f"SELECT Id FROM {sobject}"))["totalSize"]
        for sobject in ("Account", "Contact")
    }
    mine = list(client.query(f"SELECT AccountId FROM Contact WHERE LastName LIKE '{tag}-c%'"))
    client.close()
    assert len(mine) == m
    assert all(contact["AccountId"] for contact in mine)

    by_api = {api: _read(config, api) for api in ("rest", "bulk")}
    for records in by_api.values():
        for sobject, count in expected.items():
            ids = [r["Id"] for r in records[sobject]]
            assert len(ids) == len(set(ids)) == count
    retries = [r for r in caplog.records if "Transient Salesforce failure" in r.getMessage()]
    assert len(retries) >= 5  # the failures did happen, and were absorbed
    for sobject in expected:
        rest, bulk = ({r["Id"] for r in by_api[api][sobject]} for api in ("rest", "bulk"))
        assert rest == bulk
