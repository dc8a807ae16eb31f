"""The Salesforce server's own `/__sandbox/` runtime controls (docs/contracts.md section 2).

`expire-sessions`, `sessions`, `silent-update`, `purge`, `undelete` (Salesforce only: a
restore from the recycle bin) and `permissions` (Salesforce only: what the integration user
may not do); the middleware serves `calls` and
`faults`, and `_LimitsAdmin` the API allocation. Objects are API names (`Account`, `Contact`,
`Opportunity`, `Task`, `Event`...) and ids the 15- or 18-character record ids.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from crmsync_sandbox.common import OrjsonResponse
from crmsync_sandbox.common.middleware import AdminHandler, admin_body, admin_error
from crmsync_sandbox.salesforce.exceptions import RecordError
from crmsync_sandbox.salesforce.rest import OrgState
from crmsync_sandbox.salesforce.schema import ObjectDef

OBJECT_PERMISSIONS = frozenset({"queryable", "createable", "updateable", "deletable"})
FIELD_PERMISSIONS = frozenset({"createable", "updateable"})


class SalesforceAdmin:
    """Admin routes over the org and its sessions."""

    def __init__(self, state: OrgState) -> None:
        """Bind the routes to the org.

        Args:
            state: The org, its sessions and the rest of the server's state.
        """
        self.state = state

    def routes(self) -> dict[tuple[str, str], AdminHandler]:
        """The admin routes by `(method, path)`."""
        return {
            ("POST", "/__sandbox/expire-sessions"): self.expire_sessions,
            ("GET", "/__sandbox/sessions"): self.list_sessions,
            ("POST", "/__sandbox/silent-update"): self.silent_update,
            ("POST", "/__sandbox/purge"): self.purge,
            ("POST", "/__sandbox/undelete"): self.undelete,
            ("POST", "/__sandbox/permissions"): self.permissions,
            ("GET", "/__sandbox/permissions"): self.permissions,
        }

    async def expire_sessions(self, _request: Request) -> Response:
        """Refuse every access token issued so far (401 ``INVALID_SESSION_ID`` from now on)."""
        return OrjsonResponse({"expired": self.state.sessions.expire_all()})

    async def list_sessions(self, _request: Request) -> Response:
        """`{"tokens": [...]}`: the refresh token and every access token issued since start."""
        return OrjsonResponse({"tokens": self.state.sessions.issued})

    async def silent_update(self, request: Request) -> Response:
        """Change fields of a record without moving ``SystemModstamp``/``LastModifiedDate``."""
        body = await admin_body(request)
        fields = body.get("fields") if body else None
        if not isinstance(fields, dict):
            return admin_error(400, 'expected {"object": ..., "id": ..., "fields": {...}}')
        obj = self._object(body)
        if obj is None:
            return admin_error(404, f"unknown object {body.get('object')!r}")
        try:
            self.state.org.silent_update(obj, str(body.get("id")), fields)
        except RecordError as error:
            return admin_error(error.status, error.message)
        return OrjsonResponse({"object": obj.name, "id": self._id(body)})

    async def purge(self, request: Request) -> Response:
        """Remove a record, and what a delete of it would cascade to, without recycle-bin rows."""
        body = await admin_body(request)
        if body is None:
            return admin_error(400, 'expected {"object": ..., "id": ...}')
        obj = self._object(body)
        if obj is None:
            return admin_error(404, f"unknown object {body.get('object')!r}")
        record_id = self._id(body)
        try:
            cascaded = self.state.org.purge(obj, str(body.get("id")))
        except RecordError as error:
            return admin_error(error.status, error.message)
        return OrjsonResponse({"object": obj.name, "id": record_id, "cascaded": cascaded})

    async def undelete(self, request: Request) -> Response:
        """Restore a record (and what its delete cascaded to) from the recycle bin."""
        body = await admin_body(request)
        if body is None:
            return admin_error(400, 'expected {"object": ..., "id": ...}')
        obj = self._object(body)
        if obj is None:
            return admin_error(404, f"unknown object {body.get('object')!r}")
        try:
            restored = self.state.org.undelete(obj, str(body.get("id")))
        except RecordError as error:
            return admin_error(error.status, error.message)
        return OrjsonResponse({"object": obj.name, "id": self._id(body), "restored": restored})

    async def permissions(self, request: Request) -> Response:
        """Revoke object and field permissions of the integration user; answer what is revoked.

        ``{"object": O, "revoke": [...], "fields": {F: [...]}}`` replaces what is revoked on
        ``O`` (``revoke`` from ``queryable``, ``createable``, ``updateable``, ``deletable``;
        ``fields`` from ``createable``, ``updateable``); ``{}`` restores every permission.
        Describe then reports the permission false, writes answer
        ``INSUFFICIENT_ACCESS_OR_READONLY`` (a field: ``INVALID_FIELD_FOR_INSERT_UPDATE``) and
        queries ``INVALID_TYPE``, as for a real user whose profile lacks them.
        """
        org = self.state.org
        if request.method == "POST":
            body = await admin_body(request)
            if body is None:
                return admin_error(400, 'expected {"object": ..., "revoke": [...]}')
            if not body:
                org.revoked.clear()
                org.revoked_fields.clear()
            else:
                error = self._set_permissions(body)
                if error is not None:
                    return error
        return OrjsonResponse(
            {
                "objects": {name: sorted(perms) for name, perms in org.revoked.items()},
                "fields": {
                    f"{obj}.{field}": sorted(perms)
                    for (obj, field), perms in org.revoked_fields.items()
                },
            }
        )

    def _set_permissions(self, body: dict[str, Any]) -> Response | None:
        org = self.state.org
        obj = self._object(body)
        if obj is None:
            return admin_error(404, f"unknown object {body.get('object')!r}")
        revoke = body.get("revoke") or []
        fields = body.get("fields") or {}
        if not isinstance(revoke, list) or not set(revoke) <= OBJECT_PERMISSIONS:
            return admin_error(400, f"revoke: a list of {', '.join(sorted(OBJECT_PERMISSIONS))}")
        if not isinstance(fields, dict) or any(
            obj.get(str(name)) is None or not set(perms) <= FIELD_PERMISSIONS
            for name, perms in fields.items()
        ):
            return admin_error(
                400, f"fields: field name -> list of {', '.join(sorted(FIELD_PERMISSIONS))}"
            )
        org.revoked[obj.name] = set(revoke)
        for key in [key for key in org.revoked_fields if key[0] == obj.name]:
            del org.revoked_fields[key]
        for name, perms in fields.items():
            field = obj.get(str(name))
            if field is not None and perms:
                org.revoked_fields[(obj.name, field.name)] = set(perms)
        return None

    def _object(self, body: dict[str, Any]) -> ObjectDef | None:
        name = body.get("object")
        return self.state.org.objects.get(name) if isinstance(name, str) else None

    def _id(self, body: dict[str, Any]) -> str:
        found = self.state.org.find(str(body.get("id")))
        return found[1]["Id"] if found else str(body.get("id"))
