"""Where the crmsync project (meltano.yml, .venv) is."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The project root (`meltano.yml`): this package lives in its `orchestrate/` folder. A
#: deployment that installs the package elsewhere sets `CRMSYNC_PROJECT_DIR`.
PROJECT_ROOT = Path(
    os.environ.get("CRMSYNC_PROJECT_DIR") or Path(__file__).resolve().parents[2]
).resolve()


def meltano_executable() -> Path:
    """The `meltano` of the interpreter running this code (the project's `.venv`)."""
    return Path(sys.executable).with_name("meltano")
