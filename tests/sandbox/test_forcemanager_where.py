"""Unit tests of the ForceManager `where`/`order` parser, timestamps and rate limiter."""

from __future__ import annotations

import asyncio

import pytest
from crmsync_sandbox.exceptions import WhereSyntaxError
from crmsync_sandbox.forcemanager.ratelimit import ARRIVAL_JITTER_S, RateLimitMiddleware
from crmsync_sandbox.forcemanager.timefmt import (
    canonical_timestamp,
    format_timestamp,
    parse_timestamp,
)
from crmsync_sandbox.forcemanager.where import compile_where, parse_order, sort_records

KINDS = {
    "id": "int",
    "name": "text",
    "typeId": "ref",
    "total": "decimal",
    "deleted": "bool",
    "dateUpdated": "datetime",
}
ROWS = [
    {"id": 1, "name": "Acme", "typeId": 2, "total": 10.5, "deleted": False, "dateUpdated": None},
    {
        "id": 2,
        "name": "beta",
        "typeId": 3,
        "total": None,
        "deleted": True,
        "dateUpdated": "2024-01-01T10:00:00.5Z",
    },
    {
        "id": 3,
        "name": "O'Hara",
        "typeId": 2,
        "total": 99,
        "deleted": False,
        "dateUpdated": "2024-01-01T10:00:00Z",
    },
]


def resolve(name: str) -> tuple[str, str]:
    for key, kind in KINDS.items():
        if key.lower() == name.lower():
            return key, kind
    raise WhereSyntaxError(name)


def matching(where: str) -> list[int]:
    predicate = compile_where(where, resolve)
    return [row["id"] for row in ROWS if predicate(row)]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("typeId=2", [1, 3]),
        ("TYPEID = 2 and NAME = 'acme'", [1]),
        ("total > 10", [1, 3]),
        ("total >= 10.5 AND total < 99", [1]),
        ("total <> 10.5", [3]),  # null total is neither equal nor unequal
        ("deleted = true", [2]),
        ("deleted = 0", [1, 3]),
        ("dateUpdated > '2024-01-01 10:00:00'", [2]),
        ("dateUpdated >= '2024-01-01T10:00:00Z'", [2, 3]),
        ("dateUpdated = '2024-01-01T10:00:00.500Z'", [2]),
        ("dateUpdated IS NULL", [1]),
        ("name LIKE '%a'", [2, 3]),
        ("name LIKE 'o''%'", [3]),
        ('name = "O\'Hara"', [3]),
        ("name LIKE '_eta'", [2]),
        ("name NOT LIKE 'a%'", [2, 3]),
        ("NOT typeId = 2", [2]),
        ("typeId = 3 OR typeId = 2 AND name = 'Acme'", [1, 2]),
        ("(typeId = 3 OR typeId = 2) AND name = 'Acme'", [1]),
        ("typeId IN (3, 4)", [2]),
        ("typeId NOT IN (3)", [1, 3]),
        ("name = NULL", []),
        # equalities of one field ORed (the target's extId lookups) are one set test
        ("name = 'ACME' OR name = 'Beta' OR name = 'nobody'", [1, 2]),
        ("total = 99 OR total = 10.5", [1, 3]),
        ("dateUpdated = '2024-01-01T10:00:00Z' OR dateUpdated = NULL", [3]),
        ("(name = 'acme' OR name = 'beta') AND deleted = false", [1]),
        ("name = 'acme' OR typeId = 3", [1, 2]),
    ],
)
def test_where_semantics(where, expected):
    assert matching(where) == expected


@pytest.mark.parametrize(
    "where",
    [
        "",
        "unknown = 1",
        "name",
        "name = 'x' AND",
        "name = 'x' extra",
        "(name = 'x'",
        "name LIKE typeId",
        "typeId LIKE '2'",
        "total = 'ten'",
        "dateUpdated > 'soon'",
        "deleted = 'perhaps'",
        "name NOT = 'x'",
        "name = 'x' ; DROP TABLE accounts",
    ],
)
def test_bad_where_raises(where):
    with pytest.raises(WhereSyntaxError):
        compile_where(where, resolve)


def test_order_bare_field_is_descending_and_ties_keep_id_order():
    rows = sort_records(ROWS, parse_order("typeId", resolve))
    assert [row["id"] for row in rows] == [2, 1, 3]
    rows = sort_records(ROWS, parse_order("typeId ASC, total DESC", resolve))
    assert [row["id"] for row in rows] == [3, 1, 2]


def test_order_puts_nulls_first_ascending():
    rows = sort_records(ROWS, parse_order("dateUpdated asc", resolve))
    assert [row["id"] for row in rows] == [1, 3, 2]


@pytest.mark.parametrize("order", ["", "nope", "name UP", "name ASC DESC"])
def test_bad_order_raises(order):
    with pytest.raises(WhereSyntaxError):
        parse_order(order, resolve)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2024-03-05 10:42:12", "2024-03-05T10:42:12Z"),
        ("2024-03-05T10:42:12.120Z", "2024-03-05T10:42:12.12Z"),
        ("2024-03-05T10:42:12.000Z", "2024-03-05T10:42:12Z"),
        ("2024-03-05T10:42:12.123456", "2024-03-05T10:42:12.123Z"),
        ("2024-03-05T10:42:12+02:00", "2024-03-05T08:42:12Z"),
        ("2024-03-05", "2024-03-05T00:00:00Z"),
        ("2024-02-30 00:00:00", None),
        ("05/03/2024", None),
    ],
)
def test_timestamps_normalise_to_trimmed_utc(text, canonical):
    assert canonical_timestamp(text) == canonical


def test_format_timestamp_round_trips():
    moment = parse_timestamp("2021-11-25T12:30:31.18Z")
    assert format_timestamp(moment) == "2021-11-25T12:30:31.18Z"


def test_rate_limiter_admits_exactly_capacity_per_window(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("crmsync_sandbox.forcemanager.ratelimit.time.monotonic", lambda: clock[0])
    limiter = RateLimitMiddleware(app=None, requests_per_second=3)  # type: ignore[arg-type]
    admitted = [limiter._admit() for _ in range(5)]
    assert admitted == [True, True, True, False, False]
    clock[0] += 0.999 - ARRIVAL_JITTER_S
    assert limiter._admit() is False  # still inside the window of the first three
    clock[0] += 0.002
    assert [limiter._admit() for _ in range(4)] == [True, True, True, False]


def test_rate_limiter_below_one_per_second_spaces_requests(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr("crmsync_sandbox.forcemanager.ratelimit.time.monotonic", lambda: clock[0])
    limiter = RateLimitMiddleware(app=None, requests_per_second=0.5)  # type: ignore[arg-type]
    assert limiter._admit() is True
    clock[0] = 1.5
    assert limiter._admit() is False
    clock[0] = 2.01
    assert limiter._admit() is True


def test_rate_limiter_answers_429_json_with_retry_after():
    limiter = RateLimitMiddleware(app=None, requests_per_second=1)  # type: ignore[arg-type]
    limiter._admit()
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    asyncio.run(limiter({"type": "http", "method": "GET", "path": "/x"}, receive, send))
    assert sent[0]["status"] == 429
    assert (b"retry-after", b"1") in sent[0]["headers"]
