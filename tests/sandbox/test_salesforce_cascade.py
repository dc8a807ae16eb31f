"""Cascade deletes of the Salesforce sandbox over real HTTPS, as a real org does them.

Deleting an Account moves its Contacts, Opportunities and the activities related to any of
them to the recycle bin; deleting a Contact or an Opportunity deletes its Tasks and Events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from crmsync_sandbox.testing import SandboxProcess

from tests.sandbox.salesforce_helpers import SfApi, error_code

_TASK = {"Subject": "Call", "Status": "Not Started", "Priority": "Normal"}
_EVENT = {
    "Subject": "Visit",
    "StartDateTime": "2025-03-01T10:00:00.000+0000",
    "EndDateTime": "2025-03-01T11:00:00.000+0000",
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SfApi]:
    """A logged-in client of a Salesforce-only sandbox with a few seeded records."""
    folder: Path = tmp_path_factory.mktemp("sf-cascade") / "data"
    process = SandboxProcess(folder, only="salesforce", seed=4, size=5).start()
    yield SfApi(process)
    process.stop()


@dataclass
class _Family:
    """An account with a contact, an opportunity and activities hanging off each of them."""

    account: str
    contact: str
    opportunity: str
    task_on_account: str
    event_on_account: str
    task_on_contact: str
    event_on_contact: str
    task_on_opportunity: str

    def children(self) -> dict[str, list[str]]:
        """Every record below the account, by object."""
        return {
            "Contact": [self.contact],
            "Opportunity": [self.opportunity],
            "Task": [self.task_on_account, self.task_on_contact, self.task_on_opportunity],
            "Event": [self.event_on_account, self.event_on_contact],
        }


def _family(api: SfApi, name: str) -> _Family:
    account = api.create("Account", {"Name": name})
    contact = api.create("Contact", {"LastName": name, "AccountId": account})
    opportunity = api.create(
        "Opportunity",
        {"Name": name, "AccountId": account, "StageName": "Prospecting", "CloseDate": "2025-06-30"},
    )
    return _Family(
        account=account,
        contact=contact,
        opportunity=opportunity,
        task_on_account=api.create("Task", {**_TASK, "WhatId": account}),
        event_on_account=api.create("Event", {**_EVENT, "WhatId": account}),
        task_on_contact=api.create("Task", {**_TASK, "WhoId": contact}),
        event_on_contact=api.create("Event", {**_EVENT, "WhoId": contact}),
        task_on_opportunity=api.create("Task", {**_TASK, "WhatId": opportunity}),
    )


def _rows(api: SfApi, sobject: str, record_ids: list[str], all_rows: bool) -> dict[str, Any]:
    id_list = ", ".join(f"'{i}'" for i in record_ids)
    soql = f"SELECT Id, IsDeleted, SystemModstamp FROM {sobject} WHERE Id IN ({id_list})"
    reply = api.query(soql, all_rows=all_rows)
    assert reply.status_code == 200, reply.text
    return {r["Id"]: r for r in reply.json()["records"]}


def _stamp(api: SfApi, sobject: str, record_id: str) -> str:
    reply = api.call("GET", f"sobjects/{sobject}/{record_id}", params={"fields": "SystemModstamp"})
    assert reply.status_code == 200, reply.text
    return reply.json()["SystemModstamp"]


def test_deleting_an_account_recycles_its_contacts_opportunities_and_activities(
    api: SfApi,
) -> None:
    """Children are IsDeleted in queryAll with the new SystemModstamp, and gone from query."""
    family = _family(api, "Cascade Parent")
    bystander = _family(api, "Cascade Bystander")
    loose_task = api.create("Task", _TASK)
    before = {
        sobject: {i: _stamp(api, sobject, i) for i in ids}
        for sobject, ids in family.children().items()
    }

    reply = api.call("DELETE", f"sobjects/Account/{family.account}")
    assert reply.status_code == 204

    account = _rows(api, "Account", [family.account], all_rows=True)[family.account]
    assert account["IsDeleted"] is True
    for sobject, record_ids in family.children().items():
        assert _rows(api, sobject, record_ids, all_rows=False) == {}, sobject
        rows = _rows(api, sobject, record_ids, all_rows=True)
        assert set(rows) == set(record_ids), sobject
        for record_id, row in rows.items():
            assert row["IsDeleted"] is True, (sobject, record_id)
            assert row["SystemModstamp"] == account["SystemModstamp"]
            assert row["SystemModstamp"] > before[sobject][record_id]
    gone = api.call("GET", f"sobjects/Contact/{family.contact}")
    assert gone.status_code == 404
    assert error_code(gone) == "ENTITY_IS_DELETED"
    for sobject, record_ids in bystander.children().items():
        assert set(_rows(api, sobject, record_ids, all_rows=False)) == set(record_ids), sobject
    assert loose_task in _rows(api, "Task", [loose_task], all_rows=False)


def test_cascaded_records_are_listed_by_deleted_replication(api: SfApi) -> None:
    """``sobjects/Contact/deleted/`` lists a contact deleted with its account."""
    family = _family(api, "Cascade Replication")
    assert api.call("DELETE", f"sobjects/Account/{family.account}").status_code == 204
    now = datetime.now(UTC)
    window = {
        "start": (now - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "end": (now + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    }
    stamp = _rows(api, "Account", [family.account], all_rows=True)[family.account]["SystemModstamp"]
    reply = api.call("GET", "sobjects/Contact/deleted/", params=window)
    assert reply.status_code == 200, reply.text
    deleted = {d["id"]: d["deletedDate"] for d in reply.json()["deletedRecords"]}
    assert deleted.get(family.contact) == stamp


def test_deleting_a_contact_or_opportunity_recycles_its_activities_only(api: SfApi) -> None:
    """A contact takes its WhoId activities, an opportunity its WhatId ones; the account stays."""
    family = _family(api, "Cascade Contact")

    assert api.call("DELETE", f"sobjects/Contact/{family.contact}").status_code == 204
    gone = _rows(api, "Task", [family.task_on_contact], all_rows=True)
    assert gone[family.task_on_contact]["IsDeleted"] is True
    assert _rows(api, "Event", [family.event_on_contact], all_rows=True)[family.event_on_contact][
        "IsDeleted"
    ]
    live_tasks = [family.task_on_account, family.task_on_opportunity]
    assert set(_rows(api, "Task", live_tasks, all_rows=False)) == set(live_tasks)
    assert family.account in _rows(api, "Account", [family.account], all_rows=False)
    assert family.opportunity in _rows(api, "Opportunity", [family.opportunity], all_rows=False)

    assert api.call("DELETE", f"sobjects/Opportunity/{family.opportunity}").status_code == 204
    rows = _rows(api, "Task", live_tasks, all_rows=True)
    assert rows[family.task_on_opportunity]["IsDeleted"] is True
    assert rows[family.task_on_account]["IsDeleted"] is False
    assert family.account in _rows(api, "Account", [family.account], all_rows=False)


def test_collection_delete_cascades_and_all_or_none_rolls_children_back(api: SfApi) -> None:
    """A failed allOrNone delete leaves the children live; a good one recycles them."""
    family = _family(api, "Cascade Collection")
    bad_id = "001000000000000AAA"
    reply = api.call(
        "DELETE",
        "composite/sobjects",
        params={"ids": f"{family.account},{bad_id}", "allOrNone": "true"},
    )
    assert reply.status_code == 200, reply.text
    assert not any(result["success"] for result in reply.json())
    for sobject, record_ids in family.children().items():
        assert set(_rows(api, sobject, record_ids, all_rows=False)) == set(record_ids), sobject

    reply = api.call("DELETE", "composite/sobjects", params={"ids": family.account})
    assert reply.json()[0]["success"] is True
    for sobject, record_ids in family.children().items():
        assert _rows(api, sobject, record_ids, all_rows=False) == {}, sobject


def test_cascade_survives_a_restart(api: SfApi) -> None:
    """Records deleted by cascade are still in the recycle bin after the server restarts."""
    family = _family(api, "Cascade Restart")
    assert api.call("DELETE", f"sobjects/Account/{family.account}").status_code == 204
    process = api.process
    process.restart()
    fresh = SfApi(process)
    api.session, api.token, api.root = fresh.session, fresh.token, fresh.root
    for sobject, record_ids in family.children().items():
        rows = _rows(api, sobject, record_ids, all_rows=True)
        assert all(row["IsDeleted"] for row in rows.values()), sobject
        assert set(rows) == set(record_ids)
        assert _rows(api, sobject, record_ids, all_rows=False) == {}
