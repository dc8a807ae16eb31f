"""target-salesforce against the HTTPS sandbox: batching, partial failures, re-runs, refs."""

from __future__ import annotations

import io
import json
import logging
import math
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from crmsync_sandbox.testing import SandboxProcess
from salesforce_client import SalesforceClient
from target_salesforce.target import TargetSalesforce

PUBLISH_SCHEMA = {
    "type": "object",
    "properties": {
        "run_id": {"type": "string"},
        "action": {"type": "string"},
        "salesforce_id": {"type": ["string", "null"]},
        "forcemanager_id": {"type": ["integer", "null"]},
        "fields": {"type": "object"},
        "refs": {"type": "object"},
    },
}


def _config(sandbox: SandboxProcess, log_dir: Path) -> dict[str, Any]:
    env = sandbox.env
    return {
        "login_url": env["SALESFORCE_LOGIN_URL"],
        "client_id": env["SALESFORCE_CLIENT_ID"],
        "client_secret": env["SALESFORCE_CLIENT_SECRET"],
        "refresh_token": env["SALESFORCE_REFRESH_TOKEN"],
        "sync_log_dir": str(log_dir),
    }


def _messages(rows: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for stream, stream_rows in rows.items():
        schema = {
            "type": "SCHEMA",
            "stream": stream,
            "schema": PUBLISH_SCHEMA,
            "key_properties": [],
        }
        lines.append(json.dumps(schema))
        lines += [
            json.dumps({"type": "RECORD", "stream": stream, "record": r}) for r in stream_rows
        ]
    return "\n".join(lines) + "\n"


def _apply(
    config: dict[str, Any], rows: dict[str, list[dict[str, Any]]], run_id: str
) -> list[dict]:
    target = TargetSalesforce(config=config, parse_env_config=False)
    target.listen(file_input=io.StringIO(_messages(rows)))
    path = Path(config["sync_log_dir"]) / f"{run_id}.target-salesforce.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _row(run_id: str, action: str, fm_id: int | None, fields: dict, **extra: Any) -> dict:
    row = {
        "run_id": run_id,
        "action": action,
        "salesforce_id": None,
        "forcemanager_id": fm_id,
        "fields": fields,
        "refs": {},
    }
    row.update(extra)
    return row


def _collection_writes(sandbox: SandboxProcess) -> int:
    routes = sandbox.calls("salesforce")["by_route"]
    return sum(
        n
        for route, n in routes.items()
        if "composite/sobjects" in route and route.split()[0] in {"POST", "PATCH", "DELETE"}
    )


@pytest.fixture
def own_sandbox(
    sandbox_factory: Callable[..., SandboxProcess], monkeypatch: pytest.MonkeyPatch
) -> SandboxProcess:
    """A sandbox of this test alone, so call counts are this test's."""
    process = sandbox_factory(seed=7, size="small")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", process.env["REQUESTS_CA_BUNDLE"])
    return process


def test_n_creates_cost_ceil_n_over_200_calls_and_rerun_never_duplicates(
    own_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    """450 upserts take 3 collection calls; running them again updates, never duplicates."""
    n = 450
    tag = uuid.uuid4().hex[:6]
    rows = [
        _row(
            "run-a",
            "create",
            10_000 + i,
            {"Name": f"{tag}-{i}", "ForceManager_Id__c": str(10_000 + i)},
        )
        for i in range(n)
    ]
    config = _config(own_sandbox, tmp_path)
    requests.post(own_sandbox.root_url("salesforce") + "/__sandbox/calls/reset", timeout=10)
    lines = _apply(config, {"accounts": rows}, "run-a")
    assert _collection_writes(own_sandbox) == math.ceil(n / 200)
    assert len(lines) == n
    assert {line["status"] for line in lines} == {"success"}
    assert all(line["salesforce_id"] for line in lines)

    lines = _apply(config, {"accounts": rows}, "run-a")
    client = SalesforceClient.from_config(config)
    found = list(client.query(f"SELECT Id FROM Account WHERE Name LIKE '{tag}-%'"))
    assert len(found) == n
    assert len(lines) == 2 * n


def test_partial_failures_are_logged_per_record_while_the_rest_land(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A contact missing its required LastName fails with the API's code; its peers land,
    their AccountId resolved from the account created in the same run."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.env["REQUESTS_CA_BUNDLE"])
    tag = uuid.uuid4().hex[:6]
    fm = int(uuid.uuid4().int % 10**8) + 10**8
    account = _row("run-b", "create", fm, {"Name": f"acc-{tag}", "ForceManager_Id__c": str(fm)})
    ref = {"AccountId": {"object": "accounts", "forcemanager_id": fm}}
    contacts = [
        _row("run-b", "create", fm + 1, {"LastName": f"ok-{tag}"}, refs=ref),
        _row("run-b", "create", fm + 2, {"FirstName": "NoLastName"}, refs=ref),
        _row("run-b", "create", fm + 3, {"LastName": f"ok2-{tag}"}, refs=ref),
    ]
    lines = _apply(
        _config(sandbox, tmp_path), {"contacts": contacts, "accounts": [account]}, "run-b"
    )
    by_fm = {line["forcemanager_id"]: line for line in lines}
    assert by_fm[fm]["status"] == "success"
    assert by_fm[fm + 2]["status"] == "error"
    assert by_fm[fm + 2]["error_code"] == "REQUIRED_FIELD_MISSING"
    assert by_fm[fm + 2]["error_message"]
    assert by_fm[fm + 1]["status"] == by_fm[fm + 3]["status"] == "success"

    client = SalesforceClient.from_config(_config(sandbox, tmp_path))
    landed = list(
        client.query(f"SELECT Id, AccountId FROM Contact WHERE LastName LIKE 'ok%-{tag}'")
    )
    assert len(landed) == 2
    assert {c["AccountId"] for c in landed} == {by_fm[fm]["salesforce_id"]}


def test_updates_and_deletes_apply_and_deletes_rerun_cleanly(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An update changes the record; a delete removes it, and deleting again stays a success."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.env["REQUESTS_CA_BUNDLE"])
    config = _config(sandbox, tmp_path)
    client = SalesforceClient.from_config(config)
    tag = uuid.uuid4().hex[:6]
    records = [{"attributes": {"type": "Account"}, "Name": f"{tag}-{i}"} for i in range(2)]
    keep, drop = (
        r["id"]
        for r in client.request(
            "POST", "composite/sobjects", json={"allOrNone": False, "records": records}
        ).json()
    )
    rows = {
        "accounts": [
            _row("run-c", "update", 1, {"Name": f"{tag}-renamed"}, salesforce_id=keep),
            _row("run-c", "delete", 2, {}, salesforce_id=drop),
        ]
    }
    lines = _apply(config, rows, "run-c")
    assert [(line["action"], line["status"]) for line in lines] == [
        ("delete", "success"),
        ("update", "success"),
    ]
    names = [r["Name"] for r in client.query(f"SELECT Name FROM Account WHERE Name LIKE '{tag}-%'")]
    assert names == [f"{tag}-renamed"]
    lines = _apply(config, {"accounts": rows["accounts"][1:]}, "run-c")
    assert lines[-1]["status"] == "success"


def test_a_stream_with_no_salesforce_object_is_ignored_with_a_warning(
    sandbox: SandboxProcess,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Rows of a stream object_map does not name are written nowhere, and the run says so."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.env["REQUESTS_CA_BUNDLE"])
    config = _config(sandbox, tmp_path)
    tag = uuid.uuid4().hex[:6]
    fm_id = int(uuid.uuid4().int % 1_000_000_000) + 1_000_000
    rows = {
        "leads": [
            _row("run-d", "create", fm_id + i, {"Name": f"{tag}-lead-{i}", "LastName": tag})
            for i in range(2)
        ],
        "accounts": [
            _row(
                "run-d",
                "create",
                fm_id,
                {"Name": f"{tag}-account", "ForceManager_Id__c": str(fm_id)},
            )
        ],
    }
    with caplog.at_level(logging.WARNING):
        lines = _apply(config, rows, "run-d")
    assert [(line["object"], line["status"]) for line in lines] == [("accounts", "success")]
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "leads" in record.getMessage()
    ]
    assert len(warnings) == 1, warnings
    assert "object_map" in warnings[0]
    client = SalesforceClient.from_config(config)
    names = {r["Name"] for r in client.query(f"SELECT Name FROM Account WHERE Name LIKE '{tag}-%'")}
    assert names == {f"{tag}-account"}


def test_a_task_sharing_an_activitys_id_is_upserted_on_its_qualified_key(
    own_sandbox: SandboxProcess, tmp_path: Path
) -> None:
    """A logged call keeps the plain ForceManager id and a calendar task with the same id gets
    `task:<id>`: both land in Task, and a re-run (a crash before the links were written back)
    updates the same two Tasks instead of creating more."""
    tag = uuid.uuid4().hex[:6]
    fm_id = 900_000 + int(tag, 16) % 90_000
    call = {"Subject": f"{tag} call", "TaskSubtype": "Call", "Status": "Completed",
            "ForceManager_Id__c": str(fm_id)}  # fmt: skip
    task = {"Subject": f"{tag} task", "TaskSubtype": "Task", "Status": "Not Started",
            "ForceManager_Id__c": f"task:{fm_id}"}  # fmt: skip
    rows = {
        "activities": [_row("run-t", "create", fm_id, call)],
        "tasks": [_row("run-t", "create", fm_id, task)],
    }
    config = _config(own_sandbox, tmp_path)
    first = _apply(config, rows, "run-t")
    assert [(line["status"], line["object"]) for line in first] == [
        ("success", "activities"),
        ("success", "tasks"),
    ]
    _apply(config, rows, "run-t")

    client = SalesforceClient.from_config(config)
    found = list(
        client.query(
            f"SELECT Id, Subject, TaskSubtype, ForceManager_Id__c FROM Task "
            f"WHERE Subject LIKE '{tag}%' ORDER BY Subject"
        )
    )
    assert [(t["TaskSubtype"], t["ForceManager_Id__c"]) for t in found] == [
        ("Call", str(fm_id)),
        ("Task", f"task:{fm_id}"),
    ]
    assert {t["Id"] for t in found} == {line["salesforce_id"] for line in first}
