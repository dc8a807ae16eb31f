"""`python -m benchmarks --quick` runs end to end, so the benchmark code cannot rot.

Timings are never asserted: only that every figure was measured and the JSON was written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
@pytest.mark.slow
def test_quick_bench_measures_every_figure(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(tmp_path / "out"),
         "--work-dir", str(tmp_path / "work")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    document = json.loads((tmp_path / "out" / "latest-quick.json").read_text())
    figures = {row["figure"] for row in document["rows"]}
    assert figures == {0, 1, 2, 3, 4, 5, 6, 7, 9}
    assert all(row["value"] is not None for row in document["rows"]), result.stdout
    assert "fig" in result.stdout.splitlines()[0]


def test_only_rejects_unknown_figures() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "invalid choice" in result.stderr
