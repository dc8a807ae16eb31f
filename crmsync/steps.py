"""The pipeline steps crmsync runs around the Singer plugins and dbt.

- `preflight`: validate the settings file (and the initial-sync confirmation) before anything
  is read or written;
- `prepare`: after extraction, check the settings against both CRMs' users and store them in
  the warehouse for dbt;
- `guard`: after the plan, before any write, stop a cycle whose plan would delete or update
  more of an object's records on one side than the `safety:` limits allow (the mass-change
  breaker);
- `collect_log`: after the targets ran, load their sync-log files into the warehouse.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from crmsync_common.apicalls import CALLS_SUFFIX, COUNT_NAMES, current_cycle
from crmsync_common.quiet import skip_step

from crmsync import quiet, warehouse
from crmsync.field_pairs import ResolvedPair, resolve_field_pairs, store_field_pairs
from crmsync.settings import (
    OBJECTS,
    SafetySettings,
    SettingsError,
    SyncSettings,
    load_match_overrides,
    load_settings,
    settings_path,
)

logger = logging.getLogger(__name__)

CONFIRM_VARIABLE = "CRMSYNC_CONFIRM_INITIAL_WIPE"
ALLOW_MASS_CHANGE_VARIABLE = "CRMSYNC_ALLOW_MASS_CHANGE"
GUARD_SCHEMA = "main"
GUARD_TABLE = "sync_guard"
SIDE_NAMES = {"salesforce": "Salesforce", "forcemanager": "ForceManager"}
SETTINGS_SCHEMA = "crmsync_settings"
LOG_SCHEMA = "crmsync_log"
LOG_TABLE = "sync_log_lines"
#: The steps' API call counts, one row per file and side (`crmsync_common.apicalls`).
CALLS_TABLE = "api_call_counts"
#: Which plan run (the run id of `sync_stats`) each cycle's calls belong to.
CYCLES_TABLE = "cycle_runs"
PLAN_RUN_TABLE = ("crmsync_plan", "int_sync_objects")
LOG_COLUMNS = (
    "synced_at",
    "run_id",
    "object",
    "action",
    "direction",
    "salesforce_id",
    "forcemanager_id",
    "status",
    "error_code",
    "error_message",
)


class StepError(RuntimeError):
    """A step refused to go on; the message says why and what to change."""


def preflight(*, initial: bool = False) -> SyncSettings:
    """Validate the settings; for an initial sync that replaces ForceManager's records
    (`initial_sync: replace`), demand the explicit confirmation. `match` deletes nothing and
    needs none."""
    settings = load_settings()
    if settings.match_overrides is not None:
        load_match_overrides(settings.match_overrides)
    confirmed = os.environ.get(CONFIRM_VARIABLE, "").strip().lower() == "true"
    if initial and settings.initial_sync == "replace" and not confirmed:
        msg = (
            "the initial sync deletes ForceManager's records of the synced objects "
            f"({', '.join(settings.synced_objects)}) and replaces them with Salesforce's. "
            f"Nothing was written. Set {CONFIRM_VARIABLE}=true to go ahead, or run the "
            "`sync-initial-plan` job first to see what it would do. (With `initial_sync: "
            "match` in the settings the initial sync pairs the records both CRMs hold and "
            "deletes nothing.)"
        )
        raise StepError(msg)
    logger.info("sync settings are valid: %s", settings.objects)
    return settings


def prepare(*, quiet_check: bool = False) -> None:
    """Check the settings against the extracted users and store them for the plan.

    With `quiet_check` (the incremental cycle) also decide whether the cycle is quiet
    (`crmsync.quiet`): then its plan, guard, apply and report steps end at once.
    """
    settings = load_settings()
    with warehouse.connect() as connection:
        salesforce_users = _user_ids(connection, "raw_salesforce", "user")
        forcemanager_users = {int(i) for i in _user_ids(connection, "raw_forcemanager", "users")}
        manual = _resolve_manual(settings, salesforce_users, forcemanager_users)
        default_sf = settings.default_salesforce_owner
        if default_sf is not None:
            default_sf = _salesforce_user(
                default_sf, salesforce_users, "user_mapping.default_owner.salesforce"
            )
        default_fm = settings.default_forcemanager_owner
        if default_fm is not None and default_fm not in forcemanager_users:
            msg = (
                f"`user_mapping.default_owner.forcemanager`: ForceManager has no user {default_fm}"
            )
            raise SettingsError(msg)
        pairs = resolve_field_pairs(connection, settings.field_pairs, settings.synced_objects)
        _store_settings(connection, settings, manual, default_sf, pairs)
        if quiet_check and quiet.decide(connection) is None:
            # a quiet run has no plan: its API calls (extraction, the access check) are its own
            cycle = current_cycle(warehouse.sync_log_dir())
            if cycle is not None:
                link_cycle(connection, cycle["cycle_id"], *quiet.last_quiet_run(connection))


def _user_ids(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    if not warehouse.table_exists(connection, schema, table):
        msg = f"{schema}.{table} is missing: the users were not extracted before this step"
        raise StepError(msg)
    rows = connection.execute(f'select cast(id as varchar) from {schema}."{table}"').fetchall()
    return {row[0] for row in rows}


def _salesforce_user(user_id: str, known: set[str], setting: str) -> str:
    """Return the 18-character id of `user_id` (given with 15 or 18 characters)."""
    by_prefix = {known_id[:15]: known_id for known_id in known}
    found = by_prefix.get(user_id[:15])
    if found is None:
        msg = f"`{setting}`: Salesforce has no user {user_id}"
        raise SettingsError(msg)
    return found


def _resolve_manual(
    settings: SyncSettings, salesforce_users: set[str], forcemanager_users: set[int]
) -> dict[str, int]:
    manual: dict[str, int] = {}
    for sf_id, fm_id in settings.manual_mapping.items():
        setting = f'user_mapping.manual."{sf_id}"'
        resolved = _salesforce_user(sf_id, salesforce_users, setting)
        if fm_id not in forcemanager_users:
            msg = f"`{setting}`: ForceManager has no user {fm_id}"
            raise SettingsError(msg)
        manual[resolved] = fm_id
    return manual


def _store_settings(
    connection: duckdb.DuckDBPyConnection,
    settings: SyncSettings,
    manual: dict[str, int],
    default_sf: str | None,
    pairs: list[ResolvedPair],
) -> None:
    connection.execute("begin")
    connection.execute(f"create schema if not exists {SETTINGS_SCHEMA}")
    connection.execute(
        f"create or replace table {SETTINGS_SCHEMA}.objects (object varchar, mode varchar)"
    )
    connection.executemany(
        f"insert into {SETTINGS_SCHEMA}.objects values (?, ?)",
        [(name, settings.objects[name]) for name in OBJECTS],
    )
    connection.execute(
        f"create or replace table {SETTINGS_SCHEMA}.user_mapping "
        "(salesforce_user_id varchar, forcemanager_user_id bigint)"
    )
    if manual:
        connection.executemany(
            f"insert into {SETTINGS_SCHEMA}.user_mapping values (?, ?)", list(manual.items())
        )
    connection.execute(
        f"create or replace table {SETTINGS_SCHEMA}.options (auto_match_users boolean, "
        "default_forcemanager_owner bigint, default_salesforce_owner varchar, "
        "initial_sync varchar)"
    )
    connection.execute(
        f"insert into {SETTINGS_SCHEMA}.options values (?, ?, ?, ?)",
        [
            settings.auto_match_users,
            settings.default_forcemanager_owner,
            default_sf,
            settings.initial_sync,
        ],
    )
    overrides = (
        load_match_overrides(settings.match_overrides)
        if settings.match_overrides is not None
        else []
    )
    connection.execute(
        f"create or replace table {SETTINGS_SCHEMA}.match_overrides "
        "(action varchar, object varchar, salesforce_id varchar, forcemanager_id bigint)"
    )
    if overrides:
        connection.executemany(
            f"insert into {SETTINGS_SCHEMA}.match_overrides values (?, ?, ?, ?)",
            [(o.action, o.object, o.salesforce_id, o.forcemanager_id) for o in overrides],
        )
    store_field_pairs(connection, pairs)
    connection.execute("commit")


@dataclass(frozen=True)
class SideChanges:
    """What a plan would do to one object on one side (a row of `main.sync_guard`)."""

    object: str
    side: str
    live_records: int
    planned_updates: int
    planned_deletes: int


def exceeds(planned: int, records: int, max_share: float, min_count: int) -> bool:
    """The breaker's rule: more than `max_share` of the side's records and more than
    `min_count` records (in exact decimals: 10% of 50 is 5, not 5.000000000000001)."""
    return planned > min_count and planned > Decimal(str(max_share)) * records


def mass_changes(rows: Iterable[SideChanges], safety: SafetySettings) -> list[str]:
    """One line per object, side and kind of change over the limits."""
    found: list[str] = []
    for row in rows:
        for kind, planned, max_share, min_count in (
            ("deletes", row.planned_deletes, safety.max_delete_share, safety.min_delete_count),
            ("updates", row.planned_updates, safety.max_update_share, safety.min_update_count),
        ):
            if not exceeds(planned, row.live_records, max_share, min_count):
                continue
            share = f"{planned / row.live_records:.0%}" if row.live_records else "all"
            found.append(
                f"{row.object} in {SIDE_NAMES.get(row.side, row.side)}: {planned} {kind} "
                f"planned, of {row.live_records} records there before the cycle ({share}; "
                f"limits: over {max_share * 100:g}% and over {min_count} records)"
            )
    return found


def guard(*, warn_only: bool = False) -> list[str]:
    """The mass-change breaker: refuse the cycle's writes when its plan (`main.sync_guard`)
    deletes or updates more of an object's records on one side than `safety:` allows.

    With `CRMSYNC_ALLOW_MASS_CHANGE=true` (one run) or `warn_only` (the dry run) the changes
    are logged as a warning instead. An initial sync's plan is not checked: its wipe is
    confirmed by `CRMSYNC_CONFIRM_INITIAL_WIPE`. Returns the lines over the limits.
    """
    if skip_step("the mass-change check"):
        return []
    settings = load_settings()
    with warehouse.connect(read_only=True) as connection:
        if not warehouse.table_exists(connection, GUARD_SCHEMA, GUARD_TABLE):
            msg = (
                f"{GUARD_SCHEMA}.{GUARD_TABLE} is missing: the plan (dbt-duckdb:plan) did not "
                "run before this step"
            )
            raise StepError(msg)
        rows = connection.execute(
            "select sync_mode, object, side, live_records, planned_updates, planned_deletes "
            f"from {GUARD_SCHEMA}.{GUARD_TABLE} order by object_order, side"
        ).fetchall()
    if any(row[0] == "initial" for row in rows):
        logger.info("mass-change check: an initial sync's plan, not checked")
        return []
    found = mass_changes((SideChanges(*row[1:]) for row in rows), settings.safety)
    if not found:
        logger.info("mass-change check: every object's planned changes are within the limits")
        return found
    how = (
        f"If the change is intended, run one cycle with {ALLOW_MASS_CHANGE_VARIABLE}=true; "
        f"otherwise undo it where it was made. The limits are the `safety:` section of "
        f"{settings_path()} (max_delete_share, min_delete_count, max_update_share, "
        "min_update_count)."
    )
    listed = "\n".join(f"  {line}" for line in found)
    if warn_only:
        logger.warning(
            "mass change: the next sync cycle will stop before writing, as this plan "
            "exceeds the `safety:` limits:\n%s\n%s",
            listed,
            how,
        )
    elif os.environ.get(ALLOW_MASS_CHANGE_VARIABLE, "").strip().lower() == "true":
        logger.warning(
            "mass change allowed by %s=true for this run:\n%s",
            ALLOW_MASS_CHANGE_VARIABLE,
            listed,
        )
    else:
        msg = (
            "mass change: the plan exceeds the `safety:` limits, so the cycle stopped before "
            f"writing anything:\n{listed}\nThe plan is kept in main.sync_plan; every cycle "
            f"stops here until the change is undone or allowed. {how}"
        )
        raise StepError(msg)
    return found


def collect_log() -> int:
    """Load every new sync-log line into `crmsync_log.sync_log_lines`; return how many.

    A file is archived once loaded. A line cut short by a crash (no closing newline) is skipped:
    its record's outcome is unknown, and the next cycle's extraction settles it.
    """
    directory = warehouse.sync_log_dir()
    files = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    loaded = 0
    with warehouse.connect() as connection:
        _create_log_table(connection)
        for path in files:
            loaded += _load_file(connection, LOG_TABLE, path, _read_log_file(path))
        collect_calls(connection, directory)
    logger.info("loaded %d sync-log lines from %d files", loaded, len(files))
    return loaded


def collect_calls(connection: duckdb.DuckDBPyConnection, directory: Path) -> int:
    """Load the steps' API call files into `crmsync_log.api_call_counts`; return how many.

    Each file replaces the rows it loaded before (a re-run adds nothing), then moves to
    `loaded/`. Files a killed run left are loaded too: they name their own cycle. The current
    cycle is mapped to the plan this job built, whose run id `sync_stats` carries.
    """
    _create_calls_tables(connection)
    _map_cycle(connection, directory)
    files = sorted(directory.glob(f"*{CALLS_SUFFIX}")) if directory.is_dir() else []
    # a step killed while it rewrote its file left the new version unfinished beside it
    for torn in directory.glob(f".*{CALLS_SUFFIX}.*") if directory.is_dir() else ():
        torn.unlink(missing_ok=True)
    for path in files:
        _load_file(connection, CALLS_TABLE, path, _read_calls_file(path))
    logger.info("loaded the API call counts of %d steps", len(files))
    return len(files)


def _load_file(
    connection: duckdb.DuckDBPyConnection, table: str, path: Path, rows: list[tuple[object, ...]]
) -> int:
    """Replace the rows `path` loaded into `crmsync_log.<table>` before (a re-run adds
    nothing), in one transaction, then archive the file; return how many rows it held."""
    connection.execute("begin")
    connection.execute(f"delete from {LOG_SCHEMA}.{table} where source_file = ?", [path.name])
    if rows:
        _insert_columns(connection, f"{LOG_SCHEMA}.{table}", rows)
    connection.execute("commit")
    _archive(path)
    return len(rows)


def _create_calls_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"create schema if not exists {LOG_SCHEMA}")
    connection.execute(
        f"create table if not exists {LOG_SCHEMA}.{CALLS_TABLE} ("
        "cycle_id varchar, run_id varchar, step varchar, side varchar, auth bigint, reads bigint, "
        "writes bigint, retried bigint, calls bigint, started_at timestamp, "
        "updated_at timestamp, source_file varchar)"
    )
    connection.execute(
        f"create table if not exists {LOG_SCHEMA}.{CYCLES_TABLE} ("
        "cycle_id varchar, run_id varchar, run_started_at timestamp)"
    )


def _map_cycle(connection: duckdb.DuckDBPyConnection, directory: Path) -> None:
    """Record that the current cycle's calls belong to the plan it built (if it built one)."""
    cycle = current_cycle(directory)
    if cycle is None or not warehouse.table_exists(connection, *PLAN_RUN_TABLE):
        return
    schema, table = PLAN_RUN_TABLE
    try:
        began = datetime.fromisoformat(cycle["started_at"].replace("Z", "+00:00"))
    except ValueError:
        return
    # dbt's run_started_at is UTC to the second
    began = began.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    found = connection.execute(
        f"select run_id, max(run_started_at) from {schema}.{table} group by run_id "
        "having max(run_started_at) >= ?",
        [began],
    ).fetchall()
    if len(found) != 1:  # no plan since the cycle began (a plan from an earlier cycle is not it)
        return
    [(run_id, run_started_at)] = found
    link_cycle(connection, cycle["cycle_id"], run_id, run_started_at)


def link_cycle(
    connection: duckdb.DuckDBPyConnection, cycle_id: str, run_id: str, run_started_at: datetime
) -> None:
    """Record that the API calls of cycle `cycle_id` belong to run `run_id`."""
    _create_calls_tables(connection)
    connection.execute("begin")
    connection.execute(f"delete from {LOG_SCHEMA}.{CYCLES_TABLE} where cycle_id = ?", [cycle_id])
    connection.execute(
        f"insert into {LOG_SCHEMA}.{CYCLES_TABLE} values (?, ?, ?)",
        [cycle_id, run_id, run_started_at],
    )
    connection.execute("commit")


def _read_calls_file(path: Path) -> list[tuple[object, ...]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        sides = dict(document["sides"])
        cycle_id, step = str(document["cycle_id"]), str(document["step"])
        run_id = str(document["run_id"]) if document.get("run_id") else None
    except (OSError, ValueError, KeyError, TypeError):
        logger.warning("skipping unreadable API call file %s", path.name)
        return []
    rows: list[tuple[object, ...]] = []
    for side, counts in sorted(sides.items()):
        values = [int(counts.get(name) or 0) for name in COUNT_NAMES]
        calls = sum(values[:3])
        rows.append(
            (
                cycle_id,
                run_id,
                step,
                str(side),
                *values,
                calls,
                _timestamp(document.get("started_at")),
                _timestamp(document.get("updated_at")),
                path.name,
            )
        )
    return rows


def _timestamp(value: object) -> str | None:
    return str(value).replace("Z", "").replace("T", " ") if value else None


def _insert_columns(
    connection: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[object, ...]]
) -> None:
    """Insert `rows` as one list parameter per column, unnested side by side: one statement
    whatever the row count (`executemany` runs one insert per row: about 600 rows/s, minutes
    for the log of an initial sync)."""
    columns = [list(column) for column in zip(*rows, strict=True)]
    unnested = ", ".join(f"unnest(${index})" for index in range(1, len(columns) + 1))
    connection.execute(f"insert into {table} select {unnested}", columns)


def _create_log_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"create schema if not exists {LOG_SCHEMA}")
    connection.execute(
        f"create table if not exists {LOG_SCHEMA}.{LOG_TABLE} ("
        "synced_at timestamp, run_id varchar, object varchar, action varchar, "
        "direction varchar, salesforce_id varchar, forcemanager_id varchar, status varchar, "
        "error_code varchar, error_message varchar, source_file varchar, line_number integer)"
    )


def _read_log_file(path: Path) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.split("\n")[:-1], start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            logger.warning("skipping unreadable sync-log line %s:%d", path.name, number)
            continue
        values = [record.get(column) for column in LOG_COLUMNS]
        if values[6] is not None:
            values[6] = str(values[6])
        rows.append((*values, path.name, number))
    return rows


def _archive(path: Path) -> None:
    archive = path.parent / "loaded"
    archive.mkdir(exist_ok=True)
    path.replace(archive / path.name)
