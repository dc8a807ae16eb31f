"""API keys and session tokens of the ForceManager sandbox."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from crmsync_sandbox.common import RecordStore

_CREDENTIALS_KEY = "credentials"
#: Bytes of randomness in a session key; opaque to clients, like the real securecookie token.
_TOKEN_BYTES = 32
#: The user the API keys belong to (the first demo user, "API Integration").
API_USER_ID = 1


@dataclass(frozen=True)
class ApiKeys:
    """The public/private key pair `POST /login` accepts."""

    public: str
    private: str


@dataclass(frozen=True)
class Session:
    """A valid session: whose it is and until when."""

    user_id: int
    expires_at: float


def load_or_create_keys(store: RecordStore) -> ApiKeys:
    """The sandbox's API keys, generated on first start and kept in the database.

    Args:
        store: The ForceManager database.

    Returns:
        The key pair.
    """
    stored = store.get_meta(_CREDENTIALS_KEY)
    if stored is None:
        stored = {
            "public": "fm-public-" + secrets.token_hex(8),
            "private": "fm-private-" + secrets.token_hex(16),
        }
        store.set_meta(_CREDENTIALS_KEY, stored)
    return ApiKeys(public=stored["public"], private=stored["private"])


class SessionRegistry:
    """Issues opaque session keys with a lifetime; many can be valid at once."""

    def __init__(self, keys: ApiKeys, ttl_seconds: int) -> None:
        """Set up an empty registry.

        Args:
            keys: The accepted API keys.
            ttl_seconds: Lifetime of a session key.
        """
        self._keys = keys
        self._ttl = ttl_seconds
        self._sessions: dict[str, Session] = {}
        self._issued: list[str] = []
        self._lock = threading.Lock()

    @property
    def issued(self) -> list[str]:
        """Every session key issued since start, expired ones included."""
        with self._lock:
            return list(self._issued)

    def expire_all(self) -> int:
        """Refuse every session key issued so far; new logins work.

        Returns:
            How many sessions were still valid.
        """
        now = time.monotonic()
        with self._lock:
            live = sum(1 for s in self._sessions.values() if s.expires_at > now)
            self._sessions = {}
        return live

    def login(self, username: object, password: object) -> str | None:
        """Check the keys and open a session.

        Args:
            username: The public key sent.
            password: The private key sent.

        Returns:
            A new session key, or None if the keys are wrong.
        """
        if not isinstance(username, str) or not isinstance(password, str):
            return None
        public_ok = secrets.compare_digest(username, self._keys.public)
        private_ok = secrets.compare_digest(password, self._keys.private)
        if not (public_ok and private_ok):
            return None
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        with self._lock:
            self._sessions[token] = Session(API_USER_ID, time.monotonic() + self._ttl)
            self._issued.append(token)
            self._forget_expired()
        return token

    def check(self, token: str | None) -> Session | None:
        """The session a key opens, if it exists and has not expired.

        Args:
            token: The `X-Session-Key` header value.

        Returns:
            The session or None.
        """
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None or session.expires_at <= time.monotonic():
            return None
        return session

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for token in [t for t, s in self._sessions.items() if s.expires_at <= now]:
            del self._sessions[token]
