"""Real clients against the Salesforce sandbox: simple-salesforce 1.12.10 unmodified, Bulk 2.0."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from crmsync_sandbox.testing import SandboxProcess
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.sandbox.salesforce_helpers import SfApi, https_session


@pytest.fixture(scope="module")
def sf_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """A Salesforce-only sandbox with more than one 2,000-row page of accounts."""
    folder: Path = tmp_path_factory.mktemp("sf-clients") / "data"
    process = SandboxProcess(folder, only="salesforce", seed=5, size=2100).start()
    yield process
    process.stop()


@pytest.fixture
def sf(sf_process: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> Salesforce:
    """simple-salesforce logged in with the OAuth password grant (docs/reference-salesforce.md)."""
    env = sf_process.env
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sf_process.ca_bundle)
    session = https_session(sf_process)
    session.trust_env = True
    host = env["SALESFORCE_LOGIN_URL"].removeprefix("https://")
    return Salesforce(
        username=env["SALESFORCE_USERNAME"],
        password=env["SALESFORCE_PASSWORD"] + env["SALESFORCE_SECURITY_TOKEN"],
        consumer_key=env["SALESFORCE_CLIENT_ID"],
        consumer_secret=env["SALESFORCE_CLIENT_SECRET"],
        domain=f"{host}/services/oauth2/token#",
        session=session,
    )


def test_simple_salesforce_queries_past_one_page(sf: Salesforce) -> None:
    """query_all follows nextRecordsUrl over more than 2,000 rows; usage is parsed."""
    result = sf.query_all(
        "SELECT Id, Name, SystemModstamp FROM Account ORDER BY SystemModstamp, Id"
    )
    assert result["totalSize"] == 2100
    assert len(result["records"]) == 2100
    stamps = [r["SystemModstamp"] for r in result["records"]]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) < len(stamps)
    assert sf.api_usage["api-usage"].total == 15000


def test_simple_salesforce_crud_describe_and_collections(sf: Salesforce) -> None:
    """describe, create, update, delete, and collections through sf.restful, unmodified."""
    fields = {f["name"] for f in sf.Contact.describe()["fields"]}
    assert {"Preferred_Channel__c", "ForceManager_Id__c", "AccountId"} <= fields
    created = sf.Account.create({"Name": "SimpleSF", "Is_Key_Account__c": True})
    assert created["success"]
    assert sf.Account.update(created["id"], {"Annual_Visits__c": 4}) == 204
    assert sf.Account.get(created["id"])["Annual_Visits__c"] == 4.0
    assert sf.Account.upsert("ForceManager_Id__c/SS-1", {"Name": "Up"}) == 201
    assert sf.Account.upsert("ForceManager_Id__c/SS-1", {"Name": "Up 2"}) == 200
    assert sf.Account.delete(created["id"]) == 204
    payload = {
        "allOrNone": False,
        "records": [{"attributes": {"type": "Contact"}, "LastName": "Col"}],
    }
    results = sf.restful("composite/sobjects", method="POST", json=payload)
    assert results[0]["success"]
    assert results[0]["id"].startswith("003")
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Nope FROM Account")
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_simple_salesforce_bulk2_query(sf: Salesforce) -> None:
    """sf.bulk2 creates a query job, polls it to JobComplete and pages CSV by Sforce-Locator."""
    chunks = list(
        sf.bulk2.Account.query("SELECT Id, Name FROM Account", max_records=1000, wait=0.1)
    )
    rows = [row for chunk in chunks for row in csv.DictReader(io.StringIO(chunk))]
    assert len(chunks) >= 3
    assert len(rows) >= 2100
    assert rows[0]["Id"].startswith("001")


def test_simple_salesforce_bulk2_ingest(sf: Salesforce) -> None:
    """Bulk 2.0 insert and upsert report processed, failed and per-row results."""
    data = [
        {"Name": "Bulk A", "Customer_Tier__c": "Gold"},
        {"Name": "Bulk B", "Customer_Tier__c": "Platinum"},
    ]
    result = sf.bulk2.Account.insert(records=data, wait=0.1)
    assert result[0]["numberRecordsProcessed"] == 2
    assert result[0]["numberRecordsFailed"] == 1
    job_id = result[0]["job_id"]
    failed = sf.bulk2.Account.get_failed_records(job_id)
    assert "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in failed
    ok = sf.bulk2.Account.get_successful_records(job_id)
    assert ok.splitlines()[0].startswith('"sf__Id","sf__Created"') or ok.startswith(
        "sf__Id,sf__Created"
    )
    up = [
        {"ForceManager_Id__c": "BK-1", "Name": "One"},
        {"ForceManager_Id__c": "BK-2", "Name": "Two"},
    ]
    result = sf.bulk2.Account.upsert(records=up, external_id_field="ForceManager_Id__c", wait=0.1)
    assert result[0]["numberRecordsFailed"] == 0
    assert (
        sf.query("SELECT COUNT() FROM Account WHERE ForceManager_Id__c IN ('BK-1','BK-2')")[
            "totalSize"
        ]
        == 2
    )


def test_bulk_query_job_states_and_errors(sf_process: SandboxProcess) -> None:
    """Results before completion answer 412 JOB_NOT_COMPLETE; bad SOQL is refused at creation."""
    api = SfApi(sf_process)
    job = api.call(
        "POST", "jobs/query", json={"operation": "query", "query": "SELECT Id FROM Contact"}
    ).json()
    assert job["state"] == "UploadComplete"
    assert job["id"].startswith("750")
    early = api.call("GET", f"jobs/query/{job['id']}/results")
    assert early.status_code == 412
    assert early.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"
    aborted = api.call("PATCH", f"jobs/query/{job['id']}", json={"state": "Aborted"}).json()
    assert aborted["state"] == "Aborted"
    assert api.call("DELETE", f"jobs/query/{job['id']}").status_code == 204
    assert api.call("GET", f"jobs/query/{job['id']}").status_code == 404
    bad = api.call(
        "POST", "jobs/query", json={"operation": "query", "query": "SELECT Nope FROM Contact"}
    )
    assert bad.status_code == 400
    assert bad.json()[0]["errorCode"] == "INVALID_FIELD"
