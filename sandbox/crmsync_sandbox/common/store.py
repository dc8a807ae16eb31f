"""Write-through SQLite persistence for a server's in-memory records.

Each server serves from plain dicts (fast) and mirrors every write into one SQLite file in the
data dir, one JSON document per record, so stopping and serving again restores every record,
definition and id counter. WAL with `synchronous=NORMAL` makes a write a few microseconds while
surviving a process crash (only an OS crash can lose the last transactions, fine for a sandbox).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

#: Rows per executemany batch when seeding, so a 600,000-record seed keeps memory flat.
_BULK_CHUNK = 20_000

_SCHEMA = (
    # `id` has no declared type on purpose: SQLite keeps ints as ints and strings as strings,
    # so ForceManager's integer ids and Salesforce's 18-char ids share one table shape.
    "CREATE TABLE IF NOT EXISTS records ("
    " collection TEXT NOT NULL, id NOT NULL, doc BLOB NOT NULL, PRIMARY KEY (collection, id))",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

_INITIALISED = "initialised"

RecordId = int | str


class RecordStore:
    """One SQLite database of JSON records grouped in named collections, plus a meta table."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the database.

        Args:
            path: The SQLite file, e.g. `DIR/forcemanager.sqlite`.
        """
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # One asyncio loop uses the connection, but uvicorn may close it from another thread.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            self._db.execute(statement)

    @property
    def is_new(self) -> bool:
        """True until `mark_initialised` was called on this database (the seed has not run)."""
        return self.get_meta(_INITIALISED) is None

    def mark_initialised(self) -> None:
        """Record that the seed data is in place, so later starts never seed again."""
        self.set_meta(_INITIALISED, True)

    def load(self, collection: str) -> Iterator[tuple[RecordId, dict[str, Any]]]:
        """Every record of a collection, in id order.

        Args:
            collection: The collection name, e.g. `accounts`.

        Yields:
            `(id, record)` pairs.
        """
        cursor = self._db.execute(
            "SELECT id, doc FROM records WHERE collection = ? ORDER BY id", (collection,)
        )
        for record_id, doc in cursor:
            yield record_id, orjson.loads(doc)

    def put(self, collection: str, record_id: RecordId, record: dict[str, Any]) -> None:
        """Insert or replace one record (autocommitted).

        Args:
            collection: The collection name.
            record_id: The record's id.
            record: The record, JSON-serialisable.
        """
        self._db.execute(
            "INSERT OR REPLACE INTO records (collection, id, doc) VALUES (?, ?, ?)",
            (collection, record_id, orjson.dumps(record)),
        )

    def remove(self, collection: str, record_id: RecordId) -> None:
        """Delete one record for good (autocommitted); a missing one is no error.

        Args:
            collection: The collection name.
            record_id: The record's id.
        """
        self._db.execute(
            "DELETE FROM records WHERE collection = ? AND id = ?", (collection, record_id)
        )

    def put_many(self, collection: str, records: Iterable[tuple[RecordId, dict[str, Any]]]) -> None:
        """Insert or replace many records in few transactions (used by the seed).

        Args:
            collection: The collection name.
            records: `(id, record)` pairs.
        """
        rows: list[tuple[str, RecordId, bytes]] = []
        for record_id, record in records:
            rows.append((collection, record_id, orjson.dumps(record)))
            if len(rows) >= _BULK_CHUNK:
                self._write_rows(rows)
                rows = []
        if rows:
            self._write_rows(rows)

    def get_meta(self, key: str) -> Any:
        """A value of the meta table (id counters, keys, flags).

        Args:
            key: The meta key.

        Returns:
            The stored JSON value, or None when unset.
        """
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else orjson.loads(row[0])

    def set_meta(self, key: str, value: Any) -> None:
        """Store a meta value (autocommitted).

        Args:
            key: The meta key.
            value: Any JSON-serialisable value.
        """
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (key, orjson.dumps(value).decode()),
        )

    def close(self) -> None:
        """Checkpoint and close the database."""
        self._db.close()

    def _write_rows(self, rows: list[tuple[str, RecordId, bytes]]) -> None:
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO records (collection, id, doc) VALUES (?, ?, ?)", rows
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
