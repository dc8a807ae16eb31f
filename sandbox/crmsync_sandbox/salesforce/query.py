"""``query``/``queryAll`` with server-side cursors paged by a relative ``nextRecordsUrl``."""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from crmsync_sandbox.salesforce import soql
from crmsync_sandbox.salesforce.exceptions import ApiError
from crmsync_sandbox.salesforce.rest import Ctx, json_response, render_many

#: Rows per page by default and the bounds of ``Sforce-Query-Options: batchSize``.
DEFAULT_BATCH = 2000
MIN_BATCH = 200
MAX_BATCH = 2000
#: Open cursors kept; older ones answer ``INVALID_QUERY_LOCATOR`` as expired ones do.
MAX_CURSORS = 500
_BATCH_RE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
_LOCATOR_RE = re.compile(r"^(01g[0-9A-Za-z]{15})-(\d+)$")


@dataclass
class Cursor:
    """The remaining rows of one query."""

    obj_name: str
    fields: list[str]
    rows: list[dict[str, Any]]
    batch: int


class QueryCursors:
    """Open query locators, oldest evicted first."""

    def __init__(self) -> None:
        """Start with no cursors."""
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()

    def open(self, cursor: Cursor) -> str:
        """Store a cursor and return its locator id."""
        locator = "01g" + secrets.token_hex(8)[:15]
        self._cursors[locator] = cursor
        while len(self._cursors) > MAX_CURSORS:
            self._cursors.popitem(last=False)
        return locator

    def get(self, locator: str) -> Cursor | None:
        """Return an open cursor, or ``None``."""
        return self._cursors.get(locator)


def batch_size(options: str | None) -> int:
    """Return the page size a ``Sforce-Query-Options`` header asks for (clamped)."""
    match = _BATCH_RE.search(options or "")
    if not match:
        return DEFAULT_BATCH
    return min(max(int(match.group(1)), MIN_BATCH), MAX_BATCH)


def page(ctx: Ctx, locator: str, cursor: Cursor, start: int) -> Response:
    """Render one page of a cursor starting at row ``start``."""
    end = start + cursor.batch
    rows = cursor.rows[start:end]
    version = ctx.version
    body: dict[str, Any] = {"totalSize": len(cursor.rows), "done": end >= len(cursor.rows)}
    if not body["done"]:
        body["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{end}"
    body["records"] = render_many(cursor.obj_name, rows, cursor.fields, version)
    return json_response(body)


async def run_query(ctx: Ctx, include_deleted: bool) -> Response:
    """Handle ``GET query/?q=`` and ``queryAll/?q=``."""
    text = ctx.request.query_params.get("q")
    if not text:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    compiled = soql.compile_query(text, ctx.org.queryable_objects())
    rows = compiled.run(ctx.org.records[compiled.sobject.name].values(), include_deleted)
    if compiled.count_only:
        return json_response({"totalSize": len(rows), "done": True, "records": []})
    cursor = Cursor(
        compiled.sobject.name,
        compiled.fields,
        rows,
        batch_size(ctx.request.headers.get("sforce-query-options")),
    )
    if len(rows) <= cursor.batch:
        return page(ctx, "", cursor, 0)
    return page(ctx, ctx.state.cursors.open(cursor), cursor, 0)


async def query_more(ctx: Ctx) -> Response:
    """Handle ``GET query/01g...-2000`` (any re-sent ``q`` parameter is ignored)."""
    match = _LOCATOR_RE.match(ctx.request.path_params["locator"])
    cursor = ctx.state.cursors.get(match.group(1)) if match else None
    if match is None or cursor is None:
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return page(ctx, match.group(1), cursor, int(match.group(2)))


async def query(ctx: Ctx) -> Response:
    """``GET query/``."""
    if "locator" in ctx.request.path_params:
        return await query_more(ctx)
    return await run_query(ctx, include_deleted=False)


async def query_all(ctx: Ctx) -> Response:
    """``GET queryAll/``."""
    return await run_query(ctx, include_deleted=True)
