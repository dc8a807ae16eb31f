"""`meltano run tap-x target-warehouse-tap` loads each sandbox into DuckDB from a fresh set-up."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crmsync.local import LocalSync

from .crm import fm_live, sf_live


@pytest.mark.parametrize(
    ("tap", "schema", "table"),
    [
        ("tap-salesforce", "tap_salesforce", "account"),
        ("tap-forcemanager", "tap_forcemanager", "accounts"),
    ],
)
def test_tap_loads_into_duckdb(
    local_sync: Callable[..., LocalSync], tap: str, schema: str, table: str
) -> None:
    sync = local_sync()

    sync.run(tap, "target-warehouse-tap")

    loaded = sync.query(f'select id from {schema}."{table}"')
    if tap == "tap-salesforce":
        expected = {a["Id"] for a in sf_live(sync, "SELECT Id FROM Account")}
    else:
        expected = {str(a["id"]) for a in fm_live(sync, "accounts")}
    assert {str(row[0]) for row in loaded} == expected
    tables = {
        row[0]
        for row in sync.query(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        )
    }
    assert {"contacts", "opportunities", "users"} <= tables or {"contact", "user"} <= tables
