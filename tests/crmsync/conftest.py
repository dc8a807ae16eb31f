"""Fixtures of the crmsync command-line tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest


@pytest.fixture(autouse=True)
def _keep_the_umask() -> Iterator[None]:
    """The command line sets the owner-only umask for its process: restore the test's."""
    umask = os.umask(0o077)
    os.umask(umask)
    yield
    os.umask(umask)


@pytest.fixture
def quiet_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A warehouse as an incremental cycle leaves it: raw rows, empty publish tables."""
    path = tmp_path / "warehouse.duckdb"
    settings = tmp_path / "sync.yml"
    settings.write_text("objects: {accounts: two-way}\n")
    monkeypatch.setenv("CRMSYNC_WAREHOUSE", str(path))
    monkeypatch.setenv("CRMSYNC_CONFIG", str(settings))
    monkeypatch.delenv("CRMSYNC_FULL_CYCLE_MINUTES", raising=False)
    with duckdb.connect(str(path)) as connection:
        for schema in ("raw_salesforce", "crmsync_state", "publish"):
            connection.execute(f"create schema {schema}")
        connection.execute("create table raw_salesforce.account (id varchar, name varchar)")
        connection.execute("insert into raw_salesforce.account values ('001A', 'Acme')")
        connection.execute("create table crmsync_state.sync_links (sf varchar, fm bigint)")
        connection.execute("create table publish.pub_forcemanager__accounts (id varchar)")
    return path
