"""Progress lines for long steps: records done (of the total, where known), rate, time left.

Both taps and both CRM targets log through `Progress`, at most once per interval (10 s unless
`CRMSYNC_PROGRESS_SECONDS` says otherwise), so that an initial sync that takes hours shows it
is moving, while a 5-million-row read logs a few hundred lines, not millions:

    accounts: 1,200 of 5,000 records (24%), 40.0 records/s, about 1m35s left
    contacts: 800 records so far, 55.2 records/s

A total that is only an estimate says so and names where it comes from; once the count
reaches it, the line says "so far" instead of counting down past zero:

    accounts: 1,200 of about 5,000 records (24%, total from the last full read), 40.0
    records/s, about 1m35s left
    accounts: 5,200 records so far (the last full read had 5,000), 40.0 records/s
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable

#: The variable that sets the interval in seconds (tests shorten it).
INTERVAL_VARIABLE = "CRMSYNC_PROGRESS_SECONDS"
DEFAULT_INTERVAL_SECONDS = 10.0


def progress_interval() -> float:
    """Seconds between progress lines: `CRMSYNC_PROGRESS_SECONDS`, else 10.

    A value that is not a positive number is ignored (the default applies).
    """
    raw = os.environ.get(INTERVAL_VARIABLE, "").strip()
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_INTERVAL_SECONDS
    return value if value > 0 and math.isfinite(value) else DEFAULT_INTERVAL_SECONDS


def format_duration(seconds: float) -> str:
    """A short duration: `45s`, `3m10s`, `2h05m`."""
    whole = max(round(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Counts what a step has done and logs how far it is, at most once per interval.

    Args:
        logger: where the lines go.
        label: what is being done (`accounts`, `Account -> ForceManager`).
        total: how many records there are to do, where known (it may be set later).
        estimate: where the total comes from when it is only an estimate, as a noun phrase
            (`the last full read`); None when the total is exact.
        unit: what is counted.
        interval: seconds between lines (default: `progress_interval()`).
        clock: monotonic seconds (injected by tests).
    """

    def __init__(
        self,
        logger: logging.Logger,
        label: str,
        *,
        total: int | None = None,
        estimate: str | None = None,
        unit: str = "records",
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.label = label
        self.total = total
        self.estimate = estimate
        self.unit = unit
        self.interval = progress_interval() if interval is None else interval
        self.clock = clock
        self.count = 0
        self._started = clock()
        self._last_log = self._started

    def set_total(self, total: int | None, *, estimate: str | None = None) -> None:
        """Set (or correct) how many records there are to do.

        Args:
            total: the count, None when unknown.
            estimate: where the count comes from when it is only an estimate (see the class).
        """
        self.total = total
        self.estimate = estimate

    def tick(self, count: int = 1) -> None:
        """Count `count` more records done, logging a line when the interval has passed."""
        self.count += count
        now = self.clock()
        if now - self._last_log >= self.interval:
            self._last_log = now
            self.logger.info("%s", self.line(now))

    def done(self) -> None:
        """Log the final count and rate."""
        now = self.clock()
        elapsed = now - self._started
        self.logger.info(
            "%s: %s %s done in %s (%s %s/s).",
            self.label,
            f"{self.count:,}",
            self.unit,
            format_duration(elapsed),
            f"{self.rate(now):.1f}",
            self.unit,
        )

    def rate(self, now: float | None = None) -> float:
        """Records per second since the start."""
        elapsed = (self.clock() if now is None else now) - self._started
        return self.count / elapsed if elapsed > 0 else 0.0

    def line(self, now: float | None = None) -> str:
        """The progress line as of `now`."""
        now = self.clock() if now is None else now
        rate = self.rate(now)
        speed = f"{rate:.1f} {self.unit}/s"
        # Records created during a read can outnumber a total; an estimate reached is no end.
        past = self.total is not None and (
            self.count > self.total or (self.estimate is not None and self.count == self.total)
        )
        if self.total is None or past:
            known = f" ({self.estimate} had {self.total:,})" if past and self.estimate else ""
            return f"{self.label}: {self.count:,} {self.unit} so far{known}, {speed}"
        share = self.count / self.total if self.total else 1.0
        left = self.total - self.count
        if left == 0:
            eta = "nothing left"
        elif rate > 0:
            eta = f"about {format_duration(left / rate)} left"
        else:
            eta = "time left unknown"
        if self.estimate is not None:
            return (
                f"{self.label}: {self.count:,} of about {self.total:,} {self.unit} "
                f"({share:.0%}, total from {self.estimate}), {speed}, {eta}"
            )
        return (
            f"{self.label}: {self.count:,} of {self.total:,} {self.unit} ({share:.0%}), "
            f"{speed}, {eta}"
        )
