"""Unit tests of the shared sandbox pieces (pure logic, no server)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from crmsync_sandbox.common import CallCounter, DemoData, RecordStore
from crmsync_sandbox.common.routes import RouteTemplates
from crmsync_sandbox.config import SandboxConfig, record_count
from crmsync_sandbox.exceptions import SandboxConfigError
from crmsync_sandbox.testing import options_to_args
from starlette.routing import Mount, Route


def _endpoint() -> None:
    """A placeholder endpoint; route matching never calls it."""


ROUTES = [
    Route("/api/v4/login", _endpoint, methods=["POST"]),
    Route("/api/v4/accounts/schema", _endpoint),
    Route("/api/v4/accounts/{id}", _endpoint, methods=["GET", "PUT"]),
    Mount("/services/data/v62.0", routes=[Route("/sobjects/{name}/{id}", _endpoint)]),
]


def scope(method: str, path: str) -> dict:
    return {"type": "http", "method": method, "path": path, "root_path": ""}


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("PUT", "/api/v4/accounts/12", "PUT /api/v4/accounts/{id}"),
        ("GET", "/api/v4/accounts/schema", "GET /api/v4/accounts/schema"),
        ("POST", "/api/v4/login", "POST /api/v4/login"),
        ("DELETE", "/api/v4/accounts/3", "DELETE /api/v4/accounts/{id}"),  # 405 still templated
        (
            "GET",
            "/services/data/v62.0/sobjects/Account/001000000000001AAA",
            "GET /services/data/v62.0/sobjects/Account/{id}",
        ),
        ("GET", "/nowhere/7", "GET /nowhere/7"),
    ],
)
def test_route_templates_replace_ids_with_the_matched_template(method, path, key):
    assert RouteTemplates(ROUTES).key(scope(method, path)) == key


def test_call_counter_totals_by_route_and_resets():
    counter = CallCounter()
    for route in ("GET /a", "GET /a", "POST /b"):
        counter.add(route)
    assert counter.snapshot() == {"total": 3, "by_route": {"GET /a": 2, "POST /b": 1}}
    counter.reset()
    assert counter.snapshot() == {"total": 0, "by_route": {}}


def test_call_counter_is_thread_safe():
    counter = CallCounter()

    def add_many() -> None:
        for _ in range(5_000):
            counter.add("GET /x")

    threads = [threading.Thread(target=add_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.snapshot()["total"] == 20_000


@pytest.mark.parametrize(
    ("size", "count"), [("small", 25), ("medium", 1000), ("large", 100_000), (7, 7), ("12", 12)]
)
def test_record_count_understands_presets_and_numbers(size, count):
    assert record_count(size) == count


@pytest.mark.parametrize("size", ["huge", "-3", -1, "1.5"])
def test_record_count_rejects_other_values(size):
    with pytest.raises(SandboxConfigError):
        record_count(size)


@pytest.mark.parametrize(
    "options",
    [
        {"fail_rate": 1.5},
        {"fail_rate": -0.1},
        {"latency_ms": -1},
        {"forcemanager_rate_limit": 0},
        {"salesforce_token_ttl": 0},
        {"size": "huge"},
    ],
)
def test_config_rejects_impossible_options(options):
    with pytest.raises(SandboxConfigError):
        SandboxConfig(data_dir=Path("x"), **options)


def test_config_defaults_and_empty():
    config = SandboxConfig(data_dir=Path("x"))
    assert (config.salesforce_token_ttl, config.forcemanager_token_ttl) == (7200, 3600)
    assert config.host == "127.0.0.1"
    assert config.records_per_object == 25
    assert SandboxConfig(data_dir=Path("x"), empty=True).records_per_object == 0


def test_record_store_round_trips_records_meta_and_the_initialised_flag(tmp_path):
    store = RecordStore(tmp_path / "db.sqlite")
    assert store.is_new
    store.put("accounts", 2, {"id": 2, "name": "B"})
    store.put_many("accounts", [(1, {"id": 1, "name": "A"}), (3, {"id": 3, "name": "C"})])
    store.put("users", "005000000000001AAA", {"Name": "S"})
    store.put("accounts", 2, {"id": 2, "name": "B2"})
    store.set_meta("next_id:accounts", 4)
    store.mark_initialised()
    store.close()
    reopened = RecordStore(tmp_path / "db.sqlite")
    assert not reopened.is_new
    assert [r for _, r in reopened.load("accounts")] == [
        {"id": 1, "name": "A"},
        {"id": 2, "name": "B2"},
        {"id": 3, "name": "C"},
    ]
    assert list(reopened.load("users")) == [("005000000000001AAA", {"Name": "S"})]
    assert reopened.get_meta("next_id:accounts") == 4
    assert reopened.get_meta("missing") is None


def test_demo_data_is_deterministic_per_seed():
    def draw(seed: int) -> list:
        demo = DemoData(seed)
        first, last = demo.first_name(), demo.last_name()
        return [first, last, demo.company(), demo.city(), demo.phone(), demo.email(first, last)]

    assert draw(3) == draw(3)
    assert draw(3) != draw(4)


def test_demo_email_strips_accents_and_spaces():
    assert DemoData(1).email("Zoé", "O'Brien García") == "zoe.obriengarcia@example.com"


def test_demo_between_stays_in_bounds():
    demo = DemoData(9)
    draws = {demo.between(1, 3) for _ in range(500)}
    assert draws == {1, 2, 3}


def test_options_become_serve_flags():
    args = options_to_args({"latency_ms": 5, "empty": True, "seed": None, "only": False})
    assert args == ["--latency-ms", "5", "--empty"]


SF = "/services/data/v62.0"
ID = "{id}"


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("GET", f"{SF}/query", f"GET {SF}/query"),
        ("GET", f"{SF}/query/01g1234567890abcde-2000", f"GET {SF}/query/{{id}}"),
        ("GET", f"{SF}/sobjects/Account/describe", f"GET {SF}/sobjects/Account/describe"),
        (
            "PATCH",
            f"{SF}/sobjects/Contact/003000000000001AAA",
            f"PATCH {SF}/sobjects/Contact/{{id}}",
        ),
        (
            "PATCH",
            f"{SF}/sobjects/Account/ForceManager_Id__c/42",
            f"PATCH {SF}/sobjects/Account/ForceManager_Id__c/{{id}}",
        ),
        ("PATCH", f"{SF}/composite/sobjects", f"PATCH {SF}/composite/sobjects"),
        (
            "PATCH",
            f"{SF}/composite/sobjects/Account/ForceManager_Id__c",
            f"PATCH {SF}/composite/sobjects/Account/ForceManager_Id__c",
        ),
        (
            "PUT",
            f"{SF}/jobs/ingest/7500000000001AAAA/batches",
            f"PUT {SF}/jobs/ingest/{{id}}/batches",
        ),
        (
            "GET",
            f"{SF}/jobs/ingest/7500000000001AAAA/successfulResults",
            f"GET {SF}/jobs/ingest/{{id}}/successfulResults",
        ),
        ("GET", "/services/data/v59.0/limits/", "GET /services/data/v59.0/limits/"),
        ("POST", "/services/oauth2/token", "POST /services/oauth2/token"),
    ],
)
def test_salesforce_call_keys_name_only_ids(method, path, key):
    """Record ids, external id values, query locators and job ids read {id}; nothing else."""
    from crmsync_sandbox.salesforce.app import ID_PARAMS, build_routes  # noqa: PLC0415

    routes = build_routes(None)  # type: ignore[arg-type] - handlers are never called here
    assert RouteTemplates(routes, ID_PARAMS).key(scope(method, path)) == key
