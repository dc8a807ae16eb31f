"""Fixtures of the sandbox tests: a logged-in ForceManager client over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from crmsync_sandbox.testing import SandboxProcess

#: Every request in these tests is local; anything slower than this is a hang.
TIMEOUT_S = 10


class FmClient:
    """A thin requests wrapper for the ForceManager sandbox (no retries: tests see every answer)."""

    def __init__(self, process: SandboxProcess) -> None:
        """Log in with the sandbox's API keys.

        Args:
            process: The running sandbox.
        """
        self.process = process
        self.base = process.env["FORCEMANAGER_BASE_URL"]
        self.http = requests.Session()
        self.token = self.login().json()["token"]

    def login(self, username: str | None = None, password: str | None = None) -> requests.Response:
        """`POST /login` with the given keys (the sandbox's keys by default)."""
        body = {
            "username": username or self.process.env["FORCEMANAGER_PUBLIC_KEY"],
            "password": password or self.process.env["FORCEMANAGER_PRIVATE_KEY"],
        }
        return self.http.post(f"{self.base}/login", json=body, timeout=TIMEOUT_S)

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        token: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send a request with the session key (or another `token`)."""
        all_headers = {"X-Session-Key": self.token if token is None else token, **(headers or {})}
        return self.http.request(
            method, f"{self.base}{path}", headers=all_headers, timeout=TIMEOUT_S, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET with the session key."""
        return self.request("GET", path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request, assert a 200 and return the decoded body."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def create(self, resource: str, body: dict[str, Any]) -> int:
        """Create a record and return its id."""
        created = self.ok("POST", f"/{resource}", json=body)
        assert created["Message"] == "entity created"
        return int(created["id"])


@pytest.fixture(scope="session")
def fm(sandbox: SandboxProcess) -> FmClient:
    """A client of the session sandbox's ForceManager server."""
    return FmClient(sandbox)


@pytest.fixture
def fm_factory(
    sandbox_factory: Callable[..., SandboxProcess],
) -> Callable[..., FmClient]:
    """Start a ForceManager-only sandbox with options and return a logged-in client."""

    def start(**options: Any) -> FmClient:
        options.setdefault("only", "forcemanager")
        return FmClient(sandbox_factory(**options))

    return start
