"""Which ForceManager failures are worth another attempt (the backoff is crmsync_common's)."""

from __future__ import annotations

from crmsync_common.retry import RetryPolicy, parse_retry_after

__all__ = [
    "RETRYABLE_STATUSES",
    "SAFE_TO_RESEND_STATUSES",
    "RetryPolicy",
    "parse_retry_after",
]

#: 408 request timeout, 429 rate limited, and every 5xx: the same request may succeed later.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

#: Statuses after which a POST was certainly not applied, so re-sending it cannot duplicate.
SAFE_TO_RESEND_STATUSES = frozenset({429})
