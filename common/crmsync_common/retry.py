"""How long to wait before another attempt: the backoff both API clients share.

Which failures are worth another attempt is each API's own business (its client's `retry`
module says so); how long to wait between attempts is the same for both.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: A Retry-After longer than this is capped: a stuck sync is worse than a few more refusals.
MAX_RETRY_AFTER_SECONDS = 120.0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter.

    Attributes:
        max_attempts: Attempts per request, the first one included.
        base_delay: The first backoff ceiling in seconds; it doubles on every attempt.
        max_delay: The ceiling never grows past this, so a long outage fails within minutes.
        random: Source of jitter in [0, 1) (injected by tests).
    """

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0
    random: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based).

        Args:
            attempt: How many attempts have failed so far.
            retry_after: The server's Retry-After in seconds, if it sent one: never wait less.

        Returns:
            A random wait between half the ceiling and the ceiling, or the server's wait.
        """
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        jittered = ceiling * (0.5 + 0.5 * self.random())
        if retry_after is not None:
            return max(min(retry_after, MAX_RETRY_AFTER_SECONDS), jittered * 0.1)
        return jittered


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a Retry-After header: delta seconds or an HTTP date.

    Args:
        value: The header value, or None.
        now: The current time (injected by tests).

    Returns:
        Seconds to wait (never negative), or None when absent or unreadable.
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
