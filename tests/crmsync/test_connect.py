"""`crmsync connect salesforce`: PKCE, the URL, the .env file, and the flow's one-line errors.

The flow runs in-process against a real Salesforce sandbox process; the test plays the browser.
"""

from __future__ import annotations

import io
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from crmsync_sandbox.testing import SandboxProcess

from crmsync import connect
from crmsync.connect import ConnectError, ConnectOptions

TIMEOUT_S = 30


def test_s256_is_rfc_7636s_example_and_verifiers_are_fresh_and_hidden() -> None:
    """Appendix B of RFC 7636; a verifier is 43-128 unreserved characters, never in a repr."""
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert connect.s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    first, second = connect.Pkce.new(), connect.Pkce.new()
    assert first.verifier != second.verifier
    assert 43 <= len(first.verifier) <= 128
    assert set(first.verifier) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )
    assert first.challenge == connect.s256(first.verifier)
    assert first.verifier not in repr(first)


def test_the_authorization_url_asks_for_a_code_with_an_s256_challenge() -> None:
    """Every parameter of the authorisation request, on the login host's authorize path."""
    url = connect.authorization_url(
        "https://login.example.com/", "3MVGapp", "http://localhost:1717/callback", "chal", "st"
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "login.example.com",
        "/services/oauth2/authorize",
    )
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "response_type": "code",
        "client_id": "3MVGapp",
        "redirect_uri": "http://localhost:1717/callback",
        "code_challenge": "chal",
        "code_challenge_method": "S256",
        "state": "st",
        "scope": "api refresh_token",
    }
    assert connect.redirect_uri(8080) == "http://localhost:8080/callback"


def test_the_env_file_gets_one_token_line_and_keeps_every_other_line(tmp_path: Path) -> None:
    """The old line (and an `export` duplicate) is replaced in place; the file ends mode 600."""
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# prod\nSALESFORCE_CLIENT_ID=3MVGapp\nSALESFORCE_REFRESH_TOKEN=old\n"
        "FORCEMANAGER_BASE_URL=https://api.example.com\nexport SALESFORCE_REFRESH_TOKEN=older\n"
    )
    env_file.chmod(0o644)
    connect.write_env_value(env_file, "SALESFORCE_REFRESH_TOKEN", "5Aep861.new!token")
    assert env_file.read_text().splitlines() == [
        "# prod",
        "SALESFORCE_CLIENT_ID=3MVGapp",
        "SALESFORCE_REFRESH_TOKEN=5Aep861.new!token",
        "FORCEMANAGER_BASE_URL=https://api.example.com",
    ]
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert connect.read_env_value(env_file, "SALESFORCE_REFRESH_TOKEN") == "5Aep861.new!token"
    assert connect.read_env_value(env_file, "SALESFORCE_LOGIN_URL") is None
    assert [p.name for p in tmp_path.iterdir()] == [".env"]  # no temporary file left


def test_a_new_env_file_is_created_owner_only_and_odd_values_are_quoted(tmp_path: Path) -> None:
    """A value the shell would split is quoted, and reads back as written."""
    env_file = tmp_path / "conf" / ".env"
    connect.write_env_value(env_file, "SALESFORCE_REFRESH_TOKEN", "a b'c")
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert connect.read_env_value(env_file, "SALESFORCE_REFRESH_TOKEN") == "a b'c"
    assert connect.read_env_value(tmp_path / "missing", "X") is None


# -- the flow against the sandbox ----------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """A Salesforce-only sandbox for this module."""
    process = SandboxProcess(
        tmp_path_factory.mktemp("connect") / "data", only="salesforce", seed=3, size=2
    ).start()
    yield process
    process.stop()


@pytest.fixture
def trusting(sandbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> SandboxProcess:
    """The sandbox, with its CA trusted by the flow's HTTPS calls."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.ca_bundle)
    return sandbox


def _browser(
    sandbox: SandboxProcess, tamper: Callable[[dict[str, str]], dict[str, str]] | None = None
) -> Callable[[str], bool]:
    """Plays the person: opens the URL and follows the redirect (tampered with, if asked)."""

    def open_url(url: str) -> bool:
        session = requests.Session()
        session.verify = sandbox.ca_bundle
        reply = session.get(url, allow_redirects=False, timeout=TIMEOUT_S)
        location = urlsplit(reply.headers["location"])
        query = {k: v[0] for k, v in parse_qs(location.query).items()}
        if tamper is not None:
            query = tamper(query)
        requests.get(location._replace(query=urlencode(query)).geturl(), timeout=TIMEOUT_S)
        return True

    return open_url


def _options(tmp_path: Path, **overrides: object) -> ConnectOptions:
    values: dict[str, object] = {"env_file": tmp_path / ".env", "port": 0, "timeout": 20.0}
    return ConnectOptions(**{**values, **overrides})  # type: ignore[arg-type]


def test_print_gives_a_refresh_token_the_org_accepts(
    trusting: SandboxProcess, tmp_path: Path
) -> None:
    """The token goes to `out` alone (no .env written); the messages never hold it."""
    out, messages = io.StringIO(), io.StringIO()
    connect.connect_salesforce(
        _options(tmp_path, print_token=True),
        env=trusting.env,
        out=out,
        messages=messages,
        open_url=_browser(trusting),
    )
    token = out.getvalue().strip()
    assert token
    assert token not in messages.getvalue()
    assert "/services/oauth2/authorize?" in messages.getvalue()
    assert not (tmp_path / ".env").exists()
    reply = requests.post(
        trusting.env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": trusting.env["SALESFORCE_CLIENT_ID"],
        },
        verify=trusting.ca_bundle,
        timeout=TIMEOUT_S,
    )
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda q: {**q, "state": "forged"}, "state does not match"),
        (
            lambda q: {
                "error": "access_denied",
                "error_description": "end-user denied authorization",
                "state": q["state"],
            },
            "authorisation denied in the browser",
        ),
    ],
    ids=["state mismatch", "denied consent"],
)
def test_a_bad_callback_is_one_line_and_writes_nothing(
    trusting: SandboxProcess,
    tmp_path: Path,
    tamper: Callable[[dict[str, str]], dict[str, str]],
    expected: str,
) -> None:
    """The .env file is left as it was."""
    env_file = tmp_path / ".env"
    env_file.write_text("SALESFORCE_REFRESH_TOKEN=kept\n")
    with pytest.raises(ConnectError, match=expected) as raised:
        connect.connect_salesforce(
            _options(tmp_path),
            env=trusting.env,
            messages=io.StringIO(),
            open_url=_browser(trusting, tamper),
        )
    assert "\n" not in str(raised.value)
    assert env_file.read_text() == "SALESFORCE_REFRESH_TOKEN=kept\n"


def test_an_unknown_client_id_is_named_before_waiting(
    trusting: SandboxProcess, tmp_path: Path
) -> None:
    """The login host's error page is read at once: no browser, no wait."""
    opened: list[str] = []
    with pytest.raises(ConnectError, match="does not know the client id '3MVGnope'"):
        connect.connect_salesforce(
            _options(tmp_path, client_id="3MVGnope", timeout=60.0),
            env=trusting.env,
            messages=io.StringIO(),
            open_url=lambda url: opened.append(url) or True,
        )
    assert opened == []


def test_no_approval_in_time_and_no_client_id_are_one_line_errors(
    trusting: SandboxProcess, tmp_path: Path
) -> None:
    """The timeout names the callback URL; a missing client id names the variable."""
    with pytest.raises(ConnectError, match=r"no authorisation arrived at http://localhost:\d+"):
        connect.connect_salesforce(
            _options(tmp_path, timeout=0.5),
            env=trusting.env,
            messages=io.StringIO(),
            open_url=lambda _url: False,
        )
    env = {k: v for k, v in trusting.env.items() if k != "SALESFORCE_CLIENT_ID"}
    with pytest.raises(ConnectError, match="set SALESFORCE_CLIENT_ID"):
        connect.connect_salesforce(_options(tmp_path), env=env, messages=io.StringIO())


def test_the_command_line_refuses_in_one_line_without_a_client_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`crmsync connect salesforce` exits 1 with one line naming the variable; no file made."""
    from crmsync.cli import main  # noqa: PLC0415 - the entry point under test

    monkeypatch.delenv("SALESFORCE_CLIENT_ID", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("SALESFORCE_LOGIN_URL=https://login.example.com\n")
    code = main(
        ["connect", "salesforce", "--no-browser", "--port", "0", "--env-file", str(env_file)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("crmsync: error: no client id: set SALESFORCE_CLIENT_ID")
    assert env_file.read_text() == "SALESFORCE_LOGIN_URL=https://login.example.com\n"
