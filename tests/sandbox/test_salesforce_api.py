"""The Salesforce sandbox's REST API over real HTTPS: auth, describe, query, writes, errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests
from crmsync_sandbox.testing import SandboxProcess

from tests.sandbox.salesforce_helpers import SfApi, error_code, https_session, password_token


@pytest.fixture(scope="module")
def sf_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """A Salesforce-only sandbox of this module (its limits are changed by tests)."""
    folder: Path = tmp_path_factory.mktemp("sf-api") / "data"
    process = SandboxProcess(folder, only="salesforce", seed=3, size=30).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api(sf_process: SandboxProcess) -> SfApi:
    """A logged-in REST client."""
    return SfApi(sf_process)


def test_token_endpoint_grants_and_errors(sf_process: SandboxProcess) -> None:
    """Password, refresh-token and client-credentials grants work; bad ones answer OAuth errors."""
    session = https_session(sf_process)
    env = sf_process.env
    url = env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/token"
    body = password_token(sf_process, session)
    assert body["access_token"].startswith("00D000000000001!")
    assert body["instance_url"] == env["SALESFORCE_LOGIN_URL"]
    assert body["token_type"] == "Bearer"
    assert body["issued_at"].isdigit()
    client = {
        "client_id": env["SALESFORCE_CLIENT_ID"],
        "client_secret": env["SALESFORCE_CLIENT_SECRET"],
    }
    refreshed = session.post(
        url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": env["SALESFORCE_REFRESH_TOKEN"],
            **client,
        },
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != body["access_token"]
    basic = session.post(
        url,
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert basic.status_code == 200
    cases = [
        (
            {
                "grant_type": "password",
                **client,
                "username": env["SALESFORCE_USERNAME"],
                "password": "wrong",
            },
            "invalid_grant",
        ),
        ({"grant_type": "refresh_token", **client, "refresh_token": "nope"}, "invalid_grant"),
        ({"grant_type": "password", "client_id": "x", "client_secret": "y"}, "invalid_client_id"),
        (
            {
                "grant_type": "client_credentials",
                "client_id": client["client_id"],
                "client_secret": "bad",
            },
            "invalid_client",
        ),
        ({"grant_type": "magic", **client}, "unsupported_grant_type"),
    ]
    for form, expected in cases:
        reply = session.post(url, data=form)
        assert reply.status_code == 400, form
        assert reply.json()["error"] == expected, form
    assert "authentication failure" in session.post(url, data=cases[0][0]).text
    for token in (None, "Bearer nope"):
        headers = {"Authorization": token} if token else {}
        reply = session.get(
            env["SALESFORCE_LOGIN_URL"] + "/services/data/v59.0/limits", headers=headers
        )
        assert reply.status_code == 401
        assert reply.json() == [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ]


def test_versions_resources_and_unknown_version(api: SfApi) -> None:
    """/services/data/ needs no auth; v50..v62 are served; others answer 404 NOT_FOUND."""
    versions = https_session(api.process).get(api.root + "/services/data/").json()
    assert {"50.0", "62.0"} <= {v["version"] for v in versions}
    assert "Sforce-Limit-Info" in api.call("GET", "/services/data/v62.0/").headers
    reply = api.call("GET", "/services/data/v49.0/sobjects/")
    assert reply.status_code == 404
    assert error_code(reply) == "NOT_FOUND"


def test_describe_reports_real_field_attributes(api: SfApi) -> None:
    """Global describe lists the six objects and the permission objects set-up writes; an
    object describe has full field attributes."""
    names = {o["name"]: o["keyPrefix"] for o in api.call("GET", "sobjects/").json()["sobjects"]}
    assert names == {
        "User": "005",
        "Account": "001",
        "Contact": "003",
        "Opportunity": "006",
        "Task": "00T",
        "Event": "00U",
        "PermissionSet": "0PS",
        "PermissionSetAssignment": "0Pa",
        "FieldPermissions": "01k",
    }
    fields = {f["name"]: f for f in api.call("GET", "sobjects/Account/describe").json()["fields"]}
    fm = fields["ForceManager_Id__c"]
    assert (fm["externalId"], fm["unique"], fm["custom"], fm["length"], fm["type"]) == (
        True,
        True,
        True,
        20,
        "string",
    )
    tier = fields["Customer_Tier__c"]
    assert tier["restrictedPicklist"]
    assert [p["value"] for p in tier["picklistValues"]] == [
        "Gold",
        "Silver",
        "Bronze",
    ]
    assert fields["Name"]["nillable"] is False
    assert fields["SystemModstamp"]["updateable"] is False
    assert fields["OwnerId"]["referenceTo"] == ["User"]
    assert fields["OwnerId"]["relationshipName"] == "Owner"
    opp = {f["name"]: f for f in api.call("GET", "sobjects/Opportunity/describe").json()["fields"]}
    assert opp["IsWon"]["createable"] is False
    assert opp["Probability"]["type"] == "percent"
    assert api.call("GET", "sobjects/Nope/describe").status_code == 404


def test_query_pages_with_relative_next_url_and_batch_size(api: SfApi) -> None:
    """Pages follow a relative nextRecordsUrl; batchSize is honoured; a re-sent q is ignored."""
    reply = api.query(
        "SELECT Id, Name FROM Account ORDER BY Id",
        headers={"Sforce-Query-Options": "batchSize=200"},
    )
    body = reply.json()
    assert body["totalSize"] == 30
    assert body["done"] is True
    assert len(body["records"]) == 30
    rec = body["records"][0]
    assert rec["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v59.0/sobjects/Account/{rec['Id']}",
    }
    for i in range(205):
        api.create("Contact", {"LastName": f"Pager {i}"})
    first = api.query(
        "SELECT Id FROM Contact WHERE LastName LIKE 'Pager%'",
        headers={"Sforce-Query-Options": "batchSize=200"},
    ).json()
    assert first["totalSize"] == 205
    assert not first["done"]
    assert len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    second = api.call("GET", first["nextRecordsUrl"], params={"q": "SELECT Id FROM Account"}).json()
    assert second["done"]
    assert len(second["records"]) == 5
    count = api.query("SELECT COUNT() FROM Contact WHERE LastName LIKE 'Pager%'").json()
    assert count == {"totalSize": 205, "done": True, "records": []}
    no_slash = api.call("GET", "query", params={"q": "SELECT Id FROM User"})
    assert no_slash.status_code == 200
    assert no_slash.json()["totalSize"] == 7


def test_query_errors_answer_400_arrays(api: SfApi) -> None:
    """MALFORMED_QUERY, INVALID_FIELD and INVALID_TYPE come as 400 with the JSON array body."""
    for soql, code in [
        ("SELECT Id FROM", "MALFORMED_QUERY"),
        ("SELECT Nope FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Nope", "INVALID_TYPE"),
    ]:
        reply = api.query(soql)
        assert reply.status_code == 400
        assert error_code(reply) == code
    assert (
        "No such column 'Nope' on entity 'Account'"
        in api.query("SELECT Nope FROM Account").json()[0]["message"]
    )
    assert api.call("GET", "query/01gdeadbeefdeadbee-2000").status_code == 400


def test_crud_derived_fields_and_recycle_bin(api: SfApi) -> None:
    """CRUD with derived fields; deleted rows only in queryAll; a second delete fails."""
    account = api.create("Account", {"Name": "Crud Co", "Customer_Tier__c": "Gold"})
    contact = api.create("Contact", {"LastName": "Doe", "FirstName": "Jane", "AccountId": account})
    got = api.call("GET", f"sobjects/Contact/{contact}").json()
    assert got["Name"] == "Jane Doe"
    assert got["OwnerId"] == "005000000000001AAA"
    assert got["CreatedDate"].endswith("+0000")
    assert len(got["Id"]) == 18
    opp = api.create(
        "Opportunity",
        {
            "Name": "Deal",
            "StageName": "Closed Won",
            "CloseDate": "2025-03-01",
            "AccountId": account,
        },
    )
    assert api.call(
        "GET", f"sobjects/Opportunity/{opp}", params={"fields": "IsClosed,IsWon"}
    ).json() == {
        "attributes": {
            "type": "Opportunity",
            "url": f"/services/data/v59.0/sobjects/Opportunity/{opp}",
        },
        "IsClosed": True,
        "IsWon": True,
    }
    task = api.create("Task", {"Status": "Completed", "WhatId": opp, "TaskSubtype": "Call"})
    task_row = api.call("GET", f"sobjects/Task/{task}").json()
    assert task_row["AccountId"] == account
    assert task_row["IsClosed"]
    assert task_row["Priority"] == "Normal"
    before = got["SystemModstamp"]
    time.sleep(0.01)
    assert (
        api.call("PATCH", f"sobjects/Contact/{contact}", json={"Title": "CTO"}).status_code == 204
    )
    after = api.call("GET", f"sobjects/Contact/{contact}").json()
    assert after["Title"] == "CTO"
    assert after["SystemModstamp"] > before
    assert api.call("DELETE", f"sobjects/Contact/{contact}").status_code == 204
    again = api.call("DELETE", f"sobjects/Contact/{contact}")
    assert again.status_code == 404
    assert error_code(again) == "ENTITY_IS_DELETED"
    soql = f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{contact}'"
    assert api.query(soql).json()["totalSize"] == 0
    assert api.query(soql, all_rows=True).json()["records"][0]["IsDeleted"] is True
    missing = api.call("GET", "sobjects/Contact/003000000000zzzAAA")
    assert missing.status_code == 404
    assert error_code(missing) == "NOT_FOUND"


@pytest.mark.parametrize(
    ("sobject", "body", "code"),
    [
        ("Account", {}, "REQUIRED_FIELD_MISSING"),
        ("Account", {"Name": "x" * 256}, "STRING_TOO_LONG"),
        (
            "Account",
            {"Name": "a", "Customer_Tier__c": "Platinum"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        ),
        ("Contact", {"LastName": "a", "Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS"),
        ("Account", {"Name": "a", "Bogus__c": 1}, "INVALID_FIELD"),
        ("Account", {"Name": "a", "Id": "001000000000001AAA"}, "INVALID_FIELD"),
        (
            "Account",
            {"Name": "a", "SystemModstamp": "2024-01-01T00:00:00Z"},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
        ),
        (
            "Opportunity",
            {"Name": "a", "StageName": "Prospecting", "CloseDate": "2025-01-01", "IsWon": True},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
        ),
        ("Contact", {"LastName": "a", "AccountId": "nope"}, "MALFORMED_ID"),
        (
            "Contact",
            {"LastName": "a", "AccountId": "001000000000zzzAAA"},
            "INVALID_CROSS_REFERENCE_KEY",
        ),
        ("Task", {"Subject": "a"}, "REQUIRED_FIELD_MISSING"),
    ],
)
def test_invalid_writes_answer_documented_codes(
    api: SfApi, sobject: str, body: dict, code: str
) -> None:
    """Validation failures answer 400 with the real org's error code and nothing is written."""
    reply = api.call("POST", f"sobjects/{sobject}/", json=body)
    assert reply.status_code == 400, reply.text
    assert error_code(reply) == code, reply.text


def test_upsert_by_external_id_and_duplicates(api: SfApi) -> None:
    """Upsert creates (201) then updates (200); non-external-id field 400; duplicate value 400."""
    created = api.call("PATCH", "sobjects/Account/ForceManager_Id__c/FM-1", json={"Name": "Ext"})
    assert created.status_code == 201
    assert created.json()["created"] is True
    updated = api.call("PATCH", "sobjects/Account/ForceManager_Id__c/FM-1", json={"Name": "Ext 2"})
    assert updated.status_code == 200
    assert updated.json() == {
        "id": created.json()["id"],
        "success": True,
        "errors": [],
        "created": False,
    }
    assert api.call("PATCH", "sobjects/Account/Name/x", json={}).status_code == 400
    assert api.call("PATCH", "sobjects/Account/Nope__c/x", json={}).status_code == 404
    dup = api.call("POST", "sobjects/Account/", json={"Name": "Dup", "ForceManager_Id__c": "fm-1"})
    assert dup.status_code == 400
    assert error_code(dup) == "DUPLICATE_VALUE"


def test_collections_create_update_upsert_delete_retrieve(api: SfApi) -> None:
    """sObject Collections keep request order, roll back allOrNone, and cap at 200 records."""
    records = [{"attributes": {"type": "Account"}, "Name": f"Coll {i}"} for i in range(3)]
    created = api.call(
        "POST",
        "composite/sobjects",
        json={"allOrNone": False, "records": [*records, {"attributes": {"type": "Account"}}]},
    ).json()
    assert [r["success"] for r in created] == [True, True, True, False]
    assert created[3]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    ids_ = [r["id"] for r in created[:3]]
    rolled = api.call(
        "POST",
        "composite/sobjects",
        json={"allOrNone": True, "records": [*records[:1], {"attributes": {"type": "Account"}}]},
    ).json()
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert api.query("SELECT COUNT() FROM Account WHERE Name = 'Coll 0'").json()["totalSize"] == 1
    update = [{"attributes": {"type": "Account"}, "id": i, "Phone": "555"} for i in ids_]
    assert all(
        r["success"]
        for r in api.call("PATCH", "composite/sobjects", json={"records": update}).json()
    )
    got = api.call(
        "GET", "composite/sobjects/Account", params={"ids": ",".join(ids_), "fields": "Id,Phone"}
    ).json()
    assert [g["Phone"] for g in got] == ["555"] * 3
    ups = [
        {"attributes": {"type": "Account"}, "ForceManager_Id__c": f"C-{i}", "Name": "U"}
        for i in range(2)
    ]
    res = api.call(
        "PATCH", "composite/sobjects/Account/ForceManager_Id__c", json={"records": ups}
    ).json()
    assert [r["created"] for r in res] == [True, True]
    res = api.call(
        "PATCH", "composite/sobjects/Account/ForceManager_Id__c", json={"records": ups}
    ).json()
    assert [r["created"] for r in res] == [False, False]
    deleted = api.call(
        "DELETE", "composite/sobjects", params={"ids": ",".join(ids_), "allOrNone": "false"}
    ).json()
    assert [d["id"] for d in deleted] == ids_
    assert all(d["success"] for d in deleted)
    too_many = api.call("POST", "composite/sobjects", json={"records": [records[0]] * 201})
    assert too_many.status_code == 400
    assert error_code(too_many) == "EXCEEDED_ID_LIMIT"


def test_updated_and_deleted_replication(api: SfApi) -> None:
    """updated/ lists changed ids, deleted/ lists recycle-bin entries, seconds are ignored."""
    start = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    new = api.create("Account", {"Name": "Repl"})
    gone = api.create("Account", {"Name": "Gone"})
    api.call("DELETE", f"sobjects/Account/{gone}")
    time.sleep(0.01)
    end = (datetime.now(UTC) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    updated = api.call(
        "GET", "sobjects/Account/updated/", params={"start": start, "end": end}
    ).json()
    assert new in updated["ids"]
    assert gone not in updated["ids"]
    assert updated["latestDateCovered"].endswith("+0000")
    deleted = api.call(
        "GET", "sobjects/Account/deleted/", params={"start": start, "end": end}
    ).json()
    deleted_ids = [d["id"] for d in deleted["deletedRecords"]]
    assert gone in deleted_ids
    assert new not in deleted_ids
    assert "earliestDateAvailable" in deleted
    old = api.call(
        "GET", "sobjects/Account/updated/", params={"start": "2000-01-01T00:00:00Z", "end": end}
    )
    assert old.status_code == 400
    assert error_code(old) == "INVALID_REPLICATION_DATE"


def test_tooling_custom_field_shows_in_describe_soql_and_writes(api: SfApi) -> None:
    """A Tooling CustomField is described, queryable, writable and validated."""
    body = {"FullName": "Account.Region__c", "Metadata": {"label": "Region", "type": "Picklist",
            "valueSet": {"valueSetDefinition": {"value": [{"fullName": "North", "label": "North"}]},
                         "restricted": True}}}  # fmt: skip
    reply = api.call("POST", "tooling/sobjects/CustomField", json=body)
    assert reply.status_code == 201
    assert reply.json()["success"]
    assert reply.json()["id"].startswith("00N")
    dup = api.call("POST", "tooling/sobjects/CustomField", json=body)
    assert dup.status_code == 400
    assert error_code(dup) == "DUPLICATE_DEVELOPER_NAME"
    fields = {f["name"]: f for f in api.call("GET", "sobjects/Account/describe").json()["fields"]}
    assert fields["Region__c"]["custom"]
    assert fields["Region__c"]["restrictedPicklist"]
    rec = api.create("Account", {"Name": "Reg", "Region__c": "North"})
    assert (
        api.query(f"SELECT Region__c FROM Account WHERE Id = '{rec}'").json()["records"][0][
            "Region__c"
        ]
        == "North"
    )
    bad = api.call("POST", "sobjects/Account/", json={"Name": "Reg", "Region__c": "South"})
    assert error_code(bad) == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    num = {
        "FullName": "Account.Score__c",
        "Metadata": {"label": "Score", "type": "Number", "precision": 5, "scale": 1},
    }
    assert api.call("POST", "tooling/sobjects/CustomField", json=num).status_code == 201
    assert (
        api.call(
            "POST", "tooling/sobjects/CustomField", json={"FullName": "Account.Bad", "Metadata": {}}
        ).status_code
        == 400
    )


def test_describe_global_answers_304_until_a_field_is_added(api: SfApi) -> None:
    """`GET sobjects` with If-Modified-Since: 304 while no field was added since, else 200."""

    def describe_global(moment: datetime) -> requests.Response:
        since = format_datetime(moment.astimezone(UTC), usegmt=True)
        return api.call("GET", "sobjects", headers={"If-Modified-Since": since})

    later = datetime.now(UTC) + timedelta(minutes=1)
    unchanged = describe_global(later)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    before = datetime.now(UTC) - timedelta(seconds=2)
    body = {
        "FullName": "Account.Since__c",
        "Metadata": {"label": "Since", "type": "Text", "length": 40},
    }
    assert api.call("POST", "tooling/sobjects/CustomField", json=body).status_code == 201
    changed = describe_global(before)
    assert changed.status_code == 200
    assert any(o["name"] == "Account" for o in changed.json()["sobjects"])
    assert describe_global(later).status_code == 304
    assert api.call("GET", "sobjects", headers={"If-Modified-Since": "soon"}).status_code == 200


def test_limits_header_endpoint_and_exhaustion(api: SfApi) -> None:
    """Every data reply carries api-usage=N/M; /limits agrees; at M calls answer 403."""
    api.admin_limits(15_000, 100)
    first = api.call("GET", "limits/")
    assert first.headers["Sforce-Limit-Info"] == "api-usage=101/15000"
    assert first.json()["DailyApiRequests"] == {"Max": 15000, "Remaining": 14899}
    assert "DailyBulkV2QueryJobs" in first.json()
    api.admin_limits(105, 104)
    assert api.call("GET", "limits/").status_code == 200
    refused = api.call("GET", "limits/")
    assert refused.status_code == 403
    assert error_code(refused) == "REQUEST_LIMIT_EXCEEDED"
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=105/105"
    api.admin_limits(15_000, 0)


def test_composite_runs_subrequests_as_one_api_call(api: SfApi) -> None:
    """Up to 25 subrequests answer in order with their own status; usage grows by one."""
    base = f"/services/data/{api.version}"
    api.admin_limits(15_000, 0)
    reply = api.call(
        "POST",
        "composite",
        json={
            "allOrNone": False,
            "compositeRequest": [
                {"method": "GET", "url": f"{base}/sobjects/Account/describe", "referenceId": "d"},
                {
                    "method": "GET",
                    "url": f"{base}/queryAll?q=SELECT+Id,+Name+FROM+Account+LIMIT+3",
                    "referenceId": "q",
                },
                {"method": "GET", "url": f"{base}/sobjects/Nope/describe", "referenceId": "x"},
                {
                    "method": "GET",
                    "url": f"{base}/query?q=SELECT+Bogus+FROM+Account",
                    "referenceId": "e",
                },
            ],
        },
    )
    assert reply.status_code == 200
    assert reply.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    describe, query, missing, bad = reply.json()["compositeResponse"]
    assert (describe["referenceId"], describe["httpStatusCode"]) == ("d", 200)
    assert describe["body"]["name"] == "Account"
    assert query["httpStatusCode"] == 200
    assert len(query["body"]["records"]) == 3
    assert set(query["body"]["records"][0]) == {"attributes", "Id", "Name"}
    assert missing["httpStatusCode"] == 404
    assert missing["body"][0]["errorCode"] == "NOT_FOUND"
    assert bad["httpStatusCode"] == 400
    assert bad["body"][0]["errorCode"] == "INVALID_FIELD"

    too_many = api.call(
        "POST",
        "composite",
        json={
            "compositeRequest": [
                {"method": "GET", "url": f"{base}/limits", "referenceId": f"r{i}"}
                for i in range(26)
            ]
        },
    )
    assert too_many.status_code == 400
    assert error_code(too_many) == "LIMIT_EXCEEDED"


def test_composite_carries_at_most_five_queries_and_subrequest_headers(api: SfApi) -> None:
    """Queries (query, queryAll, their next pages) and collections count to five per call;
    a subrequest's If-Modified-Since gets the describe global's 304."""
    base = f"/services/data/{api.version}"
    query = {"method": "GET", "url": f"{base}/queryAll?q=SELECT+Id+FROM+Account+LIMIT+1"}
    unchanged = {
        "method": "GET",
        "url": f"{base}/sobjects",
        "referenceId": "metadata",
        "httpHeaders": {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
    }
    five = [{**query, "referenceId": f"q{i}"} for i in range(5)]
    reply = api.call("POST", "composite", json={"compositeRequest": [unchanged, *five]})
    assert reply.status_code == 200
    check, *pages = reply.json()["compositeResponse"]
    assert (check["httpStatusCode"], check["body"]) == (304, None)
    assert [page["httpStatusCode"] for page in pages] == [200] * 5

    six = [*five, {**query, "url": f"{base}/query?q=SELECT+Id+FROM+Contact", "referenceId": "c"}]
    refused = api.call("POST", "composite", json={"compositeRequest": six})
    assert refused.status_code == 400
    assert error_code(refused) == "LIMIT_EXCEEDED"
    assert "5 query" in refused.json()[0]["message"]
