"""A requests session that logs in, keeps the session key fresh, rate-limits and retries.

Every HTTP call to ForceManager goes through `ForceManagerSession.send`, whether it comes from
`ForceManagerClient` (the target) or from the Singer SDK's request path (the tap), so login,
re-login, the rate limit and the retry policy live in exactly one place.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from crmsync_common.apicalls import LEDGER, CallCounter
from requests.adapters import HTTPAdapter
from typing_extensions import override

from forcemanager_client.errors import error_from_response, is_session_expired
from forcemanager_client.exceptions import (
    ForceManagerAuthError,
    ForceManagerConnectionError,
    ForceManagerError,
    ForceManagerRateLimitError,
    ForceManagerTransientError,
)
from forcemanager_client.ratelimit import RateLimiter
from forcemanager_client.retry import (
    RETRYABLE_STATUSES,
    SAFE_TO_RESEND_STATUSES,
    RetryPolicy,
    parse_retry_after,
)

logger = logging.getLogger(__name__)

SESSION_HEADER = "X-Session-Key"

#: (connect, read) seconds: a connect never takes long; a large page may.
DEFAULT_TIMEOUT = (10.0, 120.0)

#: A token is refreshed this many times in a row at most before the failure is reported:
#: a session that expires again right after a fresh login means something else is wrong.
MAX_RELOGINS_PER_REQUEST = 2

#: Methods that are safe to re-send after an ambiguous failure (5xx, timeout): the request may
#: have been applied, and applying it twice gives the same result.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class _RetryableError(Exception):
    """Internal: this try failed transiently; wait and retry."""

    def __init__(self, error: ForceManagerError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class ForceManagerSession(requests.Session):
    """A `requests.Session` bound to one ForceManager tenant.

    Thread-safe for concurrent `send` calls: the token is refreshed under a lock, and the rate
    limiter is shared by every thread (the login call counts against it too).
    """

    def __init__(
        self,
        base_url: str,
        public_key: str,
        private_key: str,
        *,
        requests_per_second: float = 4.0,
        retry_policy: RetryPolicy | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        pool_size: int = 10,
        sleep: Callable[[float], None] = time.sleep,
        calls: CallCounter | None = None,
    ) -> None:
        """Create a session (no call is made until the first request).

        Args:
            base_url: API base, e.g. `https://api.forcemanager.com/api/v4`.
            public_key: The API public key (sent as `username` to `/login`).
            private_key: The API private key (sent as `password` to `/login`).
            requests_per_second: Client-side rate limit; 0 disables it.
            retry_policy: Backoff and number of tries.
            timeout: Default (connect, read) timeout for requests that set none.
            pool_size: Connections kept open (at least the number of worker threads).
            sleep: Sleep function (injected by tests).
            calls: Where every request sent is counted (by default the process's ForceManager
                counter, which the step's `CallRecorder` records).
        """
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self._public_key = public_key
        self._private_key = private_key
        self.limiter = RateLimiter(requests_per_second)
        self.retry_policy = retry_policy or RetryPolicy()
        self.default_timeout = timeout
        self._sleep = sleep
        self._token: str | None = None
        self._token_lock = threading.Lock()
        self.login_count = 0
        self.calls = calls or LEDGER.side("forcemanager")
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self.headers.update({"Accept": "application/json", "Content-Type": "application/json"})

    @property
    def secrets(self) -> list[str | None]:
        """Values that must never appear in a log line or error message."""
        return [self._private_key, self._public_key, self._token]

    def token(self) -> str:
        """Return the current session key, logging in first if there is none."""
        with self._token_lock:
            if self._token is None:
                self._token = self._login()
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget `token` if it is still the current one (another thread may have renewed it)."""
        with self._token_lock:
            if self._token == token:
                self._token = None

    def _login(self) -> str:
        """POST /login with the keys; retried like any call, counted by the rate limit."""
        request = requests.Request(
            "POST",
            f"{self.base_url}/login",
            json={"username": self._public_key, "password": self._private_key},
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        ).prepare()
        response = self._send_with_retries(request, {}, authenticate=False)
        if response.status_code != 200:
            raise error_from_response(
                response, self.secrets, error_class=ForceManagerAuthError
            ) from None
        try:
            token = response.json()["token"]
        except (ValueError, KeyError, TypeError):
            raise ForceManagerAuthError(
                response.status_code, None, "login answered without a token", method="POST"
            ) from None
        self.login_count += 1
        logger.info("Logged in to ForceManager at %s", self.base_url)
        return str(token)

    @override
    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send `request` with a session key, within the rate limit, retrying transient failures.

        Returns:
            The final response: 2xx, or a 4xx the caller decides about.

        Raises:
            ForceManagerAuthError: Login failed.
            ForceManagerTransientError: A transient failure outlasted every retry, or a POST
                failed ambiguously (5xx, timeout) and might have been applied.
        """
        return self._send_with_retries(request, kwargs, authenticate=True)

    def _send_with_retries(
        self, request: requests.PreparedRequest, kwargs: dict[str, Any], *, authenticate: bool
    ) -> requests.Response:
        relogins = 0
        attempt = 0
        while True:
            attempt += 1
            token = self.token() if authenticate else None
            if token is not None:
                request.headers[SESSION_HEADER] = token
            try:
                response = self._send_once(request, kwargs)
                if authenticate and is_session_expired(response):
                    if relogins >= MAX_RELOGINS_PER_REQUEST:
                        raise error_from_response(
                            response, self.secrets, error_class=ForceManagerAuthError
                        )
                    relogins += 1
                    attempt -= 1  # a re-login is not a failed try of the request itself
                    logger.info("ForceManager session expired; logging in again")
                    self.invalidate(token or "")
                    continue
                return response
            except _RetryableError as retry:
                if attempt >= self.retry_policy.max_attempts:
                    raise retry.error from None
                self.calls.retried()
                delay = self.retry_policy.delay(attempt, retry.retry_after)
                if retry.retry_after is not None:
                    self.limiter.pause(delay)
                logger.warning(
                    "ForceManager %s %s failed (%s); retry %d of %d in %.1f s",
                    request.method,
                    _path(request),
                    _short(retry.error),
                    attempt,
                    self.retry_policy.max_attempts - 1,
                    delay,
                )
                self._sleep(delay)

    def _send_once(
        self, request: requests.PreparedRequest, kwargs: dict[str, Any]
    ) -> requests.Response:
        """One try: wait for a rate slot, send, classify transient failures as retryable."""
        resend_safe = (request.method or "GET").upper() in IDEMPOTENT_METHODS or _is_login(request)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        self.limiter.acquire()
        self.calls.sent(request.method or "GET", _path(request), auth=_is_login(request))
        try:
            response = super().send(request, **kwargs)
        except (
            requests.exceptions.ConnectTimeout,
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,  # reset while the body was read
        ) as exc:
            # A connection that was never made sent nothing; a dropped one may have applied it.
            error = ForceManagerConnectionError(
                0, None, type(exc).__name__, method=request.method or "", path=_path(request)
            )
            if resend_safe or isinstance(exc, requests.exceptions.ConnectTimeout):
                raise _RetryableError(error) from None
            raise error from None
        except requests.exceptions.Timeout as exc:
            error = ForceManagerConnectionError(
                0, None, type(exc).__name__, method=request.method or "", path=_path(request)
            )
            if resend_safe:
                raise _RetryableError(error) from None
            raise error from None
        if response.status_code not in RETRYABLE_STATUSES:
            return response
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        error_class = (
            ForceManagerRateLimitError
            if response.status_code == 429
            else ForceManagerTransientError
        )
        error = error_from_response(response, self.secrets, error_class=error_class)
        if resend_safe or response.status_code in SAFE_TO_RESEND_STATUSES:
            raise _RetryableError(error, retry_after)
        raise error


def _is_login(request: requests.PreparedRequest) -> bool:
    return _path(request).endswith("/login")


def _path(request: requests.PreparedRequest) -> str:
    """The request path without the query string (which may hold customer data)."""
    return urlsplit(request.url or "").path


def _short(error: ForceManagerError) -> str:
    if isinstance(error, ForceManagerTransientError) and error.status:
        return f"HTTP {error.status}"
    return str(getattr(error, "message", error))
