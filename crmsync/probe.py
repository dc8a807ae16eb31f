"""The quiet-cycle probe: decide before `meltano run` starts whether a 15-minute cycle is quiet.

A quiet cycle run through Meltano (`crmsync.quiet`) still starts about ten processes: the access
check, both taps with their loaders, then steps that end at once. The probe asks the same
question in one process, before Meltano: `crmsync probe` (the cron wrapper
`orchestrate/run-job.sh`) and the Dagster op (in-process) run it first, and start
`meltano run sync-incremental` only when it does not find the cycle quiet.

It finds the cycle quiet only when all of these hold, and otherwise (including whenever it
cannot tell: an error, a missing table, an unreadable marker) the full job runs:
- the last cycle settled or was quiet (the quiet marker), and the last full cycle is younger than
  `CRMSYNC_FULL_CYCLE_MINUTES` (the full cycle also runs the taps' metadata and value-list checks);
- the plan's inputs in the warehouse are exactly what that settled cycle left (no killed run
  loaded anything since, the settings file and the dbt project are unchanged), and no sync-log
  file waits to be collected;
- neither CRM holds a record (of a synced object, deleted ones included, or a user) changed
  since what the warehouse holds: Salesforce answers `queryAll` for `SystemModstamp` after the
  newest stamp the raw table has (less the taps' lookback), ForceManager its list endpoints for
  records created, updated or deleted after the newest audit date there (less the lookback), and
  every record returned must already be in the raw table with the same stamp. A window that
  returns more than `MAX_PROBE_ROWS` rows is not checked further: the full job runs.

A quiet probe records the run as the quiet path in Meltano does: a row in `main.sync_quiet_runs`
and zero rows in `main.sync_stats` (`crmsync.quiet`), the probe's API calls under that run
(`crmsync_log.api_call_counts`, as the step `crmsync:probe`), the quiet marker's time (for the
Dagster op) and the run report.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
from crmsync_common.apicalls import LEDGER, CallRecorder, begin_cycle
from crmsync_common.atrest import OWNER_ONLY_UMASK
from crmsync_common.objects import CATALOGUE
from crmsync_common.quiet import read_marker

from crmsync import quiet, warehouse
from crmsync.settings import load_settings

logger = logging.getLogger(__name__)

PROBE_STEP = "crmsync:probe"
QUIET_MESSAGE = (
    "quiet cycle: nothing changed on either side, no pending retry, write or due check; "
    "meltano run was not started"
)
#: The taps' default lookback (both `lookback_seconds`); their variables override it.
DEFAULT_LOOKBACK_SECONDS = 300
LOOKBACK_VARIABLES = ("TAP_SALESFORCE_LOOKBACK_SECONDS", "TAP_FORCEMANAGER_LOOKBACK_SECONDS")
#: Without a stamp in a raw table (no records yet), the window starts this long before the
#: settled cycle: every record in it must be in the warehouse already.
EMPTY_TABLE_WINDOW = timedelta(days=1)
#: More changed-looking rows than this in one window: the full job reads them anyway.
MAX_PROBE_ROWS = 2000
#: ForceManager's list filters per synced object's table (events and tasks share `calendar`).
FORCEMANAGER_FILTERS = {"events": "task = false", "tasks": "task = true"}
FORCEMANAGER_AUDIT = ("datecreated", "dateupdated", "datedeleted")


class Undecided(Exception):  # noqa: N818 - the probe cannot tell: the full job runs
    """The probe cannot tell whether the cycle is quiet."""


def _lookback(environ: Mapping[str, str]) -> timedelta:
    seconds = DEFAULT_LOOKBACK_SECONDS
    values = [environ.get(name, "").strip() for name in LOOKBACK_VARIABLES]
    if any(values):
        try:
            seconds = max(int(value) for value in values if value)
        except ValueError:
            seconds = DEFAULT_LOOKBACK_SECONDS
    return timedelta(seconds=max(seconds, 0))


def parse_moment(value: object) -> datetime | None:
    """A timestamp from an API or the warehouse, as an aware UTC datetime; None if empty."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:  # Salesforce's `...000+0000`, ForceManager's and DuckDB's forms
            moment = datetime.fromisoformat(str(value).strip().replace(" ", "T"))
        except ValueError:
            raise Undecided(f"unreadable timestamp {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _settled_inputs(now: datetime) -> dict[str, str]:
    """The settled cycle's inputs, when the marker lets a cycle be quiet at all."""
    marker = read_marker()
    settled = marker.get("settled")
    if not isinstance(settled, dict) or not isinstance(settled.get("inputs"), dict):
        raise Undecided("no earlier cycle settled")
    candidate = marker.get("candidate")
    if isinstance(candidate, dict) and marker.get("skip") != candidate.get("token"):
        raise Undecided("the last cycle did not finish")
    try:
        at = datetime.fromisoformat(str(settled.get("at")))
    except ValueError:
        raise Undecided("the settled cycle has no time") from None
    if now - at >= timedelta(minutes=quiet.full_cycle_minutes()):
        raise Undecided(
            f"the last full cycle is older than {quiet.full_cycle_minutes():g} minutes "
            f"({quiet.FULL_CYCLE_VARIABLE}): a full cycle is due"
        )
    return {"at": at.isoformat(), **settled["inputs"]}


def _raw_stamps(
    connection: duckdb.DuckDBPyConnection, schema: str, table: str, stamp_sql: str
) -> dict[str, datetime | None]:
    if not warehouse.table_exists(connection, schema, table):
        raise Undecided(f"{schema}.{table} is missing")
    rows = connection.execute(
        f'select cast(id as varchar), cast({stamp_sql} as varchar) from {schema}."{table}"'
    ).fetchall()
    return {str(record_id): parse_moment(stamp) for record_id, stamp in rows}


def _window_start(
    stamps: dict[str, datetime | None], settled_at: datetime, lookback: timedelta
) -> datetime:
    known = [stamp for stamp in stamps.values() if stamp is not None]
    return max(known) - lookback if known else settled_at - EMPTY_TABLE_WINDOW


def _changed(
    side: str, table: str, returned: list[tuple[str, datetime | None]], raw: dict[str, Any]
) -> str | None:
    if len(returned) > MAX_PROBE_ROWS:
        return f"{side} {table}: more than {MAX_PROBE_ROWS} records in the window"
    for record_id, stamp in returned:
        if record_id not in raw or raw[record_id] != stamp:
            return f"{side} {table}: record {record_id} changed"
    return None


def _synced(settings: Any) -> list[Any]:
    return [obj for obj in CATALOGUE if settings.objects.get(obj.name, "off") != "off"]


def _salesforce_changes(
    connection: duckdb.DuckDBPyConnection,
    environ: Mapping[str, str],
    objects: list[Any],
    settled_at: datetime,
    lookback: timedelta,
) -> str | None:
    from crmsync.access import salesforce_client  # noqa: PLC0415 - the probe's own client

    sobjects = sorted({obj.salesforce_object for obj in objects} | {"User"})
    client = salesforce_client(environ)
    try:
        for sobject in sobjects:
            table = sobject.lower()
            raw = _raw_stamps(connection, "raw_salesforce", table, "systemmodstamp")
            since = _window_start(raw, settled_at, lookback)
            literal = since.strftime("%Y-%m-%dT%H:%M:%S.") + f"{since.microsecond // 1000:03d}Z"
            # queryAll: deleted (recycle bin) records come too, their stamp moved by the delete
            soql = f"SELECT Id, SystemModstamp FROM {sobject} WHERE SystemModstamp > {literal}"
            returned = []
            for record in client.query(soql, include_deleted=sobject != "User"):
                returned.append((str(record["Id"]), parse_moment(record.get("SystemModstamp"))))
                if len(returned) > MAX_PROBE_ROWS:
                    break
            reason = _changed("Salesforce", sobject, returned, raw)
            if reason:
                return reason
    finally:
        client.close()
    return None


def _audit_stamp(record: Mapping[str, Any]) -> datetime | None:
    stamps = [
        parse_moment(record.get(name)) for name in ("dateCreated", "dateUpdated", "dateDeleted")
    ]
    known = [stamp for stamp in stamps if stamp is not None]
    return max(known) if known else None


def _forcemanager_changes(
    connection: duckdb.DuckDBPyConnection,
    environ: Mapping[str, str],
    objects: list[Any],
    settled_at: datetime,
    lookback: timedelta,
) -> str | None:
    from forcemanager_client.where import all_of, changed_since  # noqa: PLC0415

    from crmsync.access import forcemanager_client  # noqa: PLC0415 - the probe's own client

    latest = (
        "greatest(" + ", ".join(f"try_cast({c} as timestamptz)" for c in FORCEMANAGER_AUDIT) + ")"
    )
    tables = [*sorted({obj.name for obj in objects}), "users"]
    client = forcemanager_client(environ)
    try:
        for table in tables:
            raw = _raw_stamps(connection, "raw_forcemanager", table, latest)
            if table == "users":  # read in full every cycle: the whole list is compared
                path, where = "/users", None
            else:
                resource = next(obj.forcemanager_resource for obj in objects if obj.name == table)
                since = _window_start(raw, settled_at, lookback)
                path = f"/{resource}"
                where = all_of(FORCEMANAGER_FILTERS.get(table), changed_since(since))
            returned = []
            for page in client.iter_pages(path, where=where):
                returned.extend((str(record["id"]), _audit_stamp(record)) for record in page)
                if len(returned) > MAX_PROBE_ROWS:
                    break
            if table == "users" and set(raw) != {record_id for record_id, _ in returned}:
                return "ForceManager users: a user was added or removed"
            reason = _changed("ForceManager", table, returned, raw)
            if reason:
                return reason
    finally:
        client.close()
    return None


def decide(environ: Mapping[str, str] | None = None) -> str | None:
    """Probe both CRMs and the warehouse; None when the cycle is quiet, else why it is not.

    Any error (a CRM unreachable, credentials missing, the warehouse busy) is a reason: the
    full job runs and reports it the usual way.
    """
    environ = os.environ if environ is None else environ
    now = datetime.now(UTC)
    try:
        inputs = _settled_inputs(now)
        settled_at = datetime.fromisoformat(inputs.pop("at"))
        if quiet.pending_log_files():
            return "sync-log files are waiting to be collected"
        settings = load_settings()
        with warehouse.connect(read_only=True) as connection:
            current = quiet.fingerprint(connection)
            if current != inputs:
                changed = sorted(
                    k for k in set(current) | set(inputs) if current.get(k) != inputs.get(k)
                )
                return f"changed since the last full cycle: {', '.join(changed[:6])}"
            objects = _synced(settings)
            lookback = _lookback(environ)
            return _salesforce_changes(
                connection, environ, objects, settled_at, lookback
            ) or _forcemanager_changes(connection, environ, objects, settled_at, lookback)
    except Undecided as exc:
        return str(exc)
    except Exception as exc:
        return f"the probe could not decide ({type(exc).__name__})"


def run(environ: Mapping[str, str] | None = None) -> str | None:
    """Probe; when the cycle is quiet, record it (as a quiet `meltano run` does).

    Starts a cycle first (as `crmsync preflight` does), so the probe's API calls are recorded
    under it, and belong to the quiet run when it is quiet (a full job starts its own cycle).

    Returns:
        None when the cycle was quiet and is recorded; otherwise why the full job must run.
    """
    begin_cycle()
    calls = _CallsSince(LEDGER.counts())
    reason = decide(environ)
    with contextlib.suppress(OSError):  # the counts must never fail the cycle
        CallRecorder(PROBE_STEP, ledger=calls).flush(force=True)  # type: ignore[arg-type]
    if reason is not None:
        logger.info("full cycle: %s", reason)
        return reason
    from crmsync import report_html, steps  # noqa: PLC0415 - only a quiet probe records

    with warehouse.connect() as connection:
        quiet.record_probe_quiet_run(connection)
        steps.collect_calls(connection, warehouse.sync_log_dir())
    logger.info(QUIET_MESSAGE)
    report_html.write(None)
    return None


class _CallsSince:
    """The calls this process sent since `before` (`LEDGER` counts a whole process's calls; the
    Dagster process probes many tenants), shaped as the ledger a `CallRecorder` writes."""

    def __init__(self, before: dict[str, dict[str, int]]) -> None:
        self.before = before
        self.version = 0

    def counts(self) -> dict[str, dict[str, int]]:
        now = LEDGER.counts()
        return {
            side: {
                name: value - self.before.get(side, {}).get(name, 0)
                for name, value in counts.items()
            }
            for side, counts in now.items()
        }


_ENVIRONMENT_LOCK = threading.Lock()


def run_in(environment: Mapping[str, str]) -> str | None:
    """`run` in-process with a tenant's environment (the Dagster op), one probe at a time.

    crmsync reads its paths and credentials from `os.environ`: the process's environment is the
    tenant's for the probe's duration (and its umask owner-only), then restored.
    """
    with _ENVIRONMENT_LOCK:
        saved = dict(os.environ)
        previous_umask = os.umask(OWNER_ONLY_UMASK)
        os.environ.clear()
        os.environ.update(environment)
        try:
            return run(environment)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            os.umask(previous_umask)
