"""`make demo`: the whole story on local sandboxes, from a fresh machine.

Starts both sandbox servers with demo data, shows that the initial sync refuses to run without
its confirmation, runs it, edits records on both sides (including one record edited on both),
runs an incremental cycle and prints the statistics and the recent sync log.
"""

from __future__ import annotations

import shutil
import sys
from typing import Any

from crmsync_common.atrest import owner_only_umask

from crmsync import report
from crmsync.local import PROJECT_ROOT, LocalSync
from crmsync.report_html import report_path

DEMO_DIR = PROJECT_ROOT / "output" / "demo"

SETTINGS: dict[str, Any] = {
    "objects": {
        "accounts": "two-way",
        "contacts": "two-way",
        "opportunities": "one-way",
        "activities": "two-way",
        "events": "two-way",
        "tasks": "two-way",
    },
    "user_mapping": {"auto": True},
}


def say(text: str) -> None:
    """Print one step of the story."""
    print(f"\n== {text}", flush=True)


def main() -> int:
    """Run the demo; exit 0 when every step worked."""
    owner_only_umask()  # the demo's warehouse, sync log and sandbox data: owner-only
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    sync = LocalSync(DEMO_DIR, SETTINGS, seed=1, size="small")
    with sync:
        say("Sandboxes are up")
        print(f"Salesforce:   {sync.sandbox.env['SALESFORCE_LOGIN_URL']}")
        print(f"ForceManager: {sync.sandbox.env['FORCEMANAGER_BASE_URL']}")
        _map_farid(sync)
        _show_samples(sync)

        say("The initial sync refuses to run without CRMSYNC_CONFIRM_INITIAL_WIPE=true")
        refused = sync.run("sync-initial", check=False)
        print(next(line for line in refused.output.splitlines() if "CRMSYNC_CONFIRM" in line))

        say("Initial sync (confirmed): ForceManager now holds Salesforce's records")
        print(f"took {sync.initial_sync().seconds:.1f} s")
        print(report.render(runs=1, log_lines=5, warehouse_file=sync.warehouse))

        say("Edits on both sides")
        _edit_both_sides(sync)

        say("Incremental sync")
        print(f"took {sync.incremental_sync().seconds:.1f} s")
        print(report.render(runs=1, log_lines=20, warehouse_file=sync.warehouse))
    say(f"Done. The warehouse is {sync.warehouse}; query main.sync_stats and main.sync_log.")
    print(f"The run report (open it in a browser): {report_path(sync.warehouse)}")
    return 0


def _map_farid(sync: LocalSync) -> None:
    """Farid is "Farid Haddad" in Salesforce and "Farid Al-Haddad" in ForceManager: map by hand."""
    sf_id = next(sync.salesforce.query("SELECT Id FROM User WHERE LastName = 'Haddad'"))["Id"]
    fm_users = sync.forcemanager.get_json("/users", params={"where": "lastName = 'Al-Haddad'"})
    SETTINGS["user_mapping"]["manual"] = {sf_id: fm_users[0]["id"]}
    sync.write_settings(SETTINGS)
    print(f"user_mapping.manual: {sf_id} -> {fm_users[0]['id']} (Farid)")


def _show_samples(sync: LocalSync) -> None:
    accounts = list(sync.salesforce.query("SELECT Id, Name, BillingCity FROM Account LIMIT 3"))
    print("Salesforce accounts:", ", ".join(f"{a['Name']} ({a['BillingCity']})" for a in accounts))
    fm_accounts = sync.forcemanager.get_json("/accounts", headers={"Count": "3"})
    print("ForceManager accounts:", ", ".join(a["name"] for a in fm_accounts))


def _edit_both_sides(sync: LocalSync) -> None:
    sf, fm = sync.salesforce, sync.forcemanager
    accounts = list(sf.query("SELECT Id, Name FROM Account ORDER BY Name LIMIT 3"))
    both, sf_only, fm_only = accounts
    linked = {
        a["extId"]: a["id"]
        for a in fm.get_json("/accounts", headers={"Count": "1000"})
        if a.get("extId") and not a.get("deleted")
    }
    sf.request("PATCH", f"sobjects/Account/{sf_only['Id']}", json={"Phone": "+34 600 000 001"})
    print(f"Salesforce: phone of {sf_only['Name']} changed")
    fm.update("accounts", linked[fm_only["Id"]], {"city": "Valencia"})
    print(f"ForceManager: city of {fm_only['Name']} changed")
    sf.request("PATCH", f"sobjects/Account/{both['Id']}", json={"Name": f"{both['Name']} (SF)"})
    fm.update("accounts", linked[both["Id"]], {"name": f"{both['Name']} (FM)", "city": "Bilbao"})
    print(f"Both: {both['Name']} renamed on each side (Salesforce wins), city changed in FM")
    created = sf.request(
        "POST", "sobjects/Account", json={"Name": "Nueva Cuenta SL", "BillingCity": "Sevilla"}
    ).json()
    print(f"Salesforce: account Nueva Cuenta SL created ({created['id']})")
    new_id = fm.create("accounts", {"name": "Cliente Nuevo SA", "branchId": 1, "city": "Murcia"})
    print(f"ForceManager: account Cliente Nuevo SA created ({new_id})")


if __name__ == "__main__":
    sys.exit(main())
