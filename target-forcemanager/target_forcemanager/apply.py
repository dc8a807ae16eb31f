"""Apply a run's publish rows to ForceManager in dependency order, rate-limited and logged.

Order: extra-field definitions, then deletes (children before parents), then creates and
updates object by object (parents before children), so a `refs` entry always points at a
record this run already created. Writes run on a thread pool bounded by `max_concurrency`,
all sharing the client's rate limiter; each finished call appends its sync-log line at once.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from crmsync_common.objects import DELETE_ORDER, FORCEMANAGER_RESOURCES, OBJECTS, in_write_order
from crmsync_common.progress import Progress
from crmsync_common.synclog import Action, SyncLog, SyncLogLine
from forcemanager_client import (
    ForceManagerAPIError,
    ForceManagerAuthError,
    ForceManagerClient,
    ForceManagerRecordError,
    ForceManagerTransientError,
)
from forcemanager_client.client import EXT_ID_LOOKUP_CHUNK

from target_forcemanager.exceptions import RunAbortedError, UnresolvedReferenceError
from target_forcemanager.spool import Spool

logger = logging.getLogger(__name__)

EXTRA_FIELDS_STREAM = "extra_fields"

DIRECTION = "sf_to_fm"

#: Error code logged for a reference that could not be resolved (no API call was made).
UNRESOLVED_REFERENCE_CODE = "unresolved_reference"
#: Error code logged for a row the target cannot use (no API call was made).
INVALID_ROW_CODE = "invalid_row"

#: Rows queued per worker beyond the one in flight: enough to keep the rate limiter busy
#: while the main thread prepares the next chunk, small enough to stop quickly on abort.
QUEUE_DEPTH_PER_WORKER = 2


@dataclass
class ApplyResult:
    """Counts of one run, by outcome."""

    succeeded: int = 0
    failed: int = 0
    linked: int = 0
    lines: list[SyncLogLine] = field(default_factory=list, repr=False)


class Applier:
    """Applies spooled publish rows to ForceManager."""

    def __init__(
        self,
        client: ForceManagerClient,
        sync_log: SyncLog,
        *,
        max_concurrency: int = 4,
        resource_map: dict[str, str] | None = None,
    ) -> None:
        """Prepare an applier.

        Args:
            client: The ForceManager client (its rate limiter bounds every call).
            sync_log: Where each record's outcome is written.
            max_concurrency: Worker threads, i.e. requests in flight at most.
            resource_map: Object -> ForceManager resource, on top of the defaults.
        """
        self.client = client
        self.sync_log = sync_log
        self.max_concurrency = max(1, max_concurrency)
        self.resource_map = {**FORCEMANAGER_RESOURCES, **(resource_map or {})}
        self.result = ApplyResult()
        #: (object, Salesforce id) -> ForceManager id, for this run's creates and lookups.
        self._ids: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._abort: BaseException | None = None
        #: Records written or failed of those spooled, counted under `_lock`.
        self.progress = Progress(logger, "ForceManager writes")

    def resource(self, obj: str) -> str:
        """The ForceManager resource an object is written to."""
        return self.resource_map.get(obj, obj)

    # -- the run -------------------------------------------------------------------------------
    def apply(self, spool: Spool) -> ApplyResult:
        """Apply every spooled row in dependency order.

        Raises:
            RunAbortedError: A run-level failure (credentials, API budget, unreachable API).
        """
        if spool.count(EXTRA_FIELDS_STREAM):
            self._apply_extra_fields(spool.rows(EXTRA_FIELDS_STREAM))
        objects = [s for s in spool.streams if s != EXTRA_FIELDS_STREAM]
        self.progress.set_total(sum(spool.count(obj) for obj in objects))
        ordered_writes = in_write_order(objects)
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="fm-write") as pool:
            self._pool = pool
            self._slots = threading.BoundedSemaphore(
                self.max_concurrency * (1 + QUEUE_DEPTH_PER_WORKER)
            )
            for obj in [o for o in DELETE_ORDER if o in objects] + [
                o for o in objects if o not in OBJECTS
            ]:
                self._run_phase(obj, spool.rows(obj, "delete"), self._delete_chunk)
            for obj in ordered_writes:
                self._run_phase(obj, spool.rows(obj, "create"), self._create_chunk)
                self._run_phase(obj, spool.rows(obj, "update"), self._update_chunk)
        if self.progress.total:
            self.progress.done()
        return self.result

    def _run_phase(
        self,
        obj: str,
        rows: Iterator[dict[str, Any]],
        handle_chunk: Callable[[str, list[dict[str, Any]]], list[Future[None]]],
    ) -> None:
        """Feed `rows` chunk by chunk; wait for all of them (dependents come next)."""
        futures: list[Future[None]] = []
        while chunk := list(islice(rows, EXT_ID_LOOKUP_CHUNK)):
            self._check_abort()
            futures.extend(handle_chunk(obj, chunk))
        for future in futures:
            future.result()
        self._check_abort()

    def _check_abort(self) -> None:
        if self._abort is not None:
            raise RunAbortedError(str(self._abort)) from self._abort

    # -- phases --------------------------------------------------------------------------------
    def _delete_chunk(self, obj: str, chunk: list[dict[str, Any]]) -> list[Future[None]]:
        resource = self.resource(obj)
        futures = []
        for row in chunk:
            fm_id = row.get("forcemanager_id")
            if fm_id in (None, ""):
                self._log_failure(obj, "delete", row, INVALID_ROW_CODE, "no forcemanager_id")
                continue
            futures.append(
                self._submit(obj, "delete", row, lambda r=resource, i=fm_id: self._delete(r, i))
            )
        return futures

    def _delete(self, resource: str, fm_id: int | str) -> int | str:
        self.client.delete(resource, fm_id)
        return fm_id

    def _create_chunk(self, obj: str, chunk: list[dict[str, Any]]) -> list[Future[None]]:
        resource = self.resource(obj)
        bodies = self._resolve_chunk(obj, chunk)
        ext_ids = {
            ext_id: row
            for row, body in zip(chunk, bodies, strict=True)
            if body is not None and (ext_id := _ext_id(row, body))
        }
        found = self._find_existing(obj, resource, list(ext_ids)) if ext_ids else {}
        linked: list[SyncLogLine] = []
        futures = []
        for row, body in zip(chunk, bodies, strict=True):
            if body is None:
                continue
            ext_id = _ext_id(row, body)
            if ext_id and ext_id in found:
                self._remember(obj, row, found[ext_id])
                linked.append(self._line(obj, "create", row, found[ext_id]))
                continue
            futures.append(
                self._submit(
                    obj,
                    "create",
                    row,
                    lambda b=body, e=ext_id, r=row: self._create(obj, resource, b, e, r),
                )
            )
        if linked:
            self.sync_log.write(linked)
            with self._lock:
                self.result.linked += len(linked)
                self.result.succeeded += len(linked)
        return futures

    def _create(
        self, obj: str, resource: str, body: dict[str, Any], ext_id: str | None, row: dict
    ) -> int:
        new_id = self.client.create(resource, body, ext_id=ext_id)
        self._remember(obj, row, new_id)
        return new_id

    def _update_chunk(self, obj: str, chunk: list[dict[str, Any]]) -> list[Future[None]]:
        resource = self.resource(obj)
        futures = []
        for row, body in zip(chunk, self._resolve_chunk(obj, chunk), strict=True):
            if body is None:
                continue
            fm_id = row.get("forcemanager_id")
            if fm_id in (None, ""):
                self._log_failure(obj, "update", row, INVALID_ROW_CODE, "no forcemanager_id")
                continue
            futures.append(
                self._submit(
                    obj, "update", row, lambda b=body, i=fm_id: self._update(resource, i, b)
                )
            )
        return futures

    def _update(self, resource: str, fm_id: int | str, body: dict[str, Any]) -> int | str:
        self.client.update(resource, fm_id, body)
        return fm_id

    def _apply_extra_fields(self, rows: Iterable[dict[str, Any]]) -> None:
        """Create missing extra-field definitions (one list call per resource, then POSTs)."""
        existing: dict[str, set[str]] = {}
        for row in rows:
            definition = {**row.get("fields", {}), **row}
            resource = self.resource(str(definition.get("resource") or ""))
            name = definition.get("fieldName")
            if not resource or not name:
                logger.warning("Skipping an extra-field row without resource or fieldName")
                continue
            if resource not in existing:
                existing[resource] = {
                    str(d.get("fieldName")).lower() for d in self.client.extra_fields(resource)
                }
            if str(name).lower() in existing[resource]:
                continue
            body = {
                "entity": resource,
                "fieldName": name,
                "type": definition.get("type") or "text",
            }
            values = definition.get("values")
            if isinstance(values, str):  # a JSON array kept as text by the warehouse
                values = json.loads(values)
            if values:
                body["values"] = values
            try:
                self.client.create_extra_field(resource, body)
                existing[resource].add(str(name).lower())
                logger.info("Created extra field %s on %s", name, resource)
            except ForceManagerRecordError as error:
                logger.error("Extra field %s on %s was rejected: %s", name, resource, error)

    # -- references ----------------------------------------------------------------------------
    def _resolve_chunk(self, obj: str, chunk: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
        """Each row's request body with its refs resolved; None (logged) where one fails."""
        missing: dict[str, set[str]] = {}
        for row in chunk:
            for target, sf_id in _refs(row):
                if (target, sf_id) not in self._ids:
                    missing.setdefault(target, set()).add(sf_id)
        for target, sf_ids in missing.items():
            for sf_id, fm_id in self._find_existing(
                target, self.resource(target), sorted(sf_ids)
            ).items():
                self._ids[(target, sf_id)] = fm_id
        bodies: list[dict[str, Any] | None] = []
        for row in chunk:
            try:
                bodies.append(self._body(row))
            except UnresolvedReferenceError as error:
                action = row["action"]
                self._log_failure(obj, action, row, UNRESOLVED_REFERENCE_CODE, str(error))
                bodies.append(None)
        return bodies

    def _body(self, row: dict[str, Any]) -> dict[str, Any]:
        body = dict(row.get("fields") or {})
        for name, ref in (row.get("refs") or {}).items():
            target, sf_id = ref.get("object"), ref.get("salesforce_id")
            fm_id = self._ids.get((str(target), str(sf_id)))
            if fm_id is None:
                raise UnresolvedReferenceError(
                    f"{name} refers to {target} {sf_id}, which was neither created in this run "
                    "nor found by extId"
                )
            body[name] = fm_id
        return body

    def _find_existing(self, obj: str, resource: str, ext_ids: list[str]) -> dict[str, int]:
        """Live records of `obj` by extId (calendar lookups also match the task flag)."""
        where = {"events": "task = false", "tasks": "task = true"}.get(obj)
        try:
            return self.client.find_by_ext_ids(resource, ext_ids, where=where)
        except (ForceManagerAuthError, ForceManagerTransientError) as error:
            self._abort = self._abort or error
            raise RunAbortedError(str(error)) from error

    def _remember(self, obj: str, row: dict[str, Any], fm_id: int) -> None:
        sf_id = row.get("salesforce_id")
        if sf_id:
            with self._lock:
                self._ids[(obj, str(sf_id))] = fm_id

    # -- execution and logging -----------------------------------------------------------------
    def _submit(
        self, obj: str, action: Action, row: dict[str, Any], call: Callable[[], int | str]
    ) -> Future[None]:
        self._slots.acquire()
        future = self._pool.submit(self._run_call, obj, action, row, call)
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def _run_call(
        self, obj: str, action: Action, row: dict[str, Any], call: Callable[[], int | str]
    ) -> None:
        """Make one API call and log its outcome; run-level failures abort the run."""
        if self._abort is not None:
            return
        try:
            fm_id = call()
        except ForceManagerRecordError as error:
            self._log_error(obj, action, row, error)
            return
        except (ForceManagerAuthError, ForceManagerTransientError) as error:
            self._log_error(obj, action, row, error)
            self._abort = self._abort or error
            return
        except ForceManagerAPIError as error:
            self._log_error(obj, action, row, error)
            return
        self.sync_log.write([self._line(obj, action, row, fm_id)])
        with self._lock:
            self.result.succeeded += 1
            self.progress.tick()

    def _line(self, obj: str, action: Action, row: dict[str, Any], fm_id: Any) -> SyncLogLine:
        return SyncLogLine(
            run_id=row["run_id"],
            object=obj,
            action=action,
            direction=DIRECTION,
            salesforce_id=row.get("salesforce_id"),
            forcemanager_id=fm_id,
            status="success",
        )

    def _log_error(self, obj: str, action: Action, row: dict, error: ForceManagerAPIError) -> None:
        code = error.code or (str(error.status) if error.status else type(error).__name__)
        self._log_failure(obj, action, row, code, error.message or str(error))

    def _log_failure(self, obj: str, action: Action, row: dict, code: str, message: str) -> None:
        line = SyncLogLine(
            run_id=row["run_id"],
            object=obj,
            action=action,
            direction=DIRECTION,
            salesforce_id=row.get("salesforce_id"),
            forcemanager_id=row.get("forcemanager_id"),
            status="error",
            error_code=code,
            error_message=message,
        )
        self.sync_log.write([line])
        with self._lock:
            self.result.failed += 1
            self.progress.tick()
        logger.warning(
            "%s %s of %s failed: %s", obj, action, row.get("salesforce_id"), f"{code} {message}"
        )


def _ext_id(row: dict[str, Any], body: dict[str, Any]) -> str | None:
    """The record's extId: the Salesforce id the plan put in `fields` (or the row's)."""
    value = body.get("extId") or row.get("salesforce_id")
    return str(value) if value else None


def _refs(row: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for ref in (row.get("refs") or {}).values():
        if isinstance(ref, dict) and ref.get("object") and ref.get("salesforce_id"):
            yield str(ref["object"]), str(ref["salesforce_id"])
