"""target-forcemanager: apply the sync plan's publish rows to ForceManager."""

from __future__ import annotations

from functools import cached_property

from crmsync_common.apicalls import record_calls, step_name
from crmsync_common.atrest import OwnerOnlyFiles
from crmsync_common.objects import FORCEMANAGER_RESOURCES
from crmsync_common.paths import sync_log_dir
from crmsync_common.synclog import SyncLog
from forcemanager_client import (
    DEFAULT_BASE_URL,
    DEFAULT_REQUESTS_PER_SECOND,
    ForceManagerClient,
    ForceManagerError,
)
from forcemanager_client.settings import connection_properties, private_key
from singer_sdk import Target
from singer_sdk import typing as th
from typing_extensions import override

from target_forcemanager.apply import Applier
from target_forcemanager.exceptions import RunAbortedError
from target_forcemanager.sinks import PublishSink
from target_forcemanager.spool import Spool

#: Enough requests in flight to hide ~100-250 ms of latency at 4-13 requests per second; the
#: rate limiter, not the pool, sets the pace.
DEFAULT_MAX_CONCURRENCY = 4

#: The writer name in sync-log file names: `<run_id>.target-forcemanager.jsonl`.
SYNC_LOG_WRITER = "target-forcemanager"


class TargetForceManager(OwnerOnlyFiles, Target):
    """Singer target that creates, updates and deletes ForceManager records."""

    name = "target-forcemanager"
    default_sink_class = PublishSink

    config_jsonschema = th.PropertiesList(
        *connection_properties(),
        th.Property(
            "max_concurrency",
            th.IntegerType,
            default=DEFAULT_MAX_CONCURRENCY,
            title="Max concurrency",
            description="Requests in flight at most; hides latency, never exceeds the rate.",
        ),
        th.Property(
            "sync_log_dir",
            th.StringType,
            title="Sync log folder",
            description=(
                "Where `<run_id>.target-forcemanager.jsonl` is appended; default "
                "`$CRMSYNC_SYNC_LOG_DIR`, else beside the warehouse."
            ),
        ),
        th.Property(
            "resource_map",
            th.ObjectType(additional_properties=th.StringType),
            default=FORCEMANAGER_RESOURCES,
            title="Resource map",
            description="Stream (object) -> ForceManager resource, where they differ.",
        ),
    ).to_dict()

    @cached_property
    def spool(self) -> Spool:
        """The run's buffered rows."""
        return Spool()

    @override
    def process_endofpipe(self) -> None:
        super().process_endofpipe()
        try:
            self.apply()
        finally:
            self.spool.close()

    def apply(self) -> None:
        """Apply everything spooled, in dependency order.

        Raises:
            SystemExit: on a run-level failure (bad credentials, API budget spent, unreachable
                API), with a message naming it; the sync log keeps what was written before it.
        """
        max_concurrency = int(self.config.get("max_concurrency", DEFAULT_MAX_CONCURRENCY))
        record_calls(step_name("loader", self.name), sync_log_dir(self.config.get("sync_log_dir")))
        client = ForceManagerClient(
            self.config.get("base_url", DEFAULT_BASE_URL),
            self.config["public_key"],
            private_key(self.config),
            requests_per_second=float(
                self.config.get("requests_per_second", DEFAULT_REQUESTS_PER_SECOND)
            ),
            pool_size=max_concurrency,
        )
        sync_log = SyncLog(sync_log_dir(self.config.get("sync_log_dir")), SYNC_LOG_WRITER)
        applier = Applier(
            client,
            sync_log,
            max_concurrency=max_concurrency,
            resource_map=dict(self.config.get("resource_map") or {}),
        )
        try:
            result = applier.apply(self.spool)
            self.logger.info(
                "Applied to ForceManager: %d succeeded (%d linked by extId), %d failed",
                result.succeeded,
                result.linked,
                result.failed,
            )
        except (RunAbortedError, ForceManagerError) as exc:
            # a run-level failure (credentials, API budget, unreachable API): one line, as
            # target-salesforce; the sync log keeps what was written before it
            self.logger.error("target-forcemanager stopped: %s", exc)
            msg = f"target-forcemanager stopped: {exc}"
            raise SystemExit(msg) from None
        finally:
            sync_log.close()
            client.close()


if __name__ == "__main__":
    TargetForceManager.cli()
