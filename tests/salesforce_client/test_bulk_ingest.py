"""BulkClient.ingest: result matching when Salesforce reorders rows, and every operation
against the HTTPS sandbox with its call count."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from crmsync_sandbox.testing import SandboxProcess
from salesforce_client import BulkClient, IngestResult, SalesforceClient
from salesforce_client import bulk as bulk_module

# -- a recording fake of the Bulk endpoints: results reversed, as Salesforce may -------------


class FakeResponse:
    """A reply with a JSON or CSV body."""

    def __init__(self, body: Any = None, text: str = "") -> None:
        self.body = body
        self.content = text.encode("utf-8")

    def json(self) -> Any:
        """Return the JSON body."""
        return self.body


class ReorderingBulk:
    """Answers one ingest job: rows whose Name starts with ``bad`` fail, the rest succeed;
    both result files list their rows in reverse upload order."""

    def __init__(self, drop_last: int = 0) -> None:
        self.calls: list[str] = []
        self.uploaded: list[dict[str, str]] = []
        self.drop_last = drop_last

    def request(self, method: str, path: str, **kwargs: Any) -> FakeResponse:
        """Serve one call of the ingest protocol."""
        self.calls.append(f"{method} {path}")
        if method == "PUT":
            self.uploaded = list(csv.DictReader(io.StringIO(kwargs["data"].decode())))
        if path.endswith("successfulResults"):
            rows = [r for r in self._reported() if not r["Name"].startswith("bad")]
            return FakeResponse(text=_csv(["sf__Id", "sf__Created"], rows, self._created))
        if path.endswith("failedResults"):
            rows = [r for r in self._reported() if r["Name"].startswith("bad")]
            return FakeResponse(text=_csv(["sf__Id", "sf__Error"], rows, self._error))
        return FakeResponse({"id": "750FAKE"})

    def get_json(self, path: str) -> dict[str, Any]:
        """Job info: complete, with the counts the results hold."""
        self.calls.append(f"GET {path}")
        failed = sum(r["Name"].startswith("bad") for r in self._reported())
        processed = len(self._reported())
        return {"state": "JobComplete", "numberRecordsProcessed": processed,
                "numberRecordsFailed": failed}  # fmt: skip

    def _reported(self) -> list[dict[str, str]]:
        rows = self.uploaded[: len(self.uploaded) - self.drop_last]
        return list(reversed(rows))

    @staticmethod
    def _created(row: dict[str, str]) -> list[str]:
        return [row.get("Id") or "001NEW" + row["Name"], "true"]

    @staticmethod
    def _error(row: dict[str, str]) -> list[str]:
        message = "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"
        return [row.get("Id", ""), message]


@pytest.fixture
def instant_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake's jobs are complete at once: skip the first poll's wait."""
    monkeypatch.setattr(bulk_module, "POLL_FIRST_DELAY", 0.0)


def _csv(extra: list[str], rows: list[dict[str, str]], prefix: Any) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = list(rows[0]) if rows else []
    writer.writerow(extra + columns)
    writer.writerows(prefix(row) + [row[c] for c in columns] for row in rows)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("operation", "key"),
    [("upsert", "Ext__c"), ("insert", None), ("update", None), ("delete", None)],
)
@pytest.mark.usefixtures("instant_jobs")
def test_results_in_any_order_are_matched_back_to_their_rows(
    operation: str, key: str | None
) -> None:
    """Whatever order the result files use, each outcome lands on its own row."""
    rows: list[dict[str, Any]] = [
        {"Id": f"001{i:015d}", "Name": f"{'bad' if i % 3 == 0 else 'ok'}-{i}", "Ext__c": str(i)}
        for i in range(10)
    ]
    fake = ReorderingBulk()
    results = BulkClient(fake).ingest(  # type: ignore[arg-type]
        "Account", operation, rows, external_id_field=key
    )
    assert [r.row["Name"] for r in results] == [row["Name"] for row in rows]
    assert [r.success for r in results] == [not row["Name"].startswith("bad") for row in rows]
    failed = [r for r in results if not r.success]
    assert {r.error_code for r in failed} == {"REQUIRED_FIELD_MISSING"}
    assert {r.error_message for r in failed} == {"Required fields are missing: [LastName]"}


@pytest.mark.usefixtures("instant_jobs")
def test_rows_the_job_reported_nothing_on_fail_as_unprocessed() -> None:
    """A row absent from both result files is a failure, never silently a success."""
    rows = [{"Name": f"ok-{i}", "Ext__c": str(i)} for i in range(4)]
    results = BulkClient(ReorderingBulk(drop_last=1)).ingest(  # type: ignore[arg-type]
        "Account", "upsert", rows, external_id_field="Ext__c"
    )
    assert [r.success for r in results] == [True, True, True, False]
    assert results[-1].error_code == "UNPROCESSED"


@pytest.mark.usefixtures("instant_jobs")
def test_rows_sharing_a_key_each_get_one_result() -> None:
    """Two identical insert rows take one result each."""
    rows = [{"Name": "ok-same"}, {"Name": "ok-same"}]
    results = BulkClient(ReorderingBulk()).ingest("Account", "insert", rows)  # type: ignore[arg-type]
    assert [r.success for r in results] == [True, True]


def test_csv_cells_leave_absent_fields_alone_and_clear_none() -> None:
    """A key missing from a row is an empty cell (unchanged); None is #N/A (cleared)."""
    rows = [{"Name": "a", "Phone": None}, {"Name": "b", "Flag": True}]
    columns = bulk_module._columns(rows)
    cells = [[bulk_module._cell(row, c) for c in columns] for row in rows]
    assert columns == ["Name", "Phone", "Flag"]
    assert cells == [["a", "#N/A", ""], ["b", "", "true"]]


def test_an_upsert_without_its_key_field_is_refused() -> None:
    """upsert needs external_id_field."""
    with pytest.raises(ValueError, match="external_id_field"):
        BulkClient(ReorderingBulk()).ingest("Account", "upsert", [{"Name": "x"}])  # type: ignore[arg-type]


@pytest.mark.usefixtures("instant_jobs")
def test_an_upload_larger_than_the_cap_is_split_into_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_UPLOAD_BYTES the rows go in several jobs; results stay in row order."""
    monkeypatch.setattr(bulk_module, "MAX_UPLOAD_BYTES", 30)
    rows = [{"Name": f"ok-{i}", "Ext__c": str(i)} for i in range(6)]
    fake = ReorderingBulk()
    uploads: list[int] = []
    original = fake.request

    def request(method: str, path: str, **kwargs: Any) -> FakeResponse:
        if method == "PUT":
            uploads.append(len(kwargs["data"]))
        return original(method, path, **kwargs)

    fake.request = request  # type: ignore[method-assign]
    results = BulkClient(fake).ingest(  # type: ignore[arg-type]
        "Account", "upsert", rows, external_id_field="Ext__c"
    )
    assert len(uploads) > 1
    assert max(uploads) <= 30
    assert [r.row["Name"] for r in results] == [row["Name"] for row in rows]


# -- against the HTTPS sandbox ------------------------------------------------------------


def _config(process: SandboxProcess) -> dict[str, Any]:
    env = process.env
    return {
        "login_url": env["SALESFORCE_LOGIN_URL"],
        "client_id": env["SALESFORCE_CLIENT_ID"],
        "client_secret": env["SALESFORCE_CLIENT_SECRET"],
        "refresh_token": env["SALESFORCE_REFRESH_TOKEN"],
    }


@pytest.fixture
def own_client(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[SalesforceClient, SandboxProcess]]:
    """A client on a sandbox of this test alone, so call counts are its own."""
    process: SandboxProcess = sandbox_factory(seed=7, size="small")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", process.env["REQUESTS_CA_BUNDLE"])
    sf = SalesforceClient.from_config(_config(process))
    yield sf, process
    sf.close()  # an open keep-alive connection would hold up the server's shutdown


@pytest.fixture
def shared_client(
    sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SalesforceClient]:
    """A client on the session sandbox."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.env["REQUESTS_CA_BUNDLE"])
    sf = SalesforceClient.from_config(_config(sandbox))
    yield sf
    sf.close()


def _ingest_calls(process: SandboxProcess) -> int:
    routes = process.calls("salesforce")["by_route"]
    return sum(n for route, n in routes.items() if "/jobs/ingest" in route)


def test_every_operation_round_trips_through_the_sandbox(
    own_client: tuple[SalesforceClient, SandboxProcess],
) -> None:
    """Upsert creates then updates, update renames, delete removes; each job costs about
    six calls (create, upload, close, poll, results) whatever the row count."""
    sf, process = own_client
    bulk = BulkClient(sf)
    tag = uuid.uuid4().hex[:6]
    rows = [{"Name": f"{tag}-{i}", "ForceManager_Id__c": f"{tag}{i}"} for i in range(500)]
    process.reset_calls("salesforce")
    created = bulk.ingest("Account", "upsert", rows, external_id_field="ForceManager_Id__c")
    assert _ingest_calls(process) <= 7
    assert all(r.success and r.created and r.record_id for r in created)
    assert [r.row["Name"] for r in created] == [row["Name"] for row in rows]

    again = bulk.ingest("Account", "upsert", rows, external_id_field="ForceManager_Id__c")
    assert [r.record_id for r in again] == [r.record_id for r in created]
    assert not any(r.created for r in again)

    updates = [{"Id": r.record_id, "Name": f"{tag}-renamed"} for r in created[:3]]
    updates.append({"Id": created[3].record_id, "Name": None})  # Name is required
    updated = bulk.ingest("Account", "update", updates)
    assert [r.success for r in updated] == [True, True, True, False]
    assert updated[3].error_code == "REQUIRED_FIELD_MISSING"

    deleted = bulk.ingest("Account", "delete", [{"Id": r.record_id} for r in created])
    assert all(r.success for r in deleted)
    left = list(sf.query(f"SELECT Id FROM Account WHERE Name LIKE '{tag}-%'"))
    assert left == []


def test_insert_failures_carry_the_api_error(shared_client: SalesforceClient) -> None:
    """A contact without LastName fails with REQUIRED_FIELD_MISSING; its peers are inserted."""
    sf = shared_client
    tag = uuid.uuid4().hex[:6]
    rows: list[dict[str, Any]] = [
        {"LastName": f"{tag}-a"},
        {"FirstName": tag},
        {"LastName": f"{tag}-b"},
    ]
    results: list[IngestResult] = BulkClient(sf).ingest("Contact", "insert", rows)
    assert [r.success for r in results] == [True, False, True]
    assert results[1].error_code == "REQUIRED_FIELD_MISSING"
    assert results[1].error_message
    assert results[1].row["FirstName"] == tag
