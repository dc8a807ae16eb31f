"""Unit tests of the SOQL parser and evaluator, and of record ids (pure logic)."""

from __future__ import annotations

import pytest
from crmsync_sandbox.salesforce import ids, soql
from crmsync_sandbox.salesforce.exceptions import SoqlError
from crmsync_sandbox.salesforce.schema import build_objects

OBJECTS = build_objects()
ROWS = [
    {
        "Id": ids.make_id("001", 1),
        "Name": "Acme",
        "Type": "Partner",
        "IsDeleted": False,
        "NumberOfEmployees": 10,
        "SystemModstamp": "2024-01-01T10:00:00.000+0000",
        "Contract_Start__c": "2024-02-01",
    },
    {
        "Id": ids.make_id("001", 2),
        "Name": "beta",
        "Type": None,
        "IsDeleted": False,
        "NumberOfEmployees": None,
        "SystemModstamp": "2024-01-02T10:00:00.000+0000",
        "Contract_Start__c": None,
    },
    {
        "Id": ids.make_id("001", 3),
        "Name": "O'Brien",
        "Type": "Other",
        "IsDeleted": True,
        "NumberOfEmployees": 5,
        "SystemModstamp": "2024-01-03T10:00:00.000+0000",
        "Contract_Start__c": "2023-01-01",
    },
]


def names(text: str, include_deleted: bool = False) -> list[str]:
    """Names of the rows a query returns."""
    return [r["Name"] for r in soql.compile_query(text, OBJECTS).run(ROWS, include_deleted)]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name = 'ACME'", ["Acme"]),
        ("Name != 'Acme'", ["beta"]),
        ("Type = null", ["beta"]),
        ("Type != null", ["Acme"]),
        ("Type <> 'Partner'", ["beta"]),
        ("Name LIKE 'b%'", ["beta"]),
        ("Name LIKE '_cm_'", ["Acme"]),
        ("Type IN ('Partner', 'Other')", ["Acme"]),
        ("Type NOT IN ('Partner')", ["beta"]),
        ("NumberOfEmployees > 5", ["Acme"]),
        ("NOT (Name = 'Acme' OR Name = 'beta')", []),
        ("(Name = 'Acme' OR Name = 'beta') AND NumberOfEmployees >= 10", ["Acme"]),
        ("SystemModstamp > 2024-01-01T10:00:00Z", ["beta"]),
        ("SystemModstamp >= 2024-01-01T10:00:00.000000Z", ["Acme", "beta"]),
        ("SystemModstamp < 2024-01-01T12:30:00+02:00", ["Acme"]),
        ("Contract_Start__c < 2024-03-01", ["Acme"]),
        ("Name = 'O\\'Brien'", []),
        ("IsDeleted = false", ["Acme", "beta"]),
    ],
)
def test_where_clause_filters_rows_like_soql(where: str, expected: list[str]) -> None:
    """Each operator, literal kind and null rule selects the rows SOQL would."""
    assert names(f"SELECT Id, Name FROM Account WHERE {where}") == expected


def test_query_all_sees_deleted_rows_and_escaped_strings() -> None:
    """Deleted rows only show with include_deleted, and quoted escapes decode."""
    assert names("SELECT Name FROM Account WHERE Name = 'O\\'Brien'", True) == ["O'Brien"]
    assert names("SELECT Name FROM Account WHERE IsDeleted = true", True) == ["O'Brien"]


def test_order_by_limit_offset_and_nulls() -> None:
    """ORDER BY several keys with NULLS FIRST/LAST, then LIMIT and OFFSET."""
    base = "SELECT Name FROM Account"
    assert names(f"{base} ORDER BY NumberOfEmployees DESC", True) == ["Acme", "O'Brien", "beta"]
    assert names(f"{base} ORDER BY NumberOfEmployees ASC", True) == ["beta", "O'Brien", "Acme"]
    assert names(f"{base} ORDER BY NumberOfEmployees NULLS LAST", True)[-1] == "beta"
    assert names(f"{base} ORDER BY Name DESC LIMIT 2 OFFSET 1", True) == ["beta", "Acme"]
    assert names(f"{base} ORDER BY Type, Name", True) == ["beta", "O'Brien", "Acme"]


def test_count_and_canonical_field_names() -> None:
    """COUNT() is recognised; field names resolve case-insensitively to describe names."""
    assert soql.compile_query("select count() from account", OBJECTS).count_only
    assert soql.compile_query("select id, NAME from ACCOUNT", OBJECTS).fields == ["Id", "Name"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT Id FROM Nope", "INVALID_TYPE"),
        ("SELECT Id, Bogus FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE Bogus = 1", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY"),
        ("SELECT FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = 1", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE SystemModstamp > '2024-01-01T00:00:00Z'", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE Name = 'unterminated", "MALFORMED_QUERY"),
        ("SELECT Id, Id FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Id = 'xyz'", "INVALID_QUERY_FILTER_OPERATOR"),
        ("SELECT Id FROM Account OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE"),
    ],
)
def test_bad_queries_raise_the_real_error_codes(text: str, code: str) -> None:
    """Unknown objects, columns, syntax and type mismatches fail with the org's codes."""
    with pytest.raises(SoqlError) as caught:
        soql.compile_query(text, OBJECTS)
    assert caught.value.code == code


def test_ids_carry_the_case_safe_suffix() -> None:
    """18-char ids from the docs round-trip; a lower-cased 18-char id normalises back."""
    for known in ("001D000000IqhSLIAZ", "005D0000001QX8WIAW", "0018a00001rBqb8AAC"):
        assert ids.to_18(known[:15]) == known
        assert ids.normalize(known.lower()) == known
    assert ids.make_id("005", 1) == "005000000000001AAA"
    assert ids.counter_of(ids.make_id("001", 123_456)) == 123_456
    assert ids.normalize("not-an-id") is None
