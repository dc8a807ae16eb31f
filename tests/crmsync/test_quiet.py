"""The quiet-cycle decision (`crmsync prepare --quiet-check`, `crmsync report --settle`)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from crmsync_common import quiet as marker

from crmsync import quiet
from crmsync import warehouse as crmsync_warehouse


@pytest.fixture
def warehouse(quiet_warehouse: Path) -> Path:
    return quiet_warehouse


def _decide() -> str | None:
    """What the incremental cycle's prepare decides."""
    with crmsync_warehouse.connect() as connection:
        return quiet.decide(connection)


def _execute(path: Path, sql: str) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute(sql)


def _settled_cycle() -> None:
    """A full cycle that planned and wrote nothing: the next unchanged one may be quiet."""
    assert _decide() is not None
    assert quiet.settle()


def test_an_unchanged_cycle_after_a_settled_one_is_quiet(warehouse: Path) -> None:
    reason = _decide()
    assert reason is not None
    assert "no earlier cycle settled" in reason
    assert not marker.skipping()
    assert quiet.settle()

    assert _decide() is None
    assert marker.skipping(), "this run's later steps see the quiet mark"
    assert marker.skip_step("dbt build --select tag:plan")
    assert quiet.settle(), "a quiet cycle keeps the settled one"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select count(*) from main.sync_quiet_runs").fetchone() == (1,)

    assert _decide() is None, "and the next unchanged one is quiet too"


def test_a_quiet_run_gets_its_statistics_rows_all_zero(warehouse: Path) -> None:
    _execute(warehouse, "create schema crmsync_settings")
    _execute(warehouse, "create table crmsync_settings.objects (object varchar, mode varchar)")
    _execute(
        warehouse,
        "insert into crmsync_settings.objects values ('accounts', 'two-way'), "
        "('contacts', 'one-way'), ('tasks', 'off')",
    )
    _execute(
        warehouse,
        "create table main.sync_stats (run_id varchar, run_started_at timestamp, object varchar, "
        "direction varchar, created int, updated int, deleted int, failed int, conflicts int)",
    )
    _settled_cycle()
    assert _decide() is None
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select object, direction, created + updated + deleted + failed + conflicts "
            "from main.sync_stats where run_id = (select run_id from main.sync_quiet_runs) "
            "order by 1, 2"
        ).fetchall()
    assert rows == [
        ("accounts", "fm_to_sf", 0),
        ("accounts", "sf_to_fm", 0),
        ("contacts", "sf_to_fm", 0),
    ]


def test_the_mark_belongs_to_one_meltano_run(warehouse: Path) -> None:
    _settled_cycle()
    assert _decide() is None
    data = json.loads(marker.quiet_file().read_text())
    data["skip"] = "1:2"  # another `meltano run`
    marker.quiet_file().write_text(json.dumps(data))
    assert not marker.skipping()
    assert not marker.skip_step("tap-warehouse")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("update raw_salesforce.account set name = 'Acme AG'", "raw_salesforce.account"),
        ("insert into raw_salesforce.account values ('001B', 'New')", "raw_salesforce.account"),
        ("create table raw_forcemanager_x (id int)", None),
        ("create schema crmsync_log; create table crmsync_log.api_calls (n int)", None),
        (
            "create schema crmsync_log; create table crmsync_log.sync_log_lines (run_id varchar)",
            "crmsync_log.sync_log_lines",
        ),
        ("insert into crmsync_state.sync_links values ('001A', 7)", "crmsync_state.sync_links"),
    ],
)
def test_anything_extracted_or_a_state_change_runs_the_full_cycle(
    warehouse: Path, change: str, expected: str | None
) -> None:
    _settled_cycle()
    _execute(warehouse, change)
    reason = _decide()
    if expected is None:  # a table outside the plan's inputs changes nothing
        assert reason is None
    else:
        assert reason is not None
        assert expected in reason
        assert not marker.skipping()


def test_a_record_loaded_again_unchanged_keeps_the_cycle_quiet(warehouse: Path) -> None:
    """The users and field lists are read in full every cycle: only their load time moves."""
    _execute(warehouse, "alter table raw_salesforce.account add column _sdc_batched_at timestamp")
    _settled_cycle()
    _execute(warehouse, "update raw_salesforce.account set _sdc_batched_at = now()")
    assert _decide() is None


def test_a_deletion_mark_runs_the_full_cycle(warehouse: Path) -> None:
    _execute(warehouse, "alter table raw_salesforce.account add column _sdc_deleted_at varchar")
    _settled_cycle()
    _execute(warehouse, "update raw_salesforce.account set _sdc_deleted_at = '2026-01-01'")
    reason = _decide()
    assert reason is not None
    assert "raw_salesforce.account" in reason


def test_planned_writes_or_failed_records_do_not_settle(warehouse: Path) -> None:
    assert _decide() is not None
    _execute(warehouse, "insert into publish.pub_forcemanager__accounts values ('001A')")
    assert not quiet.settle(), "a cycle that planned a write (or a retry) does not settle"
    assert "no earlier cycle settled" in (_decide() or "")
    _execute(warehouse, "delete from publish.pub_forcemanager__accounts")
    assert quiet.settle()
    assert _decide() is None


def test_a_cycle_that_changed_its_own_inputs_does_not_settle(warehouse: Path) -> None:
    assert _decide() is not None
    _execute(warehouse, "insert into crmsync_state.sync_links values ('001A', 7)")
    assert not quiet.settle()


def test_a_waiting_sync_log_file_runs_the_full_cycle(warehouse: Path) -> None:
    _settled_cycle()
    log_dir = Path(f"{warehouse}.sync_log")
    log_dir.mkdir()
    (log_dir / "run.api-calls.jsonl").write_text("{}\n")
    assert _decide() is None, "only the targets' files are write outcomes"
    (log_dir / "run.target-forcemanager.jsonl").write_text("{}\n")
    assert "sync-log files" in (_decide() or "")


def test_a_due_check_or_a_settings_change_runs_the_full_cycle(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _settled_cycle()
    monkeypatch.setenv(quiet.FULL_CYCLE_VARIABLE, "0")
    assert "a full cycle is due" in (_decide() or "")
    monkeypatch.setenv(quiet.FULL_CYCLE_VARIABLE, "60")
    assert _decide() is None
    (tmp_path / "sync.yml").write_text("objects: {accounts: one-way}\n")
    assert "settings_file" in (_decide() or "")


def test_no_settle_without_this_runs_prepare(warehouse: Path) -> None:
    """`report --settle` outside an incremental cycle (no candidate of this run) settles nothing."""
    assert not quiet.settle()
    assert "no earlier cycle settled" in (_decide() or "")
