"""Fixtures for tap-warehouse tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tap_warehouse.tap_helpers import build_publish


@pytest.fixture
def publish_file(tmp_path: Path) -> Path:
    """A warehouse file holding a small publish schema."""
    path = tmp_path / "warehouse.duckdb"
    build_publish(path)
    return path
