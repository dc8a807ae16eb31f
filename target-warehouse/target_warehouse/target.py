"""target-warehouse: upserts Singer streams into a DuckDB warehouse file."""

from __future__ import annotations

import typing as t

import duckdb
from crmsync_common.atrest import OwnerOnlyFiles
from crmsync_common.paths import warehouse_path
from singer_sdk import typing as th
from singer_sdk.target_base import Target
from typing_extensions import override

from target_warehouse.sinks import WarehouseSink

if t.TYPE_CHECKING:
    from singer_sdk.sinks import Sink

#: Sinks share one DuckDB connection, and a connection runs one transaction at a time.
DRAIN_PARALLELISM = 1

#: Where the warehouse lives unless configured (the project's `CRMSYNC_WAREHOUSE` default).
DEFAULT_PATH = "output/warehouse.duckdb"
DEFAULT_SCHEMA = "raw"


class TargetWarehouse(OwnerOnlyFiles, Target):
    """Loads every stream into ``<default_target_schema>.<stream>`` of a DuckDB file."""

    name = "target-warehouse"
    default_sink_class = WarehouseSink

    config_jsonschema = th.PropertiesList(
        th.Property(
            "path",
            th.StringType,
            title="Warehouse Path",
            description=(
                "The DuckDB database file to load into; its folder is created if missing. "
                "Empty means $CRMSYNC_WAREHOUSE, else output/warehouse.duckdb."
            ),
            default=DEFAULT_PATH,
        ),
        th.Property(
            "default_target_schema",
            th.StringType,
            title="Target Schema",
            description="The schema every stream's table is created in (e.g. raw_salesforce).",
            default=DEFAULT_SCHEMA,
        ),
        th.Property(
            "validate_records",
            th.BooleanType,
            title="Validate Records",
            description=(
                "Check every record against its JSON schema and stop on the first that does "
                "not match. Off by default: the loader already widens a column to VARCHAR when "
                "a value does not fit its type, and validation costs most of the load time."
            ),
            default=False,
        ),
    ).to_dict()

    @override
    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Start with no connection: the file is opened by the first batch.

        Args:
            args: Positional arguments for the SDK target.
            kwargs: Keyword arguments for the SDK target.
        """
        super().__init__(*args, **kwargs)
        self.max_parallelism = DRAIN_PARALLELISM
        self._connection: duckdb.DuckDBPyConnection | None = None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """Return the run's connection, opening the warehouse file on first use."""
        if self._connection is None:
            path = warehouse_path(self.config.get("path"))
            path.parent.mkdir(parents=True, exist_ok=True)
            self.logger.info("Opening warehouse %s", path)
            self._connection = duckdb.connect(str(path))
            # Text without an offset is read as UTC, the zone every stored timestamp is in.
            self._connection.execute("SET TimeZone = 'UTC'")
        return self._connection

    def close(self) -> None:
        """Close the warehouse file so that the next pipeline step can open it."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            self.logger.info("Closed warehouse %s", warehouse_path(self.config.get("path")))

    @override
    def get_sink(
        self,
        stream_name: str,
        *,
        record: dict | None = None,
        schema: dict | None = None,
        key_properties: t.Sequence[str] | None = None,
    ) -> Sink:
        """Return the stream's sink, loading pending records before a schema change.

        The SDK replaces a sink when its stream's schema changes and would otherwise load the
        old sink's records later than the new sink's, letting older versions of a record win.

        Args:
            stream_name: The stream's name.
            record: The record being processed, if any.
            schema: A new schema for the stream, if any.
            key_properties: The stream's key properties.

        Returns:
            The sink.
        """
        existing = self._sinks_active.get(stream_name)
        if schema is not None and existing is not None:
            self.drain_one(existing)
        return super().get_sink(
            stream_name, record=record, schema=schema, key_properties=key_properties
        )

    @override
    def process_endofpipe(self) -> None:
        """Load what is pending, then release the warehouse file."""
        try:
            super().process_endofpipe()
        finally:
            self.close()


if __name__ == "__main__":
    TargetWarehouse.cli()
