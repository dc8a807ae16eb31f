"""Rendering records for reads and validating request bodies for writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmsync_sandbox.exceptions import ValidationError
from crmsync_sandbox.forcemanager.db import Database
from crmsync_sandbox.forcemanager.schema import (
    EXTRA_TEXT_LENGTH,
    GENDERS,
    LOOKUPS,
    FieldDef,
    ResourceDef,
)
from crmsync_sandbox.forcemanager.timefmt import canonical_timestamp, format_timestamp, is_hour
from crmsync_sandbox.forcemanager.timefmt import now as utc_now


def render_many(
    db: Database, resource: ResourceDef, records: list[dict[str, Any]], lang: str | None
) -> list[dict[str, Any]]:
    """Records as the API returns them.

    Stored records already hold `{id, value}` references and every extra field, so in English
    they are returned as they are (serialising them is the whole cost of a page); another
    `lang` gets copies with the lookup labels of that language.

    Args:
        db: The database.
        resource: The records' resource.
        records: Stored records.
        lang: The `lang` parameter.

    Returns:
        Dicts to serialise (never to modify).
    """
    if not lang or lang.lower() == "en":
        return records
    lookups = [f.name for f in resource.ref_fields if f.table in LOOKUPS]
    tables = {f.name: f.table or "" for f in resource.ref_fields}
    localized = []
    for record in records:
        copy = dict(record)
        for name in lookups:
            ref = record.get(name)
            if ref is not None:
                label = db.localized_label(tables[name], ref["id"], lang)
                copy[name] = {"id": ref["id"], "value": label}
        localized.append(copy)
    return localized


def new_record(
    db: Database, resource: ResourceDef, body: dict[str, Any], user_id: int
) -> dict[str, Any]:
    """Validate a POST body and build the stored record (without id).

    An omitted owner field defaults to the session's user: this emulator's choice, matching how
    the sync leaves records whose owner has no counterpart to the API user. An explicit null
    owner is still rejected like any required field.

    Args:
        db: The database.
        resource: The resource.
        body: The decoded JSON body.
        user_id: The session's user.

    Returns:
        The record to store.

    Raises:
        ValidationError: If a field is unknown, read only, ill-typed, or a required one missing.
    """
    values = _validated(db, resource, body)
    if resource.owner and resource.owner not in values:
        values[resource.owner] = user_id
    record: dict[str, Any] = {}
    for definition in resource.fields:
        record[definition.name] = values.get(definition.name, definition.default)
        if definition.required and record[definition.name] is None:
            raise ValidationError(f"The field '{_write_name(definition)}' is required")
    if resource.required_any and all(record.get(name) is None for name in resource.required_any):
        names = "' or '".join(resource.required_any)
        raise ValidationError(f"The field '{names}' is required")
    record.update({k: v for k, v in values.items() if k.startswith("Z_")})
    stamp = format_timestamp(utc_now())
    record.update(
        deleted=False,
        dateCreated=stamp,
        dateUpdated=None,
        dateDeleted=None,
        salesRepIdCreated=user_id,
        salesRepIdUpdated=None,
        salesRepIdDeleted=None,
    )
    return record


def apply_update(
    db: Database,
    resource: ResourceDef,
    record: dict[str, Any],
    body: dict[str, Any],
    user_id: int,
) -> dict[str, Any]:
    """Validate a PUT body and merge it into a copy of the record (a partial update).

    Args:
        db: The database.
        resource: The resource.
        record: The stored record.
        body: The decoded JSON body.
        user_id: The session's user.

    Returns:
        The updated record.

    Raises:
        ValidationError: If a field is unknown, read only, ill-typed, or a required one nulled.
    """
    values = _validated(db, resource, body)
    for name, value in values.items():
        definition = resource.by_name.get(name)
        if definition is not None and definition.required and value is None:
            raise ValidationError(f"The field '{_write_name(definition)}' is required")
    updated = {**record, **values}
    updated["dateUpdated"] = format_timestamp(utc_now())
    updated["salesRepIdUpdated"] = user_id
    return updated


def silent_update(
    db: Database, resource: ResourceDef, record: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    """Validate fields like a PUT body and merge them, leaving `dateUpdated` as it was.

    A sandbox admin change (`POST /__sandbox/silent-update`) no `dateUpdated` cursor sees.

    Args:
        db: The database.
        resource: The resource.
        record: The stored record.
        body: Field values in the write form (as a PUT takes them).

    Returns:
        The changed record.

    Raises:
        ValidationError: If a field is unknown, read only or ill-typed.
    """
    return {**record, **_validated(db, resource, body)}


def _write_name(definition: FieldDef) -> str:
    return definition.write_name or definition.name


def _validated(db: Database, resource: ResourceDef, body: dict[str, Any]) -> dict[str, Any]:
    extras = {"Z_" + d["fieldName"]: d for d in db.extra_fields(resource.name)}
    values: dict[str, Any] = {}
    for key, value in body.items():
        if key.startswith("Z_") and resource.extra_fields:
            definition = extras.get(key)
            if definition is None:
                raise ValidationError(f"Unknown extra field '{key}'")
            values[key] = _extra_value(key, definition, value)
            continue
        field_def = resource.by_write_name.get(key)
        if field_def is None:
            raise ValidationError(f"Unknown field '{key}'")
        if field_def.read_only:
            raise ValidationError(f"The field '{key}' is read only")
        checked = _field_value(db, key, field_def, value)
        # a field given under two of its spellings (`type_id` and `typeId`) must agree
        if field_def.name in values and values[field_def.name] != checked:
            raise ValidationError(f"The field '{key}' is given twice with different values")
        values[field_def.name] = checked
    return values


def _field_value(db: Database, key: str, definition: FieldDef, value: Any) -> Any:
    if value is None:
        return None
    kind = definition.kind
    if kind == "ref":
        return _reference(db, key, definition, value)
    if kind == "gender":
        return _gender(key, value)
    if kind == "text":
        return _text(key, value, definition.max_length)
    simple = _SIMPLE_CHECKS.get(kind)
    if simple is not None:
        return simple(key, value)
    return _bounded_number(key, definition, value)


def _hour(key: str, value: Any) -> str:
    if not isinstance(value, str) or not is_hour(value):
        raise ValidationError(f"The field '{key}' must be a time as HH:MM")
    return value


def _bounded_number(key: str, definition: FieldDef, value: Any) -> int | float:
    number = _number(key, value, integer=definition.kind == "int")
    if definition.minimum is not None and number < definition.minimum:
        raise ValidationError(f"The field '{key}' must be at least {definition.minimum:g}")
    if definition.maximum is not None and number > definition.maximum:
        raise ValidationError(f"The field '{key}' must be at most {definition.maximum:g}")
    return number


def _reference(db: Database, key: str, definition: FieldDef, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"The field '{key}' must be an integer id")
    if db.get(definition.table or "", value) is None:
        raise ValidationError(f"The field '{key}' references a missing {definition.table} {value}")
    return value


def _gender(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool) or value not in GENDERS:
        codes = ", ".join(f"{code} = {label.lower()}" for code, label in GENDERS.items())
        raise ValidationError(f"The field '{key}' must be {codes}")
    return {"id": value, "value": GENDERS[value]}


def _text(key: str, value: Any, max_length: int | None) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"The field '{key}' must be a string")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(f"The field '{key}' is longer than {max_length} characters")
    return value


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValidationError(f"The field '{key}' must be a boolean")


def _datetime(key: str, value: Any) -> str:
    canonical = canonical_timestamp(value) if isinstance(value, str) else None
    if canonical is None:
        raise ValidationError(f"The field '{key}' must be a date as YYYY-MM-DD HH:MM:SS")
    return canonical


def _number(key: str, value: Any, *, integer: bool) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"The field '{key}' must be a number")
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise ValidationError(f"The field '{key}' must be an integer")
        return int(value)
    return value


_SIMPLE_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "bool": _boolean,
    "datetime": _datetime,
    "hour": _hour,
}


def _extra_value(key: str, definition: dict[str, Any], value: Any) -> Any:
    if value is None:
        return None
    kind = definition["type"]
    if kind == "text":
        return _text(key, value, EXTRA_TEXT_LENGTH)
    if kind == "decimal":
        return _number(key, value, integer=False)
    if kind == "bit":
        return _boolean(key, value)
    if kind == "datetime":
        return _datetime(key, value)
    allowed = definition.get("values") or []
    if value not in allowed:
        raise ValidationError(f"The field '{key}' must be one of {', '.join(allowed)}")
    return value
