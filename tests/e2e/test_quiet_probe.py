"""The quiet-cycle probe: a quiet 15-minute cycle through the cron wrapper starts no Meltano.

`orchestrate/run-job.sh` runs `crmsync probe` first; only a cycle with something to do (an
edit on either CRM, a pending retry, a due full cycle) starts `meltano run sync-incremental`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crmsync.local import JobRun, LocalSync
from crmsync.probe import QUIET_MESSAGE

from .crm import fm_live, sf_live, write_calls
from .test_quiet_cycle import DBT_STARTED, NO_LOOKBACK, OUT_OF_RANGE, SETTINGS, _until_quiet

#: Meltano's closing line of every `meltano run` block.
MELTANO_RAN = "Block run completed"


def _scheduled(sync: LocalSync, **env: str) -> JobRun:
    sync.reset_calls()
    run = sync.run_scheduled("sync-incremental", **NO_LOOKBACK, **env)
    assert run.returncode == 0, run.output[-3000:]
    return run


def _assert_probe_quiet(run: JobRun) -> None:
    assert QUIET_MESSAGE in run.output, run.output[-3000:]
    assert MELTANO_RAN not in run.output, "a quiet probe starts no meltano run"
    assert DBT_STARTED not in run.output


def _assert_full(run: JobRun, why: str) -> None:
    assert QUIET_MESSAGE not in run.output, f"{why}: the probe found the cycle quiet"
    assert MELTANO_RAN in run.output, f"{why}: meltano did not run\n{run.output[-3000:]}"
    assert DBT_STARTED in run.output, f"{why}: dbt did not run\n{run.output[-3000:]}"


def _quiet_runs(sync: LocalSync) -> int:
    return sync.query("select count(*) from main.sync_quiet_runs")[0][0]


@pytest.mark.slow
def test_a_quiet_probe_starts_no_meltano_and_pending_work_runs_the_job(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync(SETTINGS)
    sync.initial_sync()
    _until_quiet(sync)  # a settled cycle (the Meltano path): the probe may now find it quiet

    # (i) unchanged CRMs: no meltano run, no write, the run recorded with zero statistics
    before = _quiet_runs(sync)
    raw_before = sync.query("select count(*) from raw_salesforce.account")
    quiet = _scheduled(sync)
    _assert_probe_quiet(quiet)
    assert write_calls(sync, "salesforce") == {}
    assert write_calls(sync, "forcemanager") == {}
    assert _quiet_runs(sync) == before + 1
    totals = sync.query(
        "select count(*), sum(created + updated + deleted + failed + conflicts) "
        "from main.sync_stats "
        "where run_id = (select run_id from main.sync_quiet_runs order by run_at desc limit 1)"
    )
    assert totals[0][0] > 0
    assert totals[0][1] == 0
    assert sync.query("select count(*) from raw_salesforce.account") == raw_before
    # the probe's own reads are counted under the quiet run (the report models them next cycle)
    probe_calls = sync.query(
        "select sum(calls) from crmsync_log.api_call_counts where step = 'crmsync:probe' and "
        "cycle_id in (select cycle_id from crmsync_log.cycle_runs where run_id = "
        "(select run_id from main.sync_quiet_runs order by run_at desc limit 1))"
    )
    assert (probe_calls[0][0] or 0) > 0

    # (ii) a due full cycle (the taps' metadata and value-list checks) runs the job
    _assert_full(_scheduled(sync, CRMSYNC_FULL_CYCLE_MINUTES="0"), "a due full cycle")
    _assert_probe_quiet(_scheduled(sync))

    # (iii) an edit in ForceManager runs the job, and reaches Salesforce
    fm_account = next(a for a in fm_live(sync, "accounts") if a.get("extId"))
    sync.forcemanager.update("accounts", fm_account["id"], {"phone": "555 0199"})
    _assert_full(_scheduled(sync), "an edit in ForceManager")
    phone = sf_live(sync, f"SELECT Phone FROM Account WHERE Id = '{fm_account['extId']}'")
    assert phone[0]["Phone"] == "555 0199"

    # (iv) an edit in Salesforce that ForceManager rejects: the job runs, and keeps running
    # (a pending retry) while the record is rejected, though nothing else changes
    bad = fm_account["extId"]
    sync.salesforce.request("PATCH", f"sobjects/Account/{bad}", json=OUT_OF_RANGE)
    errors = "select count(*) from main.sync_log where salesforce_id = ? and status = 'error'"
    failed = 0
    for attempt in range(2):
        _assert_full(_scheduled(sync), f"a pending retry (cycle {attempt + 1})")
        assert sync.query(errors, [bad])[0][0] > failed
        failed = sync.query(errors, [bad])[0][0]
