"""Map a stream's JSON schema to warehouse columns, and records to rows of those columns.

A property becomes one column named after it in lower case. An object property with declared
properties is flattened one level (``salesRepId1.id`` -> ``salesrepid1__id``); arrays, free-form
objects and anything nested deeper are kept as JSON text.
"""

from __future__ import annotations

import datetime
import json
import logging
import typing as t
from dataclasses import dataclass

import orjson

logger = logging.getLogger(__name__)

#: Joins an object property's name to its sub-property's name in a flattened column name.
FLATTEN_SEPARATOR = "__"

#: SQL types, named once so the loader and the mapping agree.
VARCHAR = "VARCHAR"
TIMESTAMP = "TIMESTAMP"
DATE = "DATE"
BIGINT = "BIGINT"
DOUBLE = "DOUBLE"
BOOLEAN = "BOOLEAN"

#: The Singer metadata the warehouse keeps: when a record was extracted, when its batch was
#: loaded, and when the source deleted it. dbt staging de-duplicates replays with these.
METADATA_COLUMNS: tuple[str, ...] = ("_sdc_extracted_at", "_sdc_batched_at", "_sdc_deleted_at")

#: The SDK's other metadata properties carry nothing the sync reads, so they are not loaded.
DROPPED_METADATA: frozenset[str] = frozenset(
    {"_sdc_received_at", "_sdc_sequence", "_sdc_table_version", "_sdc_sync_started_at"}
)

_SCALAR_TYPES: dict[str, str] = {
    "integer": BIGINT,
    "number": DOUBLE,
    "boolean": BOOLEAN,
}
_STRING_FORMATS: dict[str, str] = {"date-time": TIMESTAMP, "date": DATE}


def quote(identifier: str) -> str:
    """Return an identifier quoted for DuckDB SQL.

    Args:
        identifier: A schema, table, column or struct field name.

    Returns:
        The name in double quotes, inner quotes doubled.
    """
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class Column:
    """One warehouse column and where its value sits in a staged record.

    Attributes:
        name: The column name (lower case).
        sql_type: The DuckDB type the schema asks for.
        path: The property, or the property and its sub-property, holding the value.
    """

    name: str
    sql_type: str
    path: tuple[str, ...]

    @property
    def source_sql(self) -> str:
        """Return SQL selecting the column's text value from the staged batch."""
        return ".".join(quote(part) for part in self.path)


@dataclass(frozen=True)
class StreamLayout:
    """How a stream's records are read from a batch file and which columns they fill.

    Attributes:
        read_types: Each top-level property read from the batch file and its DuckDB type:
            VARCHAR (JSON text for arrays and free objects) or a STRUCT of VARCHAR fields for
            a flattened object.
        columns: The table columns, in schema order, metadata last.
    """

    read_types: dict[str, str]
    columns: list[Column]


def _non_null_types(prop_schema: dict[str, t.Any]) -> list[str]:
    """Return the JSON types a property allows, besides null.

    Args:
        prop_schema: The property's JSON schema.

    Returns:
        The declared types other than ``"null"``; ``anyOf`` branches are merged.
    """
    if "anyOf" in prop_schema:
        merged: list[str] = []
        for branch in prop_schema["anyOf"]:
            merged.extend(x for x in _non_null_types(branch) if x not in merged)
        return merged
    declared = prop_schema.get("type", [])
    types = [declared] if isinstance(declared, str) else list(declared)
    return [x for x in types if x != "null"]


def _anyof_format(prop_schema: dict[str, t.Any]) -> str | None:
    """Return the string format of a property, looking into ``anyOf`` branches.

    Args:
        prop_schema: The property's JSON schema.

    Returns:
        The first declared ``format``, if any.
    """
    if "format" in prop_schema:
        return prop_schema["format"]
    for branch in prop_schema.get("anyOf", []):
        if "format" in branch:
            return branch["format"]
    return None


def sql_type_for(prop_schema: dict[str, t.Any]) -> str:
    """Return the DuckDB type for a scalar property.

    Args:
        prop_schema: The property's JSON schema.

    Returns:
        TIMESTAMP for date-time strings, DATE for dates, BIGINT, DOUBLE or BOOLEAN for the
        matching JSON types (integer-or-number is DOUBLE), else VARCHAR.
    """
    types = set(_non_null_types(prop_schema))
    if types == {"string"}:
        return _STRING_FORMATS.get(_anyof_format(prop_schema) or "", VARCHAR)
    if types == {"integer", "number"}:
        return DOUBLE
    if len(types) == 1:
        return _SCALAR_TYPES.get(types.pop(), VARCHAR)
    return VARCHAR


def _is_flattenable(prop_schema: dict[str, t.Any]) -> bool:
    """Return whether a property is an object with declared sub-properties.

    Args:
        prop_schema: The property's JSON schema.

    Returns:
        True when the property is only an object (or null) and declares sub-properties.
    """
    return _non_null_types(prop_schema) == ["object"] and bool(prop_schema.get("properties"))


def _columns_for_property(name: str, prop_schema: dict[str, t.Any]) -> list[Column]:
    """Return the columns one top-level property loads into.

    Args:
        name: The property name.
        prop_schema: The property's JSON schema.

    Returns:
        One column, or one per sub-property for a flattenable object.
    """
    if not _is_flattenable(prop_schema):
        return [Column(name.lower(), sql_type_for(prop_schema), (name,))]
    return [
        Column(f"{name}{FLATTEN_SEPARATOR}{sub}".lower(), sql_type_for(sub_schema), (name, sub))
        for sub, sub_schema in prop_schema["properties"].items()
    ]


def _read_type(prop_schema: dict[str, t.Any]) -> str:
    """Return the type a property is read from the batch file as.

    Args:
        prop_schema: The property's JSON schema.

    Returns:
        A STRUCT of text fields for a flattenable object, else VARCHAR.
    """
    if not _is_flattenable(prop_schema):
        return VARCHAR
    fields = ", ".join(f"{quote(sub)} {VARCHAR}" for sub in prop_schema["properties"])
    return f"STRUCT({fields})"


def plan_layout(schema: dict[str, t.Any]) -> StreamLayout:
    """Return how a stream loads: the properties to read and the columns they fill.

    Args:
        schema: The stream's JSON schema.

    Returns:
        The layout. A name repeated after lower-casing keeps its first property, since DuckDB
        names are case-insensitive.
    """
    properties: dict[str, t.Any] = dict(schema.get("properties") or {})
    for meta in METADATA_COLUMNS:
        properties.setdefault(meta, {"type": ["string", "null"], "format": "date-time"})
    read_types: dict[str, str] = {}
    columns: dict[str, Column] = {}
    for name, prop_schema in properties.items():
        if name in DROPPED_METADATA:
            continue
        if name.lower() in {read.lower() for read in read_types}:
            logger.warning("Property %s is declared twice; keeping the first", name)
            continue
        read_types[name] = _read_type(prop_schema)
        for column in _columns_for_property(name, prop_schema):
            if column.name in columns:
                logger.warning("Column %s is declared twice; keeping the first", column.name)
                continue
            columns[column.name] = column
    return StreamLayout(read_types, list(columns.values()))


def _json_default(value: object) -> str:
    """Serialise the Python values the SDK parses records into.

    Args:
        value: A value the ``json`` module cannot serialise by itself.

    Returns:
        ISO text for dates and times (with their offset, converted to UTC on load), and
        ``str()`` of anything else (a decimal's exact digits).
    """
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def record_line(record: dict[str, t.Any]) -> bytes:
    """Return one newline-delimited JSON line holding a record.

    Args:
        record: The record, as the SDK parsed it.

    Returns:
        The JSON text of the record, ending with a newline.
    """
    try:
        return orjson.dumps(record, default=_json_default, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        # orjson refuses what the json module accepts: integers beyond 64 bits, NaN keys.
        return (json.dumps(record, default=_json_default) + "\n").encode()
