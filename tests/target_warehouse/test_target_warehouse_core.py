"""The Singer SDK's standard target tests, run against a real DuckDB file."""

from __future__ import annotations

import tempfile
from pathlib import Path

from singer_sdk.testing import get_target_test_class
from target_warehouse.target import TargetWarehouse

# One file per test process: the standard tests share the class-level config.
_WAREHOUSE = Path(tempfile.mkdtemp(prefix="target-warehouse-core-")) / "warehouse.duckdb"

TestTargetWarehouse = get_target_test_class(
    TargetWarehouse,
    config={"path": str(_WAREHOUSE), "default_target_schema": "standard"},
)
