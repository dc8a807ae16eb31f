"""Bulk API 2.0 query and ingest jobs."""

from __future__ import annotations

import csv
import io
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from salesforce_client.client import SalesforceClient
from salesforce_client.exceptions import (
    BulkJobError,
    SalesforceApiError,
    SalesforceClientError,
)

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
#: One upload may hold 150 MB of CSV; staying well below leaves room for the encoding.
MAX_UPLOAD_BYTES = 100_000_000
#: Operations whose rows carry the record id, which identifies them in the results.
ID_OPERATIONS = frozenset({"update", "delete", "hardDelete"})
ID_COLUMN = "Id"
#: A CSV cell that sets the field to null (an empty cell leaves it unchanged).
CSV_NULL = "#N/A"
#: Error code of a row that a job returned no result for.
UNPROCESSED = "UNPROCESSED"


@dataclass(frozen=True)
class IngestResult:
    """The outcome of one record of an ingest job.

    Attributes:
        row: the row as uploaded (CSV column -> text).
        success: whether Salesforce wrote it.
        record_id: the record id (``sf__Id``), if any.
        created: whether it was created (upsert, insert).
        error: ``sf__Error`` on failure: ``STATUS_CODE:message:fields --``.
    """

    row: dict[str, str]
    success: bool
    record_id: str | None
    created: bool
    error: str | None

    @property
    def error_code(self) -> str | None:
        """The status code of :attr:`error` (``REQUIRED_FIELD_MISSING``, ...)."""
        return _split_error(self.error)[0] if self.error else None

    @property
    def error_message(self) -> str | None:
        """The message of :attr:`error`, without its code and field list."""
        return _split_error(self.error)[1] if self.error else None


class BulkClient:
    """Bulk API 2.0 jobs on a :class:`SalesforceClient` session.

    Args:
        client: the REST session (auth, retries, budget).
    """

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client

    def query(
        self,
        soql: str,
        *,
        include_deleted: bool = True,
        on_total: Callable[[int], None] | None = None,
    ) -> Iterator[dict[str, str]]:
        """Run a query job and yield its rows as CSV text values (empty string for null).

        Args:
            soql: the query.
            include_deleted: ``queryAll`` (deleted and archived records too).
            on_total: called, before the first row, with the rows the finished job holds (its
                info's ``numberRecordsProcessed``), when the info gives that count.

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
        info = self._wait("jobs/query", job_id)
        total = info.get("numberRecordsProcessed")
        if on_total is not None and isinstance(total, int) and not isinstance(total, bool):
            on_total(total)
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
        rows: Sequence[Mapping[str, Any]],
        *,
        external_id_field: str | None = None,
    ) -> list[IngestResult]:
        """Write ``rows`` through ingest jobs and return each row's outcome, in row order.

        One job takes them all unless the CSV outgrows :data:`MAX_UPLOAD_BYTES`. Salesforce
        does not keep the upload order in its results, so each result row is matched back by
        the row's own key columns, which the results repeat: ``Id`` for updates and deletes,
        the external id for upserts, every column for inserts. A key missing from the row
        writes nothing in the CSV cell (the field is left as is); ``None`` writes ``#N/A``
        (the field is cleared).

        Args:
            sobject: the object API name.
            operation: ``insert``, ``update``, ``upsert``, ``delete`` or ``hardDelete``.
            rows: the records (field -> value; ``Id`` for update and delete).
            external_id_field: the upsert key (required for ``upsert``).

        Returns:
            One outcome per row, in the order of ``rows``; a row the job reported nothing
            about (it failed or was aborted first) fails with ``UNPROCESSED``.

        Raises:
            ValueError: an upsert without ``external_id_field``.
        """
        if operation == "upsert" and not external_id_field:
            msg = "An upsert needs external_id_field."
            raise ValueError(msg)
        columns = _columns(rows)
        uploaded = [[_cell(row, column) for column in columns] for row in rows]
        keys = _key_columns(operation, columns, external_id_field)
        body: dict[str, Any] = {
            "object": sobject,
            "operation": operation,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        }
        if operation == "upsert":
            body["externalIdFieldName"] = external_id_field
        results: list[IngestResult] = []
        for part in _upload_parts(columns, uploaded):
            job = self._run_ingest_job(body, part)
            results += _match(columns, part.rows, keys, job)
        return results

    def _run_ingest_job(self, body: dict[str, Any], part: _UploadPart) -> _IngestJob:
        """Create, fill, close and wait for one job; fetch only the result files it has."""
        job_id = self.client.request("POST", "jobs/ingest", json=body).json()["id"]
        try:
            self.client.request(
                "PUT",
                f"jobs/ingest/{job_id}/batches",
                data=part.csv.encode("utf-8"),
                headers={"Content-Type": "text/csv"},
            )
            self._upload_complete(job_id)
        except SalesforceClientError:
            self._abort(job_id)
            raise
        info = self._wait("jobs/ingest", job_id, fail=False)
        processed = int(info.get("numberRecordsProcessed") or 0)
        failed = int(info.get("numberRecordsFailed") or 0)
        job = _IngestJob(job_id, str(info.get("state")), str(info.get("errorMessage") or ""))
        if processed > failed:
            job.successes = self._result_rows(f"jobs/ingest/{job_id}/successfulResults")
        if failed:
            job.failures = self._result_rows(f"jobs/ingest/{job_id}/failedResults")
        if job.state != "JobComplete":
            logger.warning(
                "Bulk job %s on %s ended %s: %s", job_id, body["object"], job.state, job.message
            )
        return job

    def _upload_complete(self, job_id: str) -> None:
        """Close the upload; a refusal because the job is already closed means an earlier
        attempt went through but its reply was lost, which is fine."""
        path = f"jobs/ingest/{job_id}"
        try:
            self.client.request("PATCH", path, json={"state": "UploadComplete"})
        except SalesforceApiError as exc:
            if exc.status >= 500 or self.client.get_json(path).get("state") == "Open":
                raise
            logger.info("Bulk job %s was already closed for upload.", job_id)

    def _abort(self, job_id: str) -> None:
        """Abort a job left open by a failed upload, so it does not linger in the org."""
        try:
            self.client.request("PATCH", f"jobs/ingest/{job_id}", json={"state": "Aborted"})
        except SalesforceClientError as exc:
            logger.warning("Could not abort Bulk job %s: %s", job_id, exc)

    def _result_rows(self, path: str) -> list[dict[str, str]]:
        response = self.client.request("GET", path, headers={"Accept": "text/csv"})
        return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))

    def _wait(self, kind: str, job_id: str, *, fail: bool = True) -> dict[str, Any]:
        """Poll a job until it ends; return its info.

        Raises:
            BulkJobError: the job ended ``Failed`` or ``Aborted`` (when ``fail``), or is
                still running after :data:`POLL_TIMEOUT`.
        """
        delay = POLL_FIRST_DELAY
        deadline = time.monotonic() + POLL_TIMEOUT
        while True:
            time.sleep(delay)
            job = self.client.get_json(f"{kind}/{job_id}")
            state = job.get("state")
            if state == "JobComplete":
                return job
            if state in DONE_STATES and not fail:
                return job
            if state in DONE_STATES:
                msg = f"Bulk job {job_id} ended {state}: {job.get('errorMessage', 'no message')}"
                raise BulkJobError(msg)
            if time.monotonic() > deadline:
                msg = f"Bulk job {job_id} still {state} after {POLL_TIMEOUT:.0f} s."
                raise BulkJobError(msg)
            delay = min(POLL_MAX_DELAY, delay * 2)


@dataclass
class _UploadPart:
    """The rows of one job and their CSV text."""

    rows: list[list[str]]
    csv: str


@dataclass
class _IngestJob:
    """What one finished ingest job reported."""

    id: str
    state: str
    message: str
    successes: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _cell(row: Mapping[str, Any], column: str) -> str:
    if column not in row:
        return ""  # an empty cell leaves the field as it is
    value = row[column]
    if value is None:
        return CSV_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv_line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def _upload_parts(columns: list[str], rows: list[list[str]]) -> Iterator[_UploadPart]:
    """Split the rows into CSV uploads of at most :data:`MAX_UPLOAD_BYTES` each."""
    header = _csv_line(columns)
    lines: list[str] = []
    part: list[list[str]] = []
    size = len(header.encode("utf-8"))
    for values in rows:
        line = _csv_line(values)
        line_size = len(line.encode("utf-8"))
        if part and size + line_size > MAX_UPLOAD_BYTES:
            yield _UploadPart(part, header + "".join(lines))
            lines, part, size = [], [], len(header.encode("utf-8"))
        lines.append(line)
        part.append(values)
        size += line_size
    if part:
        yield _UploadPart(part, header + "".join(lines))


def _key_columns(operation: str, columns: list[str], external_id_field: str | None) -> list[str]:
    """The columns that identify a row in the results (which repeat the uploaded row)."""
    if operation in ID_OPERATIONS:
        return [ID_COLUMN]
    if operation == "upsert" and external_id_field:
        return [external_id_field]
    return list(columns)


def _match(
    columns: list[str], uploaded: list[list[str]], keys: list[str], job: _IngestJob
) -> list[IngestResult]:
    """Give each uploaded row its result; rows sharing a key take results in turn."""
    waiting: dict[tuple[str, ...], deque[int]] = defaultdict(deque)
    for index, values in enumerate(uploaded):
        row = dict(zip(columns, values, strict=True))
        waiting[tuple(row[key] for key in keys)].append(index)
    matched: dict[int, IngestResult] = {}
    strays = 0
    for returned, success in [(r, True) for r in job.successes] + [
        (r, False) for r in job.failures
    ]:
        result = _ingest_result(returned, success=success)
        queue = waiting.get(_result_key(result, keys))
        if queue:
            matched[queue.popleft()] = result
        else:
            strays += 1
    if strays:
        logger.warning("Bulk job %s: %d result rows matched no uploaded row.", job.id, strays)
    missing = f"{UNPROCESSED}:Bulk job {job.id} ({job.state}) reported nothing on this row"
    if job.message:
        missing += f": {job.message}"
    return [
        matched.get(index)
        or IngestResult(dict(zip(columns, values, strict=True)), False, None, False, missing)
        for index, values in enumerate(uploaded)
    ]


def _result_key(result: IngestResult, keys: list[str]) -> tuple[str, ...]:
    if keys == [ID_COLUMN] and not result.row.get(ID_COLUMN):
        return (result.record_id or "",)
    return tuple(result.row.get(key, "") for key in keys)


def _ingest_result(row: dict[str, str], *, success: bool) -> IngestResult:
    record_id = row.pop("sf__Id", "") or None
    created = row.pop("sf__Created", "").lower() == "true"
    error = row.pop("sf__Error", "") or None
    return IngestResult(row, success, record_id, created, error)


def _split_error(error: str) -> tuple[str, str]:
    """``CODE:message:fields --`` -> (code, message); the message may hold colons itself."""
    text = error.strip().removesuffix("--").strip()
    code, _, rest = text.partition(":")
    if not rest:
        return code or "UNKNOWN_ERROR", text
    message = rest.rsplit(":", 1)[0] if ":" in rest else rest
    return code, message.strip()
