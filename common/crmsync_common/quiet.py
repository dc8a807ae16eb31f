"""The quiet-cycle marker: the steps of a `meltano run` that a quiet cycle skips read it here.

`crmsync:prepare-incremental` decides, after extraction, whether the cycle is quiet (see
`crmsync.quiet`). When it is, it writes into `<warehouse>.quiet.json` the token of the
`meltano run` it belongs to: the parent process's id and start time (Meltano starts every step
as its own child). The plan, guard, tap-warehouse and report steps of the same `meltano run`
find their parent's token there and end at once; any other run (a later cycle, a dry run, a
manual `meltano invoke`) has another token and runs as always. Where the token cannot be read
(no `/proc`), nothing is skipped.

This module imports nothing beyond the standard library: it runs before the step's own imports.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path

QUIET_SUFFIX = ".quiet.json"
DEFAULT_WAREHOUSE = "output/warehouse.duckdb"


def quiet_file(warehouse: Path | None = None) -> Path:
    """`<warehouse>.quiet.json`, beside the warehouse (by default `CRMSYNC_WAREHOUSE`)."""
    warehouse = warehouse or Path(os.environ.get("CRMSYNC_WAREHOUSE") or DEFAULT_WAREHOUSE)
    return Path(f"{warehouse}{QUIET_SUFFIX}")


def quiet_since(warehouse: Path, since: datetime) -> bool:
    """Tell whether a cycle of `warehouse` was found quiet at or after `since` (UTC-aware)."""
    at = read_marker(quiet_file(warehouse)).get("quiet_at")
    try:
        return isinstance(at, str) and datetime.fromisoformat(at) >= since
    except ValueError:
        return False


def run_token(pid: int | None = None) -> str | None:
    """The token of the `meltano run` this step belongs to: its parent's pid and start time.

    The start time (clock ticks since boot, `/proc/PID/stat` field 22) tells a reused pid apart.
    """
    pid = os.getppid() if pid is None else pid
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces: split after it
    fields = stat.rsplit(")", 1)[-1].split()
    return f"{pid}:{fields[19]}" if len(fields) > 19 else None


def read_marker(path: Path | None = None) -> dict[str, object]:
    """The marker file's content; empty when missing or unreadable."""
    try:
        data = json.loads((path or quiet_file()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def skipping() -> bool:
    """True when this step's `meltano run` was found quiet: the step has nothing to do."""
    token = run_token()
    return token is not None and read_marker().get("skip") == token


def skip_step(step: str) -> bool:
    """Tell (and say on stderr, which Meltano logs) whether a quiet cycle skips `step`."""
    if not skipping():
        return False
    print(f"quiet cycle: nothing to plan or write, {step} skipped", file=sys.stderr)
    return True
