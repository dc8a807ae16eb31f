"""Tooling API ``CustomField`` creation: new fields appear in describe, SOQL and writes."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from crmsync_sandbox.salesforce.exceptions import ApiError
from crmsync_sandbox.salesforce.rest import Ctx, json_body, json_response
from crmsync_sandbox.salesforce.schema import FieldDef

_FULL_NAME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9]*)\.([A-Za-z](?:[A-Za-z0-9]|_(?!_))*__c)$")
#: Metadata type -> describe type.
_TYPES = {
    "Text": "string",
    "TextArea": "textarea",
    "LongTextArea": "textarea",
    "Email": "email",
    "Phone": "phone",
    "Url": "url",
    "Number": "double",
    "Currency": "currency",
    "Percent": "percent",
    "Checkbox": "boolean",
    "Date": "date",
    "DateTime": "datetime",
    "Picklist": "picklist",
}
#: The most digits a Number field may hold, as in a real org.
MAX_PRECISION = 18
MAX_TEXT_LENGTH = 255
MAX_LONG_TEXT_LENGTH = 131_072


def _bad(message: str, code: str = "FIELD_INTEGRITY_EXCEPTION") -> ApiError:
    return ApiError(400, code, message)


def field_from_metadata(name: str, meta: dict[str, Any]) -> FieldDef:
    """Build the field a ``CustomField`` Metadata block describes.

    Raises:
        ApiError: 400 for a missing label, unknown type, or out-of-range sizes.
    """
    label = meta.get("label")
    if not isinstance(label, str) or not label:
        raise _bad("Required field is missing: label", "REQUIRED_FIELD_MISSING")
    kind = meta.get("type")
    if kind not in _TYPES:
        raise _bad(f"Invalid or missing field type: {kind}")
    ftype = _TYPES[kind]
    common: dict[str, Any] = {"custom": True}
    if meta.get("formula"):
        # a formula field is computed by the org: read-only through the API (the sandbox keeps
        # no formula engine; its value is whatever the record holds)
        common.update(calculated=True, createable=False, updateable=False)
    if kind in {"Text", "Number", "Email"}:
        common["external_id"] = bool(meta.get("externalId", False))
        common["unique"] = bool(meta.get("unique", False))
    if kind in {"Text", "LongTextArea"}:
        limit = MAX_TEXT_LENGTH if kind == "Text" else MAX_LONG_TEXT_LENGTH
        length = meta.get("length")
        if not isinstance(length, int) or not 1 <= length <= limit:
            raise _bad(f"Length must be between 1 and {limit}")
        return FieldDef(name, label, ftype, length=length, **common)
    if kind in {"Number", "Currency", "Percent"}:
        precision, scale = meta.get("precision", 18), meta.get("scale", 0)
        ok = isinstance(precision, int) and isinstance(scale, int)
        if not ok or not (1 <= precision <= MAX_PRECISION and 0 <= scale <= precision):
            raise _bad("Precision must be 1..18 and scale 0..precision")
        return FieldDef(name, label, ftype, precision=precision, scale=scale, **common)
    if kind == "Checkbox":
        default = str(meta.get("defaultValue", "false")).lower() == "true"
        return FieldDef(
            name, label, ftype, nillable=False, defaulted_on_create=True, default=default, **common
        )
    if kind == "Picklist":
        return _picklist(name, label, meta)
    lengths = {"TextArea": 255, "Email": 80, "Phone": 40, "Url": 255}
    return FieldDef(name, label, ftype, length=lengths.get(kind, 0), **common)


def _picklist(name: str, label: str, meta: dict[str, Any]) -> FieldDef:
    value_set = meta.get("valueSet") or {}
    values = ((value_set.get("valueSetDefinition") or {}).get("value")) or []
    names = tuple(v.get("fullName") for v in values if isinstance(v, dict) and v.get("fullName"))
    if not names:
        raise _bad("A picklist needs at least one value in valueSet.valueSetDefinition.value")
    return FieldDef(
        name,
        label,
        "picklist",
        length=255,
        custom=True,
        picklist=names,
        restricted_picklist=bool(value_set.get("restricted", False)),
    )


async def create_custom_field(ctx: Ctx) -> Response:
    """``POST tooling/sobjects/CustomField`` -> 201 ``{"id", "success", "errors"}``."""
    body = await json_body(ctx.request)
    if not isinstance(body, dict):
        raise _bad("The body must be a JSON object", "JSON_PARSER_ERROR")
    match = _FULL_NAME_RE.match(str(body.get("FullName", "")))
    if not match:
        raise _bad(f"Invalid custom field full name: {body.get('FullName')}")
    obj = ctx.org.object_of(match.group(1))
    if obj is None:
        raise _bad(f"Cannot find entity: {match.group(1)}", "INVALID_TYPE")
    name = match.group(2)
    if obj.get(name) is not None:
        raise _bad(
            f"There is already a field named {name} on {obj.name}.", "DUPLICATE_DEVELOPER_NAME"
        )
    metadata = body.get("Metadata")
    if not isinstance(metadata, dict):
        raise _bad("Required field is missing: Metadata", "REQUIRED_FIELD_MISSING")
    field_id = ctx.org.add_custom_field(obj.name, field_from_metadata(name, metadata))
    return json_response(
        {"id": field_id, "success": True, "errors": [], "warnings": [], "infos": []}, 201
    )
