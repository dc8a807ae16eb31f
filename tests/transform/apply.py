"""Applies a plan's publish rows to the fixture's raw tables as the two APIs would."""

from __future__ import annotations

import json
from typing import Any

from crmsync_common.objects import OBJECTS
from warehouse import FM_TABLE, SF_TABLE, Warehouse


def _fm_column(api_field: str) -> str:
    """ForceManager API field -> raw column: references flatten to `<name>__id`."""
    lowered = api_field.lower()
    if api_field.endswith(("Id", "Id1")) and api_field not in ("extId",):
        return f"{lowered}__id"
    return lowered


def apply_plan(
    wh: Warehouse, run_id: str, fail: set[tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    """Write every publish row to the raw tables and log it; `fail` holds (object, id) to reject."""
    fail = fail or set()
    lines: list[dict[str, Any]] = []
    created_fm: dict[tuple[str, str], int] = {}
    created_sf: dict[tuple[str, int], str] = {}
    for row in wh.query("select * from publish.pub_forcemanager__extra_fields"):
        wh.insert(
            "raw_forcemanager.extra_fields",
            [
                {
                    "id": wh.new_fm_id("extra_fields"),
                    "resource": row["resource"],
                    "fieldname": row["fieldName"],
                    "type": row["type"],
                    "deleted": False,
                }
            ],
        )
    for target in ("forcemanager", "salesforce"):
        for obj in OBJECTS:
            for row in wh.query(f"select * from publish.pub_{target}__{obj}"):
                line = _apply_row(wh, target, obj, row, fail, created_fm, created_sf)
                lines.append({**line, "run_id": run_id, "object": obj})
    wh.insert(
        "crmsync_log.sync_log_lines",
        [
            {
                **line,
                "synced_at": wh.tick().replace(tzinfo=None),
                "source_file": run_id,
                "line_number": n,
            }
            for n, line in enumerate(lines)
        ],
    )
    return lines


# One function plays both APIs on purpose: the branches are the two write shapes side by side.
def _apply_row(  # noqa: PLR0912, PLR0917
    wh: Warehouse,
    target: str,
    obj: str,
    row: dict[str, Any],
    fail: set[tuple[str, str]],
    created_fm: dict[tuple[str, str], int],
    created_sf: dict[tuple[str, int], str],
) -> dict[str, Any]:
    fields = json.loads(row["fields"])
    refs = json.loads(row["refs"])
    sf_id, fm_id = row["salesforce_id"], row["forcemanager_id"]
    direction = "sf_to_fm" if target == "forcemanager" else "fm_to_sf"
    key = str(sf_id if target == "forcemanager" and row["action"] == "create" else fm_id)
    if target == "salesforce":
        key = str(fm_id if row["action"] == "create" else sf_id)
    if (obj, key) in fail:
        return {
            "action": row["action"],
            "direction": direction,
            "salesforce_id": sf_id,
            "forcemanager_id": None if fm_id is None else str(fm_id),
            "status": "error",
            "error_code": "REJECTED",
            "error_message": "rejected by the fixture",
        }
    if target == "forcemanager":
        table = f"raw_forcemanager.{FM_TABLE[obj]}"
        for name, ref in refs.items():
            fields[name] = created_fm[(ref["object"], ref["salesforce_id"])]
        if row["action"] == "create":
            fm_id = wh.new_fm_id(obj)
            created_fm[(obj, sf_id)] = fm_id
        values: dict[str, Any] = {"id": fm_id}
        if row["action"] == "delete":
            values["deleted"] = True
        else:
            values["deleted"] = False
            for name, value in fields.items():
                column = _fm_column(name)
                if column.startswith("z_"):
                    wh.add_column(table, column, "varchar")
                values[column] = value
            if row["action"] == "create" and obj == "accounts":
                values.setdefault("salesrepid1__id", 1)  # the API's login user
        wh.upsert(table, values)
    else:
        table = f"raw_salesforce.{SF_TABLE[obj]}"
        for name, ref in refs.items():
            fields[name] = created_sf[(ref["object"], ref["forcemanager_id"])]
        if row["action"] == "create":
            sf_id = wh.new_sf_id(SF_TABLE[obj])
            created_sf[(obj, fm_id)] = sf_id
        values = {"id": sf_id, "isdeleted": row["action"] == "delete"}
        if row["action"] != "delete":
            for name, value in fields.items():
                values[name.lower()] = value
            if row["action"] == "create":
                values.setdefault("ownerid", "005000000000001AAA")  # the API's login user
        wh.upsert(table, values)
    return {
        "action": row["action"],
        "direction": direction,
        "salesforce_id": sf_id,
        "forcemanager_id": None if fm_id is None else str(fm_id),
        "status": "success",
        "error_code": None,
        "error_message": None,
    }
