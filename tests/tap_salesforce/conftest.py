"""Fixtures of the tap-salesforce tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from crmsync_sandbox.testing import SandboxProcess
from salesforce_client import SalesforceClient

from tests.tap_salesforce.tap_helpers import sandbox_config


@pytest.fixture
def https(sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> SandboxProcess:
    """The session sandbox, its CA trusted."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.env["REQUESTS_CA_BUNDLE"])
    return sandbox


@pytest.fixture
def own_sandbox(
    sandbox_factory: Callable[..., SandboxProcess], monkeypatch: pytest.MonkeyPatch
) -> SandboxProcess:
    """A sandbox of this test alone (for counts, limits and schema changes)."""
    process = sandbox_factory(seed=7, size="small")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", process.env["REQUESTS_CA_BUNDLE"])
    return process


@pytest.fixture
def client(https: SandboxProcess) -> SalesforceClient:
    """A client on the session sandbox."""
    return SalesforceClient.from_config(sandbox_config(https))
