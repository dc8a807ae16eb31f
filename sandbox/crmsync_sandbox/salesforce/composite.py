"""sObject Collections: create, update, upsert, delete and retrieve up to 200 records a call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from crmsync_sandbox.salesforce.exceptions import ApiError, RecordError
from crmsync_sandbox.salesforce.rest import Ctx, json_body, json_response, render
from crmsync_sandbox.salesforce.sobjects import external_field, sobject, upsert_one

#: Records or ids one collections call may carry.
MAX_RECORDS = 200
_ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header",
    "fields": [],
}

Op = Callable[[Any], dict[str, Any]]


def _too_many() -> ApiError:
    return ApiError(
        400,
        "EXCEEDED_ID_LIMIT",
        f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call",
    )


async def _records_body(ctx: Ctx) -> tuple[list[Any], bool]:
    body = await json_body(ctx.request)
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must hold a 'records' array")
    if len(records) > MAX_RECORDS:
        raise _too_many()
    return records, bool(body.get("allOrNone", False))


def _apply(ctx: Ctx, items: list[Any], all_or_none: bool, op: Op) -> list[dict[str, Any]]:
    """Run ``op`` per item; on failure with ``allOrNone`` roll every write back."""
    results: list[dict[str, Any]] = []
    failed = False
    with ctx.org.transaction() as undo:
        for item in items:
            try:
                results.append({**op(item), "success": True, "errors": []})
            except RecordError as error:
                failed = True
                results.append(
                    {"id": _item_id(item), "success": False, "errors": [error.as_result_error()]}
                )
        if failed and all_or_none:
            ctx.org.rollback(undo)
            undo.clear()
            results = [
                r if not r["success"] else {"id": None, "success": False, "errors": [_ROLLED_BACK]}
                for r in results
            ]
    return results


def _item_id(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        return item.get("id") or item.get("Id")
    return None


def _typed(ctx: Ctx, item: Any) -> tuple[Any, dict[str, Any]]:
    if not isinstance(item, dict):
        raise RecordError("JSON_PARSER_ERROR", "each record must be a JSON object")
    type_name = (item.get("attributes") or {}).get("type")
    obj = ctx.org.object_of(type_name) if isinstance(type_name, str) else None
    if obj is None:
        raise RecordError("INVALID_TYPE", f"sObject type '{type_name}' is not supported.")
    return obj, {k: v for k, v in item.items() if k != "attributes"}


async def collection(ctx: Ctx) -> Response:
    """``POST`` (create), ``PATCH`` (update), ``DELETE`` and ``GET`` on ``composite/sobjects``."""
    method = ctx.request.method
    if method == "DELETE":
        return _delete(ctx)
    records, all_or_none = await _records_body(ctx)

    def create(item: Any) -> dict[str, Any]:
        obj, fields = _typed(ctx, item)
        if "id" in fields or "Id" in fields:
            raise RecordError(
                "INVALID_FIELD", "The Id field should not be specified in the sobject data.", ["Id"]
            )
        return {"id": ctx.org.create(obj, fields, ctx.user_id)}

    def update(item: Any) -> dict[str, Any]:
        obj, fields = _typed(ctx, item)
        record_id = fields.pop("id", None) or fields.pop("Id", None)
        if not record_id:
            raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        ctx.org.update(obj, record_id, fields, ctx.user_id)
        return {"id": ctx.org.find(record_id)[1]["Id"]}  # type: ignore[index]

    op = create if method == "POST" else update
    return json_response(_apply(ctx, records, all_or_none, op))


def _delete(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    raw = params.get("ids", "")
    record_ids = [i for i in raw.split(",") if i]
    if not record_ids:
        raise ApiError(400, "MISSING_ARGUMENT", "ids not specified")
    if len(record_ids) > MAX_RECORDS:
        raise _too_many()
    all_or_none = params.get("allOrNone", "false").lower() == "true"

    def delete(record_id: Any) -> dict[str, Any]:
        found = ctx.org.find(record_id)
        if found is None:
            if ctx.org.by_prefix.get(str(record_id)[:3]) is None or len(str(record_id)) not in {
                15,
                18,
            }:
                raise RecordError("MALFORMED_ID", f"malformed id {record_id}")
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted")
        obj, record = found
        ctx.org.delete(obj, record["Id"], ctx.user_id)
        return {"id": record["Id"]}

    return json_response(_apply(ctx, record_ids, all_or_none, delete))


async def retrieve(ctx: Ctx) -> Response:
    """``GET composite/sobjects/{Type}?ids=&fields=`` (``null`` for ids not found)."""
    obj = sobject(ctx)
    if ctx.request.method == "PATCH":
        return await _upsert(ctx, obj)
    params = ctx.request.query_params
    record_ids = [i for i in params.get("ids", "").split(",") if i]
    names = [n for n in params.get("fields", "").split(",") if n]
    if not record_ids or not names:
        raise ApiError(400, "MISSING_ARGUMENT", "ids and fields must be specified")
    if len(record_ids) > MAX_RECORDS:
        raise _too_many()
    fields = []
    for name in names:
        fdef = obj.get(name)
        if fdef is None:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on entity '{obj.name}'.")
        fields.append(fdef.name)
    out = []
    for record_id in record_ids:
        found = ctx.org.find(record_id)
        live = found is not None and found[0] is obj and not found[1].get("IsDeleted")
        out.append(render(obj.name, found[1], fields, ctx.version) if live else None)  # type: ignore[index]
    return json_response(out)


async def upsert(ctx: Ctx) -> Response:
    """``PATCH composite/sobjects/{Type}/{ExtIdField}``: results carry ``created``."""
    return await _upsert(ctx, sobject(ctx))


async def _upsert(ctx: Ctx, obj: Any) -> Response:
    fdef = external_field(obj, ctx.request.path_params.get("field", "Id"))
    records, all_or_none = await _records_body(ctx)

    def one(item: Any) -> dict[str, Any]:
        item_obj, fields = _typed(ctx, item)
        if item_obj is not obj:
            raise RecordError("INVALID_TYPE", f"all records must be of type {obj.name}")
        key = next((k for k in fields if k.lower() == fdef.name.lower()), None)
        if key is None or fields[key] in (None, ""):
            raise RecordError("MISSING_ARGUMENT", f"{fdef.name} not specified", [fdef.name])
        try:
            record_id, created = upsert_one(ctx, obj, fdef, str(fields[key]), fields)
        except ApiError as error:
            raise RecordError("DUPLICATE_EXTERNAL_ID", error.message, [fdef.name]) from None
        return {"id": record_id, "created": created}

    return json_response(_apply(ctx, records, all_or_none, one))
