"""What a sync keeps on disk: owner-only modes, and no config file outliving its run.

`protect` runs first in every job (`crmsync:preflight`). It takes the group and other permission
bits off everything a sync keeps, so a deployment created with a wider umask is tightened on its
next run: the warehouse (and DuckDB's files beside it), the sync-log folder, Meltano's system
database and `file://` state backend, Meltano's run and log folders, dbt's target and log
folders, and the project's `.env`. Then it removes the config files Meltano left under
`.meltano/run` for plugin runs that are no longer alive (a cycle killed mid-run leaves them;
Meltano deletes them when a plugin ends normally). meltano.yml maps no secret into a plugin's
config, but a file written by an earlier version may still hold one.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

from crmsync_common.atrest import tighten

from crmsync import warehouse

logger = logging.getLogger(__name__)

#: A config file this young may belong to a run that is about to start its plugin, while
#: another Meltano process is running: it is left for a later cycle.
STARTING_RUN_GRACE_S = 120.0
#: Without /proc (not Linux) a run's processes cannot be seen: only configs this old go.
STALE_WITHOUT_PROCESS_LIST_S = 24 * 3600.0


def project_root() -> Path:
    """The Meltano project (`MELTANO_PROJECT_ROOT`, which Meltano gives its plugins)."""
    return Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path.cwd())


def meltano_dir(root: Path | None = None) -> Path:
    """Meltano's own folder (`MELTANO_SYS_DIR_ROOT`, by default `.meltano`)."""
    configured = os.environ.get("MELTANO_SYS_DIR_ROOT")
    return Path(configured) if configured else (root or project_root()) / ".meltano"


def sqlite_path(uri: str | None) -> Path | None:
    """The file of a `sqlite:///...` database URI (None for any other database)."""
    if not uri or not uri.startswith("sqlite:///"):
        return None
    return Path(unquote(uri.removeprefix("sqlite:///").split("?", 1)[0]))


def file_state_path(uri: str | None) -> Path | None:
    """The folder of a `file://` state backend URI (None for any other backend)."""
    if not uri or not uri.startswith("file://"):
        return None
    return Path(unquote(urlparse(uri).path))


def kept_paths(root: Path | None = None) -> list[Path]:
    """Every file and folder a sync keeps or writes, as the current environment locates them."""
    root = root or project_root()
    system_dir = meltano_dir(root)
    store = warehouse.warehouse_path()
    paths = [
        store,
        Path(f"{store}.wal"),
        Path(f"{store}.tmp"),
        Path(f"{store}.report.html"),  # the run report (crmsync report), customer records too
        warehouse.sync_log_dir(),
        system_dir,  # the folder itself: its plugin environments stay as installed
        system_dir / "run",
        system_dir / "logs",
        _dbt_folder(root, "DBT_TARGET_PATH", "target"),
        _dbt_folder(root, "DBT_LOG_PATH", "logs"),
        root / ".env",
    ]
    database = sqlite_path(os.environ.get("MELTANO_DATABASE_URI")) or system_dir / "meltano.db"
    paths += [database, *(Path(f"{database}{suffix}") for suffix in ("-journal", "-wal", "-shm"))]
    state = file_state_path(os.environ.get("MELTANO_STATE_BACKEND_URI"))
    if state is not None:
        paths.append(state)
    return paths


def _dbt_folder(root: Path, variable: str, default: str) -> Path:
    """A dbt folder: the variable's path (relative to dbt's project, as dbt reads it), else
    dbt's default in the project."""
    return Path(os.path.normpath(root / "transform" / (os.environ.get(variable) or default)))


def protect(root: Path | None = None) -> None:
    """Tighten what a sync keeps, then remove the run configs of runs no longer alive."""
    root = root or project_root()
    changed = 0
    for path in kept_paths(root):
        if path == meltano_dir(root):
            changed += _tighten_folder_only(path)
        else:
            changed += tighten(path)
    if changed:
        logger.info("made %d files and folders readable by their owner only", changed)
    removed = remove_stale_run_configs(meltano_dir(root) / "run", project=root)
    if removed:
        logger.info("removed %d config files left by runs that ended abnormally", removed)


def _tighten_folder_only(path: Path) -> int:
    try:
        mode = path.stat().st_mode & 0o777
        if not mode & 0o077:
            return 0
        path.chmod(mode & ~0o077)
    except FileNotFoundError:
        return 0
    except PermissionError:
        logger.warning("cannot make %s readable by its owner only: not ours to change", path)
        return 0
    return 1


def remove_stale_run_configs(run_dir: Path, *, project: Path, now: float | None = None) -> int:
    """Remove the plugin config files under `run_dir` that no live process uses.

    A config file is live while a process runs with it on its command line (Meltano passes
    `--config <file>`), and may be about to be while another Meltano process runs in `project`
    and the file is younger than `STARTING_RUN_GRACE_S` (Meltano writes it just before it
    starts the plugin). Without a process list only files older than a day are removed.

    Returns:
        How many files were removed.
    """
    configs = sorted(run_dir.glob("*/*.config.json")) if run_dir.is_dir() else []
    if not configs:
        return 0
    now = time.time() if now is None else now
    arguments = _live_arguments()
    other_meltano = arguments is not None and _other_meltano_running(project)
    removed = 0
    for config in configs:
        try:
            age = now - config.stat().st_mtime
        except FileNotFoundError:
            continue
        if arguments is None:
            stale = age > STALE_WITHOUT_PROCESS_LIST_S
        else:
            in_use = str(config) in arguments or str(config.resolve()) in arguments
            stale = not in_use and not (other_meltano and age < STARTING_RUN_GRACE_S)
        if stale:
            try:
                config.unlink(missing_ok=True)
            except PermissionError:
                logger.warning("cannot remove %s, left by a run that ended: not ours", config)
                continue
            removed += 1
    return removed


def _processes() -> list[tuple[int, list[str]]] | None:
    """Every process's id and arguments, or None where /proc does not list them."""
    proc = Path("/proc")
    if not (proc / "self" / "cmdline").is_file():
        return None
    found: list[tuple[int, list[str]]] = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:  # ended meanwhile, or not ours to read
            continue
        found.append((int(entry.name), [a.decode(errors="replace") for a in raw.split(b"\0") if a]))
    return found


def _live_arguments() -> set[str] | None:
    processes = _processes()
    if processes is None:
        return None
    return {argument for _, arguments in processes for argument in arguments}


def _ancestors() -> set[int]:
    """This process and its parents (the Meltano run that started this step among them)."""
    pids: set[int] = set()
    pid = os.getpid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        try:
            stat_line = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat_line.rsplit(")", 1)[1].split()[1])
    return pids


def _other_meltano_running(project: Path) -> bool:
    """Whether a Meltano process other than this step's own run works in `project`."""
    ours = _ancestors()
    project = project.resolve()
    for pid, arguments in _processes() or []:
        if pid in ours or not any(Path(a).name == "meltano" for a in arguments[:2]):
            continue
        try:
            folder = Path(f"/proc/{pid}/cwd").readlink()
        except PermissionError:  # not ours to see: count it, to be safe
            return True
        except OSError:  # ended meanwhile
            continue
        if folder == project or project in folder.parents:
            return True
    return False
