"""The quiet-cycle marker: the steps of a `meltano run` that a quiet cycle skips read it here.

`crmsync:prepare-incremental` decides, after extraction, whether the cycle is quiet (see
`crmsync.quiet`). When it is, it writes into `<warehouse>.quiet.json` the token of the
`meltano run` it belongs to: the parent process's id and start time (Meltano starts every step
as its own child). The plan, guard, tap-warehouse and report steps of the same `meltano run`
find their parent's token there and end at once; any other run (a later cycle, a dry run, a
manual `meltano invoke`) has another token and runs as always. Where the token cannot be read
(no `/proc`), nothing is skipped. The CRM targets of a quiet cycle (`skip_target`) end before
the Singer SDK's import too, when their tap sent them nothing.

This module imports nothing beyond the standard library: it runs before the step's own imports.
"""

from __future__ import annotations

import io
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


#: Arguments of a call that asks a plugin about itself rather than running it.
_ABOUT_ARGUMENTS = frozenset({"--about", "--discover", "--help", "--version"})


def _runs_a_step(argv: list[str]) -> bool:
    """A plugin started by `meltano run` for its work: with a config, not asked about itself."""
    arguments = set(argv[1:])
    return "--config" in arguments and not _ABOUT_ARGUMENTS & arguments


def skip_target(step: str, argv: list[str] | None = None) -> bool:
    """Tell whether a CRM target of a quiet cycle may end at once, before the SDK's import.

    In a quiet cycle the target's tap (`tap-warehouse`) ends without a message. The target reads
    its input to the end first: only when it is empty does it end. Anything that did arrive is
    put back as `sys.stdin` (before the SDK, which binds its input at import, is imported) and the
    target runs on it as always, so no message is ever lost.
    """
    if not _runs_a_step(sys.argv if argv is None else argv) or not skipping():
        return False
    received = sys.stdin.read()
    if received.strip():
        sys.stdin = io.StringIO(received)
        return False
    print(f"quiet cycle: nothing to write, {step} skipped", file=sys.stderr)
    return True
