"""The Meltano project: every job and schedule resolves, and the cron wrapper refuses bad use."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import yaml

from crmsync.local import PROJECT_ROOT

MELTANO = str(Path(sys.executable).with_name("meltano"))


def meltano(*args: str) -> str:
    result = subprocess.run(
        [MELTANO, *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout


def test_contract_jobs_exist_with_their_steps() -> None:
    jobs = json.loads(meltano("job", "list", "--format=json"))["jobs"]
    tasks = {job["job_name"]: job["tasks"] for job in jobs}
    assert {"sync-initial", "sync-incremental", "sync-plan", "sync-initial-plan"} <= set(tasks)
    assert tasks["sync-initial"][0] == "crmsync:preflight-initial"
    for dry_run in ("sync-plan", "sync-initial-plan"):
        assert not any(
            "target-forcemanager" in t or "target-salesforce" in t for t in tasks[dry_run]
        ), f"{dry_run} must not write to a CRM"


def test_incremental_schedule_runs_every_15_minutes() -> None:
    schedules = json.loads(meltano("schedule", "list", "--format=json"))["schedules"]
    by_job = {s["job"]["name"]: s for s in schedules["job"]}
    assert by_job["sync-incremental"]["cron_interval"] == "*/15 * * * *"


def test_cron_wrapper_explains_its_usage() -> None:
    result = subprocess.run(
        [str(PROJECT_ROOT / "orchestrate" / "run-job.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "usage" in result.stderr


SECRET_VARIABLES = (
    "SALESFORCE_CLIENT_SECRET",
    "SALESFORCE_PASSWORD",
    "SALESFORCE_SECURITY_TOKEN",
    "SALESFORCE_REFRESH_TOKEN",
    "FORCEMANAGER_PRIVATE_KEY",
)


def test_no_secret_is_mapped_into_a_plugin_config() -> None:
    """Meltano writes a plugin's config into a file for the run: secrets stay in the env."""
    config_text = "\n".join(
        yaml.safe_dump(plugin.get("config") or {})
        for path in (PROJECT_ROOT / "meltano.yml", *PROJECT_ROOT.glob("orchestrate/*.meltano.yml"))
        for kind in (yaml.safe_load(path.read_text()).get("plugins") or {}).values()
        for plugin in kind
    )
    environments = yaml.safe_dump(
        yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text())["environments"]
    )
    for variable in SECRET_VARIABLES:
        assert variable not in config_text
        assert variable not in environments


def test_meltano_writes_owner_only_files_from_a_wide_umask(tmp_path: Path) -> None:
    """`make setup` makes .venv's meltano start with the umask 077 (orchestrate/owner-only.pth)."""
    database = tmp_path / "meltano.db"
    subprocess.run(
        [MELTANO, "state", "list"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "MELTANO_DATABASE_URI": f"sqlite:///{database}"},
        capture_output=True,
        check=True,
        umask=0o022,
    )
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_cron_wrapper_sets_the_owner_only_umask() -> None:
    wrapper = (PROJECT_ROOT / "orchestrate" / "run-job.sh").read_text()
    assert wrapper.index("umask 077") < wrapper.index("exec .venv/bin/meltano")
    # the quiet probe writes the warehouse and the run report too
    assert wrapper.index("umask 077") < wrapper.index(".venv/bin/crmsync probe")


def test_reconcile_job_reads_in_full_guards_and_runs_daily() -> None:
    jobs = json.loads(meltano("job", "list", "--format=json"))["jobs"]
    tasks = {job["job_name"]: job["tasks"] for job in jobs}["sync-reconcile"]
    assert "tap-salesforce-initial target-warehouse-salesforce" in tasks
    assert "tap-forcemanager-initial target-warehouse-forcemanager" in tasks
    assert tasks.index("crmsync:reconcile") < tasks.index("dbt-duckdb:plan_reconcile")
    assert tasks[tasks.index("dbt-duckdb:plan_reconcile") + 1] == "crmsync:guard"
    schedules = json.loads(meltano("schedule", "list", "--format=json"))["schedules"]
    by_job = {s["job"]["name"]: s for s in schedules["job"]}
    assert by_job["sync-reconcile"]["cron_interval"] == "0 3 * * *"
