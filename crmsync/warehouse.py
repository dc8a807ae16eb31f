"""The warehouse file (`CRMSYNC_WAREHOUSE`) and the files kept beside it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from crmsync_common.paths import sync_log_dir, warehouse_path

__all__ = ["connect", "sync_log_dir", "table_exists", "warehouse_path"]


@contextmanager
def connect(
    path: Path | None = None, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (by default `CRMSYNC_WAREHOUSE`) for one step and always release it.

    DuckDB admits one writing process per file, so no step keeps it open longer than it needs.
    """
    path = path or warehouse_path()
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path), read_only=read_only)
    try:
        yield connection
    finally:
        connection.close()


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Tell whether `schema.table` exists."""
    found = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])
