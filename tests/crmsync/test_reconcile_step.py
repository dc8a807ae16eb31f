"""`crmsync reconcile`: the records a full read did not return are marked deleted in the raw
tables, and the records' state before the plan is kept for sync_reconcile."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from crmsync import reconcile

SETTINGS = """
objects:
  accounts: two-way
  contacts: two-way
"""
STAGED = datetime(2026, 1, 1, 10, 0)  # the newest load the last plan staged
BEFORE = datetime(2026, 1, 1, 9, 0)
READ = datetime(2026, 1, 2, 3, 0)  # the full read's loads


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "sync.yml").write_text(SETTINGS)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "sync.yml"))
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CRMSYNC_WAREHOUSE", str(path))
    with duckdb.connect(str(path)) as connection:
        for schema in ("crmsync_plan", "raw_salesforce", "raw_forcemanager"):
            connection.execute(f"create schema {schema}")
        columns = (
            "object varchar, raw_table varchar, salesforce_id varchar, forcemanager_id bigint, "
            "is_deleted boolean, modified_at timestamp, row_hash ubigint, "
            "hash_signature varchar, batched_at timestamp"
        )
        for side in ("salesforce", "forcemanager"):
            connection.execute(f"create table crmsync_plan.int_{side}__records ({columns})")
        connection.executemany(
            "insert into crmsync_plan.int_salesforce__records values "
            "(?, ?, ?, null, ?, null, 1, 's', ?)",
            [
                ("accounts", "account", "001A", False, STAGED),
                ("accounts", "account", "001B", False, BEFORE),  # purged
                ("accounts", "account", "001C", True, BEFORE),  # deleted before: not gone again
                ("contacts", "contact", "003A", False, BEFORE),  # table not read this run
                ("opportunities", "opportunity", "006A", False, BEFORE),  # object off
            ],
        )
        connection.executemany(
            "insert into crmsync_plan.int_forcemanager__records values "
            "(?, ?, null, ?, false, null, 1, 's', ?)",
            [("accounts", "accounts", 1, STAGED), ("accounts", "accounts", 2, BEFORE)],
        )
        for table in ("account", "contact", "opportunity"):
            connection.execute(
                f'create table raw_salesforce."{table}" '
                "(id varchar, isdeleted boolean, _sdc_batched_at timestamp)"
            )
        connection.executemany(
            "insert into raw_salesforce.account values (?, ?, ?)",
            [("001A", False, READ), ("001B", False, BEFORE), ("001C", True, BEFORE)],
        )
        connection.execute("insert into raw_salesforce.contact values ('003A', false, ?)", [BEFORE])
        connection.execute(
            "insert into raw_salesforce.opportunity values ('006A', false, ?)", [BEFORE]
        )
        connection.execute(
            "create table raw_forcemanager.accounts "
            "(id bigint, deleted boolean, _sdc_batched_at timestamp)"
        )
        connection.executemany(
            "insert into raw_forcemanager.accounts values (?, false, ?)", [(1, READ), (2, BEFORE)]
        )
    return path


def test_records_the_full_read_did_not_return_are_marked_deleted(warehouse: Path) -> None:
    assert reconcile.reconcile() == 2

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        gone = connection.execute(
            "select side, object, salesforce_id, forcemanager_id "
            "from crmsync_reconcile.gone order by side"
        ).fetchall()
        salesforce = connection.execute(
            "select id, isdeleted, _sdc_batched_at from raw_salesforce.account order by id"
        ).fetchall()
        untouched = connection.execute(
            "select isdeleted from raw_salesforce.contact union all "
            "select isdeleted from raw_salesforce.opportunity"
        ).fetchall()
        forcemanager = connection.execute(
            "select id, deleted, _sdc_batched_at from raw_forcemanager.accounts order by id"
        ).fetchall()
        kept = connection.execute("select count(*) from crmsync_reconcile.records_before")
        kept_count = kept.fetchall()[0][0]
    assert gone == [
        ("forcemanager", "accounts", None, 2),
        ("salesforce", "accounts", "001B", None),
    ]
    # marked with the read's load time, so that the plan stages them again
    assert salesforce == [("001A", False, READ), ("001B", True, READ), ("001C", True, BEFORE)]
    assert forcemanager == [(1, False, READ), (2, True, READ)]
    assert untouched == [(False,), (False,)]
    assert kept_count == 7


def test_a_second_run_finds_nothing_more(warehouse: Path) -> None:
    reconcile.reconcile()
    with duckdb.connect(str(warehouse)) as connection:
        # the plan staged the marked rows: its newest load is now the read's
        for side in ("salesforce", "forcemanager"):
            connection.execute(
                f"update crmsync_plan.int_{side}__records set batched_at = ?, is_deleted = true "
                "where salesforce_id = '001B' or forcemanager_id = 2",
                [READ],
            )
    assert reconcile.reconcile() == 0


def test_before_any_plan_nothing_is_marked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sync.yml").write_text(SETTINGS)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "sync.yml"))
    monkeypatch.setenv("CRMSYNC_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    assert reconcile.reconcile() == 0
