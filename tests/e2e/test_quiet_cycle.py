"""The quiet cycle: nothing new skips dbt and the writes; any pending work runs the full cycle."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crmsync.local import JobRun, LocalSync

from .crm import fm_by_ext_id, fm_live, sf_live, write_calls

#: The taps read from where the last read started: a quiet cycle is reached without waiting.
NO_LOOKBACK = {"TAP_SALESFORCE_LOOKBACK_SECONDS": "0", "TAP_FORCEMANAGER_LOOKBACK_SECONDS": "0"}
SETTINGS = {
    "objects": {"accounts": "two-way", "contacts": "two-way", "opportunities": "one-way"},
    "user_mapping": {"auto": True},
}
QUIET_LINE = "quiet cycle: nothing extracted on either side"
#: dbt's first line when it starts (the launcher skips it before importing dbt).
DBT_STARTED = "Running with dbt="
MAX_CYCLES_TO_QUIET = 4
#: A latitude out of range: Salesforce takes it, ForceManager refuses it (a rejection the plan
#: cannot foresee: ForceManager's /schema limits only text lengths and required fields).
OUT_OF_RANGE = {"BillingLatitude": 95}


def _cycle(sync: LocalSync, **env: str) -> JobRun:
    sync.reset_calls()
    return sync.run("sync-incremental", **NO_LOOKBACK, **env)


def _is_quiet(run: JobRun) -> bool:
    return QUIET_LINE in run.output


def _assert_full(run: JobRun, why: str) -> None:
    assert not _is_quiet(run), f"{why}: the cycle was quiet\n{run.output[-3000:]}"
    assert "full cycle:" in run.output, run.output[-3000:]
    assert DBT_STARTED in run.output, f"{why}: dbt did not run"


def _until_quiet(sync: LocalSync) -> JobRun:
    for _ in range(MAX_CYCLES_TO_QUIET):
        run = _cycle(sync)
        if _is_quiet(run):
            return run
    pytest.fail(f"no quiet cycle after {MAX_CYCLES_TO_QUIET} unchanged cycles:\n{run.output}")


@pytest.mark.slow
def test_quiet_cycle_skips_dbt_and_writes_and_pending_work_still_runs(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync(SETTINGS)
    sync.initial_sync()

    # (i) unchanged CRMs: the cycle is quiet, dbt never starts, nothing is written
    quiet = _until_quiet(sync)
    assert DBT_STARTED not in quiet.output, quiet.output[-3000:]
    assert "dbt build --select tag:plan skipped" in quiet.output, quiet.output[-3000:]
    assert "tap-warehouse skipped" in quiet.output
    assert write_calls(sync, "salesforce") == {}
    assert write_calls(sync, "forcemanager") == {}
    quiet_runs = sync.query("select count(*) from main.sync_quiet_runs")[0][0]
    assert quiet_runs >= 1
    stats_runs = sync.query("select count(distinct run_id) from main.sync_stats")[0][0]
    assert _is_quiet(_cycle(sync)), "a second unchanged cycle is quiet too"
    # the quiet run has its statistics rows, all zero
    assert sync.query("select count(distinct run_id) from main.sync_stats")[0][0] == stats_runs + 1
    latest = sync.query(
        "select created + updated + deleted + failed + conflicts from main.sync_stats "
        "where run_id = (select run_id from main.sync_quiet_runs order by run_at desc limit 1)"
    )
    assert latest
    assert all(total == 0 for (total,) in latest)
    assert sync.query("select count(*) from main.sync_quiet_runs")[0][0] == quiet_runs + 1

    # (ii) a due check: the last full cycle is older than CRMSYNC_FULL_CYCLE_MINUTES
    _assert_full(_cycle(sync, CRMSYNC_FULL_CYCLE_MINUTES="0"), "a due check")
    assert write_calls(sync, "salesforce") == {}
    assert write_calls(sync, "forcemanager") == {}
    # the quiet runs' own API calls (the access check, the extraction) are theirs, on both sides
    quiet_sides = sync.query(
        "select distinct side from main.sync_api_calls "
        "where run_id in (select run_id from main.sync_quiet_runs) and calls > 0"
    )
    assert sorted(side for (side,) in quiet_sides) == ["forcemanager", "salesforce"]

    # an edit in ForceManager (the due check's cycle settled again: nothing changed)
    fm_account = next(a for a in fm_live(sync, "accounts") if a.get("extId"))
    sync.forcemanager.update("accounts", fm_account["id"], {"phone": "555 0101"})
    _assert_full(_cycle(sync), "an edit in ForceManager")
    phone = sf_live(sync, f"SELECT Phone FROM Account WHERE Id = '{fm_account['extId']}'")
    assert phone[0]["Phone"] == "555 0101"

    # a delete in Salesforce, and an edit ForceManager rejects
    _until_quiet(sync)
    [contact] = sf_live(sync, "SELECT Id FROM Contact ORDER BY Id LIMIT 1")
    sf = sync.salesforce
    sf.request("DELETE", f"sobjects/Contact/{contact['Id']}")
    bad = fm_account["extId"]
    sf.request("PATCH", f"sobjects/Account/{bad}", json=OUT_OF_RANGE)
    _assert_full(_cycle(sync), "a delete and an edit in Salesforce")
    assert contact["Id"] not in fm_by_ext_id(sync, "contacts")
    errors = "select count(*) from main.sync_log where salesforce_id = ? and status = 'error'"
    failed = sync.query(errors, [bad])[0][0]
    assert failed >= 1

    # a pending retry: the rejected record is tried again though nothing else changed (the
    # first cycle after the writes also reads them back; the second reads nothing new)
    for _ in range(2):
        _assert_full(_cycle(sync), "a pending retry")
        assert sync.query(errors, [bad])[0][0] > failed
        failed = sync.query(errors, [bad])[0][0]
