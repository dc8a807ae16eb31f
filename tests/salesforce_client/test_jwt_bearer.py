"""Unit tests of the JWT bearer flow: the flow's choice, the assertion, the key file's errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from salesforce_client import AuthFlow, SalesforceConfigError, SalesforceSettings
from salesforce_client.auth import JWT_LIFETIME_S, OAuthAuthenticator, jwt_audience
from salesforce_client.settings import JWT_BEARER_GRANT, SECRET_VARIABLES

CLIENT_ID = "3MVG9-test-consumer-key"
USERNAME = "integration@example.com"


@pytest.fixture(autouse=True)
def _no_secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shell that sourced a sandbox.env must not change what these tests see."""
    for variable in SECRET_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    """One RSA key for the module (generating one takes a while)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: Any, *, password: bytes | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


@pytest.fixture
def key_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    """The key as an unencrypted PEM file, readable by its owner only."""
    path = tmp_path / "jwt-key.pem"
    path.write_bytes(_pem(rsa_key))
    path.chmod(0o600)
    return path


class _FakeSession(requests.Session):
    """Answers every token request with a session and keeps what was posted."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: list[dict[str, str]] = []

    def post(self, url: str | bytes, data: Any = None, **_kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.posted.append(dict(data))
        response = requests.Response()
        response.status_code = 200
        response._content = b'{"access_token": "00D!x", "instance_url": "https://na1.example"}'
        return response


def _settings(key_file: Path | str, **overrides: Any) -> SalesforceSettings:
    config = {
        "login_url": "https://login.salesforce.com",
        "client_id": CLIENT_ID,
        "username": USERNAME,
        "jwt_key_file": str(key_file),
        **overrides,
    }
    return SalesforceSettings.from_config(config)


def test_a_key_file_selects_the_jwt_bearer_flow_over_the_password(key_file: Path) -> None:
    """With a key file, username and client id, JWT bearer wins over username-password."""
    settings = _settings(key_file, password="p", client_secret="s")
    assert settings.auth_flow is AuthFlow.JWT_BEARER
    assert settings.auth_flow.grant_type == JWT_BEARER_GRANT


def test_a_refresh_token_wins_over_the_key_file(key_file: Path) -> None:
    """The refresh token stays first: a deployment that set one keeps its flow."""
    assert _settings(key_file, refresh_token="rt").auth_flow is AuthFlow.REFRESH_TOKEN


def test_an_empty_key_file_setting_counts_as_unset() -> None:
    """Meltano expands an unset ${SALESFORCE_JWT_KEY_FILE} to "": the next flow is chosen."""
    settings = _settings("", password="p", client_secret="s")
    assert settings.jwt_key_file is None
    assert settings.auth_flow is AuthFlow.PASSWORD


@pytest.mark.parametrize("missing", ["username", "client_id"])
def test_jwt_bearer_names_its_missing_settings(key_file: Path, missing: str) -> None:
    """A key file without the username or the client id names what is missing."""
    settings = _settings(key_file, **{missing: ""})
    with pytest.raises(SalesforceConfigError, match=f"jwt_bearer flow needs .*{missing}"):
        _ = settings.auth_flow


def test_the_assertion_claims_and_signature(key_file: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """iss, sub, aud, exp (3 minutes ahead), RS256, verifiable with the public key."""
    session = _FakeSession()
    auth = OAuthAuthenticator(_settings(key_file), session, clock=lambda: 1_700_000_000.5)
    token = auth.fetch()
    assert token.access_token == "00D!x"
    [form] = session.posted
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert set(form) == {"grant_type", "assertion"}
    assert jwt.get_unverified_header(form["assertion"])["alg"] == "RS256"
    claims = jwt.decode(
        form["assertion"],
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience="https://login.salesforce.com",
        options={"verify_exp": False},
    )
    assert claims == {
        "iss": CLIENT_ID,
        "sub": USERNAME,
        "aud": "https://login.salesforce.com",
        "exp": 1_700_000_000 + JWT_LIFETIME_S,
    }
    assert JWT_LIFETIME_S == 180


def test_each_fetch_signs_a_new_assertion_and_reads_the_key_again(key_file: Path) -> None:
    """A token renewed later carries a fresh exp, signed with the key file as it is then."""
    now = [1_700_000_000.0]
    session = _FakeSession()
    auth = OAuthAuthenticator(_settings(key_file), session, clock=lambda: now[0])
    auth.fetch()
    now[0] += 600
    rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file.write_bytes(_pem(rotated))
    auth.fetch()
    first, second = (form["assertion"] for form in session.posted)
    assert first != second
    decoded = jwt.decode(
        second,
        rotated.public_key(),
        algorithms=["RS256"],
        audience="https://login.salesforce.com",
        options={"verify_exp": False},
    )
    assert decoded["exp"] == 1_700_000_600 + JWT_LIFETIME_S


@pytest.mark.parametrize(
    ("login_url", "audience"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com/", "https://test.salesforce.com"),
        ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
        ("https://acme.my.site.com/partners", "https://acme.my.site.com/partners"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
    ],
)
def test_the_audience_of_each_login_url(login_url: str, audience: str) -> None:
    """Production and sandbox orgs (My Domain included) name Salesforce's two servers."""
    assert jwt_audience(login_url) == audience


def _login_error(settings: SalesforceSettings) -> str:
    auth = OAuthAuthenticator(settings, _FakeSession())
    with pytest.raises(SalesforceConfigError) as caught:
        auth.fetch()
    return str(caught.value)


def test_a_missing_key_file_names_the_setting(tmp_path: Path) -> None:
    """The error names jwt_key_file, its variable and the path."""
    message = _login_error(_settings(tmp_path / "nowhere.pem"))
    assert "jwt_key_file (SALESFORCE_JWT_KEY_FILE)" in message
    assert "nowhere.pem" in message
    assert "cannot be read" in message


def test_a_file_that_is_no_private_key_is_refused_without_its_contents(tmp_path: Path) -> None:
    """A certificate or other text is not a key; the message does not quote the file."""
    path = tmp_path / "cert.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\nTUlJQ-secret-ish\n-----END CERTIFICATE-----\n")
    message = _login_error(_settings(path))
    assert "is not a PEM private key" in message
    assert "TUlJQ" not in message


def test_encrypted_and_non_rsa_keys_are_refused(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    """RS256 needs an RSA key the plugin can read without a passphrase."""
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(_pem(rsa_key, password=b"passphrase"))
    assert "is encrypted" in _login_error(_settings(encrypted))
    ec_key = tmp_path / "ec.pem"
    ec_key.write_bytes(_pem(ec.generate_private_key(ec.SECP256R1())))
    assert "is not an RSA private key" in _login_error(_settings(ec_key))


def test_the_key_is_not_read_before_login(tmp_path: Path) -> None:
    """Settings only hold the path: a key file made later (or rotated) is what login uses."""
    settings = _settings(tmp_path / "later.pem")
    assert settings.jwt_key_file == str(tmp_path / "later.pem")
    assert settings.auth_flow is AuthFlow.JWT_BEARER
    assert str(tmp_path / "later.pem") not in settings.secrets
