"""The mass-change breaker: a cycle whose plan would wipe out or rewrite a large share of an
object's records stops before writing, until the change is undone or allowed for one run."""

from __future__ import annotations

from collections.abc import Callable

from crmsync.local import LocalSync

from .conftest import ALL_TWO_WAY
from .crm import fm_by_ext_id, fm_live, sf_live, write_calls

#: The demo data has 25 records per object: lower the minimum counts so that the shares bite.
LOW_MINIMUMS = {**ALL_TWO_WAY, "safety": {"min_delete_count": 5, "min_update_count": 5}}


def _planned_contact_deletes(sync: LocalSync) -> int:
    return sync.query(
        "select count(*) from main.sync_plan "
        "where object = 'contacts' and direction = 'sf_to_fm' and action = 'delete'"
    )[0][0]


def test_mass_delete_stops_every_cycle_until_allowed(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync(LOW_MINIMUMS)
    sync.initial_sync()
    contacts = sf_live(sync, "SELECT Id FROM Contact WHERE AccountId != null ORDER BY Id")
    doomed = [c["Id"] for c in contacts[: len(contacts) // 2]]
    assert len(doomed) > 5
    for contact_id in doomed:
        sync.salesforce.request("DELETE", f"sobjects/Contact/{contact_id}")
    fm_before = fm_by_ext_id(sync, "contacts")
    expected = (
        f"contacts in ForceManager: {len(doomed)} deletes planned, "
        f"of {len(fm_live(sync, 'contacts'))} records there before the cycle"
    )

    dry_run = sync.run("sync-plan")
    assert "next sync cycle will stop" in dry_run.output
    assert expected in dry_run.output

    for _ in range(2):  # the taps' bookmarks move on, the sync state does not: it trips again
        sync.reset_calls()
        run = sync.run("sync-incremental", check=False)
        assert run.returncode != 0
        assert expected in run.output, run.output[-3000:]
        assert "CRMSYNC_ALLOW_MASS_CHANGE=true" in run.output
        assert "safety:" in run.output
        assert "Traceback" not in run.output
        assert write_calls(sync, "forcemanager") == {}
        assert write_calls(sync, "salesforce") == {}
        assert _planned_contact_deletes(sync) == len(doomed)
    assert set(fm_by_ext_id(sync, "contacts")) == set(fm_before)

    allowed = sync.run("sync-incremental", CRMSYNC_ALLOW_MASS_CHANGE="true")
    assert "mass change allowed" in allowed.output
    assert set(fm_by_ext_id(sync, "contacts")) == set(fm_before) - set(doomed)
    deleted = sync.query(
        "select deleted from main.sync_stats where object = 'contacts' "
        "and direction = 'sf_to_fm' order by run_started_at desc limit 1"
    )
    assert deleted == [(len(doomed),)]

    sync.reset_calls()
    sync.incremental_sync()  # the override held for one run; nothing is left to trip on
    assert write_calls(sync, "forcemanager") == {}


def test_small_change_goes_through_with_default_limits(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync()
    sync.initial_sync()
    sf = sync.salesforce
    contacts = sf_live(sync, "SELECT Id FROM Contact WHERE AccountId != null ORDER BY Id")
    accounts = sf_live(sync, "SELECT Id FROM Account ORDER BY Id LIMIT 3")
    sf.request("DELETE", f"sobjects/Contact/{contacts[0]['Id']}")
    for account in accounts:
        sf.request("PATCH", f"sobjects/Account/{account['Id']}", json={"Phone": "+34 91 000 11"})

    run = sync.incremental_sync()

    assert "within the limits" in run.output
    fm_accounts = fm_by_ext_id(sync, "accounts")
    assert all(fm_accounts[a["Id"]]["phone"] == "+34 91 000 11" for a in accounts)
    assert contacts[0]["Id"] not in fm_by_ext_id(sync, "contacts")
