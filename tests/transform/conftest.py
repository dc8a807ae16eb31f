"""Fixtures for the dbt project's tests: a fixture warehouse and the dbt to run on it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from warehouse import Warehouse, dbt_executable

ADMIN = "005000000000001AAA"


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    """An empty warehouse with every raw, settings and log table, demo users and lookups."""
    dbt = dbt_executable()
    if dbt is None:
        pytest.skip(
            "no dbt: set DBT_EXECUTABLE or run `meltano install` for the dbt-duckdb utility"
        )
    wh = Warehouse(tmp_path / "warehouse.duckdb", dbt, tmp_path / "target")
    wh.create_tables()
    wh.insert(
        "raw_salesforce.user",
        [
            {"id": ADMIN, "firstname": "Integration", "lastname": "User", "isactive": True},
            {"id": "005000000000002AAA", "firstname": "Ana", "lastname": "García"},
            {"id": "005000000000003AAA", "firstname": "Elena", "lastname": "Rossi"},
            {"id": "005000000000004AAA", "firstname": "Daniel", "lastname": "Smith"},
            {"id": "005000000000005AAA", "firstname": "Farid", "lastname": "Haddad"},
        ],
    )
    wh.insert(
        "raw_forcemanager.users",
        [
            {"id": 1, "name": "API", "lastname": "Integration"},
            {"id": 2, "name": "ana ", "lastname": "GARCIA"},
            {"id": 5, "name": "Daniel", "lastname": "Smith"},
            {"id": 6, "name": "Daniel", "lastname": "Smith"},
            {"id": 7, "name": "Farid", "lastname": "Al-Haddad"},
        ],
    )
    wh.insert("raw_forcemanager.branches", [{"id": 3, "descriptionen": "Main"}])
    wh.insert(
        "raw_forcemanager.opportunitystatuses",
        [
            {"id": 11, "descriptionen": "Prospecting"},
            {"id": 12, "descriptionen": "Closed Won"},
        ],
    )
    wh.insert("raw_forcemanager.activitytypes", [{"id": 21, "descriptionen": "Phone call"}])
    wh.set_modes(accounts="two-way", contacts="two-way", opportunities="one-way", events="two-way")
    wh.insert("crmsync_settings.options", [{"auto_match_users": True}])
    return wh
