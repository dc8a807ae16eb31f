"""dbt-launcher runs dbt's command line as the sync jobs run it (meltano.yml's dbt utility)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest
from crmsync_common.quiet import quiet_file, run_token

from crmsync.local import dbt_executable

#: What the jobs' dbt steps run, and plain dbt beside it in the utility's environment.
LAUNCHER = dbt_executable()
DBT = LAUNCHER.with_name("dbt")
ROWS = 200_000

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A one-model dbt project on a DuckDB file (`warehouse.duckdb` beside it)."""
    (tmp_path / "models").mkdir()
    (tmp_path / "dbt_project.yml").write_text(
        "name: launcher\nversion: '1.0'\nprofile: launcher\nmodel-paths: [models]\n"
        "models:\n  launcher:\n    +materialized: table\n"
    )
    (tmp_path / "profiles.yml").write_text(
        "launcher:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {tmp_path / 'warehouse.duckdb'}\n      threads: 2\n"
    )
    (tmp_path / "models" / "numbers.sql").write_text(f"select range as n from range({ROWS})")
    return tmp_path


def _run(
    executable: Path, project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **(env or {}),
        "DBT_PROJECT_DIR": str(project),
        "DBT_PROFILES_DIR": str(project),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return subprocess.run(
        [str(executable), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_a_build_leaves_the_warehouse_closed_and_complete(project: Path) -> None:
    """The table is written and checkpointed: no write-ahead log is left for the next step."""
    result = _run(LAUNCHER, project, "build")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Completed successfully" in result.stdout
    assert not (project / "warehouse.duckdb.wal").exists()
    with duckdb.connect(str(project / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), max(n) from numbers").fetchone() == (ROWS, ROWS - 1)
    assert "leaked" not in result.stderr  # dbt's semaphores were released


@pytest.mark.parametrize(
    ("args", "broken"),
    [(("build",), True), (("no-such-command",), False)],
    ids=["failing-model", "usage-error"],
)
def test_exit_codes_and_messages_are_dbts(
    project: Path, args: tuple[str, ...], broken: bool
) -> None:
    """A failing model and a usage error end as they do under dbt itself."""
    if broken:
        (project / "models" / "broken.sql").write_text("select * from no_such_table")

    launched = _run(LAUNCHER, project, *args)
    plain = _run(DBT, project, *args)

    assert launched.returncode == plain.returncode != 0
    if broken:
        assert "no_such_table" in launched.stdout
    else:
        assert "No such command 'no-such-command'" in launched.stderr


def test_a_quiet_cycles_plan_and_report_end_before_dbt_starts(project: Path) -> None:
    """Marked quiet for this process's runs (as `crmsync prepare --quiet-check` marks its
    `meltano run`), the launcher skips the plan and the report, and only them."""
    warehouse = project / "warehouse.duckdb"
    marker = quiet_file(warehouse)
    marker.write_text(json.dumps({"skip": run_token(os.getpid())}))
    env = {"CRMSYNC_WAREHOUSE": str(warehouse)}
    for selection in ("tag:plan", "tag:report"):
        result = _run(LAUNCHER, project, "build", "--select", selection, env=env)
        assert result.returncode == 0, result.stderr
        assert f"dbt build --select {selection} skipped" in result.stderr
        assert "Running with dbt" not in result.stdout
    assert not warehouse.exists(), "dbt did not start"

    built = _run(LAUNCHER, project, "build", "--select", "numbers", env=env)
    assert built.returncode == 0, built.stdout
    assert warehouse.exists()

    marker.write_text(json.dumps({"skip": "1:2"}))  # another `meltano run`'s mark
    result = _run(LAUNCHER, project, "build", "--select", "tag:plan", env=env)
    assert "Running with dbt" in result.stdout
