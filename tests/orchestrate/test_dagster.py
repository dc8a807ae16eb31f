"""The Dagster code location without CRMs: tenant folders, definitions, locks, alerts."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml
from crmsync_common.quiet import quiet_file
from crmsync_orchestrate import alerts, definitions
from crmsync_orchestrate.cli import main, run_config
from crmsync_orchestrate.definitions import (
    CYCLE_CHECK,
    ERROR_TAG,
    FAILED_RECORDS_CHECK,
    FAILED_RECORDS_TAG,
    KIND_TAG,
    QUIET_TAG,
    SKIPPED_TAG,
    TENANT_TAG,
    build_alert_sensor,
    build_definitions,
    job_name,
)
from crmsync_orchestrate.deployment import instance_yaml
from crmsync_orchestrate.local import WebhookReceiver, write_tenant
from crmsync_orchestrate.runner import JobResult, TenantBusy, tenant_lock
from crmsync_orchestrate.stats import new_run_stats
from crmsync_orchestrate.tenants import Tenant, TenantError, discover, parse_env_text

SETTINGS = {"objects": {"accounts": "two-way"}}


def make_tenants(tmp_path: Path, *names: str, **variables: str) -> list[Tenant]:
    for name in names:
        write_tenant(tmp_path / "tenants", name, SETTINGS, dict(variables))
    tenants, problems = discover(tmp_path / "tenants", tmp_path / "data")
    assert not problems
    return tenants


def test_env_values_are_literal_or_taken_from_the_orchestrator() -> None:
    text = "# comment\nA=plain\nexport B='with space'\nC=${SECRET}-x\nD=\n"
    values = parse_env_text(text, "tenant.env", {"SECRET": "s3cr3t"})
    assert values == {"A": "plain", "B": "with space", "C": "s3cr3t-x", "D": ""}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FORCEMANAGER_PRIVATE_KEY=${NOT_SET}", "${NOT_SET} is not set"),
        ("lower=1", "line 1: expected KEY=value"),
        ("A=two words", "quote a value"),
        ("NO_EQUALS", "expected KEY=value"),
    ],
)
def test_bad_env_lines_give_a_one_line_error(text: str, message: str) -> None:
    with pytest.raises(TenantError, match=r"tenant.env line 1") as error:
        parse_env_text(text, "tenant.env", {})
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_run_gets_only_its_tenants_crm_and_state_variables(tmp_path: Path) -> None:
    [tenant] = make_tenants(
        tmp_path,
        "acme",
        SALESFORCE_PASSWORD="${ACME_PASSWORD}",
        CRMSYNC_CONFIRM_INITIAL_WIPE="true",
    )
    orchestrator = {
        "PATH": "/usr/bin",
        "ACME_PASSWORD": "pw-acme",
        "SALESFORCE_USERNAME": "someone-else",
        "CRMSYNC_WAREHOUSE": "/shared/warehouse.duckdb",
        "MELTANO_STATE_BACKEND_URI": "s3://other-tenant",
    }
    env = tenant.run_environment(orchestrator)
    assert env["PATH"] == "/usr/bin"
    assert env["SALESFORCE_PASSWORD"] == "pw-acme"
    assert "SALESFORCE_USERNAME" not in env
    assert "MELTANO_STATE_BACKEND_URI" not in env
    assert env["CRMSYNC_WAREHOUSE"] == str(tmp_path / "data" / "acme" / "warehouse.duckdb")
    assert env["MELTANO_DATABASE_URI"] == f"sqlite:///{tmp_path / 'data' / 'acme' / 'meltano.db'}"
    assert env["CRMSYNC_CONFIG"] == str(tmp_path / "tenants" / "acme" / "sync.yml")
    # dbt's partial-parse state and compiled SQL are the tenant's own
    assert env["DBT_TARGET_PATH"] == str(tmp_path / "data" / "acme" / "dbt" / "target")
    assert env["DBT_LOG_PATH"] == str(tmp_path / "data" / "acme" / "dbt" / "logs")
    # so are its taps' state and catalog files, which Meltano keeps in its system folder
    assert env["MELTANO_SYS_DIR_ROOT"] == str(tmp_path / "data" / "acme" / "meltano")
    # the confirmation is given per run, never kept in a tenant's file
    assert "CRMSYNC_CONFIRM_INITIAL_WIPE" not in env
    assert tenant.secrets(orchestrator) == ["pw-acme"]


def test_a_tenant_may_place_its_dbt_folders_itself(tmp_path: Path) -> None:
    [tenant] = make_tenants(tmp_path, "acme", DBT_TARGET_PATH="/volume/acme/target")
    env = tenant.run_environment({"DBT_LOG_PATH": "/orchestrator/logs"})
    assert env["DBT_TARGET_PATH"] == "/volume/acme/target"
    assert env["DBT_LOG_PATH"] == str(tmp_path / "data" / "acme" / "dbt" / "logs")


def test_env_file_is_read_first_and_the_tenant_overrides_it(tmp_path: Path) -> None:
    (tmp_path / "sandbox.env").write_text("FORCEMANAGER_BASE_URL=http://x\nSALESFORCE_PASSWORD=a\n")
    [tenant] = make_tenants(
        tmp_path, "acme", CRMSYNC_ENV_FILE=str(tmp_path / "sandbox.env"), SALESFORCE_PASSWORD="b"
    )
    env = tenant.run_environment({})
    assert env["FORCEMANAGER_BASE_URL"] == "http://x"
    assert env["SALESFORCE_PASSWORD"] == "b"
    assert "CRMSYNC_ENV_FILE" not in env


def test_folders_without_settings_or_with_bad_names_are_left_out_with_a_reason(
    tmp_path: Path,
) -> None:
    tenants_dir = tmp_path / "tenants"
    write_tenant(tenants_dir, "good-one", SETTINGS, {})
    write_tenant(tenants_dir, "Bad Name", SETTINGS, {})
    (tenants_dir / "empty").mkdir()
    (tenants_dir / ".hidden").mkdir()
    tenants, problems = discover(tenants_dir, tmp_path / "data")
    assert [t.name for t in tenants] == ["good-one"]
    assert any(p.startswith("Bad Name: a tenant's folder name") for p in problems)
    assert any(p.startswith("empty: no sync.yml") for p in problems)


def test_every_tenant_gets_its_jobs_and_a_15_minute_schedule_spread_over_the_window(
    tmp_path: Path,
) -> None:
    tenants = make_tenants(tmp_path, "a", "b", "c-d")
    defs = build_definitions(tenants)
    dg.Definitions.validate_loadable(defs)
    repository = defs.get_repository_def()
    names = {job.name for job in repository.get_all_jobs()}
    for tenant in tenants:
        for kind in ("cycle", "plan", "initial_plan", "initial", "reconcile", "report"):
            assert job_name(tenant, kind) in names
    crons = {s.job_name: s.cron_schedule for s in repository.schedule_defs}
    cycle_crons = [crons[job_name(t, "cycle")] for t in tenants]
    assert cycle_crons == ["0,15,30,45 * * * *", "5,20,35,50 * * * *", "10,25,40,55 * * * *"]
    assert repository.get_job("c_d__cycle").tags == {TENANT_TAG: "c-d", KIND_TAG: "cycle"}


def test_a_tenant_that_is_already_running_skips_the_tick_with_a_reason(tmp_path: Path) -> None:
    [tenant] = make_tenants(tmp_path, "acme", CRMSYNC_MELTANO_ENVIRONMENT="sandbox")
    defs = build_definitions([tenant])
    name = job_name(tenant, "cycle")
    with dg.instance_for_test() as instance:
        with tenant_lock(tenant):
            with pytest.raises(TenantBusy), tenant_lock(tenant, wait_seconds=0.6):
                pass
            result = defs.resolve_job_def(name).execute_in_process(
                run_config=run_config(name), instance=instance
            )
        assert result.success
        logs = [e.message for e in instance.all_logs(result.run_id) if e.message]
        assert any(
            "another run of this tenant is in progress" in m and "this run is skipped" in m
            for m in logs
        )
        assert not any("meltano --environment" in m for m in logs), "meltano must not start"
        assert instance.get_run_by_id(result.run_id).tags[SKIPPED_TAG] == "tenant busy"
        assert not (tmp_path / "data" / "acme" / "warehouse.duckdb").exists()


def test_the_schedule_skips_a_tick_while_a_run_of_the_tenant_is_in_progress(
    tmp_path: Path,
) -> None:
    [tenant] = make_tenants(tmp_path, "acme")
    repository = build_definitions([tenant]).get_repository_def()
    schedule = repository.get_schedule_def("acme__cycle_schedule")
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance)
        [request] = schedule.evaluate_tick(context).run_requests or []
        assert isinstance(request, dg.RunRequest)
        running = dg.DagsterRun(
            job_name="acme__cycle",
            run_id=str(uuid.uuid4()),
            status=dg.DagsterRunStatus.STARTED,
            tags={TENANT_TAG: "acme", KIND_TAG: "cycle"},
        )
        instance.add_run(running)
        result = schedule.evaluate_tick(dg.build_schedule_context(instance=instance))
        assert not result.run_requests
        assert f"run {running.run_id} is still in progress; this tick is skipped" in (
            result.skip_message or ""
        )


def test_alerts_once_per_change_and_on_recovery() -> None:
    sent: list[dict[str, str]] = []

    def outcome(health: str, n: int) -> alerts.Outcome:
        return alerts.Outcome("acme", f"r{n}", "cycle", health, "bad credentials")

    health = alerts.decide(
        [outcome("healthy", 0), outcome("failed", 1), outcome("failed", 2)],
        {},
        lambda _t, payload: sent.append(payload),
    )
    assert len(sent) == 1
    assert "acme" in sent[0]["text"]
    assert "failed" in sent[0]["text"]
    health = alerts.decide([outcome("healthy", 3)], health, lambda _t, p: sent.append(p))
    assert len(sent) == 2
    assert "recovered" in sent[1]["text"]
    assert health == {"acme": "healthy"}
    assert alerts.health_of(False, 3, threshold=5) == alerts.HEALTHY
    assert alerts.health_of(False, 6, threshold=5) == alerts.FAILED_RECORDS


def test_the_alert_sensor_posts_to_the_tenants_webhook(tmp_path: Path) -> None:
    with WebhookReceiver() as receiver:
        [tenant] = make_tenants(tmp_path, "acme", CRMSYNC_ALERT_WEBHOOK_URL=receiver.url)
        sensor = build_alert_sensor([tenant])
        with dg.instance_for_test() as instance:

            def finish(status: dg.DagsterRunStatus, **tags: str) -> None:
                instance.add_run(
                    dg.DagsterRun(
                        job_name="acme__cycle",
                        run_id=str(uuid.uuid4()),
                        status=status,
                        tags={TENANT_TAG: "acme", KIND_TAG: "cycle", **tags},
                    )
                )

            def tick(cursor: str | None) -> str | None:
                context = dg.build_sensor_context(instance=instance, cursor=cursor)
                sensor.evaluate_tick(context)
                return context.cursor

            # On its first look the sensor reports a tenant's present health, not its history.
            finish(dg.DagsterRunStatus.FAILURE, **{ERROR_TAG: "crmsync: error: old failure"})
            finish(dg.DagsterRunStatus.SUCCESS, **{FAILED_RECORDS_TAG: "0"})
            cursor = tick(None)
            assert receiver.messages == []
            finish(dg.DagsterRunStatus.FAILURE, **{ERROR_TAG: "crmsync: error: login refused"})
            cursor = tick(cursor)
            assert len(receiver.messages) == 1
            assert "login refused" in receiver.messages[0]["text"]
            finish(dg.DagsterRunStatus.FAILURE, **{ERROR_TAG: "crmsync: error: login refused"})
            cursor = tick(cursor)
            assert len(receiver.messages) == 1
            finish(dg.DagsterRunStatus.SUCCESS, **{SKIPPED_TAG: "tenant busy"})
            finish(dg.DagsterRunStatus.SUCCESS, **{FAILED_RECORDS_TAG: "0"})
            cursor = tick(cursor)
            assert len(receiver.messages) == 2
            assert "recovered" in receiver.messages[1]["text"]
            tick(cursor)
            assert len(receiver.messages) == 2


def test_a_failed_runs_error_line_is_the_steps_own_message() -> None:
    result = JobResult(
        "sync-initial",
        1,
        1.0,
        [
            "2026-12-05T06:40:47.438752Z [info     ] crmsync      crmsync: error: Set X=true",
            "2026-12-05T06:40:47.543595Z [error    ] meltano      Block run completed",
        ],
    )
    assert result.error_line() == "crmsync: error: Set X=true"


def test_instance_settings_limit_runs_per_tenant_and_per_deployment(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text(instance_yaml(max_runs=3))
    settings = yaml.safe_load((tmp_path / "dagster.yaml").read_text())
    runs = settings["concurrency"]["runs"]
    assert runs["max_concurrent_runs"] == 3
    assert runs["tag_concurrency_limits"] == [
        {"key": TENANT_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 3
        assert queue.tag_concurrency_limits == runs["tag_concurrency_limits"]


def test_cli_lists_tenants_and_refuses_an_unknown_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tenants(tmp_path, "acme", "beta")
    (tmp_path / "tenants" / "no-settings").mkdir()
    monkeypatch.setenv("CRMSYNC_TENANTS_DIR", str(tmp_path / "tenants"))
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "acme: cycle at 0,15,30,45 * * * *" in listing
    assert "beta: cycle at 7,22,37,52 * * * *" in listing
    assert "left out: no-settings: no sync.yml" in listing
    with pytest.raises(SystemExit, match=r"no tenant 'nope' in .*\(tenants: acme, beta\)"):
        main(["run", "nope"])


def _fake_cycle(
    monkeypatch: pytest.MonkeyPatch, returncode: int, stats_rows: list[tuple[object, ...]]
) -> None:
    """Stand in for `meltano run`: leave `stats_rows` in `main.sync_stats`, exit `returncode`."""

    def run_meltano(tenant: Tenant, blocks: list[str], log: object, **_: object) -> JobResult:
        with duckdb.connect(str(tenant.warehouse())) as connection:
            connection.execute(
                "create table if not exists main.sync_stats (run_id varchar, "
                "run_started_at timestamp, object varchar, direction varchar, created int, "
                "updated int, deleted int, failed int, conflicts int)"
            )
            for row in stats_rows:
                connection.execute(
                    "insert into main.sync_stats values (?, now(), ?, ?, ?, ?, ?, ?, ?)", row
                )
        return JobResult(" ".join(blocks), returncode, 1.0, ["crmsync: error: it broke"])

    monkeypatch.setattr(definitions, "run_meltano", run_meltano)


def _sandbox_cycle(tmp_path: Path) -> tuple[Tenant, dg.Definitions, str]:
    """One sandbox tenant with its data folder, the definitions and its cycle job's name."""
    [tenant] = make_tenants(tmp_path, "acme", CRMSYNC_MELTANO_ENVIRONMENT="sandbox")
    tenant.data_dir.mkdir(parents=True, exist_ok=True)
    defs = build_definitions([tenant])
    return tenant, defs, job_name(tenant, "cycle")


def _checks(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[bool, str]]:
    """The asset check evaluations a run recorded (a failed op's too), by check name."""
    found: dict[str, tuple[bool, str]] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        found[evaluation.check_name] = (evaluation.passed, evaluation.severity.value)
    return found


def test_a_cycle_records_asset_checks_failed_records_warn_a_failed_cycle_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, defs, name = _sandbox_cycle(tmp_path)
    job = defs.resolve_job_def(name)
    with dg.instance_for_test() as instance:
        _fake_cycle(monkeypatch, 0, [("r1", "accounts", "sf_to_fm", 1, 0, 0, 0, 0)])
        result = job.execute_in_process(run_config=run_config(name), instance=instance)
        assert result.success
        assert _checks(instance, result.run_id) == {
            FAILED_RECORDS_CHECK: (True, "WARN"),
            CYCLE_CHECK: (True, "ERROR"),
        }

        _fake_cycle(monkeypatch, 0, [("r2", "accounts", "sf_to_fm", 0, 1, 0, 3, 0)])
        result = job.execute_in_process(run_config=run_config(name), instance=instance)
        assert result.success, "failed records warn; the run itself succeeds"
        assert _checks(instance, result.run_id)[FAILED_RECORDS_CHECK] == (False, "WARN")
        assert _checks(instance, result.run_id)[CYCLE_CHECK] == (True, "ERROR")

        _fake_cycle(monkeypatch, 1, [])
        result = job.execute_in_process(
            run_config=run_config(name), instance=instance, raise_on_error=False
        )
        assert not result.success
        assert _checks(instance, result.run_id) == {CYCLE_CHECK: (False, "ERROR")}


def test_a_quiet_cycle_shows_on_the_run_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant, defs, name = _sandbox_cycle(tmp_path)

    def quiet_run(tenant: Tenant, blocks: list[str], log: object, **_: object) -> JobResult:
        # what `crmsync prepare --quiet-check` leaves when it finds the cycle quiet
        quiet_file(tenant.warehouse()).write_text(
            json.dumps({"quiet_at": datetime.now(UTC).isoformat()})
        )
        return JobResult(" ".join(blocks), 0, 1.0, [])

    monkeypatch.setattr(definitions, "run_meltano", quiet_run)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(name).execute_in_process(
            run_config=run_config(name), instance=instance
        )
        assert result.success
        [materialisation] = result.asset_materializations_for_node(f"{name}_run")
        assert materialisation.asset_key == dg.AssetKey(["crmsync", tenant.key, "sync"])
        assert materialisation.metadata["quiet"].value is True
        assert materialisation.metadata["created"].value == 0
        assert instance.get_run_by_id(result.run_id).tags[QUIET_TAG] == "true"
        assert _checks(instance, result.run_id) == {
            FAILED_RECORDS_CHECK: (True, "WARN"),
            CYCLE_CHECK: (True, "ERROR"),
        }

        # with its zero `main.sync_stats` rows: the per-object counts, and the totals say quiet
        _fake_cycle(monkeypatch, 0, [("q1", "accounts", "sf_to_fm", 0, 0, 0, 0, 0)])
        recorded = definitions.run_meltano

        def quiet_with_stats(
            tenant: Tenant, blocks: list[str], log: object, **_: object
        ) -> JobResult:
            quiet_run(tenant, blocks, log)
            return recorded(tenant, blocks, log)

        monkeypatch.setattr(definitions, "run_meltano", quiet_with_stats)
        result = defs.resolve_job_def(name).execute_in_process(
            run_config=run_config(name), instance=instance
        )
        found = {
            tuple(m.asset_key.path[2:]): m.metadata
            for m in result.asset_materializations_for_node(f"{name}_run")
        }
        assert found[("accounts", "sf_to_fm")]["sync_run_id"].value == "q1"
        assert found[("sync",)]["quiet"].value is True
        assert found[("sync",)]["created"].value == 0

        # a cycle that was not quiet (an older marker) records no quiet materialisation
        quiet_file(tenant.warehouse()).write_text(
            json.dumps({"quiet_at": "2000-01-01T00:00:00+00:00"})
        )
        monkeypatch.setattr(
            definitions, "run_meltano", lambda t, b, log, **_: JobResult(" ".join(b), 0, 1.0, [])
        )
        result = defs.resolve_job_def(name).execute_in_process(
            run_config=run_config(name), instance=instance
        )
        assert result.asset_materializations_for_node(f"{name}_run") == []
        assert QUIET_TAG not in instance.get_run_by_id(result.run_id).tags


def test_a_runs_statistics_carry_its_api_calls_per_side(tmp_path: Path) -> None:
    """Only the new runs' calls, summed over their steps, per side."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "create table main.sync_stats (run_id varchar, run_started_at timestamp, "
            "object varchar, direction varchar, created hugeint, updated hugeint, "
            "deleted hugeint, failed hugeint, conflicts hugeint)"
        )
        connection.execute(
            "insert into main.sync_stats values "
            "('old', '2026-01-01 09:00', 'accounts', 'sf_to_fm', 1, 0, 0, 0, 0), "
            "('new', '2026-01-01 09:15', 'accounts', 'sf_to_fm', 0, 2, 0, 0, 0)"
        )
    assert new_run_stats(warehouse, {"old"}).api_calls is None  # before the table exists
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "create table main.sync_api_calls (run_id varchar, step varchar, side varchar, "
            "auth hugeint, reads hugeint, writes hugeint, retried hugeint, calls hugeint, "
            "step_started_at timestamp)"
        )
        connection.execute(
            "insert into main.sync_api_calls values "
            "('old', 'tap-salesforce', 'salesforce', 1, 6, 0, 0, 7, null), "
            "('new', 'crmsync:preflight', 'salesforce', 1, 7, 0, 0, 8, null), "
            "('new', 'tap-salesforce', 'salesforce', 1, 6, 0, 1, 7, null), "
            "('new', 'target-forcemanager', 'forcemanager', 1, 0, 2, 0, 3, null)"
        )

    stats = new_run_stats(warehouse, {"old"})

    assert stats is not None
    assert stats.run_ids == ["new"]
    assert stats.api_calls == {
        "forcemanager": {"auth": 1, "reads": 0, "writes": 2, "retried": 0, "calls": 3},
        "salesforce": {"auth": 2, "reads": 13, "writes": 0, "retried": 1, "calls": 15},
    }


def test_a_cycle_the_probe_finds_quiet_starts_no_meltano_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crmsync import probe  # noqa: PLC0415 - the op imports it where it runs

    tenant, defs, name = _sandbox_cycle(tmp_path)
    probed: list[dict[str, str]] = []
    started: list[list[str]] = []

    def quiet_probe(environment: dict[str, str]) -> str | None:
        probed.append(dict(environment))
        # what a quiet probe leaves: the marker's quiet time (and the quiet run's rows)
        quiet_file(tenant.warehouse()).write_text(
            json.dumps({"quiet_at": datetime.now(UTC).isoformat()})
        )
        return None

    def meltano(tenant: Tenant, blocks: list[str], log: object, **_: object) -> JobResult:
        started.append(blocks)
        return JobResult(" ".join(blocks), 0, 1.0, [])

    monkeypatch.setattr(probe, "run_in", quiet_probe)
    monkeypatch.setattr(definitions, "run_meltano", meltano)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(name).execute_in_process(
            run_config=run_config(name), instance=instance
        )
        assert result.success
        assert started == [], "a quiet probe starts no meltano run"
        assert probed[0]["CRMSYNC_WAREHOUSE"] == str(tenant.warehouse())
        [materialisation] = result.asset_materializations_for_node(f"{name}_run")
        assert materialisation.metadata["quiet"].value is True
        assert instance.get_run_by_id(result.run_id).tags[QUIET_TAG] == "true"

        # a probe that finds work (or cannot tell) runs the job, and the log says why
        monkeypatch.setattr(probe, "run_in", lambda environment: "ForceManager accounts: 7")
        result = defs.resolve_job_def(name).execute_in_process(
            run_config=run_config(name), instance=instance
        )
        assert result.success
        assert len(started) == 1
        messages = [event.message for event in instance.all_logs(result.run_id) if event.message]
        assert any("full cycle: ForceManager accounts: 7" in text for text in messages)
        assert QUIET_TAG not in instance.get_run_by_id(result.run_id).tags

    # CRMSYNC_QUIET_PROBE=false: every cycle is a meltano run, the probe is not asked
    [tenant] = make_tenants(tmp_path, "acme", CRMSYNC_QUIET_PROBE="false")
    monkeypatch.setattr(probe, "run_in", quiet_probe)
    probed.clear()
    with dg.instance_for_test() as instance:
        defs = build_definitions([tenant])
        result = defs.resolve_job_def(name).execute_in_process(
            run_config=run_config(name), instance=instance
        )
        assert result.success
    assert probed == []
    assert len(started) == 2
