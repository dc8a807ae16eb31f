"""The sink: every publish row is spooled; the target applies them all at the end."""

from __future__ import annotations

from typing import Any

from singer_sdk.sinks import RecordSink
from typing_extensions import override

from target_forcemanager.spool import normalize_row


class PublishRowSink(RecordSink):
    """Spools the rows of one stream (object) for the ordered apply at end of input."""

    @override
    @property
    def include_sdc_metadata_properties(self) -> bool:
        return False

    @override
    def process_record(self, record: dict[str, Any], context: dict) -> None:
        self._target.spool.add(self.stream_name, normalize_row(record))  # type: ignore[attr-defined]
