"""The run report every cycle writes beside the warehouse, opened in a real (headless) browser."""

from __future__ import annotations

import html
import re
import shutil
import stat
from collections.abc import Callable

from crmsync.local import LocalSync
from crmsync.report_html import COUNT_KINDS, report_path

from .browser import ARTIFACTS, chromium, dump_dom, screenshot, section, shown
from .crm import fm_by_ext_id, sf_live

#: A latitude out of range: Salesforce takes it, ForceManager refuses it (a rejection the plan
#: cannot foresee: ForceManager's /schema limits only text lengths and required fields).
OUT_OF_RANGE = {"BillingLatitude": 95}


def test_the_cycle_report_shows_the_warehouse_figures_in_a_browser(
    local_sync: Callable[..., LocalSync],
) -> None:
    chromium()  # skip before the syncs when there is no browser
    sync = local_sync()
    sync.initial_sync()
    page = report_path(sync.warehouse)
    assert page.exists(), "the initial sync wrote no report"
    assert "Latest run" in page.read_text()

    sf, fm = sync.salesforce, sync.forcemanager
    rejected, conflicted = sf_live(sync, "SELECT Id, Name FROM Account ORDER BY Name LIMIT 2")
    sf.request("PATCH", f"sobjects/Account/{rejected['Id']}", json=OUT_OF_RANGE)
    fm_id = fm_by_ext_id(sync, "accounts")[conflicted["Id"]]["id"]
    sf.request(
        "PATCH", f"sobjects/Account/{conflicted['Id']}", json={"Name": "Salesforce <b>wins</b>"}
    )
    fm.update("accounts", fm_id, {"name": "ForceManager & co"})

    sync.reset_calls()
    sync.incremental_sync()
    served = {side: sync.calls(side) for side in SIDES}

    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    dom = dump_dom(page)
    shot = screenshot(page, ARTIFACTS / "run-report.png")
    shutil.copyfile(page, ARTIFACTS / "run-report.html")
    print(f"run report screenshot: {shot}")

    # the statistics: every run so far (two, fewer than the page's 20), and the latest one
    sums = sync.query(f"select {', '.join(f'sum({k})' for k in COUNT_KINDS)} from main.sync_stats")
    assert {kind: shown(dom, "total", kind) for kind in COUNT_KINDS} == dict(
        zip(COUNT_KINDS, sums[0], strict=True)
    )
    latest = sync.query(
        f"select {', '.join(f'sum({k})' for k in COUNT_KINDS)} from main.sync_stats "
        "where run_id = (select run_id from main.sync_stats order by run_started_at desc limit 1)"
    )
    shown_latest = {kind: shown(dom, "latest", kind) for kind in COUNT_KINDS}
    assert shown_latest == dict(zip(COUNT_KINDS, latest[0], strict=True))
    assert shown_latest["failed"] == 1
    assert shown_latest["conflicts"] == 1
    runs = sync.query("select count(distinct run_id) from main.sync_stats")[0][0]
    assert len(re.findall(r'<td class="run">#\d+</td>', section(dom, "changes"))) == runs == 2

    # the recent log: every line, and the rejected record's error as the API gave it
    log = section(dom, "log")
    lines = sync.query("select count(*) from main.sync_log_recent")[0][0]
    assert re.search(rf'id="log-count">{lines}<', log)
    assert len(re.findall(r'<tr class="(success|error)">', log)) == lines
    [(error_message, sf_id)] = sync.query(
        "select error_message, salesforce_id from main.sync_log_recent where status = 'error'"
    )
    assert sf_id == rejected["Id"]
    error_row = next(row for row in log.split("<tr ") if row.startswith('class="error"'))
    assert rejected["Id"] in error_row
    assert html.escape(error_message, quote=False) in error_row

    # the conflict: base, both sides' values and the winner; the CRM's markup stays text
    conflicts = section(dom, "conflicts")
    assert re.search(r'id="conflict-count">1<', conflicts)
    assert conflicted["Name"] in conflicts
    assert "Salesforce &lt;b&gt;wins&lt;/b&gt;" in conflicts
    assert "ForceManager &amp; co" in conflicts
    assert "<b>" not in dom
    assert ">Salesforce</span>" in conflicts

    # the latest plan's skips, unmapped owners and the breaker's figures
    skips = sync.query("select count(*) from main.sync_plan where action = 'skip'")[0][0]
    assert re.search(rf'id="skip-count">{skips}<', dom)
    unmapped = sync.query("select count(*) from main.unmapped_users")[0][0]
    assert re.search(rf'id="unmapped-count">{unmapped}<', dom)
    guard = sync.query("select count(*) from main.sync_guard")[0][0]
    assert section(dom, "breaker").count("</tr>") == guard + 1  # and the header
    # no reconcile ran (tests/e2e/test_reconcile.py checks the section after one)
    assert 'id="reconcile-none"' in section(dom, "reconcile")

    # the API calls the cycle's steps recorded are every call the sandboxes served it
    [(latest_run,)] = sync.query(
        "select run_id from main.sync_stats order by run_started_at desc limit 1"
    )
    recorded = {
        side: dict(zip(("auth", "writes", "calls"), counts, strict=True))
        for side, *counts in sync.query(
            "select side, sum(auth), sum(writes), sum(calls) from main.sync_api_calls "
            "where run_id = ? group by side",
            [latest_run],
        )
    }
    assert recorded == {side: _served_kinds(served[side]) for side in SIDES}
    steps = {
        step
        for (step,) in sync.query(
            "select distinct step from main.sync_api_calls where run_id = ?", [latest_run]
        )
    }
    assert {"crmsync:preflight", "tap-salesforce", "tap-forcemanager"} <= steps
    # and the page shows them, per run and side, as the warehouse holds them
    calls_table = section(dom, "api-calls")
    for side in SIDES:
        [(auth, reads, writes, retried, calls)] = sync.query(
            "select sum(auth), sum(reads), sum(writes), sum(retried), sum(calls) "
            "from main.sync_api_calls where run_id = ? and side = ?",
            [latest_run, side],
        )
        row = re.search(
            rf'<tr data-run="{latest_run}" data-side="{side}">(.*?)</tr>', calls_table, re.DOTALL
        )
        assert row, f"the page shows no API calls of the latest run to {side}"
        assert [int(n) for n in re.findall(r'data-calls="\w+">(\d+)<', row.group(1))] == [
            auth,
            reads,
            writes,
            retried,
            calls,
        ]


SIDES = ("salesforce", "forcemanager")
#: Logins (docs/contracts.md section 2): not reads, not writes.
AUTH_ROUTES = ("/services/oauth2/token", "/services/Soap/", "/login")


def _served_kinds(served: dict) -> dict[str, int]:
    """A sandbox's `/__sandbox/calls` as logins, writes and all calls (contracts.md section 2)."""
    auth = writes = 0
    for route, count in served["by_route"].items():
        method, path = route.split(" ", 1)
        if any(marker in path for marker in AUTH_ROUTES):
            auth += count
        elif method in {"POST", "PUT", "PATCH", "DELETE"} and "/jobs/query" not in path:
            writes += count
    return {"auth": auth, "writes": writes, "calls": served["total"]}
