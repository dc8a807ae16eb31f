"""The HTML run report (`crmsync report`), rendered from a small fixture warehouse (no browser)."""

from __future__ import annotations

import os
import re
import stat
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pytest

from crmsync import cli, report_html

SETTINGS = """
objects:
  accounts: two-way
  contacts: two-way
"""
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
SVG = "{http://www.w3.org/2000/svg}"
RUN_1, RUN_2 = "11111111-aaaa-4aaa-8aaa-000000000001", "22222222-bbbb-4bbb-8bbb-000000000002"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "sync.yml").write_text(SETTINGS)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "sync.yml"))
    monkeypatch.setenv("CRMSYNC_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    return tmp_path


def fixture_warehouse(path: Path) -> None:
    """Two runs of two objects, a failed record, a conflict, a skip, an unmapped user and the
    breaker's figures, with values a hostile CRM user could have typed."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "create table main.sync_stats (run_id varchar, run_started_at timestamp, "
            "object varchar, direction varchar, created hugeint, updated hugeint, "
            "deleted hugeint, failed hugeint, conflicts hugeint)"
        )
        connection.executemany(
            "insert into main.sync_stats values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [RUN_1, datetime(2026, 1, 5, 9, 0), "accounts", "sf_to_fm", 25, 0, 3, 0, 0],
                [RUN_1, datetime(2026, 1, 5, 9, 0), "contacts", "sf_to_fm", 40, 0, 0, 0, 0],
                [RUN_1, datetime(2026, 1, 5, 9, 0), "contacts", "fm_to_sf", 0, 0, 0, 0, 0],
                [RUN_2, datetime(2026, 1, 5, 9, 15), "accounts", "sf_to_fm", 1, 4, 0, 1, 2],
                [RUN_2, datetime(2026, 1, 5, 9, 15), "contacts", "sf_to_fm", 0, 2, 1, 0, 0],
                [RUN_2, datetime(2026, 1, 5, 9, 15), "contacts", "fm_to_sf", 2, 1, 0, 0, 0],
            ],
        )
        connection.execute(
            "create table main.sync_log_recent (synced_at timestamp, run_id varchar, "
            "object varchar, action varchar, direction varchar, salesforce_id varchar, "
            "forcemanager_id varchar, status varchar, error_code varchar, error_message varchar)"
        )
        connection.executemany(
            "insert into main.sync_log_recent values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [datetime(2026, 1, 5, 9, 15, 3), RUN_2, "accounts", "update", "sf_to_fm",
                 "001000000000001AAA", "12", "error", "400", f"rejected: {HOSTILE}"],
                [datetime(2026, 1, 5, 9, 15, 2), RUN_2, "accounts", "update", "sf_to_fm",
                 "001000000000002AAA", "13", "success", None, None],
                [datetime(2026, 1, 5, 9, 15, 1), RUN_2, "contacts", "create", "fm_to_sf",
                 None, "40", "success", None, None],
            ],
        )  # fmt: skip
        connection.execute(
            "create table main.sync_conflicts (run_id varchar, object varchar, "
            "sync_key varchar, salesforce_id varchar, forcemanager_id bigint, field varchar, "
            "base_salesforce varchar, salesforce_value varchar, base_forcemanager varchar, "
            "forcemanager_value varchar, resolved_value varchar)"
        )
        connection.execute(
            "insert into main.sync_conflicts values (?, 'accounts', 'sf:001000000000003AAA', "
            "'001000000000003AAA', 14, 'name', 'Acme', ?, 'Acme', 'Acme & Co (FM)', ?)",
            [RUN_2, f"Acme {HOSTILE}", f"Acme {HOSTILE}"],
        )
        connection.execute(
            "create table main.sync_plan (run_id varchar, object varchar, direction varchar, "
            "action varchar, sync_key varchar, salesforce_id varchar, forcemanager_id bigint, "
            "api_fields varchar, conflicts hugeint, skip_reason varchar)"
        )
        connection.executemany(
            "insert into main.sync_plan values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [RUN_2, "contacts", "sf_to_fm", "skip", "sf:003000000000009AAA",
                 "003000000000009AAA", None, None, 0,
                 "ForceManager requires an account and a first name on every contact"],
                [RUN_2, "accounts", "sf_to_fm", "update", "sf:001000000000002AAA",
                 "001000000000002AAA", 13, "name", 0, None],
            ],
        )  # fmt: skip
        connection.execute(
            "create table main.unmapped_users (system varchar, user_id varchar, "
            "full_name varchar, records_owned bigint)"
        )
        connection.execute(
            "insert into main.unmapped_users values ('salesforce', '005000000000007AAA', ?, 20)",
            [f"Farid {HOSTILE}"],
        )
        connection.execute(
            "create table main.sync_guard (run_id varchar, sync_mode varchar, object varchar, "
            "object_order integer, side varchar, direction varchar, live_records bigint, "
            "planned_creates hugeint, planned_updates hugeint, planned_deletes hugeint)"
        )
        connection.executemany(
            "insert into main.sync_guard values (?, 'incremental', ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [RUN_2, "accounts", 1, "forcemanager", "sf_to_fm", 100, 1, 5, 0],
                [RUN_2, "contacts", 2, "salesforce", "fm_to_sf", 300, 0, 0, 60],
            ],
        )
        connection.execute(
            "create table main.sync_api_calls (run_id varchar, step varchar, side varchar, "
            "auth hugeint, reads hugeint, writes hugeint, retried hugeint, calls hugeint, "
            "step_started_at timestamp)"
        )
        connection.executemany(
            "insert into main.sync_api_calls values (?, ?, ?, ?, ?, ?, ?, ?, null)",
            [
                [RUN_1, "crmsync:preflight", "salesforce", 1, 7, 0, 0, 8],
                [RUN_1, "tap-salesforce", "salesforce", 1, 6, 0, 0, 7],
                [RUN_1, "target-forcemanager", "forcemanager", 1, 1, 65, 2, 67],
                [RUN_2, "tap-salesforce", "salesforce", 1, 6, 0, 1, 7],
                [RUN_2, "target-salesforce", "salesforce", 1, 0, 2, 0, 3],
                [RUN_2, "tap-forcemanager", "forcemanager", 2, 7, 0, 0, 9],
                ["a-dry-run-not-in-sync-stats", "tap-salesforce", "salesforce", 1, 6, 0, 0, 7],
            ],
        )


def shown(page: str, attribute: str, kind: str) -> int:
    """The number a cell marked `data-<attribute>="<kind>"` shows."""
    found = re.search(rf'data-{attribute}="{kind}"[^>]*>\s*(\d+)\s*<', page)
    assert found, f"no data-{attribute}={kind} on the page"
    return int(found.group(1))


def test_the_page_shows_the_warehouse_figures(workspace: Path) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")

    page = report_html.render()

    assert {kind: shown(page, "total", kind) for kind in report_html.COUNT_KINDS} == {
        "created": 68,
        "updated": 7,
        "deleted": 4,
        "failed": 1,
        "conflicts": 2,
    }
    assert {kind: shown(page, "latest", kind) for kind in report_html.COUNT_KINDS} == {
        "created": 3,
        "updated": 7,
        "deleted": 1,
        "failed": 1,
        "conflicts": 2,
    }
    assert re.search(r'id="log-count">3<', page)
    assert "Latest run" in page
    assert 'class="error"' in page  # the failed log line (and its run) stand out
    assert "ForceManager requires an account and a first name on every contact" in page
    assert "005000000000007AAA" in page
    # the breaker: 60 deletes of 300 contacts in Salesforce is over 10% and over 20 records
    assert "over the limit: deletes" in page
    assert "The plan exceeds the limits" in page
    assert page.count("<svg") == 5  # one chart per object and direction that changed, per side
    calls = re.search(r'<table id="api-calls-table">(.*?)</table>', page, re.DOTALL)
    assert calls
    shown_calls = {
        (run, side): [int(n) for n in re.findall(r'data-calls="\w+">(\d+)<', row)]
        for run, side, row in re.findall(
            r'<tr data-run="([^"]+)" data-side="(\w+)">(.*?)</tr>', calls.group(1), re.DOTALL
        )
    }
    # per run and side: auth, reads, writes, retried, calls (summed over the steps)
    assert shown_calls == {
        (RUN_1, "salesforce"): [2, 13, 0, 0, 15],
        (RUN_1, "forcemanager"): [1, 1, 65, 2, 67],
        (RUN_2, "salesforce"): [2, 6, 2, 1, 10],
        (RUN_2, "forcemanager"): [2, 7, 0, 0, 9],
    }


def reconcile_findings(path: Path, rows: list[list[object]]) -> None:
    """`main.sync_reconcile` as the sync-reconcile plan appends it, with `rows`."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "create table main.sync_reconcile (run_id varchar, object varchar, side varchar, "
            "kind varchar, salesforce_id varchar, forcemanager_id bigint)"
        )
        if rows:
            connection.executemany(
                "insert into main.sync_reconcile values (?, ?, ?, ?, ?, ?)", rows
            )


def reconcile_rows(page: str) -> dict[tuple[str, str, str], dict[str, int]]:
    """The page's reconcile counts per run, object and side, by kind."""
    table = re.search(r'<table id="reconcile-table">(.*?)</table>', page, re.DOTALL)
    assert table, "the page has no reconcile table"
    return {
        (run, obj, side): {
            kind: int(n) for kind, n in re.findall(r'data-reconcile="([\w ]+)">(\d+)<', row)
        }
        for run, obj, side, row in re.findall(
            r'<tr data-run="([^"]+)" data-object="(\w+)" data-side="(\w+)">(.*?)</tr>',
            table.group(1),
            re.DOTALL,
        )
    }


def test_the_page_shows_what_the_latest_reconciles_found(workspace: Path) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")
    reconcile_findings(
        workspace / "warehouse.duckdb",
        [
            [RUN_1, "accounts", "salesforce", "hard delete", "001000000000008AAA", 18],
            [RUN_2, "accounts", "salesforce", "missed change", "001000000000001AAA", 12],
            [RUN_2, "accounts", "salesforce", "missed change", "001000000000002AAA", 13],
            [RUN_2, "contacts", "forcemanager", "hard delete", "003000000000004AAA", 41],
            [RUN_2, "contacts", "salesforce", "drift", "003000000000005AAA", 42],
            [RUN_2, "contacts", "forcemanager", "drift", "003000000000005AAA", 42],
            [RUN_2, "contacts", "forcemanager", "missing partner", None, 43],
        ],
    )

    page = report_html.render()

    assert re.search(r'id="reconcile-count">6<', page)  # RUN_2, the latest
    assert {
        kind: shown(page, "reconcile-latest", kind) for kind in report_html.RECONCILE_KINDS
    } == {
        "missed change": 2,
        "hard delete": 1,
        "missing partner": 1,
        "drift": 2,
    }
    zero = dict.fromkeys(report_html.RECONCILE_KINDS, 0)
    assert reconcile_rows(page) == {
        (RUN_2, "accounts", "salesforce"): {**zero, "missed change": 2},
        (RUN_2, "contacts", "salesforce"): {**zero, "drift": 1},
        (RUN_2, "contacts", "forcemanager"): {
            **zero, "hard delete": 1, "missing partner": 1, "drift": 1,
        },
        (RUN_1, "accounts", "salesforce"): {**zero, "hard delete": 1},
    }  # fmt: skip
    findings = re.search(r'<table id="reconcile-findings">(.*?)</table>', page, re.DOTALL)
    assert findings
    assert findings.group(1).count("<tr>") == 1 + 6  # the header and the latest run's findings
    assert "003000000000004AAA" in findings.group(1)
    assert "001000000000008AAA" not in findings.group(1)  # an older run's
    assert 'id="reconcile-left-out"' not in page
    assert '<a href="#reconcile">' in page


def test_reconcile_findings_past_the_cap_are_counted_not_listed(workspace: Path) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")
    found = report_html.RECONCILE_FINDINGS + 30
    reconcile_findings(
        workspace / "warehouse.duckdb",
        [
            [RUN_2, "contacts", "salesforce", "hard delete", f"003{n:015d}", 100 + n]
            for n in range(found)
        ],
    )

    page = report_html.render()

    assert re.search(rf'id="reconcile-count">{found}<', page)
    findings = re.search(r'<table id="reconcile-findings">(.*?)</table>', page, re.DOTALL)
    assert findings
    assert findings.group(1).count("<tr>") == 1 + report_html.RECONCILE_FINDINGS
    assert re.search(r'id="reconcile-left-out">30<', page)


@pytest.mark.parametrize(
    ("table", "said"),
    [
        (False, "No reconcile has run yet"),
        (True, "No reconcile run has found anything yet"),
    ],
)
def test_before_a_reconcile_finds_anything_the_page_says_so(
    workspace: Path, table: bool, said: str
) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")
    if table:
        reconcile_findings(workspace / "warehouse.duckdb", [])

    page = report_html.render()

    assert said in page
    assert 'id="reconcile-none"' in page
    assert 'id="reconcile-table"' not in page
    assert 'id="reconcile-count"' not in page


def test_the_charts_are_pygal_svg_without_script_or_url(workspace: Path) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")

    page = report_html.render()

    charts = re.findall(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert len(charts) == 5
    for chart in charts:
        assert 'class="chart"' in chart
        assert "<script" not in chart
        assert "<!--" not in chart
        assert 'role="img"' in chart
    accounts = next(c for c in charts if 'aria-label="accounts, Salesforce' in c)
    # a bar per run, its counts in its tooltip; conflicts beside it in their colour
    assert "<title>Run #2 (2026-01-05 09:15:00 UTC): created 1, updated 4, deleted 0, " in accounts
    assert report_html.COLOURS["conflicts"] in accounts
    assert report_html.COLOURS["conflicts"] not in next(
        c for c in charts if 'aria-label="contacts, Salesforce' in c
    )  # no conflict there: no conflicts bar
    # the run's total above its bar: 25 created and 3 deleted in run #1
    assert re.search(r'<text[^>]*class="[^"]*label[^"]*"[^>]*>28</text>', accounts)
    # a bar segment per count that is not zero, on one scale with the conflicts beside
    heights = _bar_heights(accounts)
    assert {kind: len(bars) for kind, bars in heights.items()} == {
        "created": 2,  # runs #1 and #2
        "updated": 1,
        "deleted": 1,
        "failed": 1,
        "conflicts": 1,
    }
    created_run_1 = heights["created"][0]
    assert heights["conflicts"][0] / created_run_1 == pytest.approx(2 / 25)
    assert heights["updated"][0] / created_run_1 == pytest.approx(4 / 25)


def _bar_heights(svg: str) -> dict[str, list[float]]:
    """The heights of a chart's bar segments per kind (series in `WRITE_KINDS` order, then
    conflicts), in the order of the runs."""
    root = ElementTree.fromstring(svg)  # noqa: S314 - a page this test rendered
    heights: dict[str, list[float]] = {}
    for group in root.iter(f"{SVG}g"):
        names = group.get("class", "").split()
        if "series" not in names or not group.findall(f"{SVG}g"):
            continue  # the value labels' series groups hold text, not bars
        kind = report_html.COUNT_KINDS[int(names[1].removeprefix("serie-"))]
        heights[kind] = [float(rect.get("height", 0)) for rect in group.iter(f"{SVG}rect")]
    return heights


def test_every_crm_value_is_escaped(workspace: Path) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")

    page = report_html.render()

    assert "<script" not in page
    assert "<img" not in page
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img src=x"
    assert f"rejected: {escaped}" in page  # the error message
    assert f"Farid {escaped}" in page  # a user's name
    assert f"Acme {escaped}" in page  # a conflict's values
    assert "Acme &amp; Co (FM)" in page


def test_the_page_needs_no_network(workspace: Path) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")

    page = report_html.render()

    assert not re.search(r"<(link|script|img|iframe|object)\b", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "url(" not in page
    assert "@import" not in page
    # the charts' SVG namespaces are names, not addresses: nothing else is
    assert set(re.findall(r"https?://[^\s\"'<>)]*", page)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert "<style>" in page


def test_no_warehouse_gives_a_no_runs_yet_page_and_creates_nothing(workspace: Path) -> None:
    page = report_html.render()

    assert "No runs yet" in page
    assert "Latest run" not in page
    assert not (workspace / "warehouse.duckdb").exists()


def test_a_warehouse_without_runs_gives_the_no_runs_yet_page(workspace: Path) -> None:
    with duckdb.connect(str(workspace / "warehouse.duckdb")) as connection:
        connection.execute(
            "create table main.sync_stats (run_id varchar, run_started_at timestamp, "
            "object varchar, direction varchar, created hugeint, updated hugeint, "
            "deleted hugeint, failed hugeint, conflicts hugeint)"
        )

    page = report_html.render()

    assert "No runs yet" in page
    assert "Recent sync log" not in page


def test_before_any_call_is_recorded_the_page_says_so(workspace: Path) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")
    with duckdb.connect(str(workspace / "warehouse.duckdb")) as connection:
        connection.execute("drop table main.sync_api_calls")

    page = report_html.render()

    assert "<code>main.sync_api_calls</code> is written by the report step" in page
    assert 'id="api-calls-table"' not in page


def test_a_dry_run_plan_without_runs_still_shows_the_plan(workspace: Path) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")
    with duckdb.connect(str(workspace / "warehouse.duckdb")) as connection:
        connection.execute("delete from main.sync_stats")
        connection.execute("drop table main.sync_log_recent")

    page = report_html.render()

    assert "No runs yet" in page
    assert "ForceManager requires an account and a first name on every contact" in page
    assert "Mass-change breaker" in page
    assert "Recent sync log" not in page


def test_long_values_are_folded(workspace: Path) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")
    with duckdb.connect(str(workspace / "warehouse.duckdb")) as connection:
        connection.execute(
            "update main.sync_log_recent set error_message = ? where status = 'error'", ["y" * 5000]
        )

    page = report_html.render()

    cut = 5000 - report_html.CLIP_CHARS
    assert f"… {cut} more characters</summary>" in page
    assert "y" * 5000 not in page  # shown part and folded rest, not the whole twice
    assert page.count("y" * cut) == 1


def test_the_command_writes_an_owner_only_page(workspace: Path) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")
    target = workspace / "out" / "report.html"
    os.umask(0o022)  # a shell's usual umask: the page must still be the owner's only

    assert cli.main(["report", "--html", str(target), "--runs", "1"]) == 0

    page = target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "last 1 run" in page
    assert shown(page, "total", "created") == 3  # the latest run only
    assert not list(target.parent.glob(".report.html.*"))


def test_the_cycle_writes_the_page_beside_the_warehouse(workspace: Path) -> None:
    fixture_warehouse(workspace / "warehouse.duckdb")
    (workspace / ".warehouse.duckdb.report.html.killed").write_text("half a page")

    assert cli.main(["report"]) == 0

    written = workspace / "warehouse.duckdb.report.html"
    assert written == report_html.report_path()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert "Latest run" in written.read_text()
    assert not (workspace / ".warehouse.duckdb.report.html.killed").exists()


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (10, 10), (149, 200)]
)
def test_chart_scales_end_on_a_round_number(value: int, expected: int) -> None:
    assert report_html._nice_max(value) == expected


def test_the_command_refuses_a_number_of_runs_below_one(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["report", "--runs", "0"])
    assert "not a positive number" in capsys.readouterr().err
    assert not (workspace / "warehouse.duckdb.report.html").exists()


def test_the_command_lines_default_runs_are_the_reports() -> None:
    """`crmsync report --runs` defaults to the report's own default (kept apart for imports)."""
    assert cli._REPORT_RUNS == report_html.DEFAULT_RUNS
