"""When and how long to wait before retrying a ForceManager request.

The failure policy as data: which statuses are transient, and the backoff between tries.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: 408 request timeout, 429 rate limited, and every 5xx: the same request may succeed later.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

#: Statuses after which a POST was certainly not applied, so re-sending it cannot duplicate.
SAFE_TO_RESEND_STATUSES = frozenset({429})

#: A Retry-After longer than this is capped: a stuck sync is worse than a few more 429s.
MAX_RETRY_AFTER_SECONDS = 120.0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter.

    Attributes:
        max_attempts: Tries per request, the first one included.
        base_delay: The first backoff ceiling in seconds; it doubles on every try.
        max_delay: The backoff ceiling never grows past this.
        random: Source of jitter in [0, 1) (injected by tests).
    """

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0
    random: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed try number `attempt` (1-based).

        Args:
            attempt: How many tries have failed so far.
            retry_after: The server's Retry-After in seconds, if it sent one: never wait less.

        Returns:
            The delay in seconds.
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
