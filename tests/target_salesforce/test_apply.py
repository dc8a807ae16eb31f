"""Unit tests of the apply step's order, batching, reference resolution and field checks.

A small recording fake stands in for the Salesforce session; the HTTP behaviour itself is
proven against the sandbox in test_sandbox.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crmsync_common.synclog import SyncLog
from target_salesforce.apply import Applier
from target_salesforce.spool import Spool

WRITABLE = [
    {"name": "Name", "createable": True, "updateable": True},
    {"name": "ForceManager_Id__c", "createable": True, "updateable": True},
    {"name": "AccountId", "createable": True, "updateable": True},
    {"name": "LastName", "createable": True, "updateable": True},
    {"name": "IsWon", "createable": False, "updateable": False},
]


class FakeResponse:
    """A reply carrying a JSON body."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def json(self) -> Any:
        """Return the body."""
        return self.body


class RecordingClient:
    """Answers collection calls with success (or a queued failure) and records each call."""

    def __init__(self, locked_once: set[str] | None = None) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.locked_once = set(locked_once or ())
        self.counter = 0

    def describe(self, sobject: str) -> dict[str, Any]:
        """Every object has the same writable fields."""
        return {"name": sobject, "fields": WRITABLE}

    def query(self, soql: str) -> list[dict[str, Any]]:
        """The external-id lookup finds nothing."""
        self.calls.append(("QUERY", soql, None))
        return []

    def request(self, method: str, path: str, **kwargs: Any) -> FakeResponse:
        """Succeed for every record, except a name locked once."""
        self.calls.append((method, path, kwargs))
        if method == "DELETE":
            ids = kwargs["params"]["ids"].split(",")
            return FakeResponse([{"id": i, "success": True, "errors": []} for i in ids])
        results = []
        for record in kwargs["json"]["records"]:
            name = record.get("Name")
            if name in self.locked_once:
                self.locked_once.discard(name)
                error = {"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked"}
                results.append({"success": False, "errors": [error]})
                continue
            self.counter += 1
            results.append({"id": record.get("id") or f"001X{self.counter:014d}", "success": True})
        return FakeResponse(results)


def _row(action: str, fm_id: int | None, sf_id: str | None = None, **extra: Any) -> dict:
    row = {
        "run_id": "run-1",
        "action": action,
        "salesforce_id": sf_id,
        "forcemanager_id": fm_id,
        "fields": {"Name": f"n{fm_id}"},
        "refs": {},
    }
    row.update(extra)
    return row


def _apply(tmp_path: Path, client: RecordingClient, rows: dict[str, list[dict]]) -> list[dict]:
    spool = Spool()
    for obj, obj_rows in rows.items():
        for row in obj_rows:
            spool.add(obj, row)
    log = SyncLog(tmp_path, "target-salesforce")
    applier = Applier(
        client, log, {"accounts": "Account", "contacts": "Contact"}, "ForceManager_Id__c"
    )  # type: ignore[arg-type]
    applier.apply(spool)
    log.close()
    spool.close()
    path = tmp_path / "run-1.target-salesforce.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_deletes_children_first_then_creates_parents_first(tmp_path: Path) -> None:
    """Contacts are deleted before accounts; accounts are created before contacts."""
    client = RecordingClient()
    _apply(
        tmp_path,
        client,
        {
            "contacts": [_row("create", 2), _row("delete", None, "003A")],
            "accounts": [_row("create", 1), _row("delete", None, "001A")],
        },
    )
    sequence = [
        (m, p.split("?")[0], (k or {}).get("params", {}).get("ids")) for m, p, k in client.calls
    ]
    assert sequence == [
        ("DELETE", "composite/sobjects", "003A"),
        ("DELETE", "composite/sobjects", "001A"),
        ("POST", "composite/sobjects", None),
        ("POST", "composite/sobjects", None),
    ]
    assert client.calls[2][2]["json"]["records"][0]["attributes"] == {"type": "Account"}


def test_creates_batch_200_per_call_and_upsert_on_external_id(tmp_path: Path) -> None:
    """450 creates with the external id cost 3 upsert calls on that field."""
    client = RecordingClient()
    rows = [
        _row("create", i, fields={"Name": f"n{i}", "ForceManager_Id__c": str(i)})
        for i in range(450)
    ]
    lines = _apply(tmp_path, client, {"accounts": rows})
    paths = [(m, p) for m, p, _ in client.calls]
    assert paths == [("PATCH", "composite/sobjects/Account/ForceManager_Id__c")] * 3
    assert [len(k["json"]["records"]) for _, _, k in client.calls] == [200, 200, 50]
    assert len(lines) == 450
    assert all(line["status"] == "success" and line["direction"] == "fm_to_sf" for line in lines)


def test_refs_resolve_from_this_runs_creates(tmp_path: Path) -> None:
    """A contact's AccountId comes from the account created in the same run."""
    client = RecordingClient()
    contact = _row(
        "create",
        7,
        fields={"LastName": "Doe"},
        refs={"AccountId": {"object": "accounts", "forcemanager_id": 1}},
    )
    lines = _apply(tmp_path, client, {"accounts": [_row("create", 1)], "contacts": [contact]})
    account_id = lines[0]["salesforce_id"]
    contact_body = client.calls[-1][2]["json"]["records"][0]
    assert contact_body["AccountId"] == account_id


def test_unresolvable_ref_fails_only_that_record(tmp_path: Path) -> None:
    """A reference nobody knows fails its record, logged; the other record lands."""
    client = RecordingClient()
    orphan = _row("create", 8, refs={"AccountId": {"object": "accounts", "forcemanager_id": 99}})
    lines = _apply(tmp_path, client, {"contacts": [orphan, _row("create", 9)]})
    by_fm = {line["forcemanager_id"]: line for line in lines}
    assert by_fm[8]["status"] == "error"
    assert by_fm[8]["error_code"] == "UNRESOLVED_REFERENCE"
    assert by_fm[9]["status"] == "success"
    assert any(m == "QUERY" and "IN ('99')" in p for m, p, _ in client.calls)


def test_record_with_a_field_salesforce_cannot_write_fails_whole(tmp_path: Path) -> None:
    """A read-only or unknown field fails its record with the field named, nothing of it is
    written (a partial write logged as a success would lose the change); the others land."""
    client = RecordingClient()
    refused = _row("update", 3, "001B", fields={"Name": "x", "IsWon": True, "Nope__c": 1})
    fine = _row("update", 4, "001C", fields={"Name": "y"})
    lines = _apply(tmp_path, client, {"accounts": [refused, fine]})
    by_fm = {line["forcemanager_id"]: line for line in lines}
    assert by_fm[3]["status"] == "error"
    assert by_fm[3]["error_code"] == "FIELD_NOT_WRITABLE"
    assert "IsWon (not updateable)" in by_fm[3]["error_message"]
    assert "Nope__c (not a field)" in by_fm[3]["error_message"]
    assert by_fm[4]["status"] == "success"
    [body] = client.calls[0][2]["json"]["records"]
    assert body == {"attributes": {"type": "Account"}, "Name": "y", "id": "001C"}


def test_locked_records_are_sent_again(tmp_path: Path) -> None:
    """A record refused with UNABLE_TO_LOCK_ROW is retried and logged once, as a success."""
    client = RecordingClient(locked_once={"n2"})
    lines = _apply(tmp_path, client, {"accounts": [_row("create", 1), _row("create", 2)]})
    assert len(client.calls) == 2
    assert len(client.calls[1][2]["json"]["records"]) == 1
    assert sorted(line["forcemanager_id"] for line in lines) == [1, 2]
    assert all(line["status"] == "success" for line in lines)
