"""Figure 6: the dbt plan alone at growing sizes, on synthetic raw tables.

The raw tables' shape comes from a real extraction: the two taps load a small seeded sandbox
through target-warehouse and `crmsync:prepare` stores the settings, exactly as a cycle does.
Each size then rebuilds every object's raw table with N rows per object and side in one DuckDB
statement (template rows cycled, ids renumbered, references pointing at records of the same
index, every ForceManager record linked to the Salesforce record of its index by `extId`), and
dbt's `dbt-duckdb:plan` command (read from meltano.yml; without Meltano's start-up) is
timed with the peak memory of its processes.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.context import MELTANO_DIR, Bench, Measured, fatal_note, meltano_run, run_measured
from benchmarks.report import Row
from crmsync.local import PROJECT_ROOT, dbt_command

SECONDS_GOAL = 60.0
MEMORY_GOAL_MB = 4096.0
#: Salesforce raw table -> (id key prefix, rows per N: Task holds activities and tasks).
SF_TABLES = {
    "account": ("001", 1),
    "contact": ("003", 1),
    "opportunity": ("006", 1),
    "task": ("00T", 2),
    "event": ("00U", 1),
}
#: ForceManager raw table -> the Salesforce table and index offset its extId links to.
FM_TABLES = {
    "accounts": ("account", 0),
    "contacts": ("contact", 0),
    "opportunities": ("opportunity", 0),
    "activities": ("task", 0),
    "events": ("event", 0),
    "tasks": ("task", 1),
}
#: ForceManager reference columns to renumber -> the table whose ids they hold.
FM_REFS = {
    "accountid__id": "accounts",
    "accountid1__id": "accounts",
    "contactid__id": "contacts",
    "opportunityid__id": "opportunities",
}
TEMPLATE_STEPS = (
    "tap-salesforce-initial target-warehouse-salesforce",
    "tap-forcemanager-initial target-warehouse-forcemanager",
    "crmsync:prepare",
)


def run(bench: Bench) -> None:
    """Build the template warehouse, then time the plan at each size.

    Args:
        bench: The benchmark run.
    """
    folder = bench.folder("plan")
    details: dict[str, Any] = {}
    try:
        cycles = bench.synced_warehouse()
        if cycles is not None:
            # The cycles' warehouse already holds every raw table a real sync loads.
            shutil.copy(cycles, folder / "template.duckdb")
        else:
            sync = bench.local_sync("plan-template", seed=1, size=40)
            for step in TEMPLATE_STEPS:
                meltano_run(sync, *step.split())
            shutil.copy(Path(sync.warehouse), folder / "template.duckdb")
    except Exception as error:
        bench.report.add(Row(6, "dbt plan", None, note=fatal_note(error)))
        return
    previous: tuple[int, float] | None = None
    for records in bench.sizes.plan_records:
        try:
            warehouse = folder / f"plan-{records}.duckdb"
            shutil.copy(folder / "template.duckdb", warehouse)
            started = time.perf_counter()
            raw_rows = scale_raw_tables(warehouse, records)
            build_s = time.perf_counter() - started
            measured = run_dbt_plan(warehouse, folder / "dbt")
            dbt_mb = max(
                (mb for name, mb in measured.peak_mb.items() if name == "dbt"), default=0.0
            )
            published = _publish_rows(warehouse)
            growth = ""
            if previous:
                factor = records / previous[0]
                growth = f", x{measured.seconds / previous[1]:.1f} time for x{factor:g} records"
            previous = (records, measured.seconds)
            details[str(records)] = {
                "raw_rows": raw_rows,
                "build_raw_s": round(build_s, 1),
                "seconds": round(measured.seconds, 1),
                "peak_mb": measured.peak_mb,
                "published": published,
                "warehouse_mb": round(warehouse.stat().st_size / 2**20),
            }
            met = None
            if records >= 1_000_000:
                met = measured.seconds <= SECONDS_GOAL and dbt_mb <= MEMORY_GOAL_MB
            bench.report.add(
                Row(6, f"dbt plan, {records:,} records/object: time", round(measured.seconds, 1),
                    "s", "<= 60 s at 1M" if records >= 1_000_000 else "", met,
                    f"{sum(raw_rows.values()):,} raw rows, {sum(published.values()):,} "
                    f"publish rows{growth}"),
                Row(6, f"dbt plan, {records:,} records/object: peak memory", round(dbt_mb),
                    "MB", "<= 4,096 MB at 1M" if records >= 1_000_000 else "", met,
                    ", ".join(f"{k} {v:g}" for k, v in measured.peak_mb.items())),
            )  # fmt: skip
            warehouse.unlink()
        except Exception as error:
            bench.report.add(Row(6, f"dbt plan, {records:,} records/object", None,
                                 note=fatal_note(error)))  # fmt: skip
    bench.release("plan-template")
    bench.report.details["plan"] = details


def run_dbt_plan(warehouse: Path, target_dir: Path) -> Measured:
    """Run the plan models with the Meltano utility's dbt on `warehouse`.

    Args:
        warehouse: The DuckDB file.
        target_dir: dbt's target and log folder (kept out of the shared project folder).

    Returns:
        The measurement.

    Raises:
        RuntimeError: If dbt failed.
    """
    project = PROJECT_ROOT / "transform"
    env = {
        **os.environ,
        "CRMSYNC_WAREHOUSE": str(warehouse),
        "DBT_PROFILES_DIR": str(project / "profiles"),
        "DBT_TARGET_PATH": str(target_dir),
        "DBT_LOG_PATH": str(target_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = MELTANO_DIR / "utilities" / "dbt-duckdb" / "venv" / "bin" / "dbt"
    args = dbt_command("plan")
    measured = run_measured([str(dbt), *args, "--project-dir", str(project)], env=env)
    if measured.returncode != 0:
        tail = "\n".join(measured.output.splitlines()[-30:])
        raise RuntimeError(f"dbt {' '.join(args)} exited {measured.returncode}:\n{tail}")
    return measured


def sf_id(prefix: str, index: str) -> str:
    """SQL for an 18-character Salesforce id of a given index expression.

    Args:
        prefix: The key prefix (`001`...).
        index: SQL expression of the record's index.

    Returns:
        The SQL expression.
    """
    return f"('{prefix}' || lpad(cast({index} as varchar), 12, '0') || 'AAA')"


def scale_raw_tables(warehouse: Path, records: int) -> dict[str, int]:
    """Rebuild each object's raw tables with `records` rows per object and side.

    Args:
        warehouse: The DuckDB file holding template raw tables.
        records: Records per object.

    Returns:
        Rows per rebuilt table.
    """
    counts: dict[str, int] = {}
    with duckdb.connect(str(warehouse)) as con:
        for table, (prefix, per) in SF_TABLES.items():
            columns = _columns(con, "raw_salesforce", table)
            replace = {
                "id": sf_id(prefix, "r.i"),
                "accountid": _sf_ref("t.accountid", "001", records),
                "whoid": _sf_ref("t.whoid", "003", records),
                "whatid": (
                    f"case when t.whatid like '006%' then {sf_id('006', f'r.i % {records}')} "
                    f"else {_sf_ref('t.whatid', '001', records)} end"
                ),
                "forcemanager_id__c": "null",
                "isdeleted": "false",
            }
            counts[f"raw_salesforce.{table}"] = _rebuild(
                con, "raw_salesforce", table, columns, replace=replace, rows=records * per
            )
        for table, (sf_table, offset) in FM_TABLES.items():
            columns = _columns(con, "raw_forcemanager", table)
            prefix = SF_TABLES[sf_table][0]
            replace = {
                "id": "r.i + 1",
                "extid": sf_id(prefix, f"r.i + {offset * records}"),
                "deleted": "false",
                "datedeleted": "null",
            }
            for column in FM_REFS:
                replace[column] = f"case when t.{column} is null then null else r.i + 1 end"
            counts[f"raw_forcemanager.{table}"] = _rebuild(
                con, "raw_forcemanager", table, columns, replace=replace, rows=records
            )
        con.execute("checkpoint")
    return counts


def _sf_ref(column: str, prefix: str, records: int) -> str:
    return f"case when {column} is null then null else {sf_id(prefix, f'r.i % {records}')} end"


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [row[0] for row in rows]


def _rebuild(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    columns: list[str],
    *,
    replace: dict[str, str],
    rows: int,
) -> int:
    if not columns:
        return 0
    select = ", ".join(f'{replace[c]} as "{c}"' if c in replace else f't."{c}"' for c in columns)
    con.execute(f'create temp table tpl as select *, row_number() over () - 1 as _k '
                f'from {schema}."{table}"')  # fmt: skip
    count = con.execute("select count(*) from tpl").fetchone()[0]  # type: ignore[index]
    if count == 0:
        con.execute("drop table tpl")
        return 0
    con.execute(f'delete from {schema}."{table}"')
    con.execute(
        f'insert into {schema}."{table}" select {select} from range({rows}) r(i) '
        f"join tpl t on t._k = r.i % {count}"
    )
    con.execute("drop table tpl")
    return rows


def _publish_rows(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'publish'"
            ).fetchall()
        ]
        return {
            t: con.execute(f'select count(*) from publish."{t}"').fetchone()[0]  # type: ignore[index]
            for t in sorted(tables)
        }
