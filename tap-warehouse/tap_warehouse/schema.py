"""JSON schemas for warehouse columns, from the types DuckDB's DESCRIBE reports."""

from __future__ import annotations

import typing as t

#: A JSON text column the tap parses and emits as an object with free properties.
JSON_OBJECT_SCHEMA: dict[str, t.Any] = {"type": ["object", "null"], "additionalProperties": True}

_INTEGER_TYPES = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }
)
_NUMBER_TYPES = frozenset({"FLOAT", "DOUBLE", "REAL"})
_STRING_FORMATS = {"DATE": "date", "TIME": "time"}


def _json_type(upper: str) -> tuple[str, str | None]:
    """Return the JSON type and string format for an upper-case DuckDB type name.

    Args:
        upper: The DuckDB type name in upper case.

    Returns:
        (JSON type, format or None).
    """
    if upper in _INTEGER_TYPES:
        return "integer", None
    if upper in _NUMBER_TYPES or upper.startswith("DECIMAL"):
        return "number", None
    if upper == "BOOLEAN":
        return "boolean", None
    if upper.startswith("TIMESTAMP"):
        return "string", "date-time"
    return "string", _STRING_FORMATS.get(upper)


def column_schema(duckdb_type: str) -> dict[str, t.Any]:
    """Return the JSON schema of a column of a DuckDB type; every column is nullable.

    Args:
        duckdb_type: The type name DESCRIBE reports, e.g. ``BIGINT`` or ``DECIMAL(18,3)``.

    Returns:
        integer, number, boolean, array or object for the matching types; a date, time or
        date-time string for temporal types; else a string.
    """
    upper = duckdb_type.upper()
    if upper.endswith("]"):
        return {"type": ["array", "null"], "items": {}}
    if upper.startswith(("STRUCT", "MAP")):
        return dict(JSON_OBJECT_SCHEMA)
    json_type, string_format = _json_type(upper)
    schema: dict[str, t.Any] = {"type": [json_type, "null"]}
    if string_format:
        schema["format"] = string_format
    return schema


def table_schema(columns: list[tuple[str, str]], json_columns: set[str]) -> dict[str, t.Any]:
    """Return a stream's JSON schema from a table's columns.

    Args:
        columns: (column name, DuckDB type) pairs, in table order.
        json_columns: Names of JSON text columns to emit as objects.

    Returns:
        An object schema with one property per column.
    """
    properties = {
        name: dict(JSON_OBJECT_SCHEMA) if name in json_columns else column_schema(sql_type)
        for name, sql_type in columns
    }
    return {"type": "object", "properties": properties}
