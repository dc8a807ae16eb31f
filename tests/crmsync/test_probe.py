"""The quiet-cycle probe's decision (`crmsync probe`, before `meltano run`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from crmsync_common import quiet as marker

from crmsync import probe, quiet
from crmsync import warehouse as crmsync_warehouse


def _settle() -> None:
    """A full cycle that planned and wrote nothing (the probe may find the next one quiet)."""
    with crmsync_warehouse.connect() as connection:
        assert quiet.decide(connection) is not None
    assert quiet.settle()


@pytest.fixture
def crms(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Both CRMs as the probe asks them: nothing changed unless a test says otherwise."""
    answers: dict[str, Any] = {"salesforce": None, "forcemanager": None, "asked": 0}

    def ask(side: str) -> Any:
        def answer(*_args: object) -> str | None:
            answers["asked"] += 1
            if isinstance(answers[side], Exception):
                raise answers[side]
            return answers[side]

        return answer

    monkeypatch.setattr(probe, "_salesforce_changes", ask("salesforce"))
    monkeypatch.setattr(probe, "_forcemanager_changes", ask("forcemanager"))
    return answers


def test_nothing_settled_runs_the_job(quiet_warehouse: Path, crms: dict[str, Any]) -> None:
    assert "no earlier cycle settled" in str(probe.decide({}))
    assert crms["asked"] == 0


def test_a_settled_unchanged_warehouse_with_quiet_crms_is_quiet(
    quiet_warehouse: Path, crms: dict[str, Any]
) -> None:
    _settle()
    assert probe.decide({}) is None
    assert crms["asked"] == 2


@pytest.mark.parametrize("side", ["salesforce", "forcemanager"])
def test_a_change_on_either_crm_runs_the_job(
    quiet_warehouse: Path, crms: dict[str, Any], side: str
) -> None:
    _settle()
    crms[side] = f"{side} accounts: record 7 changed"
    assert probe.decide({}) == f"{side} accounts: record 7 changed"


def test_a_probe_that_fails_runs_the_job_without_the_error_text(
    quiet_warehouse: Path, crms: dict[str, Any]
) -> None:
    _settle()
    crms["forcemanager"] = RuntimeError("password=hunter2")
    reason = probe.decide({})
    assert reason == "the probe could not decide (RuntimeError)"


def test_a_due_full_cycle_runs_the_job(
    quiet_warehouse: Path, crms: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _settle()
    monkeypatch.setenv(quiet.FULL_CYCLE_VARIABLE, "0")
    assert "a full cycle is due" in str(probe.decide({}))
    assert crms["asked"] == 0


def test_a_cycle_that_did_not_finish_runs_the_job(
    quiet_warehouse: Path, crms: dict[str, Any]
) -> None:
    _settle()
    with crmsync_warehouse.connect() as connection:  # a later cycle's prepare, then killed
        quiet.decide(connection)
    data = json.loads(marker.quiet_file().read_text())
    data["skip"] = None
    data["candidate"]["token"] = "1:2"
    marker.quiet_file().write_text(json.dumps(data))
    assert probe.decide({}) == "the last cycle did not finish"


def test_a_pending_retry_or_write_runs_the_job(quiet_warehouse: Path, crms: dict[str, Any]) -> None:
    """A cycle that planned a write (a retry, a write-back) does not settle."""
    _settle()
    with crmsync_warehouse.connect() as connection:
        quiet.decide(connection)  # the next cycle: it plans a write
        connection.execute("insert into publish.pub_forcemanager__accounts values ('001A')")
    data = json.loads(marker.quiet_file().read_text())
    data["skip"] = None  # a full cycle
    marker.quiet_file().write_text(json.dumps(data))
    assert not quiet.settle()
    assert "no earlier cycle settled" in str(probe.decide({}))


@pytest.mark.parametrize(
    "change",
    [
        "insert into raw_salesforce.account values ('001B', 'Loaded by a killed run')",
        "insert into crmsync_state.sync_links values ('001A', 7)",
    ],
)
def test_a_warehouse_changed_since_the_settled_cycle_runs_the_job(
    quiet_warehouse: Path, crms: dict[str, Any], change: str
) -> None:
    _settle()
    with crmsync_warehouse.connect() as connection:
        connection.execute(change)
    assert "changed since the last full cycle" in str(probe.decide({}))
    assert crms["asked"] == 0


def test_a_sync_log_file_waiting_runs_the_job(quiet_warehouse: Path, crms: dict[str, Any]) -> None:
    _settle()
    directory = crmsync_warehouse.sync_log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "run.target-forcemanager.jsonl").write_text("{}\n")
    assert "sync-log files" in str(probe.decide({}))


def test_a_quiet_probe_is_recorded_as_a_quiet_run(
    quiet_warehouse: Path, crms: dict[str, Any]
) -> None:
    _settle()
    started = datetime.now(UTC)
    assert probe.run({}) is None
    with crmsync_warehouse.connect(read_only=True) as connection:
        assert connection.execute("select count(*) from main.sync_quiet_runs").fetchone() == (1,)
    assert marker.quiet_since(quiet_warehouse, started)
    assert not marker.skipping(), "no step of a meltano run is marked to skip"
    assert probe.run({}) is None, "and the next one is quiet too"


MOMENT = datetime(2026, 12, 5, 13, 41, 30, 120000, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-05T13:41:30.120+0000",  # Salesforce
        "2026-12-05T13:41:30.12Z",  # ForceManager
        "2026-12-05 14:41:30.12+01",  # DuckDB, another time zone
        MOMENT.replace(tzinfo=None),  # a naive UTC timestamp
    ],
)
def test_timestamps_compare_whatever_their_form(value: object) -> None:
    assert probe.parse_moment(value) == MOMENT


def test_an_unreadable_timestamp_cannot_be_decided() -> None:
    with pytest.raises(probe.Undecided):
        probe.parse_moment("yesterday")


def test_a_record_counts_as_unchanged_only_with_the_same_stamp() -> None:
    raw = {"1": MOMENT, "2": None}
    assert probe._changed("ForceManager", "accounts", [("1", MOMENT)], raw) is None
    later = MOMENT + timedelta(milliseconds=1)
    assert "record 1 changed" in str(
        probe._changed("ForceManager", "accounts", [("1", later)], raw)
    )
    assert "record 3 changed" in str(
        probe._changed("ForceManager", "accounts", [("3", MOMENT)], raw)
    )
    many = [("1", MOMENT)] * (probe.MAX_PROBE_ROWS + 1)
    assert "more than" in str(probe._changed("ForceManager", "accounts", many, raw))


def test_the_window_starts_at_the_newest_stamp_less_the_lookback() -> None:
    lookback = timedelta(seconds=300)
    stamps = {"1": MOMENT, "2": MOMENT - timedelta(days=3), "3": None}
    assert probe._window_start(stamps, MOMENT, lookback) == MOMENT - lookback
    assert probe._window_start({}, MOMENT, lookback) == MOMENT - probe.EMPTY_TABLE_WINDOW
    assert probe._lookback({"TAP_SALESFORCE_LOOKBACK_SECONDS": "0"}) == timedelta(0)
    assert probe._lookback({}) == lookback


def test_the_command_exits_0_when_quiet_and_3_when_the_job_must_run(
    quiet_warehouse: Path, crms: dict[str, Any]
) -> None:
    """`orchestrate/run-job.sh` starts `meltano run` unless `crmsync probe` exits 0."""
    from crmsync import cli  # noqa: PLC0415 - the entry point under test

    assert cli.main(["probe"]) == cli.PROBE_FULL_CYCLE
    _settle()
    assert cli.main(["probe"]) == 0
    crms["salesforce"] = "Salesforce Account: record 001A changed"
    assert cli.main(["probe"]) == cli.PROBE_FULL_CYCLE
