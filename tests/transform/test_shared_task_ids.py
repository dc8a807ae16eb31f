"""Activities and tasks share Salesforce's Task and its unique ForceManager_Id__c, while
ForceManager numbers them apart: a ForceManager id both hold is one Task's plain key only.

A create carrying a taken id would upsert onto the other object's Task (and fail on its
TaskSubtype, which Salesforce does not update): the record is created with its key qualified by
its object (`task:7`), still an upsert key, so a re-run after a crash between the create and
the link's write-back updates the Task the first run created instead of creating another."""

from __future__ import annotations

from apply import apply_plan
from conftest import ADMIN
from test_sync_cycles import all_published, cycle, plan, published
from warehouse import Warehouse


def test_a_forcemanager_id_another_object_holds_in_task_is_not_created_again(
    warehouse: Warehouse,
) -> None:
    wh = warehouse
    wh.set_modes(
        accounts="two-way",
        contacts="two-way",
        opportunities="one-way",
        activities="two-way",
        tasks="two-way",
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
    run_id = plan(wh)

    created_tasks = sorted(
        r["fields"]["ForceManager_Id__c"] for r in published(wh, "salesforce", "tasks")
    )
    assert created_tasks == ["9", "task:7", "task:8"]
    created_calls = [
        r["fields"]["ForceManager_Id__c"] for r in published(wh, "salesforce", "activities")
    ]
    assert created_calls == ["8"]
    assert not wh.query("select * from main.sync_plan where action = 'skip'")

    # Salesforce takes the creates, then the run dies before the outcomes are logged and
    # reported: the next plan finds the Tasks by their keys and creates none again
    apply_plan(wh, run_id)
    with wh.connect() as con:
        con.execute("delete from crmsync_log.sync_log_lines where source_file = ?", [run_id])
    plan(wh)
    assert not [
        r for r in wh.query("select * from main.sync_plan where action = 'create'")
        if r["object"] in {"activities", "tasks"} and r["direction"] == "fm_to_sf"
    ]  # fmt: skip
    tasks = wh.query(
        "select forcemanager_id__c as key, tasksubtype from raw_salesforce.task "
        "order by forcemanager_id__c"
    )
    assert [(t["key"], t["tasksubtype"]) for t in tasks] == [
        ("7", "Call"), ("8", "Call"), ("9", "Task"), ("task:7", "Task"), ("task:8", "Task")
    ]  # fmt: skip
    links = wh.query(
        "select forcemanager_id, salesforce_id from crmsync_plan.int_links where object = 'tasks' "
        "order by forcemanager_id"
    )
    keys = {t["id"]: t["forcemanager_id__c"] for t in wh.query("select * from raw_salesforce.task")}
    assert [(link["forcemanager_id"], keys[link["salesforce_id"]]) for link in links] == [
        (7, "task:7"), (8, "task:8"), (9, "9")
    ]  # fmt: skip

    # once the links are written back, the cycles are quiet
    cycle(wh)
    cycle(wh)
    assert all_published(wh) == 0
