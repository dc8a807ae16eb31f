"""`meltano run tap-x target-warehouse-tap` loads each sandbox into DuckDB from a fresh set-up."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

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


def test_two_syncs_run_one_tap_at_once_each_from_its_own_state(
    local_sync: Callable[..., LocalSync],
) -> None:
    """Meltano keeps a tap's state and catalog at fixed paths of its system folder
    (`run/<plugin>/state.json`): two syncs of one project (two tenants) running the same tap at
    once must each read their own, never the other's or none."""
    syncs = [local_sync(seed=3), local_sync(seed=4)]
    blocks = ("tap-salesforce", "target-warehouse-tap")
    accounts = [sf_live(sync, "SELECT Id FROM Account ORDER BY Id LIMIT 3") for sync in syncs]
    for round_ in range(3):
        if round_:  # each sync's next read starts from its own bookmark and finds its own edit
            for number, (sync, records) in enumerate(zip(syncs, accounts, strict=True)):
                sync.salesforce.request(
                    "PATCH",
                    f"sobjects/Account/{records[round_]['Id']}",
                    json={"Name": f"sync {number} round {round_}"},
                )
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda sync: sync.run(*blocks), syncs))  # a failed run raises

    for number, sync in enumerate(syncs):
        names = {row[0] for row in sync.query('select name from tap_salesforce."account"')}
        assert {f"sync {number} round 1", f"sync {number} round 2"} <= names
        assert not {f"sync {1 - number} round 1", f"sync {1 - number} round 2"} & names
        assert (sync.meltano_dir / "run" / "tap-salesforce" / "state.json").is_file()
