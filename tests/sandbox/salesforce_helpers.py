"""Helpers for tests of the Salesforce sandbox: a small REST client over real HTTPS."""

from __future__ import annotations

from typing import Any

import requests
from crmsync_sandbox.testing import SandboxProcess

VERSION = "v59.0"
#: Seconds a local call may take before the test fails.
TIMEOUT_S = 30


def https_session(process: SandboxProcess) -> requests.Session:
    """A session that trusts the sandbox CA whatever REQUESTS_CA_BUNDLE says."""
    session = requests.Session()
    session.trust_env = False
    session.verify = process.ca_bundle
    return session


def password_token(process: SandboxProcess, session: requests.Session) -> dict[str, Any]:
    """Log in with the OAuth password grant and return the token response."""
    env = process.env
    reply = session.post(
        env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": env["SALESFORCE_CLIENT_ID"],
            "client_secret": env["SALESFORCE_CLIENT_SECRET"],
            "username": env["SALESFORCE_USERNAME"],
            "password": env["SALESFORCE_PASSWORD"] + env["SALESFORCE_SECURITY_TOKEN"],
        },
        timeout=TIMEOUT_S,
    )
    reply.raise_for_status()
    return reply.json()


class SfApi:
    """Calls ``/services/data/vNN.N/...`` with a bearer token."""

    def __init__(self, process: SandboxProcess, version: str = VERSION) -> None:
        """Log in to the sandbox of ``process``."""
        self.process = process
        self.session = https_session(process)
        self.token = password_token(process, self.session)["access_token"]
        self.root = process.env["SALESFORCE_LOGIN_URL"]
        self.version = version

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send a data API call; a ``path`` without a leading / is relative to the version."""
        url = self.root + (
            path if path.startswith("/") else f"/services/data/{self.version}/{path}"
        )
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.session.request(method, url, headers=headers, timeout=TIMEOUT_S, **kwargs)

    def query(self, soql: str, all_rows: bool = False, **kwargs: Any) -> requests.Response:
        """Run ``query/`` (or ``queryAll/``)."""
        return self.call("GET", "queryAll/" if all_rows else "query/", params={"q": soql}, **kwargs)

    def create(self, sobject: str, body: dict[str, Any]) -> str:
        """Create a record and return its id (asserting success)."""
        reply = self.call("POST", f"sobjects/{sobject}/", json=body)
        assert reply.status_code == 201, reply.text
        return reply.json()["id"]

    def admin_limits(self, max_: int, used: int) -> None:
        """Set the API allocation and used count through the admin route."""
        reply = self.session.post(
            self.root + "/__sandbox/salesforce/limits",
            json={"max": max_, "used": used},
            timeout=TIMEOUT_S,
        )
        reply.raise_for_status()


def error_code(reply: requests.Response) -> str:
    """The ``errorCode`` of a REST error reply (asserting the array shape)."""
    body = reply.json()
    assert isinstance(body, list), body
    return body[0]["errorCode"]
