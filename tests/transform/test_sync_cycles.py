"""Sync cycles on a fixture warehouse: plan, apply as the APIs would, log, report, plan again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from apply import apply_plan
from conftest import ADMIN
from crmsync_common.apicalls import CallLedger, CallRecorder, begin_cycle
from warehouse import Warehouse

from crmsync.field_pairs import resolve_field_pairs, store_field_pairs
from crmsync.local import dbt_command
from crmsync.settings import FieldPair
from crmsync.steps import collect_calls

# what the sync jobs run (meltano.yml); unit tests run in test_dbt_unit_tests.py
PLAN = tuple(dbt_command("plan"))
REPORT = tuple(dbt_command("report"))
INITIAL = tuple(dbt_command("plan_initial"))
CHECK = tuple(dbt_command("check"))


def plan(wh: Warehouse, *args: str) -> str:
    result = wh.dbt_run(*(args or PLAN))
    assert result.returncode == 0, result.output[-4000:]
    assert result.invocation_id
    return result.invocation_id


def cycle(wh: Warehouse, fail: set[tuple[str, str]] | None = None, *args: str) -> str:
    """One sync cycle; returns its run id."""
    run_id = plan(wh, *args)
    apply_plan(wh, run_id, fail)
    result = wh.dbt_run(*REPORT)
    assert result.returncode == 0, result.output[-4000:]
    return run_id


def published(wh: Warehouse, target: str, obj: str) -> list[dict[str, Any]]:
    rows = wh.query(f"select * from publish.pub_{target}__{obj} order by salesforce_id")
    return [{**r, "fields": json.loads(r["fields"]), "refs": json.loads(r["refs"])} for r in rows]


def all_published(wh: Warehouse) -> int:
    return wh.query("select count(*) as n from main.sync_plan")[0]["n"]


def seed(wh: Warehouse) -> None:
    wh.add_column("raw_salesforce.account", "customer_tier__c", "varchar")
    wh.insert(
        "raw_salesforce.fields",
        [
            {
                "object": "Account",
                "name": "Customer_Tier__c",
                "type": "picklist",
                "custom": True,
                "picklist_values": '["Gold", "Silver"]',
            },
            {"object": "Account", "name": "ForceManager_Id__c", "type": "string", "custom": True},
        ],
    )
    wh.upsert(
        "raw_salesforce.account",
        {
            "id": "001A",
            "name": "Acme",
            "phone": "1",
            "ownerid": "005000000000002AAA",
            "customer_tier__c": "Gold",
            "isdeleted": False,
        },
    )
    wh.upsert(
        "raw_salesforce.account",
        {"id": "001B", "name": "Beta", "ownerid": ADMIN, "isdeleted": False},
    )
    wh.upsert(
        "raw_salesforce.contact",
        {
            "id": "003A",
            "firstname": "Jane",
            "lastname": "Doe",
            "email": "d@x.io",
            "accountid": "001A",
            "ownerid": "005000000000003AAA",
            "isdeleted": False,
        },
    )
    wh.upsert(
        "raw_salesforce.opportunity",
        {
            "id": "006A",
            "name": "Deal",
            "accountid": "001A",
            "stagename": "Prospecting",
            "probability": 25,
            "amount": 1500.0,
            "closedate": "2025-06-30",
            "ownerid": "005000000000004AAA",
            "isdeleted": False,
        },
    )
    wh.upsert(
        "raw_salesforce.event",
        {
            "id": "00UA",
            "subject": "Meet",
            "whatid": "001A",
            "startdatetime": "2025-02-01 10:00:30",
            "enddatetime": "2025-02-01 11:00:00",
            "ownerid": "005000000000005AAA",
            "isdeleted": False,
        },
    )
    # a ForceManager record the initial sync replaces
    wh.upsert(
        "raw_forcemanager.accounts",
        {"id": 900, "name": "Old", "salesrepid1__id": 1, "deleted": False},
    )


@pytest.mark.slow
def test_initial_sync_then_quiet_cycle_then_edits_on_both_sides(warehouse: Warehouse) -> None:
    wh = warehouse
    seed(wh)
    wh.insert(
        "crmsync_settings.user_mapping",
        [{"salesforce_user_id": "005000000000005AAA", "forcemanager_user_id": 7}],
    )

    # initial: ForceManager's records deleted, Salesforce's created with extId
    run = cycle(wh, None, *INITIAL)
    accounts = {r["salesforce_id"]: r for r in published(wh, "forcemanager", "accounts")}
    deletes = [r for r in accounts.values() if r["action"] == "delete"]
    assert [d["forcemanager_id"] for d in deletes] == [900]
    acme = accounts["001A"]
    assert acme["action"] == "create"
    assert acme["fields"] == {
        "name": "Acme",
        "phone": "1",
        "salesRepId1": 2,
        "Z_Customer_Tier": "Gold",
        "branchId": 3,
        "extId": "001A",
    }
    [contact] = published(wh, "forcemanager", "contacts")
    assert contact["refs"] == {"accountId": {"object": "accounts", "salesforce_id": "001A"}}
    assert "salesRepId" not in contact["fields"]  # Elena has no counterpart and no default
    assert contact["fields"]["branchId"] == 3  # the first branch, as on the account
    [opp] = published(wh, "forcemanager", "opportunities")
    assert opp["fields"]["salesProbability"] == 3
    assert opp["fields"]["statusId"] == 11
    assert "salesRepId" not in opp["fields"]  # two ForceManager Daniel Smiths: ambiguous
    [event] = published(wh, "forcemanager", "events")
    assert event["fields"]["salesRepId"] == 7  # manual mapping
    assert event["fields"]["startHour"] == "10:00"
    assert published(wh, "salesforce", "accounts") == []
    [extra] = wh.query("select * from publish.pub_forcemanager__extra_fields")
    assert (extra["resource"], extra["fieldName"], extra["type"]) == (
        "accounts",
        "Customer_Tier",
        "list",
    )
    stats = wh.query(
        "select * from main.sync_stats where run_id = ? and object = 'accounts' "
        "and direction = 'sf_to_fm'",
        [run],
    )
    assert (stats[0]["created"], stats[0]["deleted"]) == (2, 1)

    # quiet: what crmsync wrote reads back equal, so nothing is written
    cycle(wh)
    assert all_published(wh) == 0
    assert wh.query("select count(*) as n from publish.pub_forcemanager__extra_fields")[0]["n"] == 0

    # one-side edits flow; a field edited on both sides takes Salesforce's value
    fm_acme = wh.query("select id from raw_forcemanager.accounts where extid = '001A'")[0]["id"]
    fm_contact = wh.query("select id from raw_forcemanager.contacts")[0]["id"]
    wh.upsert("raw_salesforce.account", {"id": "001A", "name": "Acme SF", "phone": "2"})
    wh.upsert("raw_forcemanager.accounts", {"id": fm_acme, "name": "Acme FM", "city": "Paris"})
    wh.upsert("raw_forcemanager.contacts", {"id": fm_contact, "email": "new@x.io"})
    run = cycle(wh)
    [acme] = published(wh, "forcemanager", "accounts")
    assert acme["action"] == "update"
    assert acme["fields"] == {"name": "Acme SF", "phone": "2"}
    [acme_sf] = published(wh, "salesforce", "accounts")
    assert acme_sf["fields"] == {"BillingCity": "Paris"}
    [contact_sf] = published(wh, "salesforce", "contacts")
    assert contact_sf["fields"] == {"Email": "new@x.io"}
    [conflict] = wh.query("select * from main.sync_conflicts")
    assert (conflict["field"], conflict["resolved_value"]) == ("name", "Acme SF")
    stats = wh.query(
        "select * from main.sync_stats where run_id = ? and object = 'accounts' "
        "and direction = 'sf_to_fm'",
        [run],
    )
    assert (stats[0]["updated"], stats[0]["conflicts"]) == (1, 1)
    # one-way: a ForceManager edit of an opportunity is not pushed
    fm_opp = wh.query("select id from raw_forcemanager.opportunities")[0]["id"]
    wh.upsert("raw_forcemanager.opportunities", {"id": fm_opp, "reference": "Renamed"})
    cycle(wh)
    assert all_published(wh) == 0

    # a rejected write leaves the base: the same update is planned again
    wh.upsert("raw_salesforce.account", {"id": "001B", "website": "b.io"})
    cycle(
        wh,
        {
            (
                "accounts",
                str(
                    wh.query("select id from raw_forcemanager.accounts where extid = '001B'")[0][
                        "id"
                    ]
                ),
            )
        },
    )
    assert wh.query("select count(*) as n from main.sync_log where status = 'error'")[0]["n"] == 1
    plan(wh)
    [retry] = published(wh, "forcemanager", "accounts")
    assert retry["fields"] == {"website": "b.io"}

    # deletes: Salesforce's delete deletes in ForceManager; a ForceManager delete of an
    # unchanged record deletes in Salesforce
    wh.upsert("raw_salesforce.contact", {"id": "003A", "isdeleted": True})
    wh.upsert("raw_forcemanager.accounts", {"id": fm_acme, "deleted": True})
    plan(wh)
    [contact_delete] = published(wh, "forcemanager", "contacts")
    assert (contact_delete["action"], contact_delete["forcemanager_id"]) == ("delete", fm_contact)
    [acme_delete] = published(wh, "salesforce", "accounts")
    assert (acme_delete["action"], acme_delete["salesforce_id"]) == ("delete", "001A")
    # ... unless Salesforce changed it: then it is re-created in ForceManager
    wh.upsert("raw_salesforce.account", {"id": "001A", "phone": "3"})
    plan(wh)
    assert published(wh, "salesforce", "accounts") == []
    recreate = [
        r for r in published(wh, "forcemanager", "accounts") if r["salesforce_id"] == "001A"
    ]
    assert recreate[0]["action"] == "create"
    assert recreate[0]["fields"]["extId"] == "001A"

    # the integrity tests the cycles skip hold on everything they built
    check = wh.dbt_run(*CHECK)
    assert check.returncode == 0, check.output[-4000:]
    assert "PASS=" in check.output
    assert "PASS=0 " not in check.output


def compared(wh: Warehouse) -> dict[str, set[str]]:
    """The sync keys per object the last plan compared field by field."""
    rows = wh.query("select distinct object, sync_key from crmsync_plan.int_field_changes")
    keys: dict[str, set[str]] = {}
    for row in rows:
        keys.setdefault(row["object"], set()).add(row["sync_key"])
    return keys


def test_a_cycle_compares_only_the_pairs_something_touched(warehouse: Warehouse) -> None:
    wh = warehouse
    seed(wh)
    cycle(wh, None, *INITIAL)
    cycle(wh)  # compares the records the initial sync created, and settles them
    plan(wh)
    assert compared(wh) == {}
    pairs = wh.query(
        "select count(*) as n, count(*) filter (where is_clean) as clean "
        "from crmsync_plan.int_record_pairs"
    )[0]
    assert pairs["n"] == pairs["clean"] == 5

    # an edit on one side: that pair only
    wh.upsert("raw_salesforce.account", {"id": "001A", "phone": "2"})
    plan(wh)
    assert compared(wh) == {"accounts": {"sf:001A"}}

    # a new label for an opportunity status: every opportunity, nothing else
    with wh.connect() as con:
        con.execute(
            "update raw_forcemanager.opportunitystatuses set descriptionen = 'Qualification' "
            "where id = 11"
        )
    plan(wh)
    assert compared(wh) == {"accounts": {"sf:001A"}, "opportunities": {"sf:006A"}}

    # a write that fails keeps no fingerprint: the pair is compared again until it lands
    fm_acme = wh.query("select id from raw_forcemanager.accounts where extid = '001A'")[0]["id"]
    cycle(wh, {("accounts", str(fm_acme))})
    [link] = wh.query(
        "select salesforce_hash, forcemanager_hash from crmsync_state.sync_links "
        "where sync_key = 'sf:001A'"
    )
    assert link == {"salesforce_hash": None, "forcemanager_hash": None}
    plan(wh)
    assert compared(wh) == {"accounts": {"sf:001A"}}
    [retry] = published(wh, "forcemanager", "accounts")
    assert retry["fields"] == {"phone": "2"}


def base_rows(wh: Warehouse) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored base per pair: its fields' base values and the runs that wrote them."""
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for row in wh.query("select * from crmsync_state.sync_base order by field"):
        pair = pairs.setdefault((row["object"], row["sync_key"]), {"fields": {}, "runs": set()})
        pair["fields"][row["field"]] = (row["base_salesforce"], row["base_forcemanager"])
        pair["runs"].add(row["updated_by_run"])
    return pairs


def link_rows(wh: Warehouse) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored links per pair, with the run that wrote each."""
    return {
        (row["object"], row["sync_key"]): row
        for row in wh.query("select * from crmsync_state.sync_links")
    }


def test_a_report_rewrites_the_state_of_the_compared_pairs_only(warehouse: Warehouse) -> None:
    """A quiet report writes no base or link row; an edit rewrites its pair's rows; a delete
    that lands removes its pair's rows; the other pairs keep theirs as they were."""
    wh = warehouse
    seed(wh)
    cycle(wh, None, *INITIAL)
    cycle(wh)
    settled, settled_links = base_rows(wh), link_rows(wh)
    assert len(settled) == 5
    assert settled_links.keys() == settled.keys()
    assert all(None not in pair["fields"] for pair in settled.values())

    cycle(wh)
    assert base_rows(wh) == settled
    assert link_rows(wh) == settled_links

    wh.upsert("raw_salesforce.account", {"id": "001A", "phone": "2"})
    cycle(wh)
    after_edit, links_after_edit = base_rows(wh), link_rows(wh)
    edited = ("accounts", "sf:001A")
    assert after_edit[edited]["fields"]["phone"] == ("2", "2")
    assert after_edit[edited]["runs"].isdisjoint(settled[edited]["runs"])
    assert {k: v for k, v in after_edit.items() if k != edited} == {
        k: v for k, v in settled.items() if k != edited
    }
    edited_link = links_after_edit[edited]
    assert edited_link["salesforce_hash"] != settled_links[edited]["salesforce_hash"]
    assert edited_link["updated_by_run"] != settled_links[edited]["updated_by_run"]
    assert {k: v for k, v in links_after_edit.items() if k != edited} == {
        k: v for k, v in settled_links.items() if k != edited
    }

    cycle(wh)  # compares the pair its write changed, and settles it
    settled, settled_links = base_rows(wh), link_rows(wh)
    deleted = ("contacts", "sf:003A")
    wh.upsert("raw_salesforce.contact", {"id": "003A", "isdeleted": True})
    cycle(wh)
    after_delete = base_rows(wh)
    assert deleted not in after_delete
    assert after_delete == {k: v for k, v in settled.items() if k != deleted}
    links_after_delete = link_rows(wh)
    assert {k: v for k, v in links_after_delete.items() if k != deleted} == {
        k: v for k, v in settled_links.items() if k != deleted
    }
    assert wh.query("select count(*) as n from crmsync_state.sync_base where field is null") == [
        {"n": 0}
    ]

    # an initial sync replaces ForceManager's records: every link is new, and the deleted
    # record's link, which no longer pairs, goes
    cycle(wh, None, *INITIAL)
    relinked = link_rows(wh)
    assert relinked.keys() == links_after_delete.keys() - {deleted}
    assert all(
        link["forcemanager_id"] != links_after_delete[key]["forcemanager_id"]
        for key, link in relinked.items()
    )


@pytest.mark.slow
def test_forcemanager_record_reaches_salesforce_and_links_survive_a_rebuild(
    warehouse: Warehouse,
) -> None:
    wh = warehouse
    wh.upsert(
        "raw_forcemanager.accounts",
        {"id": 50, "name": "FM only", "salesrepid1__id": 2, "deleted": False},
    )
    wh.upsert(
        "raw_salesforce.account",
        {"id": "001A", "name": "Acme", "ownerid": ADMIN, "isdeleted": False},
    )
    wh.replace(
        "crmsync_settings.options",
        [
            {
                "auto_match_users": True,
                "default_forcemanager_owner": 1,
                "default_salesforce_owner": ADMIN,
            }
        ],
    )
    cycle(wh)
    [fm_only] = published(wh, "salesforce", "accounts")
    assert fm_only["fields"] == {
        "Name": "FM only",
        "OwnerId": "005000000000002AAA",
        "ForceManager_Id__c": "50",
    }
    [acme] = published(wh, "forcemanager", "accounts")
    assert acme["fields"]["salesRepId1"] == 1  # Integration User: no match, default owner
    cycle(wh)
    assert all_published(wh) == 0
    # lose the state: the links come back from extId and ForceManager_Id__c
    with wh.connect() as con:
        con.execute("drop schema crmsync_state cascade")
    plan(wh)
    assert all_published(wh) == 0


def test_manual_mapping_to_a_missing_user_fails_the_plan(warehouse: Warehouse) -> None:
    wh = warehouse
    wh.insert(
        "crmsync_settings.user_mapping",
        [{"salesforce_user_id": "005000000000099AAA", "forcemanager_user_id": 2}],
    )
    result = wh.dbt_run(*PLAN)
    assert result.returncode != 0
    assert "user_mapping.manual: Salesforce user 005000000000099AAA does not exist" in result.output
    assert "user_mapping.manual" in result.output.split("Error in test")[-1]


def test_publish_contract_stops_a_plan_that_would_write_a_malformed_row(
    warehouse: Warehouse,
) -> None:
    wh = warehouse
    seed(wh)
    plan(wh)
    # what a faulty model would produce: an update without the record to update
    wh.query(
        "update publish.pub_forcemanager__accounts set action = 'update', forcemanager_id = null"
    )
    result = wh.dbt_run("test", "--select", "pub_forcemanager__accounts")
    assert result.returncode != 0
    assert "Failure in test publish_contracts" in result.output


def test_fields_newly_mapped_on_synced_pairs_keep_either_sides_value(
    warehouse: Warehouse,
) -> None:
    """An upgrade that maps more fields (here `fax`, the coordinates and the birthday) meets
    pairs synced before, with no base for those fields: a value one side holds fills the other
    rather than Salesforce's empty field wiping ForceManager's, equal values write nothing, and
    the cycle after is quiet."""
    wh = warehouse
    seed(wh)
    for table, column, type_ in [
        ("raw_salesforce.account", "fax", "varchar"),
        ("raw_salesforce.account", "billinglatitude", "double"),
        ("raw_salesforce.contact", "birthdate", "date"),
        ("raw_forcemanager.accounts", "fax", "varchar"),
        ("raw_forcemanager.accounts", "latitude", "double"),
        ("raw_forcemanager.contacts", "birthday", "varchar"),
    ]:
        wh.add_column(table, column, type_)
    cycle(wh, None, *INITIAL)
    cycle(wh)
    assert all_published(wh) == 0

    # the tenant before the upgrade: no base for the new fields, each side filled on its own
    new_fields = "('fax', 'latitude', 'birthdate')"
    with wh.connect() as con:
        con.execute(f"delete from crmsync_state.sync_base where field in {new_fields}")
        con.execute("update crmsync_state.sync_links set salesforce_hash = null")
    fm_ids = {
        row["extid"]: row["id"]
        for row in wh.query("select id, extid from raw_forcemanager.accounts where not deleted")
    }
    fm_contact = wh.query("select id from raw_forcemanager.contacts where extid = '003A'")[0]
    wh.upsert("raw_forcemanager.accounts", {"id": fm_ids["001A"], "fax": "+34 911 000 001"})
    wh.upsert("raw_salesforce.account", {"id": "001B", "fax": "+1 555 0100"})
    wh.upsert("raw_salesforce.account", {"id": "001A", "billinglatitude": 41.3874})
    wh.upsert("raw_forcemanager.accounts", {"id": fm_ids["001A"], "latitude": 41.3874})
    wh.upsert("raw_salesforce.contact", {"id": "003A", "birthdate": "1980-05-03"})
    wh.upsert(
        "raw_forcemanager.contacts", {"id": fm_contact["id"], "birthday": "1980-05-03T00:00:00Z"}
    )

    cycle(wh)
    assert [(r["salesforce_id"], r["fields"]) for r in published(wh, "salesforce", "accounts")] == [
        ("001A", {"Fax": "+34 911 000 001"})
    ]
    to_fm = published(wh, "forcemanager", "accounts")
    assert [(r["salesforce_id"], r["fields"]) for r in to_fm] == [("001B", {"fax": "+1 555 0100"})]
    assert all_published(wh) == 2
    assert wh.row("raw_forcemanager.accounts", fm_ids["001A"])["fax"] == "+34 911 000 001"

    cycle(wh)  # compares the pairs its writes changed, and settles them
    cycle(wh)
    assert all_published(wh) == 0


def test_the_report_builds_the_api_calls_of_each_run_step_and_side(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """The calls the steps recorded land under the run id of the plan their cycle built; a
    cycle stopped before its plan keeps its own id; the integrity tests hold."""
    wh = warehouse
    seed(wh)
    log_dir = tmp_path / "sync_log"
    stopped = begin_cycle(log_dir)
    CallRecorder("crmsync:preflight", log_dir, ledger=recorded(salesforce=3)).close()
    killed_after_plan = begin_cycle(log_dir)
    target = CallRecorder("target-forcemanager", log_dir, ledger=recorded(forcemanager=4))
    target.run_id = "the-killed-cycles-plan"  # as its sync-log lines told it
    target.close()
    cycle_of_run = begin_cycle(log_dir)  # the cycle that plans and collects
    CallRecorder(
        "crmsync:preflight", log_dir, ledger=recorded(salesforce=8, forcemanager=6)
    ).close()
    CallRecorder("tap-salesforce", log_dir, ledger=recorded(salesforce=7)).close()
    CallRecorder("tap-salesforce", log_dir, ledger=recorded(salesforce=2)).close()  # run twice
    run_id = plan(wh, *INITIAL)
    apply_plan(wh, run_id)
    with wh.connect() as connection:
        collect_calls(connection, log_dir)
    result = wh.dbt_run(*REPORT)
    assert result.returncode == 0, result.output[-4000:]

    rows = wh.query(
        "select run_id, step, side, auth, reads, writes, retried, calls "
        "from main.sync_api_calls order by run_id = ?, run_id, step, side",
        [run_id],
    )
    assert [tuple(r.values()) for r in rows] == [
        (stopped["cycle_id"], "crmsync:preflight", "salesforce", 1, 2, 0, 0, 3),
        ("the-killed-cycles-plan", "target-forcemanager", "forcemanager", 1, 3, 0, 0, 4),
        (run_id, "crmsync:preflight", "forcemanager", 1, 5, 0, 0, 6),
        (run_id, "crmsync:preflight", "salesforce", 1, 7, 0, 0, 8),
        (run_id, "tap-salesforce", "salesforce", 2, 7, 0, 0, 9),
    ]
    assert {cycle_of_run["cycle_id"], killed_after_plan["cycle_id"]}.isdisjoint(
        {r["run_id"] for r in rows}
    )
    check = wh.dbt_run(*CHECK, "--select", "sync_api_calls")
    assert check.returncode == 0, check.output[-4000:]
    assert "PASS=" in check.output


def recorded(**calls: int) -> CallLedger:
    """A ledger whose sides sent one login and `n - 1` reads each."""
    ledger = CallLedger()
    for side, count in calls.items():
        counter = ledger.side(side)
        counter.sent("POST", "login", auth=True)
        for _ in range(count - 1):
            counter.sent("GET", "records")
    return ledger


@pytest.mark.slow
def test_a_user_pairs_direction_limits_where_its_changes_flow(warehouse: Warehouse) -> None:
    """`field_mapping` pairs set one way carry a change from their source side only: a change
    on the other side is left there, and the cycle after is quiet."""
    wh = warehouse
    seed(wh)
    for table, column in [
        ("raw_salesforce.account", "vat_number__c"),
        ("raw_salesforce.account", "partner_phone__c"),
        ("raw_forcemanager.accounts", "vatnumber"),
        ("raw_forcemanager.accounts", "phone3"),
    ]:
        wh.add_column(table, column, "varchar")
    wh.insert(
        "raw_salesforce.fields",
        [
            {"object": "Account", "name": name, "type": type_, "custom": True}
            for name, type_ in (("VAT_Number__c", "string"), ("Partner_Phone__c", "phone"))
        ],
    )
    pairs = (
        FieldPair("accounts", "vatNumber", "VAT_Number__c", "sf_to_fm", "field_mapping[0]"),
        FieldPair("accounts", "phone3", "Partner_Phone__c", "fm_to_sf", "field_mapping[1]"),
    )
    with wh.connect() as con:
        store_field_pairs(con, resolve_field_pairs(con, pairs, ["accounts"]))
    cycle(wh, None, *INITIAL)
    cycle(wh)
    assert all_published(wh) == 0

    fm_ids = {
        row["extid"]: row["id"]
        for row in wh.query("select id, extid from raw_forcemanager.accounts where not deleted")
    }
    # each pair changed on both of its sides, on different accounts
    wh.upsert("raw_salesforce.account", {"id": "001A", "vat_number__c": "ESA1"})
    wh.upsert("raw_forcemanager.accounts", {"id": fm_ids["001B"], "vatnumber": "ESB2"})
    wh.upsert("raw_forcemanager.accounts", {"id": fm_ids["001A"], "phone3": "+34 600 000 003"})
    wh.upsert("raw_salesforce.account", {"id": "001B", "partner_phone__c": "+1 555 0199"})

    cycle(wh)
    to_fm = published(wh, "forcemanager", "accounts")
    assert [(r["salesforce_id"], r["fields"]) for r in to_fm] == [("001A", {"vatNumber": "ESA1"})]
    to_sf = published(wh, "salesforce", "accounts")
    assert [(r["salesforce_id"], r["fields"]) for r in to_sf] == [
        ("001A", {"Partner_Phone__c": "+34 600 000 003"})
    ]
    # the changes against each pair's direction stay where they were made
    assert wh.row("raw_salesforce.account", "001B")["vat_number__c"] is None
    assert wh.row("raw_forcemanager.accounts", fm_ids["001B"])["phone3"] is None

    cycle(wh)  # compares the pairs its writes changed, and settles them
    cycle(wh)
    assert all_published(wh) == 0
