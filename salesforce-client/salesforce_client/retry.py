"""Which Salesforce failures are worth another attempt (the backoff is crmsync_common's)."""

from __future__ import annotations

from dataclasses import dataclass

from crmsync_common.retry import RetryPolicy as BackoffPolicy

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
class RetryPolicy(BackoffPolicy):
    """The shared backoff, with fewer attempts: Salesforce counts every one against the org's
    daily API limit."""

    max_attempts: int = 6


def is_retryable(status: int, error_code: str | None) -> bool:
    """Say whether a failed reply is transient.

    Args:
        status: HTTP status of the reply.
        error_code: the Salesforce errorCode, if the body had one.

    Returns:
        True when the same call may succeed later.
    """
    return status in RETRYABLE_STATUSES or (error_code or "") in RETRYABLE_ERROR_CODES
