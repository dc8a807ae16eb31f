"""The ForceManager API v4 sandbox: `create_app` builds it for `crmsync-sandbox serve`.

It follows docs/reference-forcemanager.md, quirks included. Where the reference leaves a
behaviour open ([?]), this emulator chooses as follows, and clients must not rely on more:

- Login: `POST /api/v4/login` `{"username": public key, "password": private key}` gives
  `{"token"}`; bad keys give 401 `{"code": "1", ...}`. Session keys are opaque, live
  `--token-ttl-forcemanager` seconds (default 3600), many at once, and do not survive a
  restart (clients re-login on 401 `{"code": "2"}`, as ForceManager's own bridge does).
- Owners: an omitted owner field (`salesRepId1` on accounts, `salesRepId` elsewhere) defaults
  to the user the session belongs to (user 1, "API Integration"): that is how the sync leaves
  records whose owner has no counterpart to the API user. An explicit null is a 400.
- Writes: unknown fields, read-only fields (`id`, the audit block) and unknown `Z_` keys are a
  400 naming the field; references must be ints naming an existing row (deleted rows count);
  booleans accept true/false/0/1; dates accept `YYYY-MM-DD[ HH:MM:SS]` and ISO 8601 and are
  stored as UTC with `Z` and 0-3 fractional digits, trailing zeros trimmed. `dateUpdated` is
  not touched by a delete; deleting twice is harmless.
- Where the published sources disagree, both ways are taken: an opportunity create needs
  `statusId` or `accountId1`; a contact takes a `branchId` without requiring one; an
  opportunity's type reads as `type_id` and is written and filtered as `type_id` or `typeId`
  (both in one body must agree).
- Lists: page size from `Count` or `X-FM-Entity-Count` (any case; default 50, cut to 1000);
  `X-FM-Next-Page` equals `X-FM-Page` on the last (short) page. Filters are described in
  `where.py` (case-insensitive text, SQL null logic, code 901 on any error).
- Extra fields: `list` fields hold one of the definition's `values` (strings); every defined
  extra field is present on read, null when unset.
- Rate limit: a sliding one-second window, see `ratelimit.py`; 429 `{"code": "429"}` with
  `Retry-After`. Injected faults are 503 `{"code": "900"}` with `Retry-After: 1` (or, for a
  `reset_share` of them, that 503 cut off mid-body).
- Runtime controls (`/__sandbox/faults`, `expire-sessions`, `sessions`, `silent-update`,
  `purge`): see `admin.py` and `common/middleware.py`.
"""

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
from crmsync_sandbox.forcemanager.admin import ForceManagerAdmin
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
    sessions = SessionRegistry(keys, config.forcemanager_token_ttl)
    api = ForceManagerApi(db, sessions)
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
    limiter = RateLimitMiddleware(app, config.forcemanager_rate_limit)
    wrapped = SandboxMiddleware(
        limiter,
        counter=counter,
        routes=routes,
        failure=transient_failure,
        latency_ms=config.latency_ms,
        fail_rate=config.fail_rate,
        reset_share=config.reset_share,
        seed=config.seed,
        rate_limit=config.forcemanager_rate_limit,
        on_rate_limit=limiter.configure,
        admin=ForceManagerAdmin(db, sessions).routes(),
    )
    env = {
        "FORCEMANAGER_BASE_URL": base_url + API_PREFIX,
        "FORCEMANAGER_PUBLIC_KEY": keys.public,
        "FORCEMANAGER_PRIVATE_KEY": keys.private,
    }
    return wrapped, env
