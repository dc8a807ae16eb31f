"""Figure 10 (on demand) runs at its quick size, so its code cannot rot.

Timings are never asserted: only that both figures were measured for the quick tenant count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.tenants import FIGURE, QUICK_COUNTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
@pytest.mark.slow
def test_quick_tenants_figure_measures_cycles_through_dagster(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "tenants",
         "--output", str(tmp_path / "out"), "--work-dir", str(tmp_path / "work")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    document = json.loads((tmp_path / "out" / "latest-quick.json").read_text())
    rows = [row for row in document["rows"] if row["figure"] == FIGURE]
    assert len(rows) == 2 * len(QUICK_COUNTS)
    assert all(isinstance(row["value"], int | float) and row["value"] > 0 for row in rows)
    [details] = document["details"]["tenants"]
    assert details["tenants"] == QUICK_COUNTS[0]
