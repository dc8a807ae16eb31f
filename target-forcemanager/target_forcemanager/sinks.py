"""The sink: every publish row is spooled; the target applies them all at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk.sinks import RecordSink
from typing_extensions import override

from target_forcemanager.apply import EXTRA_FIELDS_STREAM
from target_forcemanager.spool import Spool, normalize_row

#: The actions a publish row may carry.
ACTIONS = frozenset({"create", "update", "delete"})

if TYPE_CHECKING:
    from singer_sdk import Target


class PublishSink(RecordSink):
    """Spools the rows of one stream (object) for the ordered apply at end of input."""

    def __init__(self, target: Target, stream_name: str, *args: Any, **kwargs: Any) -> None:
        """Bind the sink to the target's spool."""
        super().__init__(target, stream_name, *args, **kwargs)
        self._spool: Spool = target.spool  # type: ignore[attr-defined]
        self._skipped = 0

    @override
    @property
    def include_sdc_metadata_properties(self) -> bool:
        return False

    @override
    def process_record(self, record: dict[str, Any], context: dict) -> None:
        row = normalize_row(record)
        if self.stream_name != EXTRA_FIELDS_STREAM and row["action"] not in ACTIONS:
            self._skipped += 1
            if self._skipped == 1:
                self.logger.warning(
                    "Ignoring %s rows without a create, update or delete action", self.stream_name
                )
            return
        self._spool.add(self.stream_name, row)
