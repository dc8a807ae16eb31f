"""Counting API calls and recording them per step beside the sync log (crmsync_common.apicalls)."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
from crmsync_common import apicalls
from crmsync_common.apicalls import CallLedger, CallRecorder, begin_cycle, call_kind, current_cycle
from crmsync_common.synclog import SyncLog, SyncLogLine


@pytest.mark.parametrize(
    ("method", "path", "auth", "kind"),
    [
        ("POST", "/services/oauth2/token", True, "auth"),
        ("POST", "/api/v4/login", True, "auth"),
        ("GET", "query", False, "read"),
        ("POST", "jobs/query", False, "read"),  # a Bulk 2.0 query job reads
        ("DELETE", "jobs/query/750000000000001", False, "read"),
        ("POST", "composite/sobjects", False, "write"),
        ("PATCH", "sobjects/Account/001000000000001AAA", False, "write"),
        ("PUT", "/api/v4/accounts/12", False, "write"),
        ("delete", "/api/v4/accounts/12", False, "write"),
        ("POST", "jobs/ingest", False, "write"),
    ],
)
def test_calls_are_classified_as_the_contracts_count_them(
    method: str, path: str, auth: bool, kind: str
) -> None:
    assert call_kind(method, path, auth=auth) == kind


def test_a_ledger_counts_per_side_and_leaves_out_sides_that_sent_nothing() -> None:
    ledger = CallLedger()
    ledger.side("forcemanager")  # a client made, never used
    salesforce = ledger.side("salesforce")
    salesforce.sent("POST", "/services/oauth2/token", auth=True)
    salesforce.sent("GET", "queryAll")
    salesforce.retried()
    salesforce.sent("GET", "queryAll")
    salesforce.sent("PATCH", "composite/sobjects")
    assert ledger.counts() == {
        "salesforce": {"auth": 1, "read": 2, "write": 1, "retried": 1, "calls": 4}
    }


def test_counting_costs_nothing_next_to_a_request() -> None:
    """A count is a lock and an add: well under a tenth of a local HTTP request (about a
    millisecond). The best of several rounds, so that a loaded machine does not decide it."""
    counter = CallLedger().side("salesforce")
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(20_000):
            counter.sent("GET", "queryAll")
        rounds.append((time.perf_counter() - started) / 20_000)
    assert min(rounds) < 100e-6, f"{min(rounds) * 1e6:.2f} µs per count"


def test_a_step_records_its_counts_under_the_cycle_as_it_goes_and_at_the_end(
    tmp_path: Path,
) -> None:
    cycle = begin_cycle(tmp_path)
    assert current_cycle(tmp_path) == cycle
    assert stat.S_IMODE((tmp_path / apicalls.CYCLE_FILE).stat().st_mode) == 0o600
    ledger = CallLedger()
    recorder = CallRecorder("tap-forcemanager", tmp_path, ledger=ledger, flush_seconds=0.05)
    recorder.start()
    assert recorder.path.name.startswith(f"{cycle['cycle_id']}.tap-forcemanager.")
    assert recorder.path.name.endswith(apicalls.CALLS_SUFFIX)
    assert json.loads(recorder.path.read_text())["sides"] == {}

    ledger.side("forcemanager").sent("POST", "/api/v4/login", auth=True)
    ledger.side("forcemanager").sent("GET", "/api/v4/accounts")
    deadline = time.monotonic() + 10
    while json.loads(recorder.path.read_text())["sides"] == {} and time.monotonic() < deadline:
        time.sleep(0.02)
    # a step killed now would have left this much
    document = json.loads(recorder.path.read_text())
    assert document["sides"]["forcemanager"]["calls"] == 2
    assert document["cycle_id"] == cycle["cycle_id"]
    assert document["step"] == "tap-forcemanager"

    ledger.side("forcemanager").sent("PUT", "/api/v4/accounts/1")
    recorder.close()
    document = json.loads(recorder.path.read_text())
    assert document["sides"] == {
        "forcemanager": {"auth": 1, "read": 1, "write": 1, "retried": 0, "calls": 3}
    }
    assert stat.S_IMODE(recorder.path.stat().st_mode) == 0o600
    assert set(document) == {
        "cycle_id", "run_id", "step", "pid", "started_at", "updated_at", "sides"
    }  # fmt: skip
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_a_step_outside_a_cycle_records_a_run_of_its_own(tmp_path: Path) -> None:
    recorder = CallRecorder("target-salesforce", tmp_path, ledger=CallLedger())
    assert recorder.cycle_id.startswith("step-")
    other = CallRecorder("target-salesforce", tmp_path, ledger=CallLedger())
    assert other.cycle_id != recorder.cycle_id


def test_the_step_name_is_the_meltano_plugin_of_the_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MELTANO_EXTRACTOR_NAME", "tap-salesforce-initial")
    monkeypatch.setenv("MELTANO_LOADER_NAME", "target-warehouse-salesforce")
    assert apicalls.step_name("extractor", "tap-salesforce") == "tap-salesforce-initial"
    assert apicalls.step_name("loader", "target-x") == "target-warehouse-salesforce"
    monkeypatch.delenv("MELTANO_LOADER_NAME")
    assert apicalls.step_name("loader", "target-forcemanager") == "target-forcemanager"


def test_a_target_names_the_plan_run_its_sync_log_lines_carry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    begin_cycle(tmp_path)
    ledger = CallLedger()
    recorder = CallRecorder("target-salesforce", tmp_path, ledger=ledger)
    monkeypatch.setattr(apicalls, "_RECORDER", recorder)
    recorder.start()
    ledger.side("salesforce").sent("POST", "composite/sobjects")
    recorder.flush()
    assert json.loads(recorder.path.read_text())["run_id"] is None

    log = SyncLog(tmp_path, "target-salesforce")
    log.write([SyncLogLine("plan-7", "accounts", "create", "fm_to_sf", "001A", 3, "success")])
    log.close()
    recorder.close()  # the run id alone is worth a write
    assert json.loads(recorder.path.read_text())["run_id"] == "plan-7"


def test_an_unwritable_folder_costs_the_counts_not_the_step(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    ledger = CallLedger()
    recorder = CallRecorder("tap-salesforce", blocked / "sync_log", ledger=ledger).start()
    ledger.side("salesforce").sent("GET", "queryAll")
    recorder.close()  # no error
    assert not recorder.path.exists()


def test_the_call_and_log_folders_are_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    """A step run in-process keeps its caller's umask: the folders it creates stay its own."""
    previous = os.umask(0o022)
    try:
        begin_cycle(tmp_path / "calls")
        SyncLog(tmp_path / "log", "target-x").write(
            [SyncLogLine("r1", "accounts", "create", "sf_to_fm", "001A", 1, "success")]
        )
    finally:
        os.umask(previous)
    for folder in ("calls", "log"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700
