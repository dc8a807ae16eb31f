"""target-salesforce: applies crmsync publish rows to Salesforce."""

from __future__ import annotations

from typing import Any

from crmsync_common.apicalls import record_calls, step_name
from crmsync_common.atrest import OwnerOnlyFiles
from crmsync_common.objects import SALESFORCE_OBJECTS
from crmsync_common.paths import sync_log_dir
from crmsync_common.synclog import SyncLog
from salesforce_client import SalesforceClient, SalesforceClientError, auth_properties
from singer_sdk import typing as th
from singer_sdk.target_base import Target
from typing_extensions import override

from target_salesforce.apply import DEFAULT_BULK_THRESHOLD, MAX_BATCH_SIZE, Applier
from target_salesforce.sinks import PublishSink
from target_salesforce.spool import Spool

DEFAULT_EXTERNAL_ID_FIELD = "ForceManager_Id__c"
#: The sync log file is ``<run_id>.target-salesforce.jsonl``.
SYNC_LOG_WRITER = "target-salesforce"


class TargetSalesforce(OwnerOnlyFiles, Target):
    """Singer target for Salesforce."""

    name = "target-salesforce"
    default_sink_class = PublishSink

    config_jsonschema = th.PropertiesList(
        *auth_properties(),
        th.Property(
            "sync_log_dir",
            th.StringType,
            title="Sync Log Directory",
            description=(
                "Folder of the sync log: one JSON line per record written. Default: "
                "`$CRMSYNC_SYNC_LOG_DIR`, else beside the warehouse (`<warehouse>.sync_log`)."
            ),
        ),
        th.Property(
            "object_map",
            th.ObjectType(additional_properties=th.StringType),
            default=SALESFORCE_OBJECTS,
            title="Object Map",
            description="Publish object (stream name) -> Salesforce object.",
        ),
        th.Property(
            "external_id_field",
            th.StringType,
            default=DEFAULT_EXTERNAL_ID_FIELD,
            title="External ID Field",
            description="Creates carrying this field are upserts on it, so re-runs never "
            "duplicate; empty for plain inserts.",
        ),
        th.Property(
            "batch_size",
            th.IntegerType,
            default=MAX_BATCH_SIZE,
            title="Batch Size",
            description="Records per sObject Collections call (at most 200).",
        ),
        th.Property(
            "bulk_threshold",
            th.IntegerType,
            default=DEFAULT_BULK_THRESHOLD,
            title="Bulk Threshold",
            description="Rows of one object and action in a run above which the target "
            "writes them through Bulk API 2.0 ingest jobs instead of sObject Collections calls.",
        ),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.spool = Spool()
        super().__init__(*args, **kwargs)

    @property
    def object_map(self) -> dict[str, str]:
        """Publish object -> Salesforce object."""
        return dict(self.config.get("object_map") or SALESFORCE_OBJECTS)

    @override
    def process_endofpipe(self) -> None:
        """Apply the spooled rows in dependency order, then let the SDK finish.

        Raises:
            SystemExit: on a run-level failure (bad credentials, API budget spent,
                unreachable API), with a message naming it; the sync log keeps what was
                written before it.
        """
        if self.spool.counts:
            record_calls(
                step_name("loader", self.name), sync_log_dir(self.config.get("sync_log_dir"))
            )
            client = SalesforceClient.from_config(self.config)
            sync_log = SyncLog(sync_log_dir(self.config.get("sync_log_dir")), SYNC_LOG_WRITER)
            applier = Applier(
                client,
                sync_log,
                self.object_map,
                self.config.get("external_id_field"),
                batch_size=int(self.config.get("batch_size") or MAX_BATCH_SIZE),
                bulk_threshold=int(self.config.get("bulk_threshold", DEFAULT_BULK_THRESHOLD)),
            )
            try:
                applier.apply(self.spool)
            except SalesforceClientError as exc:
                self.logger.error("target-salesforce stopped: %s", exc)
                msg = f"target-salesforce stopped: {exc}"
                raise SystemExit(msg) from None
            finally:
                sync_log.close()
                client.close()
                self.spool.close()
        super().process_endofpipe()


if __name__ == "__main__":
    TargetSalesforce.cli()
