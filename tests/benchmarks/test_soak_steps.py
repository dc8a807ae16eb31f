"""The soak kills a cycle inside the step it chose, as the job's task list places each step."""

from __future__ import annotations

import yaml

from benchmarks.soak import STEPS, _step_of, _step_starts
from crmsync.local import PROJECT_ROOT


def test_every_step_starts_at_its_first_task_of_the_incremental_job() -> None:
    jobs = yaml.safe_load((PROJECT_ROOT / "orchestrate" / "jobs.meltano.yml").read_text())
    tasks = next(job["tasks"] for job in jobs["jobs"] if job["name"] == "sync-incremental")
    starts = _step_starts()
    assert [tasks[starts[first]].split()[0] for _, first, _ in STEPS] == [f for _, f, _ in STEPS]
    # in the job's order, each step after the one before
    assert list(starts.values()) == sorted(starts.values())


def test_a_kill_is_told_to_the_step_whose_tasks_were_running() -> None:
    starts = _step_starts()
    # the tasks before the extract (the preflight) are none of the steps the soak names
    assert _step_of(starts["tap-salesforce"], starts) == "extract"
    assert _step_of(starts["dbt-duckdb:plan"] - 1, starts) == "extract"
    assert _step_of(starts["crmsync:collect-log"], starts) == "collect-log"
    assert _step_of(starts["dbt-duckdb:report"] + 1, starts) == "report"
