"""Read-only access to the warehouse file: list tables, describe them, read their rows."""

from __future__ import annotations

import contextlib
import typing as t
from pathlib import Path

import duckdb

from tap_warehouse.exceptions import WarehouseNotFoundError

if t.TYPE_CHECKING:
    from collections.abc import Iterator


def quote(identifier: str) -> str:
    """Return an identifier quoted for DuckDB SQL.

    Args:
        identifier: A schema, table or column name.

    Returns:
        The name in double quotes, inner quotes doubled.
    """
    return '"' + identifier.replace('"', '""') + '"'


@contextlib.contextmanager
def open_read_only(path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse file read-only, and close it when the block ends.

    DuckDB lets one process at a time hold a file that another opens for writing, so the tap
    holds it no longer than it reads.

    Args:
        path: The DuckDB file.

    Yields:
        The connection.

    Raises:
        WarehouseNotFoundError: If the file does not exist.
    """
    if not Path(path).is_file():
        msg = (
            f"The warehouse file {path!r} does not exist: check the tap's `path` setting "
            "(CRMSYNC_WAREHOUSE) and that the load and transform steps ran first."
        )
        raise WarehouseNotFoundError(msg)
    connection = duckdb.connect(path, read_only=True)
    try:
        yield connection
    finally:
        connection.close()


def list_tables(connection: duckdb.DuckDBPyConnection, schema: str, prefix: str) -> dict[str, str]:
    """Return the tables and views of a schema whose names start with a prefix.

    Args:
        connection: An open connection.
        schema: The schema.
        prefix: The name prefix; empty for every table.

    Returns:
        Stream name (the table name without the prefix) to table name; empty when the
        schema does not exist.
    """
    rows = connection.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = ? AND starts_with(table_name, ?) ORDER BY table_name",
        [schema, prefix],
    ).fetchall()
    return {name[len(prefix) :]: name for (name,) in rows if len(name) > len(prefix)}


def describe(
    connection: duckdb.DuckDBPyConnection, schema: str, table: str
) -> list[tuple[str, str]]:
    """Return a table's columns and their DuckDB types, in table order.

    Args:
        connection: An open connection.
        schema: The schema.
        table: The table.

    Returns:
        (column name, type name) pairs.
    """
    rows = connection.execute(f"DESCRIBE {quote(schema)}.{quote(table)}").fetchall()
    return [(row[0], row[1]) for row in rows]


def iter_rows(
    connection: duckdb.DuckDBPyConnection, schema: str, table: str, chunk_rows: int
) -> Iterator[dict[str, t.Any]]:
    """Yield a table's rows as dicts, fetched in chunks so memory stays flat.

    Args:
        connection: An open connection.
        schema: The schema.
        table: The table.
        chunk_rows: Rows per fetch.

    Yields:
        One dict per row, keyed by column name.
    """
    cursor = connection.execute(f"SELECT * FROM {quote(schema)}.{quote(table)}")
    names = [column[0] for column in cursor.description or []]
    while chunk := cursor.fetchmany(chunk_rows):
        for row in chunk:
            yield dict(zip(names, row, strict=True))
