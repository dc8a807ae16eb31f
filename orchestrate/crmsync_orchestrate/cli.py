"""`crmsync-orchestrate`: list tenants, run one tenant's job through Dagster, start the UI."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from crmsync_orchestrate.definitions import JOB_KINDS, build_definitions, job_name
from crmsync_orchestrate.deployment import instance_yaml
from crmsync_orchestrate.local import sandbox_variables, write_tenant
from crmsync_orchestrate.project import PROJECT_ROOT
from crmsync_orchestrate.tenants import (
    DATA_DIR_VARIABLE,
    TENANTS_DIR_VARIABLE,
    discover,
    tenants_dir,
)

KINDS = [kind.kind for kind in JOB_KINDS]


def run_config(job: str, **settings: object) -> dict[str, object]:
    """The run config of one tenant job's op."""
    return {"ops": {f"{job}_run": {"config": settings}}}


def instance() -> dg.DagsterInstance:
    """The instance at `DAGSTER_HOME` (the UI shows the run there), else a throwaway one."""
    return (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else dg.DagsterInstance.ephemeral()
    )


def run_tenant_job(
    tenant: str,
    kind: str,
    *,
    confirm_initial_wipe: bool = False,
    allow_mass_change: bool = False,
    wait_seconds: int | None = None,
    dagster_instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    """Run one tenant's job with Dagster's in-process execution."""
    found, _ = discover()
    by_name = {t.name: t for t in found}
    if tenant not in by_name:
        raise SystemExit(
            f"crmsync-orchestrate: error: no tenant {tenant!r} in {tenants_dir()} "
            f"(tenants: {', '.join(sorted(by_name)) or 'none'})"
        )
    defs = build_definitions([by_name[tenant]])
    name = job_name(by_name[tenant], kind)
    settings: dict[str, object] = {}
    if confirm_initial_wipe:
        settings["confirm_initial_wipe"] = True
    if allow_mass_change:
        settings["allow_mass_change"] = True
    if wait_seconds is not None:
        settings["wait_seconds"] = wait_seconds
    return defs.resolve_job_def(name).execute_in_process(
        run_config=run_config(name, **settings),
        instance=dagster_instance or instance(),
        raise_on_error=False,
    )


def _list(_args: argparse.Namespace) -> int:
    found, problems = discover()
    defs = build_definitions(found)
    crons = {s.job_name: s.cron_schedule for s in defs.get_repository_def().schedule_defs}
    print(f"tenants in {tenants_dir()}:")
    for tenant in found:
        print(
            f"  {tenant.name}: cycle at {crons[job_name(tenant, 'cycle')]} (data {tenant.data_dir})"
        )
    for line in problems:
        print(f"  left out: {line}")
    return 0


def _run(args: argparse.Namespace) -> int:
    result = run_tenant_job(
        args.tenant,
        args.job,
        confirm_initial_wipe=args.confirm_initial_wipe,
        allow_mass_change=args.allow_mass_change,
        wait_seconds=args.wait_seconds,
    )
    if result.success:
        print(f"crmsync-orchestrate: {args.tenant} {args.job}: success (run {result.run_id})")
        return 0
    failure = next((e for e in result.all_events if e.is_step_failure), None)
    reason = failure.step_failure_data.error.message.strip() if failure else "see the log"
    reason = reason.split("Failure: ", 1)[-1]
    print(f"crmsync-orchestrate: error: {args.tenant} {args.job} failed: {reason.splitlines()[0]}")
    return 1


def _instance_yaml(args: argparse.Namespace) -> int:
    print(instance_yaml(args.max_runs), end="")
    return 0


#: The `dev` command's two sandbox tenants: different settings, each its own sandboxes.
DEV_TENANTS = {
    "sandbox-a": {"objects": {"accounts": "two-way", "contacts": "two-way"}},
    "sandbox-b": {
        "objects": {"accounts": "two-way", "contacts": "off", "opportunities": "one-way"},
        "user_mapping": {"auto": True},
    },
}


def _dev(args: argparse.Namespace) -> int:
    from crmsync_sandbox.testing import SandboxProcess  # noqa: PLC0415 - dev-only dependency

    work = Path(args.work_dir or tempfile.mkdtemp(prefix="crmsync-dagster-")).resolve()
    home = work / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(instance_yaml(args.max_runs))
    os.environ.update(
        {
            "DAGSTER_HOME": str(home),
            TENANTS_DIR_VARIABLE: str(work / "tenants"),
            DATA_DIR_VARIABLE: str(work / "data"),
        }
    )
    sandboxes = []
    try:
        for name, settings in DEV_TENANTS.items():
            sandbox_dir = work / "sandboxes" / name
            fresh = not (sandbox_dir / "sandbox.env").exists()
            sandbox = SandboxProcess(sandbox_dir, seed=len(sandboxes) + 1, size="small").start()
            sandboxes.append(sandbox)
            write_tenant(work / "tenants", name, settings, sandbox_variables(sandbox_dir))
            print(f"tenant {name}: sandboxes {sandbox.salesforce_url} {sandbox.forcemanager_url}")
            if fresh and args.initial:
                result = run_tenant_job(name, "initial", confirm_initial_wipe=True)
                print(f"tenant {name}: initial sync {'done' if result.success else 'FAILED'}")
        print(f"Dagster home {home}; tenants in {work / 'tenants'}; Ctrl-C stops everything")
        command = [
            str(Path(sys.executable).with_name("dagster")),
            "dev",
            "-m",
            "crmsync_orchestrate.definitions",
            "--port",
            str(args.port),
        ]
        return subprocess.call(command, cwd=PROJECT_ROOT)
    except KeyboardInterrupt:
        return 0
    finally:
        for sandbox in sandboxes:
            sandbox.stop()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crmsync-orchestrate",
        description="crmsync's tenants on Dagster (tenant folders in CRMSYNC_TENANTS_DIR).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the tenants and their schedules").set_defaults(func=_list)
    run = commands.add_parser("run", help="run one tenant's job through Dagster, in process")
    run.add_argument("tenant")
    run.add_argument("job", nargs="?", default="cycle", choices=KINDS)
    run.add_argument("--confirm-initial-wipe", action="store_true")
    run.add_argument("--allow-mass-change", action="store_true")
    run.add_argument("--wait-seconds", type=int, help="wait this long for a running run")
    run.set_defaults(func=_run)
    instance_cmd = commands.add_parser("instance-yaml", help="print dagster.yaml's run queue")
    instance_cmd.add_argument("--max-runs", type=int, help="default: the cores")
    instance_cmd.set_defaults(func=_instance_yaml)
    dev = commands.add_parser("dev", help="two sandbox tenants and `dagster dev`")
    dev.add_argument("--work-dir", type=Path, help="default: a new temporary folder")
    dev.add_argument("--initial", action="store_true", help="run each new tenant's initial sync")
    dev.add_argument("--port", type=int, default=3000)
    dev.add_argument("--max-runs", type=int, help="default: the cores")
    dev.set_defaults(func=_dev)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))
