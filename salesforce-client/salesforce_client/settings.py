"""Connection settings shared by tap-salesforce and target-salesforce.

The settings are declared once here (as Singer SDK properties) and read into a frozen
:class:`SalesforceSettings`, which also decides the OAuth flow from what was given.

Secrets may be left out of the config: a config that holds none of them reads them all from
their environment variables (`SECRET_VARIABLES`). meltano.yml maps no secret into the plugins'
config, so Meltano never writes one into the run's config file; the plugins get them from the
environment Meltano passes down (the scheduler's, or the project's `.env`). A config that holds
any secret is used as it is, so a standalone run is never mixed with another org's variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from salesforce_client.exceptions import SalesforceConfigError

if TYPE_CHECKING:
    from singer_sdk import typing as th

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
#: Winter '25; every route this client uses exists since v47 (Bulk 2.0 query).
DEFAULT_API_VERSION = "62.0"
#: The share of the org's daily allocation one run may spend (singer-io's tap uses 25 %).
DEFAULT_MAX_API_SHARE_PER_RUN = 0.25
#: Past this share of the allocation used by anyone, stop: leave room for the org's other apps.
DEFAULT_MAX_API_SHARE_TOTAL = 0.8
#: Seconds to wait for one HTTP reply; a REST call times out server side at 10 minutes.
DEFAULT_REQUEST_TIMEOUT = 120.0
#: The environment variable of each secret setting, read when the config holds no secret at all
#: (docs/contracts.md section 2).
#: The grant of the OAuth 2.0 JWT bearer flow (RFC 7523).
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SECRET_VARIABLES = {
    "client_secret": "SALESFORCE_CLIENT_SECRET",
    "password": "SALESFORCE_PASSWORD",
    "security_token": "SALESFORCE_SECURITY_TOKEN",
    "refresh_token": "SALESFORCE_REFRESH_TOKEN",
}


class AuthFlow(StrEnum):
    """The OAuth 2.0 grant used to obtain an access token."""

    REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a grant type name
    JWT_BEARER = "jwt_bearer"
    PASSWORD = "password"  # noqa: S105 - a grant type name, not a secret
    CLIENT_CREDENTIALS = "client_credentials"

    @property
    def grant_type(self) -> str:
        """The ``grant_type`` the token endpoint is sent for this flow."""
        if self is AuthFlow.JWT_BEARER:
            return JWT_BEARER_GRANT
        return self.value


def auth_properties() -> list[th.Property]:
    """Return the connection settings every Salesforce plugin declares.

    Returns:
        Singer SDK properties, credentials marked ``secret``.
    """
    # The plugins' config schema only: a client outside a plugin (the access check) runs without
    # the Singer SDK's import.
    from singer_sdk import typing as th  # noqa: PLC0415

    return [
        th.Property(
            "login_url",
            th.StringType,
            default=DEFAULT_LOGIN_URL,
            title="Login URL",
            description="Base URL of the OAuth token endpoint "
            "(https://test.salesforce.com for sandbox orgs, or the org's My Domain).",
        ),
        th.Property(
            "client_id",
            th.StringType,
            title="Client ID",
            description="Consumer key of the connected app.",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            secret=True,
            title="Client Secret",
            description="Consumer secret of the connected app.",
        ),
        th.Property(
            "username",
            th.StringType,
            title="Username",
            description="User of the JWT bearer and username-password flows.",
        ),
        th.Property(
            "password",
            th.StringType,
            secret=True,
            title="Password",
            description="Password for the username-password flow.",
        ),
        th.Property(
            "security_token",
            th.StringType,
            secret=True,
            title="Security Token",
            description="The user's security token, appended to the password.",
        ),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            title="Refresh Token",
            description="Refresh token; when set, the refresh-token flow is used.",
        ),
        th.Property(
            "jwt_key_file",
            th.StringType,
            title="JWT Key File",
            description="Path of the PEM private key whose certificate the connected app "
            "holds; when set (and no refresh token), the JWT bearer flow is used. The file is "
            "read at each login.",
        ),
        th.Property(
            "api_version",
            th.StringType,
            default=DEFAULT_API_VERSION,
            title="API Version",
            description="Salesforce REST API version, without the leading 'v'.",
        ),
        th.Property(
            "max_api_share_per_run",
            th.NumberType,
            default=DEFAULT_MAX_API_SHARE_PER_RUN,
            title="Max API Share Per Run",
            description="Stop once this run made more calls than this share of the daily "
            "API allocation.",
        ),
        th.Property(
            "max_api_share_total",
            th.NumberType,
            default=DEFAULT_MAX_API_SHARE_TOTAL,
            title="Max API Share Total",
            description="Stop once the org as a whole used more than this share of its daily "
            "API allocation.",
        ),
        th.Property(
            "request_timeout",
            th.NumberType,
            default=DEFAULT_REQUEST_TIMEOUT,
            title="Request Timeout",
            description="Seconds to wait for one HTTP reply before retrying.",
        ),
    ]


@dataclass(frozen=True)
class SalesforceSettings:
    """Everything needed to connect to one org.

    Attributes:
        login_url: base URL of the token endpoint.
        client_id: connected-app consumer key.
        client_secret: connected-app consumer secret.
        username: user of the password flow.
        password: password of the password flow.
        security_token: security token appended to the password.
        refresh_token: refresh token of the refresh-token flow.
        jwt_key_file: path of the PEM private key of the JWT bearer flow (the path is not a
            secret, the file's contents are: it is read at login only).
        api_version: REST API version such as ``62.0``.
        max_api_share_per_run: share of the allocation one run may use.
        max_api_share_total: share of the allocation past which the run stops.
        request_timeout: seconds per HTTP reply.
    """

    login_url: str = DEFAULT_LOGIN_URL
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    refresh_token: str | None = None
    jwt_key_file: str | None = None
    api_version: str = DEFAULT_API_VERSION
    max_api_share_per_run: float = DEFAULT_MAX_API_SHARE_PER_RUN
    max_api_share_total: float = DEFAULT_MAX_API_SHARE_TOTAL
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SalesforceSettings:
        """Read the connection settings out of a plugin config.

        When the config holds no secret at all, every secret is read from its environment
        variable (`SECRET_VARIABLES`). An empty value, in the config or the environment (Meltano
        expands an unset `${VAR}` to ""), counts as unset.

        Args:
            config: the plugin config; unknown keys are ignored, empty strings mean unset.

        Returns:
            The settings.

        Raises:
            SalesforceConfigError: when a value is malformed.
        """

        from_environment = all(config.get(key) in (None, "") for key in SECRET_VARIABLES)

        def text(key: str) -> str | None:
            value = config.get(key)
            if from_environment and key in SECRET_VARIABLES:
                value = os.environ.get(SECRET_VARIABLES[key])
            return str(value) if value not in (None, "") else None

        version = (text("api_version") or DEFAULT_API_VERSION).removeprefix("v")
        settings = cls(
            login_url=(text("login_url") or DEFAULT_LOGIN_URL).rstrip("/"),
            client_id=text("client_id"),
            client_secret=text("client_secret"),
            username=text("username"),
            password=text("password"),
            security_token=text("security_token"),
            refresh_token=text("refresh_token"),
            jwt_key_file=text("jwt_key_file"),
            api_version=version,
            max_api_share_per_run=float(
                config.get("max_api_share_per_run") or DEFAULT_MAX_API_SHARE_PER_RUN
            ),
            max_api_share_total=float(
                config.get("max_api_share_total") or DEFAULT_MAX_API_SHARE_TOTAL
            ),
            request_timeout=float(config.get("request_timeout") or DEFAULT_REQUEST_TIMEOUT),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Check the settings that do not depend on the flow.

        Raises:
            SalesforceConfigError: naming the setting at fault.
        """
        if not self.login_url.startswith(("https://", "http://")):
            msg = f"login_url must be an http(s) URL, got {self.login_url!r}."
            raise SalesforceConfigError(msg)
        try:
            float(self.api_version)
        except ValueError:
            msg = f"api_version must look like '62.0', got {self.api_version!r}."
            raise SalesforceConfigError(msg) from None
        for name in ("max_api_share_per_run", "max_api_share_total"):
            if not 0 < getattr(self, name) <= 1:
                msg = f"{name} must be a share between 0 and 1."
                raise SalesforceConfigError(msg)

    @property
    def auth_flow(self) -> AuthFlow:
        """The OAuth flow these settings call for.

        A refresh token wins, then a JWT key file, then username and password, then the
        client credentials (README, "Running against real orgs").

        Raises:
            SalesforceConfigError: naming the settings that are missing.
        """
        if self.refresh_token:
            self._require(AuthFlow.REFRESH_TOKEN, "client_id")
            return AuthFlow.REFRESH_TOKEN
        if self.jwt_key_file:
            self._require(AuthFlow.JWT_BEARER, "client_id", "username")
            return AuthFlow.JWT_BEARER
        if self.username or self.password:
            self._require(AuthFlow.PASSWORD, "username", "password", "client_id", "client_secret")
            return AuthFlow.PASSWORD
        if self.client_id or self.client_secret:
            self._require(AuthFlow.CLIENT_CREDENTIALS, "client_id", "client_secret")
            return AuthFlow.CLIENT_CREDENTIALS
        msg = (
            "No Salesforce credentials configured: set refresh_token and client_id "
            "(refresh-token flow), or jwt_key_file, client_id and username (JWT bearer flow), "
            "or username, password, security_token, client_id and client_secret "
            "(username-password flow), or client_id and client_secret "
            "(client-credentials flow)."
        )
        raise SalesforceConfigError(msg)

    def _require(self, flow: AuthFlow, *names: str) -> None:
        missing = [name for name in names if not getattr(self, name)]
        if missing:
            msg = f"The Salesforce {flow.value} flow needs these settings: {', '.join(missing)}."
            raise SalesforceConfigError(msg)

    @property
    def secrets(self) -> list[str]:
        """Every secret value, for redaction."""
        values = [self.client_secret, self.password, self.security_token, self.refresh_token]
        if self.password and self.security_token:
            values.insert(0, self.password + self.security_token)
        return [value for value in values if value]

    @property
    def data_path(self) -> str:
        """Path prefix of the REST data API for the configured version."""
        return f"/services/data/v{self.api_version}"
