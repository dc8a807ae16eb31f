"""The ForceManager sandbox is never a benchmark's bottleneck (`make bench` prints the figures)."""

from __future__ import annotations

import pytest
from crmsync_sandbox.selfbench import measure_forcemanager

#: Half the issue's targets (1,000 requests/s, 20,000 records/s): this guards against
#: regressions while the suite shares two cores with other tests; the benchmark shows the rest.
MIN_REQUESTS_PER_S = 500
MIN_RECORDS_PER_S = 10_000
#: "Seeding --size large must take well under a minute."
MAX_LARGE_SEED_S = 60


@pytest.mark.slow
def test_large_seed_paging_and_small_requests_are_fast(tmp_path):
    figures = measure_forcemanager(small_requests=2_000, work_dir=tmp_path, measure_restart=False)
    assert figures.paged_records == 100_000
    assert figures.pages == 101  # 100 full pages and the empty one that ends the walk
    assert figures.seed_seconds < MAX_LARGE_SEED_S
    assert figures.small_requests_per_second >= MIN_REQUESTS_PER_S
    assert figures.paging_records_per_second >= MIN_RECORDS_PER_S
    assert figures.filtered_paging_records_per_second >= MIN_RECORDS_PER_S
