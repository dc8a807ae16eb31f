"""Salesforce's `ForceManager_Id__c` values.

A record's `ForceManager_Id__c` holds its ForceManager id. ForceManager numbers activities and
calendar tasks apart while Salesforce keeps both in Task, whose `ForceManager_Id__c` is unique:
where one object's id is already taken in Task by the other, the sync writes the id qualified by
its object (`task:12`, `activity:12`; the dbt macros in `transform/macros/salesforce_keys.sql`).
"""

from __future__ import annotations

from typing import Any


def forcemanager_id_of_key(value: Any) -> int | None:
    """The ForceManager id a `ForceManager_Id__c` value stands for.

    Args:
        value: The field's value: `12`, `"12"` or a qualified `"task:12"`; empty or None.

    Returns:
        The ForceManager id, or None when the field is empty.

    Raises:
        ValueError: The value names no ForceManager id.
    """
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    return int(text.rsplit(":", 1)[-1])
