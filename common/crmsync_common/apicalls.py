"""The API calls a step sends, counted per side and kind, and recorded per run beside the sync log.

The production clients count every HTTP request they send (each attempt: retries, logins and
re-logins included) into the process's `LEDGER`, one `CallCounter` per side. A step that talks
to a CRM starts a `CallRecorder`, which keeps its file
`<sync log dir>/<cycle>.<step>.<pid>-<random>.calls.json` up to date: rewritten atomically at
most every `FLUSH_SECONDS` while the counts move, and at exit, so a killed step loses at most
that much. `crmsync collect-log` loads the files.

A cycle is one `meltano run` job: its first step (`crmsync preflight`) writes a new cycle id to
`<sync log dir>/cycle.json`, which every later step of the job reads. The taps and the access
check run before the plan, so they cannot know the plan's run id (the id of `sync_stats`); the
collection maps the cycle to it.

The files hold counts, step names and ids only: no URL, header or credential.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import tempfile
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from crmsync_common.paths import sync_log_dir

Side = Literal["salesforce", "forcemanager"]
SIDES: tuple[Side, ...] = ("salesforce", "forcemanager")
#: What a call was: a login (token endpoint, ForceManager `/login`), a read, or a write.
CALL_KINDS = ("auth", "read", "write")
#: The counts a file keeps per side: the kinds, and the attempts answered 429/5xx (or not
#: answered at all) that the client sent again.
COUNT_NAMES = (*CALL_KINDS, "retried")
#: A write is any of these except a login and a Bulk 2.0 query job (docs/contracts.md, section 2).
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BULK_QUERY_ROUTE = "jobs/query"
CALLS_SUFFIX = ".calls.json"
CYCLE_FILE = "cycle.json"
#: A running step rewrites its file at most this often (when its counts moved).
FLUSH_SECONDS = 2.0


def call_kind(method: str, path: str, *, auth: bool = False) -> str:
    """Classify one request as `auth`, `read` or `write`.

    Args:
        method: the HTTP method.
        path: the URL or path (only checked for Bulk 2.0 query-job routes).
        auth: the request is a login.

    Returns:
        The kind.
    """
    if auth:
        return "auth"
    if method.upper() in WRITE_METHODS and BULK_QUERY_ROUTE not in path:
        return "write"
    return "read"


class CallCounter:
    """The calls one side of one process sent. Thread-safe (the targets write from workers)."""

    def __init__(self, side: str) -> None:
        self.side = side
        self._counts = dict.fromkeys(COUNT_NAMES, 0)
        self._lock = threading.Lock()
        #: Moves with every count: a recorder writes only when it changed.
        self.version = 0

    def sent(self, method: str, path: str, *, auth: bool = False) -> None:
        """Count one request about to be sent."""
        kind = call_kind(method, path, auth=auth)
        with self._lock:
            self._counts[kind] += 1
            self.version += 1

    def retried(self) -> None:
        """Count one attempt that failed transiently (429, 5xx, no reply) and is sent again."""
        with self._lock:
            self._counts["retried"] += 1
            self.version += 1

    def counts(self) -> dict[str, int]:
        """The counts so far, with `calls` (every request sent)."""
        with self._lock:
            counts = dict(self._counts)
        counts["calls"] = sum(counts[kind] for kind in CALL_KINDS)
        return counts


class CallLedger:
    """A process's counters, one per side, created on first use."""

    def __init__(self) -> None:
        self._counters: dict[str, CallCounter] = {}
        self._lock = threading.Lock()

    def side(self, side: str) -> CallCounter:
        """The counter of `side` (`salesforce` or `forcemanager`)."""
        with self._lock:
            counter = self._counters.get(side)
            if counter is None:
                counter = self._counters[side] = CallCounter(side)
            return counter

    @property
    def version(self) -> int:
        with self._lock:
            return sum(counter.version for counter in self._counters.values())

    def counts(self) -> dict[str, dict[str, int]]:
        """Per side that sent anything, its counts."""
        with self._lock:
            counters = [counter for counter in self._counters.values() if counter.version]
        return {counter.side: counter.counts() for counter in counters}


#: The process's counters: the clients count here unless given another ledger.
LEDGER = CallLedger()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def _write_json(path: Path, document: dict[str, Any]) -> None:
    """Replace `path` with `document` at once (temporary file, fsync, rename), owner-only."""
    # owner-only whatever the umask of the process (a tap run in-process by a test or an
    # orchestrator keeps its own)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, separators=(",", ":"))
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def begin_cycle(directory: Path | None = None) -> dict[str, str]:
    """Start a new cycle: write `cycle.json` (a new id and the start time) and return it."""
    cycle = {"cycle_id": uuid.uuid4().hex, "started_at": _now()}
    _write_json((directory or sync_log_dir()) / CYCLE_FILE, cycle)
    return cycle


def current_cycle(directory: Path | None = None) -> dict[str, str] | None:
    """The cycle the last `begin_cycle` started, or None (none yet, or unreadable)."""
    try:
        cycle = json.loads(((directory or sync_log_dir()) / CYCLE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(cycle, dict) or not isinstance(cycle.get("cycle_id"), str):
        return None
    return {"cycle_id": str(cycle["cycle_id"]), "started_at": str(cycle.get("started_at", ""))}


class CallRecorder:
    """Keeps one step's call counts in its file while it runs, and at exit.

    Args:
        step: the step's name (`tap-salesforce`, `crmsync:preflight`, ...).
        directory: the sync-log folder (by default beside the warehouse).
        ledger: the counters to record.
        flush_seconds: how often a moving count is written.
    """

    def __init__(
        self,
        step: str,
        directory: Path | None = None,
        *,
        ledger: CallLedger = LEDGER,
        flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        self.step = step
        self.directory = directory or sync_log_dir()
        self.ledger = ledger
        self.flush_seconds = flush_seconds
        cycle = current_cycle(self.directory)
        # A step run on its own (no cycle started): its calls are a run of their own.
        self.cycle_id = cycle["cycle_id"] if cycle else f"step-{uuid.uuid4().hex}"
        self.started_at = _now()
        # the pid and a random part: two runs of a step never share a file
        unique = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.path = self.directory / f"{_safe(self.cycle_id)}.{_safe(step)}.{unique}{CALLS_SUFFIX}"
        #: The plan's run id, once the step knows it (a target, from the rows it writes).
        self.run_id: str | None = None
        self._written: tuple[int, str | None] = (-1, None)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="api-call-recorder", daemon=True)

    def start(self) -> CallRecorder:
        """Write the file now and keep it up to date until `close` (or the process's exit)."""
        with contextlib.suppress(OSError):  # an unwritable folder costs the counts, not the step
            self.flush(force=True)
        self._thread.start()
        atexit.register(self.close)
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            with contextlib.suppress(OSError):  # a full disk must not stop the sync
                self.flush()

    def flush(self, *, force: bool = False) -> None:
        """Write the counts if they moved since the last write (or `force`)."""
        with self._lock:
            state = (self.ledger.version, self.run_id)
            if state == self._written and not force:
                return
            _write_json(
                self.path,
                {
                    "cycle_id": self.cycle_id,
                    "run_id": self.run_id,
                    "step": self.step,
                    "pid": os.getpid(),
                    "started_at": self.started_at,
                    "updated_at": _now(),
                    "sides": self.ledger.counts(),
                },
            )
            self._written = state

    def close(self) -> None:
        """Stop the periodic writes and write the final counts."""
        self._stop.set()
        with contextlib.suppress(OSError):  # the counts must never fail the step itself
            self.flush()


_RECORDER: CallRecorder | None = None
_RECORDER_LOCK = threading.Lock()


def record_calls(step: str, directory: Path | None = None) -> CallRecorder:
    """Start recording this process's calls as `step` (once per process; later calls return
    the recorder already running)."""
    global _RECORDER  # noqa: PLW0603 - one recorder per process, as one ledger
    with _RECORDER_LOCK:
        if _RECORDER is None:
            _RECORDER = CallRecorder(step, directory).start()
        return _RECORDER


def note_run(run_id: str) -> None:
    """Tell this process's recorder (if any) the plan's run id its calls serve.

    The targets learn it from the rows they write (the sync log carries it); the call file
    then names it, so a cycle killed after its plan still has its calls under that run.
    """
    recorder = _RECORDER
    if recorder is not None and recorder.run_id != run_id:
        recorder.run_id = run_id


def step_name(plugin_type: Literal["extractor", "loader"], default: str) -> str:
    """The Meltano plugin this process runs as (`tap-salesforce-initial`...), else `default`.

    Meltano gives a plugin its own name in `MELTANO_EXTRACTOR_NAME` or `MELTANO_LOADER_NAME`
    (a loader sees its extractor's too, so each asks for its own type).
    """
    return os.environ.get(f"MELTANO_{plugin_type.upper()}_NAME") or default
