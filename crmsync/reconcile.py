"""`crmsync reconcile`: the step of `sync-reconcile` between the full reads and the plan.

The full reads (`tap-salesforce-initial`, `tap-forcemanager-initial`) load every record each
CRM holds into the raw tables, stamping each row with its load time (`_sdc_batched_at`). The
plan has not run yet, so `int_*__records` still hold the records as the last plan staged them.
This step

- keeps that state in `crmsync_reconcile.records_before` (id, deletion, modification stamp and
  row hash of every record), from which the plan's `sync_reconcile` tells a change no cursor saw
  (the hash moved, the stamp did not) from one an incremental read would have brought;
- marks deleted, in the raw tables, every live record of a synced object that the full read did
  not return: its raw row is older than the newest load the last plan staged (the full read
  loaded every row it returned after that). The record is gone without a delete (a purge, a
  hard delete past the recycle bin); marked, it reaches the plan as that side's delete, and stays
  deleted for every later cycle. The marked records are listed in `crmsync_reconcile.gone`.

A raw table the full read loaded nothing into is left alone: an empty read is more likely a
read that did not happen than a CRM emptied of an object.
"""

from __future__ import annotations

import logging

import duckdb

from crmsync import warehouse
from crmsync.settings import load_settings

logger = logging.getLogger(__name__)

RECONCILE_SCHEMA = "crmsync_reconcile"
PLAN_SCHEMA = "crmsync_plan"
#: Per side: the raw schema, the raw deletion column and the id column in `int_*__records`.
SIDES = {
    "salesforce": ("raw_salesforce", "isdeleted", "salesforce_id"),
    "forcemanager": ("raw_forcemanager", "deleted", "forcemanager_id"),
}
SNAPSHOT_COLUMNS = (
    "object, raw_table, salesforce_id, forcemanager_id, is_deleted, modified_at, row_hash, "
    "hash_signature, batched_at"
)


def reconcile() -> int:
    """Keep the records' state before the full read and mark the records it did not return as
    deleted; return how many were marked."""
    synced = load_settings().synced_objects
    with warehouse.connect() as connection:
        connection.execute("begin")
        connection.execute(f"create schema if not exists {RECONCILE_SCHEMA}")
        _snapshot(connection)
        connection.execute(
            f"create or replace table {RECONCILE_SCHEMA}.gone (side varchar, object varchar, "
            "raw_table varchar, salesforce_id varchar, forcemanager_id bigint)"
        )
        marked = sum(_mark_gone(connection, side, synced) for side in SIDES)
        connection.execute("commit")
    logger.info("reconcile: %d records gone without a delete, marked deleted", marked)
    return marked


def _snapshot(connection: duckdb.DuckDBPyConnection) -> None:
    selects = [
        f"select '{side}' as side, {SNAPSHOT_COLUMNS} from {PLAN_SCHEMA}.int_{side}__records"
        for side in SIDES
        if warehouse.table_exists(connection, PLAN_SCHEMA, f"int_{side}__records")
    ]
    if len(selects) < len(SIDES):
        # no plan ran yet: nothing to compare with
        selects = [
            "select cast(null as varchar) as side, cast(null as varchar) as object, "
            "cast(null as varchar) as raw_table, cast(null as varchar) as salesforce_id, "
            "cast(null as bigint) as forcemanager_id, cast(null as boolean) as is_deleted, "
            "cast(null as timestamp) as modified_at, cast(null as ubigint) as row_hash, "
            "cast(null as varchar) as hash_signature, cast(null as timestamp) as batched_at "
            "where false"
        ]
    connection.execute(
        f"create or replace table {RECONCILE_SCHEMA}.records_before as "
        + " union all ".join(selects)
    )


def _mark_gone(connection: duckdb.DuckDBPyConnection, side: str, synced: list[str]) -> int:
    schema, deleted_column, id_column = SIDES[side]
    if not synced:
        return 0
    objects = ", ".join(f"'{name}'" for name in synced)
    tables = connection.execute(
        f"select raw_table, max(batched_at) from {RECONCILE_SCHEMA}.records_before "
        f"where side = ? and object in ({objects}) group by raw_table order by raw_table",
        [side],
    ).fetchall()
    marked = 0
    for raw_table, staged_until in tables:
        if staged_until is None or not warehouse.table_exists(connection, schema, raw_table):
            continue
        raw = f'{schema}."{raw_table}"'
        [(newest,)] = connection.execute(f"select max(_sdc_batched_at) from {raw}").fetchall()
        if newest is None or newest <= staged_until:
            logger.warning(
                "reconcile: %s.%s was not read in this run; its records are not checked",
                schema,
                raw_table,
            )
            continue
        connection.execute(
            f"insert into {RECONCILE_SCHEMA}.gone "
            f"select '{side}', before.object, before.raw_table, before.salesforce_id, "
            f"before.forcemanager_id "
            f"from {RECONCILE_SCHEMA}.records_before as before "
            f"inner join {raw} as raw on raw.id = before.{id_column} "
            f"where before.side = ? and before.raw_table = ? and before.object in ({objects}) "
            f"and not before.is_deleted and raw._sdc_batched_at <= ? "
            f"and not coalesce(cast(raw.{deleted_column} as boolean), false)",
            [side, raw_table, staged_until],
        )
        [(count,)] = connection.execute(
            f"select count(*) from {RECONCILE_SCHEMA}.gone where side = ? and raw_table = ?",
            [side, raw_table],
        ).fetchall()
        if count:
            # a newer load time, so that the plan stages the row again (as deleted)
            connection.execute(
                f"update {raw} set {deleted_column} = true, _sdc_batched_at = ? "
                f"where id in (select {id_column} from {RECONCILE_SCHEMA}.gone "
                f"where side = ? and raw_table = ?)",
                [newest, side, raw_table],
            )
            logger.info("reconcile: %s.%s: %d records gone", schema, raw_table, count)
        marked += count
    return marked
