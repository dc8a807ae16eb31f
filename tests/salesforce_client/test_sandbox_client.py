"""The client against the HTTPS Salesforce sandbox: every OAuth flow, bad credentials, expiry."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from crmsync_sandbox.testing import SandboxProcess
from salesforce_client import AuthFlow, SalesforceAuthError, SalesforceClient

TOKEN_ROUTE = "POST /services/oauth2/token"


def _config(env: dict[str, str], flow: AuthFlow) -> dict[str, Any]:
    config: dict[str, Any] = {
        "login_url": env["SALESFORCE_LOGIN_URL"],
        "client_id": env["SALESFORCE_CLIENT_ID"],
        "client_secret": env["SALESFORCE_CLIENT_SECRET"],
    }
    if flow is AuthFlow.REFRESH_TOKEN:
        config["refresh_token"] = env["SALESFORCE_REFRESH_TOKEN"]
    if flow is AuthFlow.JWT_BEARER:
        config["username"] = env["SALESFORCE_USERNAME"]
        config["jwt_key_file"] = env["SALESFORCE_JWT_KEY_FILE"]
    if flow is AuthFlow.PASSWORD:
        config["username"] = env["SALESFORCE_USERNAME"]
        config["password"] = env["SALESFORCE_PASSWORD"]
        config["security_token"] = env["SALESFORCE_SECURITY_TOKEN"]
    return config


@pytest.fixture
def https_env(sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The session sandbox's variables, with its CA bundle trusted."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.env["REQUESTS_CA_BUNDLE"])
    return sandbox.env


@pytest.mark.parametrize("flow", list(AuthFlow))
def test_every_auth_flow_logs_in_and_reads(https_env: dict[str, str], flow: AuthFlow) -> None:
    """Each flow gets a token whose instance_url serves the data API."""
    client = SalesforceClient.from_config(_config(https_env, flow))
    assert client.settings.auth_flow is flow
    describe = client.describe("Account")
    assert describe["name"] == "Account"
    assert client.instance_url.startswith("https://127.0.0.1:")


def test_bad_password_is_a_clear_error_without_the_secret(https_env: dict[str, str]) -> None:
    """A wrong password fails with the OAuth error, and neither secret appears in it."""
    config = _config(https_env, AuthFlow.PASSWORD)
    config["password"] = "Wrong-Password-4242"
    client = SalesforceClient.from_config(config)
    with pytest.raises(SalesforceAuthError, match="invalid_grant") as caught:
        client.login()
    text = str(caught.value) + repr(caught.value.args)
    assert "Wrong-Password-4242" not in text
    assert config["client_secret"] not in text


def test_tap_with_bad_password_exits_non_zero_without_secrets(
    https_env: dict[str, str], tmp_path: Any
) -> None:
    """The tap's command line names the failure and never prints the secrets."""
    config = _config(https_env, AuthFlow.PASSWORD)
    config["password"] = "Wrong-Password-4242"
    path = tmp_path / "config.json"
    path.write_text(__import__("json").dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "tap_salesforce", "--config", str(path), "--discover"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Salesforce login failed" in output
    for secret in (
        "Wrong-Password-4242",
        config["client_secret"],
        config["security_token"],
        "Wrong-Password-4242" + config["security_token"],
    ):
        assert secret not in output


def test_expired_session_is_renewed_transparently(
    sandbox_factory: Callable[..., SandboxProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a 1-second token lifetime, a call after expiry logs in again and succeeds."""
    short = sandbox_factory(seed=7, size="small", token_ttl_salesforce=1)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", short.env["REQUESTS_CA_BUNDLE"])
    client = SalesforceClient.from_config(_config(short.env, AuthFlow.REFRESH_TOKEN))
    first = client.describe("Account")
    time.sleep(1.5)
    records = list(client.query("SELECT Id FROM Account"))
    assert first["name"] == "Account"
    assert records
    by_route = short.calls("salesforce")["by_route"]
    assert by_route[TOKEN_ROUTE] == 2
