"""Build Singer schemas from ForceManager's `/schema` answers and extra-field definitions.

ForceManager describes each resource with a JSON-schema-like document whose properties carry
extras (`readOnly`, `table`, `maxLength`). We keep only what a Singer schema needs, make every
property nullable (the API omits or nulls fields freely), and add the tenant's extra fields as
`Z_<fieldName>` properties typed from their definition. What ForceManager refuses on write (a
text's `maxLength`, the `required` list) goes apart, as the `fields` stream's rows
(`field_limits`): the plan skips a write ForceManager is certain to refuse.
"""

from __future__ import annotations

from typing import Any

from tap_forcemanager.exceptions import SchemaDiscoveryError

#: The computed replication key: the latest of the three audit dates.
DATE_MODIFIED = "dateModified"

NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
NULLABLE_DATETIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_INTEGER: dict[str, Any] = {"type": ["integer", "null"]}
NULLABLE_NUMBER: dict[str, Any] = {"type": ["number", "null"]}
NULLABLE_BOOLEAN: dict[str, Any] = {"type": ["boolean", "null"]}

#: A reference as read: `{"id", "value"}` (the warehouse loader flattens it to x__id, x__value).
REFERENCE: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {"id": NULLABLE_INTEGER, "value": NULLABLE_STRING},
}

#: Users' references read as `{"id", "description"}`.
USER_REFERENCE: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {"id": NULLABLE_INTEGER, "description": NULLABLE_STRING},
}

#: Extra-field definition types -> Singer types (docs/reference-forcemanager.md 9). A `list`
#: field holds one of the strings of its definition's `values`.
EXTRA_FIELD_TYPES: dict[str, dict[str, Any]] = {
    "text": NULLABLE_STRING,
    "unicode": NULLABLE_STRING,
    "decimal": NULLABLE_NUMBER,
    "int": NULLABLE_INTEGER,
    "integer": NULLABLE_INTEGER,
    "bit": NULLABLE_BOOLEAN,
    "bool": NULLABLE_BOOLEAN,
    "datetime": NULLABLE_DATETIME,
    "list": NULLABLE_STRING,
    "multivalue": {"type": ["array", "null"], "items": {"type": ["integer", "string"]}},
}

#: The audit block every entity carries.
AUDIT_PROPERTIES: dict[str, dict[str, Any]] = {
    "deleted": NULLABLE_BOOLEAN,
    "dateCreated": NULLABLE_DATETIME,
    "dateUpdated": NULLABLE_DATETIME,
    "dateDeleted": NULLABLE_DATETIME,
    "salesRepIdCreated": NULLABLE_INTEGER,
    "salesRepIdUpdated": NULLABLE_INTEGER,
    "salesRepIdDeleted": NULLABLE_INTEGER,
}

_JSON_TYPES = {"string", "integer", "number", "boolean", "object", "array", "null"}


def _types(prop: dict[str, Any]) -> list[str]:
    raw = prop.get("type", [])
    types = [raw] if isinstance(raw, str) else list(raw)
    return [kind for kind in types if kind in _JSON_TYPES]


def sanitize_property(prop: dict[str, Any]) -> dict[str, Any]:
    """Reduce one `/schema` property to a nullable Singer property.

    Args:
        prop: The API's property description.

    Returns:
        `type` (with null), plus `format`, `properties` or `items` where they apply.
    """
    types = [kind for kind in _types(prop) if kind != "null"]
    if not types:
        return dict(NULLABLE_STRING)  # untyped in the API's schema: read as text
    result: dict[str, Any] = {"type": [*types, "null"]}
    if "object" in types:
        nested = prop.get("properties") or {}
        result["properties"] = {name: sanitize_property(sub) for name, sub in nested.items()}
    if "array" in types and isinstance(prop.get("items"), dict):
        items = sanitize_property(prop["items"])
        result["items"] = items or dict(NULLABLE_STRING)
    if prop.get("format") in ("date-time", "date") and "string" in types:
        result["format"] = prop["format"]
    return result


def properties_from_api_schema(document: dict[str, Any], resource: str) -> dict[str, Any]:
    """Singer properties from a `GET /{resource}/schema` answer.

    Args:
        document: The answer: a JSON schema with `properties`, or the property map itself.
        resource: Resource name, for the error message.

    Returns:
        Property name -> Singer property.

    Raises:
        SchemaDiscoveryError: The answer holds no properties.
    """
    props = document.get("properties", document) if isinstance(document, dict) else None
    if not isinstance(props, dict) or not props:
        raise SchemaDiscoveryError(f"GET /{resource}/schema returned no properties")
    return {
        name: sanitize_property(prop if isinstance(prop, dict) else {})
        for name, prop in props.items()
    }


def field_limits(document: dict[str, Any], resource: str) -> list[dict[str, Any]]:
    """The write limits of a `/schema` answer: one row per property, extra fields included.

    Args:
        document: The answer: a JSON schema with `properties` (and `required`).
        resource: The resource it describes.

    Returns:
        Rows of `resource`, `field` (the API name, `Z_<fieldName>` for an extra field),
        `max_length` (null where the API states none) and `required` (listed in `required`:
        a create must give it and an update may not null it).
    """
    props = document.get("properties") if isinstance(document, dict) else None
    if not isinstance(props, dict):
        return []
    raw_required = document.get("required")
    required = set(raw_required) if isinstance(raw_required, list) else set()
    rows = []
    for name, prop in props.items():
        limit = prop.get("maxLength") if isinstance(prop, dict) else None
        rows.append(
            {
                "resource": resource,
                "field": name,
                "max_length": limit if isinstance(limit, int) and limit > 0 else None,
                "required": name in required,
            }
        )
    return rows


def extra_field_property(definition: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The `Z_<fieldName>` property of one extra-field definition, or None if unnamed."""
    field_name = definition.get("fieldName")
    if not field_name:
        return None
    kind = str(definition.get("type") or "text").lower()
    return f"Z_{field_name}", dict(EXTRA_FIELD_TYPES.get(kind, NULLABLE_STRING))


def resource_schema(
    api_document: dict[str, Any], extra_fields: list[dict[str, Any]], resource: str
) -> dict[str, Any]:
    """The Singer schema of a record stream.

    Args:
        api_document: The resource's `/schema` answer.
        extra_fields: The resource's extra-field definitions.
        resource: Resource name.

    Returns:
        The schema: API properties, the audit block, typed `Z_` fields and `dateModified`.
    """
    properties = {**AUDIT_PROPERTIES, **properties_from_api_schema(api_document, resource)}
    properties["id"] = {"type": ["integer"]}
    properties["deleted"] = NULLABLE_BOOLEAN  # coerced from 0/1 in post_process
    for definition in extra_fields:
        if not definition.get("deleted") and (prop := extra_field_property(definition)):
            properties.setdefault(prop[0], prop[1])
    properties[DATE_MODIFIED] = NULLABLE_DATETIME
    return {"type": "object", "properties": properties}


_LANGUAGES = ("ES", "EN", "US", "IT", "DE", "FR", "BR", "DK", "PT", "RU")


def _descriptions() -> dict[str, dict[str, Any]]:
    return {f"description{lang}": NULLABLE_STRING for lang in _LANGUAGES}


#: Fields only some lookup lists carry (docs/reference-forcemanager.md 8.3).
LOOKUP_EXTRAS: dict[str, dict[str, dict[str, Any]]] = {
    "branches": {
        "default": NULLABLE_BOOLEAN,
        "imperialSystem": NULLABLE_BOOLEAN,
        "mainEnvironment": NULLABLE_BOOLEAN,
        "currencyId": REFERENCE,
        "timeZoneId": REFERENCE,
    },
    "accountTypes": {
        "internal": NULLABLE_BOOLEAN,
        "computeSfm": NULLABLE_BOOLEAN,
        "visitCycle": NULLABLE_INTEGER,
    },
    "accountStatuses": {"won": NULLABLE_BOOLEAN, "lost": NULLABLE_BOOLEAN},
    "contactTypes": {},
    "opportunityStatuses": {
        **{f"statusDetails{lang}": NULLABLE_STRING for lang in _LANGUAGES},
        "idParent": NULLABLE_INTEGER,
        "won": {"type": ["integer", "boolean", "null"]},
        "endStatus": NULLABLE_BOOLEAN,
        "lost": NULLABLE_BOOLEAN,
    },
    "opportunityTypes": {"defaultStatus": {"type": ["integer", "object", "null"]}},
    "activityTypes": dict.fromkeys(
        (
            "automatic",
            "checkin",
            "fastCheckin",
            "general",
            "hide",
            "phoneCall",
            "visit",
            "videoCall",
            "visibleInActivities",
            "visibleInAgendaActivities",
            "workflow",
        ),
        NULLABLE_BOOLEAN,
    ),
    "countries": {
        "iso2": NULLABLE_STRING,
        "iso3": NULLABLE_STRING,
        "isoNum": NULLABLE_INTEGER,
        "phoneCode": NULLABLE_STRING,
        "strName": NULLABLE_STRING,
    },
    "currencies": {"isoCode": NULLABLE_STRING, "symbol": NULLABLE_STRING},
}


def lookup_schema(name: str) -> dict[str, Any]:
    """The static schema of a lookup list: fixed by the API, so no discovery call is spent."""
    properties: dict[str, Any] = {
        "id": {"type": ["integer"]},
        "order": NULLABLE_INTEGER,
        **_descriptions(),
        "branchVisibility": {"type": ["array", "null"], "items": REFERENCE},
        **AUDIT_PROPERTIES,
        **LOOKUP_EXTRAS[name],
    }
    return {"type": "object", "properties": properties}


USERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": ["integer"]},
        "name": NULLABLE_STRING,
        "lastName": NULLABLE_STRING,
        "nic": NULLABLE_STRING,
        "email": NULLABLE_STRING,
        "phone": NULLABLE_STRING,
        "phoneExtension": NULLABLE_STRING,
        "idPrefix": NULLABLE_INTEGER,
        "extId": NULLABLE_STRING,
        "level": NULLABLE_INTEGER,
        "isActive": NULLABLE_BOOLEAN,
        "billable": NULLABLE_BOOLEAN,
        "computeSfm": NULLABLE_BOOLEAN,
        "branchRestriction": NULLABLE_BOOLEAN,
        "locale": NULLABLE_STRING,
        "dbLanguage": NULLABLE_STRING,
        "uiLanguage": NULLABLE_STRING,
        "lastPasswordChangeDate": NULLABLE_DATETIME,
        "branches": {"type": ["array", "object", "null"], "items": USER_REFERENCE},
        "userTypeId": USER_REFERENCE,
        "managerId": USER_REFERENCE,
        "rateId": USER_REFERENCE,
        **AUDIT_PROPERTIES,
    },
}

#: The `fields` stream: what ForceManager refuses on write, per resource and field.
FIELDS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "resource": {"type": ["string"]},
        "field": {"type": ["string"]},
        "max_length": NULLABLE_INTEGER,
        "required": NULLABLE_BOOLEAN,
    },
}

EXTRA_FIELDS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "resource": {"type": ["string"]},
        "id": {"type": ["integer"]},
        "entity": NULLABLE_STRING,
        "fieldName": NULLABLE_STRING,
        "type": NULLABLE_STRING,
        "values": {"type": ["array", "null"], "items": NULLABLE_STRING},
        "label": NULLABLE_STRING,
        "mandatory": NULLABLE_BOOLEAN,
        "branches": {"type": ["array", "null"], "items": {"type": ["string", "integer", "null"]}},
        "defaultValue": NULLABLE_STRING,
        **AUDIT_PROPERTIES,
    },
}
