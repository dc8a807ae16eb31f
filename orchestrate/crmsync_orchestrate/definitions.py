"""The Dagster code location: per tenant, the 15-minute cycle and the manual jobs.

`dagster dev -m crmsync_orchestrate.definitions` (or a deployment's `workspace.yaml`) loads
`defs`. The tenants are read from `CRMSYNC_TENANTS_DIR` when the code location loads: a new
folder becomes jobs and schedules at the next reload (the `crmsync_tenant_folders` sensor says
when one is waiting).
"""

# No `from __future__ import annotations`: Dagster reads the `context` annotations at runtime.

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from crmsync_common.quiet import quiet_since
from crmsync_common.redact import redact

from crmsync_orchestrate import alerts
from crmsync_orchestrate.runner import JobResult, TenantBusy, run_meltano, tenant_lock
from crmsync_orchestrate.stats import COUNTS, RunStats, known_run_ids, new_run_stats
from crmsync_orchestrate.tenants import TENANT_TAG, Tenant, TenantError, discover

KIND_TAG = "crmsync/kind"
FAILED_RECORDS_TAG = "crmsync/failed-records"
ERROR_TAG = "crmsync/error"
SKIPPED_TAG = "crmsync/skipped"
QUIET_TAG = "crmsync/quiet"
#: `false` in a tenant's environment: every cycle starts `meltano run` (no probe first).
PROBE_VARIABLE = "CRMSYNC_QUIET_PROBE"
#: The asset checks each cycle records on its tenant's `sync` asset.
FAILED_RECORDS_CHECK = "no_failed_records"
CYCLE_CHECK = "cycle_succeeded"
#: Run kinds whose outcome is the tenant's health (what the alert sensor watches).
WATCHED_KINDS = ("cycle", "initial", "reconcile")
#: Minutes between two cycles of a tenant: the schedules spread tenants over this window.
WINDOW_MINUTES = 15
#: A manual run waits this long for a running one of the same tenant before giving up.
DEFAULT_WAIT_S = 3600
ACTIVE_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


@dataclass(frozen=True)
class JobKind:
    """One of a tenant's jobs: the `meltano run` blocks it runs and how it is started."""

    kind: str
    blocks: tuple[str, ...]
    description: str
    #: 0: a run that finds the tenant busy is skipped (a schedule tick); else seconds to wait.
    wait_seconds: int
    records_stats: bool


JOB_KINDS = (
    JobKind("cycle", ("sync-incremental",), "The 15-minute incremental cycle.", 0, True),
    JobKind(
        "plan", ("sync-plan",), "Dry run: the next cycle's plan, nothing written.", 3600, False
    ),
    JobKind(
        "initial_plan",
        ("sync-initial-plan",),
        "Dry run of the initial sync (main.sync_plan, main.sync_matches).",
        DEFAULT_WAIT_S,
        False,
    ),
    JobKind(
        "initial",
        ("sync-initial",),
        "The initial sync. With `initial_sync: replace` it wipes ForceManager's synced objects "
        "and refuses unless run with the config `confirm_initial_wipe: true`.",
        DEFAULT_WAIT_S,
        True,
    ),
    JobKind(
        "reconcile",
        ("sync-reconcile",),
        "The daily full comparison of both CRMs.",
        DEFAULT_WAIT_S,
        True,
    ),
    JobKind(
        "report", ("crmsync:report-html",), "Write the HTML run report.", DEFAULT_WAIT_S, False
    ),
)


def job_name(tenant: Tenant, kind: str) -> str:
    return f"{tenant.key}__{kind}"


def _tag_run(context: dg.OpExecutionContext, tags: dict[str, str]) -> None:
    context.instance.add_run_tags(context.run_id, tags)


def record_stats(
    context: dg.OpExecutionContext, tenant: Tenant, stats: RunStats, *, quiet: bool = False
) -> None:
    """One materialisation per object and direction, and one for the tenant's run as a whole
    (`quiet: true` for a quiet cycle, whose counts are all zero)."""
    run_id = stats.run_ids[-1]
    for (obj, direction), counts in sorted(stats.counts.items()):
        context.log_event(
            dg.AssetMaterialization(
                asset_key=dg.AssetKey(["crmsync", tenant.key, obj, direction]),
                description=f"{obj} {direction}: what the run wrote",
                metadata={**counts, "sync_run_id": run_id},
            )
        )
    totals: dict[str, Any] = {name: stats.total(name) for name in COUNTS}
    totals["sync_run_id"] = run_id
    totals["objects"] = len({obj for obj, _ in stats.counts})
    totals["quiet"] = quiet
    if stats.skipped is not None:
        totals["skipped"] = stats.skipped
    if stats.unmapped_users is not None:
        totals["unmapped_users"] = stats.unmapped_users
    if stats.api_calls is not None:
        # the API calls the run sent to each side (main.sync_api_calls), and by kind
        for side in ("salesforce", "forcemanager"):
            totals[f"{side}_api_calls"] = stats.api_calls.get(side, {}).get("calls", 0)
        totals["api_calls"] = dg.MetadataValue.json(stats.api_calls)
    context.log_event(
        dg.AssetMaterialization(
            asset_key=dg.AssetKey(["crmsync", tenant.key, "sync"]),
            description="the run's totals (main.sync_stats), skipped records, unmapped users, "
            "API calls per side (main.sync_api_calls)",
            metadata=totals,
        )
    )


def sync_asset(tenant: Tenant) -> dg.AssetKey:
    return dg.AssetKey(["crmsync", tenant.key, "sync"])


def record_check(
    context: dg.OpExecutionContext,
    tenant: Tenant,
    name: str,
    *,
    passed: bool,
    severity: dg.AssetCheckSeverity,
    metadata: dict[str, Any],
) -> None:
    """One asset check evaluation on the tenant's `sync` asset (the run page shows it)."""
    context.log_event(
        dg.AssetCheckEvaluation(
            asset_key=sync_asset(tenant),
            check_name=name,
            passed=passed,
            severity=severity,
            metadata=metadata,
        )
    )


def record_quiet(context: dg.OpExecutionContext, tenant: Tenant, stats: RunStats | None) -> None:
    """A quiet cycle: nothing extracted, nothing planned or written (its statistics are zero)."""
    if stats is not None:
        record_stats(context, tenant, stats, quiet=True)
    else:
        context.log_event(
            dg.AssetMaterialization(
                asset_key=sync_asset(tenant),
                description="a quiet cycle: nothing new on either side, no plan, no writes",
                metadata={**dict.fromkeys(COUNTS, 0), "quiet": True},
            )
        )
    _tag_run(context, {QUIET_TAG: "true", FAILED_RECORDS_TAG: "0"})
    context.log.info(
        f"tenant {tenant.name}: quiet cycle (nothing extracted on either side, no pending "
        "retry, write or due check): the plan, the writes and the statistics were skipped"
    )


def _execute(context: dg.OpExecutionContext, tenant: Tenant, job: JobKind) -> None:
    config = context.op_config or {}
    run_only: dict[str, str] = {}
    if config.get("confirm_initial_wipe"):
        run_only["CRMSYNC_CONFIRM_INITIAL_WIPE"] = "true"
        context.log.warning(f"tenant {tenant.name}: initial wipe confirmed for this run")
    if config.get("allow_mass_change"):
        run_only["CRMSYNC_ALLOW_MASS_CHANGE"] = "true"
        context.log.warning(f"tenant {tenant.name}: mass change allowed for this run")
    wait = int(config.get("wait_seconds", job.wait_seconds))
    try:
        warehouse = tenant.warehouse()
        with tenant_lock(tenant, wait):
            before = _known_runs(context, warehouse) if job.records_stats else None
            context.log.info(
                f"tenant {tenant.name}: meltano --environment={tenant.meltano_environment()} "
                f"run {' '.join(job.blocks)}"
            )
            started = datetime.now(UTC)
            result = _probe(context, tenant, run_only) if job.kind == "cycle" else None
            if result is None:
                result = run_meltano(tenant, list(job.blocks), context.log.info, run_only=run_only)
            # Still under the lock: a run waiting for it would hold the warehouse for writing.
            stats = _read_stats(context, warehouse, before) if before is not None else None
            quiet = job.kind == "cycle" and result.ok and quiet_since(warehouse, started)
    except TenantBusy as busy:
        context.log.warning(f"{busy}: this run is skipped, the running one continues")
        _tag_run(context, {SKIPPED_TAG: "tenant busy"})
        return
    except TenantError as error:
        _tag_run(context, {ERROR_TAG: str(error)[:500]})
        raise dg.Failure(description=str(error)) from None
    _finish(context, tenant, result, stats, quiet=quiet, checked=job.records_stats)


def _probe(
    context: dg.OpExecutionContext, tenant: Tenant, run_only: dict[str, str]
) -> JobResult | None:
    """The quiet-cycle probe, in-process (`crmsync.probe`): a result when the cycle was quiet
    and is recorded (Meltano does not start), None when the full job must run."""
    environment = tenant.run_environment(**run_only)
    if environment.get(PROBE_VARIABLE, "").strip().lower() == "false":
        return None
    try:
        from crmsync import probe  # noqa: PLC0415 - crmsync's modules only where the op runs
    except ImportError:  # a code location installed without the crmsync package
        return None
    started = time.monotonic()
    reason = probe.run_in(environment)
    if reason is not None:
        context.log.info(f"tenant {tenant.name}: full cycle: {reason}")
        return None
    context.log.info(f"tenant {tenant.name}: {probe.QUIET_MESSAGE}")
    return JobResult("crmsync probe", 0, time.monotonic() - started)


def _known_runs(context: dg.OpExecutionContext, warehouse: Path) -> set[str] | None:
    try:
        return known_run_ids(warehouse)
    except duckdb.Error as error:
        context.log.warning(f"no statistics for this run: {warehouse} cannot be read: {error}")
        return None


def _read_stats(
    context: dg.OpExecutionContext, warehouse: Path, before: set[str]
) -> RunStats | None:
    """The run's statistics; a warehouse that cannot be read costs the figures, not the run."""
    try:
        return new_run_stats(warehouse, before)
    except duckdb.Error as error:
        context.log.warning(f"the run's statistics could not be read from {warehouse}: {error}")
        return None


def _finish(
    context: dg.OpExecutionContext,
    tenant: Tenant,
    result: JobResult,
    stats: RunStats | None,
    *,
    quiet: bool = False,
    checked: bool = False,
) -> None:
    """Record the run's figures and checks, then fail the op when the cycle failed.

    `checked` (the jobs that record statistics): the run records two asset checks on the
    tenant's `sync` asset: `no_failed_records` (a warning when records failed) and
    `cycle_succeeded` (an error when the `meltano run` failed).
    """
    if quiet:
        record_quiet(context, tenant, stats)
    elif stats is not None:
        record_stats(context, tenant, stats)
        failed = stats.total("failed")
        _tag_run(context, {FAILED_RECORDS_TAG: str(failed)})
        if failed:
            context.log.warning(
                f"tenant {tenant.name}: {failed} records failed in this run "
                "(main.sync_log has their errors); they are retried next cycle"
            )
    if checked and (stats is not None or quiet):
        failed = stats.total("failed") if stats is not None else 0
        record_check(
            context,
            tenant,
            FAILED_RECORDS_CHECK,
            passed=failed == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"failed": failed},
        )
    if checked:
        record_check(
            context,
            tenant,
            CYCLE_CHECK,
            passed=result.ok,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"exit_status": result.returncode, "seconds": round(result.seconds, 1)},
        )
    if not result.ok:
        line = redact(result.error_line(), tenant.secrets())
        _tag_run(context, {ERROR_TAG: line[:500]})
        raise dg.Failure(
            description=f"tenant {tenant.name}: meltano run {result.job} exited "
            f"{result.returncode}: {line}",
            metadata={"output_tail": dg.MetadataValue.text("\n".join(result.tail))},
        )
    context.log.info(f"tenant {tenant.name}: {result.job} done in {result.seconds:.1f} s")


def _op_config(job: JobKind) -> dict[str, dg.Field]:
    fields = {
        "wait_seconds": dg.Field(
            int,
            default_value=job.wait_seconds,
            description="Seconds to wait for a running run of this tenant; 0 skips this run.",
        )
    }
    if job.kind == "initial":
        fields["confirm_initial_wipe"] = dg.Field(
            bool,
            default_value=False,
            description="true: the initial sync may replace ForceManager's synced data.",
        )
    if job.kind in {"cycle", "reconcile"}:
        fields["allow_mass_change"] = dg.Field(
            bool, default_value=False, description="true: lets this one run past the breaker."
        )
    return fields


def build_job(tenant: Tenant, job: JobKind) -> dg.JobDefinition:
    def body(context: dg.OpExecutionContext) -> None:
        _execute(context, tenant, job)

    op = dg.op(
        name=f"{job_name(tenant, job.kind)}_run",
        description=job.description,
        config_schema=_op_config(job),
    )(body)
    return dg.GraphDefinition(name=job_name(tenant, job.kind), node_defs=[op]).to_job(
        description=f"Tenant {tenant.name}: {job.description}",
        tags={TENANT_TAG: tenant.name, KIND_TAG: job.kind},
    )


def cron_minutes(index: int, count: int) -> int:
    """The tenant's minute in the 15-minute window: tenants spread evenly over it."""
    return (index * WINDOW_MINUTES) // max(count, 1)


def build_schedule(
    tenant: Tenant, job: dg.JobDefinition, cron: str, kind: str
) -> dg.ScheduleDefinition:
    def tick(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        busy = active_run(context.instance, tenant)
        if busy is not None:
            return dg.SkipReason(
                f"tenant {tenant.name}: run {busy} is still in progress; this tick is skipped "
                "(one run per tenant at a time)"
            )
        return dg.RunRequest()

    return dg.schedule(
        cron_schedule=cron,
        job=job,
        name=f"{job.name}_schedule",
        description=f"Tenant {tenant.name}: {kind}",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )(tick)


def active_run(instance: dg.DagsterInstance, tenant: Tenant) -> str | None:
    """The id of a queued or running run of the tenant, if any."""
    records = instance.get_run_records(
        dg.RunsFilter(tags={TENANT_TAG: tenant.name}, statuses=ACTIVE_STATUSES), limit=1
    )
    return records[0].dagster_run.run_id if records else None


def tenant_outcomes(
    instance: dg.DagsterInstance, tenant: Tenant, after_run_id: str | None
) -> list[alerts.Outcome]:
    """The tenant's watched runs finished since `after_run_id`, oldest first."""
    records = instance.get_run_records(
        dg.RunsFilter(
            tags={TENANT_TAG: tenant.name, KIND_TAG: list(WATCHED_KINDS)},
            statuses=[dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE],
        ),
        limit=50,
    )
    try:
        threshold = int(tenant.variables().get(alerts.THRESHOLD_VARIABLE) or 0)
    except (TenantError, ValueError):
        threshold = 0
    outcomes: list[alerts.Outcome] = []
    for record in records:  # newest first
        run = record.dagster_run
        if run.run_id == after_run_id:
            break
        if SKIPPED_TAG in run.tags:
            continue
        failed_records = int(run.tags.get(FAILED_RECORDS_TAG, "0") or 0)
        run_failed = run.status == dg.DagsterRunStatus.FAILURE
        health = alerts.health_of(run_failed, failed_records, threshold)
        detail = (
            run.tags.get(ERROR_TAG, "see the run's log")
            if run_failed
            else f"{failed_records} records failed (threshold {threshold})"
        )
        job = run.job_name.split("__", 1)[-1]
        outcomes.append(alerts.Outcome(tenant.name, run.run_id, job, health, detail))
    return list(reversed(outcomes))


def build_alert_sensor(tenants: list[Tenant]) -> dg.SensorDefinition:
    def evaluate(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        state: dict[str, dict[str, str]] = json.loads(context.cursor or "{}")
        sent_lines: list[str] = []
        for tenant in tenants:
            seen = state.get(tenant.name, {})
            outcomes = tenant_outcomes(context.instance, tenant, seen.get("run_id"))
            if not seen:
                # The sensor's first look at this tenant: its present health, not its history.
                outcomes = outcomes[-1:]
                state[tenant.name] = {"health": alerts.HEALTHY}
            if not outcomes:
                continue
            url = _webhook(tenant)

            def send(
                name: str,
                payload: dict[str, str],
                url: str | None = url,
                secrets: list[str] = tenant.secrets(),  # noqa: B008 - bound per tenant
            ) -> None:
                if url:
                    alerts.post(url, payload, secrets)
                sent_lines.append(f"{name}: {payload['text']}")

            try:
                health = alerts.decide(outcomes, {tenant.name: seen.get("health", "")}, send)
            except (OSError, RuntimeError) as error:  # the webhook is down: retry next tick
                context.log.warning(f"tenant {tenant.name}: alert not sent: {error}")
                continue
            state[tenant.name] = {
                "run_id": outcomes[-1].run_id,
                "health": health[tenant.name],
            }
        context.update_cursor(json.dumps(state, sort_keys=True))
        return dg.SkipReason("; ".join(sent_lines) or "no change in any tenant's health")

    return dg.sensor(
        name="crmsync_alerts",
        minimum_interval_seconds=30,
        description="Posts one message per change of a tenant's health to its webhook.",
        default_status=dg.DefaultSensorStatus.RUNNING,
    )(evaluate)


def _webhook(tenant: Tenant) -> str | None:
    try:
        return tenant.variables().get(alerts.WEBHOOK_VARIABLE) or None
    except TenantError:
        return None


def build_folder_sensor(
    loaded: list[Tenant], reload_hint: Callable[[], str]
) -> dg.SensorDefinition:
    names = {t.name for t in loaded}

    def evaluate(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        found, problems = discover()
        new = sorted({t.name for t in found} - names)
        gone = sorted(names - {t.name for t in found})
        parts = [f"tenant folder problems: {'; '.join(problems)}"] if problems else []
        if new or gone:
            parts.append(
                f"tenant folders changed (new: {', '.join(new) or '-'}; removed: "
                f"{', '.join(gone) or '-'}): {reload_hint()}"
            )
            context.log.warning(parts[-1])
        return dg.SkipReason(" ".join(parts) or f"{len(names)} tenants, all loaded")

    return dg.sensor(
        name="crmsync_tenant_folders",
        minimum_interval_seconds=60,
        description="Notices tenant folders added or removed since the code location loaded.",
        default_status=dg.DefaultSensorStatus.RUNNING,
    )(evaluate)


def build_definitions(tenants: list[Tenant] | None = None) -> dg.Definitions:
    """Every tenant's jobs and schedules, the alert sensor and the tenant-folder sensor."""
    if tenants is None:
        tenants, _problems = discover()
    jobs: list[dg.JobDefinition] = []
    schedules: list[dg.ScheduleDefinition] = []
    for index, tenant in enumerate(tenants):
        minute = cron_minutes(index, len(tenants))
        for kind in JOB_KINDS:
            job = build_job(tenant, kind)
            jobs.append(job)
            if kind.kind == "cycle":
                quarters = ",".join(str(minute + q) for q in range(0, 60, WINDOW_MINUTES))
                schedules.append(build_schedule(tenant, job, f"{quarters} * * * *", "every 15 min"))
            elif kind.kind == "reconcile":
                schedules.append(build_schedule(tenant, job, f"{minute} 3 * * *", "daily"))
    sensors = [
        build_alert_sensor(tenants),
        build_folder_sensor(
            tenants, lambda: "reload the code location (the UI's Deployment page) to load them"
        ),
    ]
    return dg.Definitions(jobs=jobs, schedules=schedules, sensors=sensors)


def tenant_job(defs: dg.Definitions, tenant: str, kind: str) -> dg.JobDefinition:
    """One tenant's job by tenant and kind (`cycle`, `initial`, ...)."""
    return defs.resolve_job_def(f"{tenant.replace('-', '_')}__{kind}")


defs = build_definitions()
