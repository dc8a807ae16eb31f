"""`POST /composite`: up to 25 subrequests in one call, counted as one API request."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path

from crmsync_sandbox.salesforce.exceptions import ApiError, RecordError, SoqlError
from crmsync_sandbox.salesforce.rest import (
    Ctx,
    Handler,
    check_version,
    error_response,
    json_body,
    json_response,
)

#: Subrequests one composite call may carry.
MAX_SUBREQUESTS = 25
#: Of them, queries (query, queryAll and their next pages) and sObject collections.
MAX_QUERIES = 5
_DATA_PATH = re.compile(r"^/services/data/(?P<version>v[^/]+)(?P<rest>/.*)$")
_HEAVY_PATH = re.compile(r"^/services/data/v[^/]+/(query|queryAll|composite/sobjects)(/|$)")

RouteSpec = Callable[[], Iterable[tuple[str, Handler, list[str]]]]


def handler(route_spec: RouteSpec) -> Handler:
    """Build the composite handler over the data routes (given lazily: it is one of them)."""
    table: list[tuple[re.Pattern[str], Handler, list[str]]] = []

    async def composite(ctx: Ctx) -> Response:
        if not table:
            table.extend((compile_path(path)[0], h, methods) for path, h, methods in route_spec())
        body = await json_body(ctx.request)
        subrequests = body.get("compositeRequest") if isinstance(body, dict) else None
        if not isinstance(subrequests, list) or not subrequests:
            raise ApiError(400, "INVALID_INPUT", "compositeRequest must be a non-empty array")
        if len(subrequests) > MAX_SUBREQUESTS:
            raise ApiError(
                400,
                "LIMIT_EXCEEDED",
                f"Composite request cannot have more than {MAX_SUBREQUESTS} subrequests",
            )
        heavy = sum(1 for sub in subrequests if _is_query_or_collection(sub))
        if heavy > MAX_QUERIES:
            raise ApiError(
                400,
                "LIMIT_EXCEEDED",
                f"Composite request cannot have more than {MAX_QUERIES} query or sObject "
                "collection subrequests",
            )
        replies = [await _one(ctx, table, sub) for sub in subrequests]
        return json_response({"compositeResponse": replies})

    return composite


def _is_query_or_collection(sub: Any) -> bool:
    return isinstance(sub, dict) and bool(_HEAVY_PATH.match(urlsplit(str(sub.get("url"))).path))


async def _one(
    ctx: Ctx, table: list[tuple[re.Pattern[str], Handler, list[str]]], sub: Any
) -> dict[str, Any]:
    if not isinstance(sub, dict) or not sub.get("url") or not sub.get("referenceId"):
        error = ApiError(400, "INVALID_INPUT", "Each subrequest needs method, url and referenceId")
        return _reply(sub, error_response(error))
    method = str(sub.get("method", "GET")).upper()
    url = urlsplit(str(sub["url"]))
    match = _DATA_PATH.match(url.path)
    try:
        if match is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        version = check_version(match["version"])
        for pattern, route_handler, methods in table:
            params = pattern.match(match["rest"])
            if params and method in methods:
                request = _request(ctx.request, sub, method, url.path, url.query, params)
                response = await route_handler(Ctx(ctx.state, request, version, ctx.user_id))
                return _reply(sub, response)
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    except ApiError as error:
        return _reply(sub, error_response(error))
    except (RecordError, SoqlError) as error:
        return _reply(sub, error_response(error.as_api_error()))


def _request(outer: Request, sub: dict[str, Any], *route: Any) -> Request:
    """The subrequest as a request: ``route`` is its method, path, query string and match."""
    method, path, query, params = route
    payload = orjson.dumps(sub["body"]) if "body" in sub else b""
    extra = (sub.get("httpHeaders") or {}).items()
    headers = [(b"content-type", b"application/json")]
    headers += [(key.lower().encode(), str(value).encode()) for key, value in extra]
    auth = outer.headers.get("authorization")
    if auth:
        headers.append((b"authorization", auth.encode()))
    scope = {
        **outer.scope,
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": headers,
        "path_params": params.groupdict(),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    return Request(scope, receive)


def _reply(sub: Any, response: Response) -> dict[str, Any]:
    body = orjson.loads(response.body) if response.body else None
    headers = {
        key.decode("latin-1"): value.decode("latin-1")
        for key, value in response.raw_headers
        if key.lower() in (b"location", b"etag", b"last-modified")
    }
    return {
        "body": body,
        "httpHeaders": headers,
        "httpStatusCode": response.status_code,
        "referenceId": sub.get("referenceId") if isinstance(sub, dict) else None,
    }
