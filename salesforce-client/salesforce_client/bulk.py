"""Bulk API 2.0 query and ingest jobs."""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from salesforce_client.client import SalesforceClient
from salesforce_client.exceptions import BulkJobError

logger = logging.getLogger(__name__)

#: Rows per results page: the API's own default; bigger pages mean fewer calls.
RESULTS_PAGE_SIZE = 50_000
#: First poll soon (small jobs finish in moments), then back off to spare API calls.
POLL_FIRST_DELAY = 0.2
POLL_MAX_DELAY = 10.0
#: A job still running after this long is given up on (the API's own limit is 10 minutes
#: per query step, with up to 15 internal retries).
POLL_TIMEOUT = 3600.0
DONE_STATES = frozenset({"JobComplete", "Failed", "Aborted"})
NULL_LOCATOR = "null"


@dataclass(frozen=True)
class IngestResult:
    """The outcome of one record of an ingest job.

    Attributes:
        row: the row as uploaded (CSV column -> text).
        success: whether Salesforce wrote it.
        record_id: the record id (``sf__Id``), if any.
        created: whether it was created (upsert, insert).
        error: ``STATUS_CODE:message`` from ``sf__Error`` on failure.
    """

    row: dict[str, str]
    success: bool
    record_id: str | None
    created: bool
    error: str | None


class BulkClient:
    """Bulk API 2.0 jobs on a :class:`SalesforceClient` session.

    Args:
        client: the REST session (auth, retries, budget).
    """

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client

    def query(self, soql: str, *, include_deleted: bool = True) -> Iterator[dict[str, str]]:
        """Run a query job and yield its rows as CSV text values (empty string for null).

        Args:
            soql: the query.
            include_deleted: ``queryAll`` (deleted and archived records too).

        Yields:
            Each row, column name -> text.
        """
        body = {
            "operation": "queryAll" if include_deleted else "query",
            "query": soql,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        }
        job = self.client.request("POST", "jobs/query", json=body).json()
        job_id = job["id"]
        self._wait("jobs/query", job_id)
        locator: str | None = None
        while True:
            params: dict[str, Any] = {"maxRecords": RESULTS_PAGE_SIZE}
            if locator:
                params["locator"] = locator
            response = self.client.request(
                "GET",
                f"jobs/query/{job_id}/results",
                params=params,
                headers={"Accept": "text/csv"},
            )
            yield from csv.DictReader(io.StringIO(response.content.decode("utf-8")))
            locator = response.headers.get("Sforce-Locator")
            if not locator or locator == NULL_LOCATOR:
                return

    def ingest(
        self,
        sobject: str,
        operation: str,
        rows: Sequence[dict[str, Any]],
        *,
        external_id_field: str | None = None,
    ) -> list[IngestResult]:
        """Run one ingest job over ``rows`` and return every row's outcome.

        Args:
            sobject: the object API name.
            operation: ``insert``, ``update``, ``upsert`` or ``delete``.
            rows: the records (field -> value; ``Id`` for update and delete).
            external_id_field: the upsert key.

        Returns:
            Outcomes, successes first (Salesforce does not keep the upload order).
        """
        body: dict[str, Any] = {
            "object": sobject,
            "operation": operation,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        }
        if external_id_field:
            body["externalIdFieldName"] = external_id_field
        job_id = self.client.request("POST", "jobs/ingest", json=body).json()["id"]
        self.client.request(
            "PUT",
            f"jobs/ingest/{job_id}/batches",
            data=_to_csv(rows).encode("utf-8"),
            headers={"Content-Type": "text/csv"},
        )
        self.client.request("PATCH", f"jobs/ingest/{job_id}", json={"state": "UploadComplete"})
        self._wait("jobs/ingest", job_id)
        results = [
            _ingest_result(row, success=True)
            for row in self._result_rows(f"jobs/ingest/{job_id}/successfulResults")
        ]
        results += [
            _ingest_result(row, success=False)
            for row in self._result_rows(f"jobs/ingest/{job_id}/failedResults")
        ]
        return results

    def _result_rows(self, path: str) -> list[dict[str, str]]:
        response = self.client.request("GET", path, headers={"Accept": "text/csv"})
        return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))

    def _wait(self, kind: str, job_id: str) -> dict[str, Any]:
        delay = POLL_FIRST_DELAY
        deadline = time.monotonic() + POLL_TIMEOUT
        while True:
            time.sleep(delay)
            job = self.client.get_json(f"{kind}/{job_id}")
            state = job.get("state")
            if state == "JobComplete":
                return job
            if state in DONE_STATES:
                msg = f"Bulk job {job_id} ended {state}: {job.get('errorMessage', 'no message')}"
                raise BulkJobError(msg)
            if time.monotonic() > deadline:
                msg = f"Bulk job {job_id} still {state} after {POLL_TIMEOUT:.0f} s."
                raise BulkJobError(msg)
            delay = min(POLL_MAX_DELAY, delay * 2)


def _to_csv(rows: Sequence[dict[str, Any]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_value(row.get(key)) for key in columns})
    return buffer.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return "#N/A"  # Bulk 2.0's way of setting a field to null
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ingest_result(row: dict[str, str], *, success: bool) -> IngestResult:
    record_id = row.pop("sf__Id", "") or None
    created = row.pop("sf__Created", "").lower() == "true"
    error = row.pop("sf__Error", "") or None
    return IngestResult(row, success, record_id, created, error)
