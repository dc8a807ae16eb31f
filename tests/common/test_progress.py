"""Progress lines: at most one per interval, done of total, rate and time left."""

from __future__ import annotations

import logging

import pytest
from crmsync_common.progress import (
    DEFAULT_INTERVAL_SECONDS,
    INTERVAL_VARIABLE,
    Progress,
    format_duration,
    progress_interval,
)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def test_logs_at_most_once_per_interval(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    progress = Progress(logging.getLogger("t"), "accounts", interval=10, clock=clock)
    for _ in range(100):  # 100 records in 9.9 s: no line yet
        clock.now += 0.099
        progress.tick()
    assert _lines(caplog) == []
    clock.now += 0.1
    progress.tick()
    assert _lines(caplog) == ["accounts: 101 records so far, 10.1 records/s"]
    for _ in range(50):
        clock.now += 0.1
        progress.tick()
    assert len(_lines(caplog)) == 1
    clock.now += 5
    progress.tick()
    assert len(_lines(caplog)) == 2


def test_with_a_total_shows_share_rate_and_time_left(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    progress = Progress(logging.getLogger("t"), "accounts", interval=10, clock=clock)
    progress.set_total(100_000)
    clock.now += 20
    progress.tick(1_000)  # 50 records/s: 99,000 left take 33 minutes
    assert _lines(caplog) == [
        "accounts: 1,000 of 100,000 records (1%), 50.0 records/s, about 33m00s left"
    ]
    clock.now += 1980
    progress.tick(99_000)
    assert _lines(caplog)[-1] == (
        "accounts: 100,000 of 100,000 records (100%), 50.0 records/s, nothing left"
    )


def test_done_logs_count_duration_and_rate(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    progress = Progress(logging.getLogger("t"), "Contact", unit="rows", interval=10, clock=clock)
    progress.tick(30)
    clock.now += 3
    progress.done()
    assert _lines(caplog) == ["Contact: 30 rows done in 3s (10.0 rows/s)."]


def test_a_total_smaller_than_the_count_is_ignored(clock: Clock) -> None:
    """Records created while a read runs can outnumber the query's totalSize."""
    progress = Progress(logging.getLogger("t"), "a", total=2, interval=10, clock=clock)
    progress.tick(3)
    clock.now += 1
    assert progress.line() == "a: 3 records so far, 3.0 records/s"


def test_an_estimated_total_says_so_and_where_it_comes_from(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    progress = Progress(logging.getLogger("t"), "accounts", interval=10, clock=clock)
    progress.set_total(5_000, estimate="the last full read")
    clock.now += 30
    progress.tick(1_200)  # 40 records/s: 3,800 left take 1m35s
    assert _lines(caplog) == [
        "accounts: 1,200 of about 5,000 records (24%, total from the last full read), "
        "40.0 records/s, about 1m35s left"
    ]


@pytest.mark.parametrize("count", [5_000, 5_200])
def test_an_estimate_reached_or_passed_falls_back_to_so_far(clock: Clock, count: int) -> None:
    """A read that reaches its estimate is not done: no "nothing left", no negative time."""
    progress = Progress(
        logging.getLogger("t"), "a", total=5_000, estimate="the last full read", clock=clock
    )
    progress.tick(count)
    clock.now += 100
    assert progress.line() == (
        f"a: {count:,} records so far (the last full read had 5,000), {count / 100:.1f} records/s"
    )


def test_an_exact_total_replaces_an_estimate(clock: Clock) -> None:
    progress = Progress(logging.getLogger("t"), "a", total=10, estimate="a guess", clock=clock)
    progress.set_total(4)
    progress.tick(4)
    clock.now += 1
    assert progress.line() == "a: 4 of 4 records (100%), 4.0 records/s, nothing left"


def test_no_rate_yet_says_so(clock: Clock) -> None:
    progress = Progress(logging.getLogger("t"), "a", total=10, interval=10, clock=clock)
    clock.now += 1
    assert progress.line() == "a: 0 of 10 records (0%), 0.0 records/s, time left unknown"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (44.6, "45s"), (190, "3m10s"), (7500, "2h05m"), (-3, "0s")],
)
def test_durations_are_short(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("0.5", 0.5),
        ("", DEFAULT_INTERVAL_SECONDS),
        ("soon", DEFAULT_INTERVAL_SECONDS),
        ("-1", DEFAULT_INTERVAL_SECONDS),
        ("nan", DEFAULT_INTERVAL_SECONDS),
    ],
)
def test_the_interval_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, seconds: float
) -> None:
    monkeypatch.setenv(INTERVAL_VARIABLE, raw)
    assert progress_interval() == seconds
