"""Value formats of the REST API: datetimes, dates, and the org clock."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta

_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def format_datetime(moment: datetime) -> str:
    """Return ``moment`` in the REST API's format, ``2013-05-20T20:49:32.000+0000`` (UTC)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime | None:
    """Parse an ISO 8601 datetime as clients send it; naive values are UTC.

    Returns:
        The aware datetime, or ``None`` when ``text`` is not a valid datetime.
    """
    match = _DATETIME_RE.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    micro = int((frac or "0").ljust(6, "0")[:6])
    offset = timedelta()
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        naive = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro
        )
    except ValueError:
        return None
    return (naive - offset).replace(tzinfo=UTC)


def canonical_datetime(text: str) -> str | None:
    """Return ``text`` re-rendered in the API's datetime format, or ``None`` if invalid."""
    parsed = parse_datetime(text)
    return None if parsed is None else format_datetime(parsed)


def canonical_date(text: str) -> str | None:
    """Return a valid ``YYYY-MM-DD`` date (a datetime's date part is accepted), or ``None``."""
    candidate = text.strip()[:10]
    if not _DATE_RE.match(candidate):
        return None
    try:
        datetime.strptime(candidate, "%Y-%m-%d")
    except ValueError:
        return None
    return candidate


class OrgClock:
    """The org's modification clock: millisecond UTC timestamps that never go backwards.

    Several writes within one millisecond share a stamp, as ``SystemModstamp`` values do in a
    real org.
    """

    def __init__(self, last: str = "") -> None:
        self._last = last
        self._lock = threading.Lock()

    def now(self) -> str:
        """Return the current stamp in the API's datetime format."""
        stamp = format_datetime(datetime.fromtimestamp(time.time(), UTC))
        with self._lock:
            self._last = max(stamp, self._last)
            return self._last

    def observe(self, stamp: str) -> None:
        """Make sure later stamps are not before ``stamp`` (used when loading records)."""
        with self._lock:
            self._last = max(stamp, self._last)
