"""The stream: one warehouse table, read in full each run."""

from __future__ import annotations

import json
import typing as t

from crmsync_common.paths import warehouse_path
from singer_sdk import Stream
from typing_extensions import override

from tap_warehouse.warehouse import iter_rows, open_read_only

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk import Tap

#: Rows fetched from DuckDB at a time: large enough to amortise the call, small enough that
#: memory stays flat whatever the table's size.
CHUNK_ROWS = 1_000


class WarehouseTableStream(Stream):
    """Emits every row of one warehouse table; the tables are rebuilt each cycle."""

    primary_keys: t.ClassVar[list[str]] = []
    replication_key = None

    def __init__(
        self, tap: Tap, name: str, table: str, schema: dict[str, t.Any], json_columns: set[str]
    ) -> None:
        """Describe the stream.

        Args:
            tap: The running tap.
            name: The stream name.
            table: The table it reads, in the tap's schema.
            schema: The stream's JSON schema.
            json_columns: The JSON text columns emitted as objects.
        """
        super().__init__(tap, schema=schema, name=name)
        self.table = table
        self._json_columns = json_columns & set(schema["properties"])

    def _parse_json_columns(self, row: dict[str, t.Any]) -> dict[str, t.Any]:
        """Replace JSON text in the stream's JSON columns by the object it holds.

        Args:
            row: A table row.

        Returns:
            The row, with its JSON columns parsed.
        """
        for name in self._json_columns:
            value = row[name]
            if isinstance(value, str):
                row[name] = json.loads(value)
        return row

    @override
    def get_records(self, context: dict | None) -> Iterable[dict[str, t.Any]]:
        """Read the table, opening the file read-only only for as long as it takes.

        Args:
            context: Unused (the stream has no partitions).

        Yields:
            One record per row.
        """
        config = self.config
        with open_read_only(warehouse_path(config.get("path"))) as connection:
            for row in iter_rows(connection, config["schema"], self.table, CHUNK_ROWS):
                yield self._parse_json_columns(row)
