"""Fixtures for target-forcemanager tests: config for a sandbox, and a way to run the target."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from forcemanager_client import ForceManagerClient
from target_forcemanager.target import TargetForceManager

PUBLISH_SCHEMA = {
    "type": "object",
    "properties": {
        "run_id": {"type": ["string", "null"]},
        "action": {"type": ["string", "null"]},
        "salesforce_id": {"type": ["string", "null"]},
        "forcemanager_id": {"type": ["integer", "string", "null"]},
        "fields": {"type": ["object", "null"]},
        "refs": {"type": ["object", "null"]},
    },
}


def singer_lines(rows: dict[str, list[dict[str, Any]]]) -> str:
    """Singer SCHEMA and RECORD messages for publish rows, by stream."""
    lines = []
    for stream, records in rows.items():
        lines.append(
            {"type": "SCHEMA", "stream": stream, "schema": PUBLISH_SCHEMA, "key_properties": []}
        )
        lines.extend({"type": "RECORD", "stream": stream, "record": r} for r in records)
    return "".join(json.dumps(line) + "\n" for line in lines)


def fm_config(env: dict[str, str], log_dir: Path, **overrides: Any) -> dict[str, Any]:
    """Target config for a sandbox."""
    return {
        "base_url": env["FORCEMANAGER_BASE_URL"],
        "public_key": env["FORCEMANAGER_PUBLIC_KEY"],
        "private_key": env["FORCEMANAGER_PRIVATE_KEY"],
        "requests_per_second": 0,
        "sync_log_dir": str(log_dir),
        **overrides,
    }


def read_log(log_dir: Path, run_id: str) -> list[dict[str, Any]]:
    """Lines of a run's sync log."""
    path = log_dir / f"{run_id}.target-forcemanager.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def run_id() -> str:
    """A fresh run id (also a unique prefix for this test's records)."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def config(sandbox, tmp_path: Path) -> dict[str, Any]:
    """Target config for the session sandbox."""
    return fm_config(sandbox.env, tmp_path / "log")


@pytest.fixture
def fm(sandbox) -> ForceManagerClient:
    """A client to arrange and check data in the session sandbox."""
    env = sandbox.env
    with ForceManagerClient(
        env["FORCEMANAGER_BASE_URL"],
        env["FORCEMANAGER_PUBLIC_KEY"],
        env["FORCEMANAGER_PRIVATE_KEY"],
        requests_per_second=0,
    ) as client:
        yield client


@pytest.fixture
def run_target() -> Callable[[dict[str, Any], dict[str, list[dict[str, Any]]]], None]:
    """Run the target in-process on publish rows."""

    def run(config: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> None:
        target = TargetForceManager(config=config, validate_config=True)
        target.listen(file_input=io.StringIO(singer_lines(rows)))

    return run


@pytest.fixture
def sync_log() -> Callable[[Path, str], list[dict[str, Any]]]:
    """Read a run's sync log: `sync_log(log_dir, run_id)`."""
    return read_log


@pytest.fixture
def make_config() -> Callable[..., dict[str, Any]]:
    """Target config for any sandbox: `make_config(env, log_dir, **overrides)`."""
    return fm_config


@pytest.fixture
def to_singer() -> Callable[[dict[str, list[dict[str, Any]]]], str]:
    """Singer messages for publish rows by stream."""
    return singer_lines
