"""The ASGI middleware both servers share: call counting, latency and fault injection."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Collection, Sequence

from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from crmsync_sandbox.common.counter import CallCounter
from crmsync_sandbox.common.responses import OrjsonResponse
from crmsync_sandbox.common.routes import DEFAULT_ID_PARAMS, RouteTemplates

#: Prefix of the admin routes; they are neither counted, delayed nor failed.
ADMIN_PREFIX = "/__sandbox/"
CALLS_PATH = "/__sandbox/calls"
CALLS_RESET_PATH = "/__sandbox/calls/reset"

#: Builds the body of an injected transient failure in the emulated API's own error shape.
FailureFactory = Callable[[], Response]


class SandboxMiddleware:
    """Pure ASGI middleware in front of one emulated API.

    It serves `GET /__sandbox/calls` and `POST /__sandbox/calls/reset`, counts every other HTTP
    request by route template, sleeps `latency_ms` (asynchronously, so concurrent requests
    overlap as they would against a remote API) and answers a `fail_rate` share of requests
    with the API's transient 503, drawn from an RNG seeded for reproducible runs.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        counter: CallCounter,
        routes: Sequence[BaseRoute],
        failure: FailureFactory,
        latency_ms: int = 0,
        fail_rate: float = 0.0,
        seed: int | None = None,
        id_params: Collection[str] = DEFAULT_ID_PARAMS,
    ) -> None:
        """Wrap an app.

        Args:
            app: The emulated API.
            counter: Where served calls are counted.
            routes: The app's route table, to name each call by its template.
            failure: Builds the 503 response of an injected failure.
            latency_ms: Latency added to every API call.
            fail_rate: Share of API calls answered by `failure()`.
            seed: Seed of the failure RNG; None draws a random seed.
            id_params: Path parameters holding record ids, `{id}` in call keys.
        """
        self.app = app
        self.counter = counter
        self._templates = RouteTemplates(routes, id_params)
        self._failure = failure
        self._latency_s = latency_ms / 1000
        self._fail_rate = fail_rate
        self._rng = random.Random(seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI event.

        Args:
            scope: The ASGI scope.
            receive: The ASGI receive channel.
            send: The ASGI send channel.
        """
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX):
            await self._admin(scope, receive, send)
            return
        self.counter.add(self._templates.key(scope))
        if self._latency_s:
            await asyncio.sleep(self._latency_s)
        if self._fail_rate and self._rng.random() < self._fail_rate:
            await self._failure()(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        if path == CALLS_PATH and method == "GET":
            response: Response = OrjsonResponse(self.counter.snapshot())
        elif path == CALLS_RESET_PATH and method == "POST":
            self.counter.reset()
            response = OrjsonResponse({"total": 0, "by_route": {}})
        else:
            response = OrjsonResponse({"message": "unknown sandbox admin route"}, status_code=404)
        await response(scope, receive, send)
