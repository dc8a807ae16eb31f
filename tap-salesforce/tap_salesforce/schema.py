"""Salesforce describe -> JSON schema, and record values -> that schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

#: Compound and binary fields are left out: their parts are fields of their own, Bulk 2.0
#: rejects them, and base64 bodies have no place in a sync.
SKIPPED_TYPES = frozenset({"address", "location", "base64"})
_INTEGER_TYPES = frozenset({"int", "long"})
_NUMBER_TYPES = frozenset({"double", "currency", "percent"})
_FORMATS = {"date": "date", "datetime": "date-time", "time": "time"}
#: The replication clock every replicable object carries.
REPLICATION_KEY = "SystemModstamp"


def json_type(field: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON schema of one describe field.

    Args:
        field: one entry of describe's ``fields``.

    Returns:
        A nullable JSON schema (``Id`` excepted).
    """
    sf_type = field.get("type", "string")
    if sf_type == "boolean":
        schema: dict[str, Any] = {"type": ["boolean"]}
    elif sf_type in _INTEGER_TYPES:
        schema = {"type": ["integer"]}
    elif sf_type in _NUMBER_TYPES:
        schema = {"type": ["number"]}
    else:
        schema = {"type": ["string"]}
        if sf_type in _FORMATS:
            schema["format"] = _FORMATS[sf_type]
    if field.get("name") != "Id":
        schema["type"].append("null")
    return schema


def queryable_fields(describe: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the describe fields the tap extracts, in describe order.

    Args:
        describe: the object's describe.

    Returns:
        The fields, compound and binary ones left out.
    """
    return [f for f in describe.get("fields", []) if f.get("type") not in SKIPPED_TYPES]


def object_schema(describe: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON schema of an object's records.

    Args:
        describe: the object's describe.

    Returns:
        An object schema with one property per extracted field.
    """
    properties = {field["name"]: json_type(field) for field in queryable_fields(describe)}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def to_datetime_text(value: str) -> str:
    """Normalise a Salesforce datetime to ISO 8601 UTC with milliseconds.

    ``2024-05-20T20:49:32.000+0000`` (REST) and ``2024-05-20T20:49:32.000Z`` (Bulk CSV) both
    become ``2024-05-20T20:49:32.000+00:00``: one fixed width, so text order is time order.

    Args:
        value: a datetime as Salesforce writes it.

    Returns:
        The normalised text.
    """
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="milliseconds")


def conform(value: Any, field_schema: dict[str, Any]) -> Any:
    """Convert a REST JSON value or a Bulk CSV text to the field's JSON schema type.

    Args:
        value: the value as the API returned it (CSV values are text, empty for null).
        field_schema: the field's JSON schema.

    Returns:
        The typed value, or None.
    """
    if value is None or value == "":
        return None
    types = field_schema.get("type", [])
    if field_schema.get("format") == "date-time":
        return to_datetime_text(str(value))
    if isinstance(value, str):
        if "boolean" in types:
            return value.lower() == "true"
        if "integer" in types:
            return int(float(value))
        if "number" in types:
            return float(value)
    return value
