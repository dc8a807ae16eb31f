"""Builders for tap-warehouse tests: a publish schema in a real DuckDB file, and tap runs."""

from __future__ import annotations

import contextlib
import io
import json
import typing as t
from pathlib import Path

import duckdb
from tap_warehouse.tap import TapWarehouse

PREFIX = "pub_forcemanager__"


def build_publish(path: Path, rows_per_table: int = 3) -> None:
    """Write a publish schema like dbt's: three object tables and one unrelated table."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS publish")
        for name in ("accounts", "contacts", "extra_fields"):
            connection.execute(
                f"CREATE OR REPLACE TABLE publish.{PREFIX}{name} AS "
                "SELECT 'run-1' AS run_id, 'create' AS action, "
                "'001' || lpad(i::VARCHAR, 15, '0') AS salesforce_id, "
                "CASE WHEN i % 2 = 1 THEN 100 + i END::BIGINT AS forcemanager_id, "
                "json_object('name', 'Record ' || i, 'salesRepId1', i % 5)::VARCHAR AS fields, "
                "'{}' AS refs, TIMESTAMP '2024-05-01 10:00:00' AS planned_at, "
                "i::DECIMAL(10, 2) / 4 AS amount, i % 2 = 0 AS is_even "
                f"FROM range({rows_per_table}) AS r(i)"
            )
        connection.execute("CREATE OR REPLACE TABLE publish.unrelated AS SELECT 1 AS x")


def tap_config(path: Path, **extra: t.Any) -> dict[str, t.Any]:
    """Return the tap's config for a publish file."""
    return {"path": str(path), "schema": "publish", "table_prefix": PREFIX, **extra}


def run_tap(config: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """Run the tap in process and return the Singer messages it wrote."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        TapWarehouse(config=config, validate_config=True).sync_all()
    return [json.loads(line) for line in out.getvalue().splitlines() if line]
