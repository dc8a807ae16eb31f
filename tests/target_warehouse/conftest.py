"""Fixtures for target-warehouse tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.target_warehouse.target_helpers import Warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    """A warehouse file in a folder the target has to create."""
    return Warehouse(tmp_path / "nested" / "warehouse.duckdb")
