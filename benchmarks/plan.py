"""Figure 6: the dbt plan alone at growing sizes, on synthetic raw tables.

The raw tables' shape and content come from a real sync: the cycles figure's warehouse, or
(when that figure did not run) a small seeded pair of sandboxes after an initial sync and one
cycle. Each size then rebuilds every object's raw tables with N rows per object and side in
DuckDB statements (the template's linked pairs cycled, ids renumbered, references pointing at
records of the same index, every ForceManager record linked to the Salesforce record of its
index by `extId`: scale_raw_tables), and dbt's `dbt-duckdb:plan` command (read from
meltano.yml; without Meltano's start-up) is timed with the peak memory of its processes,
three times over the same records:

- cold: no sync state for these records, so every pair is compared field by field (what the
  first cycle after an initial sync, or after the state is lost, does);
- quiet: after the report step has stored the cold plan's state (nothing applied), the plan
  a 15-minute cycle runs when nothing changed;
- 1% change: the same after an edit of 1% of the Salesforce records of every object, the
  figure the goal is read against (a cycle's plan at that size).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.context import Bench, Measured, fatal_note, meltano_run, run_measured
from benchmarks.cycles import uncapped_project
from benchmarks.report import Row
from crmsync.local import PROJECT_ROOT, dbt_command, dbt_executable

SECONDS_GOAL = 60.0
MEMORY_GOAL_MB = 4096.0
#: Object -> Salesforce raw table, its id key prefix, the index offset of the object's rows
#: in it (Task holds activities, then tasks), and the ForceManager raw table.
OBJECTS = {
    "accounts": ("account", "001", 0, "accounts"),
    "contacts": ("contact", "003", 0, "contacts"),
    "opportunities": ("opportunity", "006", 0, "opportunities"),
    "activities": ("task", "00T", 0, "activities"),
    "events": ("event", "00U", 0, "events"),
    "tasks": ("task", "00T", 1, "tasks"),
}
#: ForceManager reference columns to renumber (to the record of the same index).
FM_REFS = ("accountid__id", "accountid1__id", "contactid__id", "opportunityid__id")


def run(bench: Bench) -> None:
    """Build the template warehouse, then time the plan at each size.

    Args:
        bench: The benchmark run.
    """
    folder = bench.folder("plan")
    details: dict[str, Any] = {}
    try:
        cycles = bench.synced_warehouse()
        if cycles is None:
            # as the cycles figure sets up: an initial sync, then a cycle that settles it
            sync = bench.local_sync("plan-template", seed=1, size=40)
            project = uncapped_project(bench.work_dir / "uncapped-project")
            meltano_run(sync, "sync-initial", cwd=project, CRMSYNC_CONFIRM_INITIAL_WIPE="true")
            meltano_run(sync, "sync-incremental")
            cycles = Path(sync.warehouse)
        shutil.copy(cycles, folder / "template.duckdb")
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
            cold = run_dbt(warehouse, folder / "dbt", "plan")
            cold_published = _publish_rows(warehouse)
            report = run_dbt(warehouse, folder / "dbt", "report")
            quiet = run_dbt(warehouse, folder / "dbt", "plan")
            changed_rows = change_salesforce_records(warehouse, percent=1)
            changed = run_dbt(warehouse, folder / "dbt", "plan")
            published = _publish_rows(warehouse)
            growth = ""
            if previous:
                factor = records / previous[0]
                growth = f", x{changed.seconds / previous[1]:.1f} time for x{factor:g} records"
            previous = (records, changed.seconds)
            details[str(records)] = {
                "raw_rows": raw_rows,
                "build_raw_s": round(build_s, 1),
                "cold": {"seconds": round(cold.seconds, 1), "peak_mb": cold.peak_mb,
                         "published": cold_published},
                "report": {"seconds": round(report.seconds, 1), "peak_mb": report.peak_mb},
                "quiet": {"seconds": round(quiet.seconds, 1), "peak_mb": quiet.peak_mb},
                "changed": {"seconds": round(changed.seconds, 1), "peak_mb": changed.peak_mb,
                            "changed_rows": changed_rows, "published": published},
                "warehouse_mb": round(warehouse.stat().st_size / 2**20),
            }  # fmt: skip
            at_goal_size = records >= 1_000_000
            time_met = changed.seconds <= SECONDS_GOAL if at_goal_size else None
            memory_met = _dbt_mb(changed) <= MEMORY_GOAL_MB if at_goal_size else None
            label = f"dbt plan, {records:,} records/object"
            bench.report.add(
                Row(6, f"{label}, 1% changed: time", round(changed.seconds, 1), "s",
                    "<= 60 s at 1M" if at_goal_size else "", time_met,
                    f"{sum(changed_rows.values()):,} of {sum(raw_rows.values()):,} raw rows "
                    f"changed, {sum(published.values()):,} publish rows{growth}"),
                Row(6, f"{label}, 1% changed: peak memory", round(_dbt_mb(changed)), "MB",
                    "<= 4,096 MB at 1M" if at_goal_size else "", memory_met,
                    ", ".join(f"{k} {v:g}" for k, v in changed.peak_mb.items())),
                Row(6, f"{label}, quiet: time", round(quiet.seconds, 1), "s",
                    note=f"peak dbt {_dbt_mb(quiet):,.0f} MB; state from the report step "
                    f"({report.seconds:.1f} s, peak dbt {_dbt_mb(report):,.0f} MB)"),
                Row(6, f"{label}, cold (no sync state): time", round(cold.seconds, 1), "s",
                    note=f"every pair compared; peak dbt {_dbt_mb(cold):,.0f} MB, "
                    f"{sum(cold_published.values()):,} publish rows"),
            )  # fmt: skip
            warehouse.unlink()
        except Exception as error:
            bench.report.add(Row(6, f"dbt plan, {records:,} records/object", None,
                                 note=fatal_note(error)))  # fmt: skip
    bench.release("plan-template")
    bench.report.details["plan"] = details


def _dbt_mb(measured: Measured) -> float:
    return max((mb for name, mb in measured.peak_mb.items() if name == "dbt"), default=0.0)


def run_dbt(warehouse: Path, target_dir: Path, command: str) -> Measured:
    """Run one of the cycle's dbt commands with the Meltano utility's dbt on `warehouse`.

    Args:
        warehouse: The DuckDB file.
        target_dir: dbt's target and log folder (kept out of the shared project folder).
        command: The dbt-duckdb command of meltano.yml (`plan`, `report`).

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
    args = dbt_command(command)
    measured = run_measured([str(dbt_executable()), *args, "--project-dir", str(project)], env=env)
    if measured.returncode != 0:
        lines = measured.output.splitlines()
        # the database's own message (an out-of-memory error, say) before dbt's summary
        cause = next((line.strip() for line in lines if "Error:" in line), "")
        tail = "\n".join(lines[-30:])
        raise RuntimeError(f"dbt {' '.join(args)} exited {measured.returncode}:\n{cause}\n{tail}")
    return measured


def change_salesforce_records(warehouse: Path, *, percent: int) -> dict[str, int]:
    """Edit the description of `percent`% of each Salesforce raw table's records.

    Args:
        warehouse: The DuckDB file.
        percent: The share of records to edit.

    Returns:
        Rows edited per table.
    """
    counts: dict[str, int] = {}
    with duckdb.connect(str(warehouse)) as con:
        for table in sorted({sf_table for sf_table, *_ in OBJECTS.values()}):
            if "description" not in _columns(con, "raw_salesforce", table):
                continue
            # stamped with a load time, as the loader stamps a record it loads again
            edited = con.execute(
                f'update raw_salesforce."{table}" '
                "set description = coalesce(description, '') || ' (edited)', "
                "_sdc_batched_at = timezone('UTC', now()) "
                f"where hash(id) % 100 < {percent}"
            ).fetchone()
            counts[f"raw_salesforce.{table}"] = edited[0] if edited else 0
        con.execute("checkpoint")
    return counts


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

    Row i of an object on each side is a copy of one linked pair of the synced template (the
    pairs taken in turn), with new ids: the Salesforce record gets the id of index i, the
    ForceManager record id i + 1 and that Salesforce id as `extId`, and every reference points
    at the record of index i of the referenced object. The two sides therefore agree as they
    did in the template. The sync state and log are emptied: the first plan finds the links
    by `extId` and has no base. The plan's own tables go too (the records tables are
    incremental, and the raw rows they were staged from are gone).

    Args:
        warehouse: The DuckDB file holding a synced template.
        records: Records per object.

    Returns:
        Rows per rebuilt table.

    Raises:
        RuntimeError: If the template holds no linked pair of an object.
    """
    counts: dict[str, int] = {}
    with duckdb.connect(str(warehouse)) as con:
        for table in sorted({sf_table for sf_table, *_ in OBJECTS.values()}):
            con.execute(f'create temp table "sf_{table}" as select * from raw_salesforce."{table}"')
            con.execute(f'delete from raw_salesforce."{table}"')
        for obj, (sf_table, prefix, offset, fm_table) in OBJECTS.items():
            con.execute(
                f"""create temp table pairs as
                select row_number() over (order by links.sync_key) - 1 as _k,
                  links.salesforce_id, links.forcemanager_id
                from crmsync_state.sync_links as links
                join "sf_{sf_table}" as s on s.id = links.salesforce_id and not s.isdeleted
                join raw_forcemanager."{fm_table}" as f
                  on f.id = links.forcemanager_id and not coalesce(f.deleted, false)
                where links.object = ?""",
                [obj],
            )
            pairs = con.execute("select count(*) from pairs").fetchone()[0]  # type: ignore[index]
            if not pairs:
                raise RuntimeError(f"the template has no linked {obj}")
            index = f"(r.i + {offset * records})"
            sf_replace = {
                "id": sf_id(prefix, index),
                "accountid": _sf_ref("t.accountid", "001"),
                "whoid": _sf_ref("t.whoid", "003"),
                "whatid": (
                    f"case when t.whatid like '006%' then {sf_id('006', 'r.i')} "
                    f"else {_sf_ref('t.whatid', '001')} end"
                ),
                "forcemanager_id__c": "null",
            }
            columns = _columns(con, "raw_salesforce", sf_table)
            con.execute(
                f'insert into raw_salesforce."{sf_table}" select {_select(columns, sf_replace)} '
                f'from range({records}) r(i) join pairs p on p._k = r.i % {pairs} '
                f'join "sf_{sf_table}" t on t.id = p.salesforce_id'
            )  # fmt: skip
            counts[f"raw_salesforce.{sf_table}"] = (
                counts.get(f"raw_salesforce.{sf_table}", 0) + records
            )
            fm_replace = {"id": "r.i + 1", "extid": sf_id(prefix, index)}
            for column in FM_REFS:
                fm_replace[column] = f"case when t.{column} is null then null else r.i + 1 end"
            columns = _columns(con, "raw_forcemanager", fm_table)
            con.execute(f'create temp table fm as select * from raw_forcemanager."{fm_table}"')
            con.execute(f'delete from raw_forcemanager."{fm_table}"')
            con.execute(
                f'insert into raw_forcemanager."{fm_table}" select {_select(columns, fm_replace)} '
                f"from range({records}) r(i) join pairs p on p._k = r.i % {pairs} "
                "join fm t on t.id = p.forcemanager_id"
            )  # fmt: skip
            counts[f"raw_forcemanager.{fm_table}"] = records
            con.execute("drop table fm")
            con.execute("drop table pairs")
        forget_sync_state(con)
    return counts


def forget_sync_state(con: duckdb.DuckDBPyConnection) -> None:
    """Empty the sync state and log and drop the last plan: the next plan is a first one."""
    for (table,) in con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('crmsync_state', 'crmsync_log')"
    ).fetchall():
        con.execute(f"delete from {table}")
    con.execute("drop schema if exists crmsync_plan cascade")
    con.execute("checkpoint")


def _sf_ref(column: str, prefix: str) -> str:
    return f"case when {column} is null then null else {sf_id(prefix, 'r.i')} end"


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [row[0] for row in rows]


def _select(columns: list[str], replace: dict[str, str]) -> str:
    return ", ".join(f'{replace[c]} as "{c}"' if c in replace else f't."{c}"' for c in columns)


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
