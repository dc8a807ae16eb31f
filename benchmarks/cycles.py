"""Figures 4, 5 and 7's cycle part: a quiet cycle and a 1% change cycle after a full sync.

Set-up: sandboxes seeded with `cycle_records` records in all over the six objects, the
confirmed initial sync run with the ForceManager plugins' client-side limit lifted (a copy of
the project whose sandbox environment sets `requests_per_second: 0`; the sandboxes are
uncapped), a pause of the taps' lookback window (at full size), and the first scheduled cycle
after it. The measured cycles then run
`sync-incremental` from the project itself, exactly as configured, with the sandboxes' call
counters reset before each.
"""

from __future__ import annotations

import math
import resource
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import yaml
from tap_forcemanager.tap import DEFAULT_LOOKBACK_SECONDS as FM_LOOKBACK_SECONDS
from tap_salesforce.tap import DEFAULT_LOOKBACK_SECONDS as SF_LOOKBACK_SECONDS

from benchmarks.context import Bench, Measured, block_seconds, fatal_note, meltano_run
from benchmarks.report import Row
from crmsync.local import PROJECT_ROOT, LocalSync

QUIET_SECONDS_GOAL = 30.0
#: CPU seconds per quiet cycle (issue 21: 200 quiet tenant-cycles per 15 minutes on 2 cores).
QUIET_CPU_GOAL = 5.0
LOOKBACK_SECONDS = max(FM_LOOKBACK_SECONDS, SF_LOOKBACK_SECONDS)
AUTH_ROUTES = ("oauth2/token", "/login")
#: The access check every cycle starts with (`crmsync preflight --access`): Salesforce describes
#: and limits, ForceManager schemas. A quiet cycle's taps call none of these (the hourly
#: metadata checks do), so they are counted apart from the sync's own reads.
CHECK_ROUTES = ("/describe", "/limits", "/schema")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: API objects a cycle must read on each side: the six sObjects (User included), and the
#: ForceManager resources of the six objects plus users (calendar serves events and tasks).
OBJECTS_READ = {"salesforce": 6, "forcemanager": 7}
#: What a cycle does once an hour by default: Salesforce's metadata check, the value lists.
HOURLY_CHECKS = {
    "TAP_SALESFORCE_METADATA_CHECK_MINUTES": "0",
    "TAP_FORCEMANAGER_LOOKUP_REFRESH_MINUTES": "0",
}
SF_OBJECTS = {
    "accounts": ("Account", "account", None),
    "contacts": ("Contact", "contact", None),
    "opportunities": ("Opportunity", "opportunity", None),
    "activities": ("Task", "task", "tasksubtype = 'Call'"),
    "events": ("Event", "event", None),
    "tasks": ("Task", "task", "coalesce(tasksubtype, '') <> 'Call'"),
}
FM_OBJECTS = {
    "accounts": ("accounts", "accounts", "comment"),
    "contacts": ("contacts", "contacts", "comment"),
    "activities": ("activities", "activities", "comment"),
    "events": ("calendar", "events", "comment"),
    "tasks": ("calendar", "tasks", "comment"),
}


def run(bench: Bench) -> None:
    """Set up a fully synced pair of sandboxes, then measure a quiet and a change cycle.

    Args:
        bench: The benchmark run.
    """
    sizes = bench.sizes
    details: dict[str, Any] = {}
    bench.report.details["cycles"] = details
    per_object = max(1, sizes.cycle_records // 6)
    try:
        sync = bench.local_sync("cycles", seed=1, size=per_object)
        project = uncapped_project(bench.work_dir / "uncapped-project")
        setup = meltano_run(sync, "sync-initial", cwd=project, CRMSYNC_CONFIRM_INITIAL_WIPE="true")
        details["initial_sync"] = {"seconds": round(setup.seconds, 1), "peak_mb": setup.peak_mb}
        if sizes.wait_lookback:
            # The initial sync's last writes are within the lookback window of the cycles
            # right after it; the schedule's next cycle starts 15 minutes later.
            time.sleep(LOOKBACK_SECONDS)
        # The schedule's first cycle follows the initial sync: its extractors have no state
        # of their own yet (the initial ones keep theirs), so it reads the value lists too.
        settle = meltano_run(sync, "sync-incremental")
        details["first_cycle"] = {"seconds": round(settle.seconds, 1)}
    except Exception as error:
        bench.report.add(Row(4, "Quiet cycle (set-up: initial sync)", None, note=fatal_note(error)))
        bench.report.add(Row(5, "1% change cycle", None, note="no set-up"))
        return
    note = f"{per_object:,} records/object on each side, initial sync {setup.seconds:.0f} s"
    try:
        quiet = [_cycle(sync) for _ in range(max(1, sizes.repeats))]
        median_s = statistics.median(c["seconds"] for c in quiet)
        details["quiet"] = quiet
        first = quiet[0]
        bench.report.add(
            Row(4, "Quiet cycle: wall time", round(median_s, 1), "s",
                f"<= {QUIET_SECONDS_GOAL:g} s", median_s <= QUIET_SECONDS_GOAL,
                f"median of {len(quiet)}; {note}; steps (s): {_routes(first['steps_s'])}"),
        )  # fmt: skip
        for side in ("salesforce", "forcemanager"):
            worst = max(quiet, key=lambda c, side=side: c["calls"][side]["reads"])
            calls = worst["calls"][side]
            met = calls["reads"] <= calls["objects"] and all(
                c["calls"][side]["writes"] == 0 for c in quiet
            )
            bench.report.add(
                Row(4, f"Quiet cycle: {side} calls beyond auth and the access check",
                    calls["reads"] + calls["writes"], "calls", "<= 1 read/object, 0 writes", met,
                    f"{calls['reads']} reads for {calls['objects']} objects, {calls['writes']} "
                    f"writes; {_routes(calls['by_route'])}"),
                Row(4, f"Quiet cycle: {side} access-check calls", calls["checks"], "calls", "",
                    None, "describe, limits or schema reads of `crmsync preflight --access`"),
            )  # fmt: skip
        # CPU of a quiet cycle, every process it starts: through `meltano run`, and as the
        # schedule runs it (the cron wrapper: the probe first, Meltano only when needed)
        cpu = {path: _cycle_cpu(sync, path) for path in ("meltano run", "cron wrapper")}
        details["quiet_cpu"] = cpu
        for path, found in cpu.items():
            bench.report.add(
                Row(4, f"Quiet cycle: CPU through the {path}", found["cpu_s"], "s",
                    f"<= {QUIET_CPU_GOAL:g} s", found["cpu_s"] <= QUIET_CPU_GOAL,
                    "quiet" if found["quiet"] else "NOT quiet (something was pending)"),
            )  # fmt: skip
        # Once an hour (the taps' defaults) a quiet cycle also asks Salesforce whether its
        # metadata changed and reads ForceManager's value lists: that cycle, forced.
        hourly = _cycle(sync, **HOURLY_CHECKS)
        details["quiet_hourly"] = hourly
        _add_call_rows(bench, 4, "Quiet cycle with the hourly checks", hourly)
        bench.report.add(
            Row(7, "Peak memory, quiet cycle", max(_plugins(first["peak_mb"]).values()), "MB",
                "", None, _memory(first["peak_mb"])),
        )  # fmt: skip
    except Exception as error:
        bench.report.add(Row(4, "Quiet cycle", None, note=fatal_note(error)))
    try:
        changed = make_changes(sync, per_object, sizes.change_share)
        cycle = _cycle(sync)
        cycle["changed"] = changed
        details["change"] = cycle
        written = cycle["written"]
        bench.report.add(
            Row(5, f"{sizes.change_share:.0%} change cycle: wall time", round(cycle["seconds"], 1),
                "s", "", None,
                f"{sum(changed.values()):,} records changed ({_routes(changed)}); written: "
                f"{_routes(written)}; steps (s): {_routes(cycle['steps_s'])}"),
        )  # fmt: skip
        _add_call_rows(bench, 5, f"{sizes.change_share:.0%} change cycle", cycle)
        bench.report.add(
            Row(7, "Peak memory, change cycle", max(_plugins(cycle["peak_mb"]).values()), "MB",
                "", None, _memory(cycle["peak_mb"])),
        )  # fmt: skip
    except Exception as error:
        bench.report.add(Row(5, "1% change cycle", None, note=fatal_note(error)))


def uncapped_project(folder: Path) -> Path:
    """A copy of the project (links to every part) whose sandbox environment is uncapped.

    Args:
        folder: Where the copy goes.

    Returns:
        The copy's root, to run `meltano` from.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for entry in PROJECT_ROOT.iterdir():
        link = folder / entry.name
        if entry.name in {"meltano.yml", "orchestrate"} or link.exists():
            continue
        link.symlink_to(entry)
    # Meltano refuses included files that resolve outside the project: copy the job files.
    (folder / "orchestrate").mkdir(exist_ok=True)
    for jobs in (PROJECT_ROOT / "orchestrate").glob("*.meltano.yml"):
        shutil.copy(jobs, folder / "orchestrate" / jobs.name)
    document = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text())
    for environment in document.get("environments", []):
        plugins = environment.get("config", {}).get("plugins", {})
        for plugin in (*plugins.get("extractors", []), *plugins.get("loaders", [])):
            if "requests_per_second" in plugin.get("config", {}):
                plugin["config"]["requests_per_second"] = 0
    (folder / "meltano.yml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def make_changes(sync: LocalSync, per_object: int, share: float) -> dict[str, int]:
    """Change `share` of each object's records: half in Salesforce, half in ForceManager.

    One-way objects change in Salesforce only. Salesforce edits go through sObject
    Collections, ForceManager ones one PUT per record; Salesforce-side and ForceManager-side
    edits touch different record pairs, so none is a conflict.

    Args:
        sync: The synced sandboxes.
        per_object: Records per object.
        share: Share of records to change.

    Returns:
        Records changed per `side:object`.
    """
    count = max(2, math.ceil(per_object * share))
    changed: dict[str, int] = {}
    for name, (sobject, table, where) in SF_OBJECTS.items():
        fm_share = 0 if name == "opportunities" else count // 2
        filters = "not coalesce(isdeleted, false)" + (f" and {where}" if where else "")
        ids = [
            row[0]
            for row in sync.query(
                f"select id from raw_salesforce.{table} where {filters} order by id limit ?",
                [count - fm_share],
            )
        ]
        for start in range(0, len(ids), 200):
            records = [
                {"attributes": {"type": sobject}, "id": id_, "Description": f"bench edit {id_}"}
                for id_ in ids[start : start + 200]
            ]
            sync.salesforce.request(
                "PATCH", "composite/sobjects", json={"allOrNone": False, "records": records}
            )
        changed[f"salesforce:{name}"] = len(ids)
        if fm_share and name in FM_OBJECTS:
            resource, fm_table, field = FM_OBJECTS[name]
            fm_ids = [
                row[0]
                for row in sync.query(
                    f"select id from raw_forcemanager.{fm_table} "
                    "where not coalesce(deleted, false) order by id desc limit ?",
                    [fm_share],
                )
            ]
            for fm_id in fm_ids:
                sync.forcemanager.update(resource, fm_id, {field: f"bench edit {fm_id}"})
            changed[f"forcemanager:{name}"] = len(fm_ids)
    return changed


def _add_call_rows(bench: Bench, figure: int, title: str, cycle: dict[str, Any]) -> None:
    """One row per side: the cycle's calls beyond authentication, by route."""
    for side in OBJECTS_READ:
        calls = cycle["calls"][side]
        bench.report.add(
            Row(figure, f"{title}: {side} calls beyond auth",
                calls["reads"] + calls["checks"] + calls["writes"], "calls", "", None,
                f"{calls['reads']} reads, {calls['checks']} describe/limits/schema reads, "
                f"{calls['writes']} writes; {cycle['seconds']:.1f} s; "
                f"{_routes(calls['by_route'])}"),
        )  # fmt: skip


def _cycle(sync: LocalSync, **env: str) -> dict[str, Any]:
    sync.reset_calls()
    measured: Measured = meltano_run(sync, "sync-incremental", **env)
    calls = {side: _classify(side, sync.calls(side)["by_route"]) for side in OBJECTS_READ}
    steps = dict(zip(_job_tasks("sync-incremental"), block_seconds(measured.output), strict=False))
    return {
        "seconds": round(measured.seconds, 2),
        "steps_s": steps,
        "calls": calls,
        "peak_mb": measured.peak_mb,
        "written": _written(sync),
    }


def children_cpu() -> float:
    """CPU seconds of every finished child process of this one (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cycle_cpu(sync: LocalSync, path: str) -> dict[str, Any]:
    before = children_cpu()
    if path == "meltano run":
        run = sync.run("sync-incremental", check=False)
    else:
        run = sync.run_scheduled("sync-incremental")
    return {
        "cpu_s": round(children_cpu() - before, 2),
        "quiet": run.returncode == 0 and "quiet cycle:" in run.output,
    }


def _job_tasks(job: str) -> list[str]:
    for path in (PROJECT_ROOT / "orchestrate").glob("*.meltano.yml"):
        for entry in yaml.safe_load(path.read_text()).get("jobs", []):
            if entry["name"] == job:
                return [str(task) for task in entry["tasks"]]
    return []


def _classify(side: str, by_route: dict[str, int]) -> dict[str, Any]:
    reads = writes = checks = 0
    kept: dict[str, int] = {}
    for route, count in by_route.items():
        method, _, path = route.partition(" ")
        if any(auth in path for auth in AUTH_ROUTES):
            continue
        kept[route] = count
        bulk_query = "/jobs/query" in path
        if method in WRITE_METHODS and not bulk_query:
            writes += count
        elif method == "GET" and path.rstrip("/").endswith(CHECK_ROUTES):
            checks += count
        else:
            reads += count
    return {
        "reads": reads,
        "writes": writes,
        "checks": checks,
        "objects": OBJECTS_READ[side],
        "by_route": kept,
    }


def _written(sync: LocalSync) -> dict[str, int]:
    try:
        rows = sync.query(
            "select direction, sum(created + updated + deleted), sum(failed) from main.sync_stats "
            "where run_id = (select run_id from main.sync_stats order by run_started_at desc "
            "limit 1) group by direction order by direction"
        )
    except Exception:
        return {}
    return {f"{row[0]}": int(row[1] or 0) for row in rows} | {
        f"{row[0]} failed": int(row[2] or 0) for row in rows if row[2]
    }


def _plugins(peak_mb: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in peak_mb.items() if k != "meltano"} or {"none": 0.0}


def _memory(peak_mb: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in peak_mb.items())


def _routes(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())
