"""Tooling API ``CustomField``: creation (new fields appear in describe, SOQL and writes) and
the query that lists custom fields by ``DeveloperName`` and ``TableEnumOrId``."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from crmsync_sandbox.salesforce import ids
from crmsync_sandbox.salesforce.exceptions import ApiError
from crmsync_sandbox.salesforce.org import CUSTOM_FIELD_PREFIX as CUSTOM_FIELD_ID_PREFIX
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


_QUERY_RE = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)(?:\s+WHERE\s+(?P<where>.+?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_EQUALS_RE = re.compile(r"^(\w+)\s*=\s*'([^']*)'$")
_IN_RE = re.compile(r"^(\w+)\s+IN\s*\(([^)]*)\)$", re.IGNORECASE)
_CUSTOM_FIELD_COLUMNS = ("Id", "DeveloperName", "TableEnumOrId", "NamespacePrefix")
#: Tooling ids of the custom fields the org was made with start here (the created ones count
#: up from 1).
_BUILT_IN_FIELD_ID_BASE = 800_000_000


def _custom_field_rows(ctx: Ctx) -> list[dict[str, Any]]:
    created = {
        (spec["object"], spec["field"]["name"]): spec["id"] for spec in ctx.org.custom_fields
    }
    rows: list[dict[str, Any]] = []
    built_in = 0
    for obj in ctx.org.objects.values():
        for fdef in obj.fields.values():
            if not (fdef.custom and fdef.name.endswith("__c")):
                continue
            field_id = created.get((obj.name, fdef.name))
            if field_id is None:
                built_in += 1
                field_id = ids.make_id(CUSTOM_FIELD_ID_PREFIX, _BUILT_IN_FIELD_ID_BASE + built_in)
            rows.append(
                {
                    "Id": field_id,
                    "DeveloperName": fdef.name.removesuffix("__c"),
                    "TableEnumOrId": obj.name,
                    "NamespacePrefix": None,
                }
            )
    return rows


def _conditions(where: str | None) -> list[tuple[str, set[str]]]:
    """``Field = 'v'`` and ``Field IN ('a', 'b')`` terms joined by AND."""
    if not where:
        return []
    terms: list[tuple[str, set[str]]] = []
    for term in re.split(r"\s+AND\s+", where.strip(), flags=re.IGNORECASE):
        equals, within = _EQUALS_RE.match(term.strip()), _IN_RE.match(term.strip())
        if equals:
            terms.append((equals.group(1), {equals.group(2).lower()}))
        elif within:
            values = {v.strip().strip("'").lower() for v in within.group(2).split(",")}
            terms.append((within.group(1), values))
        else:
            raise ApiError(400, "MALFORMED_QUERY", f"unexpected token: {term.strip()}")
    return terms


async def query(ctx: Ctx) -> Response:
    """``GET tooling/query?q=SELECT ... FROM CustomField [WHERE ...]``."""
    text = ctx.request.query_params.get("q", "")
    match = _QUERY_RE.match(text)
    if not match:
        raise ApiError(400, "MALFORMED_QUERY", "unexpected token")
    if match.group("object").lower() != "customfield":
        raise ApiError(
            400, "INVALID_TYPE", f"sObject type '{match.group('object')}' is not supported."
        )
    by_lower = {name.lower(): name for name in _CUSTOM_FIELD_COLUMNS}
    selected = []
    for name in (f.strip() for f in match.group("fields").split(",")):
        if name.lower() not in by_lower:
            raise ApiError(
                400, "INVALID_FIELD", f"No such column '{name}' on entity 'CustomField'."
            )
        selected.append(by_lower[name.lower()])
    terms = _conditions(match.group("where"))
    for name, _values in terms:
        if name.lower() not in by_lower:
            raise ApiError(
                400, "INVALID_FIELD", f"No such column '{name}' on entity 'CustomField'."
            )
    rows = [
        row
        for row in _custom_field_rows(ctx)
        if all(str(row[by_lower[name.lower()]]).lower() in values for name, values in terms)
    ]
    prefix = f"/services/data/{ctx.version}/tooling/sobjects/CustomField/"
    records = [
        {
            "attributes": {"type": "CustomField", "url": prefix + row["Id"]},
            **{name: row[name] for name in selected},
        }
        for row in rows
    ]
    return json_response(
        {
            "size": len(records),
            "totalSize": len(records),
            "done": True,
            "queryLocator": None,
            "entityTypeName": "CustomField",
            "records": records,
        }
    )
