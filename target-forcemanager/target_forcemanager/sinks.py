"""The sink: every publish row is spooled; the target applies them all at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk.sinks import RecordSink
from typing_extensions import override

from target_forcemanager.spool import RowSpool, normalize_row

if TYPE_CHECKING:
    from singer_sdk import Target


class PublishRowSink(RecordSink):
    """Spools the rows of one stream (object) for the ordered apply at end of input."""

    def __init__(self, target: Target, stream_name: str, *args: Any, **kwargs: Any) -> None:
        """Bind the sink to the target's spool."""
        super().__init__(target, stream_name, *args, **kwargs)
        self._spool: RowSpool = target.spool  # type: ignore[attr-defined]

    @override
    @property
    def include_sdc_metadata_properties(self) -> bool:
        return False

    @override
    def process_record(self, record: dict[str, Any], context: dict) -> None:
        self._spool.add(self.stream_name, normalize_row(record))
