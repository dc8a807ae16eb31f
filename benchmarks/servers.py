"""Figure 0 (issue 2): each sandbox server's small-request throughput and paging speed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from crmsync_sandbox.salesforce import selfbench as salesforce_selfbench
from crmsync_sandbox.selfbench import measure_forcemanager

from benchmarks.context import Bench, fatal_note
from benchmarks.report import Row

REQUESTS_GOAL = 1_000
RECORDS_GOAL = 20_000


def run(bench: Bench) -> None:
    """Measure both servers with their own self-benchmarks.

    The Salesforce server is measured on the extraction sandbox (same records per object),
    the ForceManager one on a fresh ForceManager-only sandbox of the same size.

    Args:
        bench: The benchmark run.
    """
    sizes = bench.sizes
    details: dict[str, Any] = {}
    try:
        sync = bench.local_sync("extract", seed=1, size=sizes.extract_records)
        sf = salesforce_selfbench.measure(
            sync.sandbox.env, sync.sandbox.ca_bundle, small_requests=sizes.server_small_requests
        )
        details["salesforce"] = sf
        bench.report.add(
            Row(0, "Salesforce sandbox: small requests", sf["requests_per_s"], "req/s",
                f">= {REQUESTS_GOAL:,}", sf["requests_per_s"] >= REQUESTS_GOAL,
                f"{sf['requests']} GET limits/"),
            Row(0, "Salesforce sandbox: query paging", sf["records_per_s"], "rec/s",
                f">= {RECORDS_GOAL:,}", sf["records_per_s"] >= RECORDS_GOAL,
                f"{sf['records']:,} Account records, batchSize 2000"),
        )  # fmt: skip
    except Exception as error:
        bench.report.add(Row(0, "Salesforce sandbox", None, note=fatal_note(error)))
    try:
        fm = asdict(
            measure_forcemanager(
                records=sizes.server_records,
                small_requests=sizes.server_small_requests,
                work_dir=bench.work_dir,
            )
        )
        details["forcemanager"] = fm
        bench.report.add(
            Row(0, "ForceManager sandbox: small requests", fm["small_requests_per_second"],
                "req/s", f">= {REQUESTS_GOAL:,}", fm["small_requests_per_second"] >= REQUESTS_GOAL,
                f"{fm['small_requests']} GET accountTypes/1"),
            Row(0, "ForceManager sandbox: paging", fm["paging_records_per_second"], "rec/s",
                f">= {RECORDS_GOAL:,}", fm["paging_records_per_second"] >= RECORDS_GOAL,
                f"{fm['paged_records']:,} accounts, 1,000 a page; filtered "
                f"{fm['filtered_paging_records_per_second']:,} rec/s"),
        )  # fmt: skip
    except Exception as error:
        bench.report.add(Row(0, "ForceManager sandbox", None, note=fatal_note(error)))
    bench.report.details["servers"] = details
