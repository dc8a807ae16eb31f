"""Initial sync: ForceManager ends up holding exactly Salesforce's records, only when confirmed."""

from __future__ import annotations

from collections.abc import Callable

from crmsync.local import LocalSync

from .crm import fm_by_ext_id, fm_live, ref_id, sf_live, write_calls


def test_initial_sync_without_confirmation_writes_nothing(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync()
    before = sorted(r["id"] for r in fm_live(sync, "accounts"))
    sync.reset_calls()

    run = sync.run("sync-initial", check=False)

    assert run.returncode != 0
    assert "CRMSYNC_CONFIRM_INITIAL_WIPE" in run.output
    assert write_calls(sync, "forcemanager") == {}
    assert write_calls(sync, "salesforce") == {}
    assert sorted(r["id"] for r in fm_live(sync, "accounts")) == before


def test_dry_run_leaves_the_plan_and_writes_nothing(local_sync: Callable[..., LocalSync]) -> None:
    sync = local_sync()
    sync.reset_calls()

    sync.run("sync-initial-plan")

    assert write_calls(sync, "forcemanager") == {}
    sf_count = len(sf_live(sync, "SELECT Id FROM Account"))
    fm_count = len(fm_live(sync, "accounts"))
    planned = dict(
        sync.query("select action, count(*) from publish.pub_forcemanager__accounts group by 1")
    )
    assert planned == {"create": sf_count, "delete": fm_count}


def test_initial_sync_replaces_forcemanager_with_salesforce(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync()
    old_fm_accounts = {r["id"] for r in fm_live(sync, "accounts")}

    sync.initial_sync()

    accounts = sf_live(
        sync,
        "SELECT Id, Name, BillingCity, Phone, OwnerId, Account_Notes__c, Annual_Visits__c "
        "FROM Account",
    )
    fm_accounts = fm_by_ext_id(sync, "accounts")
    assert set(fm_accounts) == {a["Id"] for a in accounts}
    assert len(fm_live(sync, "accounts")) == len(accounts), "ForceManager kept other accounts"
    assert not old_fm_accounts & {r["id"] for r in fm_live(sync, "accounts")}
    for account in accounts:
        fm = fm_accounts[account["Id"]]
        assert fm["name"] == account["Name"]
        assert fm["city"] == account["BillingCity"]
        assert fm["phone"] == account["Phone"]
        assert fm.get("Z_Account_Notes") == account["Account_Notes__c"]
        if account["Annual_Visits__c"] is None:
            assert fm.get("Z_Annual_Visits") is None
        else:
            assert float(fm["Z_Annual_Visits"]) == float(account["Annual_Visits__c"])

    # ForceManager requires an account and a first name on every contact: a Salesforce contact
    # without them is skipped, with the reason in the plan, and the rest lands.
    contacts = sf_live(sync, "SELECT Id, FirstName, LastName, Email, AccountId FROM Contact")
    private = {c["Id"] for c in contacts if not (c["AccountId"] and c["FirstName"])}
    contacts = [c for c in contacts if c["Id"] not in private]
    fm_contacts = fm_by_ext_id(sync, "contacts")
    assert set(fm_contacts) == {c["Id"] for c in contacts}
    skipped = sync.query(
        "select salesforce_id, skip_reason from main.sync_plan "
        "where object = 'contacts' and action = 'skip'"
    )
    assert {row[0] for row in skipped} == private
    assert all("account" in row[1] for row in skipped)
    for contact in contacts:
        fm = fm_contacts[contact["Id"]]
        assert fm["lastName"] == contact["LastName"]
        assert fm["email"] == contact["Email"]
        assert ref_id(fm["accountId"]) == fm_accounts[contact["AccountId"]]["id"]

    opportunities = sf_live(sync, "SELECT Id, Name, AccountId, StageName FROM Opportunity")
    fm_opportunities = fm_by_ext_id(sync, "opportunities")
    assert set(fm_opportunities) == {o["Id"] for o in opportunities}
    for opportunity in opportunities:
        fm = fm_opportunities[opportunity["Id"]]
        assert fm["reference"] == opportunity["Name"]
        assert fm["statusId"]["value"] == opportunity["StageName"]
        assert ref_id(fm["accountId1"]) == fm_accounts[opportunity["AccountId"]]["id"]

    def reachable(soql: str) -> set[str]:
        return {r["Id"] for r in sf_live(sync, soql)}

    calendar = fm_by_ext_id(sync, "calendar")
    assert set(fm_by_ext_id(sync, "activities")) == reachable(
        "SELECT Id, WhoId FROM Task WHERE TaskSubtype = 'Call'"
    )
    assert {k for k, v in calendar.items() if not v["task"]} == reachable(
        "SELECT Id, WhoId FROM Event"
    )
    assert {k for k, v in calendar.items() if v["task"]} == reachable(
        "SELECT Id, WhoId FROM Task WHERE TaskSubtype != 'Call'"
    )


def test_custom_fields_become_forcemanager_extra_fields(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync()
    sync.initial_sync()

    extra = {f["fieldName"]: f for f in sync.forcemanager.get_json("/extrafields/accounts")}
    assert extra["Customer_Tier"]["type"] == "list"
    assert extra["Annual_Visits"]["type"] == "decimal"
    assert extra["Is_Key_Account"]["type"] == "bit"
    assert extra["Contract_Start"]["type"] == "datetime"
    assert extra["Account_Notes"]["type"] == "text"
    contact_extra = {f["fieldName"] for f in sync.forcemanager.get_json("/extrafields/contacts")}
    assert {"Preferred_Channel", "Newsletter_Opt_In"} <= contact_extra
