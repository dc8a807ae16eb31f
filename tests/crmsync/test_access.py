"""The access check's rules: what the integration user needs per object, and the line it shows.

The calls themselves (logins, describes, limits) run against the sandboxes in
tests/e2e/test_preflight.py; the field pairs' checks in tests/crmsync/test_access_field_pairs.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from crmsync import access
from crmsync.settings import parse_settings

SETTINGS = parse_settings(
    {
        "objects": {"accounts": "two-way", "contacts": "one-way", "events": "two-way"},
        "user_mapping": {"auto": True},
    }
)


def _describe(fields: list[str], **flags: bool) -> dict[str, Any]:
    every = {"queryable": True, "createable": True, "updateable": True, "deletable": True}
    return {
        **every,
        **flags,
        "fields": [
            {"name": name, "createable": True, "updateable": True}
            for name in [*fields, access.EXTERNAL_ID_FIELD]
        ],
    }


def _object(name: str) -> access.SyncedObject:
    return next(o for o in access.synced_objects(SETTINGS) if o.name == name)


def test_synced_objects_come_from_the_field_mapping() -> None:
    """Off objects are left out; fields and resources are the ones dbt's mapping writes."""
    objects = {o.name: o for o in access.synced_objects(SETTINGS)}
    assert list(objects) == ["accounts", "contacts", "events"]
    assert objects["accounts"].sobject == "Account"
    assert {"Name", "BillingCity", "OwnerId"} <= set(objects["accounts"].fields)
    assert objects["events"].resource == "calendar"
    assert objects["events"].fields.count("WhatId") == 1
    assert (objects["accounts"].two_way, objects["contacts"].two_way) == (True, False)


def test_a_fully_permitted_object_has_no_problem() -> None:
    accounts = _object("accounts")
    assert access.salesforce_problems(accounts, _describe(list(accounts.fields))) == []


@pytest.mark.parametrize(
    ("flag", "permission"),
    [
        ("queryable", "Read"),
        ("createable", "Create"),
        ("updateable", "Edit"),
        ("deletable", "Delete"),
    ],
)
def test_a_missing_object_permission_names_object_and_permission(
    flag: str, permission: str
) -> None:
    accounts = _object("accounts")
    [problem] = access.salesforce_problems(
        accounts, _describe(list(accounts.fields), **{flag: False})
    )
    assert f"cannot {permission} Account records" in problem
    assert f"grant {permission} on Account" in problem
    assert "\n" not in problem


def test_a_read_only_field_names_object_field_and_permission() -> None:
    accounts = _object("accounts")
    describe = _describe(list(accounts.fields))
    phone = next(f for f in describe["fields"] if f["name"] == "Phone")
    phone["updateable"] = False
    assert access.salesforce_problems(accounts, describe) == [
        "Salesforce permission missing: the integration user cannot Edit the field "
        "Account.Phone (the sync writes it): grant Edit Access to Account.Phone in its "
        "field-level security."
    ]


def test_a_missing_link_field_is_named() -> None:
    accounts = _object("accounts")
    describe = _describe(list(accounts.fields))
    describe["fields"] = [f for f in describe["fields"] if f["name"] != access.EXTERNAL_ID_FIELD]
    [problem] = access.salesforce_problems(accounts, describe)
    assert "Account.ForceManager_Id__c is missing" in problem
    assert "crmsync setup salesforce" in problem


def test_a_one_way_object_needs_only_read_unless_the_match_writes_links() -> None:
    """Salesforce receives nothing for a one-way object, except the links of a match."""
    contacts = _object("contacts")
    read_only = _describe([], createable=False, updateable=False, deletable=False)
    link = next(f for f in read_only["fields"] if f["name"] == access.EXTERNAL_ID_FIELD)
    link["updateable"] = False
    assert access.salesforce_problems(contacts, read_only) == []
    problems = access.salesforce_problems(contacts, read_only, link_one_way=True)
    assert len(problems) == 2
    assert "cannot Edit Contact records (initial_sync: match writes the links)" in problems[0]
    assert "Contact.ForceManager_Id__c" in problems[1]


def test_missing_salesforce_settings_name_their_variables() -> None:
    environ = {"SALESFORCE_LOGIN_URL": "https://login.example.com", "SALESFORCE_USERNAME": "u"}
    with pytest.raises(access.AccessError) as refused:
        access.salesforce_client(environ)
    assert "password (SALESFORCE_PASSWORD)" in str(refused.value)
    assert "client_id (SALESFORCE_CLIENT_ID)" in str(refused.value)


def test_a_malformed_login_url_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", "s")
    environ = {"SALESFORCE_LOGIN_URL": "login.example.com", "SALESFORCE_CLIENT_ID": "c"}
    with pytest.raises(access.AccessError, match=r"login_url \(SALESFORCE_LOGIN_URL\)"):
        access.salesforce_client(environ)


@pytest.mark.parametrize("missing", ["FORCEMANAGER_PUBLIC_KEY", "FORCEMANAGER_PRIVATE_KEY"])
def test_a_missing_forcemanager_key_names_its_variable(missing: str) -> None:
    environ = {"FORCEMANAGER_PUBLIC_KEY": "p", "FORCEMANAGER_PRIVATE_KEY": "k"}
    del environ[missing]
    with pytest.raises(access.AccessError, match=f"{missing} is not set"):
        access.forcemanager_client(environ)


@pytest.mark.parametrize(("raw", "rate"), [(None, 4.0), ("50", 50.0), ("x", 4.0), ("0", 4.0)])
def test_the_forcemanager_check_keeps_the_rate_limit(raw: str | None, rate: float) -> None:
    """4 requests per second (every plan's limit) unless the plugin's setting says more."""
    environ = {"FORCEMANAGER_PUBLIC_KEY": "p", "FORCEMANAGER_PRIVATE_KEY": "k"}
    if raw is not None:
        environ[access.RATE_VARIABLE] = raw
    client = access.forcemanager_client(environ)
    assert client.session.limiter.rate == rate


@pytest.mark.parametrize(
    ("mode", "direction", "refused"),
    [
        ("two-way", "two-way", True),
        ("two-way", "fm_to_sf", True),
        ("two-way", "sf_to_fm", False),
        # a one-way object's pairs only carry Salesforce's values
        ("one-way", "two-way", False),
    ],
)
def test_a_pair_needs_edit_on_its_salesforce_field_only_where_it_writes_there(
    mode: str, direction: str, refused: bool
) -> None:
    """A read-only paired field is refused, naming the pair's setting, only when the pair
    carries ForceManager's values into Salesforce; reading it is always needed."""
    settings = parse_settings(
        {
            "objects": {"accounts": "two-way", "contacts": mode},
            "field_mapping": {
                "contacts": [
                    {
                        "forcemanager": "linkedin",
                        "salesforce": "LinkedIn__c",
                        "direction": direction,
                    }
                ]
            },
        }
    )
    contacts = next(o for o in access.synced_objects(settings) if o.name == "contacts")
    describe = _describe([*contacts.fields, "linkedin__C"])
    read_only = next(f for f in describe["fields"] if f["name"] == "linkedin__C")
    read_only["updateable"] = False
    problems = access.salesforce_problems(contacts, describe)
    if refused:
        [problem] = problems
        assert problem.startswith("`field_mapping.contacts[0]`: the integration user cannot Edit")
        assert f"direction {direction} writes" in problem
    else:
        assert problems == []
    describe["fields"].remove(read_only)
    [missing] = access.salesforce_problems(contacts, describe)
    assert missing.startswith("`field_mapping.contacts[0].salesforce`: Salesforce field Contact.")
