"""Fixtures of the crmsync command-line tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _keep_the_umask() -> Iterator[None]:
    """The command line sets the owner-only umask for its process: restore the test's."""
    umask = os.umask(0o077)
    os.umask(umask)
    yield
    os.umask(umask)
