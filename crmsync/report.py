"""A plain-text view of `sync_stats`, `sync_api_calls`, `sync_reconcile` and `sync_log_recent` for
people at a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from crmsync import warehouse
from crmsync.steps import StepError

STATS_COLUMNS = ("object", "direction", "created", "updated", "deleted", "failed", "conflicts")
CALLS_COLUMNS = ("side", "auth", "reads", "writes", "retried", "calls")
RECONCILE_COLUMNS = ("object", "side", "kind", "findings")
LOG_COLUMNS = (
    "synced_at",
    "object",
    "action",
    "direction",
    "salesforce_id",
    "forcemanager_id",
    "status",
    "error_code",
)


def render(*, runs: int = 1, log_lines: int = 20, warehouse_file: Path | None = None) -> str:
    """Return the statistics of the last `runs` runs and the newest `log_lines` log lines."""
    with warehouse.connect(warehouse_file, read_only=True) as connection:
        if not warehouse.table_exists(connection, "main", "sync_stats"):
            msg = "no statistics yet: run a sync first"
            raise StepError(msg)
        recent_runs = connection.execute(
            "select run_id, min(run_started_at) as started from main.sync_stats "
            "group by run_id order by started desc limit ?",
            [runs],
        ).fetchall()
        has_calls = warehouse.table_exists(connection, "main", "sync_api_calls")
        parts: list[str] = []
        for run_id, started in reversed(recent_runs):
            rows = connection.execute(
                f"select {', '.join(STATS_COLUMNS)} from main.sync_stats where run_id = ? "
                "order by direction, object",
                [run_id],
            ).fetchall()
            parts.append(f"Run {run_id} (started {started})")
            parts.append(_table(STATS_COLUMNS, rows))
            if has_calls:
                calls = connection.execute(
                    "select side, sum(auth), sum(reads), sum(writes), sum(retried), sum(calls) "
                    "from main.sync_api_calls where run_id = ? group by side order by side desc",
                    [run_id],
                ).fetchall()
                parts.append("API calls")
                parts.append(_table(CALLS_COLUMNS, calls))
        if warehouse.table_exists(connection, "main", "sync_reconcile"):
            parts.extend(_reconcile(connection))
        log = connection.execute(
            f"select {', '.join(LOG_COLUMNS)}, error_message from main.sync_log_recent "
            "order by synced_at desc limit ?",
            [log_lines],
        ).fetchall()
    parts.append(f"Recent sync log ({len(log)} newest lines)")
    parts.append(_table((*LOG_COLUMNS, "error_message"), log))
    return "\n".join(parts)


def _reconcile(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The latest reconcile run that found something: its findings per object, side and kind
    (a run that finds nothing adds no row to `sync_reconcile`)."""
    latest = connection.execute(
        "select found.run_id, min(stats.run_started_at) as started "
        "from main.sync_reconcile as found "
        "left join main.sync_stats as stats on stats.run_id = found.run_id "
        "group by found.run_id order by started desc nulls last, found.run_id desc limit 1"
    ).fetchall()
    if not latest:
        return ["Reconcile: no run has found anything yet"]
    [(run_id, started)] = latest
    rows = connection.execute(
        f"select {', '.join(RECONCILE_COLUMNS[:-1])}, count(*) from main.sync_reconcile "
        "where run_id = ? group by all order by object, side desc, kind",
        [run_id],
    ).fetchall()
    return [
        f"Latest reconcile that found something: run {run_id} (started {started}), "
        f"{sum(row[-1] for row in rows)} findings",
        _table(RECONCILE_COLUMNS, rows),
    ]


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)
