"""The dbt project's unit tests (`unit_tests:` in the models' yml) pass on an empty warehouse.

dbt unit tests read the column types of their inputs from the warehouse, so the parents of
the tested models are first built empty (`dbt run --empty`); the unit tests then run on
their own `given` rows only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from warehouse import dbt_executable

PROJECT_DIR = Path(__file__).resolve().parents[2] / "transform"


def run_dbt(dbt: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run dbt on a private warehouse, target and log dir under `tmp_path`."""
    env = dict(os.environ)
    env.update(
        {
            "CRMSYNC_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
            "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    return subprocess.run(
        [
            str(dbt),
            *args,
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_dbt_unit_tests_pass(tmp_path: Path) -> None:
    """Every dbt unit test (merge, conflict, owner matching, delete rules) passes."""
    dbt = dbt_executable()
    if dbt is None:
        pytest.skip("no dbt: set DBT_EXECUTABLE or `meltano install` the dbt-duckdb utility")
    # An empty warehouse (no raw tables yet) must build: the first run of a sync starts there.
    built = run_dbt(dbt, tmp_path, "run", "--empty", "--select", "tag:plan")
    assert built.returncode == 0, built.stdout + built.stderr
    tested = run_dbt(dbt, tmp_path, "test", "--select", "test_type:unit")
    output = tested.stdout + tested.stderr
    assert tested.returncode == 0, output
    assert "PASS=" in output
    assert "PASS=0 " not in output, output
