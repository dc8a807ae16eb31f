"""The sandbox org: records in memory, validated writes, and write-through persistence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from crmsync_sandbox.common import RecordStore, gc_paused
from crmsync_sandbox.salesforce import ids
from crmsync_sandbox.salesforce.exceptions import RecordError
from crmsync_sandbox.salesforce.schema import (
    CLOSED_STAGES,
    NUMBER_TYPES,
    STAGE_PROBABILITY,
    TASK_CLOSED_STATUS,
    TEXT_TYPES,
    WON_STAGE,
    FieldDef,
    ObjectDef,
    build_objects,
)
from crmsync_sandbox.salesforce.values import OrgClock, canonical_date, canonical_datetime

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Hidden record key holding when a record went to the recycle bin (for ``/deleted/``).
DELETED_AT = "_DeletedDate"
#: Meta keys of the SQLite store.
_META_COUNTERS = "salesforce_id_counters"
_META_CUSTOM_FIELDS = "salesforce_custom_fields"
#: Meta key set when the org was made without ``ForceManager_Id__c`` (``--bare-org``).
META_BARE_ORG = "salesforce_bare_org"
_AUDIT_FIELDS = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById")
#: Key prefix of Tooling ``CustomField`` ids.
CUSTOM_FIELD_PREFIX = "00N"
#: Lookups whose parent's deletion deletes the child, as in a real org: an account takes its
#: contacts and opportunities to the recycle bin, and any deleted record takes the activities
#: that point at it (``WhoId``/``WhatId``).
CASCADE_LOOKUPS: dict[str, tuple[str, ...]] = {
    "Contact": ("AccountId",),
    "Opportunity": ("AccountId",),
    "Task": ("WhoId", "WhatId"),
    "Event": ("WhoId", "WhatId"),
}

Record = dict[str, Any]


def _no_column(obj: ObjectDef, name: str) -> RecordError:
    return RecordError(
        "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}", [name]
    )


class Org:
    """Every record of the org, its schema, id counters and the modification clock.

    Records are plain dicts of API-shaped values (datetimes as API text, which sorts in time
    order), kept in insertion order per object and mirrored to SQLite on every write.
    """

    def __init__(self, store: RecordStore | None = None, *, bare: bool = False) -> None:
        """Load the org from ``store`` (or start empty and in memory only).

        Args:
            store: the SQLite store of the data dir, or ``None``.
            bare: make the org without ``ForceManager_Id__c`` (kept in the store: a bare org
                stays bare until its field is created through the Tooling API).
        """
        self.store = store
        if store is not None:
            if bare and store.is_new:
                store.set_meta(META_BARE_ORG, True)
            bare = bool(store.get_meta(META_BARE_ORG))
        self.bare = bare
        self.objects: dict[str, ObjectDef] = build_objects(bare=bare)
        self.by_prefix = {o.key_prefix: o for o in self.objects.values()}
        self.records: dict[str, dict[str, Record]] = {name: {} for name in self.objects}
        self.counters: dict[str, int] = {}
        self.custom_fields: list[dict[str, Any]] = []
        #: When a field was last added (`If-Modified-Since` of describe global); None: never.
        self.schema_changed_at: datetime | None = None
        self.clock = OrgClock()
        self._unique: dict[tuple[str, str], dict[str, str]] = {}
        self._undo: list[tuple[str, str, Record | None]] | None = None
        #: Parent id -> live records that cascade from it; built on the first delete.
        self._children: dict[str, set[tuple[str, str]]] | None = None
        #: What the integration user may not do (`/__sandbox/permissions`): object name ->
        #: object permissions revoked, and (object, field) -> field permissions revoked.
        self.revoked: dict[str, set[str]] = {}
        self.revoked_fields: dict[tuple[str, str], set[str]] = {}
        if store is not None:
            self._load(store)
        self.reindex()

    # ----------------------------------------------------------------- persistence
    def _load(self, store: RecordStore) -> None:
        self.counters = store.get_meta(_META_COUNTERS) or {}
        for spec in store.get_meta(_META_CUSTOM_FIELDS) or []:
            self._install_field(spec["object"], FieldDef(**_field_kwargs(spec["field"])))
            self.custom_fields.append(spec)
            if spec.get("created_at"):
                created = datetime.fromisoformat(spec["created_at"])
                self.schema_changed_at = max(created, self.schema_changed_at or created)
        with gc_paused():
            for name, records in self.records.items():
                loaded = [record for _id, record in store.load(name)]
                if not loaded:
                    continue
                # SQLite returns text order; creation (counter) order is the org's default order.
                loaded.sort(key=lambda r: ids.creation_key(r["Id"]))
                records.update((r["Id"], r) for r in loaded)
                self.clock.observe(max(r["SystemModstamp"] or "" for r in loaded))
                newest = loaded[-1]["Id"]
                prefix = newest[:3]
                self.counters[prefix] = max(self.counters.get(prefix, 0), ids.counter_of(newest))

    def _persist(self, obj_name: str, record: Record) -> None:
        if self.store is not None:
            self.store.put(obj_name, record["Id"], record)

    def save_counters(self) -> None:
        """Persist the id counters (after seeding or creating records)."""
        if self.store is not None:
            self.store.set_meta(_META_COUNTERS, self.counters)

    def reindex(self) -> None:
        """Rebuild the unique-field indexes from the records (the cascade index lazily)."""
        self._unique = {}
        self._children = None
        for obj in self.objects.values():
            for fdef in obj.fields.values():
                if fdef.unique and fdef.type != "id":
                    index: dict[str, str] = {}
                    for record in self.records[obj.name].values():
                        value = record.get(fdef.name)
                        if value is not None and not record.get("IsDeleted"):
                            index[str(value).lower()] = record["Id"]
                    self._unique[(obj.name, fdef.name)] = index

    # ----------------------------------------------------------------- ids and lookups
    def new_id(self, prefix: str) -> str:
        """Return the next id of key prefix ``prefix``."""
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return ids.make_id(prefix, self.counters[prefix])

    def new_ids(self, prefix: str, count: int) -> list[str]:
        """Return the next ``count`` ids of key prefix ``prefix`` (used by the seed)."""
        first = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = first + count - 1
        return [ids.make_id(prefix, counter) for counter in range(first, first + count)]

    def object_of(self, name: str) -> ObjectDef | None:
        """Return the object called ``name`` (case-insensitive), or ``None``."""
        found = self.objects.get(name)
        if found is not None:
            return found
        return next((o for n, o in self.objects.items() if n.lower() == name.lower()), None)

    # ----------------------------------------------------------------- permissions
    def permits(self, obj: ObjectDef, permission: str, field: str | None = None) -> bool:
        """Whether the integration user holds ``permission`` on the object (or its ``field``).

        Args:
            obj: the object.
            permission: ``queryable``, ``createable``, ``updateable`` or ``deletable``.
            field: a field name, for field-level permissions (``createable``/``updateable``).
        """
        if field is not None:
            return permission not in self.revoked_fields.get((obj.name, field), set())
        return permission not in self.revoked.get(obj.name, set())

    def queryable_objects(self) -> dict[str, ObjectDef]:
        """The objects the integration user may query (others answer ``INVALID_TYPE``)."""
        return {n: o for n, o in self.objects.items() if self.permits(o, "queryable")}

    def with_permissions(self, obj: ObjectDef, described: dict[str, Any]) -> dict[str, Any]:
        """A describe (object or global entry) as the integration user sees it."""
        revoked = self.revoked.get(obj.name, set())
        out = {**described, **{flag: False for flag in revoked if flag in described}}
        if "undeletable" in out and "deletable" in revoked:
            out["undeletable"] = False
        if "fields" in out:
            fields = []
            for fdef in out["fields"]:
                lost = self.revoked_fields.get((obj.name, fdef["name"]), set())
                fields.append({**fdef, **dict.fromkeys(lost, False)} if lost else fdef)
            out["fields"] = fields
        return out

    def _require(self, obj: ObjectDef, permission: str) -> None:
        if not self.permits(obj, permission):
            raise RecordError(
                "INSUFFICIENT_ACCESS_OR_READONLY",
                "insufficient access rights on object id",
            )

    def find(self, record_id: str) -> tuple[ObjectDef, Record] | None:
        """Return the object and record of an id (deleted records included), or ``None``."""
        normal = ids.normalize(record_id)
        if normal is None:
            return None
        obj = self.by_prefix.get(normal[:3])
        if obj is None:
            return None
        record = self.records[obj.name].get(normal)
        return None if record is None else (obj, record)

    def get_live(self, obj: ObjectDef, record_id: str) -> Record:
        """Return a record of ``obj`` that is not in the recycle bin.

        Raises:
            RecordError: ``MALFORMED_ID``, ``NOT_FOUND`` (404) or ``ENTITY_IS_DELETED`` (404).
        """
        normal = ids.normalize(record_id)
        if normal is None:
            raise RecordError(
                "MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {record_id}", ["Id"]
            )
        record = self.records[obj.name].get(normal)
        if record is None or normal[:3] != obj.key_prefix:
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        if record.get("IsDeleted"):
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", status=404)
        return record

    def get_any(self, obj: ObjectDef, record_id: str) -> str:
        """Return the canonical id of a record of ``obj`` (deleted ones included)."""
        found = self.find(record_id)
        return found[1]["Id"] if found else record_id

    # ----------------------------------------------------------------- transactions
    @contextmanager
    def transaction(self) -> Iterator[list[tuple[str, str, Record | None]]]:
        """Collect an undo log of the writes inside the block (see :meth:`rollback`).

        Writes reach SQLite when the block ends, so a rolled-back write is never stored.
        """
        self._undo = undo = []
        try:
            yield undo
        finally:
            self._undo = None
            for obj_name, record_id, _old in undo:
                record = self.records[obj_name].get(record_id)
                if record is not None:
                    self._persist(obj_name, record)

    def rollback(self, undo: list[tuple[str, str, Record | None]]) -> None:
        """Undo the writes of a transaction in memory, newest first."""
        for obj_name, record_id, old in reversed(undo):
            current = self.records[obj_name].get(record_id)
            if current is not None:
                self._unindex(obj_name, current)
            if old is None:
                self.records[obj_name].pop(record_id, None)
            else:
                self.records[obj_name][record_id] = old
                self._index(obj_name, old)

    def _commit(self, obj: ObjectDef, record: Record, old: Record | None) -> None:
        if self._undo is not None:
            self._undo.append((obj.name, record["Id"], old))
        if old is not None:
            self._unindex(obj.name, old)
        self.records[obj.name][record["Id"]] = record
        self._index(obj.name, record)
        if self._undo is None:
            self._persist(obj.name, record)

    def _index(self, obj_name: str, record: Record) -> None:
        if record.get("IsDeleted"):
            return
        for (name, fname), index in self._unique.items():
            if name == obj_name and record.get(fname) is not None:
                index[str(record[fname]).lower()] = record["Id"]
        if self._children is not None:
            for fname in CASCADE_LOOKUPS.get(obj_name, ()):
                parent = record.get(fname)
                if parent:
                    self._children.setdefault(parent, set()).add((obj_name, record["Id"]))

    def _unindex(self, obj_name: str, record: Record) -> None:
        for (name, fname), index in self._unique.items():
            value = record.get(fname)
            if name == obj_name and value is not None:
                key = str(value).lower()
                if index.get(key) == record["Id"]:
                    del index[key]
        if self._children is not None:
            for fname in CASCADE_LOOKUPS.get(obj_name, ()):
                children = self._children.get(record.get(fname) or "")
                if children is not None:
                    children.discard((obj_name, record["Id"]))

    def _children_of(self, parent_id: str) -> list[tuple[str, str]]:
        """Return ``(object, id)`` of the live records whose deletion follows ``parent_id``'s."""
        if self._children is None:
            index: dict[str, set[tuple[str, str]]] = {}
            for obj_name, fields in CASCADE_LOOKUPS.items():
                for record in self.records[obj_name].values():
                    if record.get("IsDeleted"):
                        continue
                    for fname in fields:
                        parent = record.get(fname)
                        if parent:
                            index.setdefault(parent, set()).add((obj_name, record["Id"]))
            self._children = index
        return sorted(self._children.get(parent_id, ()))

    # ----------------------------------------------------------------- writes
    def create(self, obj: ObjectDef, body: dict[str, Any], user_id: str) -> str:
        """Validate and insert a record; return its id.

        Raises:
            RecordError: on any validation failure, with the real org's error code.
        """
        if not obj.createable_by_api:
            raise RecordError(
                "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support insert"
            )
        self._require(obj, "createable")
        values = self._writable_values(obj, body, creating=True)
        record: Record = {f.name: f.default for f in obj.fields.values()}
        record.update(values)
        now = self.clock.now()
        record["Id"] = self.new_id(obj.key_prefix)
        if record.get("OwnerId") is None and "OwnerId" in obj.fields:
            record["OwnerId"] = user_id
        record.update(
            CreatedDate=now,
            CreatedById=user_id,
            LastModifiedDate=now,
            LastModifiedById=user_id,
            SystemModstamp=now,
        )
        if obj.name == "Opportunity" and "Probability" not in values:
            record["Probability"] = STAGE_PROBABILITY.get(record.get("StageName") or "")
        self._check_and_derive(obj, record, creating=True)
        self._commit(obj, record, None)
        return record["Id"]

    def update(self, obj: ObjectDef, record_id: str, body: dict[str, Any], user_id: str) -> None:
        """Validate and apply a partial update.

        Raises:
            RecordError: ``NOT_FOUND``/``ENTITY_IS_DELETED`` (404) or a validation failure.
        """
        self._require(obj, "updateable")
        old = self.get_live(obj, record_id)
        values = self._writable_values(obj, body, creating=False)
        record = {**old, **values}
        now = self.clock.now()
        record.update(LastModifiedDate=now, LastModifiedById=user_id, SystemModstamp=now)
        self._check_and_derive(obj, record, creating=False)
        self._commit(obj, record, old)

    def delete(self, obj: ObjectDef, record_id: str, user_id: str) -> list[str]:
        """Move a record, and the records that cascade from it, to the recycle bin.

        As in a real org, deleting an Account also deletes its Contacts and Opportunities, and
        deleting any record deletes the Tasks and Events whose ``WhoId`` or ``WhatId`` is that
        record (so an account's activities go too). Every deleted record gets
        ``IsDeleted = true`` and the same new ``SystemModstamp``.

        Returns:
            The ids of the records deleted by cascade (not the record itself).

        Raises:
            RecordError: ``MALFORMED_ID``, ``NOT_FOUND`` or ``ENTITY_IS_DELETED``.
        """
        if not obj.deletable:
            raise RecordError(
                "INVALID_TYPE_FOR_OPERATION", f"entity type {obj.name} does not support delete"
            )
        self._require(obj, "deletable")
        old = self.get_live(obj, record_id)
        now = self.clock.now()
        self._move_to_bin(obj, old, now, user_id)
        cascaded: list[str] = []
        pending = [old["Id"]]
        while pending:
            for child_obj, child_id in self._children_of(pending.pop()):
                child = self.records[child_obj].get(child_id)
                if child is None or child.get("IsDeleted"):
                    continue
                self._move_to_bin(self.objects[child_obj], child, now, user_id)
                cascaded.append(child_id)
                pending.append(child_id)
        return cascaded

    def _move_to_bin(self, obj: ObjectDef, old: Record, now: str, user_id: str) -> None:
        record = {
            **old,
            "IsDeleted": True,
            "LastModifiedDate": now,
            "LastModifiedById": user_id,
            "SystemModstamp": now,
            DELETED_AT: now,
        }
        self._commit(obj, record, old)

    def undelete(self, obj: ObjectDef, record_id: str) -> list[str]:
        """Restore a record from the recycle bin, as a user does in the Recycle Bin page.

        The records its delete cascaded to (children deleted at the same moment) come back
        with it, and every restored record gets a new ``SystemModstamp``, so ``queryAll``
        shows it live again.

        Returns:
            The ids restored with it (not the record itself).

        Raises:
            RecordError: ``NOT_FOUND`` (404) for an id not of ``obj``; ``UNDELETE_FAILED``
                for a record that is not in the recycle bin.
        """
        found = self.find(record_id)
        if found is None or found[0] is not obj:
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        root = found[1]
        if not root.get("IsDeleted"):
            raise RecordError("UNDELETE_FAILED", "Entity is not in the recycle bin")
        moment = root.get(DELETED_AT)
        now = self.clock.now()
        restored: list[str] = []
        pending = [(obj, root)]
        while pending:
            parent_obj, old = pending.pop()
            record = {k: v for k, v in old.items() if k != DELETED_AT}
            record.update(IsDeleted=False, LastModifiedDate=now, SystemModstamp=now)
            self._commit(parent_obj, record, old)
            if old is not root:
                restored.append(old["Id"])
            for child_obj, fields in CASCADE_LOOKUPS.items():
                for child in list(self.records[child_obj].values()):
                    if (
                        child.get("IsDeleted")
                        and child.get(DELETED_AT) == moment
                        and any(child.get(f) == old["Id"] for f in fields)
                    ):
                        pending.append((self.objects[child_obj], child))
        self._children = None
        return restored

    def silent_update(self, obj: ObjectDef, record_id: str, body: dict[str, Any]) -> None:
        """Change field values and keep the modification stamps (a sandbox admin change).

        Any field but ``Id`` may change, the audit fields included; values are coerced like
        API values, and derived fields (names, closed flags) follow. ``SystemModstamp`` and
        ``LastModifiedDate`` stay as they were unless ``body`` names them, so no cursor on
        them sees the change.

        Raises:
            RecordError: ``NOT_FOUND`` (404) for an id not of ``obj``; a 400 for an unknown
                field, ``Id``, or a value of the wrong type.
        """
        found = self.find(record_id)
        if found is None or found[0] is not obj:
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        old = found[1]
        values: dict[str, Any] = {}
        for key, raw in body.items():
            fdef = obj.get(key)
            if fdef is None:
                raise _no_column(obj, key)
            if fdef.name == "Id":
                raise RecordError("INVALID_FIELD", "Id cannot be changed", ["Id"])
            values[fdef.name] = None if raw is None else coerce(fdef, raw)
        record = {**old, **values}
        self.derive(obj, record)
        self._commit(obj, record, old)

    def purge(self, obj: ObjectDef, record_id: str) -> list[str]:
        """Remove a record without a trace: no recycle-bin row, nothing ``queryAll`` can see.

        A hard delete takes what a delete would cascade to (an Account's Contacts and
        Opportunities, the Tasks and Events of any purged record), whether live or already in
        the recycle bin, so no record is left pointing at a purged one.

        Returns:
            The ids purged by cascade (not the record itself).

        Raises:
            RecordError: ``NOT_FOUND`` (404) for an id not of ``obj``.
        """
        found = self.find(record_id)
        if found is None or found[0] is not obj:
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        root = found[1]["Id"]
        doomed = [(obj.name, root)]
        pending = [root]
        while pending:
            parent = pending.pop()
            for child_obj, fields in CASCADE_LOOKUPS.items():
                for child in self.records[child_obj].values():
                    if any(child.get(f) == parent for f in fields):
                        doomed.append((child_obj, child["Id"]))
                        pending.append(child["Id"])
        for obj_name, doomed_id in doomed:
            record = self.records[obj_name].pop(doomed_id, None)
            if record is None:
                continue
            self._unindex(obj_name, record)
            if self.store is not None:
                self.store.remove(obj_name, doomed_id)
        self._children = None
        return [doomed_id for _obj, doomed_id in doomed[1:]]

    def matches(self, obj: ObjectDef, fdef: FieldDef, value: str) -> list[str]:
        """Return the ids of live records whose ``fdef`` equals ``value`` (case-insensitive)."""
        if fdef.type == "id":
            normal = ids.normalize(value)
            record = self.records[obj.name].get(normal or "")
            return [record["Id"]] if record and not record.get("IsDeleted") else []
        index = self._unique.get((obj.name, fdef.name))
        if index is not None:
            found = index.get(value.lower())
            return [found] if found else []
        wanted = value.lower()
        return [
            r["Id"]
            for r in self.records[obj.name].values()
            if not r.get("IsDeleted") and str(r.get(fdef.name) or "").lower() == wanted
        ]

    def _writable_values(
        self, obj: ObjectDef, body: dict[str, Any], creating: bool
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        read_only: list[str] = []
        for key, raw in body.items():
            if key == "attributes":
                continue
            fdef = obj.get(key)
            if fdef is None:
                raise _no_column(obj, key)
            if fdef.name == "Id":
                raise RecordError(
                    "INVALID_FIELD",
                    "The Id field should not be specified in the sobject data.",
                    ["Id"],
                )
            permission = "createable" if creating else "updateable"
            if not (getattr(fdef, permission) and self.permits(obj, permission, field=fdef.name)):
                read_only.append(fdef.name)
                continue
            values[fdef.name] = coerce(fdef, raw)
        if read_only:
            verb = "create" if creating else "update"
            raise RecordError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to {verb}/update fields: {', '.join(read_only)}. Please check the "
                "security settings of this field and verify that it is Read/Write for your "
                "profile or permission set.",
                read_only,
            )
        return values

    def _check_and_derive(self, obj: ObjectDef, record: Record, creating: bool) -> None:
        missing = [
            f.name
            for f in obj.fields.values()
            if not f.nillable and f.createable and record.get(f.name) is None
        ]
        if missing:
            raise RecordError(
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )
        for fdef in obj.fields.values():
            value = record.get(fdef.name)
            if value is None:
                continue
            if fdef.restricted_picklist and value not in fdef.picklist:
                raise RecordError(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{fdef.label}: bad value for restricted picklist field: {value}",
                    [fdef.name],
                )
            if fdef.type == "reference" and fdef.createable:
                self._check_reference(obj, fdef, value)
        self.derive(obj, record)
        self._check_unique(obj, record)
        start, end = record.get("StartDateTime"), record.get("EndDateTime")
        if obj.name == "Event" and start and end and end < start:
            raise RecordError(
                "FIELD_INTEGRITY_EXCEPTION",
                "End Date Time: End time can't be before start time",
                ["EndDateTime"],
            )
        del creating

    def _check_reference(self, obj: ObjectDef, fdef: FieldDef, value: str) -> None:
        target_prefixes = {self.objects[t].key_prefix for t in fdef.reference_to}
        if value[:3] not in target_prefixes:
            raise RecordError(
                "FIELD_INTEGRITY_EXCEPTION",
                f"{fdef.label}: id value of incorrect type: {value}",
                [fdef.name],
            )
        found = self.find(value)
        if found is None:
            raise RecordError(
                "INVALID_CROSS_REFERENCE_KEY",
                f"{fdef.label}: invalid cross reference id",
                [fdef.name],
            )
        target_obj, target = found
        if target.get("IsDeleted"):
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [fdef.name])
        if target_obj.name == "User" and not target.get("IsActive"):
            raise RecordError(
                "INACTIVE_OWNER_OR_USER",
                f"operation performed with inactive user [{value}] as owner of [{obj.name}]",
                [fdef.name],
            )

    def derive(self, obj: ObjectDef, record: Record) -> None:
        """Compute the derived fields (names, closed/won flags, activity accounts)."""
        if obj.name in {"User", "Contact"}:
            record["Name"] = " ".join(
                p for p in (record.get("FirstName"), record.get("LastName")) if p
            )
        elif obj.name == "Opportunity":
            stage = record.get("StageName")
            record["IsClosed"] = stage in CLOSED_STAGES
            record["IsWon"] = stage == WON_STAGE
        elif obj.name == "Task":
            record["IsClosed"] = record.get("Status") == TASK_CLOSED_STATUS
        if obj.name in {"Task", "Event"}:
            record["AccountId"] = self.activity_account(record)

    def activity_account(self, record: Record) -> str | None:
        """Return the account an activity belongs to: its What, or its Who's account."""
        what = record.get("WhatId")
        if what and what.startswith("001"):
            return what
        if what and what.startswith("006"):
            opp = self.records["Opportunity"].get(what)
            return opp.get("AccountId") if opp else None
        who = record.get("WhoId")
        contact = self.records["Contact"].get(who) if who else None
        return contact.get("AccountId") if contact else None

    def _check_unique(self, obj: ObjectDef, record: Record) -> None:
        for (name, fname), index in self._unique.items():
            value = record.get(fname)
            if name != obj.name or value is None:
                continue
            other = index.get(str(value).lower())
            if other is not None and other != record["Id"]:
                raise RecordError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {fname} duplicates value on record with id: {other}",
                    [fname],
                )

    # ----------------------------------------------------------------- custom fields
    def add_custom_field(self, obj_name: str, fdef: FieldDef) -> str:
        """Add a custom field to an object, persist its definition, return its Tooling id."""
        self._install_field(obj_name, fdef)
        self.schema_changed_at = datetime.now(UTC)
        spec = {
            "object": obj_name,
            "field": asdict(fdef),
            "id": self.new_id(CUSTOM_FIELD_PREFIX),
            "created_at": self.schema_changed_at.isoformat(),
        }
        self.custom_fields.append(spec)
        if self.store is not None:
            self.store.set_meta(_META_CUSTOM_FIELDS, self.custom_fields)
        self.save_counters()
        return spec["id"]

    def _install_field(self, obj_name: str, fdef: FieldDef) -> None:
        self.objects[obj_name].add_field(fdef)
        for record in self.records[obj_name].values():
            record.setdefault(fdef.name, fdef.default)
        if fdef.unique:
            self._unique[(obj_name, fdef.name)] = {}


def _field_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


def coerce(fdef: FieldDef, raw: Any) -> Any:  # noqa: PLR0911 - one branch per field type
    """Convert a JSON value written to ``fdef`` into its stored form, or raise like the org.

    Raises:
        RecordError: ``JSON_PARSER_ERROR``, ``STRING_TOO_LONG``, ``INVALID_EMAIL_ADDRESS``,
            ``MALFORMED_ID``, ``NUMBER_OUTSIDE_VALID_RANGE``.
    """
    if raw is None:
        return False if fdef.type == "boolean" else None
    ftype = fdef.type
    if ftype in TEXT_TYPES or ftype in {"reference", "id"}:
        return _coerce_text(fdef, raw)
    if ftype == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in {"true", "false"}:
            return raw.lower() == "true"
        raise _parse_error(fdef, "boolean", raw)
    if ftype in NUMBER_TYPES:
        return _coerce_number(fdef, raw)
    if ftype == "date":
        value = canonical_date(raw) if isinstance(raw, str) else None
        if value is None:
            raise _parse_error(fdef, "date", raw)
        return value
    value = canonical_datetime(raw) if isinstance(raw, str) else None
    if value is None:
        raise _parse_error(fdef, "datetime", raw)
    return value


def _coerce_text(fdef: FieldDef, raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _parse_error(fdef, "string", raw)
    value = raw if isinstance(raw, str) else str(raw)
    if fdef.type in {"reference", "id"}:
        if value == "":
            return None  # type: ignore[return-value]  # an empty id clears a lookup
        normal = ids.normalize(value)
        if normal is None:
            raise RecordError(
                "MALFORMED_ID", f"{fdef.label}: id value of incorrect type: {value}", [fdef.name]
            )
        return normal
    if fdef.length and len(value) > fdef.length:
        raise RecordError(
            "STRING_TOO_LONG",
            f"{fdef.label}: data value too large: {value[:40]} (max length={fdef.length})",
            [fdef.name],
        )
    if fdef.type == "email" and value and not _EMAIL_RE.match(value):
        raise RecordError(
            "INVALID_EMAIL_ADDRESS", f"{fdef.label}: invalid email address: {value}", [fdef.name]
        )
    return value


def _coerce_number(fdef: FieldDef, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise _parse_error(fdef, "double", raw)
    try:
        number = float(raw) if not isinstance(raw, int) else raw
    except (TypeError, ValueError):
        raise _parse_error(fdef, "double", raw) from None
    if fdef.type == "int":
        if float(number) != int(number):
            raise _parse_error(fdef, "int", raw)
        number = int(number)
    else:
        number = round(float(number), fdef.scale)
    if fdef.precision and abs(number) >= 10 ** (fdef.precision - fdef.scale):
        raise RecordError(
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{fdef.label}: value outside of valid range on numeric field: {raw}",
            [fdef.name],
        )
    return number


def _parse_error(fdef: FieldDef, type_name: str, raw: Any) -> RecordError:
    kind = (
        "VALUE_STRING"
        if isinstance(raw, str)
        else "VALUE_NUMBER"
        if isinstance(raw, int | float)
        else "START_OBJECT"
    )
    return RecordError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from {kind} value {raw} or request may be "
        f"missing a required field",
        [fdef.name],
    )
