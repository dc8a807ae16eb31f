"""The sink: publish rows are spooled, and applied in order at the end of the stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk.sinks import RecordSink
from typing_extensions import override

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from target_salesforce.spool import Spool
    from target_salesforce.target import TargetSalesforce


class PublishSink(RecordSink):
    """Keeps each publish row of one object in the target's spool.

    The SDK drains sinks in its own order; the rows of every object must be applied
    together, deletes first and parents before children, so nothing is written here.
    """

    def __init__(self, target: TargetSalesforce, *args: Any, **kwargs: Any) -> None:
        super().__init__(target, *args, **kwargs)
        self.spool: Spool = target.spool
        self.known = self.stream_name in target.object_map
        if not self.known:
            self.logger.warning(
                "Ignoring stream %s: no Salesforce object for it in object_map (%s)",
                self.stream_name,
                ", ".join(sorted(target.object_map)),
            )

    @override
    def process_record(self, record: dict[str, Any], context: Context) -> None:
        """Spool one row (rows of a stream with no Salesforce object are ignored, with a warning).

        Args:
            record: the publish row.
            context: unused.
        """
        if self.known:
            self.spool.add(self.stream_name, record)
