"""Unit tests of schema building and record post-processing (no HTTP)."""

from __future__ import annotations

from tap_forcemanager.client import coerce_bool, format_timestamp, parse_timestamp
from tap_forcemanager.schemas import (
    DATE_MODIFIED,
    field_limits,
    lookup_schema,
    resource_schema,
)

API_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "name": {"type": ["string", "null"], "maxLength": 200, "readOnly": False},
        "branchId": {
            "type": ["object", "null"],
            "table": "branches",
            "properties": {"id": {"type": "integer"}, "value": {"type": ["string", "null"]}},
            "required": ["id"],
        },
        "dateCreated": {"type": ["string", "null"], "format": "date-time", "readOnly": True},
    },
}


def test_resource_schema_keeps_api_fields_and_adds_typed_extra_fields():
    """Properties become nullable; Z_ fields are typed from their definition."""
    extra = [
        {"fieldName": "Region", "type": "text"},
        {"fieldName": "Visits", "type": "decimal"},
        {"fieldName": "Key", "type": "bit"},
        {"fieldName": "Since", "type": "datetime"},
        {"fieldName": "Tier", "type": "list", "values": ["Gold"]},
        {"fieldName": "Gone", "type": "text", "deleted": True},
    ]
    schema = resource_schema(API_SCHEMA, extra, "accounts")
    props = schema["properties"]
    assert props["name"] == {"type": ["string", "null"]}
    assert props["branchId"]["properties"]["id"] == {"type": ["integer", "null"]}
    assert props["dateCreated"]["format"] == "date-time"
    assert props["Z_Region"]["type"] == ["string", "null"]
    assert props["Z_Visits"]["type"] == ["number", "null"]
    assert props["Z_Key"]["type"] == ["boolean", "null"]
    assert props["Z_Since"]["format"] == "date-time"
    assert props["Z_Tier"]["type"] == ["string", "null"]
    assert "Z_Gone" not in props
    assert props[DATE_MODIFIED]["format"] == "date-time"
    assert props["id"] == {"type": ["integer"]}


def test_field_limits_keep_max_length_and_required_that_the_singer_schema_drops():
    """`maxLength` and the `required` list leave the Singer schema but reach the fields rows."""
    document = {**API_SCHEMA, "required": ["name", "branchId"]}
    rows = {row["field"]: row for row in field_limits(document, "accounts")}
    assert rows["name"] == {
        "resource": "accounts",
        "field": "name",
        "max_length": 200,
        "required": True,
    }
    assert rows["branchId"]["required"] is True
    assert rows["branchId"]["max_length"] is None
    assert rows["dateCreated"] == {
        "resource": "accounts",
        "field": "dateCreated",
        "max_length": None,
        "required": False,
    }
    assert "maxLength" not in resource_schema(document, [], "accounts")["properties"]["name"]


def test_resource_schema_accepts_a_bare_property_map():
    schema = resource_schema(API_SCHEMA["properties"], [], "contacts")
    assert "branchId" in schema["properties"]


def test_lookup_schema_has_list_specific_fields():
    assert "phoneCall" in lookup_schema("activityTypes")["properties"]
    assert "descriptionEN" in lookup_schema("opportunityStatuses")["properties"]


def test_timestamps_parse_any_fraction_and_format_fixed_width():
    """0-3 fractional digits parse; the output compares correctly as text."""
    short = parse_timestamp("2021-11-25T12:30:31.2Z")
    long_ = parse_timestamp("2021-11-25T12:30:31.18Z")
    assert short is not None
    assert long_ is not None
    assert format_timestamp(short) == "2021-11-25T12:30:31.200000Z"
    assert format_timestamp(long_) < format_timestamp(short)
    assert parse_timestamp("not a date") is None
    assert parse_timestamp(None) is None


def test_deleted_flag_coerced_from_ints_and_strings():
    assert [coerce_bool(v) for v in (0, 1, "1", "false", True, None)] == [
        False,
        True,
        True,
        False,
        True,
        None,
    ]
