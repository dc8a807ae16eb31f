"""OAuth 2.0 for the sandbox org: credentials, the token endpoint's grants, bearer sessions.

The connected app also holds a certificate for the JWT bearer flow: the sandbox makes an RSA
key pair and a self-signed certificate at first start (`JwtCertificate`), keeps them in the
data dir, and hands the private key's path out as ``SALESFORCE_JWT_KEY_FILE``.

The authorisation-code flow with PKCE (`Sessions.authorize`, then the ``authorization_code``
grant) consents at once, without a login page: the integration user approves every request.
Its callback URLs are the loopback ones (``http://localhost:PORT/...``, ``127.0.0.1``), as a
connected app set up for ``crmsync connect salesforce`` holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from crmsync_sandbox.common import RecordStore
from crmsync_sandbox.salesforce import ids
from crmsync_sandbox.salesforce.exceptions import OAuthError

_META_CREDENTIALS = "salesforce_credentials"
#: Random characters after ``<org id>!`` in an access token (real ones are about 96 long).
_TOKEN_BYTES = 66
#: Sessions kept before expired ones are swept, so a long benchmark cannot grow memory.
_SWEEP_AT = 10_000
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Salesforce's own authorization servers, accepted as a JWT ``aud`` besides the login URL.
SALESFORCE_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
#: How far ahead a JWT's ``exp`` may be (Salesforce wants a few minutes at most).
JWT_MAX_LIFETIME_S = 300
#: Clock skew tolerated on ``exp``.
JWT_LEEWAY_S = 5
_JWT_DIR = "jwt"
AUTHORIZATION_CODE_GRANT = "authorization_code"
#: Seconds an authorisation code may wait for its exchange (Salesforce's codes last 15 minutes).
CODE_TTL_S = 900
#: Meta key of the refresh tokens the authorisation-code flow issued (they outlive restarts).
_META_REFRESH_TOKENS = "salesforce_refresh_tokens"
#: Hosts a callback URL may name: the connected app's callback URLs are the loopback ones.
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


class AuthorizePageError(Exception):
    """An ``/authorize`` request the org answers with an error page, not a redirect.

    Salesforce shows ``error=...&error_description=...`` as the page's text when it cannot
    trust the redirect URI: an unknown client id or a callback URL the app does not hold.
    """

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"error={error}&error_description={description}")
        self.error = error
        self.description = description


@dataclass(frozen=True)
class _AuthorizationCode:
    client_id: str
    redirect_uri: str
    challenge: str
    user_id: str
    expires: float


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

    def env(self, login_url: str, jwt_key_file: Path | None = None) -> dict[str, str]:
        """Return the ``SALESFORCE_*`` entries of ``sandbox.env``."""
        jwt_entry = {"SALESFORCE_JWT_KEY_FILE": str(jwt_key_file)} if jwt_key_file else {}
        return {
            **jwt_entry,
            "SALESFORCE_LOGIN_URL": login_url,
            "SALESFORCE_CLIENT_ID": self.client_id,
            "SALESFORCE_CLIENT_SECRET": self.client_secret,
            "SALESFORCE_USERNAME": self.username,
            "SALESFORCE_PASSWORD": self.password,
            "SALESFORCE_SECURITY_TOKEN": self.security_token,
            "SALESFORCE_REFRESH_TOKEN": self.refresh_token,
        }


@dataclass(frozen=True)
class JwtCertificate:
    """The connected app's certificate for the JWT bearer flow, and its private key's file.

    Attributes:
        key_file: the PEM private key (mode 600), what a client signs with.
        cert_file: the self-signed certificate the connected app holds.
        public_key: the certificate's key, what assertions are verified with.
    """

    key_file: Path
    cert_file: Path
    public_key: rsa.RSAPublicKey

    @classmethod
    def load_or_create(cls, data_dir: Path, client_id: str) -> JwtCertificate:
        """Return the data dir's key pair and certificate, made at first start.

        Args:
            data_dir: the sandbox data dir (the files go in ``jwt/``).
            client_id: the connected app's consumer key (the certificate's subject).
        """
        folder = data_dir / _JWT_DIR
        key_file, cert_file = folder / "private-key.pem", folder / "certificate.pem"
        if not (key_file.exists() and cert_file.exists()):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            _issue_jwt_certificate(key_file, cert_file, client_id)
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        public_key = cert.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            msg = f"{cert_file} does not hold an RSA certificate"
            raise TypeError(msg)
        return cls(key_file, cert_file, public_key)


def _issue_jwt_certificate(key_file: Path, cert_file: Path, client_id: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "crmsync sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"connected app {client_id[:32]}"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = key_file.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    tmp.touch(mode=0o600)  # owner-only before the key is written into it
    tmp.chmod(0o600)
    tmp.write_bytes(pem)
    tmp.replace(key_file)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


class Sessions:
    """Issues access tokens and resolves bearer tokens to users; many valid at once."""

    def __init__(
        self,
        creds: Credentials,
        user_id: str,
        ttl_s: float,
        base_url: str,
        *,
        jwt_certificate: JwtCertificate | None = None,
        find_user: Callable[[str], str | None] | None = None,
        store: RecordStore | None = None,
    ) -> None:
        """Set up the token endpoint.

        Args:
            creds: the org's credentials.
            user_id: the user every grant but the JWT bearer one logs in as (the integration
                user).
            ttl_s: access-token lifetime in seconds.
            base_url: the server's base URL (``instance_url`` of token responses, and the
                login URL a JWT's ``aud`` may name).
            jwt_certificate: the connected app's certificate; without one the JWT bearer
                grant is refused.
            find_user: the active user id of a username (a JWT's ``sub``); by default only
                the integration user's username is known.
            store: where the refresh tokens the authorisation-code flow issues are kept.
        """
        self.creds = creds
        self.user_id = user_id
        self.ttl_s = ttl_s
        self.base_url = base_url
        self.jwt_certificate = jwt_certificate
        self.find_user = find_user or (
            lambda name: user_id if name.lower() == creds.username.lower() else None
        )
        self._tokens: dict[str, tuple[str, float]] = {}
        #: Every token handed out since start, the refresh token the org accepts first.
        self._issued: list[str] = [creds.refresh_token]
        self._lock = threading.Lock()
        self.store = store
        self._codes: dict[str, _AuthorizationCode] = {}
        #: Refresh tokens of the authorisation-code flow -> the user who consented.
        self._refresh_tokens: dict[str, str] = dict(
            (store.get_meta(_META_REFRESH_TOKENS) if store else None) or {}
        )
        self._issued += list(self._refresh_tokens)

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
        if grant_type == JWT_BEARER_GRANT:
            return self._issue(grant_type, self._jwt_bearer_user(form.get("assertion", "")))
        client_id, client_secret = basic or (
            form.get("client_id", ""),
            form.get("client_secret", ""),
        )
        if grant_type not in {
            "password",
            "refresh_token",
            "client_credentials",
            AUTHORIZATION_CODE_GRANT,
        }:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        if not _same(client_id, self.creds.client_id):
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if grant_type == AUTHORIZATION_CODE_GRANT:
            if client_secret and not _same(client_secret, self.creds.client_secret):
                raise OAuthError("invalid_client", "invalid client credentials")
            return self._exchange_code(form, client_id)
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
            user_id = self._refresh_token_user(form.get("refresh_token", ""))
            if user_id is None:
                raise OAuthError("invalid_grant", "expired access/refresh token")
            return self._issue(grant_type, user_id, refresh_token=form["refresh_token"])
        elif not _same(client_secret, self.creds.client_secret):
            raise OAuthError("invalid_client", "invalid client credentials")
        return self._issue(grant_type)

    def _refresh_token_user(self, token: str) -> str | None:
        """The user a refresh token logs in as, or ``None`` if the org does not know it."""
        if _same(token, self.creds.refresh_token):
            return self.user_id
        with self._lock:
            return self._refresh_tokens.get(token)

    # -- the authorisation-code flow with PKCE ----------------------------------------------
    def authorize(self, params: Mapping[str, str]) -> str:
        """Consent to an ``/authorize`` request at once and return where to redirect to.

        Errors the client should see go back to ``redirect_uri`` as ``error`` and
        ``error_description`` (with the ``state``), as Salesforce redirects them.

        Raises:
            AuthorizePageError: an unknown client id or a callback URL the app does not
                hold: no redirect can be trusted.
        """
        redirect_uri = params.get("redirect_uri", "")
        if not _same(params.get("client_id", ""), self.creds.client_id):
            raise AuthorizePageError("invalid_client_id", "client identifier invalid")
        if not _is_loopback_callback(redirect_uri):
            raise AuthorizePageError(
                "redirect_uri_mismatch", "redirect_uri must match configuration"
            )
        reply = {"state": params["state"]} if "state" in params else {}
        challenge = params.get("code_challenge", "")
        if params.get("response_type") != "code":
            reply |= {"error": "unsupported_response_type", "error_description": "unsupported"}
        elif not challenge or params.get("code_challenge_method", "S256") != "S256":
            reply |= {
                "error": "invalid_request",
                "error_description": "code_challenge with code_challenge_method S256 required",
            }
        else:
            code = "aPrx" + secrets.token_urlsafe(48)
            entry = _AuthorizationCode(
                self.creds.client_id,
                redirect_uri,
                challenge,
                self.user_id,
                time.monotonic() + CODE_TTL_S,
            )
            with self._lock:
                now = time.monotonic()
                self._codes = {k: v for k, v in self._codes.items() if v.expires >= now}
                self._codes[code] = entry
            reply = {"code": code, **reply}
        separator = "&" if urlsplit(redirect_uri).query else "?"
        return redirect_uri + separator + urlencode(reply)

    def _exchange_code(self, form: Mapping[str, str], client_id: str) -> dict[str, Any]:
        """Check a code (single use, unexpired, same client and callback, the verifier).

        Raises:
            OAuthError: ``invalid_grant``.
        """
        with self._lock:
            entry = self._codes.pop(form.get("code", ""), None)
        if entry is None or entry.expires < time.monotonic():
            raise OAuthError("invalid_grant", "expired authorization code")
        if not _same(client_id, entry.client_id):
            raise OAuthError("invalid_grant", "authorization code was not issued to this client")
        if form.get("redirect_uri", "") != entry.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri must match configuration")
        verifier = form.get("code_verifier", "")
        if not verifier:
            raise OAuthError("invalid_grant", "invalid code verifier")
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        if not _same(base64.urlsafe_b64encode(digest).rstrip(b"=").decode(), entry.challenge):
            raise OAuthError("invalid_grant", "invalid code verifier")
        refresh_token = "5Aep861" + secrets.token_urlsafe(64).replace("-", ".").replace("_", ".")
        with self._lock:
            self._refresh_tokens[refresh_token] = entry.user_id
            self._issued.append(refresh_token)
            if self.store is not None:
                self.store.set_meta(_META_REFRESH_TOKENS, self._refresh_tokens)
        return self._issue(AUTHORIZATION_CODE_GRANT, entry.user_id, refresh_token=refresh_token)

    def userinfo(self, authorization: str | None) -> dict[str, Any] | None:
        """The ``/services/oauth2/userinfo`` claims of a bearer token's user, or ``None``."""
        user_id = self.user_of(authorization)
        if user_id is None:
            return None
        return {
            "sub": f"{self.base_url}/id/{ids.ORG_ID}/{user_id}",
            "user_id": user_id,
            "organization_id": ids.ORG_ID,
            "preferred_username": self.creds.username if user_id == self.user_id else None,
        }

    def _jwt_bearer_user(self, assertion: str) -> str:
        """Verify a JWT bearer assertion as Salesforce does and return the user of its ``sub``.

        Raises:
            OAuthError: ``invalid_grant`` (signature, audience, expiry, user) or
                ``invalid_client_id`` (``iss`` is not the connected app).
        """
        if self.jwt_certificate is None:
            raise OAuthError("invalid_grant", "no certificate for the JWT bearer flow")
        if not assertion:
            raise OAuthError("invalid_grant", "invalid assertion")
        try:
            claims = jwt.decode(
                assertion,
                self.jwt_certificate.public_key,
                algorithms=["RS256"],
                audience=[self.base_url, *SALESFORCE_AUDIENCES],
                leeway=JWT_LEEWAY_S,
                options={"require": ["iss", "sub", "aud", "exp"]},
            )
        except jwt.InvalidAudienceError:
            raise OAuthError("invalid_grant", "audience is invalid") from None
        except jwt.ExpiredSignatureError:
            raise OAuthError("invalid_grant", "expired assertion") from None
        except jwt.InvalidTokenError:
            raise OAuthError("invalid_grant", "invalid assertion") from None
        if claims["exp"] > time.time() + JWT_MAX_LIFETIME_S + JWT_LEEWAY_S:
            raise OAuthError("invalid_grant", "expiration too far in the future")
        if not _same(str(claims["iss"]), self.creds.client_id):
            raise OAuthError("invalid_client_id", "client identifier invalid")
        user_id = self.find_user(str(claims["sub"]))
        if user_id is None:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
        return user_id

    def _issue(
        self, grant_type: str, user_id: str | None = None, *, refresh_token: str | None = None
    ) -> dict[str, Any]:
        user_id = user_id or self.user_id
        token = f"{ids.ORG_ID_15}!" + secrets.token_urlsafe(_TOKEN_BYTES)
        now = time.monotonic()
        with self._lock:
            if len(self._tokens) >= _SWEEP_AT:
                self._tokens = {k: v for k, v in self._tokens.items() if v[1] >= now}
            self._tokens[token] = (user_id, now + self.ttl_s)
            self._issued.append(token)
        identity = f"{self.base_url}/id/{ids.ORG_ID}/{user_id}"
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
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
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


def _is_loopback_callback(uri: str) -> bool:
    parts = urlsplit(uri)
    return (
        parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS and not parts.fragment
    )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
