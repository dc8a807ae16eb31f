"""Bulk API 2.0: query jobs with CSV results paged by locator, and ingest jobs."""

from __future__ import annotations

import base64
import csv
import io
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from crmsync_sandbox.salesforce import soql
from crmsync_sandbox.salesforce.exceptions import ApiError, RecordError
from crmsync_sandbox.salesforce.rest import Ctx, json_body, json_response
from crmsync_sandbox.salesforce.sobjects import external_field, upsert_one

#: A job reports InProgress, then JobComplete this long after it was created (or uploaded).
PROCESSING_S = 0.2
#: Rows per results page when the client gives no ``maxRecords``.
DEFAULT_MAX_RECORDS = 50_000
QUERY_JOB_PREFIX = "750"
_DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
_LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
_INGEST_OPERATIONS = frozenset({"insert", "update", "upsert", "delete", "hardDelete"})
#: Value that sets a field to null in a Bulk CSV (an empty cell leaves it unchanged).
_CSV_NULL = "#N/A"


@dataclass
class Job:
    """One Bulk 2.0 job (query or ingest)."""

    id: str
    kind: str
    operation: str
    object: str
    created_by: str
    created_date: str
    version: str
    delimiter: str = "COMMA"
    line_ending: str = "LF"
    state: str = "UploadComplete"
    ready_at: float = 0.0
    external_id_field: str | None = None
    fields: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    upload: bytes | None = None
    successes: list[list[str]] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    def current_state(self) -> str:
        """Advance ``InProgress`` to ``JobComplete`` once processing time has passed."""
        if self.state in {"UploadComplete", "InProgress"} and self.ready_at:
            self.state = "JobComplete" if time.monotonic() >= self.ready_at else "InProgress"
        return self.state

    def info(self) -> dict[str, Any]:
        """Return the job info body."""
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": self.created_date,
            "systemModstamp": self.created_date,
            "state": self.current_state(),
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.version[1:]),
            "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter,
        }
        if self.kind == "query":
            done = body["state"] == "JobComplete"
            body.update(
                numberRecordsProcessed=len(self.rows) if done else 0,
                retries=0,
                totalProcessingTime=0,
            )
        else:
            body.update(
                jobType="V2Ingest",
                externalIdFieldName=self.external_id_field,
                contentUrl=f"services/data/{self.version}/jobs/ingest/{self.id}/batches",
                numberRecordsProcessed=len(self.successes) + len(self.failures),
                numberRecordsFailed=len(self.failures),
            )
        return body


class BulkJobs:
    """The org's Bulk 2.0 jobs."""

    def __init__(self) -> None:
        """Start with no jobs."""
        self.jobs: dict[str, Job] = {}


def _job(ctx: Ctx, kind: str) -> Job:
    job = ctx.state.bulk.jobs.get(ctx.request.path_params["job_id"])
    if job is None or job.kind != kind:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return job


def _format_options(body: dict[str, Any]) -> tuple[str, str]:
    delimiter = body.get("columnDelimiter", "COMMA")
    line_ending = body.get("lineEnding", "LF")
    if delimiter not in _DELIMITERS or line_ending not in _LINE_ENDINGS:
        raise ApiError(400, "INVALIDJOB", "Invalid columnDelimiter or lineEnding")
    if body.get("contentType", "CSV") != "CSV":
        raise ApiError(400, "INVALIDJOB", "Only CSV is supported as contentType")
    return delimiter, line_ending


def _new_job(ctx: Ctx, kind: str, operation: str, obj_name: str, body: dict[str, Any]) -> Job:
    delimiter, line_ending = _format_options(body)
    job = Job(
        id=ctx.org.new_id(QUERY_JOB_PREFIX),
        kind=kind,
        operation=operation,
        object=obj_name,
        created_by=ctx.user_id,
        created_date=ctx.org.clock.now(),
        version=ctx.version,
        delimiter=delimiter,
        line_ending=line_ending,
    )
    ctx.state.bulk.jobs[job.id] = job
    return job


async def create_query_job(ctx: Ctx) -> Response:
    """``POST jobs/query`` with ``{"operation": "query"|"queryAll", "query": ...}``."""
    body = await json_body(ctx.request)
    if not isinstance(body, dict) or body.get("operation") not in {"query", "queryAll"}:
        raise ApiError(400, "INVALIDJOB", "operation must be query or queryAll")
    text = str(body.get("query") or "")
    compiled = soql.compile_query(text, ctx.org.queryable_objects())
    if compiled.offset:
        raise ApiError(400, "INVALIDJOB", "OFFSET is not supported in Bulk API query jobs")
    if compiled.count_only:
        raise ApiError(400, "INVALIDJOB", "Aggregate queries are not supported by Bulk API")
    job = _new_job(ctx, "query", body["operation"], compiled.sobject.name, body)
    job.fields = compiled.fields
    records = ctx.org.records[compiled.sobject.name].values()
    job.rows = compiled.run(records, include_deleted=body["operation"] == "queryAll")
    info = job.info()  # answered as UploadComplete; processing starts now
    job.ready_at = time.monotonic() + PROCESSING_S
    ctx.state.usage.bulk_query_jobs += 1
    return json_response(info)


async def list_jobs(ctx: Ctx) -> Response:
    """``GET jobs/query`` or ``GET jobs/ingest``."""
    kind = "query" if "/jobs/query" in ctx.request.url.path else "ingest"
    jobs = [j.info() for j in ctx.state.bulk.jobs.values() if j.kind == kind]
    return json_response({"done": True, "records": jobs, "nextRecordsUrl": None})


async def query_job(ctx: Ctx) -> Response:
    """``GET``, ``PATCH`` (abort) or ``DELETE jobs/query/{id}``."""
    return _job_info_or_change(ctx, _job(ctx, "query"))


def _job_info_or_change(ctx: Ctx, job: Job) -> Response:
    method = ctx.request.method
    if method == "DELETE":
        if job.current_state() not in {"JobComplete", "Aborted", "Failed"}:
            raise ApiError(400, "INVALIDJOB", "Only jobs in a terminal state can be deleted")
        del ctx.state.bulk.jobs[job.id]
        return Response(status_code=204)
    return json_response(job.info())


async def patch_job(ctx: Ctx) -> Response:
    """``PATCH jobs/query/{id}`` or ``jobs/ingest/{id}`` with a new ``state``."""
    kind = "query" if "/jobs/query/" in ctx.request.url.path else "ingest"
    job = _job(ctx, kind)
    body = await json_body(ctx.request)
    wanted = body.get("state") if isinstance(body, dict) else None
    state = job.current_state()
    if wanted == "Aborted" and state not in {"JobComplete", "Failed", "Aborted"}:
        job.state = "Aborted"
        job.ready_at = 0.0
    elif wanted == "UploadComplete" and kind == "ingest" and state == "Open":
        _process_ingest(ctx, job)
    else:
        raise ApiError(400, "INVALIDJOB", f"Invalid state change from {state} to {wanted}")
    return json_response(job.info())


def _encode_locator(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")


def _decode_locator(locator: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(locator + "=" * (-len(locator) % 4)).decode())
    except ValueError:
        raise ApiError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}") from None


def _csv_text(job: Job, header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=_DELIMITERS[job.delimiter],
        lineterminator=_LINE_ENDINGS[job.line_ending],
        quoting=csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def query_results(ctx: Ctx) -> Response:
    """``GET jobs/query/{id}/results?maxRecords=&locator=``: CSV, paged by ``Sforce-Locator``."""
    job = _job(ctx, "query")
    if job.current_state() != "JobComplete":
        raise ApiError(412, "JOB_NOT_COMPLETE", "The job is not complete; results are not ready")
    params = ctx.request.query_params
    start = _decode_locator(params["locator"]) if params.get("locator") else 0
    try:
        size = int(params.get("maxRecords") or DEFAULT_MAX_RECORDS)
    except ValueError:
        raise ApiError(400, "INVALIDMAXRECORDS", "maxRecords must be a number") from None
    chunk = job.rows[start : start + size]
    end = start + len(chunk)
    rows = [[_cell(r.get(f)) for f in job.fields] for r in chunk]
    headers = {
        "Sforce-NumberOfRecords": str(len(chunk)),
        "Sforce-Locator": _encode_locator(end) if end < len(job.rows) else "null",
    }
    return Response(_csv_text(job, job.fields, rows), 200, headers, media_type="text/csv")


async def create_ingest_job(ctx: Ctx) -> Response:
    """``POST jobs/ingest``: answers job info with ``state: Open``."""
    body = await json_body(ctx.request)
    if not isinstance(body, dict) or body.get("operation") not in _INGEST_OPERATIONS:
        raise ApiError(
            400, "INVALIDJOB", "operation must be insert, update, upsert, delete or hardDelete"
        )
    obj = ctx.org.object_of(str(body.get("object") or ""))
    if obj is None:
        raise ApiError(
            400, "INVALIDJOB", f"Entity '{body.get('object')}' is not supported by Bulk API"
        )
    ext = None
    if body["operation"] == "upsert":
        ext = external_field(obj, str(body.get("externalIdFieldName") or "")).name
    job = _new_job(ctx, "ingest", body["operation"], obj.name, body)
    job.state = "Open"
    job.external_id_field = ext
    ctx.state.usage.bulk_batches += 1
    return json_response(job.info())


async def ingest_job(ctx: Ctx) -> Response:
    """``GET`` or ``DELETE jobs/ingest/{id}``."""
    return _job_info_or_change(ctx, _job(ctx, "ingest"))


async def upload_batch(ctx: Ctx) -> Response:
    """``PUT jobs/ingest/{id}/batches`` with the CSV data -> 201 (one upload per job)."""
    job = _job(ctx, "ingest")
    if job.state != "Open" or job.upload is not None:
        raise ApiError(409, "INVALIDJOBSTATE", "Data can be uploaded once, while the job is Open")
    job.upload = await ctx.request.body()
    return Response(status_code=201)


def _process_ingest(ctx: Ctx, job: Job) -> None:
    text = (job.upload or b"").decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_DELIMITERS[job.delimiter])
    rows = list(reader)
    job.columns = rows[0] if rows else []
    obj = ctx.org.objects[job.object]
    for row in rows[1:]:
        values = dict(zip(job.columns, row, strict=False))
        try:
            record_id, created = _ingest_row(ctx, job, obj, values)
            job.successes.append([record_id, "true" if created else "false", *row])
        except (RecordError, ApiError) as error:
            fields = ":".join(getattr(error, "fields", None) or [])
            message = f"{error.code}:{error.message}:{fields} --"
            job.failures.append([values.get("Id", ""), message, *row])
    job.state = "InProgress"
    job.ready_at = time.monotonic() + PROCESSING_S


def _ingest_row(ctx: Ctx, job: Job, obj: Any, values: dict[str, str]) -> tuple[str, bool]:
    body: dict[str, Any] = {}
    for key, raw in values.items():
        if raw == "":
            continue
        body[key] = None if raw == _CSV_NULL else raw
    if job.operation == "insert":
        return ctx.org.create(obj, body, ctx.user_id), True
    if job.operation == "upsert":
        fdef = external_field(obj, job.external_id_field or "Id")
        key = next((k for k in body if k.lower() == fdef.name.lower()), None)
        if key is None:
            raise RecordError("MISSING_ARGUMENT", f"{fdef.name} not specified", [fdef.name])
        return upsert_one(ctx, obj, fdef, str(body[key]), body)
    record_id = body.pop("Id", None) or body.pop("id", None)
    if not record_id:
        raise RecordError("MISSING_ARGUMENT", "Id not specified", ["Id"])
    if job.operation == "update":
        ctx.org.update(obj, record_id, body, ctx.user_id)
    else:
        ctx.org.delete(obj, record_id, ctx.user_id)
    return ctx.org.get_any(obj, record_id), False


async def ingest_results(ctx: Ctx) -> Response:
    """``GET jobs/ingest/{id}/successfulResults|failedResults|unprocessedrecords``."""
    job = _job(ctx, "ingest")
    if job.current_state() not in {"JobComplete", "Failed", "Aborted"}:
        raise ApiError(412, "JOB_NOT_COMPLETE", "The job is not complete; results are not ready")
    kind = ctx.request.path_params["kind"].lower()
    if kind == "successfulresults":
        return Response(
            _csv_text(job, ["sf__Id", "sf__Created", *job.columns], job.successes),
            media_type="text/csv",
        )
    if kind == "failedresults":
        return Response(
            _csv_text(job, ["sf__Id", "sf__Error", *job.columns], job.failures),
            media_type="text/csv",
        )
    if kind == "unprocessedrecords":
        return Response(_csv_text(job, job.columns, []), media_type="text/csv")
    raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
