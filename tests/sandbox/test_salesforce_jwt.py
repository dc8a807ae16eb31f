"""The Salesforce sandbox's JWT bearer grant: the certificate it holds, the checks it makes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from crmsync_sandbox.testing import SandboxProcess
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.sandbox.salesforce_helpers import TIMEOUT_S, VERSION, https_session

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture(scope="module")
def sf_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """A Salesforce-only sandbox of this module (its tests expire sessions)."""
    folder: Path = tmp_path_factory.mktemp("sf-jwt") / "data"
    process = SandboxProcess(folder, only="salesforce", seed=3, size=5).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def session(sf_process: SandboxProcess) -> requests.Session:
    """An HTTPS session trusting the sandbox CA."""
    return https_session(sf_process)


def _claims(env: dict[str, str], **overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": env["SALESFORCE_CLIENT_ID"],
        "sub": env["SALESFORCE_USERNAME"],
        "aud": env["SALESFORCE_LOGIN_URL"],
        "exp": int(time.time()) + 180,
    }
    return {**claims, **overrides}


def _grant(
    process: SandboxProcess, session: requests.Session, claims: dict[str, Any], key: Any = None
) -> requests.Response:
    if key is None:
        key = Path(process.env["SALESFORCE_JWT_KEY_FILE"]).read_bytes()
    assertion = jwt.encode(claims, key, algorithm="RS256")
    return session.post(
        process.env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/token",
        data={"grant_type": GRANT, "assertion": assertion},
        timeout=TIMEOUT_S,
    )


def _limits(process: SandboxProcess, session: requests.Session, token: str) -> int:
    reply = session.get(
        f"{process.env['SALESFORCE_LOGIN_URL']}/services/data/{VERSION}/limits",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT_S,
    )
    return reply.status_code


@pytest.mark.parametrize(
    "audience", ["", "https://login.salesforce.com", "https://test.salesforce.com"]
)
def test_a_good_assertion_gets_a_session(
    sf_process: SandboxProcess, session: requests.Session, audience: str
) -> None:
    """Signed with the key of sandbox.env, for the login URL (or Salesforce's own hosts)."""
    env = sf_process.env
    claims = _claims(env, **({"aud": audience} if audience else {}))
    reply = _grant(sf_process, session, claims)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["access_token"].startswith("00D000000000001!")
    assert body["instance_url"] == env["SALESFORCE_LOGIN_URL"]
    assert "refresh_token" not in body
    assert _limits(sf_process, session, body["access_token"]) == 200


def test_its_sessions_are_listed_and_expire_like_the_others(
    sf_process: SandboxProcess, session: requests.Session
) -> None:
    """GET /__sandbox/sessions lists them; POST /__sandbox/expire-sessions refuses them."""
    token = _grant(sf_process, session, _claims(sf_process.env)).json()["access_token"]
    assert token in sf_process.sessions("salesforce")
    sf_process.expire_sessions("salesforce")
    assert _limits(sf_process, session, token) == 401
    renewed = _grant(sf_process, session, _claims(sf_process.env)).json()["access_token"]
    assert _limits(sf_process, session, renewed) == 200


def test_refused_assertions_answer_salesforce_errors(
    sf_process: SandboxProcess, session: requests.Session
) -> None:
    """Bad signature, audience, expiry, issuer or user: a 400 with error and description."""
    env = sf_process.env
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    cases: list[tuple[dict[str, Any], Any, str, str]] = [
        (_claims(env), stranger, "invalid_grant", "invalid assertion"),
        (_claims(env, aud="https://elsewhere.example"), None, "invalid_grant", "audience"),
        (_claims(env, exp=now - 60), None, "invalid_grant", "expired"),
        (_claims(env, exp=now + 3600), None, "invalid_grant", "too far"),
        (_claims(env, sub="nobody@example.com"), None, "invalid_grant", "approved"),
        (_claims(env, iss="3MVG9-someone-else"), None, "invalid_client_id", "client"),
        ({"iss": env["SALESFORCE_CLIENT_ID"], "aud": env["SALESFORCE_LOGIN_URL"]}, None,
         "invalid_grant", "invalid assertion"),
    ]  # fmt: skip
    for claims, key, error, description in cases:
        reply = _grant(sf_process, session, claims, key)
        assert reply.status_code == 400, claims
        body = reply.json()
        assert body["error"] == error, (claims, body)
        assert description in body["error_description"], (claims, body)
    unsigned = jwt.encode(_claims(env), "", algorithm="none")
    reply = session.post(
        env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/token",
        data={"grant_type": GRANT, "assertion": unsigned},
        timeout=TIMEOUT_S,
    )
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_grant"


def test_the_key_pair_survives_a_restart(sandbox_factory: Any) -> None:
    """The connected app keeps its certificate: the same key file logs in after a restart."""
    first = sandbox_factory(only="salesforce", seed=1, size=1)
    key = Path(first.env["SALESFORCE_JWT_KEY_FILE"]).read_bytes()
    first.stop()
    again = first.start()
    assert Path(again.env["SALESFORCE_JWT_KEY_FILE"]).read_bytes() == key
    reply = _grant(again, https_session(again), _claims(again.env))
    assert reply.status_code == 200, reply.text
