"""A disk spool of the run's publish rows, so the apply step can order them.

Rows wait in one JSON-lines file per (object, action): memory stays flat however many
rows arrive, and the apply step reads them back in the order it chooses.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from crmsync_common.jsonvalues import dumps

ACTIONS = ("create", "update", "delete")


class Spool:
    """Publish rows by object and action, on disk."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="target-salesforce-")
        self._files: dict[tuple[str, str], IO[str]] = {}
        self.counts: dict[tuple[str, str], int] = {}

    def add(self, obj: str, row: dict[str, Any]) -> None:
        """Keep one row.

        Args:
            obj: the publish object (stream name).
            row: the publish row; its ``action`` picks the bucket.

        Raises:
            ValueError: for an action other than create, update and delete.
        """
        action = row.get("action")
        if action not in ACTIONS:
            msg = f"Publish row of {obj} has action {action!r}; expected one of {ACTIONS}."
            raise ValueError(msg)
        key = (obj, str(action))
        handle = self._files.get(key)
        if handle is None:
            path = Path(self._dir.name) / f"{obj}.{action}.jsonl"
            handle = path.open("w+", encoding="utf-8")
            self._files[key] = handle
        handle.write(dumps(row) + "\n")
        self.counts[key] = self.counts.get(key, 0) + 1

    def objects(self) -> set[str]:
        """Objects that have rows."""
        return {obj for obj, _ in self.counts}

    def rows(self, obj: str, action: str) -> Iterator[dict[str, Any]]:
        """Read back the rows of one bucket, in arrival order.

        Args:
            obj: the publish object.
            action: create, update or delete.

        Yields:
            Each row.
        """
        handle = self._files.get((obj, action))
        if handle is None:
            return
        handle.flush()
        handle.seek(0)
        for line in handle:
            yield json.loads(line)

    def close(self) -> None:
        """Delete the spool files."""
        for handle in self._files.values():
            handle.close()
        self._files.clear()
        self._dir.cleanup()
