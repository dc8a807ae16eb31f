"""int_*__records are incremental: after any change, they hold what a full rebuild would.

Each test changes the raw tables the way a cycle's loads do, runs the plan (which stages only
the raw rows loaded since the last one), and compares both records tables row for row with a
`--full-refresh` build of a copy of the same warehouse.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from conftest import ADMIN
from test_sync_cycles import cycle, plan, seed
from warehouse import Warehouse

pytestmark = pytest.mark.slow

RECORDS = ("int_salesforce__records", "int_forcemanager__records")


def records(wh: Warehouse, model: str) -> list[dict[str, Any]]:
    """The rows of a records table, in a stable order."""
    key = "salesforce_id" if model == "int_salesforce__records" else "forcemanager_id"
    rows = wh.query(f"select * from crmsync_plan.{model}")
    return sorted(rows, key=lambda row: (row["object"], str(row[key])))


def assert_as_rebuilt(wh: Warehouse) -> None:
    """The records tables equal a full rebuild of them on a copy of the warehouse."""
    copy = Warehouse(wh.path.with_name("rebuilt.duckdb"), wh.dbt, wh.target_dir.with_name("rb"))
    shutil.copy(wh.path, copy.path)
    result = copy.dbt_run("build", "--select", *RECORDS, "--full-refresh")
    assert result.returncode == 0, result.output[-4000:]
    for model in RECORDS:
        assert records(wh, model) == records(copy, model), model
    copy.path.unlink()


def test_a_plan_stages_only_the_rows_loaded_since_the_last_one(warehouse: Warehouse) -> None:
    wh = warehouse
    seed(wh)
    cycle(wh)
    before = {
        r["salesforce_id"]: r
        for r in wh.query("select * from crmsync_plan.int_salesforce__records")
    }
    wh.upsert("raw_salesforce.account", {"id": "001A", "phone": "2"})
    plan(wh)
    after = {
        r["salesforce_id"]: r
        for r in wh.query("select * from crmsync_plan.int_salesforce__records")
    }
    assert after["001A"]["row_hash"] != before["001A"]["row_hash"]
    assert after["001A"]["batched_at"] > before["001A"]["batched_at"]
    # a record not loaded again keeps its row as staged by the earlier plan
    unchanged = [k for k in before if k != "001A"]
    assert unchanged
    assert all(after[k] == before[k] for k in unchanged)
    assert_as_rebuilt(wh)
    # proof that the rest is not staged again: an edit no load stamped is not seen
    with wh.connect() as con:
        con.execute("update raw_salesforce.account set name = 'Unseen' where id = '001B'")
    plan(wh)
    [beta] = wh.query(
        "select row_hash from crmsync_plan.int_salesforce__records where salesforce_id = '001B'"
    )
    assert beta["row_hash"] == after["001B"]["row_hash"]


def test_a_task_moving_between_activities_and_tasks_leaves_one_row(warehouse: Warehouse) -> None:
    wh = warehouse
    seed(wh)
    wh.upsert(
        "raw_salesforce.task",
        {"id": "00TA", "subject": "Call", "tasksubtype": "Call", "ownerid": ADMIN,
         "isdeleted": False},
    )  # fmt: skip
    plan(wh)
    wh.upsert("raw_salesforce.task", {"id": "00TA", "tasksubtype": "Task"})
    plan(wh)
    rows = wh.query(
        "select object, raw_table from crmsync_plan.int_salesforce__records "
        "where salesforce_id = '00TA'"
    )
    assert rows == [{"object": "tasks", "raw_table": "task"}]
    assert_as_rebuilt(wh)


def test_a_new_custom_column_restages_its_raw_table(warehouse: Warehouse) -> None:
    wh = warehouse
    seed(wh)
    plan(wh)
    hashes = {
        r["salesforce_id"]: r["row_hash"]
        for r in wh.query("select * from crmsync_plan.int_salesforce__records")
    }
    # the loader adds the column; no account is loaded again
    wh.add_column("raw_salesforce.account", "region__c", "varchar")
    plan(wh)
    rows = wh.query(
        "select object, salesforce_id, row_hash from crmsync_plan.int_salesforce__records"
    )
    accounts = [r for r in rows if r["object"] == "accounts"]
    assert accounts
    # the hash now covers the new column: every account was staged again
    assert all(r["row_hash"] != hashes[r["salesforce_id"]] for r in accounts)
    assert all(r["row_hash"] == hashes[r["salesforce_id"]] for r in rows if r not in accounts)
    assert_as_rebuilt(wh)


def test_a_table_from_before_signatures_is_rebuilt(warehouse: Warehouse) -> None:
    wh = warehouse
    seed(wh)
    plan(wh)
    with wh.connect() as con:
        for model in RECORDS:
            for column in ("hash_signature", "batched_at", "raw_table"):
                con.execute(f"alter table crmsync_plan.{model} drop column {column}")
            # a stale row a full rebuild would not hold
            con.execute(
                f"insert into crmsync_plan.{model} by name "
                "select 'accounts' as object, '001Z' as salesforce_id, 99 as forcemanager_id, "
                "false as is_deleted"
            )
    plan(wh)
    assert_as_rebuilt(wh)
    assert not wh.query(
        "select * from crmsync_plan.int_salesforce__records where salesforce_id = '001Z'"
    )


def test_records_of_an_object_switched_off_are_kept_but_not_paired(warehouse: Warehouse) -> None:
    wh = warehouse
    seed(wh)
    plan(wh)
    contacts = wh.query(
        "select count(*) as n from crmsync_plan.int_record_pairs where object = 'contacts'"
    )[0]["n"]
    assert contacts
    with wh.connect() as con:
        con.execute("update crmsync_settings.objects set mode = 'off' where object = 'contacts'")
    plan(wh)
    assert not wh.query("select * from crmsync_plan.int_record_pairs where object = 'contacts'")
    assert wh.query("select * from crmsync_plan.int_salesforce__records where object = 'contacts'")
    with wh.connect() as con:
        con.execute(
            "update crmsync_settings.objects set mode = 'two-way' where object = 'contacts'"
        )
    plan(wh)
    assert (
        wh.query(
            "select count(*) as n from crmsync_plan.int_record_pairs where object = 'contacts'"
        )[0]["n"]
        == contacts
    )
    assert_as_rebuilt(wh)
