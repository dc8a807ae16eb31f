"""ForceManager sandbox options over real HTTP: token TTL, rate limit, restart, seeding."""

from __future__ import annotations

import time

import pytest


def test_a_session_key_expires_after_its_ttl(fm_factory):
    fm = fm_factory(token_ttl_forcemanager=1, seed=1, size=1)
    assert fm.get("/users").status_code == 200
    time.sleep(1.2)
    expired = fm.get("/users")
    assert expired.status_code == 401
    assert expired.json()["code"] == "2"
    fresh = fm.login().json()["token"]
    assert fm.get("/users", token=fresh).status_code == 200


def test_requests_above_the_rate_limit_get_429_with_retry_after(fm_factory):
    fm = fm_factory(forcemanager_rate_limit=5, seed=1, size=1)
    time.sleep(1.1)  # let the login leave the one-second window
    statuses = [fm.get("/users").status_code for _ in range(12)]
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    refused = fm.get("/users")
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["code"] == "429"


def test_requests_at_the_rate_limit_are_all_served(fm_factory):
    fm = fm_factory(forcemanager_rate_limit=5, seed=1, size=1)
    time.sleep(1.1)
    statuses = []
    for _ in range(10):
        statuses.append(fm.get("/users").status_code)
        time.sleep(0.21)  # 4.8 requests per second
    assert statuses == [200] * 10


def test_sustained_load_is_held_to_the_rate_limit(fm_factory):
    fm = fm_factory(forcemanager_rate_limit=8, seed=1, size=1)
    time.sleep(1.1)
    served = 0
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        served += fm.get("/users").status_code == 200
    # Any one-second window admits at most 8, so two seconds admit 16 (+8 for a partial window).
    assert 16 <= served <= 24


def test_the_login_counts_against_the_rate_limit(fm_factory):
    fm = fm_factory(forcemanager_rate_limit=2, seed=1, size=1)
    time.sleep(1.1)
    statuses = [fm.login().status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_restart_keeps_records_extra_fields_id_counters_keys_and_ports(fm_factory):
    fm = fm_factory(seed=3, size=2)
    before = fm.process.env
    fm.ok("POST", "/extrafields/accounts", json={"fieldName": "Kept", "type": "decimal"})
    first = fm.create("accounts", {"name": "Kept Ltd", "branchId": 1, "Z_Kept": 4.5})
    fm.ok("PUT", f"/accounts/{first}", json={"city": "Bilbao"})
    fm.ok("DELETE", "/accounts/1")
    fm.process.restart()
    assert fm.process.env == before
    fm.token = fm.login().json()["token"]
    kept = fm.ok("GET", f"/accounts/{first}")
    assert (kept["name"], kept["city"], kept["Z_Kept"]) == ("Kept Ltd", "Bilbao", 4.5)
    assert fm.ok("GET", "/accounts/1")["deleted"] is True
    assert "Kept" in [d["fieldName"] for d in fm.ok("GET", "/extrafields/accounts")]
    second = fm.create("accounts", {"name": "After Restart", "branchId": 1})
    assert second == first + 1
    assert len(fm.ok("GET", "/accounts")) == 4  # 2 seeded + 2 created: no re-seed


def test_the_same_seed_gives_the_same_data(fm_factory):
    one = fm_factory(seed=11, size=6)
    two = fm_factory(seed=11, size=6)
    other = fm_factory(seed=12, size=6)
    for resource in ("accounts", "contacts", "opportunities", "activities", "calendar"):
        assert one.ok("GET", f"/{resource}") == two.ok("GET", f"/{resource}")
    assert one.ok("GET", "/accounts") != other.ok("GET", "/accounts")


def test_size_sets_the_records_per_object_and_children_point_at_existing_parents(fm_factory):
    fm = fm_factory(seed=5, size=30)
    accounts = {a["id"] for a in fm.ok("GET", "/accounts", headers={"Count": "100"})}
    assert len(accounts) == 30
    contacts = fm.ok("GET", "/contacts", headers={"Count": "100"})
    assert len(contacts) == 30
    assert {c["accountId"]["id"] for c in contacts} <= accounts
    calendar = fm.ok("GET", "/calendar", headers={"Count": "100"})
    assert sorted(row["task"] for row in calendar) == [False] * 30 + [True] * 30
    owners = {a["salesRepId1"]["id"] for a in fm.ok("GET", "/accounts", headers={"Count": "100"})}
    assert len(owners) > 3


def test_empty_seeds_only_users_and_lookups(fm_factory):
    fm = fm_factory(empty=True, seed=5)
    for resource in ("accounts", "contacts", "opportunities", "activities", "calendar"):
        assert fm.ok("GET", f"/{resource}") == []
    assert len(fm.ok("GET", "/users")) == 8
    assert fm.ok("GET", "/branches")


@pytest.mark.parametrize("size", ["medium"])
def test_a_named_size_is_honoured(fm_factory, size):
    fm = fm_factory(seed=2, size=size)
    last_page = fm.get("/accounts", params={"page": 0}, headers={"Count": "1000"})
    assert len(last_page.json()) == 1000
    assert fm.ok("GET", "/accounts", params={"page": 1}, headers={"Count": "1000"}) == []
