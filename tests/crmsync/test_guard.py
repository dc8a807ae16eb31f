"""The mass-change breaker (`crmsync guard`): the rule, and how a tripped cycle stops."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pytest

from crmsync import cli, steps
from crmsync.settings import SafetySettings
from crmsync.steps import SideChanges, exceeds, mass_changes

SETTINGS = """
objects:
  accounts: two-way
  contacts: two-way
safety:
  min_delete_count: 5
  min_update_count: 5
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "sync.yml").write_text(SETTINGS)
    monkeypatch.setenv("CRMSYNC_CONFIG", str(tmp_path / "sync.yml"))
    monkeypatch.setenv("CRMSYNC_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv("CRMSYNC_ALLOW_MASS_CHANGE", raising=False)
    return tmp_path


def planned(path: Path, rows: list[tuple[object, ...]], sync_mode: str = "incremental") -> None:
    """A `main.sync_guard` as the plan leaves it: (object, side, records, updates, deletes)."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            "create or replace table main.sync_guard (run_id varchar, sync_mode varchar, "
            "object varchar, object_order integer, side varchar, direction varchar, "
            "live_records bigint, planned_creates bigint, planned_updates bigint, "
            "planned_deletes bigint)"
        )
        connection.executemany(
            "insert into main.sync_guard values ('R', ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            [
                (
                    sync_mode,
                    obj,
                    ["accounts", "contacts"].index(obj) + 1,
                    side,
                    "sf_to_fm" if side == "forcemanager" else "fm_to_sf",
                    records,
                    updates,
                    deletes,
                )
                for obj, side, records, updates, deletes in rows
            ],
        )


@pytest.mark.parametrize(
    ("planned_count", "records", "share", "minimum", "trips"),
    [
        (21, 100, 0.10, 20, True),  # over both
        (20, 100, 0.10, 20, False),  # not more than the minimum
        (21, 210, 0.10, 20, False),  # exactly the share is not more than it
        (22, 210, 0.10, 20, True),
        (5, 50, 0.10, 4, False),  # 10% of 50 is 5 exactly, not 5.000000000000001
        (57, 100, 0.57, 0, False),  # 0.57 * 100 is 57 exactly, not 56.99999999999999
        (1, 0, 0.10, 0, True),  # a side with no records
        (0, 0, 0.0, 0, False),  # nothing planned never trips
        (201, 402, 0.50, 200, False),
        (202, 402, 0.50, 200, True),
    ],
)
def test_the_rule_is_more_than_the_share_and_more_than_the_minimum(
    planned_count: int, records: int, share: float, minimum: int, trips: bool
) -> None:
    assert exceeds(planned_count, records, share, minimum) is trips


def test_mass_changes_name_object_side_counts_and_limits() -> None:
    rows = [
        SideChanges("accounts", "forcemanager", 100, 10, 30),
        SideChanges("accounts", "salesforce", 500, 300, 0),
        SideChanges("contacts", "forcemanager", 402, 201, 21),
    ]
    found = mass_changes(rows, SafetySettings())
    assert found == [
        "accounts in ForceManager: 30 deletes planned, of 100 records there before the cycle "
        "(30%; limits: over 10% and over 20 records)",
        "accounts in Salesforce: 300 updates planned, of 500 records there before the cycle "
        "(60%; limits: over 50% and over 200 records)",
    ]
    loose = SafetySettings(max_delete_share=1.0, max_update_share=1.0)
    assert mass_changes(rows[:1], loose) == []


def test_guard_stops_the_cycle_with_one_line_per_object_and_side(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planned(
        workspace / "warehouse.duckdb",
        [
            ("accounts", "forcemanager", 25, 1, 12),
            ("accounts", "salesforce", 25, 0, 0),
            ("contacts", "forcemanager", 30, 20, 1),
            ("contacts", "salesforce", 30, 0, 0),
        ],
    )
    assert cli.main(["guard"]) == 1
    error = capsys.readouterr().err
    assert "Traceback" not in error
    assert error.startswith("crmsync: error: mass change")
    lines = [line.strip() for line in error.splitlines()]
    assert "accounts in ForceManager: 12 deletes planned, of 25 records there" in error
    assert any(line.startswith("contacts in ForceManager: 20 updates planned") for line in lines)
    assert not any(line.startswith("accounts in Salesforce") for line in lines)
    assert "CRMSYNC_ALLOW_MASS_CHANGE=true" in error
    assert "`safety:`" in error
    assert "main.sync_plan" in error


def test_guard_lets_changes_within_the_limits_through(workspace: Path) -> None:
    planned(
        workspace / "warehouse.duckdb",
        [("accounts", "forcemanager", 25, 5, 2), ("accounts", "salesforce", 25, 5, 5)],
    )
    assert cli.main(["guard"]) == 0


def test_guard_allows_one_run_with_the_override(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    planned(workspace / "warehouse.duckdb", [("accounts", "forcemanager", 25, 0, 12)])
    monkeypatch.setenv("CRMSYNC_ALLOW_MASS_CHANGE", "TRUE")
    with caplog.at_level(logging.WARNING):
        assert cli.main(["guard"]) == 0
    assert "accounts in ForceManager: 12 deletes" in caplog.text
    monkeypatch.setenv("CRMSYNC_ALLOW_MASS_CHANGE", "yes")
    assert cli.main(["guard"]) == 1


def test_guard_only_warns_in_a_dry_run(workspace: Path, caplog: pytest.LogCaptureFixture) -> None:
    planned(workspace / "warehouse.duckdb", [("accounts", "forcemanager", 25, 0, 12)])
    with caplog.at_level(logging.WARNING):
        assert cli.main(["guard", "--warn-only"]) == 0
    assert "next sync cycle will stop" in caplog.text
    assert "accounts in ForceManager: 12 deletes" in caplog.text


def test_guard_leaves_an_initial_sync_alone(workspace: Path) -> None:
    planned(
        workspace / "warehouse.duckdb",
        [("accounts", "forcemanager", 25, 0, 25)],
        sync_mode="initial",
    )
    assert steps.guard() == []


def test_guard_needs_the_plan(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    duckdb.connect(str(workspace / "warehouse.duckdb")).close()
    assert cli.main(["guard"]) == 1
    assert "main.sync_guard is missing" in capsys.readouterr().err


def test_guard_stops_on_a_bad_safety_setting(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "sync.yml").write_text(SETTINGS + "  max_update_share: lots\n")
    planned(workspace / "warehouse.duckdb", [("accounts", "forcemanager", 25, 0, 0)])
    assert cli.main(["guard"]) == 1
    assert "`safety.max_update_share`" in capsys.readouterr().err
