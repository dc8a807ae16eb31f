"""`crmsync setup salesforce` against a real Salesforce sandbox process (in-process calls)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from crmsync_sandbox.testing import SandboxProcess
from salesforce_client.client import SalesforceClient

from crmsync import setup_salesforce
from crmsync.settings import parse_settings
from crmsync.setup_salesforce import SetupError

WRITES = {"POST", "PATCH", "PUT", "DELETE"}


def _settings(**objects: str) -> Any:
    modes = {
        "accounts": "two-way",
        "contacts": "off",
        "opportunities": "off",
        "activities": "off",
        "events": "off",
        "tasks": "off",
        **objects,
    }
    return parse_settings({"objects": modes})


def _client(process: SandboxProcess) -> SalesforceClient:
    env = process.env
    client = SalesforceClient.from_config(
        {
            "login_url": env["SALESFORCE_LOGIN_URL"],
            "client_id": env["SALESFORCE_CLIENT_ID"],
            "client_secret": env["SALESFORCE_CLIENT_SECRET"],
            "username": env["SALESFORCE_USERNAME"],
            "password": env["SALESFORCE_PASSWORD"],
            "security_token": env["SALESFORCE_SECURITY_TOKEN"],
        }
    )
    client.session.verify = env["REQUESTS_CA_BUNDLE"]
    client.session.trust_env = False
    return client


def _writes(process: SandboxProcess) -> dict[str, int]:
    routes = process.calls("salesforce")["by_route"]
    return {
        route: n
        for route, n in routes.items()
        if route.split(" ")[0] in WRITES and "/oauth2/token" not in route
    }


@pytest.fixture
def org(tmp_path: Any) -> Iterator[SandboxProcess]:
    """A Salesforce-only sandbox (the default org: ForceManager_Id__c everywhere)."""
    process = SandboxProcess(tmp_path / "data", only="salesforce", seed=3, size=2).start()
    yield process
    process.stop()


def test_activities_and_tasks_are_one_salesforce_object() -> None:
    """Each Salesforce object once, in dependency order; off objects left out."""
    settings = _settings(activities="two-way", tasks="one-way", events="two-way")
    assert setup_salesforce.sobjects_of(settings) == ["Account", "Task", "Event"]
    assert setup_salesforce.sobjects_of(_settings()) == ["Account"]


def test_on_an_org_with_the_fields_only_their_security_is_made_then_nothing(
    org: SandboxProcess,
) -> None:
    """Dry run writes nothing; the run grants access; a field permission without edit is fixed."""
    client = _client(org)
    settings = _settings(contacts="two-way")
    said: list[str] = []
    setup_salesforce.setup_salesforce(client, settings, dry_run=True, say=said.append)
    assert "exists: field Account.ForceManager_Id__c (Text(20), unique, External ID)" in said
    assert "would create: permission set crmsync_integration" in said
    assert said[-1] == "dry run: 4 to create; nothing was changed."
    assert _writes(org) == {}

    said.clear()
    setup_salesforce.setup_salesforce(client, settings, say=said.append)
    assert said[-1] == "Salesforce is set up for crmsync: 4 created."
    [row] = client.query(
        "SELECT Id FROM FieldPermissions WHERE Field = 'Contact.ForceManager_Id__c'"
    )
    client.request(
        "PATCH", f"sobjects/FieldPermissions/{row['Id']}", json={"PermissionsEdit": False}
    )

    org.reset_calls("salesforce")
    said.clear()
    setup_salesforce.setup_salesforce(client, settings, say=said.append)
    assert (
        "created: read and edit access to Contact.ForceManager_Id__c in crmsync_integration" in said
    )
    assert _writes(org) == {"PATCH /services/data/v62.0/sobjects/FieldPermissions/{id}": 1}

    org.reset_calls("salesforce")
    said.clear()
    setup_salesforce.setup_salesforce(client, settings, say=said.append)
    assert said[-1] == "Salesforce is set up for crmsync; nothing to change."
    assert _writes(org) == {}


def test_a_refused_write_stops_with_one_line_naming_the_step(
    org: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The org's error (here a name longer than PermissionSet.Name holds) names the step."""
    client = _client(org)
    monkeypatch.setattr(setup_salesforce, "PERMISSION_SET", "x" * 81)
    with pytest.raises(SetupError, match=r"could not create permission set x+: ") as raised:
        setup_salesforce.setup_salesforce(client, _settings(), say=lambda _line: None)
    assert "\n" not in str(raised.value)
    assert "STRING_TOO_LONG" in str(raised.value)
