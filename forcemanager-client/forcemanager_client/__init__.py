"""ForceManager API v4 client shared by tap-forcemanager and target-forcemanager."""

from forcemanager_client.client import (
    DEFAULT_BASE_URL,
    DEFAULT_PAGE_SIZE,
    DEFAULT_REQUESTS_PER_SECOND,
    ForceManagerClient,
    page_size_headers,
)
from forcemanager_client.exceptions import (
    ForceManagerAPIError,
    ForceManagerAuthError,
    ForceManagerConnectionError,
    ForceManagerError,
    ForceManagerRateLimitError,
    ForceManagerRecordError,
    ForceManagerTransientError,
)
from forcemanager_client.ratelimit import RateLimiter
from forcemanager_client.retry import RetryPolicy
from forcemanager_client.session import ForceManagerSession

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_REQUESTS_PER_SECOND",
    "ForceManagerAPIError",
    "ForceManagerAuthError",
    "ForceManagerClient",
    "ForceManagerConnectionError",
    "ForceManagerError",
    "ForceManagerRateLimitError",
    "ForceManagerRecordError",
    "ForceManagerSession",
    "ForceManagerTransientError",
    "RateLimiter",
    "RetryPolicy",
    "page_size_headers",
]
