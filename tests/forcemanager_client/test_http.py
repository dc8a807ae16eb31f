"""The client against ForceManager sandboxes over HTTP: login, expiry, 429, 5xx, secrets."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from forcemanager_client import ForceManagerAuthError, ForceManagerClient, RetryPolicy

#: Fast backoff so fault-injection tests stay quick; production uses the defaults.
FAST_RETRIES = RetryPolicy(max_attempts=10, base_delay=0.05, max_delay=0.5)


def client_for(env: dict[str, str], **options) -> ForceManagerClient:
    return ForceManagerClient(
        env["FORCEMANAGER_BASE_URL"],
        env["FORCEMANAGER_PUBLIC_KEY"],
        env["FORCEMANAGER_PRIVATE_KEY"],
        **options,
    )


def account(name: str) -> dict:
    return {"name": name, "branchId": 1, "salesRepId1": 1, "extId": name}


def test_one_login_is_shared_by_every_call_and_thread(sandbox):
    """Twenty concurrent calls reuse one session key."""
    with client_for(sandbox.env, requests_per_second=0) as client:
        with ThreadPoolExecutor(4) as pool:
            pages = list(pool.map(lambda _: client.get_json("/branches"), range(20)))
        assert all(pages)
        assert client.session.login_count == 1


def test_wrong_key_fails_login_without_leaking_it(sandbox):
    """Bad credentials raise an auth error that names neither key."""
    env = {**sandbox.env, "FORCEMANAGER_PRIVATE_KEY": "wrong-private-key-1234"}
    with client_for(env) as client, pytest.raises(ForceManagerAuthError) as caught:
        client.get_json("/accounts")
    assert caught.value.status == 401
    assert "wrong-private-key-1234" not in str(caught.value)
    assert env["FORCEMANAGER_PUBLIC_KEY"] not in str(caught.value)


def test_expired_session_logs_in_again_transparently(sandbox_factory):
    """After the token's TTL the next call re-logs in and succeeds."""
    box = sandbox_factory(only="forcemanager", empty=True, token_ttl_forcemanager=1)
    with client_for(box.env, requests_per_second=0) as client:
        assert client.get_json("/branches")
        time.sleep(1.5)
        assert client.get_json("/branches")
        assert client.session.login_count == 2


def test_rate_limited_calls_are_retried_without_loss(sandbox_factory):
    """With no client-side limit, 429s are retried (honouring Retry-After) until all land."""
    box = sandbox_factory(only="forcemanager", empty=True, forcemanager_rate_limit=5)
    prefix = uuid.uuid4().hex[:8]
    names = [f"{prefix}-{n}" for n in range(12)]
    with client_for(box.env, requests_per_second=0, retry_policy=FAST_RETRIES) as client:
        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(lambda n: client.create("accounts", account(n), ext_id=n), names))
        assert len(set(ids)) == 12
        assert set(client.find_by_ext_ids("accounts", names)) == set(names)
    assert box.calls("forcemanager")["by_route"].get("POST /api/v4/accounts", 0) > 12


def test_transient_failures_are_retried_without_loss_or_duplicates(sandbox_factory):
    """At a 30% 503 rate, every create lands exactly once and every read succeeds."""
    box = sandbox_factory(only="forcemanager", empty=True, fail_rate=0.3, seed=3)
    prefix = uuid.uuid4().hex[:8]
    names = [f"{prefix}-{n}" for n in range(15)]
    with client_for(box.env, requests_per_second=0, retry_policy=FAST_RETRIES) as client:
        for name in names:
            client.create("accounts", account(name), ext_id=name)
        records = [r for page in client.iter_pages("/accounts", page_size=5) for r in page]
    assert sorted(r["extId"] for r in records) == sorted(names)


def test_client_rate_limit_keeps_under_the_server_limit(sandbox_factory):
    """At 4/s client-side against a 4/s server, no call is refused."""
    box = sandbox_factory(only="forcemanager", empty=True, forcemanager_rate_limit=4)
    with client_for(box.env, requests_per_second=4) as client, ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: client.get_json("/branches"), range(11)))
    assert box.calls("forcemanager")["total"] == 12  # 11 reads and the login, no 429
