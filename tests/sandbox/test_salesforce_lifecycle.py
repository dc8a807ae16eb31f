"""Salesforce sandbox lifecycle over HTTPS: persistence, token expiry, faults, call counting."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from crmsync_sandbox.testing import SandboxProcess

from tests.sandbox.salesforce_helpers import SfApi, error_code, https_session

Factory = Callable[..., SandboxProcess]


def test_restart_keeps_records_custom_fields_and_counters(sandbox_factory: Factory) -> None:
    """Records, deletions, custom fields, credentials and id counters survive a restart."""
    process = sandbox_factory(only="salesforce", seed=11, size=5)
    api = SfApi(process)
    field = {
        "FullName": "Contact.Hobby__c",
        "Metadata": {"label": "Hobby", "type": "Text", "length": 40},
    }
    assert api.call("POST", "tooling/sobjects/CustomField", json=field).status_code == 201
    kept = api.create("Contact", {"LastName": "Kept", "Hobby__c": "chess"})
    gone = api.create("Contact", {"LastName": "Gone"})
    api.call("DELETE", f"sobjects/Contact/{gone}")
    secret = process.env["SALESFORCE_CLIENT_SECRET"]
    process.restart()
    assert process.env["SALESFORCE_CLIENT_SECRET"] == secret
    api = SfApi(process)
    row = api.query(f"SELECT Hobby__c FROM Contact WHERE Id = '{kept}'").json()["records"]
    assert row[0]["Hobby__c"] == "chess"
    assert api.query(f"SELECT IsDeleted FROM Contact WHERE Id = '{gone}'", all_rows=True).json()[
        "records"
    ][0]["IsDeleted"]
    newer = api.create("Contact", {"LastName": "After"})
    assert newer not in {kept, gone}
    assert newer > gone
    assert api.query("SELECT COUNT() FROM Account").json()["totalSize"] == 5


def test_short_token_ttl_expires_then_new_token_works(sandbox_factory: Factory) -> None:
    """An expired token answers 401 INVALID_SESSION_ID; a fresh login works again."""
    process = sandbox_factory(only="salesforce", seed=1, size=1, token_ttl_salesforce=1)
    api = SfApi(process)
    assert api.call("GET", "limits/").status_code == 200
    time.sleep(1.2)
    expired = api.call("GET", "limits/")
    assert expired.status_code == 401
    assert error_code(expired) == "INVALID_SESSION_ID"
    assert SfApi(process).call("GET", "limits/").status_code == 200


def test_fault_injection_answers_salesforce_shaped_503(sandbox_factory: Factory) -> None:
    """With --fail-rate 1 every API call answers 503 SERVER_UNAVAILABLE as a JSON array."""
    process = sandbox_factory(only="salesforce", seed=1, size=1, fail_rate=1.0)
    reply = https_session(process).get(
        process.env["SALESFORCE_LOGIN_URL"] + "/services/data/v59.0/limits"
    )
    assert reply.status_code == 503
    assert error_code(reply) == "SERVER_UNAVAILABLE"


def test_calls_counter_names_routes_by_template(sandbox_factory: Factory) -> None:
    """/__sandbox/calls counts calls by path with record ids as {id}; admin routes are free."""
    process = sandbox_factory(only="salesforce", seed=1, size=2)
    api = SfApi(process)
    process.reset_calls("salesforce")
    record_id = api.create("Account", {"Name": "Counted"})
    api.call("GET", f"sobjects/Account/{record_id}")
    api.call("PATCH", f"sobjects/Account/{record_id}", json={"Phone": "1"})
    api.query("SELECT Id FROM Account")
    calls: dict[str, Any] = process.calls("salesforce")
    by_route = calls["by_route"]
    assert by_route["GET /services/data/v59.0/sobjects/Account/{id}"] == 1
    assert by_route["PATCH /services/data/v59.0/sobjects/Account/{id}"] == 1
    assert by_route["POST /services/data/v59.0/sobjects/Account/"] == 1
    assert by_route["GET /services/data/v59.0/query/"] == 1
    assert calls["total"] == sum(by_route.values()) == 4
