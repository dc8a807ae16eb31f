"""Fixtures of the tap tests that run against a ForceManager sandbox of their own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from forcemanager_client import ForceManagerClient


@pytest.fixture
def box(sandbox_factory: Any) -> Any:
    """An empty ForceManager sandbox: only this test's records exist."""
    return sandbox_factory(only="forcemanager", empty=True)


@pytest.fixture
def fm(box: Any) -> Iterator[ForceManagerClient]:
    """A client of that sandbox, without rate limiting."""
    env = box.env
    with ForceManagerClient(
        env["FORCEMANAGER_BASE_URL"],
        env["FORCEMANAGER_PUBLIC_KEY"],
        env["FORCEMANAGER_PRIVATE_KEY"],
        requests_per_second=0,
    ) as client:
        yield client
