"""Describe, single-record CRUD, upsert by external id, and the replication helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.responses import Response

from crmsync_sandbox.salesforce.exceptions import ApiError, RecordError
from crmsync_sandbox.salesforce.rest import Ctx, json_body, json_response, render
from crmsync_sandbox.salesforce.schema import ObjectDef
from crmsync_sandbox.salesforce.values import format_datetime, parse_datetime

#: How far back ``updated/`` and ``deleted/`` may start (days), as in a real org.
UPDATED_WINDOW_DAYS = 30
DELETED_WINDOW_DAYS = 15


def sobject(ctx: Ctx) -> ObjectDef:
    """Return the object named in the path.

    Raises:
        ApiError: 404 ``NOT_FOUND`` for an unknown object.
    """
    obj = ctx.org.object_of(ctx.request.path_params["sobject"])
    if obj is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return obj


async def resources(ctx: Ctx) -> Response:
    """``GET /services/data/vNN.N/``: the version's resources."""
    base = f"/services/data/{ctx.version}"
    names = ("sobjects", "query", "queryAll", "limits", "composite", "tooling", "jobs")
    return json_response({name: f"{base}/{name}" for name in names})


async def describe_global(ctx: Ctx) -> Response:
    """``GET sobjects/``; 304 when no field was added since ``If-Modified-Since``."""
    since = _http_date(ctx.request.headers.get("If-Modified-Since"))
    changed = ctx.org.schema_changed_at
    if since is not None and (changed is None or changed < since + timedelta(seconds=1)):
        return Response(status_code=304)
    return json_response(
        {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [
                ctx.org.with_permissions(o, o.global_entry(ctx.version))
                for o in ctx.org.objects.values()
            ],
        }
    )


def _http_date(value: str | None) -> datetime | None:
    """An HTTP date header (second precision), or None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def describe(ctx: Ctx) -> Response:
    """``GET sobjects/{Type}/describe``."""
    obj = sobject(ctx)
    return json_response(ctx.org.with_permissions(obj, obj.describe(ctx.version)))


async def basic_info(ctx: Ctx) -> Response:
    """``GET sobjects/{Type}/``: object metadata and recently viewed items."""
    obj = sobject(ctx)
    entry = ctx.org.with_permissions(obj, obj.global_entry(ctx.version))
    return json_response({"objectDescribe": entry, "recentItems": []})


async def create(ctx: Ctx) -> Response:
    """``POST sobjects/{Type}/`` -> 201 ``{"id", "success", "errors"}``."""
    obj = sobject(ctx)
    body = await json_body(ctx.request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sobject")
    record_id = ctx.org.create(obj, body, ctx.user_id)
    headers = {"Location": f"/services/data/{ctx.version}/sobjects/{obj.name}/{record_id}"}
    return json_response({"id": record_id, "success": True, "errors": []}, 201, headers)


def _fields_param(ctx: Ctx, obj: ObjectDef) -> list[str]:
    raw = ctx.request.query_params.get("fields")
    if not raw:
        return list(obj.fields)
    names = []
    for name in raw.split(","):
        fdef = obj.get(name.strip())
        if fdef is None:
            raise ApiError(
                400, "INVALID_FIELD", f"No such column '{name.strip()}' on entity '{obj.name}'."
            )
        names.append(fdef.name)
    return names


async def record(ctx: Ctx) -> Response:
    """``GET``/``PATCH``/``DELETE sobjects/{Type}/{Id}``."""
    obj = sobject(ctx)
    record_id = ctx.request.path_params["id"]
    method = ctx.request.method
    if method == "GET":
        found = ctx.org.get_live(obj, record_id)
        return json_response(render(obj.name, found, _fields_param(ctx, obj), ctx.version))
    if method == "DELETE":
        ctx.org.delete(obj, record_id, ctx.user_id)
        return Response(status_code=204)
    body = await json_body(ctx.request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sobject")
    ctx.org.update(obj, record_id, body, ctx.user_id)
    return Response(status_code=204)


def external_field(obj: ObjectDef, name: str) -> Any:
    """Return the external id field ``name`` of ``obj`` (``Id`` included).

    Raises:
        ApiError: 404 ``NOT_FOUND`` for an unknown field, 400 ``INVALID_FIELD`` for a field that
            is not an external id.
    """
    fdef = obj.get(name)
    if fdef is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    if not (fdef.external_id or fdef.type == "id"):
        raise ApiError(
            400,
            "INVALID_FIELD",
            f"Provided external ID field does not exist or is not accessible: {fdef.name}",
            [fdef.name],
        )
    return fdef


def upsert_one(
    ctx: Ctx, obj: ObjectDef, fdef: Any, value: str, body: dict[str, Any]
) -> tuple[str, bool]:
    """Create or update the record whose ``fdef`` is ``value``; return ``(id, created)``.

    Raises:
        ApiError: 300 with the matching record URLs when several records match.
        RecordError: on a validation failure.
    """
    matches = ctx.org.matches(obj, fdef, value)
    if len(matches) > 1:
        urls = [f"/services/data/{ctx.version}/sobjects/{obj.name}/{m}" for m in matches]
        raise _MultipleMatchesError(urls)
    body = {k: v for k, v in body.items() if k != "attributes"}
    given = next((k for k in body if k.lower() == fdef.name.lower()), None)
    if given is not None and str(body.pop(given)) != value:
        raise RecordError(
            "INVALID_FIELD",
            f"The value of the {fdef.name} field does not match the URL or key",
            [fdef.name],
        )
    if matches:
        ctx.org.update(obj, matches[0], body, ctx.user_id)
        return matches[0], False
    if fdef.type == "id":
        raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
    return ctx.org.create(obj, {**body, fdef.name: value}, ctx.user_id), True


class _MultipleMatchesError(ApiError):
    def __init__(self, urls: list[str]) -> None:
        super().__init__(300, "MULTIPLE_CHOICES", "more than one record matches")
        self.urls = urls

    def body(self) -> list[Any]:  # type: ignore[override]  # 300 answers the record URLs
        return list(self.urls)


async def by_external_id(ctx: Ctx) -> Response:
    """``PATCH`` (upsert) or ``GET sobjects/{Type}/{Field}/{value}``."""
    obj = sobject(ctx)
    fdef = external_field(obj, ctx.request.path_params["field"])
    value = ctx.request.path_params["value"]
    if ctx.request.method == "GET":
        matches = ctx.org.matches(obj, fdef, value)
        if not matches:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        if len(matches) > 1:
            raise _MultipleMatchesError(
                [f"/services/data/{ctx.version}/sobjects/{obj.name}/{m}" for m in matches]
            )
        found = ctx.org.records[obj.name][matches[0]]
        return json_response(render(obj.name, found, _fields_param(ctx, obj), ctx.version))
    body = await json_body(ctx.request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sobject")
    record_id, created = upsert_one(ctx, obj, fdef, value, body)
    return json_response(
        {"id": record_id, "success": True, "errors": [], "created": created},
        201 if created else 200,
    )


def _window(ctx: Ctx, days: int) -> tuple[str, str]:
    params = ctx.request.query_params
    bounds = []
    for name in ("start", "end"):
        raw = params.get(name)
        if not raw:
            raise ApiError(400, "MISSING_ARGUMENT", f"{name} not specified")
        # A literal '+' in a query string decodes to a space.
        parsed = parse_datetime(raw.replace(" ", "+"))
        if parsed is None:
            raise ApiError(400, "INVALID_REPLICATION_DATE", f"{name} is not a valid date: {raw}")
        bounds.append(parsed.replace(second=0, microsecond=0))
    start, end = bounds
    now = datetime.now(UTC)
    if start >= end:
        raise ApiError(
            400,
            "INVALID_REPLICATION_DATE",
            "startDate must chronologically precede endDate by more than one minute",
        )
    if start < now - timedelta(days=days):
        raise ApiError(
            400, "INVALID_REPLICATION_DATE", f"startDate cannot be more than {days} days ago"
        )
    end = min(end, now)
    return format_datetime(start), format_datetime(end)


async def updated(ctx: Ctx) -> Response:
    """``GET sobjects/{Type}/updated/?start=&end=``."""
    obj = sobject(ctx)
    start, end = _window(ctx, UPDATED_WINDOW_DAYS)
    found = [
        r["Id"]
        for r in ctx.org.records[obj.name].values()
        if not r.get("IsDeleted") and start <= r["SystemModstamp"] < end
    ]
    return json_response({"ids": found, "latestDateCovered": end})


async def deleted(ctx: Ctx) -> Response:
    """``GET sobjects/{Type}/deleted/?start=&end=``."""
    obj = sobject(ctx)
    start, end = _window(ctx, DELETED_WINDOW_DAYS)
    items = [
        {"id": r["Id"], "deletedDate": r["_DeletedDate"]}
        for r in ctx.org.records[obj.name].values()
        if r.get("IsDeleted") and start <= r.get("_DeletedDate", "") < end
    ]
    earliest = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(
        days=DELETED_WINDOW_DAYS
    )
    return json_response(
        {
            "deletedRecords": items,
            "earliestDateAvailable": format_datetime(earliest),
            "latestDateCovered": end,
        }
    )
