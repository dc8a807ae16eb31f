"""The retry policy, as data: which failures are worth another attempt, and how long to wait."""

from __future__ import annotations

import random
from dataclasses import dataclass

#: errorCodes the API documents as transient.
RETRYABLE_ERROR_CODES = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",  # another transaction holds the row; it frees up in moments
        "SERVER_UNAVAILABLE",  # maintenance or overload
        "QUERY_TIMEOUT",  # a busy org; the same query usually passes on a second try
    }
)
#: HTTP statuses retried whatever the body says: server-side faults and overload.
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter.

    Attributes:
        max_attempts: attempts per call, the first included.
        base_delay: seconds before the second attempt (doubled each time).
        max_delay: cap on one wait, so a long outage fails within minutes, not hours.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        Args:
            attempt: how many attempts failed so far.

        Returns:
            A random wait up to the exponential cap.
        """
        cap = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(cap / 2, cap)


def is_retryable(status: int, error_code: str | None) -> bool:
    """Say whether a failed reply is transient.

    Args:
        status: HTTP status of the reply.
        error_code: the Salesforce errorCode, if the body had one.

    Returns:
        True when the same call may succeed later.
    """
    return status in RETRYABLE_STATUSES or (error_code or "") in RETRYABLE_ERROR_CODES
