"""The Salesforce sandbox ASGI app: routes, the token endpoint, admin routes, and wiring."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from crmsync_sandbox.common import CallCounter, RecordStore, SandboxMiddleware
from crmsync_sandbox.config import SandboxConfig
from crmsync_sandbox.salesforce import bulk, composite, composite_request, query, sobjects, tooling
from crmsync_sandbox.salesforce.admin import SalesforceAdmin
from crmsync_sandbox.salesforce.auth import (
    AuthorizePageError,
    Credentials,
    JwtCertificate,
    Sessions,
    parse_basic,
)
from crmsync_sandbox.salesforce.bulk import BulkJobs
from crmsync_sandbox.salesforce.exceptions import OAuthError
from crmsync_sandbox.salesforce.org import Org
from crmsync_sandbox.salesforce.query import QueryCursors
from crmsync_sandbox.salesforce.rest import (
    BULK_BATCHES_MAX,
    BULK_QUERY_JOBS_MAX,
    MAX_VERSION,
    MIN_VERSION,
    ApiUsage,
    Ctx,
    OrgState,
    data_route,
    json_response,
)
from crmsync_sandbox.salesforce.seed import login_username, seed

DB_FILE = "salesforce.sqlite"
LIMITS_ADMIN_PATH = "/__sandbox/salesforce/limits"
_RELEASES = {50: "Winter '21", 51: "Spring '21", 52: "Summer '21", 53: "Winter '22",
             54: "Spring '22", 55: "Summer '22", 56: "Winter '23", 57: "Spring '23",
             58: "Summer '23", 59: "Winter '24", 60: "Spring '24", 61: "Summer '24",
             62: "Winter '25"}  # fmt: skip
_V = "/services/data/{version}"
_DATA_PREFIX = "/services/data/"
_GET, _POST, _PATCH, _DELETE, _PUT = ["GET"], ["POST"], ["PATCH"], ["DELETE"], ["PUT"]
#: Path parameters that hold ids, ``{id}`` in call keys: record ids, external id values (a
#: record's id in the other system), query locators (``01g...``) and Bulk 2.0 job ids (``750...``).
#: The version, object, field and result-kind segments stay as sent.
ID_PARAMS = frozenset({"id", "value", "locator", "job_id"})


async def _versions(_request: Request) -> Response:
    return json_response(
        [
            {"label": _RELEASES[v], "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(MIN_VERSION, MAX_VERSION + 1)
        ]
    )


def _token_endpoint(state: OrgState) -> Callable[[Request], Awaitable[Response]]:
    async def token(request: Request) -> Response:
        # The form is parsed by hand: a url-encoded body needs no multipart library.
        fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        try:
            body = state.sessions.grant(fields, parse_basic(request.headers.get("authorization")))
        except OAuthError as error:
            return json_response(
                {"error": error.error, "error_description": error.description}, error.status
            )
        return json_response(body)

    return token


def _authorize_endpoint(state: OrgState) -> Callable[[Request], Awaitable[Response]]:
    """``GET /services/oauth2/authorize``: consent at once and redirect with a code."""

    async def authorize(request: Request) -> Response:
        try:
            location = state.sessions.authorize(dict(request.query_params))
        except AuthorizePageError as error:
            return PlainTextResponse(str(error), 400)
        return RedirectResponse(location, 302)

    return authorize


def _userinfo_endpoint(state: OrgState) -> Callable[[Request], Awaitable[Response]]:
    """``GET /services/oauth2/userinfo``: who a bearer token logs in as."""

    async def userinfo(request: Request) -> Response:
        claims = state.sessions.userinfo(request.headers.get("authorization"))
        if claims is None:
            return PlainTextResponse("Bad_OAuth_Token", 403)
        return json_response(claims)

    return userinfo


async def _limits(ctx: Ctx) -> Response:
    usage = ctx.state.usage

    def pair(max_: int, used: int) -> dict[str, int]:
        return {"Max": max_, "Remaining": max(max_ - used, 0)}

    return json_response(
        {
            "DailyApiRequests": pair(usage.max, usage.used),
            "DailyBulkApiBatches": pair(BULK_BATCHES_MAX, usage.bulk_batches),
            "DailyBulkV2QueryJobs": pair(BULK_QUERY_JOBS_MAX, usage.bulk_query_jobs),
            "DailyBulkV2QueryFileStorageMB": pair(976_562, 0),
            "DataStorageMB": pair(5, 0),
            "FileStorageMB": pair(20, 0),
            "ConcurrentAsyncGetReportInstances": pair(200, 0),
        }
    )


def _route_spec() -> list[tuple[str, Any, list[str]]]:
    """Return ``(path below /services/data/{version}, handler, methods)`` of every data route."""
    return [
        ("/", sobjects.resources, _GET),
        ("/limits", _limits, _GET),
        ("/limits/", _limits, _GET),
        ("/sobjects", sobjects.describe_global, _GET),
        ("/sobjects/", sobjects.describe_global, _GET),
        ("/sobjects/{sobject}", sobjects.basic_info, _GET),
        ("/sobjects/{sobject}", sobjects.create, _POST),
        ("/sobjects/{sobject}/", sobjects.basic_info, _GET),
        ("/sobjects/{sobject}/", sobjects.create, _POST),
        ("/sobjects/{sobject}/describe", sobjects.describe, _GET),
        ("/sobjects/{sobject}/describe/", sobjects.describe, _GET),
        ("/sobjects/{sobject}/updated", sobjects.updated, _GET),
        ("/sobjects/{sobject}/updated/", sobjects.updated, _GET),
        ("/sobjects/{sobject}/deleted", sobjects.deleted, _GET),
        ("/sobjects/{sobject}/deleted/", sobjects.deleted, _GET),
        ("/sobjects/{sobject}/{id}", sobjects.record, ["GET", "PATCH", "DELETE"]),
        ("/sobjects/{sobject}/{field}/{value}", sobjects.by_external_id, ["GET", "PATCH"]),
        ("/query", query.query, _GET),
        ("/query/", query.query, _GET),
        ("/query/{locator}", query.query, _GET),
        ("/queryAll", query.query_all, _GET),
        ("/queryAll/", query.query_all, _GET),
        ("/queryAll/{locator}", query.query, _GET),
        ("/composite", _COMPOSITE, _POST),
        ("/composite/", _COMPOSITE, _POST),
        ("/composite/sobjects", composite.collection, ["POST", "PATCH", "DELETE"]),
        ("/composite/sobjects/", composite.collection, ["POST", "PATCH", "DELETE"]),
        ("/composite/sobjects/{sobject}", composite.retrieve, ["GET", "PATCH"]),
        ("/composite/sobjects/{sobject}/{field}", composite.upsert, _PATCH),
        ("/tooling/sobjects/CustomField", tooling.create_custom_field, _POST),
        ("/tooling/sobjects/CustomField/", tooling.create_custom_field, _POST),
        ("/tooling/query", tooling.query, _GET),
        ("/tooling/query/", tooling.query, _GET),
        ("/jobs/query", bulk.create_query_job, _POST),
        ("/jobs/query", bulk.list_jobs, _GET),
        ("/jobs/query/{job_id}", bulk.query_job, ["GET", "DELETE"]),
        ("/jobs/query/{job_id}", bulk.patch_job, _PATCH),
        ("/jobs/query/{job_id}/results", bulk.query_results, _GET),
        ("/jobs/ingest", bulk.create_ingest_job, _POST),
        ("/jobs/ingest", bulk.list_jobs, _GET),
        ("/jobs/ingest/{job_id}", bulk.ingest_job, ["GET", "DELETE"]),
        ("/jobs/ingest/{job_id}", bulk.patch_job, _PATCH),
        ("/jobs/ingest/{job_id}/batches", bulk.upload_batch, _PUT),
        ("/jobs/ingest/{job_id}/{kind}", bulk.ingest_results, _GET),
    ]


_COMPOSITE = composite_request.handler(_route_spec)


def build_routes(state: OrgState) -> list[Route]:
    """Return the route table (templates name each call in ``/__sandbox/calls``)."""
    routes = [
        Route("/services/data", _versions, methods=_GET),
        Route("/services/data/", _versions, methods=_GET),
        Route("/services/oauth2/token", _token_endpoint(state), methods=_POST),
        Route("/services/oauth2/authorize", _authorize_endpoint(state), methods=_GET),
        Route("/services/oauth2/userinfo", _userinfo_endpoint(state), methods=_GET),
    ]
    routes += [
        Route(_V + path, data_route(state, handler), methods=methods)
        for path, handler, methods in _route_spec()
    ]
    return routes


Endpoint = Callable[[Request], Awaitable[Response]]


def fixed_get_routes(state: OrgState) -> dict[str, Endpoint]:
    """Return the data GET routes without path parameters, keyed by the path after the version.

    ``limits/`` is keyed ``"limits/"``; the version's resource list (``/``) is keyed ``""``.
    """
    return {
        path[1:]: data_route(state, handler)
        for path, handler, methods in _route_spec()
        if "GET" in methods and "{" not in path
    }


class _FixedRoutes:
    """Serves the fixed-path data GETs (``limits/``, ``sobjects/``...) without Starlette's router.

    Starlette matches a path against every route's regex and wraps each call in two exception
    middlewares and a request/response adapter; for the small calls a client repeats most
    (``limits/``, the resource lists) that is a good part of the server's time. Every other
    request goes to the Starlette app, so behaviour (404, 405, errors) is unchanged.
    """

    def __init__(self, app: ASGIApp, table: dict[str, Endpoint]) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith(_DATA_PREFIX):
                version, slash, rest = path[len(_DATA_PREFIX) :].partition("/")
                endpoint = self.table.get(rest) if slash and version else None
                if endpoint is not None:
                    scope["path_params"] = {"version": version}
                    response = await endpoint(Request(scope, receive))
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _failure() -> Response:
    return json_response(
        [
            {
                "message": "Server temporarily unavailable, try again later",
                "errorCode": "SERVER_UNAVAILABLE",
            }
        ],
        503,
    )


class _LimitsAdmin:
    """Serves ``POST /__sandbox/salesforce/limits`` (uncounted) in front of the middleware."""

    def __init__(self, app: ASGIApp, usage: ApiUsage) -> None:
        self.app = app
        self.usage = usage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == LIMITS_ADMIN_PATH:
            await self._admin(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method == "POST":
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                body = None
            if not isinstance(body, dict):
                await json_response({"message": "expected {max, used}"}, 400)(scope, receive, send)
                return
            self.usage.max = int(body.get("max", self.usage.max))
            self.usage.used = int(body.get("used", self.usage.used))
        body_out = {"max": self.usage.max, "used": self.usage.used}
        await json_response(body_out)(scope, receive, send)


def build_state(config: SandboxConfig, base_url: str) -> OrgState:
    """Open (seeding if new) the org of ``config.data_dir``."""
    store = RecordStore(config.data_dir / DB_FILE)
    fresh = store.is_new
    org = Org(store, bare=config.bare_org)
    if fresh:
        seed(org, config.seed, config.records_per_object)
        store.mark_initialised()
    integration_user = next(iter(org.records["User"]))
    username = login_username(org.records["User"][integration_user]["Username"].split("@")[0])
    creds = Credentials.load_or_create(store, username)
    users = org.records["User"]

    def find_user(name: str) -> str | None:
        """The active user of a username (a JWT bearer assertion's ``sub``)."""
        wanted = name.lower()
        for user_id, user in list(users.items()):
            if str(user.get("Username", "")).lower() == wanted and user.get("IsActive", True):
                return str(user_id)
        return None

    sessions = Sessions(
        creds,
        integration_user,
        config.salesforce_token_ttl,
        base_url,
        jwt_certificate=JwtCertificate.load_or_create(config.data_dir, creds.client_id),
        find_user=find_user,
        store=store,
    )
    return OrgState(org, sessions, ApiUsage(), QueryCursors(), BulkJobs(), base_url)


def create_app(
    config: SandboxConfig, base_url: str, counter: CallCounter
) -> tuple[ASGIApp, dict[str, str]]:
    """Build the Salesforce sandbox app.

    Args:
        config: the sandbox options (data dir, seed, size, TTL, faults).
        base_url: ``https://127.0.0.1:PORT``, the login and instance URL.
        counter: where the middleware counts served calls.

    Returns:
        The ASGI app and the ``SALESFORCE_*`` entries of ``sandbox.env``.
    """
    state = build_state(config, base_url)
    routes = build_routes(state)
    app = _FixedRoutes(Starlette(routes=routes), fixed_get_routes(state))
    wrapped = SandboxMiddleware(
        app,
        counter=counter,
        routes=routes,
        failure=_failure,
        latency_ms=config.latency_ms,
        fail_rate=config.fail_rate,
        reset_share=config.reset_share,
        seed=config.seed,
        id_params=ID_PARAMS,
        admin=SalesforceAdmin(state).routes(),
    )
    certificate = state.sessions.jwt_certificate
    env = state.sessions.creds.env(base_url, certificate.key_file if certificate else None)
    return _LimitsAdmin(wrapped, state.usage), env
