"""Progress lines of the record streams: a full read's total is the last full read's count."""

from __future__ import annotations

import functools
import logging
from typing import Any

import pytest
from crmsync_common.progress import INTERVAL_VARIABLE, Progress
from tap_forcemanager import streams
from tap_forcemanager.streams import FULL_READ_RECORDS_KEY

from tests.tap_forcemanager.test_incremental import account, run_tap, tap_config


class StepClock:
    """A monotonic clock one second further on at every reading: one record a second."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    """The accounts stream's progress lines of the runs so far (a line per record: the clock
    moves a second per reading and the interval is half a second)."""
    monkeypatch.setenv(INTERVAL_VARIABLE, "0.5")
    monkeypatch.setattr(streams, "Progress", functools.partial(Progress, clock=StepClock()))
    caplog.set_level(logging.INFO)

    def taken() -> list[str]:
        found = [
            record.getMessage()
            for record in caplog.records
            if record.getMessage().startswith("accounts: ")
        ]
        caplog.clear()
        return found

    return taken


def ids(records: list[dict[str, Any]]) -> set[int]:
    return {record["id"] for record in records}


def test_a_full_read_expects_as_many_records_as_the_last_one(box, fm, capsys, lines):
    """The first full read has no total; its count goes into the state; the next full read
    says "of about" that count, with the time left, and "so far" once it passes it."""
    full = tap_config(box, full_refresh=True)  # the initial sync's extractor
    created = {fm.create("accounts", account(f"full {n}")) for n in range(3)}

    first, state = run_tap(full, capsys, {"accounts"})
    assert ids(first) == created
    assert lines() == [
        "accounts: 1 records so far, 1.0 records/s",
        "accounts: 2 records so far, 1.0 records/s",
        "accounts: 3 records so far, 1.0 records/s",
        "accounts: 3 records done in 4s (0.8 records/s).",
    ]
    kept = state["bookmarks"]["accounts"]
    assert kept[FULL_READ_RECORDS_KEY] == 3
    # the SDK's bookmark and the tap's own keys stay beside it
    assert kept["replication_key"] == "dateModified"
    assert kept["replication_key_value"]
    assert "read_from" in kept
    assert "progress_markers" not in kept

    created.add(fm.create("accounts", account("one more")))
    second, state = run_tap(full, capsys, {"accounts"}, state)
    assert ids(second) == created
    assert lines() == [
        "accounts: 1 of about 3 records (33%, total from the last full read), 1.0 records/s, "
        "about 2s left",
        "accounts: 2 of about 3 records (67%, total from the last full read), 1.0 records/s, "
        "about 1s left",
        "accounts: 3 records so far (the last full read had 3), 1.0 records/s",
        "accounts: 4 records so far (the last full read had 3), 1.0 records/s",
        "accounts: 4 records done in 5s (0.8 records/s).",
    ]
    assert state["bookmarks"]["accounts"][FULL_READ_RECORDS_KEY] == 4


def test_an_incremental_read_has_no_total_and_keeps_the_full_read_count(box, fm, capsys, lines):
    """An incremental read (a bookmark, no full refresh) logs done and rate only, whatever
    the state keeps, and leaves the last full read's count as it was."""
    for n in range(2):
        fm.create("accounts", account(f"incremental {n}"))
    _, state = run_tap(tap_config(box, full_refresh=True), capsys, {"accounts"})
    assert state["bookmarks"]["accounts"][FULL_READ_RECORDS_KEY] == 2
    lines()

    later = fm.create("accounts", account("changed later"))
    incremental = tap_config(box)
    records, after = run_tap(incremental, capsys, {"accounts"}, state)
    assert later in ids(records)
    assert all(" of " not in line for line in lines())
    assert after["bookmarks"]["accounts"][FULL_READ_RECORDS_KEY] == 2


def test_the_count_in_the_state_changes_nothing_that_is_read(box, fm, capsys, lines):
    """The same state with and without the count reads the same records."""
    for n in range(3):
        fm.create("accounts", account(f"same {n}"))
    _, state = run_tap(tap_config(box, full_refresh=True), capsys, {"accounts"})
    fm.create("accounts", account("after the full read"))
    without = {
        "bookmarks": {
            name: {k: v for k, v in entry.items() if k != FULL_READ_RECORDS_KEY}
            for name, entry in state["bookmarks"].items()
        }
    }
    for config in (tap_config(box), tap_config(box, full_refresh=True)):
        with_count, _ = run_tap(config, capsys, {"accounts"}, state)
        without_count, _ = run_tap(config, capsys, {"accounts"}, without)
        assert with_count == without_count
