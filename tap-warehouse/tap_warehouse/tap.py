"""tap-warehouse: emits the tables of one DuckDB warehouse schema as Singer streams."""

from __future__ import annotations

import typing as t

from crmsync_common.atrest import OwnerOnlyFiles
from crmsync_common.paths import warehouse_path
from singer_sdk import Tap
from singer_sdk import typing as th
from typing_extensions import override

from tap_warehouse.schema import table_schema
from tap_warehouse.streams import WarehouseTableStream
from tap_warehouse.warehouse import describe, list_tables, open_read_only

if t.TYPE_CHECKING:
    from singer_sdk import Stream

#: The project's warehouse file and the dbt publish schema, the usual things to read.
DEFAULT_PATH = "output/warehouse.duckdb"
DEFAULT_SCHEMA = "publish"
#: The publish rows carry what to send and the unresolved references as JSON text.
DEFAULT_JSON_COLUMNS = ("fields", "refs")


class TapWarehouse(OwnerOnlyFiles, Tap):
    """Reads ``<schema>.<table_prefix><name>`` tables as streams named ``<name>``."""

    name = "tap-warehouse"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "path",
            th.StringType,
            title="Warehouse Path",
            description="The DuckDB database file to read (opened read-only).",
            default=DEFAULT_PATH,
        ),
        th.Property(
            "schema",
            th.StringType,
            title="Schema",
            description="The schema whose tables become streams (e.g. publish).",
            default=DEFAULT_SCHEMA,
        ),
        th.Property(
            "table_prefix",
            th.StringType,
            title="Table Prefix",
            description=(
                "Only tables whose name starts with this prefix are read; the stream is named "
                "after the rest (e.g. pub_forcemanager__accounts -> accounts)."
            ),
            default="",
        ),
        th.Property(
            "stream_order",
            th.ArrayType(th.StringType),
            title="Stream Order",
            description=(
                "Streams emitted first, in this order (e.g. the targets' dependency order); "
                "the rest follow alphabetically."
            ),
            default=[],
        ),
        th.Property(
            "json_columns",
            th.ArrayType(th.StringType),
            title="JSON Columns",
            description="JSON text columns emitted as objects with free properties.",
            default=list(DEFAULT_JSON_COLUMNS),
        ),
    ).to_dict()

    @override
    def discover_streams(self) -> list[Stream]:
        """Describe every matching table; a missing schema or table gives no stream.

        Returns:
            One stream per table.
        """
        config = self.config
        json_columns = set(config.get("json_columns", DEFAULT_JSON_COLUMNS))
        with open_read_only(warehouse_path(config.get("path"))) as connection:
            tables = list_tables(connection, config["schema"], config.get("table_prefix", ""))
            described = {
                name: describe(connection, config["schema"], table)
                for name, table in tables.items()
            }
        if not tables:
            self.logger.info("No tables to read in schema %s", config["schema"])
        return [
            WarehouseTableStream(
                self, name, tables[name], table_schema(columns, json_columns), json_columns
            )
            for name, columns in described.items()
        ]

    @override
    def load_streams(self) -> list[Stream]:
        """Order the streams: those named in ``stream_order`` first, then alphabetically.

        Returns:
            The streams, in the order they are emitted.
        """
        order = list(self.config.get("stream_order", []))
        rank = {name: position for position, name in enumerate(order)}
        return sorted(super().load_streams(), key=lambda s: (rank.get(s.name, len(rank)), s.name))


if __name__ == "__main__":
    TapWarehouse.cli()
