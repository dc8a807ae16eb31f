"""OAuth 2.0 for the sandbox org: credentials, the token endpoint's grants, bearer sessions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from crmsync_sandbox.common import RecordStore
from crmsync_sandbox.salesforce import ids
from crmsync_sandbox.salesforce.exceptions import OAuthError

_META_CREDENTIALS = "salesforce_credentials"
#: Random characters after ``<org id>!`` in an access token (real ones are about 96 long).
_TOKEN_BYTES = 66
#: Sessions kept before expired ones are swept, so a long benchmark cannot grow memory.
_SWEEP_AT = 10_000


@dataclass(frozen=True)
class Credentials:
    """The connected app and the integration user's secrets of the sandbox org."""

    client_id: str
    client_secret: str
    username: str
    password: str
    security_token: str
    refresh_token: str

    @classmethod
    def load_or_create(cls, store: RecordStore | None, username: str) -> Credentials:
        """Return the org's credentials, generated once and kept in the data dir."""
        saved = store.get_meta(_META_CREDENTIALS) if store else None
        if saved:
            return cls(**saved)
        creds = cls(
            client_id="3MVG9" + secrets.token_urlsafe(60).replace("-", "A").replace("_", "B")[:80],
            client_secret=secrets.token_hex(32).upper(),
            username=username,
            password="Sandbox-" + secrets.token_urlsafe(12),
            security_token=secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")[:24],
            refresh_token="5Aep861" + secrets.token_urlsafe(64).replace("-", ".").replace("_", "."),
        )
        if store is not None:
            store.set_meta(_META_CREDENTIALS, creds.__dict__)
        return creds

    def env(self, login_url: str) -> dict[str, str]:
        """Return the ``SALESFORCE_*`` entries of ``sandbox.env``."""
        return {
            "SALESFORCE_LOGIN_URL": login_url,
            "SALESFORCE_CLIENT_ID": self.client_id,
            "SALESFORCE_CLIENT_SECRET": self.client_secret,
            "SALESFORCE_USERNAME": self.username,
            "SALESFORCE_PASSWORD": self.password,
            "SALESFORCE_SECURITY_TOKEN": self.security_token,
            "SALESFORCE_REFRESH_TOKEN": self.refresh_token,
        }


class Sessions:
    """Issues access tokens and resolves bearer tokens to users; many valid at once."""

    def __init__(self, creds: Credentials, user_id: str, ttl_s: float, base_url: str) -> None:
        """Set up the token endpoint.

        Args:
            creds: the org's credentials.
            user_id: the user every grant logs in as (the integration user).
            ttl_s: access-token lifetime in seconds.
            base_url: the server's base URL (``instance_url`` of token responses).
        """
        self.creds = creds
        self.user_id = user_id
        self.ttl_s = ttl_s
        self.base_url = base_url
        self._tokens: dict[str, tuple[str, float]] = {}
        #: Every token handed out since start, the refresh token the org accepts first.
        self._issued: list[str] = [creds.refresh_token]
        self._lock = threading.Lock()

    @property
    def issued(self) -> list[str]:
        """Every access token issued since start, and the org's refresh token."""
        with self._lock:
            return list(self._issued)

    def expire_all(self) -> int:
        """Refuse every access token issued so far (as an org refuses expired sessions).

        The refresh token stays valid: it is not a session, and new logins work.

        Returns:
            How many sessions were still valid.
        """
        now = time.monotonic()
        with self._lock:
            live = sum(1 for _user, expires in self._tokens.values() if expires >= now)
            self._tokens = {}
        return live

    def user_of(self, authorization: str | None) -> str | None:
        """Return the user of a ``Bearer`` header, or ``None`` if missing, unknown or expired."""
        if not authorization or not authorization.startswith(("Bearer ", "OAuth ")):
            return None
        entry = self._tokens.get(authorization.split(" ", 1)[1].strip())
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def grant(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        """Run the token endpoint for a form body (and an optional HTTP Basic client).

        Raises:
            OAuthError: ``unsupported_grant_type``, ``invalid_client_id``, ``invalid_client``,
                ``invalid_grant``.
        """
        grant_type = form.get("grant_type", "")
        client_id, client_secret = basic or (
            form.get("client_id", ""),
            form.get("client_secret", ""),
        )
        if grant_type not in {"password", "refresh_token", "client_credentials"}:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        if not _same(client_id, self.creds.client_id):
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if grant_type == "password":
            secret_ok = _same(client_secret, self.creds.client_secret)
            if not secret_ok:
                raise OAuthError("invalid_client", "invalid client credentials")
            expected = self.creds.password + self.creds.security_token
            user_ok = form.get("username", "").lower() == self.creds.username.lower()
            if not (user_ok and _same(form.get("password", ""), expected)):
                raise OAuthError("invalid_grant", "authentication failure")
        elif grant_type == "refresh_token":
            if client_secret and not _same(client_secret, self.creds.client_secret):
                raise OAuthError("invalid_client", "invalid client credentials")
            if not _same(form.get("refresh_token", ""), self.creds.refresh_token):
                raise OAuthError("invalid_grant", "expired access/refresh token")
        elif not _same(client_secret, self.creds.client_secret):
            raise OAuthError("invalid_client", "invalid client credentials")
        return self._issue(grant_type)

    def _issue(self, grant_type: str) -> dict[str, Any]:
        token = f"{ids.ORG_ID_15}!" + secrets.token_urlsafe(_TOKEN_BYTES)
        now = time.monotonic()
        with self._lock:
            if len(self._tokens) >= _SWEEP_AT:
                self._tokens = {k: v for k, v in self._tokens.items() if v[1] >= now}
            self._tokens[token] = (self.user_id, now + self.ttl_s)
            self._issued.append(token)
        identity = f"{self.base_url}/id/{ids.ORG_ID}/{self.user_id}"
        issued_at = str(int(time.time() * 1000))
        digest = hmac.new(
            self.creds.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
        ).digest()
        body: dict[str, Any] = {
            "access_token": token,
            "instance_url": self.base_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest).decode(),
            "scope": "api refresh_token",
        }
        if grant_type == "refresh_token":
            body["refresh_token"] = self.creds.refresh_token
        return body


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """Return ``(client_id, client_secret)`` from an HTTP Basic header, or ``None``."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
