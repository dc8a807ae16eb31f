"""Where a sync keeps its files: the warehouse (`CRMSYNC_WAREHOUSE`), files beside it, and dbt's
target and log folders.

Meltano expands an unset `${VAR}` to an empty string and has no default syntax, so every plugin
setting that points at these files treats an empty value as "use the default" through here.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_WAREHOUSE = "output/warehouse.duckdb"
SYNC_LOG_SUFFIX = ".sync_log"


def warehouse_path(configured: str | None = None) -> Path:
    """Return the warehouse file: the setting if given, else `CRMSYNC_WAREHOUSE`, else default."""
    return Path(configured or os.environ.get("CRMSYNC_WAREHOUSE") or DEFAULT_WAREHOUSE)


def sync_log_dir(configured: str | None = None) -> Path:
    """Return the sync-log folder: the setting if given, else `<warehouse>.sync_log`.

    Keeping it beside the warehouse means that pointing `CRMSYNC_WAREHOUSE` elsewhere gives a
    fully independent sync (another tenant) without any other setting.
    """
    if configured:
        return Path(configured)
    override = os.environ.get("CRMSYNC_SYNC_LOG_DIR")
    return Path(override) if override else Path(f"{warehouse_path()}{SYNC_LOG_SUFFIX}")


def dbt_folders(folder: Path) -> dict[str, str]:
    """dbt's target and log folders under `folder`, as the variables dbt reads.

    dbt's partial-parse state is tied to the warehouse's path: in a folder shared by two syncs
    of one project (two tenants), each run of one would discard the other's and parse the
    project again, and two runs at once would write the same files. A folder per sync keeps
    them apart.
    """
    return {"DBT_TARGET_PATH": str(folder / "target"), "DBT_LOG_PATH": str(folder / "logs")}
