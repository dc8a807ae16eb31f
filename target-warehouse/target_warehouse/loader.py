"""Write one batch file into a warehouse table: create or evolve the table, then upsert.

A batch arrives as a newline-delimited JSON file whose values DuckDB reads as text. Each column
is checked against the type of the table column it goes to; a column with any value that does
not fit is widened to VARCHAR first, so that a load never loses data. The whole batch then
replaces the table rows with the same key in a single transaction.
"""

from __future__ import annotations

import logging
import typing as t
from dataclasses import dataclass

from target_warehouse.columns import BIGINT, DATE, TIMESTAMP, VARCHAR, StreamLayout, quote
from target_warehouse.exceptions import BatchLoadError, MissingKeyColumnError

if t.TYPE_CHECKING:
    from pathlib import Path

    import duckdb

logger = logging.getLogger(__name__)

#: Numbers each line of a batch file in arrival order: the last record of a key wins.
SEQUENCE_COLUMN = "_warehouse_batch_row"

_STAGE = "_warehouse_stage"
_STAGE_TYPED = "_warehouse_stage_typed"


def _literal(text: str) -> str:
    """Return a string literal for DuckDB SQL.

    Args:
        text: The text.

    Returns:
        The text in single quotes, inner quotes doubled.
    """
    return "'" + text.replace("'", "''") + "'"


def _fits(value_sql: str, sql_type: str) -> str:
    """Return a SQL condition: the text value converts to the type without loss.

    Args:
        value_sql: SQL of a VARCHAR value (not null).
        sql_type: The column type.

    Returns:
        The condition. BIGINT refuses fractions (a plain cast would round them), DATE refuses
        a time of day (a plain cast would drop it), TIMESTAMP accepts any UTC offset.
    """
    if sql_type == BIGINT:
        return (
            f"TRY_CAST({value_sql} AS BIGINT) IS NOT NULL "
            f"AND TRY_CAST({value_sql} AS DOUBLE) = TRY_CAST({value_sql} AS BIGINT)"
        )
    if sql_type == DATE:
        return f"CAST(TRY_CAST({value_sql} AS DATE) AS VARCHAR) = {value_sql}"
    if sql_type == TIMESTAMP:
        return f"TRY_CAST({value_sql} AS TIMESTAMPTZ) IS NOT NULL"
    return f"TRY_CAST({value_sql} AS {sql_type}) IS NOT NULL"


def _convert(value_sql: str, sql_type: str) -> str:
    """Return SQL converting a text value to the column type.

    Args:
        value_sql: SQL of a VARCHAR value.
        sql_type: The column type.

    Returns:
        The conversion; timestamps are read with their offset and stored as naive UTC.
    """
    if sql_type == VARCHAR:
        return value_sql
    if sql_type == TIMESTAMP:
        return f"timezone('UTC', CAST({value_sql} AS TIMESTAMPTZ))"
    return f"CAST({value_sql} AS {sql_type})"


@dataclass(frozen=True)
class TableRef:
    """Where a stream loads.

    Attributes:
        schema: The warehouse schema.
        table: The table name.
    """

    schema: str
    table: str

    @property
    def sql(self) -> str:
        """Return the quoted, schema-qualified table name."""
        return f"{quote(self.schema)}.{quote(self.table)}"


class BatchLoader:
    """Loads batch files for one stream into its table over an open connection."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        table: TableRef,
        layout: StreamLayout,
        key_columns: list[str],
    ) -> None:
        """Remember where and how a stream loads.

        Args:
            connection: The open warehouse connection.
            table: The table to load into.
            layout: The stream's batch-file properties and columns.
            key_columns: The key's column names; empty to append every record.

        Raises:
            MissingKeyColumnError: If a key column is not among the columns.
        """
        columns = layout.columns
        names = {column.name for column in columns}
        missing = [key for key in key_columns if key not in names]
        if missing:
            msg = f"Key properties {missing} of {table.sql} are not loadable columns"
            raise MissingKeyColumnError(msg)
        self._connection = connection
        self._table = table
        self._layout = layout
        self._columns = columns
        self._sources = {column.name: f"{_STAGE}.{column.source_sql}" for column in columns}
        self._key_columns = key_columns

    def load(self, batch_file: Path) -> int:
        """Upsert a batch file into the table in one transaction.

        Args:
            batch_file: Newline-delimited JSON, one row per line, with the sequence column.

        Returns:
            The number of rows written (after de-duplicating keys within the batch).

        Raises:
            BatchLoadError: If DuckDB refuses the batch; the table is left as it was.
        """
        self._connection.execute("BEGIN TRANSACTION")
        try:
            written = self._load_in_transaction(batch_file)
        except Exception as error:
            self._connection.execute("ROLLBACK")
            msg = f"Could not load a batch into {self._table.sql}: {error}"
            raise BatchLoadError(msg) from error
        self._connection.execute("COMMIT")
        return written

    def _load_in_transaction(self, batch_file: Path) -> int:
        """Run every step of a load inside the open transaction.

        Args:
            batch_file: The batch file.

        Returns:
            The number of rows written.
        """
        self._ensure_table()
        table_types = self._add_missing_columns()
        self._stage(batch_file)
        table_types = self._widen_misfits(table_types)
        written = self._stage_typed(table_types)
        if self._key_columns:
            self._delete_replaced()
        names = ", ".join(quote(column.name) for column in self._columns)
        self._connection.execute(
            f"INSERT INTO {self._table.sql} ({names}) SELECT {names} FROM {_STAGE_TYPED}"
        )
        self._connection.execute(f"DROP TABLE {_STAGE}; DROP TABLE {_STAGE_TYPED}")
        return written

    def _ensure_table(self) -> None:
        """Create the schema and the table if they do not exist."""
        definitions = ", ".join(f"{quote(c.name)} {c.sql_type}" for c in self._columns)
        self._connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(self._table.schema)}")
        self._connection.execute(f"CREATE TABLE IF NOT EXISTS {self._table.sql} ({definitions})")

    def _table_types(self) -> dict[str, str]:
        """Return the table's current column types.

        Returns:
            Column name to DuckDB type name.
        """
        rows = self._connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            [self._table.schema, self._table.table],
        ).fetchall()
        return dict(rows)

    def _add_missing_columns(self) -> dict[str, str]:
        """Add a column for every new property (schema evolution).

        Returns:
            The table's column types afterwards.
        """
        existing = self._table_types()
        for column in self._columns:
            if column.name not in existing:
                logger.info("Adding column %s to %s", column.name, self._table.sql)
                self._connection.execute(
                    f"ALTER TABLE {self._table.sql} ADD COLUMN {quote(column.name)} "
                    f"{column.sql_type}"
                )
                existing[column.name] = column.sql_type
        return existing

    def _stage(self, batch_file: Path) -> None:
        """Read the batch file into a temporary table, every column as text.

        Args:
            batch_file: The batch file.
        """
        types = dict(self._layout.read_types)
        types[SEQUENCE_COLUMN] = BIGINT
        spec = ", ".join(f"{_literal(name)}: {_literal(sql)}" for name, sql in types.items())
        self._connection.execute(
            f"CREATE TEMP TABLE {_STAGE} AS SELECT * FROM read_json("
            f"{_literal(str(batch_file))}, format = 'newline_delimited', "
            f"columns = {{{spec}}})"
        )

    def _widen_misfits(self, table_types: dict[str, str]) -> dict[str, str]:
        """Widen to VARCHAR every table column that some staged value does not fit.

        Args:
            table_types: The table's column types.

        Returns:
            The table's column types afterwards.
        """
        checked = [c.name for c in self._columns if table_types[c.name] != VARCHAR]
        if not checked:
            return table_types
        counts = ", ".join(
            f"count(*) FILTER (WHERE {self._sources[name]} IS NOT NULL "
            f"AND NOT coalesce({_fits(self._sources[name], table_types[name])}, false))"
            for name in checked
        )
        misfits = self._connection.execute(f"SELECT {counts} FROM {_STAGE}").fetchone() or ()
        widened = dict(table_types)
        for name, count in zip(checked, misfits, strict=True):
            if count:
                logger.warning(
                    "Widening %s.%s from %s to VARCHAR: %d values do not fit",
                    self._table.sql,
                    name,
                    table_types[name],
                    count,
                )
                self._connection.execute(
                    f"ALTER TABLE {self._table.sql} ALTER COLUMN {quote(name)} TYPE VARCHAR"
                )
                widened[name] = VARCHAR
        return widened

    def _stage_typed(self, table_types: dict[str, str]) -> int:
        """Convert the staged rows to the table's types, keeping the last row of each key.

        Args:
            table_types: The table's column types.

        Returns:
            The number of rows to write.
        """
        selects = ", ".join(
            f"{_convert(self._sources[c.name], table_types[c.name])} AS {quote(c.name)}"
            for c in self._columns
        )
        dedupe = ""
        if self._key_columns:
            keys = ", ".join(self._sources[key] for key in self._key_columns)
            dedupe = (
                f" QUALIFY row_number() OVER (PARTITION BY {keys} "
                f"ORDER BY {_STAGE}.{SEQUENCE_COLUMN} DESC) = 1"
            )
        self._connection.execute(
            f"CREATE TEMP TABLE {_STAGE_TYPED} AS SELECT {selects} FROM {_STAGE}{dedupe}"
        )
        row = self._connection.execute(f"SELECT count(*) FROM {_STAGE_TYPED}").fetchone()
        return int(row[0]) if row else 0

    def _delete_replaced(self) -> None:
        """Delete the table rows whose key the batch holds."""
        matches = " AND ".join(
            f"{self._table.sql}.{quote(key)} IS NOT DISTINCT FROM {_STAGE_TYPED}.{quote(key)}"
            for key in self._key_columns
        )
        self._connection.execute(
            f"DELETE FROM {self._table.sql} USING {_STAGE_TYPED} WHERE {matches}"
        )
