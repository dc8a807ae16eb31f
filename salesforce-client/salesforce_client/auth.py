"""OAuth 2.0 token requests: refresh token, username-password and client credentials.

simple-salesforce 1.12.10 has no refresh-token grant and builds its login host from a
``domain``, so the token call is owned here; it posts to ``{login_url}/services/oauth2/token``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from crmsync_common.redact import redact

from salesforce_client.exceptions import SalesforceAuthError, SalesforceUnavailableError
from salesforce_client.settings import AuthFlow, SalesforceSettings

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 - a URL path, not a secret

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccessToken:
    """A session: the bearer token and the instance every data call goes to.

    Attributes:
        access_token: the bearer token (a secret: never logged).
        instance_url: base URL of the org's instance, without a trailing slash.
    """

    access_token: str
    instance_url: str

    def __repr__(self) -> str:
        """Keep the token out of reprs and tracebacks."""
        return f"AccessToken(access_token='***', instance_url={self.instance_url!r})"


class OAuthAuthenticator:
    """Obtains access tokens with the flow the settings call for.

    Args:
        settings: the connection settings.
        session: the HTTP session to post with.
    """

    def __init__(self, settings: SalesforceSettings, session: requests.Session) -> None:
        self.settings = settings
        self.session = session
        self.flow = settings.auth_flow
        self._refresh_token = settings.refresh_token

    def fetch(self) -> AccessToken:
        """Request a new access token.

        Returns:
            The new session.

        Raises:
            SalesforceAuthError: the endpoint refused the credentials.
            SalesforceUnavailableError: the endpoint could not be reached.
        """
        url = self.settings.login_url + TOKEN_PATH
        try:
            response = self.session.post(
                url,
                data=self._form(),
                headers={"Accept": "application/json"},
                timeout=self.settings.request_timeout,
            )
        except requests.RequestException as exc:
            detail = redact(str(exc), self.settings.secrets)
            msg = f"Salesforce login endpoint {self.settings.login_url} unreachable: {detail}"
            raise SalesforceUnavailableError(msg) from None
        return self._parse(response)

    def _form(self) -> dict[str, str]:
        settings = self.settings
        form: dict[str, str] = {"grant_type": self.flow.value}
        if settings.client_id:
            form["client_id"] = settings.client_id
        if settings.client_secret:
            form["client_secret"] = settings.client_secret
        if self.flow is AuthFlow.REFRESH_TOKEN:
            form["refresh_token"] = self._refresh_token or ""
        elif self.flow is AuthFlow.PASSWORD:
            form["username"] = settings.username or ""
            form["password"] = (settings.password or "") + (settings.security_token or "")
        return form

    def _parse(self, response: requests.Response) -> AccessToken:
        secrets = self.settings.secrets
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            if response.status_code >= 500:
                msg = f"Salesforce login endpoint answered HTTP {response.status_code}."
                raise SalesforceUnavailableError(msg)
            error = str(body.get("error", f"HTTP {response.status_code}"))
            description = str(body.get("error_description", "no description"))
            raise SalesforceAuthError(
                self.flow.value, redact(error, secrets), redact(description, secrets)
            )
        rotated = body.get("refresh_token")
        if self.flow is AuthFlow.REFRESH_TOKEN and rotated and rotated != self._refresh_token:
            # Refresh-token rotation: the old token is now invalid, keep the new one.
            self._refresh_token = rotated
        logger.info("Logged in to Salesforce with the %s flow.", self.flow.value)
        return AccessToken(str(body["access_token"]), str(body["instance_url"]).rstrip("/"))
