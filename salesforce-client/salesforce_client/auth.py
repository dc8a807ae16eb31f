"""OAuth 2.0 token requests: refresh token, JWT bearer, username-password, client credentials.

simple-salesforce 1.12.10 has no refresh-token grant and builds its login host from a
``domain``, so the token call is owned here; it posts to ``{login_url}/services/oauth2/token``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import requests
from crmsync_common.apicalls import LEDGER, CallCounter
from crmsync_common.redact import redact
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from salesforce_client.exceptions import (
    SalesforceAuthError,
    SalesforceConfigError,
    SalesforceUnavailableError,
)
from salesforce_client.settings import AuthFlow, SalesforceSettings

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 - a URL path, not a secret
#: Seconds a JWT bearer assertion is valid: Salesforce wants `exp` a few minutes ahead at most.
JWT_LIFETIME_S = 180
PRODUCTION_AUDIENCE = "https://login.salesforce.com"
SANDBOX_AUDIENCE = "https://test.salesforce.com"

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
        calls: where each token request is counted (as `auth`).
    """

    def __init__(
        self,
        settings: SalesforceSettings,
        session: requests.Session,
        *,
        clock: Callable[[], float] = time.time,
        calls: CallCounter | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.calls = calls or LEDGER.side("salesforce")
        self.flow = settings.auth_flow
        self.clock = clock
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
        form = self._form()
        self.calls.sent("POST", TOKEN_PATH, auth=True)
        try:
            response = self.session.post(
                url,
                data=form,
                headers={"Accept": "application/json"},
                timeout=self.settings.request_timeout,
            )
        except requests.RequestException as exc:
            signed = [form["assertion"]] if "assertion" in form else []
            detail = redact(str(exc), [*self.settings.secrets, *signed])
            msg = f"Salesforce login endpoint {self.settings.login_url} unreachable: {detail}"
            raise SalesforceUnavailableError(msg) from None
        return self._parse(response)

    def _form(self) -> dict[str, str]:
        settings = self.settings
        form: dict[str, str] = {"grant_type": self.flow.grant_type}
        if self.flow is AuthFlow.JWT_BEARER:
            # The signature authenticates the app: no client id or secret goes along.
            form["assertion"] = self.assertion()
            return form
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

    def assertion(self) -> str:
        """Sign a new JWT bearer assertion (the key file is read now, at each login).

        Returns:
            The RS256-signed JWT: ``iss`` the client id, ``sub`` the username, ``aud`` the
            login host, ``exp`` `JWT_LIFETIME_S` from now.

        Raises:
            SalesforceConfigError: the key file is missing, unreadable or holds no RSA
                private key.
        """
        settings = self.settings
        claims = {
            "iss": settings.client_id,
            "sub": settings.username,
            "aud": jwt_audience(settings.login_url),
            "exp": int(self.clock()) + JWT_LIFETIME_S,
        }
        return jwt.encode(claims, load_jwt_key(settings.jwt_key_file or ""), algorithm="RS256")

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


def jwt_audience(login_url: str) -> str:
    """The ``aud`` of a JWT bearer assertion for a login URL.

    Salesforce names its authorization servers ``https://login.salesforce.com`` (production
    and developer orgs, their My Domain hosts included) and ``https://test.salesforce.com``
    (sandbox orgs, ``*.sandbox.my.salesforce.com``); any other login URL (an Experience Cloud
    site, a local emulator) is its own audience.

    Args:
        login_url: the configured login URL.

    Returns:
        The audience.
    """
    host = (urlsplit(login_url).hostname or "").lower()
    if host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com"):
        return SANDBOX_AUDIENCE
    if host == "login.salesforce.com" or host.endswith(".my.salesforce.com"):
        return PRODUCTION_AUDIENCE
    return login_url.rstrip("/")


def load_jwt_key(path: str) -> RSAPrivateKey:
    """Read the JWT bearer flow's private key; errors name the setting, never the contents.

    Args:
        path: the PEM file (``jwt_key_file``, ``SALESFORCE_JWT_KEY_FILE``).

    Returns:
        The RSA private key.

    Raises:
        SalesforceConfigError: the file is missing, unreadable, encrypted or not an RSA
            private key.
    """
    where = f"jwt_key_file (SALESFORCE_JWT_KEY_FILE) {path!r}"
    try:
        pem = Path(path).expanduser().read_bytes()
    except OSError as exc:
        msg = f"{where} cannot be read: {exc.strerror or type(exc).__name__}."
        raise SalesforceConfigError(msg) from None
    try:
        key = load_pem_private_key(pem, password=None)
    except TypeError:
        msg = f"{where} is encrypted: give the key without a passphrase."
        raise SalesforceConfigError(msg) from None
    except (ValueError, UnsupportedAlgorithm):
        msg = f"{where} is not a PEM private key."
        raise SalesforceConfigError(msg) from None
    if not isinstance(key, RSAPrivateKey):
        msg = f"{where} is not an RSA private key (RS256 needs one)."
        raise SalesforceConfigError(msg)
    return key
