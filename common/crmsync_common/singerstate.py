"""The bookmarks of a tap's input state, readable before the Singer SDK loads it.

The SDK discovers streams before it loads the state, so a tap that keeps metadata in its state
(a describe, a schema) reads the bookmarks itself.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any


def input_bookmarks(state: dict[str, Any] | str | PurePath | None) -> dict[str, Any]:
    """The `bookmarks` of a tap's `state` argument (a dict or a state file's path).

    Args:
        state: What the tap was given.

    Returns:
        The bookmarks by stream, empty when there are none.
    """
    if isinstance(state, str | PurePath):
        state = json.loads(Path(state).read_text(encoding="utf-8") or "{}")
    return dict((state or {}).get("bookmarks") or {})


def kept_entry(
    bookmarks: dict[str, Any], stream: str, key: str, *, max_age_minutes: int, refresh: bool
) -> dict[str, Any] | None:
    """Metadata a tap kept in a stream's state (`{"read_at": ISO time, ...}`), while usable.

    Args:
        bookmarks: The input state's bookmarks (see `input_bookmarks`).
        stream: The stream whose state holds the entry.
        key: The entry's key in that state.
        max_age_minutes: Oldest usable age; 0 or less keeps nothing.
        refresh: True when the run reads everything again (a full refresh).

    Returns:
        The entry, or None when refreshing, absent, unreadable or older than `max_age_minutes`.
    """
    entry = (bookmarks.get(stream) or {}).get(key)
    if refresh or max_age_minutes <= 0 or not isinstance(entry, dict):
        return None
    try:
        read_at = parse_moment(str(entry["read_at"]))
    except (KeyError, ValueError):
        return None
    return entry if datetime.now(UTC) - read_at < timedelta(minutes=max_age_minutes) else None


def parse_moment(text: str) -> datetime:
    """An ISO time kept in a state; one without an offset is UTC.

    Raises:
        ValueError: If the text is not an ISO time.
    """
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
