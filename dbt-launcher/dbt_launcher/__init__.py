"""dbt's own command line, minus the interpreter's teardown.

A dbt process spends about 0.6 s after its command finished unloading the thousands of objects
dbt imports; a sync cycle runs dbt twice. The launcher runs `dbt` exactly as its console script
does (same arguments, output and exit codes), then closes the DuckDB warehouse itself (so the
file is checkpointed and left without a write-ahead log, as a normal exit leaves it), flushes
the logs, runs multiprocessing's exit hooks and ends the process at once.

Where it cannot close the warehouse (an adapter whose internals differ), it exits normally.

In a quiet cycle (see `crmsync_common.quiet`) the cycle's plan and report end at once, before
dbt is imported: nothing was extracted, so neither has anything to build.

Everything dbt writes (the warehouse, its logs and target folder) is created readable by its
owner only: the launcher sets the umask 077 first, as every crmsync entry point does.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing.util
import os
import sys

from crmsync_common.quiet import skip_step

#: As crmsync_common.atrest (not installed beside dbt): group and other get no permission bit.
OWNER_ONLY_UMASK = 0o077

#: The cycle's dbt commands a quiet cycle skips (the plan and the report); any other runs.
QUIET_SKIPPED_SELECTIONS = ("tag:plan", "tag:report")


def main() -> None:
    """Run dbt's command line with `sys.argv`, then exit with its code."""
    os.umask(OWNER_ONLY_UMASK)
    if _quiet_skipped(sys.argv[1:]):
        return
    from dbt.cli.main import cli  # noqa: PLC0415 - after the quiet check: dbt's imports are slow

    try:
        cli(prog_name="dbt")
        code: object = 0
    except SystemExit as stop:
        code = 0 if stop.code is None else stop.code
    if not isinstance(code, int) or not _close_duckdb():
        sys.exit(code)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    # terminates dbt's worker processes and releases its semaphores, as atexit would
    multiprocessing.util._exit_function()
    os._exit(code)


def _quiet_skipped(arguments: list[str]) -> bool:
    """A quiet cycle's `build --select tag:plan` or `tag:report`: nothing to build."""
    if not arguments or arguments[0] != "build" or "initial" in " ".join(arguments):
        return False
    if not any(selection in arguments for selection in QUIET_SKIPPED_SELECTIONS):
        return False
    return skip_step("dbt " + " ".join(arguments[:3]))


def _close_duckdb() -> bool:
    """Close the DuckDB database dbt-duckdb keeps open for the process.

    Returns:
        True when no database is left open (closed now, or never opened).
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager  # noqa: PLC0415
    except ImportError:  # dbt with another adapter: nothing of DuckDB's to close
        return False
    if not hasattr(DuckDBConnectionManager, "_ENV"):
        return False
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
        DuckDBConnectionManager._ENV = None
        gc.collect()  # the cursors dbt's connections still hold let go of the database
    return True
