"""Fixtures every test folder shares: the local Salesforce and ForceManager sandboxes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from crmsync_sandbox.testing import SandboxProcess

#: The session sandbox's options; tests of every folder share it and create their own records.
SESSION_SANDBOX_OPTIONS: dict[str, Any] = {"seed": 7, "size": "small"}


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """Both sandbox servers, seeded with `--seed 7 --size small`, for the whole session."""
    process = SandboxProcess(tmp_path_factory.mktemp("sandbox") / "data", **SESSION_SANDBOX_OPTIONS)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Callable[..., SandboxProcess]]:
    """Start extra sandboxes with other options; each is stopped at teardown.

    Call it with `serve` options as keywords, e.g. `sandbox_factory(latency_ms=50)`;
    `data_dir=` reuses a given folder.
    """
    started: list[SandboxProcess] = []

    def start(data_dir: Path | None = None, **options: Any) -> SandboxProcess:
        folder = data_dir or tmp_path / f"sandbox-{len(started)}"
        process = SandboxProcess(folder, **options)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()
