"""Figure 10 (issue 21, on demand): quiet cycles of many small sandbox tenants through Dagster.

Set-up, once for the largest tenant count (40): one tenant folder per tenant, each with its own
pair of small sandboxes, its own warehouse and Meltano system database; every tenant's confirmed
initial sync and first cycle run through Dagster (`crmsync-orchestrate run`), at most the
default concurrency (the cores) at once, then the taps' lookback window passes and one more
round settles (a cycle that reads and plans nothing lets the next unchanged one be quiet; the
quick run, a smoke test, skips the first cycle, the wait and the settling: its cycles re-read the
initial sync's last records). Measured, for each count N (10, 20, 40): one round of quiet cycles
of the first N tenants (the note says how many were quiet), each a `crmsync-orchestrate run
TENANT` (Dagster's in-process execution of the tenant's cycle job: its quiet probe, and
`meltano run sync-incremental` when the probe finds work), the default concurrency at once.
Figures: tenant-cycles per 15 minutes (N / the round's wall time x 900 s) and CPU seconds per
quiet tenant-cycle (the CPU time of the finished child processes, Dagster and every plugin,
divided by N; the sandboxes' own CPU is not counted).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from crmsync_common.quiet import quiet_since
from crmsync_orchestrate.deployment import default_max_runs
from crmsync_orchestrate.local import sandbox_variables, write_tenant
from crmsync_orchestrate.tenants import DATA_DIR_VARIABLE, TENANTS_DIR_VARIABLE, discover

from benchmarks.context import QUICK, Bench, fatal_note
from benchmarks.cycles import LOOKBACK_SECONDS, children_cpu
from benchmarks.report import Row

FIGURE = 10
#: Tenant counts: the issue's 10, 20 and 40; the quick run (the test suite's) takes two.
FULL_COUNTS = (10, 20, 40)
QUICK_COUNTS = (2,)
#: Records per object in each tenant's sandboxes: a small tenant.
RECORDS_PER_OBJECT = 10
SETTINGS = {
    "objects": {"accounts": "two-way", "contacts": "two-way", "opportunities": "one-way"},
    "user_mapping": {"auto": True},
}
CYCLES_PER_15_MIN_GOAL = 200
CPU_SECONDS_GOAL = 5.0


def _run_all(names: list[str], job: str, env: dict[str, str], workers: int) -> list[str]:
    """Run `crmsync-orchestrate run NAME JOB` for every tenant; return the failures."""
    command = [str(Path(sys.executable).with_name("crmsync-orchestrate")), "run"]
    extra = ["--confirm-initial-wipe"] if job == "initial" else []

    def one(name: str) -> str | None:
        result = subprocess.run(
            [*command, name, job, *extra, "--wait-seconds", "600"],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        return None if result.returncode == 0 else f"{name}: {result.stdout.strip()[-300:]}"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [failure for failure in pool.map(one, names) if failure]


def set_up(bench: Bench, count: int) -> tuple[list[str], dict[str, str], Path]:
    """Set up `count` tenants and settle them; return their names, environment and root."""
    root = bench.folder("tenants")
    env = {
        **os.environ,
        TENANTS_DIR_VARIABLE: str(root / "tenants"),
        DATA_DIR_VARIABLE: str(root / "data"),
    }
    env.pop("DAGSTER_HOME", None)  # each run on a throwaway instance: no UI to feed here
    names = [f"t{index:02d}" for index in range(count)]
    for index, name in enumerate(names):
        sync = bench.local_sync(f"tenant-{name}", SETTINGS, seed=index + 1, size=RECORDS_PER_OBJECT)
        write_tenant(
            root / "tenants", name, SETTINGS, sandbox_variables(sync.directory / "sandbox")
        )
    workers = default_max_runs()
    # The quick run (a smoke test) measures the cycle right after the initial sync.
    full = bench.sizes is not QUICK
    for job in ("initial", "cycle") if full else ("initial",):
        failures = _run_all(names, job, env, workers)
        if failures:
            raise RuntimeError(f"{job}: {len(failures)} tenants failed; {failures[0]}")
    if full:
        time.sleep(LOOKBACK_SECONDS)
        # Past the lookback a cycle reads nothing and plans nothing: it settles, and the
        # schedule's cycles after it are quiet (they skip dbt and the writes).
        failures = _run_all(names, "cycle", env, workers)
        if failures:
            raise RuntimeError(f"settling cycle: {len(failures)} tenants failed; {failures[0]}")
    return names, env, root


def measure(names: list[str], env: dict[str, str], root: Path) -> dict[str, float]:
    """Run one round of quiet cycles of the tenants `names`; return the figures."""
    workers = default_max_runs()
    cpu_before = children_cpu()
    round_started = datetime.now(UTC)
    started = time.perf_counter()
    failures = _run_all(names, "cycle", env, workers)
    seconds = time.perf_counter() - started
    cpu = children_cpu() - cpu_before
    if failures:
        raise RuntimeError(f"quiet cycle: {len(failures)} tenants failed; {failures[0]}")
    tenants, _ = discover(root / "tenants", root / "data")
    quiet = sum(
        quiet_since(tenant.warehouse(env), round_started)
        for tenant in tenants
        if tenant.name in names
    )
    count = len(names)
    return {
        "tenants": count,
        "workers": workers,
        "round_seconds": round(seconds, 1),
        "cycles_per_15_min": round(count / seconds * 900, 1),
        "cpu_s_per_cycle": round(cpu / count, 2),
        "quiet_cycles": quiet,
    }


def run(bench: Bench) -> None:
    """Figure 10: the largest count of tenants is set up once; each count runs a round."""
    details: list[dict[str, float]] = []
    bench.report.details["tenants"] = details
    counts = QUICK_COUNTS if bench.sizes is QUICK else FULL_COUNTS
    largest = max(counts)
    try:
        names, env, root = set_up(bench, largest)
    except Exception as error:
        bench.report.add(Row(FIGURE, f"Dagster: {largest} tenants", None, note=fatal_note(error)))
        return
    for count in counts:
        try:
            figures = measure(names[:count], env, root)
        except Exception as error:
            bench.report.add(Row(FIGURE, f"Dagster: {count} tenants", None, note=fatal_note(error)))
            continue
        details.append(figures)
        note = (
            f"{count} tenants x {RECORDS_PER_OBJECT} records/object, {figures['workers']} runs at "
            f"once, round {figures['round_seconds']} s, {figures['quiet_cycles']} of {count} "
            "cycles quiet"
        )
        per_15 = figures["cycles_per_15_min"]
        cpu = figures["cpu_s_per_cycle"]
        bench.report.add(
            Row(FIGURE, f"Dagster, {count} tenants: quiet tenant-cycles per 15 min", per_15,
                "cycles", f">= {CYCLES_PER_15_MIN_GOAL}", per_15 >= CYCLES_PER_15_MIN_GOAL, note),
        )  # fmt: skip
        bench.report.add(
            Row(FIGURE, f"Dagster, {count} tenants: CPU per quiet tenant-cycle", cpu, "s",
                f"<= {CPU_SECONDS_GOAL:g} s", cpu <= CPU_SECONDS_GOAL, note),
        )  # fmt: skip
