"""The ForceManager sandbox's records: in memory for speed, written through to SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    """Every table of the sandbox plus the extra-field definitions."""

    def __init__(self, data_dir: Path) -> None:
        """Open the SQLite file and load everything it holds.

        Args:
            data_dir: The sandbox data dir.
        """
        self.store = RecordStore(data_dir / DATABASE_FILE)
        self.tables: dict[str, Table] = {name: Table(name) for name in ALL_RESOURCES}
        self.tables[EXTRA_FIELDS] = Table(EXTRA_FIELDS)
        self._static_labels: dict[tuple[str, str], dict[int, str]] = {}
        for table in self.tables.values():
            for record_id, record in self.store.load(table.name):
                table.rows[int(record_id)] = record
            stored_next = self.store.get_meta(f"next_id:{table.name}") or 1
            table.next_id = max(stored_next, max(table.rows, default=0) + 1)

    # -- writes --------------------------------------------------------------------------------
    def insert(self, table_name: str, record: dict[str, Any]) -> int:
        """Store a new record under the next id.

        Args:
            table_name: The table.
            record: The record without `id`.

        Returns:
            The new id.
        """
        table = self.tables[table_name]
        record_id = table.next_id
        table.next_id += 1
        record = {"id": record_id, **record}
        table.rows[record_id] = record
        table.invalidate()
        self.store.put(table_name, record_id, record)
        self.store.set_meta(f"next_id:{table_name}", table.next_id)
        return record_id

    def save(self, table_name: str, record: dict[str, Any]) -> None:
        """Persist a changed record (already updated in memory).

        Args:
            table_name: The table.
            record: The record, with its `id`.
        """
        table = self.tables[table_name]
        table.rows[record["id"]] = record
        table.invalidate()
        self.store.put(table_name, record["id"], record)

    def bulk_insert(self, table_name: str, records: Iterable[dict[str, Any]]) -> None:
        """Insert seed records that already carry their ids.

        Args:
            table_name: The table.
            records: Records with `id`.
        """
        table = self.tables[table_name]
        for record in records:
            table.rows[record["id"]] = record
        table.next_id = max(table.rows, default=0) + 1
        table.invalidate()
        self._static_labels.clear()
        self.store.put_many(table_name, ((r["id"], r) for r in table.rows.values()))
        self.store.set_meta(f"next_id:{table_name}", table.next_id)

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

    def extra_fields(self, resource: str) -> list[dict[str, Any]]:
        """The extra-field definitions of a resource, in id order.

        Args:
            resource: E.g. `accounts`.

        Returns:
            The definitions.
        """
        rows = self.tables[EXTRA_FIELDS].rows.values()
        return [row for row in rows if row["entity"] == resource]

    def labeller(self, table_name: str, lang: str | None = None) -> Callable[[int], str | None]:
        """A function giving the label of a referenced record, shown as `value` in `{id, value}`.

        Users and lookup lists are read only through the API, so their labels are computed
        once per language; records' labels are read live, since a PUT can rename them.

        Args:
            table_name: The referenced table.
            lang: The `lang` parameter (picks a lookup's description).

        Returns:
            A function from id to label (None if the id does not exist).
        """
        resource = ALL_RESOURCES[table_name]
        rows = self.tables[table_name].rows
        if resource.writable:
            fields = resource.label_fields
            if len(fields) == 1:
                only = fields[0]
                return lambda record_id: _label_of(rows.get(record_id), only)
            return lambda record_id: _joined_label(rows.get(record_id), fields)
        key = (table_name, (lang or "en").lower())
        labels = self._static_labels.get(key)
        if labels is None:
            labels = {i: self._static_label(resource, row, lang) for i, row in rows.items()}
            self._static_labels[key] = labels
        return labels.get

    @staticmethod
    def _static_label(resource: ResourceDef, row: dict[str, Any], lang: str | None) -> str:
        if lang and "descriptionEN" in resource.label_fields:
            localized = row.get(LANGUAGES.get(lang.lower(), "descriptionEN"))
            if localized:
                return str(localized)
        return _joined_label(row, resource.label_fields) or ""

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
        """A field resolver for `where`/`order` on a resource (names match case-insensitively).

        Args:
            resource: The resource definition.

        Returns:
            A function mapping a field name to (stored key, kind).
        """
        known = {f.name.lower(): (f.name, f.kind) for f in resource.all_fields}
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


def _label_of(row: dict[str, Any] | None, field_name: str) -> str | None:
    if row is None:
        return None
    value = row.get(field_name)
    return "" if value is None else str(value)


def _joined_label(row: dict[str, Any] | None, fields: tuple[str, ...]) -> str | None:
    if row is None:
        return None
    return " ".join(str(row[name]) for name in fields if row.get(name))
