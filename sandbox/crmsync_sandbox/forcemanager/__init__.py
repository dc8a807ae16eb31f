"""The ForceManager API v4 sandbox: `create_app` builds it for `crmsync-sandbox serve`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from crmsync_sandbox.common import CallCounter, OrjsonResponse, SandboxMiddleware, gc_paused
from crmsync_sandbox.config import SandboxConfig
from crmsync_sandbox.forcemanager.api import API_PREFIX, ForceManagerApi
from crmsync_sandbox.forcemanager.auth import SessionRegistry, load_or_create_keys
from crmsync_sandbox.forcemanager.db import Database
from crmsync_sandbox.forcemanager.ratelimit import RateLimitMiddleware
from crmsync_sandbox.forcemanager.seed import seed

__all__ = ["create_app"]


def transient_failure() -> Response:
    """The 503 of an injected fault: code 900, ForceManager's "Connection Error"."""
    body = {"code": "900", "message": "Connection Error: the service is temporarily unavailable"}
    return OrjsonResponse(body, status_code=503, headers={"Retry-After": "1"})


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    return OrjsonResponse({"code": "910", "message": "The resource does not exist"}, status)


def create_app(
    config: SandboxConfig, base_url: str, counter: CallCounter
) -> tuple[ASGIApp, dict[str, str]]:
    """Build the ForceManager sandbox app on the config's data dir.

    Seeds the database the first time it is opened (a new data dir), then serves it.

    Args:
        config: The sandbox config.
        base_url: The server root, e.g. `http://127.0.0.1:8123`.
        counter: Where served calls are counted.

    Returns:
        The app wrapped in `SandboxMiddleware`, and its `sandbox.env` entries.
    """
    with gc_paused():
        db = Database(config.data_dir)
        if db.store.is_new:
            seed(db, config)
            db.store.mark_initialised()
    keys = load_or_create_keys(db.store)
    api = ForceManagerApi(db, SessionRegistry(keys, config.forcemanager_token_ttl))
    routes = api.routes()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        db.close()

    app: ASGIApp = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_found},
    )
    if config.forcemanager_rate_limit is not None:
        app = RateLimitMiddleware(app, config.forcemanager_rate_limit)
    wrapped = SandboxMiddleware(
        app,
        counter=counter,
        routes=routes,
        failure=transient_failure,
        latency_ms=config.latency_ms,
        fail_rate=config.fail_rate,
        seed=config.seed,
    )
    env = {
        "FORCEMANAGER_BASE_URL": base_url + API_PREFIX,
        "FORCEMANAGER_PUBLIC_KEY": keys.public,
        "FORCEMANAGER_PRIVATE_KEY": keys.private,
    }
    return wrapped, env
