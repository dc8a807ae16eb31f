"""The Salesforce sandbox's authorisation-code flow with PKCE and its bare org."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from crmsync_sandbox.testing import SandboxProcess

from tests.sandbox.salesforce_helpers import TIMEOUT_S, VERSION, SfApi, error_code, https_session

REDIRECT = "http://localhost:1717/callback"
VERIFIER = "v" * 20 + "-verifier-of-forty-three-chars"


def _challenge(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """A Salesforce-only sandbox of a bare org (no ForceManager_Id__c)."""
    folder: Path = tmp_path_factory.mktemp("sf-bare") / "data"
    process = SandboxProcess(folder, only="salesforce", seed=3, size=3, bare_org=True).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def session(bare: SandboxProcess) -> requests.Session:
    """An HTTPS session trusting the sandbox CA."""
    return https_session(bare)


def _authorize(
    process: SandboxProcess, session: requests.Session, **overrides: str
) -> requests.Response:
    params = {
        "response_type": "code",
        "client_id": process.env["SALESFORCE_CLIENT_ID"],
        "redirect_uri": REDIRECT,
        "code_challenge": _challenge(VERIFIER),
        "code_challenge_method": "S256",
        "state": "st4te",
        **overrides,
    }
    return session.get(
        process.env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/authorize",
        params=params,
        allow_redirects=False,
        timeout=TIMEOUT_S,
    )


def _callback(reply: requests.Response) -> dict[str, str]:
    assert reply.status_code == 302, reply.text
    location = reply.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _exchange(
    process: SandboxProcess, session: requests.Session, code: str, **overrides: str
) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": process.env["SALESFORCE_CLIENT_ID"],
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
        **overrides,
    }
    return session.post(
        process.env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/token",
        data=form,
        timeout=TIMEOUT_S,
    )


def test_a_code_is_exchanged_once_for_tokens_whose_refresh_token_logs_in(
    bare: SandboxProcess, session: requests.Session
) -> None:
    """The redirect carries a code and the state; the exchange returns Salesforce's shape."""
    query = _callback(_authorize(bare, session))
    assert query["state"] == "st4te"
    reply = _exchange(bare, session, query["code"])
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert {
        "access_token",
        "refresh_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    } <= set(body)
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"] != bare.env["SALESFORCE_REFRESH_TOKEN"]
    again = _exchange(bare, session, query["code"])
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "expired authorization code",
    }

    refreshed = session.post(
        bare.env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": bare.env["SALESFORCE_CLIENT_ID"],
        },
        timeout=TIMEOUT_S,
    )
    assert refreshed.status_code == 200, refreshed.text
    token = refreshed.json()["access_token"]
    who = session.get(
        bare.env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/userinfo",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT_S,
    )
    assert who.json()["user_id"].startswith("005")
    assert body["refresh_token"] in bare.sessions("salesforce")


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"code_verifier": "another-verifier-that-does-not-match-at-all"}, "invalid code verifier"),
        ({"code_verifier": ""}, "invalid code verifier"),
        (
            {"redirect_uri": "http://localhost:9999/callback"},
            "redirect_uri must match configuration",
        ),
    ],
)
def test_an_exchange_that_does_not_match_the_request_is_refused(
    bare: SandboxProcess,
    session: requests.Session,
    overrides: dict[str, str],
    description: str,
) -> None:
    """The verifier must hash to the challenge, the callback be the authorised one."""
    code = _callback(_authorize(bare, session))["code"]
    reply = _exchange(bare, session, code, **overrides)
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_grant", "error_description": description}


def test_authorize_errors_are_a_page_or_a_redirect_as_salesforce_answers(
    bare: SandboxProcess, session: requests.Session
) -> None:
    """An unknown client or callback gets an error page; other errors go back to the client."""
    page = _authorize(bare, session, client_id="3MVGnotanapp")
    assert page.status_code == 400
    assert "error=invalid_client_id" in page.text
    page = _authorize(bare, session, redirect_uri="https://evil.example/callback")
    assert page.status_code == 400
    assert "error=redirect_uri_mismatch" in page.text
    query = _callback(_authorize(bare, session, code_challenge=""))
    assert (query["error"], query["state"]) == ("invalid_request", "st4te")
    assert "code" not in query
    query = _callback(_authorize(bare, session, response_type="token"))
    assert query["error"] == "unsupported_response_type"


def test_a_bare_org_has_no_forcemanager_id_field_until_tooling_creates_it(
    bare: SandboxProcess,
) -> None:
    """Describe omits it, SOQL naming it fails with INVALID_FIELD; the Tooling API adds it."""
    api = SfApi(bare)
    fields = {f["name"] for f in api.call("GET", "sobjects/Account/describe").json()["fields"]}
    assert "ForceManager_Id__c" not in fields
    assert "Customer_Tier__c" in fields
    reply = api.query("SELECT Id, ForceManager_Id__c FROM Contact")
    assert reply.status_code == 400
    assert error_code(reply) == "INVALID_FIELD"
    [account] = api.query("SELECT Id FROM Account LIMIT 1").json()["records"]
    write = api.call(
        "PATCH", f"sobjects/Account/{account['Id']}", json={"ForceManager_Id__c": "12"}
    )
    assert write.status_code == 400
    assert error_code(write) == "INVALID_FIELD"
    assert "ForceManager_Id__c" in write.json()[0]["message"]
    listing = api.call(
        "GET",
        "tooling/query/",
        params={
            "q": "SELECT Id, TableEnumOrId FROM CustomField WHERE DeveloperName = 'ForceManager_Id'"
        },
    )
    assert listing.status_code == 200, listing.text
    assert listing.json()["records"] == []
    body = {
        "FullName": "Contact.ForceManager_Id__c",
        "Metadata": {
            "label": "ForceManager Id",
            "type": "Text",
            "length": 20,
            "unique": True,
            "externalId": True,
        },
    }
    assert api.call("POST", "tooling/sobjects/CustomField", json=body).status_code == 201
    listing = api.call(
        "GET",
        f"/services/data/{VERSION}/tooling/query",
        params={
            "q": "SELECT Id, DeveloperName, TableEnumOrId FROM CustomField "
            "WHERE DeveloperName = 'ForceManager_Id' AND TableEnumOrId IN ('Account', 'Contact')"
        },
    )
    [row] = listing.json()["records"]
    assert (row["TableEnumOrId"], row["Id"][:3]) == ("Contact", "00N")
    assert api.query("SELECT Id, ForceManager_Id__c FROM Contact").status_code == 200
    # the org stays as set up across a restart
    bare.restart()
    api = SfApi(bare)
    contact = {f["name"] for f in api.call("GET", "sobjects/Contact/describe").json()["fields"]}
    account = {f["name"] for f in api.call("GET", "sobjects/Account/describe").json()["fields"]}
    assert "ForceManager_Id__c" in contact
    assert "ForceManager_Id__c" not in account


def test_field_permissions_are_records_of_a_permission_set(bare: SandboxProcess) -> None:
    """A permission set, its assignment and field permissions are created and queried."""
    api = SfApi(bare)
    [me] = api.query("SELECT Id FROM User LIMIT 1").json()["records"]
    parent = api.create("PermissionSet", {"Name": "crmsync_test", "Label": "crmsync test"})
    api.create("PermissionSetAssignment", {"AssigneeId": me["Id"], "PermissionSetId": parent})
    api.create(
        "FieldPermissions",
        {
            "ParentId": parent,
            "SobjectType": "Account",
            "Field": "Account.Customer_Tier__c",
            "PermissionsRead": True,
            "PermissionsEdit": True,
        },
    )
    rows = api.query(
        f"SELECT Field, PermissionsEdit FROM FieldPermissions WHERE ParentId = '{parent}'"
    ).json()["records"]
    assert [(r["Field"], r["PermissionsEdit"]) for r in rows] == [
        ("Account.Customer_Tier__c", True)
    ]
    duplicate = api.call(
        "POST", "sobjects/PermissionSet/", json={"Name": "crmsync_test", "Label": "again"}
    )
    assert error_code(duplicate) == "DUPLICATE_VALUE"


def test_a_code_expires_after_fifteen_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short-lived: the same exchange works before the code's lifetime and not after."""
    from crmsync_sandbox.salesforce import auth  # noqa: PLC0415 - the module whose clock moves
    from crmsync_sandbox.salesforce.exceptions import OAuthError  # noqa: PLC0415

    creds = auth.Credentials.load_or_create(None, "integration@example.com")
    sessions = auth.Sessions(creds, "005000000000001AAA", 7200, "https://127.0.0.1:1")
    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])

    def code() -> str:
        location = sessions.authorize(
            {
                "response_type": "code",
                "client_id": creds.client_id,
                "redirect_uri": REDIRECT,
                "code_challenge": _challenge(VERIFIER),
                "state": "s",
            }
        )
        return parse_qs(urlsplit(location).query)["code"][0]

    form = {
        "grant_type": "authorization_code",
        "client_id": creds.client_id,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
    }
    fresh = code()
    now[0] += auth.CODE_TTL_S - 1
    assert sessions.grant({**form, "code": fresh}, None)["refresh_token"]
    stale = code()
    now[0] += auth.CODE_TTL_S + 1
    with pytest.raises(OAuthError, match="expired authorization code"):
        sessions.grant({**form, "code": stale}, None)
