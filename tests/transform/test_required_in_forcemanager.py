"""Salesforce records ForceManager cannot hold are skipped with their reason, not sent: its API
refuses an activity without a date ("The field 'date' is required"), as it refuses a contact
without an account, and a create it refuses would be retried every cycle."""

from __future__ import annotations

from conftest import ADMIN
from test_sync_cycles import plan, published
from warehouse import Warehouse


def test_a_logged_call_without_a_date_is_skipped_not_created_in_forcemanager(
    warehouse: Warehouse,
) -> None:
    wh = warehouse
    wh.set_modes(accounts="two-way", activities="two-way")
    wh.upsert(
        "raw_salesforce.account",
        {"id": "001A", "name": "Acme", "ownerid": ADMIN, "isdeleted": False},
    )
    for call_id, day in (("00TDATED", "2025-03-01"), ("00TUNDATED", None)):
        wh.upsert(
            "raw_salesforce.task",
            {"id": call_id, "subject": "Call", "tasksubtype": "Call", "status": "Completed",
             "whatid": "001A", "accountid": "001A", "ownerid": ADMIN, "activitydate": day,
             "isdeleted": False},
        )  # fmt: skip
    plan(wh)

    created = published(wh, "forcemanager", "activities")
    assert [(r["salesforce_id"], r["action"]) for r in created] == [("00TDATED", "create")]
    assert created[0]["fields"]["date"]
    skipped = wh.query(
        "select object, salesforce_id, direction, skip_reason from main.sync_plan "
        "where action = 'skip'"
    )
    assert skipped == [
        {
            "object": "activities",
            "salesforce_id": "00TUNDATED",
            "direction": "sf_to_fm",
            "skip_reason": "ForceManager requires a date on every activity",
        }
    ]
