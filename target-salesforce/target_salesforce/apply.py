"""The apply step: publish rows -> sObject Collections calls, in dependency order.

Deletes go first, children before parents; then creates and updates, parents before
children, so that ``refs`` to records created in this run resolve. An object and action with
more than ``bulk_threshold`` rows goes through Bulk API 2.0 ingest jobs instead of
collection calls, in the same order and with the same reference resolution. Each call (or
job) writes its records' outcomes to the sync log as soon as it returns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from crmsync_common.objects import in_write_order
from crmsync_common.progress import Progress
from crmsync_common.synclog import SyncLog, SyncLogLine
from salesforce_client import BulkClient, IngestResult, SalesforceApiError, SalesforceClient
from simple_salesforce.format import format_soql

from target_salesforce.spool import Spool

logger = logging.getLogger(__name__)

#: sObject Collections take at most 200 records (or ids) per call.
MAX_BATCH_SIZE = 200
#: Records refused with UNABLE_TO_LOCK_ROW are sent again this many times, with backoff.
LOCK_RETRIES = 3
LOCK_RETRY_DELAY = 1.0
LOCK_ERROR = "UNABLE_TO_LOCK_ROW"
UNRESOLVED_REFERENCE = "UNRESOLVED_REFERENCE"
FIELD_NOT_WRITABLE = "FIELD_NOT_WRITABLE"
ALREADY_DELETED = "ENTITY_IS_DELETED"
DIRECTION = "fm_to_sf"
#: IN lists of the external-id lookup stay well inside SOQL's 4,000 characters per clause
#: and the URI length limit.
LOOKUP_CHUNK = 200
#: More rows than this of one object and action in a run go through Bulk API 2.0: below it,
#: collection calls cost fewer API calls than a job's create, upload, close, poll and results.
DEFAULT_BULK_THRESHOLD = 10_000
#: Rows per Bulk job: bounds the memory a job's bodies and results take.
BULK_JOB_ROWS = 100_000

#: One write call: the batch in, one Collections-shaped result per record out, in order.
Call = Callable[[list["Pending"]], list[Any]]


@dataclass
class Pending:
    """One publish row on its way to Salesforce.

    Attributes:
        row: the publish row.
        body: the sObject to send (attributes, fields, resolved refs; ``id`` on update).
    """

    row: dict[str, Any]
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """What Salesforce said about one record."""

    success: bool
    record_id: str | None = None
    error_code: str | None = None
    message: str | None = None


class Applier:
    """Applies a spool of publish rows to Salesforce.

    Args:
        client: the Salesforce session.
        sync_log: where each record's outcome goes.
        object_map: publish object -> Salesforce object.
        external_id_field: the upsert key field (None: plain inserts).
        batch_size: records per collection call (at most 200).
        bulk_threshold: rows of one object and action above which Bulk API 2.0 is used.
    """

    def __init__(
        self,
        client: SalesforceClient,
        sync_log: SyncLog,
        object_map: Mapping[str, str],
        external_id_field: str | None,
        *,
        batch_size: int = MAX_BATCH_SIZE,
        bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
    ) -> None:
        self.client = client
        self.sync_log = sync_log
        self.object_map = dict(object_map)
        self.external_id_field = external_id_field or None
        self.batch_size = max(1, min(batch_size, MAX_BATCH_SIZE))
        self.bulk_threshold = max(0, bulk_threshold)
        self.bulk = BulkClient(client)
        #: (publish object, ForceManager id) -> Salesforce id, from this run's creates.
        self.created: dict[tuple[str, str], str] = {}
        #: Records written or failed of those spooled.
        self.progress = Progress(logger, "Salesforce writes")

    # -- order ------------------------------------------------------------------------------

    def apply(self, spool: Spool) -> None:
        """Apply every spooled row.

        Args:
            spool: the run's rows.
        """
        objects = in_write_order(spool.objects())
        self.progress.set_total(sum(spool.counts.values()))
        for obj in reversed(objects):
            self._apply_deletes(
                obj, spool.rows(obj, "delete"), self._use_bulk(spool, obj, "delete")
            )
        for obj in objects:
            self._apply_creates(
                obj, spool.rows(obj, "create"), self._use_bulk(spool, obj, "create")
            )
            self._apply_updates(
                obj, spool.rows(obj, "update"), self._use_bulk(spool, obj, "update")
            )
        if self.progress.total:
            self.progress.done()

    def _use_bulk(self, spool: Spool, obj: str, action: str) -> bool:
        count = spool.counts.get((obj, action), 0)
        if count <= self.bulk_threshold:
            return False
        logger.info(
            "%s %s: %d rows, more than bulk_threshold=%d: using Bulk API 2.0.",
            obj,
            action,
            count,
            self.bulk_threshold,
        )
        return True

    def _size(self, bulk: bool) -> int:
        return BULK_JOB_ROWS if bulk else self.batch_size

    # -- actions ----------------------------------------------------------------------------

    def _apply_deletes(self, obj: str, rows: Iterable[dict[str, Any]], bulk: bool) -> None:
        call = self._bulk_call(obj, "delete") if bulk else self._delete_call
        for chunk in _chunks(rows, self._size(bulk)):
            self._send(obj, "delete", [Pending(row) for row in chunk], call)

    def _apply_creates(self, obj: str, rows: Iterable[dict[str, Any]], bulk: bool) -> None:
        size = self._size(bulk)
        upserts: list[Pending] = []
        inserts: list[Pending] = []
        for chunk in _chunks(rows, size):
            for pending in self._prepare(obj, "create", chunk):
                key = self.external_id_field
                target = upserts if key and pending.body.get(key) not in (None, "") else inserts
                target.append(pending)
                if len(target) == size:
                    self._send_creates(obj, target, upsert=target is upserts, bulk=bulk)
                    target.clear()
        if upserts:
            self._send_creates(obj, upserts, upsert=True, bulk=bulk)
        if inserts:
            self._send_creates(obj, inserts, upsert=False, bulk=bulk)

    def _send_creates(self, obj: str, batch: list[Pending], *, upsert: bool, bulk: bool) -> None:
        sobject = self.object_map[obj]
        call: Call
        if bulk:
            call = self._bulk_call(obj, "upsert" if upsert else "insert")
        elif upsert:
            call = self._collection_call(
                "PATCH", f"composite/sobjects/{sobject}/{self.external_id_field}"
            )
        else:
            call = self._collection_call("POST", "composite/sobjects")
        self._send(obj, "create", list(batch), call)

    def _apply_updates(self, obj: str, rows: Iterable[dict[str, Any]], bulk: bool) -> None:
        call = (
            self._bulk_call(obj, "update")
            if bulk
            else self._collection_call("PATCH", "composite/sobjects")
        )
        for chunk in _chunks(rows, self._size(bulk)):
            batch = self._prepare(obj, "update", chunk)
            if batch:
                self._send(obj, "update", batch, call)

    # -- preparing bodies -------------------------------------------------------------------

    def _prepare(self, obj: str, action: str, rows: list[dict[str, Any]]) -> list[Pending]:
        """Build the bodies; rows whose references cannot resolve are logged as failed."""
        sobject = self.object_map[obj]
        self._lookup_missing_refs(rows)
        ready: list[Pending] = []
        failed: list[SyncLogLine] = []
        for row in rows:
            refused = self._not_writable(obj, action, _as_dict(row.get("fields")))
            if refused:
                outcome = Outcome(False, None, FIELD_NOT_WRITABLE, refused)
                failed.append(self._line(obj, action, row, outcome))
                continue
            body: dict[str, Any] = {"attributes": {"type": sobject}}
            body.update(_as_dict(row.get("fields")))
            unresolved = []
            for ref_field, ref in _as_dict(row.get("refs")).items():
                resolved = self._resolve(ref)
                if resolved is None:
                    unresolved.append(f"{ref_field} -> {ref.get('object')} {_ref_key(ref)}")
                else:
                    body[ref_field] = resolved
            if unresolved:
                message = "Referenced record not found: " + ", ".join(unresolved)
                failed.append(
                    self._line(
                        obj, action, row, Outcome(False, None, UNRESOLVED_REFERENCE, message)
                    )
                )
                continue
            if action == "update":
                body["id"] = row.get("salesforce_id")
            ready.append(Pending(row, body))
        self.sync_log.write(failed)
        self.progress.tick(len(failed))
        return ready

    def _not_writable(self, obj: str, action: str, fields: dict[str, Any]) -> str | None:
        """Why describe refuses a field the plan sends for this action, or None.

        The plan leaves out fields Salesforce does not let the API write; one sent anyway means
        the org's metadata changed since the tap last read it. The record is refused whole and
        logged as failed (never written without the field and logged as a success), so its
        change is retried once the next extract has read the new metadata.
        """
        describe = self.client.describe(self.object_map[obj])
        flag = "createable" if action == "create" else "updateable"
        allowed = {f["name"]: bool(f.get(flag)) for f in describe.get("fields", [])}
        refused = [
            f"{name} ({'not a field' if name not in allowed else f'not {flag}'})"
            for name in fields
            if not allowed.get(name)
        ]
        if not refused:
            return None
        return f"Salesforce does not allow writing {', '.join(refused)} on {action}"

    def _resolve(self, ref: Mapping[str, Any]) -> str | None:
        if ref.get("salesforce_id"):
            return str(ref["salesforce_id"])
        return self.created.get((str(ref.get("object")), _ref_key(ref)))

    def _lookup_missing_refs(self, rows: list[dict[str, Any]]) -> None:
        """One query per referenced object for references this run did not create."""
        if not self.external_id_field:
            return
        missing: dict[str, set[str]] = {}
        for row in rows:
            for ref in _as_dict(row.get("refs")).values():
                if not ref.get("salesforce_id") and self._resolve(ref) is None:
                    missing.setdefault(str(ref.get("object")), set()).add(_ref_key(ref))
        for obj, keys in missing.items():
            sobject = self.object_map.get(obj)
            if not sobject:
                continue
            ordered = sorted(keys)
            for start in range(0, len(ordered), LOOKUP_CHUNK):
                values = ordered[start : start + LOOKUP_CHUNK]
                soql = format_soql(
                    f"SELECT Id, {self.external_id_field} FROM {sobject} "
                    f"WHERE {self.external_id_field} IN {{values}}",
                    values=values,
                )
                for record in self.client.query(soql):
                    self.created[(obj, str(record[self.external_id_field]))] = record["Id"]

    # -- calls ------------------------------------------------------------------------------

    def _collection_call(self, method: str, path: str) -> Call:
        """A write of up to 200 records' bodies through one sObject Collections call."""

        def call(batch: list[Pending]) -> list[Any]:
            body = {"allOrNone": False, "records": [pending.body for pending in batch]}
            return self.client.request(method, path, json=body).json()

        return call

    def _delete_call(self, batch: list[Pending]) -> list[Any]:
        ids = ",".join(str(p.row.get("salesforce_id")) for p in batch)
        params = {"ids": ids, "allOrNone": "false"}
        return self.client.request("DELETE", "composite/sobjects", params=params).json()

    def _bulk_call(self, obj: str, operation: str) -> Call:
        """A write through one Bulk 2.0 job, its results shaped as collection results."""
        sobject = self.object_map[obj]
        key = self.external_id_field if operation == "upsert" else None

        def call(batch: list[Pending]) -> list[Any]:
            rows = [_bulk_row(pending, operation) for pending in batch]
            results = self.bulk.ingest(sobject, operation, rows, external_id_field=key)
            return [_collection_result(result) for result in results]

        return call

    def _send(self, obj: str, action: str, batch: list[Pending], call: Call) -> None:
        """Send a batch; log each outcome; send lock-refused records again with backoff."""
        for attempt in range(LOCK_RETRIES + 1):
            outcomes = self._call(batch, call)
            retry = [
                p
                for p, o in zip(batch, outcomes, strict=True)
                if o.error_code == LOCK_ERROR and attempt < LOCK_RETRIES
            ]
            done = [(p, o) for p, o in zip(batch, outcomes, strict=True) if p not in retry]
            self._record(obj, action, done)
            if not retry:
                return
            logger.info("%s %s: %d records locked, retrying.", obj, action, len(retry))
            time.sleep(LOCK_RETRY_DELAY * 2**attempt)
            batch = retry

    def _call(self, batch: list[Pending], call: Call) -> list[Outcome]:
        """Make one collection call and read one outcome per record.

        Deleting a record that is already deleted counts as done, so a re-run converges.
        """
        try:
            results = call(batch)
        except SalesforceApiError as exc:
            # The whole call was refused (a malformed request, an unknown object or field):
            # every record of it failed with that error, the others carry on.
            return [Outcome(False, None, exc.error_code, exc.message) for _ in batch]
        outcomes = [_outcome(result) for result in results]
        for pending, outcome in zip(batch, outcomes, strict=True):
            if outcome.error_code == ALREADY_DELETED and not pending.body:  # a delete
                outcome.success, outcome.error_code, outcome.message = True, None, None
        return outcomes

    def _record(self, obj: str, action: str, done: list[tuple[Pending, Outcome]]) -> None:
        lines = []
        for pending, outcome in done:
            if outcome.success and action == "create" and outcome.record_id:
                fm_id = pending.row.get("forcemanager_id")
                if fm_id is not None:
                    self.created[(obj, str(fm_id))] = outcome.record_id
            lines.append(self._line(obj, action, pending.row, outcome))
        self.sync_log.write(lines)
        self.progress.tick(len(lines))

    def _line(self, obj: str, action: str, row: dict[str, Any], outcome: Outcome) -> SyncLogLine:
        return SyncLogLine(
            run_id=str(row.get("run_id") or "unknown"),
            object=obj,
            action=action,  # type: ignore[arg-type]
            direction=DIRECTION,
            salesforce_id=outcome.record_id or row.get("salesforce_id"),
            forcemanager_id=row.get("forcemanager_id"),
            status="success" if outcome.success else "error",
            error_code=outcome.error_code,
            error_message=outcome.message,
        )


def _outcome(result: Mapping[str, Any]) -> Outcome:
    if result.get("success"):
        return Outcome(True, result.get("id"))
    errors = result.get("errors") or [{}]
    first = errors[0]
    message = "; ".join(str(e.get("message", "")) for e in errors)
    return Outcome(False, result.get("id"), str(first.get("statusCode", "UNKNOWN_ERROR")), message)


def _bulk_row(pending: Pending, operation: str) -> dict[str, Any]:
    """The CSV row of a record: ``Id`` alone for a delete, else the body without
    ``attributes`` and with ``id`` spelt as Bulk's ``Id`` column."""
    if operation == "delete":
        return {"Id": pending.row.get("salesforce_id")}
    row = {k: v for k, v in pending.body.items() if k not in {"attributes", "id"}}
    if "id" in pending.body:
        row = {"Id": pending.body["id"], **row}
    return row


def _collection_result(result: IngestResult) -> dict[str, Any]:
    """A Bulk result in the shape of an sObject Collections result."""
    if result.success:
        return {"success": True, "id": result.record_id, "errors": []}
    error = {
        "statusCode": result.error_code or "UNKNOWN_ERROR",
        "message": result.error_message or "",
    }
    return {"success": False, "id": result.record_id, "errors": [error]}


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        import json  # noqa: PLC0415 - only for rows whose JSON columns arrive as text

        value = json.loads(value or "{}")
    return dict(value or {})


def _ref_key(ref: Mapping[str, Any]) -> str:
    return str(ref.get("forcemanager_id"))
