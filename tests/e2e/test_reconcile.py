"""sync-reconcile: full reads find what no incremental cursor sees (values changed without a
stamp move, records purged past the recycle bin) and heal it through the normal plan."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from crmsync.local import LocalSync
from crmsync.report_html import RECONCILE_FINDINGS, RECONCILE_KINDS, report_path

from .browser import ARTIFACTS, dump_dom, installed, section, section_screenshot, shown
from .crm import fm_by_ext_id, fm_live, ref_id, sf_live, write_calls

#: The cursors' overlap window would read the records edited here again (the whole test runs
#: within it), seeing a silent change by accident: no overlap, as for records settled long ago.
NO_LOOKBACK = {"TAP_SALESFORCE_LOOKBACK_SECONDS": "0", "TAP_FORCEMANAGER_LOOKBACK_SECONDS": "0"}
FINDINGS = "select object, side, kind, salesforce_id, forcemanager_id from main.sync_reconcile"


def test_reconcile_finds_and_heals_what_no_cursor_saw(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync()
    sync.initial_sync()
    sync.run("sync-incremental", **NO_LOOKBACK)  # settled
    assert "No reconcile has run yet" in report_path(sync.warehouse).read_text()
    fm_accounts = fm_by_ext_id(sync, "accounts")
    fm_contacts = fm_by_ext_id(sync, "contacts")
    account = sf_live(sync, "SELECT Id FROM Account ORDER BY Name LIMIT 1")[0]["Id"]
    contacts = [
        c["Id"]
        for c in sf_live(sync, "SELECT Id FROM Contact ORDER BY LastName")
        if c["Id"] in fm_contacts
    ]
    fm_edited, purged_contact, both_edited = contacts[0], contacts[1], contacts[2]
    events = [e for e in fm_live(sync, "calendar") if not e.get("task") and e.get("extId")]
    account_less = [e for e in events if not ref_id(e.get("accountId"))]
    purged_event = (account_less or events)[0]

    sync.silent_update("salesforce", "Account", account, {"Phone": "+34 600 111 222"})
    fm_contact_id = fm_contacts[fm_edited]["id"]
    sync.silent_update("forcemanager", "contacts", fm_contact_id, {"email": "quiet@example.com"})
    sync.purge("salesforce", "Contact", purged_contact)
    both_fm_id = fm_contacts[both_edited]["id"]
    # the same field changed on both sides, differently: neither matches the base
    sync.silent_update("salesforce", "Contact", both_edited, {"Description": "Imported: A"})
    sync.silent_update("forcemanager", "contacts", both_fm_id, {"comment": "Imported: B"})
    sync.purge("forcemanager", "calendar", purged_event["id"])

    # no cursor sees any of it
    sync.reset_calls()
    sync.run("sync-incremental", **NO_LOOKBACK)
    assert write_calls(sync, "forcemanager") == {}
    assert write_calls(sync, "salesforce") == {}

    sync.run("sync-reconcile")

    [(run_id,)] = sync.query("select distinct run_id from main.sync_reconcile")
    found = set(sync.query(FINDINGS))
    fm_account_id = fm_accounts[account]["id"]
    assert ("accounts", "salesforce", "missed change", account, fm_account_id) in found
    assert ("contacts", "forcemanager", "missed change", fm_edited, fm_contact_id) in found
    purged_contact_fm = fm_contacts[purged_contact]["id"]
    assert ("contacts", "salesforce", "hard delete", purged_contact, purged_contact_fm) in found
    event_row = ("events", "forcemanager", "hard delete", purged_event["extId"], purged_event["id"])
    assert event_row in found
    drift = {row for row in found if row[2] == "drift"}
    assert drift == {
        ("contacts", side, "drift", both_edited, both_fm_id)
        for side in ("salesforce", "forcemanager")
    }
    assert not [row for row in found if row[2] == "missing partner"], found

    # the run report the job wrote shows what the warehouse holds, in a browser
    page = report_path(sync.warehouse)
    dom = dump_dom(page) if installed() else page.read_text()
    if installed():
        shot = section_screenshot(page, "reconcile", ARTIFACTS / "reconcile-report.png")
        print(f"reconcile report screenshot: {shot}")
    _page_shows_the_findings(sync, dom, run_id)

    # healed through the plan, as the same change seen by a cursor
    assert fm_by_ext_id(sync, "accounts")[account]["phone"] == "+34 600 111 222"
    [sf_contact] = sf_live(sync, f"SELECT Email FROM Contact WHERE Id = '{fm_edited}'")
    assert sf_contact["Email"] == "quiet@example.com"
    # a conflict: Salesforce's value wins
    assert fm_by_ext_id(sync, "contacts")[both_edited]["comment"] == "Imported: A"
    assert purged_contact not in fm_by_ext_id(sync, "contacts")
    assert not sf_live(sync, f"SELECT Id FROM Event WHERE Id = '{purged_event['extId']}'")
    counted = dict(
        sync.query(
            "select object || ' ' || direction, updated + deleted from main.sync_stats "
            "where run_id = ?",
            [run_id],
        )
    )
    assert counted["accounts sf_to_fm"] >= 1
    assert counted["contacts fm_to_sf"] >= 1
    assert counted["contacts sf_to_fm"] >= 1
    assert counted["events fm_to_sf"] >= 1

    # nothing left to find: no write, no row
    rows = sync.query("select count(*) from main.sync_reconcile")
    sync.reset_calls()
    sync.run("sync-reconcile")
    assert write_calls(sync, "forcemanager") == {}
    assert write_calls(sync, "salesforce") == {}
    assert sync.query("select count(*) from main.sync_reconcile") == rows
    # the page still shows the run that found something
    _page_shows_the_findings(sync, report_path(sync.warehouse).read_text(), run_id)

    # the full reads kept their own state: the incremental bookmarks go on where they were
    with sqlite3.connect(sync.directory / "meltano.db") as meltano_db:
        state_ids = {row[0] for row in meltano_db.execute("select state_id from state")}
    assert {
        "sandbox:tap-salesforce-to-target-warehouse-salesforce",
        "sandbox:tap-salesforce-initial-to-target-warehouse-salesforce",
        "sandbox:tap-forcemanager-to-target-warehouse-forcemanager",
        "sandbox:tap-forcemanager-initial-to-target-warehouse-forcemanager",
    } <= state_ids
    sync.reset_calls()
    sync.run("sync-incremental", **NO_LOOKBACK)
    assert write_calls(sync, "forcemanager") == {}
    assert write_calls(sync, "salesforce") == {}


def _page_shows_the_findings(sync: LocalSync, dom: str, run_id: str) -> None:
    """The page's reconciliation counts are `main.sync_reconcile`'s for `run_id`, the latest
    run that found something."""
    found = section(dom, "reconcile")
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for obj, side, kind, n in sync.query(
        "select object, side, kind, count(*) from main.sync_reconcile where run_id = ? "
        "group by all",
        [run_id],
    ):
        counts.setdefault((obj, side), dict.fromkeys(RECONCILE_KINDS, 0))[kind] = n
    total = sum(sum(by_kind.values()) for by_kind in counts.values())
    assert re.search(rf'id="reconcile-count">{total}<', found)
    assert {kind: shown(found, "reconcile-latest", kind) for kind in RECONCILE_KINDS} == {
        kind: sum(by_kind[kind] for by_kind in counts.values()) for kind in RECONCILE_KINDS
    }
    rows = {
        (obj, side): {
            kind: int(n) for kind, n in re.findall(r'data-reconcile="([\w ]+)">(\d+)<', row)
        }
        for obj, side, row in re.findall(
            rf'<tr data-run="{run_id}" data-object="(\w+)" data-side="(\w+)">(.*?)</tr>',
            found,
            re.DOTALL,
        )
    }
    assert rows == counts
    listed = found.split('<table id="reconcile-findings">', 1)[1].split("</table>", 1)[0]
    assert listed.count("<tr>") == 1 + min(total, RECONCILE_FINDINGS)  # and the header
    for _, _, _, salesforce_id, _ in sync.query(FINDINGS + " where run_id = ?", [run_id]):
        assert salesforce_id is None or salesforce_id in listed
