"""The ASGI middleware both servers share: call counting, admin routes, latency and faults."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from crmsync_sandbox.common.counter import CallCounter
from crmsync_sandbox.common.faults import Faults, FaultSettingError
from crmsync_sandbox.common.responses import OrjsonResponse
from crmsync_sandbox.common.routes import DEFAULT_ID_PARAMS, RouteTemplates

#: Prefix of the admin routes; they are neither counted, delayed nor failed.
ADMIN_PREFIX = "/__sandbox/"
CALLS_PATH = "/__sandbox/calls"
CALLS_RESET_PATH = "/__sandbox/calls/reset"
FAULTS_PATH = "/__sandbox/faults"

#: Builds the body of an injected transient failure in the emulated API's own error shape.
FailureFactory = Callable[[], Response]
#: Serves one server-specific admin route (expire-sessions, purge...).
AdminHandler = Callable[[Request], Awaitable[Response]]
#: Applies a new rate limit (requests/s, None = none) to the server that has one.
RateLimitHook = Callable[[float | None], None]

#: What uvicorn logs when an app leaves a response unfinished, which an injected reset does.
_UNFINISHED = "ASGI callable returned without completing response."


class _QuietInjectedResets(logging.Filter):
    """Keeps the deliberate half-sent responses of injected resets out of the server log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _UNFINISHED


def admin_error(status: int, message: str) -> Response:
    """An admin route's error: `{"message": ...}` with a status.

    Args:
        status: The HTTP status (400 bad body, 404 unknown object or id).
        message: What was wrong.

    Returns:
        The response.
    """
    return OrjsonResponse({"message": message}, status_code=status)


async def admin_body(request: Request) -> dict[str, object] | None:
    """The JSON object an admin route was sent (an empty body reads as `{}`).

    Args:
        request: The admin request.

    Returns:
        The object, or None when the body is not a JSON object.
    """
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


class SandboxMiddleware:
    """Pure ASGI middleware in front of one emulated API.

    It serves the admin routes (`GET /__sandbox/calls`, `POST /__sandbox/calls/reset`,
    `GET`/`POST /__sandbox/faults` and the server's own `admin` routes), counts every other
    HTTP request by its key (see `RouteTemplates`), sleeps `latency_ms` (asynchronously, so
    concurrent requests overlap as they would against a remote API) and answers a `fail_rate`
    share of requests with the API's transient 503, drawn from an RNG seeded for reproducible
    runs. A `reset_share` of those failures are connection resets instead: the 503 starts, half
    its body is sent and the connection is closed. Failures, resets included, are decided
    before the API sees the request, so a failed write was never applied and a client may
    always send it again.
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
        reset_share: float = 0.0,
        seed: int | None = None,
        id_params: Collection[str] = DEFAULT_ID_PARAMS,
        rate_limit: float | None = None,
        on_rate_limit: RateLimitHook | None = None,
        admin: Mapping[tuple[str, str], AdminHandler] | None = None,
    ) -> None:
        """Wrap an app.

        Args:
            app: The emulated API.
            counter: Where served calls are counted.
            routes: The app's route table, to name each call by its template.
            failure: Builds the 503 response of an injected failure.
            latency_ms: Latency added to every API call (until changed at runtime).
            fail_rate: Share of API calls answered by `failure()` (until changed at runtime).
            reset_share: Share of those failures that are connection resets instead.
            seed: Seed of the failure RNG; None draws a random seed.
            id_params: Path parameters holding record ids, `{id}` in call keys.
            rate_limit: The initial rate limit, as reported by `GET /__sandbox/faults`.
            on_rate_limit: Applies a new rate limit; None when the server has none.
            admin: Server-specific admin routes by `(method, path)`.
        """
        self.app = app
        self.counter = counter
        self._templates = RouteTemplates(routes, id_params)
        self._failure = failure
        self.faults = Faults(
            fail_rate=fail_rate,
            latency_ms=latency_ms,
            rate_limit=rate_limit,
            reset_share=reset_share,
        )
        self._on_rate_limit = on_rate_limit
        self._admin_routes = dict(admin or {})
        self._rng = random.Random(seed)
        uvicorn_log = logging.getLogger("uvicorn.error")
        if not any(isinstance(f, _QuietInjectedResets) for f in uvicorn_log.filters):
            uvicorn_log.addFilter(_QuietInjectedResets())

    def set_faults(self, faults: Faults) -> None:
        """Replace the fault injection from the next request on.

        Args:
            faults: The complete new setting.
        """
        self.faults = faults
        if self._on_rate_limit is not None:
            self._on_rate_limit(faults.rate_limit)

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
        faults = self.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.fail_rate:
            draw = self._rng.random()
            if draw < faults.fail_rate * faults.reset_share:
                await self._reset(scope, receive, send)
                return
            if draw < faults.fail_rate:
                await self._failure()(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _reset(self, _scope: Scope, _receive: Receive, send: Send) -> None:
        """Start the 503 and stop half-way: the server closes the unfinished connection."""
        response = self._failure()
        body = bytes(response.body)
        start = {"status": response.status_code, "headers": response.raw_headers}
        await send({"type": "http.response.start", **start})
        half = body[: len(body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        handler = self._admin_routes.get((method, path))
        if handler is not None:
            response = await handler(Request(scope, receive))
        elif path == CALLS_PATH and method == "GET":
            response = OrjsonResponse(self.counter.snapshot())
        elif path == CALLS_RESET_PATH and method == "POST":
            self.counter.reset()
            response = OrjsonResponse({"total": 0, "by_route": {}})
        elif path == FAULTS_PATH and method in {"GET", "POST"}:
            response = await self._faults_route(Request(scope, receive))
        else:
            response = admin_error(404, "unknown sandbox admin route")
        await response(scope, receive, send)

    async def _faults_route(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                faults = Faults.from_body(await admin_body(request))
            except FaultSettingError as error:
                return admin_error(400, str(error))
            self.set_faults(faults)
        return OrjsonResponse(self.faults.as_dict())
