"""The Singer SDK's standard tap tests, run against a real DuckDB publish schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_warehouse.tap import TapWarehouse

from tests.tap_warehouse.tap_helpers import build_publish, tap_config

# One file per test process: the standard tests share the class-level config.
_WAREHOUSE = Path(tempfile.mkdtemp(prefix="tap-warehouse-core-")) / "warehouse.duckdb"
build_publish(_WAREHOUSE)

TestTapWarehouse = get_tap_test_class(
    TapWarehouse,
    config=tap_config(_WAREHOUSE),
    suite_config=SuiteConfig(),
)
