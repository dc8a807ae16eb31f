"""The sync log: one JSON line per record a target wrote, durable as it happens."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TextIO

from crmsync_common.apicalls import note_run

Action = Literal["create", "update", "delete"]
Direction = Literal["sf_to_fm", "fm_to_sf"]
Status = Literal["success", "error"]

#: Error messages are cut to this length: the log is for people, the API keeps the rest.
MAX_ERROR_MESSAGE = 1000


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class SyncLogLine:
    """One record written by a target (docs/contracts.md section 4)."""

    run_id: str
    object: str
    action: Action
    direction: Direction
    salesforce_id: str | None
    forcemanager_id: int | str | None
    status: Status
    error_code: str | None = None
    error_message: str | None = None
    synced_at: str = field(default_factory=_now)


class SyncLog:
    """Appends sync-log lines to `<directory>/<run_id>.<writer>.jsonl`.

    Each `write` call is flushed and fsynced before it returns, so a crash loses no line that
    was written. Call `write` once per API call with all the lines that call produced: the
    fsync is the costly part, and one per call keeps a 200-record collection cheap.
    """

    def __init__(self, directory: str | os.PathLike[str], writer: str) -> None:
        self.directory = Path(directory)
        self.writer = writer
        self._files: dict[str, TextIO] = {}
        self._lock = threading.Lock()

    def path_for(self, run_id: str) -> Path:
        """Return the file that lines of `run_id` go to."""
        safe_run = "".join(c if c.isalnum() or c in "-_" else "_" for c in run_id)
        return self.directory / f"{safe_run}.{self.writer}.jsonl"

    def write(self, lines: list[SyncLogLine]) -> None:
        """Append `lines` durably."""
        if not lines:
            return
        by_run: dict[str, list[SyncLogLine]] = {}
        for line in lines:
            by_run.setdefault(line.run_id, []).append(line)
        with self._lock:
            for run_id, run_lines in by_run.items():
                handle = self._handle(run_id)
                for line in run_lines:
                    record = asdict(line)
                    if record["error_message"]:
                        record["error_message"] = record["error_message"][:MAX_ERROR_MESSAGE]
                    handle.write(json.dumps(record, separators=(",", ":")) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
                note_run(run_id)

    def _handle(self, run_id: str) -> TextIO:
        handle = self._files.get(run_id)
        if handle is None:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle = self.path_for(run_id).open("a", encoding="utf-8")
            self._files[run_id] = handle
        return handle

    def close(self) -> None:
        """Close every open file."""
        with self._lock:
            for handle in self._files.values():
                handle.close()
            self._files.clear()
