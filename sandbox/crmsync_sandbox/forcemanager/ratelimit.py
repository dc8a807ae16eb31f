"""The ForceManager rate limit: at most R admitted requests in any one-second window.

A sliding log of admission times enforces it exactly: a request is admitted only if fewer than
`capacity` requests were admitted in the second before it, so no one-second window (aligned or
not) ever holds more than `capacity` admitted requests. With R >= 1 the capacity is floor(R) per
1 s; with R < 1 it is one request per 1/R seconds. Refused requests (429) do not use capacity,
so a client that backs off gets through as soon as the window allows. The login counts like
any call; the `/__sandbox/` admin routes never reach this middleware.
"""

from __future__ import annotations

import math
import time
from collections import deque

from starlette.types import ASGIApp, Receive, Scope, Send

from crmsync_sandbox.common import OrjsonResponse

#: Seconds a refused client is told to wait; the window is one second long.
RETRY_AFTER_S = 1


class RateLimitMiddleware:
    """Answers 429 to requests above the configured rate."""

    def __init__(self, app: ASGIApp, requests_per_second: float) -> None:
        """Wrap an app.

        Args:
            app: The API app.
            requests_per_second: R, the admitted requests per second.
        """
        self.app = app
        if requests_per_second >= 1:
            self._capacity = math.floor(requests_per_second)
            self._window = 1.0
        else:
            self._capacity = 1
            self._window = 1.0 / requests_per_second
        self._admitted: deque[float] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Admit or refuse one request.

        Args:
            scope: The ASGI scope.
            receive: The ASGI receive channel.
            send: The ASGI send channel.
        """
        if scope["type"] != "http" or self._admit():
            await self.app(scope, receive, send)
            return
        response = OrjsonResponse(
            {"code": "429", "message": "Too many requests: rate limit exceeded"},
            status_code=429,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
        await response(scope, receive, send)

    def _admit(self) -> bool:
        now = time.monotonic()
        admitted = self._admitted
        while admitted and admitted[0] <= now - self._window:
            admitted.popleft()
        if len(admitted) >= self._capacity:
            return False
        admitted.append(now)
        return True
