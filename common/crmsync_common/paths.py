"""Where a sync keeps its files: the warehouse (`CRMSYNC_WAREHOUSE`), files beside it, dbt's
target and log folders, and Meltano's system folder.

Meltano expands an unset `${VAR}` to an empty string and has no default syntax, so every plugin
setting that points at these files treats an empty value as "use the default" through here.
"""

from __future__ import annotations

import contextlib
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


#: The folders of Meltano's system folder that hold installed plugins (one per plugin type).
PLUGIN_FOLDERS = (
    "extractors",
    "loaders",
    "utilities",
    "mappers",
    "transformers",
    "orchestrators",
    "files",
)


def meltano_system_folder(folder: Path) -> dict[str, str]:
    """Meltano's system folder at `folder`, as the variable Meltano reads.

    `meltano run` gives a tap its state and catalog at fixed paths of the system folder
    (`run/<plugin>/state.json`, `run/<plugin>/tap.properties.json`): two runs of one tap at once
    in one system folder (two tenants, two test syncs) would read and remove each other's.
    A sync with a folder of its own keeps its run and log files apart; `link_installed_plugins`
    lets it use the plugins installed once for the project.
    """
    return {"MELTANO_SYS_DIR_ROOT": str(folder)}


def link_installed_plugins(folder: Path, installed: Path) -> None:
    """Make `folder` a Meltano system folder whose plugins are those installed in `installed`.

    Each plugin-type folder of `installed` (the project's `.meltano`) gets a link in `folder`;
    run files, logs and Meltano's own files stay in `folder`. Safe to call before every run and
    from runs starting at once: a link in place is kept, one pointing elsewhere is replaced, and
    a real folder (plugins installed into this system folder itself) is left alone.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.resolve() == installed.resolve():
        return
    for name in PLUGIN_FOLDERS:
        target = (installed / name).resolve()
        link = folder / name
        if not target.is_dir() or (link.exists() and not link.is_symlink()):
            continue
        if link.is_symlink():
            if link.resolve() == target:
                continue
            link.unlink(missing_ok=True)
        with contextlib.suppress(FileExistsError):  # a run starting at once made it
            link.symlink_to(target, target_is_directory=True)
