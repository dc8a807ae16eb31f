"""The quiet cycle: skip the plan, the writes and the report when they cannot do anything.

A cycle's plan is a function of what it reads: the raw tables both taps load, the settings
`crmsync:prepare` stores, the sync state and log (`crmsync_state`, `crmsync_log`) and the dbt
project. `prepare --quiet-check` (the incremental cycle's prepare) fingerprints all of them
after extraction; `report --settle` (the cycle's last step) fingerprints them again once the
cycle completed. A cycle *settles* when it planned no write (every publish table empty) and its
inputs ended where they began (the report changed no state): the plan is then a fixed point, and
a later cycle whose inputs carry the same fingerprint would plan the same nothing.

Such a later cycle is quiet, unless one of these holds, and then it runs in full:
- anything was extracted on either side (a row loaded, edited or marked deleted changes the raw
  fingerprint; so does a reconcile's deletion mark, a new custom field's describe);
- a record failed or a write was planned last cycle (a pending retry or link write-back: that
  cycle did not settle);
- a sync-log file is waiting to be collected;
- the settings, the match overrides, the stored user mapping or the dbt project changed;
- the last full cycle is older than `CRMSYNC_FULL_CYCLE_MINUTES` (default 60, the taps'
  `metadata_check_minutes`): a full cycle runs at least that often whatever the fingerprints say.

A quiet cycle marks its `meltano run` (`crmsync_common.quiet`): the plan, guard, tap-warehouse
and report steps end at once, so neither dbt nor a target's write runs; `collect-log` and the
HTML report still run, and the quiet run is recorded in `main.sync_quiet_runs` and, with zero
counts, in `main.sync_stats`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from crmsync_common.apicalls import current_cycle
from crmsync_common.quiet import quiet_file, read_marker, run_token

from crmsync import warehouse
from crmsync.settings import settings_path

logger = logging.getLogger(__name__)

FULL_CYCLE_VARIABLE = "CRMSYNC_FULL_CYCLE_MINUTES"
DEFAULT_FULL_CYCLE_MINUTES = 60
#: What the plan reads (the raw tables, the stored settings, the sync state and log).
INPUT_SCHEMAS = ("raw_salesforce", "raw_forcemanager", "crmsync_settings", "crmsync_state")
#: The targets' write outcomes the plan reads (other tables there, such as API-call counts the
#: plugins log every run, are no input of the plan).
LOG_TABLE = ("crmsync_log", "sync_log_lines")
#: The targets' sync-log files (`<run_id>.target-<name>.jsonl`).
TARGET_LOG_GLOB = "*.target-*.jsonl"
PUBLISH_SCHEMA = "publish"
QUIET_RUNS_TABLE = "main.sync_quiet_runs"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRANSFORM_DIR = PROJECT_ROOT / "transform"
PROJECT_FILES = (".sql", ".yml", ".yaml", ".csv", ".py")
#: When the loader loaded a row, not what the row says: a record read again with the same
#: values (the users and field lists each cycle reads in full, a lookback's re-read) plans the
#: same as before (the plan compares values, `row_hash`). `_sdc_deleted_at` is a value.
LOAD_TIME_COLUMNS = frozenset(
    {
        "_sdc_batched_at",
        "_sdc_extracted_at",
        "_sdc_received_at",
        "_sdc_sequence",
        "_sdc_table_version",
        "_sdc_sync_started_at",
    }
)


def full_cycle_minutes() -> float:
    raw = os.environ.get(FULL_CYCLE_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_FULL_CYCLE_MINUTES
    try:
        value = float(raw)
    except ValueError:
        logger.warning("%s=%r is not a number: using %d", FULL_CYCLE_VARIABLE, raw, 60)
        return DEFAULT_FULL_CYCLE_MINUTES
    return max(value, 0.0)


def _tables(
    connection: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]
) -> list[tuple[str, str]]:
    marks = ", ".join("?" for _ in schemas)
    return connection.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_schema in ({marks}) order by 1, 2",
        list(schemas),
    ).fetchall()


def _table_hash(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """Row count and the sum of the rows' hashes, over every column but the load times."""
    columns = [
        name
        for (name,) in connection.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        if name.lower() not in LOAD_TIME_COLUMNS
    ]
    quoted = ", ".join('"' + name.replace('"', '""') + '"' for name in columns)
    row_hash = f"hash({quoted})::hugeint" if columns else "0"
    [(count, total)] = connection.execute(
        f'select count(*), coalesce(sum({row_hash}), 0) from {schema}."{table}"'
    ).fetchall()
    return f"{count}:{total}"


def _project_hash() -> str:
    digest = hashlib.sha256()
    skip = {"target", "logs", "dbt_packages"}
    for path in sorted(TRANSFORM_DIR.rglob("*")):
        relative = path.relative_to(TRANSFORM_DIR)
        if (relative.parts and relative.parts[0] in skip) or path.suffix not in PROJECT_FILES:
            continue
        stat = path.stat()
        digest.update(f"{relative}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _files_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()


def fingerprint(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every input of the plan, each as a short hash."""
    found: dict[str, str] = {}
    tables = _tables(connection, (*INPUT_SCHEMAS, LOG_TABLE[0]))
    for schema, table in tables:
        if schema == LOG_TABLE[0] and table != LOG_TABLE[1]:
            continue
        found[f"{schema}.{table}"] = _table_hash(connection, schema, table)
    found["settings_file"] = _files_hash([settings_path()])
    found["project"] = _project_hash()
    return found


def _publish_rows(connection: duckdb.DuckDBPyConnection) -> int:
    return sum(
        int(connection.execute(f'select count(*) from {schema}."{table}"').fetchone()[0])  # type: ignore[index]
        for schema, table in _tables(connection, (PUBLISH_SCHEMA,))
    )


def _write_marker(data: dict[str, Any]) -> None:
    path = quiet_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    temporary.replace(path)


def pending_log_files() -> list[Path]:
    directory = warehouse.sync_log_dir()
    return sorted(directory.glob(TARGET_LOG_GLOB)) if directory.is_dir() else []


def decide(connection: duckdb.DuckDBPyConnection) -> str | None:
    """After `prepare` stored the settings: mark this run quiet, or say why it is not.

    Returns:
        None when the cycle is quiet; otherwise the reason it runs in full.
    """
    marker = read_marker()
    now = datetime.now(UTC)
    current = fingerprint(connection)
    settled = marker.get("settled")
    reason: str | None = None
    if not isinstance(settled, dict) or not isinstance(settled.get("inputs"), dict):
        reason = "no earlier cycle settled (it planned writes, failed records or did not finish)"
    elif settled["inputs"] != current:
        changed = sorted(
            key
            for key in set(current) | set(settled["inputs"])
            if current.get(key) != settled["inputs"].get(key)
        )
        reason = f"changed since the last full cycle: {', '.join(changed[:6])}"
    elif pending_log_files():
        reason = "sync-log files are waiting to be collected"
    else:
        at = datetime.fromisoformat(str(settled.get("at")))
        if now - at >= timedelta(minutes=full_cycle_minutes()):
            reason = (
                f"the last full cycle is older than {full_cycle_minutes():g} minutes "
                f"({FULL_CYCLE_VARIABLE}): a full cycle is due"
            )
    token = run_token()
    if reason is None and token is None:
        reason = "this system shows no process start times: a quiet cycle cannot be marked"
    if reason is None:
        _record_quiet_run(connection, now)
    _write_marker(
        {
            "settled": settled if isinstance(settled, dict) else None,
            "candidate": {"token": token, "inputs": current},
            "skip": token if reason is None else None,
            "quiet_at": now.isoformat() if reason is None else marker.get("quiet_at"),
        }
    )
    if reason is None:
        logger.info(
            "quiet cycle: nothing extracted on either side, no pending retry, write or check; "
            "the plan, the writes and the statistics are skipped"
        )
    else:
        logger.info("full cycle: %s", reason)
    return reason


def _record_quiet_run(connection: duckdb.DuckDBPyConnection, at: datetime) -> None:
    """Record the quiet run: a row in `main.sync_quiet_runs`, and its `main.sync_stats` rows.

    `sync_stats` holds one row per run, object and direction (docs/contracts.md section 4): the
    quiet run gets them, zeros throughout, for every synced object and direction, as the
    report step gives a run that wrote nothing.
    """
    run_id = str(uuid.uuid4())
    connection.execute("begin")
    connection.execute(
        f"create table if not exists {QUIET_RUNS_TABLE} (run_id varchar, run_at timestamptz)"
    )
    connection.execute(f"insert into {QUIET_RUNS_TABLE} values (?, ?)", [run_id, at])
    if warehouse.table_exists(connection, "main", "sync_stats"):
        connection.execute(
            "insert into main.sync_stats (run_id, run_started_at, object, direction, created, "
            "updated, deleted, failed, conflicts) "
            "select ?, ?, object, direction, 0, 0, 0, 0, 0 from ("
            "  select object, 'sf_to_fm' as direction from crmsync_settings.objects "
            "  where mode <> 'off' union all "
            "  select object, 'fm_to_sf' from crmsync_settings.objects where mode = 'two-way')",
            [run_id, at.replace(tzinfo=None)],
        )
    connection.execute("commit")


def record_probe_quiet_run(connection: duckdb.DuckDBPyConnection) -> str:
    """Record a cycle the probe found quiet (`crmsync.probe`), as `decide` records one.

    Its run gets the current cycle's API calls (the probe's), and the marker the quiet time (the
    Dagster op reads it); the settled cycle stays as it was. Returns the quiet run's id.
    """
    from crmsync.steps import link_cycle  # noqa: PLC0415 - steps imports this module

    now = datetime.now(UTC)
    _record_quiet_run(connection, now)
    run_id, run_at = last_quiet_run(connection)
    cycle = current_cycle(warehouse.sync_log_dir())
    if cycle is not None:
        link_cycle(connection, cycle["cycle_id"], run_id, run_at)
    _write_marker({**read_marker(), "quiet_at": now.isoformat()})
    return run_id


def last_quiet_run(connection: duckdb.DuckDBPyConnection) -> tuple[str, datetime]:
    """The latest quiet run's id and time (UTC, naive, as dbt's `run_started_at`)."""
    run_id, at = connection.execute(
        f"select run_id, run_at from {QUIET_RUNS_TABLE} order by run_at desc limit 1"
    ).fetchone()
    return run_id, at.astimezone(UTC).replace(tzinfo=None)


def settle() -> bool:
    """At the end of a full incremental cycle: settle it when its plan is a fixed point.

    Returns:
        True when the cycle settled (the next cycle with the same inputs may be quiet).
    """
    marker = read_marker()
    token = run_token()
    if token is not None and marker.get("skip") == token:
        return True  # a quiet cycle: the settled cycle stays as it was
    candidate = marker.get("candidate")
    if not isinstance(candidate, dict) or candidate.get("token") != token or token is None:
        return False  # no incremental prepare in this run
    with warehouse.connect(read_only=True) as connection:
        pending_writes = _publish_rows(connection)
        current = fingerprint(connection)
    settled = None
    if pending_writes:
        logger.info(
            "not settled: the plan had %d writes; the next cycle runs in full", pending_writes
        )
    elif pending_log_files():
        logger.info("not settled: sync-log files are waiting to be collected")
    elif current != candidate.get("inputs"):
        logger.info("not settled: the cycle changed its own inputs; the next cycle runs in full")
    else:
        settled = {"inputs": current, "at": datetime.now(UTC).isoformat()}
    _write_marker({**marker, "settled": settled, "candidate": None, "skip": None})
    return settled is not None
