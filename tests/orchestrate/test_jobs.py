"""The Meltano project: every job and schedule resolves, and the cron wrapper refuses bad use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
