"""Buffer a run's publish rows on disk, per object, so memory stays flat for any volume.

The SDK drains sinks in its own order, but ForceManager needs deletes first and parents before
children, so the target keeps every row until the input ends and then applies them in order.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from crmsync_common.jsonvalues import dumps


def _as_object(value: Any) -> dict[str, Any]:
    """`fields` and `refs` arrive as JSON objects; accept JSON text too, and null as empty."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


#: Publish-row columns with a meaning of their own; other columns (an extra-field definition's
#: `resource`, `fieldName`, `type`, `values`) are kept as they are.
ROW_COLUMNS = ("run_id", "action", "salesforce_id", "forcemanager_id", "fields", "refs")


def normalize_row(record: dict[str, Any]) -> dict[str, Any]:
    """Keep the publish-row columns, with `fields` and `refs` decoded."""
    return {
        **{key: value for key, value in record.items() if key not in ROW_COLUMNS},
        "run_id": str(record.get("run_id") or "unknown-run"),
        "action": str(record.get("action") or "").lower(),
        "salesforce_id": record.get("salesforce_id"),
        "forcemanager_id": record.get("forcemanager_id"),
        "fields": _as_object(record.get("fields")),
        "refs": _as_object(record.get("refs")),
    }


class Spool:
    """Append-only JSON-lines files, one per stream, in a temporary folder."""

    def __init__(self, directory: str | None = None) -> None:
        """Create the spool in a fresh temporary folder (under `directory` if given)."""
        self._tmp = tempfile.TemporaryDirectory(prefix="target-forcemanager-", dir=directory)
        self._files: dict[str, IO[str]] = {}
        self._counts: dict[str, int] = {}

    @property
    def streams(self) -> list[str]:
        """Streams with at least one row, in arrival order."""
        return list(self._files)

    def count(self, stream: str) -> int:
        """Rows spooled for `stream`."""
        return self._counts.get(stream, 0)

    def add(self, stream: str, row: dict[str, Any]) -> None:
        """Append one row of `stream`."""
        handle = self._files.get(stream)
        if handle is None:
            path = Path(self._tmp.name) / f"{len(self._files)}.jsonl"
            handle = path.open("w+", encoding="utf-8")
            self._files[stream] = handle
        handle.write(dumps(row) + "\n")
        self._counts[stream] = self._counts.get(stream, 0) + 1

    def rows(self, stream: str, action: str | None = None) -> Iterator[dict[str, Any]]:
        """Read back the rows of `stream` (only those with `action`, if given), in order."""
        handle = self._files.get(stream)
        if handle is None:
            return
        handle.flush()
        with Path(handle.name).open(encoding="utf-8") as reader:
            for line in reader:
                row = json.loads(line)
                if action is None or row["action"] == action:
                    yield row

    def close(self) -> None:
        """Delete the spool files."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        self._tmp.cleanup()
