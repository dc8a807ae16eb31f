"""The sink: streams a batch of records to a temporary file, then bulk-loads it."""

from __future__ import annotations

import os
import tempfile
import typing as t
from functools import cached_property
from pathlib import Path

from singer_sdk.sinks import BatchSink
from typing_extensions import override

from target_warehouse.columns import plan_layout, record_line
from target_warehouse.loader import SEQUENCE_COLUMN, BatchLoader, TableRef

if t.TYPE_CHECKING:
    from singer_sdk.helpers.conform import DatetimeErrorTreatmentEnum
    from singer_sdk.target_base import Target

    from target_warehouse.target import TargetWarehouse

#: Prefix of the temporary batch files, so a stray one is easy to recognise.
BATCH_FILE_PREFIX = "target-warehouse-batch-"


class WarehouseSink(BatchSink):
    """Loads one stream into ``<default_target_schema>.<stream name in lower case>``."""

    def __init__(
        self,
        target: Target,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        """Plan the stream's columns and remember the target's connection.

        Args:
            target: The running target-warehouse.
            stream_name: The stream's name.
            schema: The stream's JSON schema.
            key_properties: The stream's key properties.
        """
        super().__init__(target, stream_name, schema, key_properties)
        self._warehouse = t.cast("TargetWarehouse", target)
        self._layout = plan_layout(self.schema)
        self._batch_path: Path | None = None
        self._batch_file: t.BinaryIO | None = None
        self._batch_rows = 0

    @property
    @override
    def include_sdc_metadata_properties(self) -> bool:
        """Always add the Singer metadata: the raw tables keep it for dbt's de-duplication."""
        return True

    @cached_property
    @override
    def validate_schema(self) -> bool:
        """Validate records only when asked: a value that does not fit widens its column."""
        return bool(self.config.get("validate_records", False))

    @override
    def _parse_timestamps_in_record(
        self,
        record: dict,
        schema: dict,
        treatment: DatetimeErrorTreatmentEnum,
    ) -> None:
        """Leave date and time text as it is: DuckDB parses it on load, much faster.

        A value that is not a valid date or time widens its column to VARCHAR on load instead
        of being replaced, so no data is lost.

        Args:
            record: The record.
            schema: The stream's schema.
            treatment: The configured treatment of invalid date-times (unused).
        """

    @property
    def table(self) -> TableRef:
        """Return the table this stream loads into."""
        return TableRef(self.config["default_target_schema"], self.stream_name.lower())

    @override
    def start_batch(self, context: dict) -> None:
        """Open a new temporary batch file.

        Args:
            context: The batch context.
        """
        handle, name = tempfile.mkstemp(prefix=BATCH_FILE_PREFIX, suffix=".jsonl")
        self._batch_path = Path(name)
        self._batch_file = os.fdopen(handle, "wb")
        self._batch_rows = 0

    @override
    def process_record(self, record: dict, context: dict) -> None:
        """Append a record to the batch file, so memory stays flat however big the batch.

        Args:
            record: The record, parsed by the SDK.
            context: The batch context.
        """
        if self._batch_file is None:
            self.start_batch(context)
        record[SEQUENCE_COLUMN] = self._batch_rows
        t.cast("t.BinaryIO", self._batch_file).write(record_line(record))
        self._batch_rows += 1

    @override
    def process_batch(self, context: dict) -> None:
        """Load the batch file into the table, then delete it.

        Args:
            context: The batch context.
        """
        if self._batch_file is None or self._batch_path is None:
            return
        self._batch_file.close()
        try:
            loader = BatchLoader(
                self._warehouse.connection,
                self.table,
                self._layout,
                [key.lower() for key in self.key_properties],
            )
            written = loader.load(self._batch_path)
        finally:
            self._batch_path.unlink(missing_ok=True)
            self._batch_file = None
            self._batch_path = None
        self.tally_record_written(written)
        self.tally_duplicate_merged(self._batch_rows - written)
        self.logger.info("Loaded %d rows into %s", written, self.table.sql)

    @override
    def clean_up(self) -> None:
        """Remove a batch file left behind by an interrupted batch."""
        if self._batch_file is not None:
            self._batch_file.close()
        if self._batch_path is not None:
            self._batch_path.unlink(missing_ok=True)
        super().clean_up()
