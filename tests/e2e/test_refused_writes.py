"""Writes ForceManager is certain to refuse are planned as skips, not sent and retried."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crmsync.local import LocalSync

from .crm import fm_by_ext_id, sf_live, write_calls

SETTINGS = {
    "objects": {
        "accounts": "two-way",
        "contacts": "two-way",
        "opportunities": "off",
        "activities": "two-way",
        "events": "two-way",
        "tasks": "off",
    },
    "user_mapping": {"auto": True},
}
#: The taps read from where the last read started: a quiet cycle is reached without waiting.
NO_LOOKBACK = {"TAP_SALESFORCE_LOOKBACK_SECONDS": "0", "TAP_FORCEMANAGER_LOOKBACK_SECONDS": "0"}
QUIET_LINE = "quiet cycle: nothing extracted on either side"
#: ForceManager's comment takes 6,000 characters (its /schema maxLength); Salesforce 32,000.
LONG = "d" * 6500
MAX_CYCLES_TO_QUIET = 3


def _created_id(response: Any) -> str:
    return str(response.json()["id"])


@pytest.mark.slow
def test_values_forcemanager_refuses_are_skipped_with_a_reason_and_not_retried(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync(SETTINGS)
    sync.initial_sync()
    sf = sync.salesforce
    [account, other] = sf_live(sync, "SELECT Id FROM Account ORDER BY Name LIMIT 2")
    [linked_call] = sf_live(
        sync,
        "SELECT Id FROM Task WHERE TaskSubtype = 'Call' AND ActivityDate != null "
        "AND WhatId != null ORDER BY Id LIMIT 1",
    )
    fm_call_before = fm_by_ext_id(sync, "activities")[linked_call["Id"]]

    event_id = _created_id(
        sf.request(
            "POST",
            "sobjects/Event",
            json={
                "Subject": "Long notes",
                "StartDateTime": "2026-03-02T09:00:00.000+0000",
                "EndDateTime": "2026-03-02T10:00:00.000+0000",
                "Description": LONG,
                "WhatId": account["Id"],
            },
        )
    )
    call_id = _created_id(
        sf.request(
            "POST",
            "sobjects/Task",
            json={
                "Subject": "Call without a date",
                "TaskSubtype": "Call",
                "Status": "Completed",
                "Description": "No date",
                "WhatId": account["Id"],
            },
        )
    )
    # a linked call loses its date (ForceManager requires one) and gets new notes
    sf.request(
        "PATCH",
        f"sobjects/Task/{linked_call['Id']}",
        json={"ActivityDate": None, "Description": "New notes"},
    )
    sf.request("PATCH", f"sobjects/Account/{other['Id']}", json={"Phone": "+34 91 555 0101"})

    sync.reset_calls()
    run = sync.run("sync-incremental", **NO_LOOKBACK)
    assert run.returncode == 0, run.output[-3000:]

    # the rest lands: the event without its description, the call's notes without the null
    # date, the account's phone
    event = fm_by_ext_id(sync, "calendar")[event_id]
    assert event["subject"] == "Long notes"
    assert not event.get("comment")
    activities = fm_by_ext_id(sync, "activities")
    assert call_id not in activities
    assert activities[linked_call["Id"]]["comment"] == "New notes"
    assert activities[linked_call["Id"]]["date"] == fm_call_before["date"]
    assert fm_by_ext_id(sync, "accounts")[other["Id"]]["phone"] == "+34 91 555 0101"

    skips = dict(
        sync.query(
            "select salesforce_id, skip_reason from main.sync_plan "
            "where action = 'skip' and direction = 'sf_to_fm'"
        )
    )
    assert (
        "Description is 6500 characters, longer than ForceManager's comment limit of 6000"
        in (skips[event_id])
    )
    assert "ForceManager requires date (ActivityDate is empty)" in skips[call_id]
    assert "not created" in skips[call_id]
    assert "ForceManager requires date (ActivityDate is empty)" in skips[linked_call["Id"]]
    errors = sync.query(
        "select object, salesforce_id, error_message from main.sync_log where status = 'error'"
    )
    assert errors == []

    # nothing is pending: no cycle writes again, and they turn quiet
    for cycle in range(MAX_CYCLES_TO_QUIET):
        sync.reset_calls()
        run = sync.run("sync-incremental", **NO_LOOKBACK)
        assert run.returncode == 0, run.output[-3000:]
        assert write_calls(sync, "forcemanager") == {}, f"cycle {cycle + 1} after the skips"
        assert write_calls(sync, "salesforce") == {}, f"cycle {cycle + 1} after the skips"
        if QUIET_LINE in run.output:
            break
    else:
        pytest.fail(f"no quiet cycle after the skips:\n{run.output[-3000:]}")

    # a shorter description is written when Salesforce changes it again
    sf.request("PATCH", f"sobjects/Event/{event_id}", json={"Description": "Short now"})
    run = sync.run("sync-incremental", **NO_LOOKBACK)
    assert run.returncode == 0, run.output[-3000:]
    assert fm_by_ext_id(sync, "calendar")[event_id]["comment"] == "Short now"
