"""The HTTP endpoints of the ForceManager sandbox (API v4, docs/reference-forcemanager.md)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crmsync_sandbox.common import OrjsonResponse
from crmsync_sandbox.exceptions import ValidationError, WhereSyntaxError
from crmsync_sandbox.forcemanager.auth import Session, SessionRegistry
from crmsync_sandbox.forcemanager.db import EXTRA_FIELDS, Database
from crmsync_sandbox.forcemanager.records import apply_update, new_record, render_many
from crmsync_sandbox.forcemanager.schema import (
    ENTITIES,
    EXTRA_FIELD_TYPES,
    LOOKUPS,
    USERS,
    ResourceDef,
)
from crmsync_sandbox.forcemanager.schemas import extra_field_schema, resource_schema
from crmsync_sandbox.forcemanager.timefmt import format_timestamp
from crmsync_sandbox.forcemanager.timefmt import now as utc_now

API_PREFIX = "/api/v4"
#: Page size when neither `Count` nor `X-FM-Entity-Count` is sent (documented default).
DEFAULT_PAGE_SIZE = 50
#: Largest page served; bigger requests are cut to it (the real maximum is undocumented).
MAX_PAGE_SIZE = 1000
_PAGE_SIZE_HEADERS = ("count", "x-fm-entity-count")
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,49}$")

Handler = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    """An error answered as JSON with a status code."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        """Keep the status and body.

        Args:
            status: The HTTP status.
            body: The JSON body.
        """
        super().__init__(status)
        self.status = status
        self.body = body


def bad_request(message: str = "Bad Request") -> ApiError:
    """A 400 in the documented `{"Message": ...}` shape."""
    return ApiError(400, {"Message": message})


def bad_sql() -> ApiError:
    """The documented answer to a `where` or `order` that cannot be evaluated (code 901)."""
    return ApiError(400, {"code": "901", "message": "The SQL is not generated correctly"})


def no_session() -> ApiError:
    """401 with code "2", the signal ForceManager's own clients re-login on."""
    return ApiError(401, {"code": "2", "message": "Session key missing, invalid or expired"})


class ForceManagerApi:
    """Route handlers over one database and session registry."""

    def __init__(self, db: Database, sessions: SessionRegistry) -> None:
        """Bind the handlers to their state.

        Args:
            db: The records.
            sessions: The session registry.
        """
        self.db = db
        self.sessions = sessions

    def routes(self) -> list[Route]:
        """Every route of the API, specific paths before `{id}` ones."""
        p = API_PREFIX
        routes = [Route(f"{p}/login", _safe(self.login), methods=["POST"])]
        extra = f"{p}/extrafields/{{resource}}"
        routes += [
            Route(f"{extra}/schema", self._authed(self.extra_schema)),
            Route(extra, self._authed(self.extra_list), methods=["GET"]),
            Route(extra, self._authed(self.extra_create), methods=["POST"]),
        ]
        for resource in (*ENTITIES.values(), USERS, *LOOKUPS.values()):
            routes += self._resource_routes(resource)
        return routes

    def _resource_routes(self, resource: ResourceDef) -> list[Route]:
        base = f"{API_PREFIX}/{resource.name}"
        routes = [
            Route(f"{base}/schema", self._authed(self._bind(self.schema, resource))),
            Route(base, self._authed(self._bind(self.list, resource)), methods=["GET"]),
            Route(f"{base}/{{id}}", self._authed(self._bind(self.get, resource)), methods=["GET"]),
        ]
        if resource.writable:
            routes += [
                Route(base, self._authed(self._bind(self.create, resource)), methods=["POST"]),
                Route(
                    f"{base}/{{id}}",
                    self._authed(self._bind(self.update, resource)),
                    methods=["PUT"],
                ),
                Route(
                    f"{base}/{{id}}",
                    self._authed(self._bind(self.delete, resource)),
                    methods=["DELETE"],
                ),
            ]
        return routes

    # -- plumbing ------------------------------------------------------------------------------
    @staticmethod
    def _bind(
        handler: Callable[[Request, Session, ResourceDef], Awaitable[Response]],
        resource: ResourceDef,
    ) -> Callable[[Request, Session], Awaitable[Response]]:
        async def bound(request: Request, session: Session) -> Response:
            return await handler(request, session, resource)

        return bound

    def _authed(self, handler: Callable[[Request, Session], Awaitable[Response]]) -> Handler:
        async def endpoint(request: Request) -> Response:
            session = self.sessions.check(request.headers.get("x-session-key"))
            if session is None:
                raise no_session()
            return await handler(request, session)

        return _safe(endpoint)

    # -- login ---------------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        """`POST /login` with `{"username": public key, "password": private key}`."""
        body = await _json_object(request)
        token = self.sessions.login(body.get("username"), body.get("password"))
        if token is None:
            raise ApiError(401, {"code": "1", "message": "Invalid API keys"})
        return OrjsonResponse({"token": token})

    # -- records -------------------------------------------------------------------------------
    async def list(self, request: Request, _session: Session, resource: ResourceDef) -> Response:
        """`GET /{resource}`: one page of a bare JSON array, deleted rows included."""
        params = request.query_params
        page = _page_number(params.get("page"))
        size = _page_size(request)
        try:
            ids = self.db.query(resource, params.get("where"), params.get("order"))
        except WhereSyntaxError:
            raise bad_sql() from None
        rows = self.db.tables[resource.name].rows
        chunk = [rows[i] for i in ids[page * size : (page + 1) * size]]
        body = render_many(self.db, resource, chunk, params.get("lang"))
        full = len(chunk) == size
        headers = {
            "X-FM-Page": str(page),
            "X-FM-Next-Page": str(page + 1 if full else page),
            "X-FM-Prev-Page": str(max(page - 1, 0)),
            "X-FM-Entity-Count": str(len(chunk)),
        }
        return OrjsonResponse(body, headers=headers)

    async def get(self, request: Request, _session: Session, resource: ResourceDef) -> Response:
        """`GET /{resource}/{id}`: the object, deleted or not; 400 if absent."""
        record = self._existing(resource, request.path_params["id"])
        lang = request.query_params.get("lang")
        return OrjsonResponse(render_many(self.db, resource, [record], lang)[0])

    async def create(self, request: Request, session: Session, resource: ResourceDef) -> Response:
        """`POST /{resource}`: validate, store, answer `{"Message", "id"}`."""
        body = await _json_object(request)
        try:
            record = new_record(self.db, resource, body, session.user_id)
        except ValidationError as error:
            raise bad_request(str(error)) from None
        record_id = self.db.insert(resource.name, record)
        return OrjsonResponse({"Message": "entity created", "id": record_id})

    async def update(self, request: Request, session: Session, resource: ResourceDef) -> Response:
        """`PUT /{resource}/{id}`: a partial update."""
        record = self._existing(resource, request.path_params["id"])
        body = await _json_object(request)
        try:
            updated = apply_update(self.db, resource, record, body, session.user_id)
        except ValidationError as error:
            raise bad_request(str(error)) from None
        self.db.save(resource.name, updated)
        return OrjsonResponse({"Message": "entity updated"})

    async def delete(self, request: Request, session: Session, resource: ResourceDef) -> Response:
        """`DELETE /{resource}/{id}`: a soft delete (the row stays listed with `deleted`)."""
        record = self._existing(resource, request.path_params["id"])
        if not record["deleted"]:
            deleted = {
                **record,
                "deleted": True,
                "dateDeleted": format_timestamp(utc_now()),
                "salesRepIdDeleted": session.user_id,
            }
            self.db.save(resource.name, deleted)
        return OrjsonResponse({"Message": "entity deleted"})

    async def schema(self, request: Request, _session: Session, resource: ResourceDef) -> Response:
        """`GET /{resource}/schema`: JSON-schema-like field metadata, extra fields included."""
        extras = self.db.extra_fields(resource.name) if resource.extra_fields else []
        return OrjsonResponse(resource_schema(resource, extras))

    # -- extra fields --------------------------------------------------------------------------
    async def extra_list(self, request: Request, _session: Session) -> Response:
        """`GET /extrafields/{resource}`: the definitions, paged like any list."""
        resource = _extra_resource(request)
        page = _page_number(request.query_params.get("page"))
        size = _page_size(request)
        definitions = self.db.extra_fields(resource.name)
        return OrjsonResponse(definitions[page * size : (page + 1) * size])

    async def extra_schema(self, request: Request, _session: Session) -> Response:
        """`GET /extrafields/{resource}/schema`: the shape of a definition."""
        _extra_resource(request)
        return OrjsonResponse(extra_field_schema())

    async def extra_create(self, request: Request, session: Session) -> Response:
        """`POST /extrafields/{resource}`: define a field, read and written as `Z_<fieldName>`."""
        resource = _extra_resource(request)
        body = await _json_object(request)
        definition = self._extra_definition(resource, body, session.user_id)
        record_id = self.db.insert(EXTRA_FIELDS, definition)
        self.db.tables[resource.name].invalidate()
        return OrjsonResponse({"Message": "entity created", "id": record_id})

    def _extra_definition(
        self, resource: ResourceDef, body: dict[str, Any], user_id: int
    ) -> dict[str, Any]:
        entity = body.get("entity", resource.name)
        if entity not in (resource.name, None):
            raise bad_request(f"The field 'entity' must be '{resource.name}'")
        name = body.get("fieldName")
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            raise bad_request("The field 'fieldName' is required: letters, digits and _")
        taken = {d["fieldName"].lower() for d in self.db.extra_fields(resource.name)}
        if name.lower() in taken:
            raise bad_request(f"The extra field '{name}' already exists")
        kind = body.get("type")
        if kind not in EXTRA_FIELD_TYPES:
            raise bad_request(f"The field 'type' must be one of {', '.join(EXTRA_FIELD_TYPES)}")
        values = body.get("values")
        if kind == "list":
            valid = isinstance(values, list) and values and all(isinstance(v, str) for v in values)
            if not valid or len(set(values)) != len(values):
                raise bad_request("The field 'values' must list distinct strings for a list")
        else:
            values = None
        label = body.get("label") or name
        return {
            "entity": resource.name,
            "fieldName": name,
            "type": kind,
            "values": values,
            "label": str(label),
            "mandatory": False,
            "branches": [],
            "defaultValue": None,
            "deleted": False,
            "dateCreated": format_timestamp(utc_now()),
            "dateUpdated": None,
            "dateDeleted": None,
            "salesRepIdCreated": user_id,
            "salesRepIdUpdated": None,
            "salesRepIdDeleted": None,
        }

    def _existing(self, resource: ResourceDef, raw_id: str) -> dict[str, Any]:
        record_id = int(raw_id) if raw_id.isdigit() else None
        record = None if record_id is None else self.db.get(resource.name, record_id)
        if record is None:
            raise bad_request()
        return record


def _safe(handler: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as error:
            return OrjsonResponse(error.body, status_code=error.status)

    return endpoint


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise bad_request("The body must be a JSON object") from None
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object")
    return body


def _page_number(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    if not raw.isdigit():
        raise bad_request("The parameter 'page' must be a number from 0")
    return int(raw)


def _page_size(request: Request) -> int:
    for header in _PAGE_SIZE_HEADERS:
        raw = request.headers.get(header)
        if raw is not None:
            if not raw.strip().isdigit() or int(raw) < 1:
                raise bad_request(f"The header '{header}' must be a positive number")
            return min(int(raw), MAX_PAGE_SIZE)
    return DEFAULT_PAGE_SIZE


def _extra_resource(request: Request) -> ResourceDef:
    resource = ENTITIES.get(request.path_params["resource"])
    if resource is None:
        raise ApiError(400, {"code": "910", "message": "The resource does not exist"})
    return resource
