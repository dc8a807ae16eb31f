"""Builders for target-warehouse tests: Singer messages and a run over a real DuckDB file."""

from __future__ import annotations

import io
import json
import typing as t
from pathlib import Path

import duckdb
from target_warehouse.target import TargetWarehouse

SCHEMA_NAME = "raw_test"


def schema_message(
    stream: str, properties: dict[str, t.Any], keys: list[str] | None = None
) -> dict[str, t.Any]:
    """Return a SCHEMA message."""
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties},
        "key_properties": keys or [],
    }


def record_message(
    stream: str, record: dict[str, t.Any], extracted_at: str | None = None
) -> dict[str, t.Any]:
    """Return a RECORD message."""
    message: dict[str, t.Any] = {"type": "RECORD", "stream": stream, "record": record}
    if extracted_at:
        message["time_extracted"] = extracted_at
    return message


class Warehouse:
    """A DuckDB file the target loads into, and helpers to run the target and read tables."""

    def __init__(self, path: Path) -> None:
        """Remember the file."""
        self.path = path

    def config(self, **extra: t.Any) -> dict[str, t.Any]:
        """Return the target's config for this file."""
        return {"path": str(self.path), "default_target_schema": SCHEMA_NAME, **extra}

    def load(self, messages: list[dict[str, t.Any]], **config: t.Any) -> None:
        """Run the target over the messages, in process, to the end of the pipe."""
        target = TargetWarehouse(config=self.config(**config), validate_config=True)
        lines = "".join(json.dumps(message) + "\n" for message in messages)
        target.listen(io.StringIO(lines))

    def query(self, sql: str) -> list[tuple[t.Any, ...]]:
        """Run a query on the file (read-only, closed right after)."""
        with duckdb.connect(str(self.path), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def column_types(self, table: str) -> dict[str, str]:
        """Return a table's column types."""
        rows = self.query(f"DESCRIBE {SCHEMA_NAME}.{table}")
        return {row[0]: row[1] for row in rows}
