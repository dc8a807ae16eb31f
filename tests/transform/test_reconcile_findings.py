"""sync_reconcile on a fixture warehouse: what the plan after a full read finds that no cursor
saw (the end-to-end test covers the kinds the sandboxes can produce; this one the rest)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from test_sync_cycles import INITIAL, cycle, plan, published, seed
from warehouse import Warehouse

from crmsync import reconcile
from crmsync.local import dbt_command

PLAN_RECONCILE = tuple(dbt_command("plan_reconcile"))
SETTINGS = """
objects:
  accounts: two-way
  contacts: two-way
  opportunities: one-way
  events: two-way
"""


def test_a_record_a_cursor_passed_gets_its_partner_as_missing_partner(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = warehouse
    (tmp_path / "sync.yml").write_text(SETTINGS)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "sync.yml"))
    monkeypatch.setenv("CRMSYNC_WAREHOUSE", str(wh.path))
    seed(wh)
    cycle(wh, None, *INITIAL)
    cycle(wh)

    # an import that kept an old stamp: the cursor had passed it, only a full read returns it
    imported = "001000000000099AAA"
    read_at = wh.tick().replace(tzinfo=None)
    with wh.connect() as con:
        # the full read loads every row again
        tables = con.execute(
            "select table_schema || '.\"' || table_name || '\"' from information_schema.columns "
            "where table_schema like 'raw_%' and column_name = '_sdc_batched_at'"
        ).fetchall()
        for (table,) in tables:
            con.execute(f"update {table} set _sdc_batched_at = ?", [read_at])
    wh.upsert(
        "raw_salesforce.account",
        {
            "id": imported,
            "name": "Imported Ltd",
            "ownerid": "005000000000001AAA",
            "isdeleted": False,
            "systemmodstamp": datetime(2025, 1, 1),
            "_sdc_batched_at": read_at,
        },
    )

    assert reconcile.reconcile() == 0
    run_id = plan(wh, *PLAN_RECONCILE)

    found = wh.query("select * from main.sync_reconcile")
    assert found == [
        {
            "run_id": run_id,
            "object": "accounts",
            "side": "salesforce",
            "kind": "missing partner",
            "salesforce_id": imported,
            "forcemanager_id": None,
        }
    ]
    [created] = [
        r for r in published(wh, "forcemanager", "accounts") if r["salesforce_id"] == imported
    ]
    assert created["action"] == "create"
