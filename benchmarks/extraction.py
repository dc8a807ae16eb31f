"""Figure 3 (and 7's extraction part): each tap end to end into DuckDB, records/s and memory.

`meltano run --full-refresh tap-x target-warehouse-tap`, exactly as a user loads a CRM into DuckDB,
each run into a fresh warehouse file, on a sandbox with `extract_records` records per object.
"""

from __future__ import annotations

from typing import Any

import duckdb

from benchmarks.context import Bench, fatal_note, meltano_run
from benchmarks.report import Row

#: (label, tap, schema target-warehouse-tap loads into, extra environment).
RUNS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("tap-salesforce REST", "tap-salesforce", "tap_salesforce",
     {"TAP_SALESFORCE_QUERY_API": "rest"}),
    ("tap-salesforce Bulk 2.0", "tap-salesforce", "tap_salesforce",
     {"TAP_SALESFORCE_QUERY_API": "bulk"}),
    # As configured for the sandbox environment: 50 requests/s client-side, 500 a page (a
    # `decimal` setting cannot be overridden by an environment variable in Meltano 4.4.1).
    ("tap-forcemanager", "tap-forcemanager", "tap_forcemanager", {}),
)  # fmt: skip


def run(bench: Bench) -> None:
    """Run each extraction once and report records/s and every process's peak memory.

    Args:
        bench: The benchmark run.
    """
    records = bench.sizes.extract_records
    details: dict[str, Any] = {}
    folder = bench.folder("extract-warehouses")
    for label, tap, schema, env in RUNS:
        try:
            sync = bench.local_sync("extract", seed=1, size=records)
            warehouse = folder / f"{label.replace(' ', '-').replace('.', '')}.duckdb"
            sync.reset_calls()
            measured = meltano_run(
                sync, "--full-refresh", tap, "target-warehouse-tap",
                CRMSYNC_WAREHOUSE=str(warehouse), **env,
            )  # fmt: skip
            system = "salesforce" if "salesforce" in tap else "forcemanager"
            calls = sync.calls(system)
            rows = _row_counts(warehouse, schema)
            loaded = sum(rows.values())
            rate = loaded / measured.seconds
            details[label] = {
                "seconds": round(measured.seconds, 2),
                "rows": rows,
                "records_per_s": round(rate),
                "calls": calls,
                "peak_mb": measured.peak_mb,
            }
            plugins = {k: v for k, v in measured.peak_mb.items() if k.startswith(("tap", "targ"))}
            bench.report.add(
                Row(3, f"Extraction {label} -> DuckDB", round(rate), "rec/s", "", None,
                    f"{loaded:,} rows ({records:,}/object) in {measured.seconds:.1f} s, "
                    f"{calls['total']} API calls"),
                Row(7, f"Peak memory, extraction {label}", max(plugins.values(), default=None),
                    "MB", "", None, ", ".join(f"{k} {v:g}" for k, v in measured.peak_mb.items())),
            )  # fmt: skip
        except Exception as error:
            bench.report.add(Row(3, f"Extraction {label}", None, note=fatal_note(error)))
    bench.report.details["extraction"] = details


def _row_counts(warehouse: object, schema: str) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [schema],
            ).fetchall()
        ]
        return {
            table: connection.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            for table in sorted(tables)
        }
