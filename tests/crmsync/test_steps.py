"""The crmsync steps that run around the plugins: preflight, prepare, collect-log, stats."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from crmsync_common.apicalls import CALLS_SUFFIX, begin_cycle

from crmsync import atrest, cli, report, steps
from crmsync.settings import SettingsError

SETTINGS = """
objects:
  accounts: two-way
  contacts: one-way
user_mapping:
  manual:
    "005000000000002": 3
  default_owner:
    forcemanager: 1
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "sync.yml").write_text(SETTINGS)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "sync.yml"))
    monkeypatch.setenv("CRMSYNC_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv("CRMSYNC_SYNC_LOG_DIR", raising=False)
    monkeypatch.delenv("CRMSYNC_CONFIRM_INITIAL_WIPE", raising=False)
    # preflight tightens the project's files: this folder stands for the Meltano project
    monkeypatch.setenv("MELTANO_PROJECT_ROOT", str(tmp_path))
    for variable in (
        "MELTANO_SYS_DIR_ROOT",
        "MELTANO_DATABASE_URI",
        "MELTANO_STATE_BACKEND_URI",
        "DBT_TARGET_PATH",
        "DBT_LOG_PATH",
    ):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def extracted_users(path: Path, salesforce: list[str], forcemanager: list[int]) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema raw_salesforce")
        connection.execute("create schema raw_forcemanager")
        connection.execute('create table raw_salesforce."user" (id varchar)')
        connection.execute("create table raw_forcemanager.users (id bigint)")
        connection.executemany(
            'insert into raw_salesforce."user" values (?)', [[i] for i in salesforce]
        )
        connection.executemany(
            "insert into raw_forcemanager.users values (?)", [[i] for i in forcemanager]
        )


def test_initial_preflight_refuses_without_confirmation(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["preflight", "--initial"]) == 1
    error = capsys.readouterr().err
    assert "CRMSYNC_CONFIRM_INITIAL_WIPE" in error
    assert "Nothing was written" in error
    assert not (workspace / "warehouse.duckdb").exists()


def test_initial_preflight_goes_ahead_when_confirmed(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRMSYNC_CONFIRM_INITIAL_WIPE", "true")
    assert cli.main(["preflight", "--initial"]) == 0


def test_preflight_rejects_bad_settings_with_their_name(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "sync.yml").write_text("objects:\n  accounts: off\n")
    assert cli.main(["preflight"]) == 1
    assert "objects.accounts" in capsys.readouterr().err


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_preflight_makes_what_a_sync_keeps_owner_only(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An existing deployment's files, written with the umask 022, are tightened."""
    state = workspace / "state"
    monkeypatch.setenv("MELTANO_DATABASE_URI", f"sqlite:///{workspace / 'system.db'}")
    monkeypatch.setenv("MELTANO_STATE_BACKEND_URI", f"file://{state}")
    kept = [
        workspace / "warehouse.duckdb",
        workspace / "warehouse.duckdb.wal",
        workspace / "warehouse.duckdb.sync_log" / "loaded" / "run.target-salesforce.jsonl",
        workspace / "system.db",
        workspace / "system.db-journal",
        state / "sync-incremental" / "state.json",
        workspace / ".meltano" / "run" / "tap-salesforce" / "state.json",
        workspace / ".meltano" / "logs" / "elt" / "elt.log",
        workspace / "transform" / "target" / "partial_parse.msgpack",
        workspace / "transform" / "logs" / "dbt.log",
        workspace / ".env",
    ]
    for path in kept:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        path.write_text("kept")
        path.chmod(0o644)
    (workspace / ".meltano").chmod(0o755)
    installed = workspace / ".meltano" / "extractors" / "tap-salesforce" / "venv" / "python"
    installed.parent.mkdir(parents=True)
    installed.write_text("")
    installed.chmod(0o755)

    assert cli.main(["preflight"]) == 0

    loose = {str(p): oct(mode(p)) for p in kept if mode(p) & 0o077}
    loose.update({str(p): oct(mode(p)) for p in {p.parent for p in kept} if mode(p) & 0o077})
    assert not loose
    assert mode(workspace / ".meltano") == 0o700
    assert mode(installed) == 0o755  # the plugins' environments stay as installed


def test_preflight_tightens_dbt_folders_where_the_sync_places_them(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tenant's own dbt folders (absolute), or relative to dbt's project as dbt reads them."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(workspace / "tenant" / "dbt" / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", "../tenant-logs")
    kept = [
        workspace / "tenant" / "dbt" / "target" / "partial_parse.msgpack",
        workspace / "tenant-logs" / "dbt.log",
    ]
    for path in kept:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        path.write_text("kept")
        path.chmod(0o644)

    assert cli.main(["preflight"]) == 0

    assert {str(p): oct(mode(p)) for p in kept if mode(p) & 0o077} == {}
    assert {str(p.parent): oct(mode(p.parent)) for p in kept if mode(p.parent) & 0o077} == {}


def test_preflight_removes_the_run_configs_of_dead_runs_only(workspace: Path) -> None:
    run_dir = workspace / ".meltano" / "run"
    (run_dir / "tap-salesforce").mkdir(parents=True)
    (run_dir / "target-forcemanager").mkdir(parents=True)
    dead = run_dir / "tap-salesforce" / "tap.0001.config.json"
    live = run_dir / "target-forcemanager" / "target.0002.config.json"
    kept_state = run_dir / "tap-salesforce" / "state.json"
    for path in (dead, live, kept_state):
        path.write_text("{}")
    long_ago = time.time() - 2 * atrest.STARTING_RUN_GRACE_S
    os.utime(dead, (long_ago, long_ago))
    # a plugin of a live run has its config on its command line, as Meltano starts it
    plugin = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "--config", str(live)]
    )
    try:
        assert cli.main(["preflight"]) == 0
        assert not dead.exists()
        assert live.exists()
        assert kept_state.exists()
    finally:
        plugin.kill()
        plugin.wait()
    assert atrest.remove_stale_run_configs(run_dir, project=workspace) == 1
    assert not live.exists()


def test_young_run_configs_wait_while_another_meltano_runs(tmp_path: Path) -> None:
    """Meltano writes a plugin's config just before starting it: a young one may be live."""
    run_dir = tmp_path / "run"
    (run_dir / "tap-salesforce").mkdir(parents=True)
    young = run_dir / "tap-salesforce" / "tap.0003.config.json"
    old = run_dir / "tap-salesforce" / "tap.0004.config.json"
    for path in (young, old):
        path.write_text("{}")
    long_ago = time.time() - 2 * atrest.STARTING_RUN_GRACE_S
    os.utime(old, (long_ago, long_ago))
    meltano = tmp_path / "meltano"  # another run's `python .../meltano run ...`
    meltano.write_text("import time\ntime.sleep(60)\n")
    other_run = subprocess.Popen(
        [sys.executable, str(meltano), "run", "sync-incremental"], cwd=tmp_path
    )
    try:
        deadline = time.monotonic() + 10
        while not atrest._other_meltano_running(tmp_path):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert atrest.remove_stale_run_configs(run_dir, project=tmp_path) == 1
        assert young.exists()
        assert not old.exists()
    finally:
        other_run.kill()
        other_run.wait()
    assert atrest.remove_stale_run_configs(run_dir, project=tmp_path) == 1
    assert not young.exists()


def test_database_and_state_locations() -> None:
    assert atrest.sqlite_path("sqlite:////var/lib/crmsync/meltano.db") == Path(
        "/var/lib/crmsync/meltano.db"
    )
    assert atrest.sqlite_path("postgresql://db/meltano") is None
    assert atrest.file_state_path("file:///var/lib/crmsync/state") == Path("/var/lib/crmsync/state")
    assert atrest.file_state_path("s3://bucket/state") is None
    assert atrest.file_state_path("systemdb") is None


def test_prepare_stores_settings_with_full_user_ids(workspace: Path) -> None:
    warehouse = workspace / "warehouse.duckdb"
    extracted_users(warehouse, ["005000000000001AAA", "005000000000002AAB"], [1, 3])
    steps.prepare()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        objects = dict(connection.execute("select * from crmsync_settings.objects").fetchall())
        mapping = connection.execute("select * from crmsync_settings.user_mapping").fetchall()
        options = connection.execute("select * from crmsync_settings.options").fetchall()
    assert objects["contacts"] == "one-way"
    assert objects["tasks"] == "off"
    assert mapping == [("005000000000002AAB", 3)]
    assert options == [(True, 1, None, "replace")]


def test_match_preflight_needs_no_confirmation_and_prepare_stores_the_overrides(
    workspace: Path,
) -> None:
    (workspace / "overrides.yml").write_text(
        "force: [{object: accounts, salesforce_id: '001000000000001AAA', forcemanager_id: 12}]\n"
        "forbid: [{object: contacts, salesforce_id: '003000000000001', forcemanager_id: 40}]\n"
    )
    (workspace / "sync.yml").write_text(
        SETTINGS + "initial_sync: match\nmatch_overrides: overrides.yml\n"
    )
    assert cli.main(["preflight", "--initial"]) == 0
    warehouse = workspace / "warehouse.duckdb"
    extracted_users(warehouse, ["005000000000001AAA", "005000000000002AAB"], [1, 3])
    steps.prepare()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        options = connection.execute("select initial_sync from crmsync_settings.options")
        assert options.fetchall() == [("match",)]
        overrides = connection.execute(
            "select * from crmsync_settings.match_overrides order by action"
        ).fetchall()
    assert overrides == [
        ("forbid", "contacts", "003000000000001", 40),
        ("force", "accounts", "001000000000001AAA", 12),
    ]


def test_match_preflight_rejects_a_bad_overrides_file(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "overrides.yml").write_text("force: [{object: leads}]\n")
    (workspace / "sync.yml").write_text(
        SETTINGS + "initial_sync: match\nmatch_overrides: overrides.yml\n"
    )
    assert cli.main(["preflight", "--initial"]) == 1
    assert "force[0]" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("salesforce", "forcemanager", "named"),
    [
        (["005000000000001AAA"], [1, 3], 'user_mapping.manual."005000000000002"'),
        (["005000000000002AAB"], [1], 'user_mapping.manual."005000000000002"'),
        (["005000000000002AAB"], [3], "user_mapping.default_owner.forcemanager"),
    ],
)
def test_prepare_rejects_a_mapping_to_a_missing_user(
    workspace: Path, salesforce: list[str], forcemanager: list[int], named: str
) -> None:
    extracted_users(workspace / "warehouse.duckdb", salesforce, forcemanager)
    with pytest.raises(SettingsError, match=named):
        steps.prepare()


def test_collect_log_loads_lines_once_and_skips_a_torn_line(workspace: Path) -> None:
    log_dir = Path(f"{workspace / 'warehouse.duckdb'}.sync_log")
    log_dir.mkdir()
    line = {
        "synced_at": "2026-01-01T00:00:00Z",
        "run_id": "r1",
        "object": "accounts",
        "action": "create",
        "direction": "sf_to_fm",
        "salesforce_id": "001000000000001AAA",
        "forcemanager_id": 7,
        "status": "success",
        "error_code": None,
        "error_message": None,
    }
    (log_dir / "r1.target-forcemanager.jsonl").write_text(
        json.dumps(line) + "\n" + json.dumps({**line, "forcemanager_id": 8}) + "\n" + '{"torn'
    )
    assert steps.collect_log() == 2
    assert steps.collect_log() == 0
    assert (log_dir / "loaded" / "r1.target-forcemanager.jsonl").exists()
    with duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute(
            "select forcemanager_id, status from crmsync_log.sync_log_lines order by line_number"
        ).fetchall()
    assert rows == [("7", "success"), ("8", "success")]


def test_collect_log_loads_every_line_of_large_files_with_their_values(workspace: Path) -> None:
    """Thousands of lines over several files load in one statement per file, each value in
    its column (ids as text, timestamps parsed, errors kept) and numbered by its line."""
    log_dir = Path(f"{workspace / 'warehouse.duckdb'}.sync_log")
    log_dir.mkdir()
    for run in ("r1", "r2"):
        lines = [
            {
                "synced_at": f"2026-01-01T00:00:{index % 60:02d}.250000Z",
                "run_id": run,
                "object": "contacts",
                "action": "update",
                "direction": "fm_to_sf",
                "salesforce_id": f"003{index:015d}",
                "forcemanager_id": index,
                "status": "error" if index % 100 == 0 else "success",
                "error_code": "REJECTED" if index % 100 == 0 else None,
                "error_message": "a field was rejected" if index % 100 == 0 else None,
            }
            for index in range(3_000)
        ]
        (log_dir / f"{run}.target-salesforce.jsonl").write_text(
            "".join(json.dumps(line) + "\n" for line in lines)
        )
    assert steps.collect_log() == 6_000
    with duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True) as connection:
        summary = connection.execute(
            "select run_id, count(*), count(distinct forcemanager_id), count(error_code), "
            "max(line_number), max(synced_at) from crmsync_log.sync_log_lines "
            "group by run_id order by run_id"
        ).fetchall()
        row = connection.execute(
            "select salesforce_id, forcemanager_id, status, error_message, line_number "
            "from crmsync_log.sync_log_lines where run_id = 'r2' and forcemanager_id = '2500'"
        ).fetchone()
    latest = datetime(2026, 1, 1, 0, 0, 59, 250000)
    assert summary == [
        ("r1", 3_000, 3_000, 30, 3_000, latest),
        ("r2", 3_000, 3_000, 30, 3_000, latest),
    ]
    assert row == ("003000000000002500", "2500", "error", "a field was rejected", 2_501)


def calls_file(
    log_dir: Path, cycle_id: str, step: str, pid: int, sides: dict, *, run_id: str | None = None
) -> Path:
    """A step's API call file, as `crmsync_common.apicalls.CallRecorder` writes it."""
    path = log_dir / f"{cycle_id}.{step.replace(':', '_')}.{pid}{CALLS_SUFFIX}"
    document = {
        "cycle_id": cycle_id,
        "run_id": run_id,
        "step": step,
        "pid": pid,
        "started_at": "2026-01-01T00:00:00.000000Z",
        "updated_at": "2026-01-01T00:00:05.000000Z",
        "sides": {
            side: {**dict(zip(("auth", "read", "write", "retried"), counts, strict=True)),
                   "calls": sum(counts[:3])}
            for side, counts in sides.items()
        },
    }  # fmt: skip
    path.write_text(json.dumps(document))
    return path


def plan_ran(path: Path, run_id: str, started: datetime) -> None:
    """The plan's `int_sync_objects`: its run id and start, as dbt writes them."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema if not exists crmsync_plan")
        connection.execute(
            "create or replace table crmsync_plan.int_sync_objects "
            "(object varchar, run_id varchar, run_started_at timestamp)"
        )
        connection.execute(
            "insert into crmsync_plan.int_sync_objects values ('accounts', ?, ?)",
            [run_id, started],
        )


def loaded_calls(path: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            "select coalesce(r.run_id, c.cycle_id), c.step, c.side, c.auth, c.reads, c.writes, "
            "c.retried, c.calls from crmsync_log.api_call_counts as c "
            "left join crmsync_log.cycle_runs as r using (cycle_id) "
            "order by c.step, c.side"
        ).fetchall()


def test_collect_log_loads_the_steps_calls_once_under_the_plan_of_their_cycle(
    workspace: Path,
) -> None:
    warehouse_file = workspace / "warehouse.duckdb"
    log_dir = Path(f"{warehouse_file}.sync_log")
    cycle = begin_cycle(log_dir)
    calls_file(log_dir, cycle["cycle_id"], "crmsync:preflight", 10, {
        "salesforce": (1, 7, 0, 0), "forcemanager": (1, 5, 0, 1)})  # fmt: skip
    calls_file(log_dir, cycle["cycle_id"], "tap-salesforce", 11, {"salesforce": (1, 6, 0, 0)})
    calls_file(
        log_dir, cycle["cycle_id"], "target-forcemanager", 12, {"forcemanager": (1, 0, 3, 2)}
    )
    # a plan from before this cycle began is not this cycle's
    plan_ran(warehouse_file, "old-plan", datetime(2020, 1, 1))
    steps.collect_log()
    assert {row[0] for row in loaded_calls(warehouse_file)} == {cycle["cycle_id"]}

    plan_ran(warehouse_file, "plan-1", datetime.now(UTC).replace(tzinfo=None))
    for path in (log_dir / "loaded").glob(f"*{CALLS_SUFFIX}"):
        path.replace(log_dir / path.name)  # as if the files had not been archived
    steps.collect_log()
    steps.collect_log()  # a re-run loads nothing twice
    assert loaded_calls(warehouse_file) == [
        ("plan-1", "crmsync:preflight", "forcemanager", 1, 5, 0, 1, 6),
        ("plan-1", "crmsync:preflight", "salesforce", 1, 7, 0, 0, 8),
        ("plan-1", "tap-salesforce", "salesforce", 1, 6, 0, 0, 7),
        ("plan-1", "target-forcemanager", "forcemanager", 1, 0, 3, 2, 4),
    ]
    assert not list(log_dir.glob(f"*{CALLS_SUFFIX}"))
    assert len(list((log_dir / "loaded").glob(f"*{CALLS_SUFFIX}"))) == 3


def test_a_killed_cycles_calls_are_collected_by_the_next_under_their_own_cycle(
    workspace: Path,
) -> None:
    """A cycle killed after its taps leaves their files (as far as they were written); the
    next cycle's collect-log loads them as the killed cycle's, apart from its own."""
    warehouse_file = workspace / "warehouse.duckdb"
    log_dir = Path(f"{warehouse_file}.sync_log")
    killed = begin_cycle(log_dir)
    calls_file(log_dir, killed["cycle_id"], "tap-salesforce", 20, {"salesforce": (1, 3, 0, 0)})
    calls_file(log_dir, killed["cycle_id"], "tap-forcemanager", 21, {"forcemanager": (1, 2, 0, 0)})
    calls_file(log_dir, killed["cycle_id"], "target-forcemanager", 22,
               {"forcemanager": (1, 0, 4, 0)}, run_id="killed-plan")  # fmt: skip
    (log_dir / f".{killed['cycle_id']}.tap-forcemanager.21{CALLS_SUFFIX}.x1y2").write_text("{")
    nxt = begin_cycle(log_dir)
    calls_file(log_dir, nxt["cycle_id"], "tap-salesforce", 30, {"salesforce": (1, 6, 0, 0)})
    plan_ran(warehouse_file, "plan-2", datetime.now(UTC).replace(tzinfo=None))

    steps.collect_log()

    assert set(loaded_calls(warehouse_file)) == {
        (killed["cycle_id"], "tap-forcemanager", "forcemanager", 1, 2, 0, 0, 3),
        (killed["cycle_id"], "tap-salesforce", "salesforce", 1, 3, 0, 0, 4),
        (killed["cycle_id"], "target-forcemanager", "forcemanager", 1, 0, 4, 0, 5),
        ("plan-2", "tap-salesforce", "salesforce", 1, 6, 0, 0, 7),
    }
    # the target read its plan's run id from its rows: the report step maps the cycle to it
    with duckdb.connect(str(warehouse_file), read_only=True) as connection:
        stated = connection.execute(
            "select distinct step, run_id from crmsync_log.api_call_counts where run_id is not null"
        ).fetchall()
    assert stated == [("target-forcemanager", "killed-plan")]
    assert not [p.name for p in log_dir.iterdir() if CALLS_SUFFIX in p.name]  # nor a torn one


def test_an_unreadable_calls_file_is_skipped_with_a_warning(
    workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log_dir = Path(f"{workspace / 'warehouse.duckdb'}.sync_log")
    log_dir.mkdir()
    (log_dir / f"x.tap-salesforce.1{CALLS_SUFFIX}").write_text('{"cycle_id": ')
    steps.collect_log()
    assert loaded_calls(workspace / "warehouse.duckdb") == []
    assert "skipping unreadable API call file" in caplog.text


def test_stats_print_each_runs_api_calls_per_side(workspace: Path) -> None:
    with duckdb.connect(str(workspace / "warehouse.duckdb")) as connection:
        connection.execute(
            "create table main.sync_stats as select 'r1' as run_id, "
            "timestamp '2026-01-01 09:00' as run_started_at, 'accounts' as object, "
            "'sf_to_fm' as direction, 1 as created, 0 as updated, 0 as deleted, 0 as failed, "
            "0 as conflicts"
        )
        connection.execute(
            "create table main.sync_log_recent (synced_at timestamp, object varchar, "
            "action varchar, direction varchar, salesforce_id varchar, forcemanager_id varchar, "
            "status varchar, error_code varchar, error_message varchar)"
        )
        connection.execute(
            "create table main.sync_api_calls as select * from (values "
            "('r1', 'crmsync:preflight', 'salesforce', 1, 7, 0, 0, 8), "
            "('r1', 'tap-salesforce', 'salesforce', 1, 6, 0, 2, 7), "
            "('r1', 'target-forcemanager', 'forcemanager', 1, 1, 1, 0, 3)) "
            "as t(run_id, step, side, auth, reads, writes, retried, calls)"
        )

    printed = report.render(runs=1)

    calls = printed.split("API calls\n", 1)[1].split("Recent sync log", 1)[0].splitlines()
    assert [line.split() for line in calls[2:]] == [
        ["salesforce", "2", "13", "0", "2", "15"],
        ["forcemanager", "1", "1", "1", "0", "3"],
    ]


def test_stats_print_the_latest_reconcile_that_found_something(workspace: Path) -> None:
    with duckdb.connect(str(workspace / "warehouse.duckdb")) as connection:
        connection.execute(
            "create table main.sync_stats as select * from (values "
            "('r1', timestamp '2026-01-01 09:00', 'accounts', 'sf_to_fm', 1, 0, 0, 0, 0), "
            "('r2', timestamp '2026-01-02 09:00', 'accounts', 'sf_to_fm', 0, 1, 1, 0, 0)) "
            "as t(run_id, run_started_at, object, direction, created, updated, deleted, failed, "
            "conflicts)"
        )
        connection.execute(
            "create table main.sync_log_recent (synced_at timestamp, object varchar, "
            "action varchar, direction varchar, salesforce_id varchar, forcemanager_id varchar, "
            "status varchar, error_code varchar, error_message varchar)"
        )
        connection.execute(
            "create table main.sync_reconcile (run_id varchar, object varchar, side varchar, "
            "kind varchar, salesforce_id varchar, forcemanager_id bigint)"
        )
    assert "Reconcile: no run has found anything yet" in report.render(runs=1)
    with duckdb.connect(str(workspace / "warehouse.duckdb")) as connection:
        connection.execute(
            "insert into main.sync_reconcile values "
            "('r1', 'contacts', 'salesforce', 'hard delete', '003A', 1), "
            "('r2', 'accounts', 'salesforce', 'missed change', '001A', 2), "
            "('r2', 'accounts', 'salesforce', 'missed change', '001B', 3), "
            "('r2', 'accounts', 'forcemanager', 'hard delete', '001C', 4)"
        )

    printed = report.render(runs=1)

    assert "Latest reconcile that found something: run r2 " in printed
    assert "3 findings" in printed
    found = printed.split("3 findings\n", 1)[1].split("Recent sync log", 1)[0].splitlines()
    assert [line.split() for line in found[2:]] == [
        ["accounts", "salesforce", "missed", "change", "2"],
        ["accounts", "forcemanager", "hard", "delete", "1"],
    ]
