"""Shared plumbing of the REST routes: the request context, errors, rendering, API usage."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from crmsync_sandbox.salesforce.exceptions import ApiError, RecordError, SoqlError

if TYPE_CHECKING:
    from crmsync_sandbox.salesforce.auth import Sessions
    from crmsync_sandbox.salesforce.bulk import BulkJobs
    from crmsync_sandbox.salesforce.org import Org
    from crmsync_sandbox.salesforce.query import QueryCursors

#: API versions the sandbox serves (Winter '21 to Winter '25).
MIN_VERSION = 50
MAX_VERSION = 62
_VERSION_RE = re.compile(r"^v(\d+)\.0$")
#: Default daily API request allocation, a Developer Edition's.
DEFAULT_API_MAX = 15_000
#: Allocations reported by ``/limits`` for the other counters (Developer Edition values).
BULK_QUERY_JOBS_MAX = 10_000
BULK_BATCHES_MAX = 15_000


@dataclass
class ApiUsage:
    """The org's daily API request allocation and how much of it is used."""

    max: int = DEFAULT_API_MAX
    used: int = 0
    bulk_query_jobs: int = 0
    bulk_batches: int = 0

    def header(self) -> str:
        """Return the ``Sforce-Limit-Info`` value."""
        return f"api-usage={self.used}/{self.max}"


@dataclass
class OrgState:
    """Everything the route handlers share."""

    org: Org
    sessions: Sessions
    usage: ApiUsage
    cursors: QueryCursors
    bulk: BulkJobs
    base_url: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ctx:
    """One authenticated data API call."""

    state: OrgState
    request: Request
    version: str
    user_id: str

    @property
    def org(self) -> Org:
        """The org."""
        return self.state.org


Handler = Callable[[Ctx], Awaitable[Response]]


def json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Return a JSON reply rendered with orjson."""
    return Response(orjson.dumps(content), status, headers, media_type="application/json")


def error_response(error: ApiError) -> Response:
    """Return the ``[{"message", "errorCode", ...}]`` reply of an error."""
    return json_response(error.body(), error.status)


async def json_body(request: Request) -> Any:
    """Return the parsed JSON body.

    Raises:
        ApiError: 400 ``JSON_PARSER_ERROR`` when the body is not JSON.
    """
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(
            400, "JSON_PARSER_ERROR", "Unexpected character in request body: not valid JSON"
        ) from None


def check_version(version: str) -> str:
    """Return ``version`` (``v59.0``) if served.

    Raises:
        ApiError: 404 ``NOT_FOUND`` for versions outside v50.0..v62.0.
    """
    match = _VERSION_RE.match(version)
    if not match or not MIN_VERSION <= int(match.group(1)) <= MAX_VERSION:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return version


def data_route(state: OrgState, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with what every data call does: version, session, API usage, errors.

    A call with a missing, bad or expired session answers 401 ``INVALID_SESSION_ID``; once the
    allocation is used up calls answer 403 ``REQUEST_LIMIT_EXCEEDED``; every other reply
    carries ``Sforce-Limit-Info``.
    """

    async def endpoint(request: Request) -> Response:
        try:
            version = check_version(request.path_params["version"])
        except ApiError as error:
            return error_response(error)
        user_id = state.sessions.user_of(request.headers.get("authorization"))
        if user_id is None:
            return error_response(ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid"))
        usage = state.usage
        if usage.used >= usage.max:
            response = error_response(
                ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            )
        else:
            usage.used += 1
            try:
                response = await handler(Ctx(state, request, version, user_id))
            except ApiError as error:
                response = error_response(error)
            except (RecordError, SoqlError) as error:
                response = error_response(error.as_api_error())
        response.raw_headers.append((b"sforce-limit-info", usage.header().encode("latin-1")))
        return response

    return endpoint


def render(
    obj_name: str, record: dict[str, Any], fields: list[str], version: str
) -> dict[str, Any]:
    """Return a record as the REST API shows it: ``attributes`` then the selected fields."""
    out: dict[str, Any] = {
        "attributes": {
            "type": obj_name,
            "url": f"/services/data/{version}/sobjects/{obj_name}/{record['Id']}",
        }
    }
    for name in fields:
        out[name] = record.get(name)
    return out


def render_many(
    obj_name: str, records: list[dict[str, Any]], fields: list[str], version: str
) -> list[dict[str, Any]]:
    """Return records as :func:`render` does, for a whole query page at once."""
    prefix = f"/services/data/{version}/sobjects/{obj_name}/"
    out = []
    for record in records:
        row: dict[str, Any] = {"attributes": {"type": obj_name, "url": prefix + record["Id"]}}
        row.update(zip(fields, map(record.get, fields), strict=True))
        out.append(row)
    return out
