"""The ForceManager rate limit: at most R admitted requests in any one-second window.

A sliding log of admission times enforces it: a request is admitted only if fewer than
`capacity` requests were admitted in the second before it (less the sandbox's own timing noise,
`ARRIVAL_JITTER_S`), so no window of that length, aligned or not, holds more than `capacity`
admitted requests. With R >= 1 the capacity is floor(R) per
1 s; with R < 1 it is one request per 1/R seconds. Refused requests (429) do not use capacity,
so a client that backs off gets through as soon as the window allows. The login counts like
any call; the `/__sandbox/` admin routes never reach this middleware. `POST /__sandbox/faults`
changes the rate at runtime (`configure`); with no rate every request is admitted.
"""

from __future__ import annotations

import math
import time
from collections import deque

from starlette.types import ASGIApp, Receive, Scope, Send

from crmsync_sandbox.common import OrjsonResponse

#: Fewest seconds a refused client is told to wait (Retry-After is whole seconds).
RETRY_AFTER_S = 1
#: The sandbox stamps a request when its event loop gets to it, which on a busy machine can be
#: tens of milliseconds after it arrived; a server measuring at its edge does not see that
#: delay. The window is this much shorter, so a client pacing exactly at the limit is not
#: refused for the sandbox's own scheduling noise (at 4/s it is 3% of the window).
ARRIVAL_JITTER_S = 0.03


class RateLimitMiddleware:
    """Answers 429 to requests above the configured rate."""

    def __init__(self, app: ASGIApp, requests_per_second: float | None) -> None:
        """Wrap an app.

        Args:
            app: The API app.
            requests_per_second: R, the admitted requests per second; None admits everything.
        """
        self.app = app
        self._capacity = 0
        self._window = 1.0
        self._admitted: deque[float] = deque()
        self.configure(requests_per_second)

    def configure(self, requests_per_second: float | None) -> None:
        """Set the rate from now on (the window starts afresh).

        Args:
            requests_per_second: R, the admitted requests per second; None admits everything.
        """
        self._admitted = deque()
        if requests_per_second is None:
            self._capacity = 0
        elif requests_per_second >= 1:
            self._capacity = math.floor(requests_per_second)
            self._window = 1.0
        else:
            self._capacity = 1
            self._window = 1.0 / requests_per_second

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Admit or refuse one request.

        Args:
            scope: The ASGI scope.
            receive: The ASGI receive channel.
            send: The ASGI send channel.
        """
        if scope["type"] != "http" or not self._capacity:
            await self.app(scope, receive, send)
            return
        if self._admit():
            await self.app(scope, receive, send)
            return
        response = OrjsonResponse(
            {"code": "429", "message": "Too many requests: rate limit exceeded"},
            status_code=429,
            headers={"Retry-After": str(self._retry_after())},
        )
        await response(scope, receive, send)

    def _admit(self) -> bool:
        now = time.monotonic()
        admitted = self._admitted
        while admitted and admitted[0] <= now - self._window + ARRIVAL_JITTER_S:
            admitted.popleft()
        if len(admitted) >= self._capacity:
            return False
        admitted.append(now)
        return True

    def _retry_after(self) -> int:
        """Whole seconds until the window admits again (at least `RETRY_AFTER_S`)."""
        if not self._admitted:
            return RETRY_AFTER_S
        wait = self._admitted[0] + self._window - time.monotonic()
        return max(RETRY_AFTER_S, math.ceil(wait))
