"""The ForceManager server's own `/__sandbox/` runtime controls (docs/contracts.md section 2).

`expire-sessions`, `sessions`, `silent-update` and `purge`; the middleware serves `calls` and
`faults`. Objects are the API's resource names (`accounts`, `contacts`, `opportunities`,
`activities`, `calendar`) and ids its integer ids.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from crmsync_sandbox.common import OrjsonResponse
from crmsync_sandbox.common.middleware import AdminHandler, admin_body, admin_error
from crmsync_sandbox.exceptions import ValidationError
from crmsync_sandbox.forcemanager.auth import SessionRegistry
from crmsync_sandbox.forcemanager.db import Database
from crmsync_sandbox.forcemanager.records import silent_update
from crmsync_sandbox.forcemanager.schema import ENTITIES, ResourceDef


class _NotFoundError(Exception):
    """The object or id of an admin call does not exist (404)."""


class ForceManagerAdmin:
    """Admin routes over the ForceManager database and session registry."""

    def __init__(self, db: Database, sessions: SessionRegistry) -> None:
        """Bind the routes to their state.

        Args:
            db: The records.
            sessions: The session registry.
        """
        self.db = db
        self.sessions = sessions

    def routes(self) -> dict[tuple[str, str], AdminHandler]:
        """The admin routes by `(method, path)`."""
        return {
            ("POST", "/__sandbox/expire-sessions"): self.expire_sessions,
            ("GET", "/__sandbox/sessions"): self.list_sessions,
            ("POST", "/__sandbox/silent-update"): self.silent_update,
            ("POST", "/__sandbox/purge"): self.purge,
        }

    async def expire_sessions(self, _request: Request) -> Response:
        """Refuse every session key issued so far (401 code "2" from now on)."""
        return OrjsonResponse({"expired": self.sessions.expire_all()})

    async def list_sessions(self, _request: Request) -> Response:
        """`{"tokens": [...]}`: every session key issued since start."""
        return OrjsonResponse({"tokens": self.sessions.issued})

    async def silent_update(self, request: Request) -> Response:
        """Change fields of a record without moving its `dateUpdated`."""
        body = await admin_body(request)
        fields = body.get("fields") if body else None
        if not isinstance(fields, dict):
            return admin_error(400, 'expected {"object": ..., "id": ..., "fields": {...}}')
        try:
            resource, record = self._record(body)
            changed = silent_update(self.db, resource, record, fields)
        except _NotFoundError as error:
            return admin_error(404, str(error))
        except ValidationError as error:
            return admin_error(400, str(error))
        self.db.save(resource.name, changed)
        return OrjsonResponse({"object": resource.name, "id": record["id"]})

    async def purge(self, request: Request) -> Response:
        """Remove a record without leaving a `deleted` row."""
        body = await admin_body(request)
        if body is None:
            return admin_error(400, 'expected {"object": ..., "id": ...}')
        try:
            resource, record = self._record(body)
        except _NotFoundError as error:
            return admin_error(404, str(error))
        self.db.remove(resource.name, record["id"])
        return OrjsonResponse({"object": resource.name, "id": record["id"]})

    def _record(self, body: dict[str, Any]) -> tuple[ResourceDef, dict[str, Any]]:
        name, raw_id = body.get("object"), body.get("id")
        resource = ENTITIES.get(name) if isinstance(name, str) else None
        if resource is None:
            raise _NotFoundError(f"unknown object {name!r}; one of {', '.join(ENTITIES)}")
        record_id = _int_id(raw_id)
        record = None if record_id is None else self.db.get(resource.name, record_id)
        if record is None:
            raise _NotFoundError(f"no {resource.name} record with id {raw_id!r}")
        return resource, record


def _int_id(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    return None
