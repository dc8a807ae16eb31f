"""Tenants through Dagster's in-process execution, against their own sandboxes."""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from crmsync_orchestrate.cli import run_tenant_job
from crmsync_orchestrate.definitions import build_alert_sensor
from crmsync_orchestrate.local import WebhookReceiver, sandbox_variables, write_tenant
from crmsync_orchestrate.stats import CALL_COUNTS, COUNTS
from crmsync_orchestrate.tenants import DATA_DIR_VARIABLE, TENANTS_DIR_VARIABLE, discover

from crmsync.local import LocalSync

BAD_KEY = "bad-private-key-4242"
SETTINGS_A: dict[str, Any] = {
    "objects": {"accounts": "two-way", "contacts": "two-way", "opportunities": "off"},
    "user_mapping": {"auto": True},
}
SETTINGS_B: dict[str, Any] = {
    "objects": {"accounts": "two-way", "contacts": "off", "opportunities": "one-way"},
    "user_mapping": {"auto": True},
    "initial_sync": "match",
}


def materialised(instance: dg.DagsterInstance, run_id: str) -> dict[tuple[str, str], dict]:
    """What the run recorded per object and direction (asset key crmsync/<tenant>/<obj>/<dir>)."""
    found: dict[tuple[str, str], dict] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        assert materialization is not None
        path = materialization.asset_key.path
        if len(path) == 4:
            found[(path[2], path[3])] = {k: v.value for k, v in materialization.metadata.items()}
    return found


def sync_stats(warehouse: Path, run_id: str) -> dict[tuple[str, str], dict]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            f"select object, direction, {', '.join(COUNTS)} from main.sync_stats where run_id = ?",
            [run_id],
        ).fetchall()
    return {(o, d): dict(zip(COUNTS, values, strict=True)) for o, d, *values in rows}


def run_ids(warehouse: Path) -> set[str]:
    if not warehouse.exists():
        return set()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = {
            t for (t,) in connection.execute("select table_name from duckdb_tables()").fetchall()
        }
        if "sync_stats" not in tables:
            return set()
        return {r for (r,) in connection.execute("select run_id from main.sync_stats").fetchall()}


def materialised_totals(instance: dg.DagsterInstance, run_id: str) -> dict[str, Any]:
    """What the run recorded for the tenant as a whole (asset key crmsync/<tenant>/sync)."""
    [totals] = [
        {k: v.value for k, v in entry.asset_materialization.metadata.items()}
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        if entry.asset_materialization and len(entry.asset_materialization.asset_key.path) == 3
    ]
    return totals


def sync_api_calls(warehouse: Path, run_id: str) -> dict[str, dict[str, int]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            f"select side, {', '.join(f'sum({c})' for c in CALL_COUNTS)} "
            "from main.sync_api_calls where run_id = ? group by side",
            [run_id],
        ).fetchall()
    return {side: dict(zip(CALL_COUNTS, values, strict=True)) for side, *values in rows}


def assert_counts_match(instance: dg.DagsterInstance, run_id: str, warehouse: Path) -> None:
    recorded = materialised(instance, run_id)
    assert recorded, "the run recorded no materialisation"
    [sync_run] = {m.pop("sync_run_id") for m in recorded.values()}
    assert recorded == sync_stats(warehouse, sync_run)
    # the API calls the run used on each side, as main.sync_api_calls holds them
    totals = materialised_totals(instance, run_id)
    calls = sync_api_calls(warehouse, sync_run)
    assert calls["salesforce"]["calls"] > 0
    assert calls["forcemanager"]["calls"] > 0
    assert totals["api_calls"] == calls
    assert totals["salesforce_api_calls"] == calls["salesforce"]["calls"]
    assert totals["forcemanager_api_calls"] == calls["forcemanager"]["calls"]


def lock_is_held(lock_file: Path) -> bool:
    if not lock_file.exists():
        return False
    with lock_file.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


@pytest.mark.slow
def test_tenants_run_apart_one_at_a_time_and_alert_on_health_changes(
    local_sync: Callable[..., LocalSync], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm_a = local_sync(SETTINGS_A, size=10)
    crm_b = local_sync(SETTINGS_B, seed=5, size=10)
    tenants_dir, data_dir = tmp_path / "tenants", tmp_path / "data"
    monkeypatch.setenv(TENANTS_DIR_VARIABLE, str(tenants_dir))
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(data_dir))
    receiver = WebhookReceiver()
    with receiver, dg.instance_for_test() as instance:
        hook = {"CRMSYNC_ALERT_WEBHOOK_URL": receiver.url}
        write_tenant(
            tenants_dir, "a", SETTINGS_A, sandbox_variables(crm_a.directory / "sandbox", **hook)
        )
        b_good = sandbox_variables(
            crm_b.directory / "sandbox",
            CRMSYNC_WAREHOUSE=str(tmp_path / "b-warehouse" / "wh.duckdb"),
            **hook,
        )
        write_tenant(tenants_dir, "b", SETTINGS_B, {**b_good, "FORCEMANAGER_PRIVATE_KEY": BAD_KEY})
        tenants, _ = discover()
        sensor = build_alert_sensor(tenants)
        cursor: list[str | None] = [None]

        def alert_tick() -> None:
            context = dg.build_sensor_context(instance=instance, cursor=cursor[0])
            sensor.evaluate_tick(context)
            cursor[0] = context.cursor

        warehouse_a = data_dir / "a" / "warehouse.duckdb"
        warehouse_b = tmp_path / "b-warehouse" / "wh.duckdb"

        alert_tick()  # the sensor starts before the tenants' first runs
        # The initial sync refuses without the confirmation, given as run config.
        refused = run_tenant_job("a", "initial", dagster_instance=instance)
        assert not refused.success
        assert not run_ids(warehouse_a)

        # A's confirmed initial sync; a tick of A meanwhile is skipped, saying why.
        crm_a.reset_calls()
        crm_b.reset_calls()
        results: dict[str, dg.ExecuteInProcessResult] = {}
        initial = threading.Thread(
            target=lambda: results.setdefault(
                "initial",
                run_tenant_job(
                    "a", "initial", confirm_initial_wipe=True, dagster_instance=instance
                ),
            )
        )
        initial.start()
        deadline = time.monotonic() + 60
        while not lock_is_held(data_dir / "a" / "run.lock") and time.monotonic() < deadline:
            time.sleep(0.2)
        tick = run_tenant_job("a", "cycle", dagster_instance=instance)
        initial.join(timeout=900)
        assert tick.success
        tick_logs = [e.message for e in instance.all_logs(tick.run_id) if e.message]
        assert any("another run of this tenant is in progress" in m for m in tick_logs)
        assert results["initial"].success
        assert_counts_match(instance, results["initial"].run_id, warehouse_a)
        assert crm_a.calls("forcemanager")["total"] > 0
        assert crm_b.calls("salesforce")["total"] == 0
        assert crm_b.calls("forcemanager")["total"] == 0
        # The refused initial sync was a failed run of A, the confirmed one its recovery.
        alert_tick()
        assert [m["text"].split(" (run ")[0] for m in receiver.messages] == [
            ":rotating_light: crmsync tenant `a`: initial failed",
            ":white_check_mark: crmsync tenant `a` recovered: initial succeeded",
        ]
        del receiver.messages[:]

        # B fails (bad credentials): one alert; A is untouched; a second failure sends nothing.
        runs_a = run_ids(warehouse_a)
        crm_a.reset_calls()
        for attempt in range(2):
            failed = run_tenant_job("b", "cycle", dagster_instance=instance)
            assert not failed.success
            alert_tick()
            assert len(receiver.messages) == 1, attempt
        assert "`b`" in receiver.messages[0]["text"]
        assert "cycle failed" in receiver.messages[0]["text"]
        assert BAD_KEY not in receiver.messages[0]["text"]
        assert crm_a.calls("salesforce")["total"] == 0
        assert crm_a.calls("forcemanager")["total"] == 0
        assert run_ids(warehouse_a) == runs_a

        # B healthy again: its initial sync (match: no confirmation) sends the recovery.
        write_tenant(tenants_dir, "b", SETTINGS_B, b_good)
        good = run_tenant_job("b", "initial", dagster_instance=instance)
        assert good.success
        alert_tick()
        assert len(receiver.messages) == 2
        assert "recovered" in receiver.messages[1]["text"]
        assert_counts_match(instance, good.run_id, warehouse_b)
        assert run_ids(warehouse_a) == runs_a
        assert not (data_dir / "b" / "warehouse.duckdb").exists()
        assert (data_dir / "a" / "meltano.db").exists()
        assert (data_dir / "b" / "meltano.db").exists()
