"""The bookmarks of a tap's input state, readable before the Singer SDK loads it.

The SDK discovers streams before it loads the state, so a tap that keeps metadata in its state
(a describe, a schema) reads the bookmarks itself.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any


def input_bookmarks(state: dict[str, Any] | str | PurePath | None) -> dict[str, Any]:
    """The `bookmarks` of a tap's `state` argument (a dict or a state file's path).

    Args:
        state: What the tap was given.

    Returns:
        The bookmarks by stream, empty when there are none.
    """
    if isinstance(state, str | PurePath):
        state = json.loads(Path(state).read_text(encoding="utf-8") or "{}")
    return dict((state or {}).get("bookmarks") or {})
