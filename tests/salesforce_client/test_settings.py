"""Unit tests of settings parsing, the choice of OAuth flow, and the API budget guard."""

from __future__ import annotations

import pytest
from salesforce_client import AuthFlow, SalesforceConfigError, SalesforceSettings
from salesforce_client.budget import ApiBudget, parse_api_usage
from salesforce_client.exceptions import ApiBudgetExceededError
from salesforce_client.retry import RetryPolicy, is_retryable
from salesforce_client.settings import SECRET_VARIABLES


@pytest.fixture(autouse=True)
def _no_secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shell that sourced a sandbox.env must not change what these tests see."""
    for variable in SECRET_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)


def test_refresh_token_wins_over_password() -> None:
    """A refresh token selects the refresh-token flow even when a password is also set."""
    settings = SalesforceSettings.from_config(
        {"refresh_token": "rt", "client_id": "cid", "username": "u", "password": "p"}
    )
    assert settings.auth_flow is AuthFlow.REFRESH_TOKEN


def test_username_password_flow() -> None:
    """Username and password with the client pair select the password flow."""
    settings = SalesforceSettings.from_config(
        {"username": "u", "password": "p", "client_id": "c", "client_secret": "s"}
    )
    assert settings.auth_flow is AuthFlow.PASSWORD


def test_client_credentials_flow() -> None:
    """Only the client pair selects the client-credentials flow."""
    settings = SalesforceSettings.from_config({"client_id": "c", "client_secret": "s"})
    assert settings.auth_flow is AuthFlow.CLIENT_CREDENTIALS


def test_password_flow_names_missing_settings() -> None:
    """A half-configured password flow names exactly what is missing."""
    settings = SalesforceSettings.from_config({"username": "u", "client_id": "c"})
    with pytest.raises(SalesforceConfigError, match="password, client_secret"):
        _ = settings.auth_flow


def test_no_credentials_is_a_clear_error() -> None:
    """No credential at all lists the three ways to configure one."""
    with pytest.raises(SalesforceConfigError, match="refresh_token"):
        _ = SalesforceSettings.from_config({}).auth_flow


def test_secrets_missing_from_the_config_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """meltano.yml maps no secret into the config: the plugin reads SALESFORCE_* itself."""
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("SALESFORCE_PASSWORD", "env-password")
    monkeypatch.setenv("SALESFORCE_SECURITY_TOKEN", "env-token")
    settings = SalesforceSettings.from_config({"client_id": "c", "username": "u"})
    assert settings.auth_flow is AuthFlow.PASSWORD
    assert (settings.client_secret, settings.password, settings.security_token) == (
        "env-secret",
        "env-password",
        "env-token",
    )
    assert "env-passwordenv-token" in settings.secrets


def test_refresh_token_from_the_environment_selects_its_flow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SALESFORCE_REFRESH_TOKEN alone (no username, password or token) is enough."""
    monkeypatch.setenv("SALESFORCE_REFRESH_TOKEN", "env-refresh")
    # Meltano expands the unset ${SALESFORCE_USERNAME} to "": that is unset, not a username.
    settings = SalesforceSettings.from_config({"client_id": "c", "username": ""})
    assert settings.auth_flow is AuthFlow.REFRESH_TOKEN
    assert settings.refresh_token == "env-refresh"
    assert "env-refresh" in settings.secrets


def test_empty_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty variable or config value is no credential: the password flow is chosen."""
    monkeypatch.setenv("SALESFORCE_REFRESH_TOKEN", "")
    settings = SalesforceSettings.from_config(
        {
            "client_id": "c",
            "client_secret": "s",
            "username": "u",
            "password": "p",
            "security_token": "",
            "refresh_token": "",
        }
    )
    assert settings.auth_flow is AuthFlow.PASSWORD
    assert settings.refresh_token is None
    assert settings.security_token is None


def test_a_config_holding_secrets_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """A standalone config with its secrets is not mixed with another org's variables."""
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("SALESFORCE_REFRESH_TOKEN", "env-refresh")
    settings = SalesforceSettings.from_config(
        {"client_id": "c", "client_secret": "cfg", "username": "u", "password": "p"}
    )
    assert settings.client_secret == "cfg"
    assert settings.refresh_token is None
    assert settings.auth_flow is AuthFlow.PASSWORD


def test_api_version_and_login_url_are_normalised() -> None:
    """A leading 'v' and a trailing slash are tolerated."""
    settings = SalesforceSettings.from_config(
        {"api_version": "v61.0", "login_url": "https://test.salesforce.com/"}
    )
    assert settings.data_path == "/services/data/v61.0"
    assert settings.login_url == "https://test.salesforce.com"


def test_secrets_include_password_with_token() -> None:
    """The password with the security token appended is redacted as one value too."""
    settings = SalesforceSettings(password="pw12", security_token="tok34")
    assert "pw12tok34" in settings.secrets


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("api-usage=18/5000", (18, 5000)),
        ("api-usage=18/5000; per-app-api-usage=17/250(appName=x)", (18, 5000)),
        ("per-app-api-usage=17/250(appName=x)", None),
        (None, None),
    ],
)
def test_parse_api_usage(header: str | None, expected: tuple[int, int] | None) -> None:
    """The org-wide usage is read, per-app usage ignored."""
    assert parse_api_usage(header) == expected


def test_budget_stops_past_the_run_share() -> None:
    """Past the run's share of the allocation, the next call is refused."""
    budget = ApiBudget(max_share_per_run=0.25, max_share_total=0.8)
    for _ in range(25):
        budget.record_call("api-usage=10/100")
    budget.check()
    budget.record_call("api-usage=11/100")
    with pytest.raises(ApiBudgetExceededError, match="max_api_share_per_run"):
        budget.check()


def test_budget_stops_past_the_org_share() -> None:
    """An org already past the total share stops the run at its first check."""
    budget = ApiBudget(max_share_per_run=0.25, max_share_total=0.8)
    budget.record_call("api-usage=81/100")
    with pytest.raises(ApiBudgetExceededError, match="81 of 100"):
        budget.check()


def test_retry_policy() -> None:
    """5xx and the documented transient codes retry; client errors do not."""
    assert is_retryable(503, None)
    assert is_retryable(400, "UNABLE_TO_LOCK_ROW")
    assert not is_retryable(400, "MALFORMED_QUERY")
    assert not is_retryable(404, "NOT_FOUND")
    delays = [RetryPolicy(base_delay=1, max_delay=4).delay(n) for n in range(1, 6)]
    assert all(0 < d <= 4 for d in delays)
