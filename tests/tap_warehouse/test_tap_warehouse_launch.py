"""The `tap-warehouse` command ends at once, with no output, in a quiet cycle's `meltano run`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from crmsync_common.quiet import quiet_file, run_token

LAUNCH = "import sys; from tap_warehouse.launch import main; sys.argv[0] = 'tap-warehouse'; main()"


def _tap(*args: str, warehouse: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        env={**os.environ, "CRMSYNC_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_quiet_runs_apply_step_emits_nothing_and_other_runs_read(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"path": str(warehouse), "table_prefix": "pub_forcemanager__"}))
    quiet_file(warehouse).write_text(json.dumps({"skip": run_token(os.getpid())}))

    quiet = _tap("--config", str(config), warehouse=warehouse)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == ""
    assert "tap-warehouse skipped" in quiet.stderr

    about = _tap("--about", "--format", "json", "--config", str(config), warehouse=warehouse)
    assert about.returncode == 0, about.stderr
    assert json.loads(about.stdout)["name"] == "tap-warehouse"

    quiet_file(warehouse).write_text(json.dumps({"skip": "1:2"}))  # another run's mark
    other = _tap("--config", str(config), warehouse=warehouse)
    assert "tap-warehouse skipped" not in other.stderr
