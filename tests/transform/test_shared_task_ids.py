"""Activities and tasks share Salesforce's Task and its unique ForceManager_Id__c, while
ForceManager numbers them apart: a ForceManager id both hold can be created in Salesforce once.

A create carrying a taken id would upsert onto the other object's Task (and fail on its
TaskSubtype, which Salesforce does not update): the plan skips it instead of retrying it every
cycle."""

from __future__ import annotations

from conftest import ADMIN
from test_sync_cycles import plan, published
from warehouse import Warehouse


def test_a_forcemanager_id_another_object_holds_in_task_is_not_created_again(
    warehouse: Warehouse,
) -> None:
    wh = warehouse
    wh.replace(
        "crmsync_settings.objects",
        [
            {"object": "accounts", "mode": "two-way"},
            {"object": "contacts", "mode": "two-way"},
            {"object": "opportunities", "mode": "one-way"},
            {"object": "activities", "mode": "two-way"},
            {"object": "events", "mode": "off"},
            {"object": "tasks", "mode": "two-way"},
        ],
    )
    # a logged call already linked to ForceManager activity 7
    wh.upsert(
        "raw_salesforce.task",
        {"id": "00TCALL", "subject": "Call", "tasksubtype": "Call", "ownerid": ADMIN,
         "forcemanager_id__c": "7", "activitydate": "2025-03-01", "isdeleted": False},
    )  # fmt: skip
    wh.upsert(
        "raw_forcemanager.activities",
        {"id": 7, "extid": "00TCALL", "date": "2025-03-01", "salesrepid__id": 1,
         "deleted": False},
    )  # fmt: skip
    # ForceManager activity 8 is new too: it takes id 8 in Task before task 8 can
    wh.upsert(
        "raw_forcemanager.activities",
        {"id": 8, "date": "2025-03-02", "salesrepid__id": 1, "deleted": False},
    )
    for task_id in (7, 8, 9):
        wh.upsert(
            "raw_forcemanager.tasks",
            {"id": task_id, "subject": f"Task {task_id}", "task": True, "completed": False,
             "startdate": "2025-03-03", "salesrepid__id": 1, "deleted": False},
        )  # fmt: skip
    plan(wh)

    created_tasks = [
        r["fields"]["ForceManager_Id__c"] for r in published(wh, "salesforce", "tasks")
    ]
    assert created_tasks == ["9"]
    created_calls = [
        r["fields"]["ForceManager_Id__c"] for r in published(wh, "salesforce", "activities")
    ]
    assert created_calls == ["8"]
    skipped = wh.query(
        "select forcemanager_id, direction, skip_reason from main.sync_plan "
        "where object = 'tasks' and action = 'skip' order by forcemanager_id"
    )
    assert [(r["forcemanager_id"], r["direction"]) for r in skipped] == [
        (7, "fm_to_sf"),
        (8, "fm_to_sf"),
    ]
    assert all("another object" in r["skip_reason"] for r in skipped)
