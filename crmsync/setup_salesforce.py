"""`crmsync setup salesforce`: create what the sync needs in the org, once.

For each Salesforce object a synced object (sync.yml) lives in, the ``ForceManager_Id__c``
external-id field (Text(20), unique, External ID) through the Tooling API; and, so that the
integration user may read and write it, the permission set ``crmsync_integration`` assigned to
that user with read and edit field permissions on each of those fields (data API records of
``PermissionSet``, ``PermissionSetAssignment`` and ``FieldPermissions``).

Every step is looked up first: what exists is reported and left alone, so a second run writes
nothing. ``--dry-run`` looks up and lists, and writes nothing either.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from salesforce_client.client import SalesforceClient
from salesforce_client.exceptions import SalesforceClientError

from crmsync.access import synced_objects
from crmsync.settings import SyncSettings

FIELD = "ForceManager_Id__c"
FIELD_LABEL = "ForceManager Id"
FIELD_LENGTH = 20
PERMISSION_SET = "crmsync_integration"
PERMISSION_SET_LABEL = "crmsync integration"
#: The plugins' connection settings and the variables they come from (secrets the client
#: reads from the environment itself).
_CONNECTION = {
    "login_url": "SALESFORCE_LOGIN_URL",
    "client_id": "SALESFORCE_CLIENT_ID",
    "username": "SALESFORCE_USERNAME",
    "jwt_key_file": "SALESFORCE_JWT_KEY_FILE",
}


class SetupError(Exception):
    """Set-up cannot go on; the message is one line."""


@dataclass
class Step:
    """One thing the org needs, and whether it is there.

    Attributes:
        what: what it is, as reported (``field Account.ForceManager_Id__c``).
        exists: it is there already (nothing to do).
        apply: makes it, or ``None`` when it exists (steps share the ids they make).
    """

    what: str
    exists: bool
    apply: Callable[[], None] | None = None


def sobjects_of(settings: SyncSettings) -> list[str]:
    """The Salesforce objects of the synced objects, each once, in dependency order (the
    field mapping's, as the access check reads it)."""
    return list(dict.fromkeys(obj.sobject for obj in synced_objects(settings)))


def client_from_environment() -> SalesforceClient:
    """A client logged in as the plugins log in (the same variables, the same flow)."""
    config = {key: os.environ.get(variable, "") for key, variable in _CONNECTION.items()}
    return SalesforceClient.from_config(config)


def field_metadata() -> dict[str, Any]:
    """The Tooling API ``Metadata`` of ``ForceManager_Id__c``."""
    return {
        "label": FIELD_LABEL,
        "type": "Text",
        "length": FIELD_LENGTH,
        "unique": True,
        "externalId": True,
        "caseSensitive": False,
        "description": "The record's ForceManager id, kept by crmsync.",
    }


def _records(client: SalesforceClient, soql: str) -> list[dict[str, Any]]:
    return list(client.query(soql))


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(
        "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'" for value in values
    )


def plan(client: SalesforceClient, sobjects: list[str]) -> list[Step]:
    """Look up what exists and return every step, in the order they must be made."""
    developer_name = FIELD.removesuffix("__c")
    listing = client.get_json(
        "tooling/query/",
        {
            "q": "SELECT Id, TableEnumOrId FROM CustomField "
            f"WHERE DeveloperName = '{developer_name}' AND TableEnumOrId IN ({_quoted(sobjects)})"
        },
    )
    have_field = {row["TableEnumOrId"] for row in listing.get("records", [])}
    user_id = str(client.get_json("/services/oauth2/userinfo")["user_id"])
    found = _records(client, f"SELECT Id FROM PermissionSet WHERE Name = '{PERMISSION_SET}'")
    ids: dict[str, str] = {"user": user_id}
    assigned = False
    granted: dict[str, dict[str, Any]] = {}
    if found:
        ids["permission_set"] = found[0]["Id"]
        assigned = bool(
            _records(
                client,
                "SELECT Id FROM PermissionSetAssignment "
                f"WHERE AssigneeId = '{user_id}' AND PermissionSetId = '{ids['permission_set']}'",
            )
        )
        fields = [f"{sobject}.{FIELD}" for sobject in sobjects]
        rows = _records(
            client,
            "SELECT Id, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions "
            f"WHERE ParentId = '{ids['permission_set']}' AND Field IN ({_quoted(fields)})",
        )
        granted = {row["Field"]: row for row in rows}

    steps = [
        Step(
            f"field {sobject}.{FIELD} (Text({FIELD_LENGTH}), unique, External ID)",
            sobject in have_field,
            None if sobject in have_field else _create_field(client, sobject),
        )
        for sobject in sobjects
    ]
    steps.append(
        Step(
            f"permission set {PERMISSION_SET}",
            bool(found),
            None if found else _create_permission_set(client, ids),
        )
    )
    steps.append(
        Step(
            f"assignment of {PERMISSION_SET} to the integration user {user_id}",
            assigned,
            None if assigned else _assign(client, ids),
        )
    )
    for sobject in sobjects:
        name = f"{sobject}.{FIELD}"
        row = granted.get(name)
        complete = bool(row and row.get("PermissionsRead") and row.get("PermissionsEdit"))
        steps.append(
            Step(
                f"read and edit access to {name} in {PERMISSION_SET}",
                complete,
                None if complete else _grant(client, ids, sobject, row),
            )
        )
    return steps


def _create_field(client: SalesforceClient, sobject: str) -> Callable[[], None]:
    def apply() -> None:
        client.request(
            "POST",
            "tooling/sobjects/CustomField/",
            json={"FullName": f"{sobject}.{FIELD}", "Metadata": field_metadata()},
        )

    return apply


def _create_permission_set(client: SalesforceClient, ids: dict[str, str]) -> Callable[[], None]:
    def apply() -> None:
        reply = client.request(
            "POST",
            "sobjects/PermissionSet/",
            json={
                "Name": PERMISSION_SET,
                "Label": PERMISSION_SET_LABEL,
                "Description": "What crmsync's integration user needs beyond its profile.",
            },
        )
        ids["permission_set"] = reply.json()["id"]

    return apply


def _assign(client: SalesforceClient, ids: dict[str, str]) -> Callable[[], None]:
    def apply() -> None:
        client.request(
            "POST",
            "sobjects/PermissionSetAssignment/",
            json={"AssigneeId": ids["user"], "PermissionSetId": ids["permission_set"]},
        )

    return apply


def _grant(
    client: SalesforceClient, ids: dict[str, str], sobject: str, existing: dict[str, Any] | None
) -> Callable[[], None]:
    def apply() -> None:
        access = {"PermissionsRead": True, "PermissionsEdit": True}
        if existing is not None:
            client.request("PATCH", f"sobjects/FieldPermissions/{existing['Id']}", json=access)
            return
        client.request(
            "POST",
            "sobjects/FieldPermissions/",
            json={
                "ParentId": ids["permission_set"],
                "SobjectType": sobject,
                "Field": f"{sobject}.{FIELD}",
                **access,
            },
        )

    return apply


def setup_salesforce(
    client: SalesforceClient,
    settings: SyncSettings,
    *,
    dry_run: bool = False,
    say: Callable[[str], None] = print,
) -> list[Step]:
    """Make what the org lacks (or, with ``dry_run``, list it) and report every step.

    Returns:
        The steps, as looked up before anything was made.

    Raises:
        SetupError: a lookup or a write failed (the steps made before it stay made; a
            second run goes on from there).
    """
    try:
        steps = plan(client, sobjects_of(settings))
    except SalesforceClientError as exc:
        msg = f"cannot read the org's set-up: {exc}"
        raise SetupError(msg) from None
    todo = [step for step in steps if not step.exists]
    for step in steps:
        if step.exists:
            say(f"exists: {step.what}")
        elif dry_run:
            say(f"would create: {step.what}")
        else:
            assert step.apply is not None
            try:
                step.apply()
            except SalesforceClientError as exc:
                msg = f"could not create {step.what}: {exc}"
                raise SetupError(msg) from None
            say(f"created: {step.what}")
    if not todo:
        say("Salesforce is set up for crmsync; nothing to change.")
    elif dry_run:
        say(f"dry run: {len(todo)} to create; nothing was changed.")
    else:
        say(f"Salesforce is set up for crmsync: {len(todo)} created.")
    return steps
