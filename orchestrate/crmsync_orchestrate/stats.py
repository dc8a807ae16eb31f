"""Read what a run left in the tenant's warehouse (read-only, after the run has ended)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

COUNTS = ("created", "updated", "deleted", "failed", "conflicts")
#: The counts of `main.sync_api_calls` per side.
CALL_COUNTS = ("auth", "reads", "writes", "retried", "calls")


@dataclass
class RunStats:
    """The `main.sync_stats` rows of the runs a job made, and the plan's loose ends."""

    run_ids: list[str]
    #: (object, direction) -> {created, updated, deleted, failed, conflicts}
    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    skipped: int | None = None
    unmapped_users: int | None = None
    #: side -> {auth, reads, writes, retried, calls} of `main.sync_api_calls` for these runs
    #: (None before the warehouse has the table)
    api_calls: dict[str, dict[str, int]] | None = None

    def total(self, count: str) -> int:
        return sum(row[count] for row in self.counts.values())


def _tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = 'main'"
    ).fetchall()
    return {name for (name,) in rows}


def known_run_ids(warehouse: Path) -> set[str]:
    """The run ids `main.sync_stats` holds now (none before the first run)."""
    if not warehouse.exists():
        return set()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        if "sync_stats" not in _tables(connection):
            return set()
        rows = connection.execute("select distinct run_id from main.sync_stats").fetchall()
    return {str(run_id) for (run_id,) in rows}


def new_run_stats(warehouse: Path, before: set[str]) -> RunStats | None:
    """The statistics of the runs that `main.sync_stats` gained since `before`.

    Returns:
        None when the job added no run (a dry run, the report, a run stopped early).
    """
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = _tables(connection)
        if "sync_stats" not in tables:
            return None
        rows = connection.execute(
            f"select run_id, object, direction, {', '.join(COUNTS)} from main.sync_stats "
            "order by run_started_at, object, direction"
        ).fetchall()
        rows = [row for row in rows if str(row[0]) not in before]
        if not rows:
            return None
        stats = RunStats(run_ids=list(dict.fromkeys(str(row[0]) for row in rows)))
        for _run_id, obj, direction, *values in rows:
            slot = stats.counts.setdefault((obj, direction), dict.fromkeys(COUNTS, 0))
            for name, value in zip(COUNTS, values, strict=True):
                slot[name] += int(value or 0)
        if "sync_plan" in tables:
            [(stats.skipped,)] = connection.execute(
                "select count(*) from main.sync_plan where action = 'skip'"
            ).fetchall()
        if "sync_api_calls" in tables:
            stats.api_calls = _api_calls(connection, stats.run_ids)
        if "unmapped_users" in tables:
            [(stats.unmapped_users,)] = connection.execute(
                "select count(*) from main.unmapped_users"
            ).fetchall()
    return stats


def _api_calls(
    connection: duckdb.DuckDBPyConnection, run_ids: list[str]
) -> dict[str, dict[str, int]]:
    rows = connection.execute(
        f"select side, {', '.join(f'sum({name})' for name in CALL_COUNTS)} "
        "from main.sync_api_calls where list_contains(?, run_id) group by side order by side",
        [run_ids],
    ).fetchall()
    return {
        str(side): {name: int(value or 0) for name, value in zip(CALL_COUNTS, values, strict=True)}
        for side, *values in rows
    }
