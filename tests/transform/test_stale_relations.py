"""Relations an earlier version of the project left behind are dropped by the next build."""

from __future__ import annotations

from test_sync_cycles import PLAN, REPORT, plan
from warehouse import Warehouse

LEFT_BEHIND = {
    "crmsync_staging": "stg_salesforce__accounts_v1",
    "crmsync_plan": "int_record_pairs_v1",
    "publish": "pub_forcemanager__widgets",
}
#: Schemas the project does not own alone: what others keep there stays.
NOT_OURS = {"main": "analyst_notes", "crmsync_state": "kept_by_hand", "raw_salesforce": "extra"}


def relations(wh: Warehouse, schema: str) -> set[str]:
    rows = wh.query(
        "select table_name from information_schema.tables where table_schema = ?", [schema]
    )
    return {row["table_name"] for row in rows}


def test_a_plan_drops_what_no_model_builds_in_the_schemas_the_project_owns(
    warehouse: Warehouse,
) -> None:
    plan(warehouse, *PLAN)
    built = {schema: relations(warehouse, schema) for schema in LEFT_BEHIND}
    assert built["crmsync_plan"]
    assert built["publish"]
    with warehouse.connect() as connection:
        for schema, name in {**LEFT_BEHIND, **NOT_OURS}.items():
            connection.execute(f"create schema if not exists {schema}")
            if schema == "crmsync_staging":
                connection.execute(f"create view {schema}.{name} as select 1 as id")
            else:
                connection.execute(f"create table {schema}.{name} (id integer)")

    plan(warehouse, *PLAN)

    for schema in LEFT_BEHIND:
        assert relations(warehouse, schema) == built[schema], schema
    for schema, name in NOT_OURS.items():
        assert name in relations(warehouse, schema), schema
    result = warehouse.dbt_run(*REPORT)
    assert result.returncode == 0, result.output[-4000:]
    assert relations(warehouse, "publish") == built["publish"]
