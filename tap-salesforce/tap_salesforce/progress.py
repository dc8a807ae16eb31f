"""Progress lines for long extractions."""

from __future__ import annotations

import logging
import time

#: Log at most this often, so a 5-million-row load logs a few hundred lines, not millions.
PROGRESS_INTERVAL_SECONDS = 30.0


class Progress:
    """Counts records and logs ``N records so far (R/s)`` every interval.

    Args:
        logger: where to log.
        label: what is extracted (the object name and path).
        interval: seconds between lines.
    """

    def __init__(
        self, logger: logging.Logger, label: str, interval: float = PROGRESS_INTERVAL_SECONDS
    ) -> None:
        self.logger = logger
        self.label = label
        self.interval = interval
        self.count = 0
        self._started = time.monotonic()
        self._last_log = self._started

    def tick(self) -> None:
        """Count one record, logging when the interval has passed."""
        self.count += 1
        now = time.monotonic()
        if now - self._last_log >= self.interval:
            self._last_log = now
            self.logger.info(
                "%s: %d records so far (%.0f records/s).", self.label, *self._rate(now)
            )

    def done(self) -> None:
        """Log the total."""
        self.logger.info(
            "%s: %d records extracted (%.0f records/s).", self.label, *self._rate(time.monotonic())
        )

    def _rate(self, now: float) -> tuple[int, float]:
        elapsed = max(now - self._started, 1e-6)
        return self.count, self.count / elapsed
