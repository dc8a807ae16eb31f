"""Files at rest: everything a sync writes is readable by its owner only.

Every crmsync entry point (each plugin's command line, the `crmsync` and `dbt-launcher`
commands, `orchestrate/run-job.sh`, `make demo`) sets the umask 077 before it writes anything, so
what it creates is owner-only whatever the umask of the shell or scheduler that started it.
`tighten` takes the group and other permission bits off files created before (by an earlier
version, or by a process started with a wider umask).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Group and other get no permission bit on anything created.
OWNER_ONLY_UMASK = 0o077


def owner_only_umask() -> None:
    """Make every file and folder this process (and its children) creates owner-only."""
    os.umask(OWNER_ONLY_UMASK)


def tighten(path: str | os.PathLike[str]) -> int:
    """Take the group and other permission bits off `path` and, for a folder, all it holds.

    Symbolic links are neither changed nor followed. A missing path is no error; a file this
    process may not change (another user's) is logged and left as it is.

    Returns:
        How many files and folders were changed.
    """
    root = Path(path)
    changed = _tighten_one(root)
    if root.is_dir() and not root.is_symlink():
        for folder, dirs, files in os.walk(root):
            for name in (*dirs, *files):
                changed += _tighten_one(Path(folder, name))
    return changed


def _tighten_one(path: Path) -> int:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return 0
    if stat.S_ISLNK(mode) or not stat.S_IMODE(mode) & 0o077:
        return 0
    try:
        path.chmod(stat.S_IMODE(mode) & ~0o077)
    except FileNotFoundError:  # removed meanwhile
        return 0
    except PermissionError:
        logger.warning("cannot make %s readable by its owner only: not ours to change", path)
        return 0
    return 1


class OwnerOnlyFiles:
    """Mixin for a Singer SDK tap or target: its command line sets the umask 077 first.

    Put it before `Tap` or `Target` in the bases. Only the command line changes the process's
    umask; building the plugin in Python (as the SDK's standard tests do) leaves it alone.
    """

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> Any:
        """Set the owner-only umask, then run the plugin as the SDK does."""
        owner_only_umask()
        return super().invoke(*args, **kwargs)  # type: ignore[misc]
