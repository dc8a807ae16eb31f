"""End-to-end fixtures: a fresh pair of sandboxes and a crmsync workspace per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crmsync.local import LocalSync

ALL_TWO_WAY: dict[str, Any] = {
    "objects": {
        "accounts": "two-way",
        "contacts": "two-way",
        "opportunities": "one-way",
        "activities": "two-way",
        "events": "two-way",
        "tasks": "two-way",
    },
    "user_mapping": {"auto": True},
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs `meltano run` jobs: mark them e2e so they can be selected."""
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def local_sync(tmp_path: Path) -> Iterator[Callable[..., LocalSync]]:
    """Start a `LocalSync` (sandboxes seeded with `--seed 3 --size small` unless told)."""
    started: list[LocalSync] = []

    def start(settings: dict[str, Any] | None = None, **options: Any) -> LocalSync:
        options = {"seed": 3, "size": "small", **options}
        sync = LocalSync(tmp_path / f"sync-{len(started)}", settings or ALL_TWO_WAY, **options)
        started.append(sync)
        return sync.start()

    yield start
    for sync in started:
        sync.stop()
