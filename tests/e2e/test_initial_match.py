"""Initial sync with `initial_sync: match`: records both CRMs hold are paired and merged,
nothing is deleted on either side, and no confirmation is needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from crmsync.local import LocalSync

from .crm import fm_live, sf_live, write_calls

SETTINGS: dict[str, Any] = {
    "objects": {
        "accounts": "two-way",
        "contacts": "two-way",
        "opportunities": "one-way",
        "activities": "off",
        "events": "off",
        "tasks": "off",
    },
    "user_mapping": {"auto": True},
    "initial_sync": "match",
    "match_overrides": "overrides.yml",
}


def sf_create(sync: LocalSync, sobject: str, fields: dict[str, Any]) -> str:
    return sync.salesforce.request("POST", f"sobjects/{sobject}", json=fields).json()["id"]


def fm_account(sync: LocalSync, fields: dict[str, Any]) -> int:
    return sync.forcemanager.create("accounts", {"branchId": 1, **fields})


def matches(sync: LocalSync) -> list[tuple[Any, ...]]:
    return sync.query(
        "select object, salesforce_id, forcemanager_id, decision, reason, score "
        "from main.sync_matches order by all"
    )


def test_match_pairs_merges_and_deletes_nothing(local_sync: Callable[..., LocalSync]) -> None:
    sync = local_sync(SETTINGS)
    # a pair spelled differently: case, accents, legal form, phone formatting
    sf_a = sf_create(
        sync,
        "Account",
        {"Name": "Zorblax Industrias S.L.", "BillingCity": "Málaga", "Phone": "+34 952 123 456"},
    )
    fm_a = fm_account(
        sync,
        {
            "name": "ZORBLAX INDUSTRIAS",
            "city": "malaga",
            "phone": "952-123-456",
            "website": "www.zorblax.example",
            "comment": "Kept from ForceManager",
        },
    )
    # one name Salesforce holds twice, in two cities: the city decides
    sf_berlin = sf_create(sync, "Account", {"Name": "Quimbo GmbH", "BillingCity": "Berlin"})
    sf_hamburg = sf_create(sync, "Account", {"Name": "Quimbo GmbH", "BillingCity": "Hamburg"})
    fm_hamburg = fm_account(sync, {"name": "Quimbo", "city": "Hamburg"})
    # two Salesforce records with the same key: ambiguous, held back
    sf_vexaro = [
        sf_create(sync, "Account", {"Name": "Vexaro Ltd", "BillingCity": "Leeds"}) for _ in "ab"
    ]
    fm_vexaro = fm_account(sync, {"name": "Vexaro", "city": "Leeds"})
    # ForceManager only: created in Salesforce
    fm_only = fm_account(sync, {"name": "Plonkett Ventures", "city": "Oslo"})
    # the overrides: a forced pair no rule finds, a forbidden pair a rule would find
    sf_forced = sf_create(sync, "Account", {"Name": "Gribble Corp", "BillingCity": "Paris"})
    fm_forced = fm_account(sync, {"name": "Gribble Holdings", "city": "Lyon"})
    sf_forbidden = sf_create(sync, "Account", {"Name": "Frobnitz AG", "BillingCity": "Zurich"})
    fm_forbidden = fm_account(sync, {"name": "Frobnitz", "city": "Zurich"})
    # a contact paired by e-mail within the paired account
    sf_contact = sf_create(
        sync,
        "Contact",
        {
            "FirstName": "José",
            "LastName": "Pérez",
            "Email": "Jose.Perez@Zorblax.example",
            "AccountId": sf_a,
        },
    )
    fm_contact = sync.forcemanager.create(
        "contacts",
        {
            "firstName": "Jose",
            "lastName": "Perez",
            "email": "jose.perez@zorblax.example",
            "phone1": "600111222",
            "accountId": fm_a,
        },
    )
    Path(sync.settings_file.parent / "overrides.yml").write_text(
        yaml.safe_dump(
            {
                "force": [
                    {"object": "accounts", "salesforce_id": sf_forced, "forcemanager_id": fm_forced}
                ],
                "forbid": [
                    {
                        "object": "accounts",
                        "salesforce_id": sf_forbidden,
                        "forcemanager_id": fm_forbidden,
                    }
                ],
            }
        )
    )
    sf_before = {r["Id"] for r in sf_live(sync, "SELECT Id FROM Account")}
    fm_before = {r["id"] for r in fm_live(sync, "accounts")}
    fm_contacts_before = {r["id"] for r in fm_live(sync, "contacts")}

    # the dry run shows the matching and the merge, and writes nothing
    sync.reset_calls()
    sync.run("sync-initial-plan")
    assert write_calls(sync, "forcemanager") == {}
    assert write_calls(sync, "salesforce") == {}
    planned = {(o, s, f): (d, r) for o, s, f, d, r, _ in matches(sync)}
    assert planned[("accounts", sf_a, fm_a)] == ("linked", "name+city")
    assert planned[("accounts", sf_hamburg, fm_hamburg)][0] == "linked"
    assert planned[("accounts", sf_forced, fm_forced)] == ("linked", "override: force")
    assert planned[("contacts", sf_contact, fm_contact)] == ("linked", "email")
    assert planned[("accounts", sf_berlin, None)][0] == "unmatched"
    assert planned[("accounts", None, fm_only)][0] == "unmatched"
    assert ("accounts", sf_forbidden, fm_forbidden) not in planned
    ambiguous = {(s, f) for (o, s, f), (d, _) in planned.items() if d == "ambiguous"}
    assert {(sf_vexaro[0], fm_vexaro), (sf_vexaro[1], fm_vexaro)} <= ambiguous
    assert all(0 <= score <= 1 for *_, score in matches(sync))
    plan = dict(
        sync.query(
            "select direction || ' ' || action, count(*) from main.sync_plan "
            "where object = 'accounts' and (salesforce_id = ? or forcemanager_id = ?) "
            "group by 1",
            [sf_a, fm_a],
        )
    )
    assert plan == {"sf_to_fm update": 1, "fm_to_sf update": 1}
    links_planned = set(planned)

    # the initial sync itself: no confirmation, nothing deleted on either side
    sync.reset_calls()
    run = sync.run("sync-initial", unset=["CRMSYNC_CONFIRM_INITIAL_WIPE"])
    assert run.returncode == 0
    for system in ("forcemanager", "salesforce"):
        deletes = [r for r in write_calls(sync, system) if r.startswith("DELETE")]
        assert deletes == [], f"{system} deletes: {deletes}"
    assert sf_before <= {r["Id"] for r in sf_live(sync, "SELECT Id FROM Account")}
    assert fm_before <= {r["id"] for r in fm_live(sync, "accounts")}
    assert fm_contacts_before <= {r["id"] for r in fm_live(sync, "contacts")}
    assert {(o, s, f) for o, s, f, *_ in matches(sync)} == links_planned

    fm_accounts = {r["id"]: r for r in fm_live(sync, "accounts")}
    sf_accounts = {
        r["Id"]: r
        for r in sf_live(
            sync,
            "SELECT Id, Name, BillingCity, Phone, Website, Description, ForceManager_Id__c "
            "FROM Account",
        )
    }
    # the matched pair: linked both ways, Salesforce's value where both were set, the other
    # side's where only it was set
    merged_fm, merged_sf = fm_accounts[fm_a], sf_accounts[sf_a]
    assert merged_fm["extId"] == sf_a
    assert str(merged_sf["ForceManager_Id__c"]) == str(fm_a)
    assert merged_fm["name"] == merged_sf["Name"] == "Zorblax Industrias S.L."
    assert merged_fm["phone"] == merged_sf["Phone"] == "+34 952 123 456"
    assert merged_sf["Website"] == "www.zorblax.example"
    assert merged_sf["Description"] == "Kept from ForceManager"
    assert fm_accounts[fm_hamburg]["extId"] == sf_hamburg
    assert fm_accounts[fm_forced]["extId"] == sf_forced
    fm_ext = {r.get("extId"): r for r in fm_accounts.values() if r.get("extId")}
    assert sf_berlin in fm_ext, "the unmatched Salesforce record is created in ForceManager"
    created = [a for a in sf_accounts.values() if str(a["ForceManager_Id__c"]) == str(fm_only)]
    assert [a["Name"] for a in created] == ["Plonkett Ventures"]
    # ambiguous: neither linked nor created
    assert not fm_accounts[fm_vexaro].get("extId")
    assert not set(sf_vexaro) & set(fm_ext)
    assert not [a for a in sf_accounts.values() if str(a["ForceManager_Id__c"]) == str(fm_vexaro)]
    # forbidden: not linked to each other
    assert fm_accounts[fm_forbidden].get("extId") != sf_forbidden
    contact = sf_live(sync, f"SELECT Phone FROM Contact WHERE Id = '{sf_contact}'")[0]
    assert contact["Phone"] == "600111222"

    # the next cycle finds nothing to write
    sync.reset_calls()
    sync.incremental_sync()
    assert write_calls(sync, "forcemanager") == {}
    assert write_calls(sync, "salesforce") == {}


def test_match_on_demo_data_with_every_object_converges(
    local_sync: Callable[..., LocalSync],
) -> None:
    """Both CRMs' independent demo data, the objects two-way: nothing deleted, ambiguous
    records (duplicate e-mails) held with the records that refer to them, every calendar task
    in Salesforce once (also those whose id a ForceManager activity holds too: their
    ForceManager_Id__c is `task:<id>`), and the cycle after the initial sync writes nothing."""
    settings = {
        **SETTINGS,
        "objects": {
            "accounts": "two-way",
            "contacts": "two-way",
            "opportunities": "one-way",
            "activities": "two-way",
            "events": "two-way",
            "tasks": "two-way",
        },
    }
    del settings["match_overrides"]
    sync = local_sync(settings)
    fm_before = {r["id"] for r in fm_live(sync, "accounts")}

    sync.reset_calls()
    sync.run("sync-initial", unset=["CRMSYNC_CONFIRM_INITIAL_WIPE"])

    for system in ("forcemanager", "salesforce"):
        deletes = [r for r in write_calls(sync, system) if r.startswith("DELETE")]
        assert deletes == [], f"{system} deletes: {deletes}"
    assert fm_before <= {r["id"] for r in fm_live(sync, "accounts")}
    decisions = dict(sync.query("select decision, count(*) from main.sync_matches group by 1"))
    assert decisions.get("unmatched", 0) > 0
    # an ambiguous record's row names its best candidate on the other side: every ForceManager
    # task these rows name is left out
    held = {
        fm_id
        for (fm_id,) in sync.query(
            "select forcemanager_id from main.sync_matches "
            "where object = 'tasks' and decision = 'ambiguous'"
        )
    }
    fm_tasks = {r["id"]: r for r in fm_live(sync, "calendar") if r.get("task")}
    activity_ids = {r["id"] for r in fm_live(sync, "activities")}
    assert len(set(fm_tasks) & activity_ids) >= 10, "demo tasks share ids with activities"
    sf_tasks = sf_live(sync, "SELECT Id, ForceManager_Id__c FROM Task WHERE TaskSubtype != 'Call'")
    qualified = 0
    for task_id, task in fm_tasks.items():
        if task_id in held:
            continue
        # the Salesforce Tasks standing for it: by its key (plain or task:<id>), or its extId
        # (a task created from Salesforce)
        found = {
            t["Id"]
            for t in sf_tasks
            if str(t["ForceManager_Id__c"]) in (str(task_id), f"task:{task_id}")
            or t["Id"] == task.get("extId")
        }
        assert len(found) == 1, (f"ForceManager task {task_id} in Salesforce as {found}", task)
        qualified += any(t["ForceManager_Id__c"] == f"task:{task_id}" for t in sf_tasks)
    assert qualified >= 10, "tasks whose id an activity holds reach Salesforce as task:<id>"
    assert not sync.query("select * from main.sync_plan where action = 'skip' and object = 'tasks'")
    sync.reset_calls()
    sync.incremental_sync()
    assert write_calls(sync, "forcemanager") == {}
    assert write_calls(sync, "salesforce") == {}
