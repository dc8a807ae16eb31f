"""The ForceManager sandbox's records: in memory for speed, written through to SQLite."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmsync_sandbox.common import RecordStore
from crmsync_sandbox.exceptions import WhereSyntaxError
from crmsync_sandbox.forcemanager.schema import ALL_RESOURCES, LANGUAGES, ResourceDef
from crmsync_sandbox.forcemanager.where import (
    compile_where,
    parse_order,
    sort_records,
)

EXTRA_FIELDS = "extrafields"
DATABASE_FILE = "forcemanager.sqlite"
#: Filtered and sorted id lists kept per table; a tap walks the pages of one query, so a few
#: entries make every page after the first a slice instead of a scan.
_QUERY_CACHE_SIZE = 16
#: Kind of each extra-field type in `where` and validation.
EXTRA_KINDS = {
    "text": "text",
    "decimal": "decimal",
    "bit": "bool",
    "datetime": "datetime",
    "list": "list",
}


@dataclass
class Table:
    """The rows of one resource, in id order, and the queries cached on them."""

    name: str
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    cache: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def invalidate(self) -> None:
        """Drop cached query results after a write."""
        self.cache.clear()


class Database:
    """Every table of the sandbox plus the extra-field definitions.

    In memory, a reference field holds a dict `{"id", "value"}` shared by every record that
    points at the same row, so a page is served by serialising the stored dicts as they are
    (no per-record rendering) and renaming a record relabels every reference to it at once.
    SQLite keeps the write form (references as plain ints).
    """

    def __init__(self, data_dir: Path) -> None:
        """Open the SQLite file and load everything it holds.

        Args:
            data_dir: The sandbox data dir.
        """
        self.store = RecordStore(data_dir / DATABASE_FILE)
        self.tables: dict[str, Table] = {name: Table(name) for name in ALL_RESOURCES}
        self.tables[EXTRA_FIELDS] = Table(EXTRA_FIELDS)
        self._refs: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in ALL_RESOURCES}
        self._localized: dict[tuple[str, str], dict[int, str]] = {}
        self._extra_names: dict[str, list[str]] = {}
        # Per resource: (field, shared refs of the target table, target table name).
        self._ref_plan = {
            name: [(f.name, self._refs[f.table or ""], f.table or "") for f in r.ref_fields]
            for name, r in ALL_RESOURCES.items()
        }
        for table in self.tables.values():
            for record_id, record in self.store.load(table.name):
                table.rows[int(record_id)] = record
            stored_next = self.store.get_meta(f"next_id:{table.name}") or 1
            table.next_id = max(stored_next, max(table.rows, default=0) + 1)
        self._index_extra_fields()
        for name, resource in ALL_RESOURCES.items():
            for record in self.tables[name].rows.values():
                self._link(resource, record)

    # -- writes --------------------------------------------------------------------------------
    def insert(self, table_name: str, record: dict[str, Any]) -> int:
        """Store a new record under the next id.

        Args:
            table_name: The table.
            record: The record without `id`, references as ints.

        Returns:
            The new id.
        """
        table = self.tables[table_name]
        record_id = table.next_id
        table.next_id += 1
        record = {"id": record_id, **record}
        self.store.put(table_name, record_id, self._stored(table_name, record))
        self.store.set_meta(f"next_id:{table_name}", table.next_id)
        self._keep(table_name, record)
        if table_name == EXTRA_FIELDS:
            self._add_extra_field(record)
        return record_id

    def save(self, table_name: str, record: dict[str, Any]) -> None:
        """Store a changed record (references as ints or shared dicts).

        Args:
            table_name: The table.
            record: The whole record, with its `id`.
        """
        self.store.put(table_name, record["id"], self._stored(table_name, record))
        self._keep(table_name, record)

    def remove(self, table_name: str, record_id: int) -> bool:
        """Delete a record for good, leaving no `deleted` row behind.

        References to it from other records keep their last `{id, value}`.

        Args:
            table_name: The table.
            record_id: The id.

        Returns:
            False if there was no such record.
        """
        table = self.tables[table_name]
        if table.rows.pop(record_id, None) is None:
            return False
        self.store.remove(table_name, record_id)
        table.invalidate()
        return True

    def bulk_insert(self, table_name: str, records: Iterable[dict[str, Any]]) -> None:
        """Insert seed records that already carry their ids (references as ints).

        Args:
            table_name: The table.
            records: Records with `id`.
        """
        batch = list(records)
        self.store.put_many(table_name, ((r["id"], r) for r in batch))
        table = self.tables[table_name]
        if table_name == EXTRA_FIELDS:
            table.rows.update((r["id"], r) for r in batch)
            self._index_extra_fields()
        else:
            resource = ALL_RESOURCES[table_name]
            for record in batch:
                self._link(resource, record)
                table.rows[record["id"]] = record
            self._relabel(resource, batch)
        table.invalidate()
        table.next_id = max(table.rows, default=0) + 1
        self.store.set_meta(f"next_id:{table_name}", table.next_id)

    def _keep(self, table_name: str, record: dict[str, Any]) -> None:
        table = self.tables[table_name]
        resource = ALL_RESOURCES.get(table_name)
        if resource is not None:
            self._link(resource, record)
            self._relabel(resource, [record])
        table.rows[record["id"]] = record
        table.invalidate()

    def _link(self, resource: ResourceDef, record: dict[str, Any]) -> None:
        """Turn int references into the shared `{id, value}` dicts; add unset extra fields.

        This runs for every record at load, so it avoids method calls where it can.
        """
        for name, refs, table_name in self._ref_plan[resource.name]:
            value = record.get(name)
            if value.__class__ is int:
                shared = refs.get(value)
                record[name] = shared if shared is not None else self.ref(table_name, value)
        for name in self._extra_names.get(resource.name, ()):
            if name not in record:
                record[name] = None

    def _relabel(self, resource: ResourceDef, records: list[dict[str, Any]]) -> None:
        """Update the shared references to records whose label may have changed."""
        refs = self._refs[resource.name]
        if not refs:
            return
        for record in records:
            shared = refs.get(record["id"])
            if shared is not None:
                shared["value"] = _label(resource, record)

    def _index_extra_fields(self) -> None:
        names: dict[str, list[str]] = {}
        for definition in self.tables[EXTRA_FIELDS].rows.values():
            names.setdefault(definition["entity"], []).append("Z_" + definition["fieldName"])
        self._extra_names = names

    def _stored(self, table_name: str, record: dict[str, Any]) -> dict[str, Any]:
        resource = ALL_RESOURCES.get(table_name)
        if resource is None:
            return record
        stored = dict(record)
        for definition in resource.ref_fields:
            value = stored.get(definition.name)
            if isinstance(value, dict):
                stored[definition.name] = value["id"]
        return stored

    def _add_extra_field(self, definition: dict[str, Any]) -> None:
        self._index_extra_fields()
        resource = ALL_RESOURCES[definition["entity"]]
        for record in self.tables[resource.name].rows.values():
            self._link(resource, record)
        self.tables[resource.name].invalidate()

    # -- reads ---------------------------------------------------------------------------------
    def get(self, table_name: str, record_id: int) -> dict[str, Any] | None:
        """One record by id, deleted or not.

        Args:
            table_name: The table.
            record_id: The id.

        Returns:
            The stored record or None.
        """
        return self.tables[table_name].rows.get(record_id)

    def ref(self, table_name: str, record_id: int) -> dict[str, Any]:
        """The shared `{"id", "value"}` reference to a row.

        Args:
            table_name: The referenced table.
            record_id: The referenced id.

        Returns:
            The reference dict (value None if the row does not exist yet).
        """
        refs = self._refs[table_name]
        shared = refs.get(record_id)
        if shared is None:
            row = self.tables[table_name].rows.get(record_id)
            value = None if row is None else _label(ALL_RESOURCES[table_name], row)
            shared = refs[record_id] = {"id": record_id, "value": value}
        return shared

    def extra_fields(self, resource: str) -> list[dict[str, Any]]:
        """The extra-field definitions of a resource, in id order.

        Args:
            resource: E.g. `accounts`.

        Returns:
            The definitions.
        """
        rows = self.tables[EXTRA_FIELDS].rows.values()
        return [row for row in rows if row["entity"] == resource]

    def extra_field_names(self, resource: str) -> list[str]:
        """The `Z_` keys of a resource's extra fields.

        Args:
            resource: E.g. `accounts`.

        Returns:
            The keys.
        """
        return list(self._extra_names.get(resource, ()))

    def localized_label(self, table_name: str, record_id: int, lang: str) -> str | None:
        """The label of a lookup row in a `lang` (`es`, `de`, ...), English when unknown.

        Args:
            table_name: A lookup table (read only, so labels are computed once).
            record_id: The row id.
            lang: The `lang` parameter.

        Returns:
            The label, or None if the row does not exist.
        """
        key = (table_name, lang.lower())
        labels = self._localized.get(key)
        if labels is None:
            column = LANGUAGES.get(lang.lower(), "descriptionEN")
            rows = self.tables[table_name].rows
            labels = {i: str(row.get(column) or row["descriptionEN"]) for i, row in rows.items()}
            self._localized[key] = labels
        return labels.get(record_id)

    def query(self, resource: ResourceDef, where: str | None, order: str | None) -> list[int]:
        """The ids matching `where`, sorted by `order`; cached until the table changes.

        Args:
            resource: The resource definition.
            where: The `where` parameter, if any.
            order: The `order` parameter, if any.

        Returns:
            The matching ids.

        Raises:
            WhereSyntaxError: On a bad `where` or `order`.
        """
        table = self.tables[resource.name]
        cache_key = (where or "", order or "")
        cached = table.cache.get(cache_key)
        if cached is not None:
            return cached
        resolve = self.resolver(resource)
        records: list[dict[str, Any]] = list(table.rows.values())
        if where and where.strip():
            predicate = compile_where(where, resolve)
            records = [record for record in records if predicate(record)]
        if order and order.strip():
            records = sort_records(records, parse_order(order, resolve))
        ids = [record["id"] for record in records]
        if len(table.cache) >= _QUERY_CACHE_SIZE:
            table.cache.clear()
        table.cache[cache_key] = ids
        return ids

    def resolver(self, resource: ResourceDef) -> Any:
        """A field resolver for `where`/`order` on a resource (names match case-insensitively,
        a field's write aliases included).

        Args:
            resource: The resource definition.

        Returns:
            A function mapping a field name to (stored key, kind).
        """
        known = {f.name.lower(): (f.name, f.kind) for f in resource.all_fields}
        for field_def in resource.all_fields:
            for alias in field_def.write_aliases:
                known.setdefault(alias.lower(), (field_def.name, field_def.kind))
        if resource.extra_fields:
            for definition in self.extra_fields(resource.name):
                name = "Z_" + definition["fieldName"]
                known[name.lower()] = (name, EXTRA_KINDS[definition["type"]])

        def resolve(name: str) -> tuple[str, str]:
            found = known.get(name.lower())
            if found is None:
                raise WhereSyntaxError(f"unknown field {name!r}")
            return found

        return resolve

    def close(self) -> None:
        """Close the SQLite file."""
        self.store.close()


def _label(resource: ResourceDef, row: dict[str, Any]) -> str:
    """A row's label: its label fields joined by a space (e.g. a contact's full name)."""
    return " ".join(str(row[name]) for name in resource.label_fields if row.get(name))
