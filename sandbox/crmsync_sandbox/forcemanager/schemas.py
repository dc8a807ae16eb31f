"""The JSON-schema-like documents of `/{resource}/schema` and `/extrafields/{resource}/schema`."""

from __future__ import annotations

from typing import Any

from crmsync_sandbox.forcemanager.schema import (
    EXTRA_TEXT_LENGTH,
    GENDERS,
    FieldDef,
    ResourceDef,
)

_JSON_TYPES = {
    "int": "integer",
    "userid": "integer",
    "decimal": "number",
    "bool": "boolean",
    "text": "string",
    "hour": "string",
    "datetime": "string",
    "list": "string",
}
_EXTRA_KINDS = {"text": "text", "decimal": "decimal", "bit": "bool", "datetime": "datetime"}


def resource_schema(resource: ResourceDef, extras: list[dict[str, Any]]) -> dict[str, Any]:
    """The schema of a resource.

    Args:
        resource: The resource.
        extras: Its extra-field definitions.

    Returns:
        `{"type": "object", "properties": {...}, "required": [...]}`.
    """
    properties = {f.name: _property(f) for f in resource.all_fields}
    if resource.name == "users":
        described = _described_ref()
        properties.update(
            branches=described, userTypeId=described, managerId=described, rateId=described
        )
    for definition in extras:
        properties["Z_" + definition["fieldName"]] = _extra_property(definition)
    required = [f.write_name or f.name for f in resource.fields if f.required]
    document: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if resource.required_any:
        document["anyOf"] = [{"required": [name]} for name in resource.required_any]
    return document


def _property(definition: FieldDef) -> dict[str, Any]:
    if definition.kind == "gender":
        return {
            "properties": {
                "id": {"type": "integer", "enum": sorted(GENDERS)},
                "value": {"type": ["string", "null"]},
            },
            "required": ["id"],
            "readOnly": definition.read_only,
            "type": ["object", "null"],
        }
    if definition.kind == "reflist":
        item = {
            "properties": {"id": {"type": "integer"}, "value": {"type": ["string", "null"]}},
            "required": ["id"],
            "type": "object",
        }
        return {
            "items": item,
            "table": definition.table,
            "readOnly": definition.read_only,
            "type": ["array", "null"],
        }
    if definition.kind == "ref":
        return {
            "properties": {
                "id": {"type": "integer"},
                "value": {"type": ["string", "null"]},
            },
            "required": ["id"],
            "table": definition.table,
            "readOnly": definition.read_only,
            "type": ["object", "null"],
        }
    prop: dict[str, Any] = {
        "description": "",
        "readOnly": definition.read_only,
        "type": [_JSON_TYPES[definition.kind], "null"],
    }
    if definition.max_length is not None:
        prop["maxLength"] = definition.max_length
    if definition.kind == "datetime":
        prop["format"] = "date-time"
    if definition.kind == "hour":
        prop["pattern"] = "^[0-2][0-9]:[0-5][0-9]$"
    if definition.minimum is not None:
        prop["minimum"] = definition.minimum
    if definition.maximum is not None:
        prop["maximum"] = definition.maximum
    if definition.write_name:
        prop["writeName"] = definition.write_name
    return prop


def _described_ref() -> dict[str, Any]:
    return {
        "properties": {"id": {"type": "integer"}, "description": {"type": ["string", "null"]}},
        "readOnly": True,
        "type": ["object", "null"],
    }


def _extra_property(definition: dict[str, Any]) -> dict[str, Any]:
    kind = definition["type"]
    prop: dict[str, Any] = {
        "description": definition.get("label") or definition["fieldName"],
        "readOnly": False,
        "type": [_JSON_TYPES[_EXTRA_KINDS.get(kind, "list")], "null"],
        "extraField": True,
        "extraFieldType": kind,
    }
    if kind == "text":
        prop["maxLength"] = EXTRA_TEXT_LENGTH
    if kind == "datetime":
        prop["format"] = "date-time"
    if kind == "list":
        prop["enum"] = [*definition["values"], None]
    return prop


def extra_field_schema() -> dict[str, Any]:
    """The schema of an extra-field definition object."""
    text = {"type": ["string", "null"], "readOnly": False}
    stamp = {"type": ["string", "null"], "format": "date-time", "readOnly": True}
    return {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "entity": text,
            "fieldName": {**text, "maxLength": 50},
            "type": {**text, "enum": ["text", "decimal", "bit", "datetime", "list"]},
            "values": {"type": ["array", "null"], "items": {"type": "string"}},
            "label": text,
            "mandatory": {"type": "boolean", "readOnly": True},
            "branches": {"type": "array", "items": {"type": "string"}},
            "defaultValue": text,
            "deleted": {"type": "boolean", "readOnly": True},
            "dateCreated": stamp,
            "dateUpdated": stamp,
            "dateDeleted": stamp,
        },
        "required": ["fieldName", "type"],
    }
