"""ForceManager's timestamp formats: UTC with `Z` and 0-3 fractional digits, trailing zeros cut."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Accepts `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` (the documented request form) and ISO 8601 with
# `T`, optional fractional seconds and an optional `Z` or offset.
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?)?$"
)
_HOUR = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
#: Parsed stored values, memoised: `where` filters compare the same stored strings again and
#: again, and parsing dominates their cost.
_PARSED: dict[str, datetime] = {}
_MEMO_LIMIT = 2_000_000


def now() -> datetime:
    """The current UTC instant at millisecond precision, as the API stores it."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def format_timestamp(moment: datetime) -> str:
    """Render an instant the way ForceManager does.

    Args:
        moment: An aware or naive-UTC datetime.

    Returns:
        E.g. `2021-11-25T12:30:31.18Z` (0-3 fractional digits, trailing zeros trimmed).
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    millis = moment.microsecond // 1000
    # isoformat is C code and several times faster than strftime, which matters when seeding.
    text = moment.replace(microsecond=0).isoformat()
    if millis:
        text += "." + f"{millis:03d}".rstrip("0")
    return text + "Z"


def parse_timestamp(text: str) -> datetime | None:
    """Parse a date or date-time literal as a client may send it.

    Args:
        text: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or ISO 8601 (fraction and zone optional;
            no zone means UTC).

    Returns:
        The aware UTC datetime, or None if the text is not a date.
    """
    match = _DATETIME.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micros,
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if zone and zone != "Z":
        offset = datetime.strptime(zone.replace(":", ""), "%z").utcoffset()
        if offset:
            moment -= offset
    return moment


def stored_moment(text: str) -> datetime:
    """Parse a timestamp the server itself stored (always valid), memoised.

    Args:
        text: A stored timestamp.

    Returns:
        The aware UTC datetime.
    """
    moment = _PARSED.get(text)
    if moment is None:
        parsed = parse_timestamp(text)
        if parsed is None:  # pragma: no cover - stored values are always canonical
            raise ValueError(f"not a stored timestamp: {text!r}")
        if len(_PARSED) >= _MEMO_LIMIT:
            _PARSED.clear()
        _PARSED[text] = moment = parsed
    return moment


def canonical_timestamp(text: str) -> str | None:
    """Normalise a client's date-time to the stored form.

    Args:
        text: A date or date-time literal.

    Returns:
        The canonical text, or None if it is not a date.
    """
    moment = parse_timestamp(text)
    if moment is None:
        return None
    return format_timestamp(moment.replace(microsecond=moment.microsecond // 1000 * 1000))


def is_hour(text: str) -> bool:
    """Whether a value is an `HH:MM` time of day.

    Args:
        text: The value.

    Returns:
        True for `00:00` to `23:59`.
    """
    return bool(_HOUR.match(text))
