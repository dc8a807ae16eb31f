"""Incremental cycles: one-way and two-way objects, conflicts, quiet cycles, new custom fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmsync.local import LocalSync

from .conftest import ALL_TWO_WAY
from .crm import fm_by_ext_id, fm_live, ref_id, sf_live, write_calls


def _first_account(sync: LocalSync) -> dict[str, Any]:
    return sf_live(sync, "SELECT Id, Name FROM Account ORDER BY Name LIMIT 1")[0]


def test_one_way_object_carries_salesforce_changes_and_never_pushes_back(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync()
    sync.initial_sync()
    sf = sync.salesforce
    account = _first_account(sync)
    opportunities = sf_live(sync, "SELECT Id, Name, Amount FROM Opportunity ORDER BY Name")
    changed, deleted, fm_edited = opportunities[0], opportunities[1], opportunities[2]
    created = sf.request(
        "POST",
        "sobjects/Opportunity",
        json={
            "Name": "Fleet renewal 2027",
            "StageName": "Proposal",
            "CloseDate": "2027-03-31",
            "AccountId": account["Id"],
            "Amount": 125000,
        },
    ).json()["id"]
    sf.request("PATCH", f"sobjects/Opportunity/{changed['Id']}", json={"Amount": 4321.5})
    sf.request("DELETE", f"sobjects/Opportunity/{deleted['Id']}")
    fm_before = fm_by_ext_id(sync, "opportunities")
    sync.forcemanager.update(
        "opportunities", fm_before[fm_edited["Id"]]["id"], {"reference": "Edited in ForceManager"}
    )

    sync.incremental_sync()

    fm_after = fm_by_ext_id(sync, "opportunities")
    assert fm_after[created]["reference"] == "Fleet renewal 2027"
    assert fm_after[created]["statusId"]["value"] == "Proposal"
    assert float(fm_after[created]["total"]) == 125000
    assert float(fm_after[changed["Id"]]["total"]) == 4321.5
    assert deleted["Id"] not in fm_after
    still = sf_live(sync, f"SELECT Name FROM Opportunity WHERE Id = '{fm_edited['Id']}'")
    assert still[0]["Name"] == fm_edited["Name"], "a one-way object pushed a change to Salesforce"


def test_two_way_object_carries_edits_creates_and_deletes_both_ways(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync()
    sync.initial_sync()
    sf, fm = sync.salesforce, sync.forcemanager
    account = _first_account(sync)
    fm_accounts = fm_by_ext_id(sync, "accounts")
    contacts = sf_live(sync, "SELECT Id, LastName, Email FROM Contact ORDER BY LastName")
    fm_contacts = fm_by_ext_id(sync, "contacts")
    sf_edit, fm_edit, sf_delete, fm_delete = contacts[:4]

    sf.request("PATCH", f"sobjects/Contact/{sf_edit['Id']}", json={"Email": "sf.edit@example.com"})
    fm.update("contacts", fm_contacts[fm_edit["Id"]]["id"], {"email": "fm.edit@example.com"})
    sf.request("DELETE", f"sobjects/Contact/{sf_delete['Id']}")
    fm.delete("contacts", fm_contacts[fm_delete["Id"]]["id"])
    sf_new = sf.request(
        "POST",
        "sobjects/Contact",
        json={"FirstName": "Lucía", "LastName": "Fernández", "AccountId": account["Id"]},
    ).json()["id"]
    fm_new = fm.create(
        "contacts",
        {
            "firstName": "Jonas",
            "lastName": "Berg",
            "accountId": fm_accounts[account["Id"]]["id"],
            "email": "jonas.berg@example.com",
        },
    )

    sync.incremental_sync()

    fm_after = fm_by_ext_id(sync, "contacts")
    assert fm_after[sf_edit["Id"]]["email"] == "sf.edit@example.com"
    assert sf_live(sync, f"SELECT Email FROM Contact WHERE Id = '{fm_edit['Id']}'")[0] == {
        "Email": "fm.edit@example.com"
    }
    assert sf_delete["Id"] not in fm_after
    assert not sf_live(sync, f"SELECT Id FROM Contact WHERE Id = '{fm_delete['Id']}'")
    assert fm_after[sf_new]["lastName"] == "Fernández"
    assert ref_id(fm_after[sf_new]["accountId"]) == fm_accounts[account["Id"]]["id"]
    created_in_sf = sf_live(
        sync, f"SELECT Id, LastName, AccountId FROM Contact WHERE ForceManager_Id__c = '{fm_new}'"
    )
    assert [(c["LastName"], c["AccountId"]) for c in created_in_sf] == [("Berg", account["Id"])]


def test_conflict_salesforce_wins_per_field(local_sync: Callable[..., LocalSync]) -> None:
    sync = local_sync()
    sync.initial_sync()
    account = _first_account(sync)
    fm_id = fm_by_ext_id(sync, "accounts")[account["Id"]]["id"]
    sync.salesforce.request(
        "PATCH", f"sobjects/Account/{account['Id']}", json={"Name": "Name from Salesforce"}
    )
    sync.forcemanager.update(
        "accounts", fm_id, {"name": "Name from ForceManager", "city": "Zaragoza"}
    )

    sync.incremental_sync()

    sf_after = sf_live(sync, f"SELECT Name, BillingCity FROM Account WHERE Id = '{account['Id']}'")
    fm_after = fm_by_ext_id(sync, "accounts")[account["Id"]]
    assert sf_after[0] == {"Name": "Name from Salesforce", "BillingCity": "Zaragoza"}
    assert fm_after["name"] == "Name from Salesforce"
    assert fm_after["city"] == "Zaragoza"
    conflicts = sync.query(
        "select sum(conflicts) from main.sync_stats where object = 'accounts' and run_id = "
        "(select run_id from main.sync_stats order by run_started_at desc limit 1)"
    )
    assert conflicts == [(1,)]


def test_quiet_cycles_write_nothing(local_sync: Callable[..., LocalSync]) -> None:
    sync = local_sync()
    sync.initial_sync()
    sync.incremental_sync()
    for _ in range(2):
        sync.reset_calls()
        sync.incremental_sync()
        assert write_calls(sync, "forcemanager") == {}
        assert write_calls(sync, "salesforce") == {}


def test_owners_by_name_by_manual_mapping_and_fallback(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync()
    users = {
        (u["FirstName"], u["LastName"]): u["Id"]
        for u in sf_live(sync, "SELECT Id, FirstName, LastName FROM User")
    }
    fm_users = {
        (u["name"].strip(), u["lastName"]): u["id"] for u in sync.forcemanager.get_json("/users")
    }
    farid, daniel = users[("Farid", "Haddad")], users[("Daniel", "Smith")]
    settings = {
        **ALL_TWO_WAY,
        "user_mapping": {
            "auto": True,
            "manual": {farid: fm_users[("Farid", "Al-Haddad")]},
            "default_owner": {"forcemanager": fm_users[("Greta", "Lind")]},
        },
    }
    sync.write_settings(settings)
    accounts = sf_live(sync, "SELECT Id FROM Account ORDER BY Name LIMIT 5")
    owners = {
        "name": (users[("Bruno", "Keller")], fm_users[("Bruno", "Keller")]),
        "normalised name": (users[("Ana", "García")], fm_users[("ana", "GARCIA")]),
        "manual": (farid, fm_users[("Farid", "Al-Haddad")]),
        "ambiguous name": (daniel, fm_users[("Greta", "Lind")]),
        "no counterpart": (users[("Elena", "Rossi")], fm_users[("Greta", "Lind")]),
    }
    for account, (sf_owner, _) in zip(accounts, owners.values(), strict=True):
        sync.salesforce.request(
            "PATCH", f"sobjects/Account/{account['Id']}", json={"OwnerId": sf_owner}
        )

    sync.initial_sync()

    fm_accounts = fm_by_ext_id(sync, "accounts")
    for account, (case, (_, fm_owner)) in zip(accounts, owners.items(), strict=True):
        got = ref_id(fm_accounts[account["Id"]]["salesRepId1"])
        assert got == fm_owner, f"owner by {case}: {got} != {fm_owner}"
    unmapped = dict(
        sync.query(
            "select user_id, records_owned from main.unmapped_users where system = ?",
            ["salesforce"],
        )
    )
    assert unmapped[users[("Elena", "Rossi")]] >= 1
    assert unmapped[daniel] >= 1
    assert users[("Bruno", "Keller")] not in unmapped


def test_new_salesforce_custom_field_reaches_forcemanager(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync()
    sync.initial_sync()
    sync.incremental_sync()  # the extractors now keep their describes in their state
    sync.salesforce.request(
        "POST",
        "tooling/sobjects/CustomField",
        json={
            "FullName": "Account.Region_Code__c",
            "Metadata": {"label": "Region code", "type": "Text", "length": 20},
        },
    )
    account = _first_account(sync)
    sync.salesforce.request(
        "PATCH", f"sobjects/Account/{account['Id']}", json={"Region_Code__c": "EU-W"}
    )

    # Within metadata_check_minutes (60) of the last check, the org is not asked again.
    sync.incremental_sync()
    assert "Region_Code" not in {
        f["fieldName"] for f in sync.forcemanager.get_json("/extrafields/accounts")
    }

    sync.run("sync-incremental", TAP_SALESFORCE_METADATA_CHECK_MINUTES="0")

    extra = {f["fieldName"]: f for f in sync.forcemanager.get_json("/extrafields/accounts")}
    assert extra["Region_Code"]["type"] == "text"
    assert fm_by_ext_id(sync, "accounts")[account["Id"]]["Z_Region_Code"] == "EU-W"
    assert fm_live(sync, "accounts", where="Z_Region_Code IS NOT NULL") != []


def test_records_created_in_forcemanager_settle_with_no_echo(
    local_sync: Callable[..., LocalSync],
) -> None:
    """A record born in ForceManager with most fields empty is created in Salesforce, where some
    fields cannot be empty (checkboxes read back false): the cycle after must still be quiet."""
    sync = local_sync()
    sync.initial_sync()
    fm = sync.forcemanager
    account_id = fm.create(
        "accounts", {"name": "Born in ForceManager", "branchId": 1, "salesRepId1": 1}
    )
    fm.create("contacts", {"firstName": "Ada", "lastName": "Born", "accountId": account_id})

    sync.incremental_sync()
    created = sf_live(
        sync, f"SELECT Id, Name FROM Account WHERE ForceManager_Id__c = '{account_id}'"
    )
    assert [a["Name"] for a in created] == ["Born in ForceManager"]

    sync.reset_calls()
    sync.incremental_sync()
    assert write_calls(sync, "forcemanager") == {}
    assert write_calls(sync, "salesforce") == {}


def test_field_salesforce_cannot_write_syncs_one_way_and_is_listed(
    local_sync: Callable[..., LocalSync],
) -> None:
    """A ForceManager edit to the extra field mirroring a Salesforce formula field is not sent
    (Salesforce would refuse it) and not logged as a success: the plan lists it as skipped."""
    sync = local_sync()
    sync.initial_sync()
    sync.salesforce.request(
        "POST",
        "tooling/sobjects/CustomField",
        json={
            "FullName": "Account.Health_Score__c",
            "Metadata": {
                "label": "Health score",
                "type": "Number",
                "precision": 3,
                "scale": 0,
                "formula": "Annual_Visits__c * 2",
            },
        },
    )
    sync.run("sync-incremental", TAP_SALESFORCE_METADATA_CHECK_MINUTES="0")
    account = _first_account(sync)
    fm_id = fm_by_ext_id(sync, "accounts")[account["Id"]]["id"]
    sync.forcemanager.update("accounts", fm_id, {"Z_Health_Score": 42, "phone": "+34 600 000 001"})

    sync.reset_calls()
    sync.incremental_sync()

    skipped = sync.query(
        "select direction, action, skip_reason from main.sync_plan "
        f"where salesforce_id = '{account['Id']}' order by action"
    )
    assert [(d, a) for d, a, _ in skipped] == [("fm_to_sf", "skip"), ("fm_to_sf", "update")]
    assert "Health_Score__c" in skipped[0][2]
    sent = sync.query(
        "select status, error_code from main.sync_log where salesforce_id = ? "
        "and run_id = (select max_by(run_id, synced_at) from main.sync_log)",
        [account["Id"]],
    )
    assert sent == [("success", None)]
    after = sf_live(sync, f"SELECT Phone FROM Account WHERE Id = '{account['Id']}'")
    assert after == [{"Phone": "+34 600 000 001"}]

    sync.reset_calls()
    sync.incremental_sync()
    assert write_calls(sync, "forcemanager") == {}
    assert write_calls(sync, "salesforce") == {}


def test_references_to_records_nothing_touched_resolve(
    local_sync: Callable[..., LocalSync],
) -> None:
    """A contact moved to, or created under, an account no cycle compares (a clean pair) gets
    that account on the other side: references resolve through every linked pair."""
    sync = local_sync()
    sync.initial_sync()
    sync.incremental_sync()  # every pair settled: the accounts below are clean
    sf, fm = sync.salesforce, sync.forcemanager
    first, second, third = sf_live(sync, "SELECT Id FROM Account ORDER BY Name LIMIT 3")
    fm_accounts = fm_by_ext_id(sync, "accounts")
    contacts = sf_live(sync, "SELECT Id FROM Contact WHERE AccountId != null ORDER BY LastName")
    moved_in_fm, moved_in_sf = contacts[0]["Id"], contacts[1]["Id"]
    fm_contacts = fm_by_ext_id(sync, "contacts")
    fm.update(
        "contacts", fm_contacts[moved_in_fm]["id"], {"accountId": fm_accounts[first["Id"]]["id"]}
    )
    sf.request("PATCH", f"sobjects/Contact/{moved_in_sf}", json={"AccountId": second["Id"]})
    created = sf.request(
        "POST",
        "sobjects/Contact",
        json={"FirstName": "Noor", "LastName": "Haddad", "AccountId": third["Id"]},
    ).json()["id"]

    sync.incremental_sync()

    moved = sf_live(sync, f"SELECT AccountId FROM Contact WHERE Id = '{moved_in_fm}'")
    assert moved == [{"AccountId": first["Id"]}]
    fm_after = fm_by_ext_id(sync, "contacts")
    assert ref_id(fm_after[moved_in_sf]["accountId"]) == fm_accounts[second["Id"]]["id"]
    assert ref_id(fm_after[created]["accountId"]) == fm_accounts[third["Id"]]["id"]
    errors = sync.query("select count(*) from main.sync_log where status = 'error'")
    assert errors == [(0,)]


def test_a_restored_salesforce_record_keeps_one_link_to_its_new_forcemanager_record(
    local_sync: Callable[..., LocalSync],
) -> None:
    """A record born in ForceManager, deleted in Salesforce (so in ForceManager too) and then
    restored from Salesforce's recycle bin is created again in ForceManager under a new id: the
    Salesforce record must not keep naming the deleted one, and the cycle after writes nothing."""
    sync = local_sync()
    sync.initial_sync()
    sf, fm = sync.salesforce, sync.forcemanager
    old_id = fm.create("accounts", {"name": "Restored Ltd", "branchId": 1, "salesRepId1": 1})
    sync.incremental_sync()
    [account] = sf_live(sync, f"SELECT Id FROM Account WHERE ForceManager_Id__c = '{old_id}'")

    sf.request("DELETE", f"sobjects/Account/{account['Id']}")
    sync.incremental_sync()
    assert account["Id"] not in fm_by_ext_id(sync, "accounts")

    sync.undelete("Account", account["Id"])
    sync.incremental_sync()
    recreated = fm_by_ext_id(sync, "accounts")[account["Id"]]
    assert recreated["id"] != old_id
    [restored] = sf_live(
        sync, f"SELECT ForceManager_Id__c FROM Account WHERE Id = '{account['Id']}'"
    )
    assert restored["ForceManager_Id__c"] in (None, str(recreated["id"]))

    sync.reset_calls()
    sync.incremental_sync()
    assert write_calls(sync, "forcemanager") == {}
    assert write_calls(sync, "salesforce") == {}
