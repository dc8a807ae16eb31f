"""The client against the sandbox's runtime controls: sessions expired between two calls, and
connection resets in the middle of replies."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from crmsync_common.apicalls import CallCounter
from crmsync_sandbox.testing import SandboxProcess
from salesforce_client import AuthFlow, SalesforceClient
from salesforce_client.retry import RetryPolicy
from salesforce_client.settings import SalesforceSettings

from tests.salesforce_client.test_sandbox_client import TOKEN_ROUTE, _config

#: Quick backoff: a reset costs a retry, not a wait.
FAST_RETRIES = RetryPolicy(max_attempts=12, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def own(
    sandbox_factory: Callable[..., SandboxProcess], monkeypatch: pytest.MonkeyPatch
) -> SandboxProcess:
    """A Salesforce sandbox of this test alone (its sessions and faults change)."""
    process = sandbox_factory(only="salesforce", seed=7, size=5)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", process.env["REQUESTS_CA_BUNDLE"])
    return process


@pytest.mark.parametrize("flow", [AuthFlow.PASSWORD, AuthFlow.REFRESH_TOKEN])
def test_expired_sessions_between_two_calls_are_renewed(
    own: SandboxProcess, flow: AuthFlow
) -> None:
    """After expire-sessions the next call gets 401 INVALID_SESSION_ID, logs in again and
    succeeds; nothing else is retried."""
    counter = CallCounter("salesforce")
    settings = SalesforceSettings.from_config(_config(own.env, flow))
    client = SalesforceClient(settings, calls=counter)
    assert client.get_json("limits/")["DailyApiRequests"]
    old = client.token.access_token
    own.expire_sessions("salesforce")
    assert list(client.query("SELECT Id FROM Account"))
    assert client.token.access_token != old
    by_route = own.calls("salesforce")["by_route"]
    assert by_route[TOKEN_ROUTE] == 2
    assert by_route["GET /services/data/v62.0/query"] == 2  # refused once, then served
    # a re-login is a call of its own; the refused query is counted twice, not as retried
    assert counter.counts() == {"auth": 2, "read": 3, "write": 0, "retried": 0, "calls": 5}
    client.close()


def test_connection_resets_are_retried_without_duplicate_writes(own: SandboxProcess) -> None:
    """At 40% of calls reset mid-reply, reads, single creates and collection inserts all
    succeed, and every record exists once: the sandbox resets before it applies a write."""
    own.set_faults("salesforce", fail_rate=0.4, reset_share=1.0)
    settings = SalesforceSettings.from_config(_config(own.env, AuthFlow.PASSWORD))
    counter = CallCounter("salesforce")
    client = SalesforceClient(settings, retry=FAST_RETRIES, calls=counter)
    tag = uuid.uuid4().hex[:8]
    for _ in range(10):
        assert client.get_json("limits/")["DailyApiRequests"]
    for n in range(8):
        client.request("POST", "sobjects/Account/", json={"Name": f"{tag}-single-{n}"})
    records = [{"attributes": {"type": "Account"}, "Name": f"{tag}-batch-{n}"} for n in range(5)]
    results = client.request(
        "POST", "composite/sobjects", json={"allOrNone": False, "records": records}
    ).json()
    assert all(result["success"] for result in results)
    served = own.calls("salesforce")
    counted = counter.counts()
    own.set_faults("salesforce")

    names = [r["Name"] for r in client.query(f"SELECT Name FROM Account WHERE Name LIKE '{tag}%'")]
    assert sorted(names) == sorted(
        [f"{tag}-single-{n}" for n in range(8)] + [f"{tag}-batch-{n}" for n in range(5)]
    )
    assert served["total"] > 10 + 8 + 1 + 1  # some calls were reset and sent again
    # the client counted every attempt the sandbox served, and each reset one as retried
    writes = sum(
        n for route, n in served["by_route"].items() if route.startswith("POST /services/data")
    )
    assert counted == {
        "auth": served["by_route"][TOKEN_ROUTE],
        "read": served["total"] - served["by_route"][TOKEN_ROUTE] - writes,
        "write": writes,
        "retried": served["total"] - (1 + 10 + 8 + 1),
        "calls": served["total"],
    }
    client.close()
