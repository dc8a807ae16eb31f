"""Measure write throughput: create N accounts through the same apply path as a run."""

from __future__ import annotations

import tempfile
import time
import uuid
from dataclasses import dataclass

from crmsync_common.synclog import SyncLog
from forcemanager_client import ForceManagerClient

from target_forcemanager.apply import Applier
from target_forcemanager.spool import Spool
from target_forcemanager.target import DEFAULT_MAX_CONCURRENCY, SYNC_LOG_WRITER


@dataclass(frozen=True)
class WriteMeasurement:
    """What one measured run did."""

    records: int
    succeeded: int
    failed: int
    seconds: float

    @property
    def records_per_second(self) -> float:
        """Throughput."""
        return self.records / self.seconds if self.seconds else 0.0


def measure_writes(
    base_url: str,
    public_key: str,
    private_key: str,
    *,
    count: int = 100,
    requests_per_second: float = 4.0,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    branch_id: int = 1,
    owner_id: int = 1,
    sync_log_dir: str | None = None,
) -> WriteMeasurement:
    """Create `count` new accounts and time it (login and extId lookups included).

    Args:
        base_url: ForceManager API base URL.
        public_key: API public key.
        private_key: API private key.
        count: Accounts to create.
        requests_per_second: Client-side rate limit.
        max_concurrency: Requests in flight at most.
        branch_id: Branch of the new accounts.
        owner_id: Owner (user id) of the new accounts.
        sync_log_dir: Where the sync log goes (a temporary folder by default).

    Returns:
        The measurement.
    """
    run_id = f"bench-{uuid.uuid4().hex[:12]}"
    spool = Spool()
    for index in range(count):
        ext_id = f"{run_id}-{index:06d}"
        fields = {"name": f"Bench {ext_id}", "branchId": branch_id, "salesRepId1": owner_id}
        spool.add(
            "accounts",
            {
                "run_id": run_id,
                "action": "create",
                "salesforce_id": ext_id,
                "forcemanager_id": None,
                "fields": {**fields, "extId": ext_id},
                "refs": {},
            },
        )
    with tempfile.TemporaryDirectory() as tmp:
        sync_log = SyncLog(sync_log_dir or tmp, SYNC_LOG_WRITER)
        client = ForceManagerClient(
            base_url,
            public_key,
            private_key,
            requests_per_second=requests_per_second,
            pool_size=max_concurrency,
        )
        started = time.perf_counter()
        try:
            result = Applier(client, sync_log, max_concurrency=max_concurrency).apply(spool)
        finally:
            seconds = time.perf_counter() - started
            client.close()
            sync_log.close()
            spool.close()
    return WriteMeasurement(count, result.succeeded, result.failed, seconds)
