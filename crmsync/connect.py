"""`crmsync connect salesforce`: a refresh token by the authorisation-code flow with PKCE.

A person authorises crmsync once in a browser; crmsync receives the code on a loopback port
(``http://localhost:PORT/callback``, a callback URL of the connected app), exchanges it with the
PKCE verifier (RFC 7636, S256) and keeps the refresh token: in the ``.env`` file (mode 600, the
``SALESFORCE_REFRESH_TOKEN`` line replaced, every other line kept) or printed for the
deployment's secret store. The token, the code and the verifier are never logged.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import os
import re
import secrets
import shlex
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
#: The Salesforce CLI's loopback port: connected apps often already list it as a callback.
DEFAULT_PORT = 1717
CALLBACK_PATH = "/callback"
#: Seconds to wait for the browser's callback.
DEFAULT_TIMEOUT_S = 300.0
DEFAULT_ENV_FILE = Path(".env")
REFRESH_TOKEN_VARIABLE = "SALESFORCE_REFRESH_TOKEN"  # noqa: S105 - a variable name
#: `api` for the data APIs, `refresh_token` for a token that outlives the session.
SCOPE = "api refresh_token"
AUTHORIZE_PATH = "/services/oauth2/authorize"
TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 - a URL path
#: Seconds per HTTP call to the login host.
HTTP_TIMEOUT_S = 30.0
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9._~+/=!:@%-]*$")
_PAGE = "<!doctype html><title>crmsync</title><p>{message}</p><p>You may close this window.</p>\n"


class ConnectError(Exception):
    """The flow cannot complete; the message is one line and holds no secret."""


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair: the verifier kept here, the S256 challenge sent in the URL."""

    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        """A fresh verifier (86 URL-safe characters, within RFC 7636's 43 to 128)."""
        verifier = secrets.token_urlsafe(64)
        return cls(verifier, s256(verifier))

    def __repr__(self) -> str:
        """Keep the verifier out of reprs."""
        return f"Pkce(verifier='***', challenge={self.challenge!r})"


def s256(verifier: str) -> str:
    """The S256 code challenge of a verifier: unpadded base64url of its SHA-256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def redirect_uri(port: int) -> str:
    """The loopback callback URL the connected app must list."""
    return f"http://localhost:{port}{CALLBACK_PATH}"


def authorization_url(
    login_url: str, client_id: str, callback: str, challenge: str, state: str
) -> str:
    """The URL a person opens to authorise crmsync."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": state,
            "scope": SCOPE,
        }
    )
    return f"{login_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"


# -- the loopback callback ---------------------------------------------------------------------
class CallbackServer:
    """Listens on ``127.0.0.1:port`` for the one redirect back from Salesforce.

    Args:
        port: the port (0 picks a free one; the connected app must list the callback URL).
    """

    def __init__(self, port: int) -> None:
        self.result: dict[str, str] | None = None
        self._done = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH or owner._done.is_set():
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                message = (
                    "crmsync is authorised." if "code" in query else "crmsync was not authorised."
                )
                page = _PAGE.format(message=message).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                owner.result = query
                owner._done.set()

            def log_message(self, *_args: object) -> None:
                """Log nothing: the request line holds the code."""

        try:
            self._server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            msg = f"cannot listen on port {port} for the callback ({exc.strerror}); use --port"
            raise ConnectError(msg) from None
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait(self, timeout: float) -> dict[str, str]:
        """The callback's query parameters.

        Raises:
            ConnectError: no callback in time.
        """
        if not self._done.wait(timeout) or self.result is None:
            msg = (
                f"no authorisation arrived at {redirect_uri(self.port)} within {timeout:g} s; "
                "open the URL and approve, or raise --timeout"
            )
            raise ConnectError(msg)
        return self.result

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()


# -- talking to the login host -----------------------------------------------------------------
def check_authorization_url(session: requests.Session, url: str, client_id: str) -> None:
    """Ask the login host for the authorisation page once, to fail fast on a bad setting.

    Salesforce answers an unknown client id or a callback URL the app does not list with an
    error page instead of a login page; a person would only see it in the browser.

    Raises:
        ConnectError: naming the setting at fault, or the unreachable host.
    """
    host = urlsplit(url)._replace(query="").geturl()
    try:
        reply = session.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT_S)
    except requests.RequestException as exc:
        msg = f"cannot reach the Salesforce login host {host}: {type(exc).__name__}"
        raise ConnectError(msg) from None
    error = {}
    if reply.status_code == 400 and "error=" in reply.text:
        error = {k: v[0] for k, v in parse_qs(reply.text.strip()).items()}
    elif reply.is_redirect and "error=" in reply.headers.get("location", ""):
        location = urlsplit(reply.headers["location"])
        error = {k: v[0] for k, v in parse_qs(location.query).items()}
    if not error:
        return
    code = error.get("error", "")
    callback = parse_qs(urlsplit(url).query).get("redirect_uri", [""])[0]
    if code == "invalid_client_id":
        msg = (
            f"Salesforce does not know the client id {client_id!r} "
            "(SALESFORCE_CLIENT_ID: the connected app's consumer key)"
        )
    elif code == "redirect_uri_mismatch":
        msg = f"the connected app's callback URLs do not include {callback}: add it, or use --port"
    else:
        description = error.get("error_description", "")
        msg = f"Salesforce refused the authorisation request: {code}: {description}"
    raise ConnectError(msg)


def exchange_code(
    session: requests.Session,
    login_url: str,
    *,
    client_id: str,
    code: str,
    callback: str,
    verifier: str,
    client_secret: str | None = None,
) -> str:
    """Exchange an authorisation code (with its PKCE verifier) and return the refresh token.

    Raises:
        ConnectError: the token endpoint refused, or returned no refresh token.
    """
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "redirect_uri": callback,
        "code_verifier": verifier,
    }
    if client_secret:
        form["client_secret"] = client_secret
    try:
        reply = session.post(login_url.rstrip("/") + TOKEN_PATH, data=form, timeout=HTTP_TIMEOUT_S)
    except requests.RequestException as exc:
        msg = f"cannot reach the Salesforce token endpoint: {type(exc).__name__}"
        raise ConnectError(msg) from None
    try:
        body = reply.json()
    except ValueError:
        body = {}
    if not reply.ok:
        error = body.get("error", f"HTTP {reply.status_code}") if isinstance(body, dict) else ""
        description = body.get("error_description", "") if isinstance(body, dict) else ""
        msg = f"Salesforce refused the authorisation code: {error}: {description}".rstrip(": ")
        raise ConnectError(msg)
    token = body.get("refresh_token") if isinstance(body, dict) else None
    if not token:
        msg = (
            "Salesforce returned no refresh token: give the connected app the OAuth scope "
            "'Perform requests at any time (refresh_token, offline_access)'"
        )
        raise ConnectError(msg)
    return str(token)


# -- keeping the token -------------------------------------------------------------------------
def read_env_value(path: Path, name: str) -> str | None:
    """The value of ``NAME=value`` (or ``export NAME=value``) in a ``.env`` file, if any."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        key, value = _split_assignment(line)
        if key == name:
            try:
                parsed = shlex.split(value, comments=True)
            except ValueError:
                return value or None
            return parsed[0] if parsed else None
    return None


def _split_assignment(line: str) -> tuple[str | None, str]:
    text = line.strip()
    if not text or text.startswith("#") or "=" not in text:
        return None, ""
    key, value = text.split("=", 1)
    key = key.strip().removeprefix("export ").strip()
    return key, value.strip()


def write_env_value(path: Path, name: str, value: str) -> None:
    """Set ``NAME=value`` in a ``.env`` file, owner-only (mode 600), atomically.

    Every line that sets ``NAME`` is replaced by one line, where the first was; every other
    line is kept as it was. The file is created when missing.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    quoted = value if _SAFE_VALUE.match(value) else shlex.quote(value)
    assignment = f"{name}={quoted}"
    out: list[str] = []
    placed = False
    for line in lines:
        if _split_assignment(line)[0] == name:
            if not placed:
                out.append(assignment)
                placed = True
            continue
        out.append(line)
    if not placed:
        out.append(assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(out) + "\n")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    path.chmod(0o600)


# -- the command -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectOptions:
    """What `crmsync connect salesforce` was asked for."""

    env_file: Path = DEFAULT_ENV_FILE
    login_url: str | None = None
    client_id: str | None = None
    port: int = DEFAULT_PORT
    timeout: float = DEFAULT_TIMEOUT_S
    print_token: bool = False
    open_browser: bool = True


def _setting(name: str, given: str | None, env: Mapping[str, str], env_file: Path) -> str | None:
    return given or env.get(name) or read_env_value(env_file, name)


def connect_salesforce(
    options: ConnectOptions,
    *,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    messages: TextIO | None = None,
    open_url: Callable[[str], bool] = webbrowser.open,
) -> None:
    """Run the flow: URL, callback, exchange, then keep the refresh token.

    Args:
        options: the command's options.
        env: where ``SALESFORCE_LOGIN_URL``/``SALESFORCE_CLIENT_ID`` (and an optional
            ``SALESFORCE_CLIENT_SECRET``) are read before the ``.env`` file (default: the
            process environment).
        out: where ``--print`` writes the token (default stdout).
        messages: where the URL and progress go (default stderr).
        open_url: opens the URL in a browser; returns False when there is none.

    Raises:
        ConnectError: any step failed (one line, no secret).
    """
    env = os.environ if env is None else env
    out = out or sys.stdout
    messages = messages or sys.stderr
    login_url = _setting("SALESFORCE_LOGIN_URL", options.login_url, env, options.env_file)
    login_url = (login_url or DEFAULT_LOGIN_URL).rstrip("/")
    if not login_url.startswith(("https://", "http://")):
        msg = f"SALESFORCE_LOGIN_URL must be an http(s) URL, got {login_url!r}"
        raise ConnectError(msg)
    client_id = _setting("SALESFORCE_CLIENT_ID", options.client_id, env, options.env_file)
    if not client_id:
        msg = (
            "no client id: set SALESFORCE_CLIENT_ID (the connected app's consumer key) "
            f"in the environment or {options.env_file}, or pass --client-id"
        )
        raise ConnectError(msg)
    client_secret = _setting("SALESFORCE_CLIENT_SECRET", None, env, options.env_file)
    pkce, state = Pkce.new(), secrets.token_urlsafe(24)
    server = CallbackServer(options.port)
    try:
        callback = redirect_uri(server.port)
        url = authorization_url(login_url, client_id, callback, pkce.challenge, state)
        session = requests.Session()
        check_authorization_url(session, url, client_id)
        print("Open this URL in a browser and approve crmsync's access:", file=messages)
        print(url, file=messages, flush=True)
        if options.open_browser:
            _open(open_url, url)
        print(f"Waiting for the callback on {callback} ...", file=messages, flush=True)
        query = server.wait(options.timeout)
    finally:
        server.close()
    _check_callback(query, state)
    token = exchange_code(
        session,
        login_url,
        client_id=client_id,
        code=query["code"],
        callback=callback,
        verifier=pkce.verifier,
        client_secret=client_secret,
    )
    if options.print_token:
        print(token, file=out, flush=True)
        print(
            f"Keep it in the deployment's secret store as {REFRESH_TOKEN_VARIABLE}.",
            file=messages,
        )
        return
    write_env_value(options.env_file, REFRESH_TOKEN_VARIABLE, token)
    print(
        f"Wrote {REFRESH_TOKEN_VARIABLE} to {options.env_file} (mode 600); "
        "syncs now log in with the refresh-token flow.",
        file=messages,
    )


def _open(open_url: Callable[[str], bool], url: str) -> None:
    with contextlib.suppress(webbrowser.Error):  # no browser: the printed URL is enough
        open_url(url)


def _check_callback(query: Mapping[str, str], state: str) -> None:
    if not secrets.compare_digest(query.get("state", ""), state):
        msg = (
            "the callback's state does not match this authorisation "
            "(a stale or forged redirect); run again"
        )
        raise ConnectError(msg)
    if "error" in query:
        if query["error"] == "access_denied":
            msg = "authorisation denied in the browser: approve crmsync's access to connect"
        else:
            description = query.get("error_description", "")
            msg = f"Salesforce refused the authorisation: {query['error']}: {description}"
        raise ConnectError(msg.rstrip(": "))
    if not query.get("code"):
        msg = "the callback carried no authorisation code"
        raise ConnectError(msg)
