"""The runtime controls of both servers over real HTTP (docs/contracts.md section 2): faults, rate
limit, connection resets, expired sessions, the issued-token list, silent updates, purges, and
the call keys that name record ids only."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from crmsync_sandbox.testing import SandboxProcess

from tests.sandbox.conftest import FmClient
from tests.sandbox.salesforce_helpers import TIMEOUT_S, SfApi, error_code, https_session

SYSTEMS = ("salesforce", "forcemanager")


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """Both servers for this module alone: its tests change faults and expire sessions."""
    process = SandboxProcess(tmp_path_factory.mktemp("controls") / "data", seed=11, size=5)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def clean(box: SandboxProcess) -> Iterator[SandboxProcess]:
    """The module's sandbox with faults cleared and calls zeroed, before and after the test."""
    for system in SYSTEMS:
        box.set_faults(system)
        box.reset_calls(system)
    yield box
    for system in SYSTEMS:
        box.set_faults(system)


def _admin(box: SandboxProcess, system: str, method: str, route: str, **kw: Any) -> Any:
    return requests.request(
        method,
        f"{box.root_url(system)}/__sandbox/{route}",
        verify=box.ca_bundle,
        timeout=TIMEOUT_S,
        **kw,
    )


def _fm_statuses(box: SandboxProcess, count: int) -> list[int]:
    session = requests.Session()
    url = f"{box.forcemanager_url}/users"
    return [session.get(url, timeout=TIMEOUT_S).status_code for _ in range(count)]


# -- call keys ---------------------------------------------------------------------------------


def test_call_keys_replace_record_ids_only(clean: SandboxProcess) -> None:
    """Version, object names, fields and kinds stay as sent; record ids read {id}; the total
    is the sum of the routes."""
    api = SfApi(clean, version="v62.0")
    record_id = api.create("Account", {"Name": "Keyed"})
    api.call("GET", f"sobjects/Account/{record_id}")
    api.call("PATCH", f"sobjects/Account/{record_id}", json={"Phone": "1"})
    api.call("PATCH", f"sobjects/Account/{record_id[:15]}", json={"Phone": "2"})
    api.call("GET", "sobjects/Contact/describe")
    api.call("GET", "query", params={"q": "SELECT Id FROM Account"})
    api.call("GET", "queryAll", params={"q": "SELECT Id FROM Contact"})
    api.call("DELETE", "composite/sobjects", params={"ids": record_id})
    fm = FmClient(clean)
    fm.get("/accounts/1")
    fm.request("PUT", "/accounts/1", json={"city": "Lugo"})
    fm.request("PUT", "/accounts/2", json={"city": "Lugo"})
    fm.get("/accounts", params={"where": "id = 1"})
    fm.get("/extrafields/contacts")
    fm.get("/opportunities/schema")

    sf_calls = clean.calls("salesforce")
    assert sf_calls["by_route"] == {
        "POST /services/oauth2/token": 1,
        "POST /services/data/v62.0/sobjects/Account/": 1,
        "GET /services/data/v62.0/sobjects/Account/{id}": 1,
        "PATCH /services/data/v62.0/sobjects/Account/{id}": 2,
        "GET /services/data/v62.0/sobjects/Contact/describe": 1,
        "GET /services/data/v62.0/query": 1,
        "GET /services/data/v62.0/queryAll": 1,
        "DELETE /services/data/v62.0/composite/sobjects": 1,
    }
    assert sf_calls["total"] == 9
    fm_calls = clean.calls("forcemanager")
    assert fm_calls["by_route"] == {
        "POST /api/v4/login": 1,
        "GET /api/v4/accounts/{id}": 1,
        "PUT /api/v4/accounts/{id}": 2,
        "GET /api/v4/accounts": 1,
        "GET /api/v4/extrafields/contacts": 1,
        "GET /api/v4/opportunities/schema": 1,
    }
    assert fm_calls["total"] == sum(fm_calls["by_route"].values()) == 7


def test_admin_calls_are_not_counted(clean: SandboxProcess) -> None:
    """Every admin route, answered or refused, leaves the call counters at zero."""
    for system in SYSTEMS:
        _admin(clean, system, "GET", "faults")
        _admin(clean, system, "POST", "faults", json={})
        _admin(clean, system, "GET", "sessions")
        _admin(clean, system, "POST", "expire-sessions")
        _admin(clean, system, "POST", "purge", json={"object": "Nope", "id": 1})
        _admin(clean, system, "POST", "silent-update", json={"object": "Nope", "id": 1})
        _admin(clean, system, "GET", "no-such-control")
        assert clean.calls(system) == {"total": 0, "by_route": {}}


# -- faults ------------------------------------------------------------------------------------


def test_faults_set_the_share_of_503s_and_empty_clears_them(clean: SandboxProcess) -> None:
    """fail_rate 0.5 fails about half the calls with the API's 503; {} clears it."""
    assert clean.set_faults("forcemanager", fail_rate=0.5) == {
        "fail_rate": 0.5,
        "latency_ms": 0,
        "rate_limit": None,
        "reset_share": 0.0,
    }
    statuses = _fm_statuses(clean, 200)
    assert set(statuses) == {401, 503}  # the rest reach the API (without a session key)
    assert 0.35 < statuses.count(503) / len(statuses) < 0.65
    assert clean.set_faults("forcemanager")["fail_rate"] == 0.0
    assert set(_fm_statuses(clean, 50)) == {401}

    clean.set_faults("salesforce", fail_rate=1.0)
    session = https_session(clean)
    reply = session.get(clean.root_url("salesforce") + "/services/data/v62.0/limits")
    assert reply.status_code == 503
    assert error_code(reply) == "SERVER_UNAVAILABLE"
    assert clean.calls("salesforce")["total"] == 1  # an injected failure is a served call
    clean.set_faults("salesforce")
    assert SfApi(clean).call("GET", "limits").status_code == 200


def test_latency_is_added_and_a_later_setting_replaces_it(clean: SandboxProcess) -> None:
    """latency_ms delays API calls, not admin calls; a setting without it removes it."""
    clean.set_faults("forcemanager", latency_ms=300)
    started = time.perf_counter()
    _fm_statuses(clean, 1)
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    assert clean.faults("forcemanager")["latency_ms"] == 300
    assert time.perf_counter() - started < 0.3
    clean.set_faults("forcemanager", fail_rate=0.0)
    started = time.perf_counter()
    _fm_statuses(clean, 1)
    assert time.perf_counter() - started < 0.3


def test_bad_fault_settings_are_refused(clean: SandboxProcess) -> None:
    """Out-of-range, non-numeric or unknown keys answer 400 and change nothing."""
    clean.set_faults("forcemanager", latency_ms=5)
    for body in (
        {"fail_rate": 1.5},
        {"latency_ms": -1},
        {"rate_limit": -2},
        {"fail_rate": "high"},
        {"failrate": 0.1},
        [0.1],
    ):
        reply = _admin(clean, "forcemanager", "POST", "faults", json=body)
        assert reply.status_code == 400, body
    assert clean.faults("forcemanager")["latency_ms"] == 5


def test_rate_limit_set_at_runtime_answers_429_with_retry_after(clean: SandboxProcess) -> None:
    """Above rate_limit requests/s ForceManager answers 429 with a Retry-After in seconds;
    clearing the faults lifts the limit."""
    clean.set_faults("forcemanager", rate_limit=3)
    session = requests.Session()
    url = f"{clean.forcemanager_url}/users"
    replies = [session.get(url, timeout=TIMEOUT_S) for _ in range(10)]
    statuses = [reply.status_code for reply in replies]
    assert statuses[:3] == [401] * 3
    refused = [reply for reply in replies if reply.status_code == 429]
    assert len(refused) >= 5
    assert all(int(reply.headers["Retry-After"]) >= 1 for reply in refused)
    assert refused[0].json()["code"] == "429"

    clean.set_faults("forcemanager", rate_limit=0.5)
    session.get(url, timeout=TIMEOUT_S)
    slow = session.get(url, timeout=TIMEOUT_S)
    assert slow.status_code == 429
    assert int(slow.headers["Retry-After"]) == 2  # one request per two seconds

    clean.set_faults("forcemanager")
    assert set(_fm_statuses(clean, 20)) == {401}


def test_resets_cut_the_reply_short_and_count_as_calls(clean: SandboxProcess) -> None:
    """With reset_share 1 every injected failure breaks the connection mid-body."""
    clean.set_faults("forcemanager", fail_rate=1.0, reset_share=1.0)
    for _ in range(3):
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(f"{clean.forcemanager_url}/users", timeout=TIMEOUT_S)
    clean.set_faults("salesforce", fail_rate=1.0, reset_share=1.0)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        https_session(clean).get(clean.root_url("salesforce") + "/services/data/v62.0/limits")
    clean.set_faults("forcemanager", fail_rate=0.5, reset_share=0.5)
    outcomes: list[int | str] = []
    for _ in range(200):
        try:
            outcomes.append(requests.get(f"{clean.forcemanager_url}/users", timeout=5).status_code)
        except requests.exceptions.ChunkedEncodingError:
            outcomes.append("reset")
    assert 20 < outcomes.count("reset") < 80
    assert 20 < outcomes.count(503) < 80
    assert clean.calls("forcemanager")["total"] == 203
    clean.set_faults("forcemanager")
    assert set(_fm_statuses(clean, 20)) == {401}


# -- sessions ----------------------------------------------------------------------------------


def test_expire_sessions_refuses_old_tokens_and_new_logins_work(clean: SandboxProcess) -> None:
    """Salesforce answers 401 INVALID_SESSION_ID and ForceManager 401 code "2" to every token
    issued before; a new login (and Salesforce's refresh token) works."""
    api = SfApi(clean)
    fm = FmClient(clean)
    assert api.call("GET", "limits").status_code == 200
    assert fm.get("/users").status_code == 200
    clean.expire_sessions("salesforce")
    clean.expire_sessions("forcemanager")

    expired = api.call("GET", "limits")
    assert expired.status_code == 401
    assert expired.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    refused = fm.get("/users")
    assert refused.status_code == 401
    assert refused.json()["code"] == "2"

    assert SfApi(clean).call("GET", "limits").status_code == 200
    env = clean.env
    refreshed = https_session(clean).post(
        env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": env["SALESFORCE_CLIENT_ID"],
            "client_secret": env["SALESFORCE_CLIENT_SECRET"],
            "refresh_token": env["SALESFORCE_REFRESH_TOKEN"],
        },
        timeout=TIMEOUT_S,
    )
    assert refreshed.status_code == 200
    fresh = fm.login().json()["token"]
    assert fm.get("/users", token=fresh).status_code == 200


def test_sessions_lists_every_issued_token(clean: SandboxProcess) -> None:
    """Access tokens, the refresh token and session keys, expired ones included."""
    api = SfApi(clean)
    fm = FmClient(clean)
    clean.expire_sessions("forcemanager")
    sf_tokens = clean.sessions("salesforce")
    assert api.token in sf_tokens
    assert clean.env["SALESFORCE_REFRESH_TOKEN"] in sf_tokens
    assert fm.token in clean.sessions("forcemanager")


# -- silent updates and purges -----------------------------------------------------------------


def _sf_one(api: SfApi, soql: str, all_rows: bool = False) -> list[dict[str, Any]]:
    reply = api.query(soql, all_rows=all_rows)
    assert reply.status_code == 200, reply.text
    return reply.json()["records"]


def test_salesforce_silent_update_keeps_the_modification_stamps(clean: SandboxProcess) -> None:
    """New values show in queries; SystemModstamp and LastModifiedDate stay, so a cursor on
    them does not see the change."""
    api = SfApi(clean)
    record_id = api.create("Account", {"Name": "Loud", "Phone": "1"})
    fields = "Id, Name, Phone, SystemModstamp, LastModifiedDate"
    [before] = _sf_one(api, f"SELECT {fields} FROM Account WHERE Id = '{record_id}'")
    time.sleep(1.1)  # stamps have whole seconds: a moved stamp would show
    clean.silent_update("salesforce", "Account", record_id, {"Name": "Quiet", "Phone": "2"})
    [after] = _sf_one(api, f"SELECT {fields} FROM Account WHERE Id = '{record_id}'")
    assert (after["Name"], after["Phone"]) == ("Quiet", "2")
    assert after["SystemModstamp"] == before["SystemModstamp"]
    assert after["LastModifiedDate"] == before["LastModifiedDate"]
    since = before["SystemModstamp"].replace("+0000", "Z")
    assert not _sf_one(api, f"SELECT Id FROM Account WHERE SystemModstamp > {since}")
    at_stamp = _sf_one(api, f"SELECT Id FROM Account WHERE SystemModstamp >= {since}")
    assert record_id in {record["Id"] for record in at_stamp}

    contact_id = api.create("Contact", {"LastName": "Old"})
    clean.silent_update("salesforce", "Contact", contact_id[:15], {"FirstName": "Ada"})
    [contact] = _sf_one(api, f"SELECT Name FROM Contact WHERE Id = '{contact_id}'")
    assert contact["Name"] == "Ada Old"  # derived fields follow


def test_salesforce_purge_leaves_no_trace(clean: SandboxProcess) -> None:
    """A purged record is gone from query, queryAll and the record route; so is a purged
    recycle-bin row, and so are the records a delete would cascade to."""
    api = SfApi(clean)
    live = api.create("Account", {"Name": "Purged live"})
    contact = api.create("Contact", {"LastName": "Purged child", "AccountId": live})
    task = api.create("Task", {"Subject": "Call", "Status": "Completed", "WhoId": contact})
    binned = api.create("Account", {"Name": "Purged binned"})
    assert api.call("DELETE", f"sobjects/Account/{binned}").status_code == 204
    assert _sf_one(api, f"SELECT Id FROM Account WHERE Id = '{binned}'", all_rows=True)
    clean.purge("salesforce", "Account", live)
    clean.purge("salesforce", "Account", binned)
    for sobject, record_id in (("Account", live), ("Account", binned), ("Contact", contact)):
        soql = f"SELECT Id, IsDeleted FROM {sobject} WHERE Id = '{record_id}'"
        assert _sf_one(api, soql) == []
        assert _sf_one(api, soql, all_rows=True) == []
        assert api.call("GET", f"sobjects/{sobject}/{record_id}").status_code == 404
    assert _sf_one(api, f"SELECT Id FROM Task WHERE Id = '{task}'", all_rows=True) == []
    other = _sf_one(api, "SELECT Id FROM Account LIMIT 1")[0]["Id"]
    assert api.call("PATCH", f"sobjects/Account/{other}", json={"Phone": "3"}).status_code == 204


def test_salesforce_undelete_restores_the_record_and_its_cascade(clean: SandboxProcess) -> None:
    """A restore brings back the record and what its delete took, live again with a new
    SystemModstamp; a record not in the recycle bin cannot be restored."""
    api = SfApi(clean)
    account = api.create("Account", {"Name": "Restored"})
    contact = api.create("Contact", {"LastName": "Restored child", "AccountId": account})
    deleted_before = api.create("Contact", {"LastName": "Deleted before", "AccountId": account})
    assert api.call("DELETE", f"sobjects/Contact/{deleted_before}").status_code == 204
    time.sleep(1.1)  # the account's delete gets a later stamp than the contact's
    assert api.call("DELETE", f"sobjects/Account/{account}").status_code == 204
    soql = "SELECT Id, IsDeleted, SystemModstamp FROM {} WHERE Id = '{}'"
    [binned] = _sf_one(api, soql.format("Account", account), all_rows=True)
    time.sleep(1.1)
    clean.undelete("Account", account)
    [restored] = _sf_one(api, soql.format("Account", account))
    assert restored["SystemModstamp"] > binned["SystemModstamp"]
    assert _sf_one(api, soql.format("Contact", contact))
    assert not _sf_one(api, soql.format("Contact", deleted_before))
    with pytest.raises(requests.HTTPError):
        clean.undelete("Account", account)


def test_forcemanager_silent_update_keeps_date_updated(clean: SandboxProcess) -> None:
    """New values show in the listing; dateUpdated stays (set or still null)."""
    fm = FmClient(clean)
    name = f"loud-{uuid.uuid4().hex[:6]}"
    touched = fm.create("accounts", {"name": name, "branchId": 1})
    untouched = fm.create("accounts", {"name": name + "-b", "branchId": 1})
    assert fm.request("PUT", f"/accounts/{touched}", json={"city": "Ourense"}).status_code == 200
    before = fm.ok("GET", f"/accounts/{touched}")
    time.sleep(0.05)
    clean.silent_update("forcemanager", "accounts", touched, {"name": "quiet", "city": "Vigo"})
    clean.silent_update("forcemanager", "accounts", str(untouched), {"comment": "quiet"})
    after = fm.ok("GET", f"/accounts/{touched}")
    assert (after["name"], after["city"]) == ("quiet", "Vigo")
    assert after["dateUpdated"] == before["dateUpdated"] is not None
    [listed] = fm.ok("GET", "/accounts", params={"where": f"id = {touched}"})
    assert listed["name"] == "quiet"
    assert fm.ok("GET", f"/accounts/{untouched}")["dateUpdated"] is None
    bad = _admin(
        clean,
        "forcemanager",
        "POST",
        "silent-update",
        json={"object": "accounts", "id": touched, "fields": {"noSuchField": 1}},
    )
    assert bad.status_code == 400


def test_forcemanager_purge_leaves_no_deleted_row(clean: SandboxProcess) -> None:
    """A purged record is gone from listings (which include deleted rows) and by id."""
    fm = FmClient(clean)
    live = fm.create("contacts", {"firstName": "Gone", "lastName": "Live", "accountId": 1})
    deleted = fm.create("contacts", {"firstName": "Gone", "lastName": "Deleted", "accountId": 1})
    assert fm.request("DELETE", f"/contacts/{deleted}").status_code == 200
    clean.purge("forcemanager", "contacts", live)
    clean.purge("forcemanager", "contacts", deleted)
    for record_id in (live, deleted):
        assert fm.ok("GET", "/contacts", params={"where": f"id = {record_id}"}) == []
        assert fm.get(f"/contacts/{record_id}").status_code == 400
    every = fm.ok("GET", "/contacts", headers={"Count": "1000"})
    assert not {live, deleted} & {record["id"] for record in every}


@pytest.mark.parametrize(
    ("system", "body"),
    [
        ("salesforce", {"object": "Widget", "id": "001000000000001AAA"}),
        ("salesforce", {"object": "Account", "id": "001000000009999AAA"}),
        ("salesforce", {"object": "Contact", "id": "001000000000001AAA"}),  # an Account's id
        ("salesforce", {"object": "Account", "id": "not-an-id"}),
        ("forcemanager", {"object": "widgets", "id": 1}),
        ("forcemanager", {"object": "accounts", "id": 999_999}),
        ("forcemanager", {"object": "accounts", "id": "x"}),
        ("forcemanager", {"object": "Account", "id": 1}),  # the other API's name
    ],
)
def test_unknown_object_or_id_answers_404(
    clean: SandboxProcess, system: str, body: dict[str, Any]
) -> None:
    for route, extra in (("purge", {}), ("silent-update", {"fields": {}})):
        reply = _admin(clean, system, "POST", route, json={**body, **extra})
        assert reply.status_code == 404, (route, reply.text)
    assert clean.calls(system)["total"] == 0


def test_silent_updates_and_purges_persist_across_a_restart(
    sandbox_factory: Callable[..., SandboxProcess],
) -> None:
    """Both changes are written to the data dir like any other write."""
    process = sandbox_factory(seed=5, size=3)
    api = SfApi(process)
    kept = api.create("Account", {"Name": "Before"})
    gone = api.create("Account", {"Name": "Gone"})
    process.silent_update("salesforce", "Account", kept, {"Name": "After"})
    process.purge("salesforce", "Account", gone)
    process.silent_update("forcemanager", "accounts", 1, {"name": "After FM"})
    process.purge("forcemanager", "accounts", 2)
    process.restart()

    api = SfApi(process)
    [record] = _sf_one(api, f"SELECT Name FROM Account WHERE Id = '{kept}'")
    assert record["Name"] == "After"
    assert _sf_one(api, f"SELECT Id FROM Account WHERE Id = '{gone}'", all_rows=True) == []
    fm = FmClient(process)
    assert fm.ok("GET", "/accounts/1")["name"] == "After FM"
    assert fm.get("/accounts/2").status_code == 400


def test_salesforce_revoked_permissions_show_in_describe_and_refuse_the_calls(
    clean: SandboxProcess,
) -> None:
    """A revoked object permission turns describe's flag false and refuses the call with the
    real org's error; a revoked field permission refuses a write of that field; `{}` restores."""
    api = SfApi(clean)
    account = api.create("Account", {"Name": "Permitted"})
    contact = api.create("Contact", {"LastName": "Permitted", "AccountId": account})
    clean.revoke("Contact", ["createable", "updateable", "deletable"])
    clean.revoke("Account", ["queryable"], fields={"Phone": ["updateable"]})

    described = api.call("GET", "sobjects/Contact/describe").json()
    assert (described["createable"], described["updateable"], described["deletable"]) == (
        False,
        False,
        False,
    )
    assert described["queryable"] is True
    account_fields = {
        f["name"]: f for f in api.call("GET", "sobjects/Account/describe").json()["fields"]
    }
    assert account_fields["Phone"]["updateable"] is False
    assert account_fields["Phone"]["createable"] is True

    refused = api.call("POST", "sobjects/Contact", json={"LastName": "Refused"})
    assert refused.status_code == 400
    assert refused.json()[0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    patch = api.call("PATCH", f"sobjects/Contact/{contact}", json={"LastName": "X"})
    assert patch.json()[0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    delete = api.call("DELETE", f"sobjects/Contact/{contact}")
    assert delete.json()[0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    phone = api.call("PATCH", f"sobjects/Account/{account}", json={"Phone": "1"})
    assert phone.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    query = api.call("GET", "query", params={"q": "SELECT Id FROM Account"})
    assert query.status_code == 400
    assert query.json()[0]["errorCode"] == "INVALID_TYPE"

    clean.revoke("")
    assert api.call("PATCH", f"sobjects/Contact/{contact}", json={"LastName": "Y"}).ok
    assert api.call("PATCH", f"sobjects/Account/{account}", json={"Phone": "1"}).ok
    assert _sf_one(api, f"SELECT Id FROM Account WHERE Id = '{account}'")
