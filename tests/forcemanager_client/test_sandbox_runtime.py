"""The client against the sandbox's runtime controls: sessions expired between two calls,
connection resets in the middle of replies, and a rate limit set at runtime."""

from __future__ import annotations

import time
import uuid
from collections import Counter

from crmsync_common.apicalls import CallCounter

from tests.forcemanager_client.test_http import FAST_RETRIES, account, client_for


def test_expired_sessions_between_two_calls_are_renewed(sandbox_factory):
    """After expire-sessions the next call gets 401 code "2", logs in again and succeeds."""
    box = sandbox_factory(only="forcemanager", seed=3, size=3)
    with client_for(box.env, requests_per_second=0) as client:
        client.session.calls = counter = CallCounter("forcemanager")
        assert client.get_json("/branches")
        box.expire_sessions("forcemanager")
        assert client.get_json("/accounts")
        assert client.session.login_count == 2
    routes = box.calls("forcemanager")["by_route"]
    assert routes["POST /api/v4/login"] == 2
    assert routes["GET /api/v4/accounts"] == 2  # refused once, then served
    assert counter.counts() == {"auth": 2, "read": 3, "write": 0, "retried": 0, "calls": 5}


def test_connection_resets_are_retried_without_duplicate_records(sandbox_factory):
    """At 25% of calls reset mid-reply, every read succeeds and every create lands once (a
    reset create is looked up by extId before it is sent again)."""
    box = sandbox_factory(only="forcemanager", empty=True, seed=5)
    box.set_faults("forcemanager", fail_rate=0.25, reset_share=1.0)
    prefix = uuid.uuid4().hex[:8]
    names = [f"{prefix}-{n}" for n in range(12)]
    with client_for(box.env, requests_per_second=0, retry_policy=FAST_RETRIES) as client:
        client.session.calls = counter = CallCounter("forcemanager")
        for name in names:
            client.create("accounts", account(name), ext_id=name)
            client.update("accounts", client.find_by_ext_ids("accounts", [name])[name], {})
        listed = [r for page in client.iter_pages("/accounts", page_size=5) for r in page]
        served_calls = box.calls("forcemanager")
        counted = counter.counts()
        served = served_calls["total"]
        box.set_faults("forcemanager")
        every = [r for page in client.iter_pages("/accounts", page_size=100) for r in page]
    assert Counter(r["extId"] for r in every) == dict.fromkeys(names, 1)
    assert sorted(r["extId"] for r in listed) == sorted(names)
    assert served > 1 + 3 * 12 + 3  # some calls were reset and sent again
    # the client counted every attempt the sandbox served, reset ones included
    routes = served_calls["by_route"]
    writes = sum(
        n
        for route, n in routes.items()
        if route.split()[0] in {"POST", "PUT"} and "/login" not in route
    )
    assert counted["calls"] == served
    assert counted["auth"] == routes["POST /api/v4/login"]
    assert counted["write"] == writes >= 2 * 12
    assert counted["retried"] > 0


def test_retry_after_of_a_runtime_rate_limit_is_honoured(sandbox_factory):
    """A 429's Retry-After (1 s) is waited out even when the backoff alone would be shorter."""
    box = sandbox_factory(only="forcemanager", seed=3, size=3)
    with client_for(box.env, requests_per_second=0, retry_policy=FAST_RETRIES) as client:
        client.session.calls = counter = CallCounter("forcemanager")
        client.get_json("/branches")
        box.set_faults("forcemanager", rate_limit=2)
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            time.sleep(seconds)

        client.session._sleep = sleep
        for _ in range(5):
            assert client.get_json("/branches")
    assert waits
    assert all(wait >= 1.0 for wait in waits)
    # every 429 was waited out and sent again: counted as retried, and as a call
    counted = counter.counts()
    assert counted["retried"] == len(waits)
    assert counted == {
        "auth": 1, "read": 6 + len(waits), "write": 0, "retried": len(waits),
        "calls": 7 + len(waits),
    }  # fmt: skip
    assert "GET /api/v4/branches" in box.calls("forcemanager")["by_route"]
