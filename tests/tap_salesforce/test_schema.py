"""Unit tests of describe-to-schema mapping, value conversion and the extraction query."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tap_salesforce.schema import conform, json_type, object_schema, to_datetime_text
from tap_salesforce.soql import extraction_query

DESCRIBE = {
    "name": "Account",
    "fields": [
        {"name": "Id", "type": "id"},
        {"name": "Name", "type": "string"},
        {"name": "NumberOfEmployees", "type": "int"},
        {"name": "AnnualRevenue", "type": "currency"},
        {"name": "Is_Key_Account__c", "type": "boolean"},
        {"name": "Contract_Start__c", "type": "date"},
        {"name": "SystemModstamp", "type": "datetime"},
        {"name": "BillingAddress", "type": "address"},
    ],
}


def test_object_schema_types_and_formats() -> None:
    """Salesforce types map to JSON types with formats; compound fields are left out."""
    properties = object_schema(DESCRIBE)["properties"]
    assert properties["Id"] == {"type": ["string"]}
    assert properties["NumberOfEmployees"] == {"type": ["integer", "null"]}
    assert properties["AnnualRevenue"] == {"type": ["number", "null"]}
    assert properties["Is_Key_Account__c"] == {"type": ["boolean", "null"]}
    assert properties["Contract_Start__c"]["format"] == "date"
    assert properties["SystemModstamp"]["format"] == "date-time"
    assert "BillingAddress" not in properties


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-20T20:49:32.000+0000", "2024-05-20T20:49:32.000+00:00"),
        ("2024-05-20T20:49:32.000Z", "2024-05-20T20:49:32.000+00:00"),
        ("2024-05-20T22:49:32+02:00", "2024-05-20T20:49:32.000+00:00"),
    ],
)
def test_datetimes_normalise_to_one_width(value: str, expected: str) -> None:
    """REST and Bulk datetimes become the same fixed-width UTC text."""
    assert to_datetime_text(value) == expected


def test_bulk_csv_values_typed_back() -> None:
    """CSV text is typed back to the schema; empty text is null."""
    assert conform("true", json_type({"type": "boolean"})) is True
    assert conform("12", json_type({"type": "int"})) == 12
    assert conform("1.5", json_type({"type": "double"})) == 1.5
    assert conform("", json_type({"type": "string"})) is None
    assert conform("2024-01-02", json_type({"type": "date"})) == "2024-01-02"


def test_incremental_query_orders_by_clock_then_id() -> None:
    """The incremental query filters at or after the start and orders stably."""
    soql = extraction_query(
        "Account",
        ["Id", "Name"],
        replication_key="SystemModstamp",
        since=datetime(2024, 1, 1, 12, 0, 5, 600, tzinfo=UTC),
    )
    assert soql == (
        "SELECT Id, Name FROM Account WHERE SystemModstamp >= 2024-01-01T12:00:05Z "
        "ORDER BY SystemModstamp ASC, Id ASC"
    )


def test_full_query_has_no_filter() -> None:
    """Without a start, every record is read."""
    soql = extraction_query("User", ["Id"], replication_key="SystemModstamp", since=None)
    assert "WHERE" not in soql
