"""The pipeline steps crmsync runs around the Singer plugins and dbt.

- `preflight`: validate the settings file (and the initial-sync confirmation) before anything
  is read or written;
- `prepare`: after extraction, check the settings against both CRMs' users and store them in
  the warehouse for dbt;
- `collect_log`: after the targets ran, load their sync-log files into the warehouse.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import duckdb

from crmsync import warehouse
from crmsync.settings import OBJECTS, SettingsError, SyncSettings, load_settings

logger = logging.getLogger(__name__)

CONFIRM_VARIABLE = "CRMSYNC_CONFIRM_INITIAL_WIPE"
SETTINGS_SCHEMA = "crmsync_settings"
LOG_SCHEMA = "crmsync_log"
LOG_TABLE = "sync_log_lines"
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
    """Validate the settings; for the initial sync, demand the explicit confirmation."""
    settings = load_settings()
    if initial and os.environ.get(CONFIRM_VARIABLE, "").strip().lower() != "true":
        msg = (
            "the initial sync deletes ForceManager's records of the synced objects "
            f"({', '.join(settings.synced_objects)}) and replaces them with Salesforce's. "
            f"Nothing was written. Set {CONFIRM_VARIABLE}=true to go ahead, or run the "
            "`sync-initial-plan` job first to see what it would do."
        )
        raise StepError(msg)
    logger.info("sync settings are valid: %s", settings.objects)
    return settings


def prepare() -> None:
    """Check the settings against the extracted users and store them for the plan."""
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
        _store_settings(connection, settings, manual, default_sf)


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
        "default_forcemanager_owner bigint, default_salesforce_owner varchar)"
    )
    connection.execute(
        f"insert into {SETTINGS_SCHEMA}.options values (?, ?, ?)",
        [settings.auto_match_users, settings.default_forcemanager_owner, default_sf],
    )
    connection.execute("commit")


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
            rows = list(_read_log_file(path))
            connection.execute("begin")
            connection.execute(
                f"delete from {LOG_SCHEMA}.{LOG_TABLE} where source_file = ?", [path.name]
            )
            if rows:
                _insert_columns(connection, f"{LOG_SCHEMA}.{LOG_TABLE}", rows)
            connection.execute("commit")
            _archive(path)
            loaded += len(rows)
    logger.info("loaded %d sync-log lines from %d files", loaded, len(files))
    return loaded


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
