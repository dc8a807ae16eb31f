"""The object catalogue: the six objects crmsync syncs, their Salesforce sObjects and
ForceManager resources, in the order parents come before children.

The settings check, both targets, both taps and the run report read it from here. The dbt
project declares the same objects with their field mapping (`transform/macros/field_mapping.sql`,
which Jinja cannot import from Python); a transform test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SyncObject:
    """One synced object.

    Attributes:
        name: The object's name in settings, the plan, the sync log and the warehouse.
        salesforce_object: The Salesforce sObject that holds it (activities and tasks share
            `Task`: Salesforce tells them apart by `TaskSubtype`).
        forcemanager_resource: The ForceManager API v4 resource (events and tasks share
            `calendar`: ForceManager tells them apart by its `task` flag).
        required: The object cannot be switched off (every other object hangs off accounts).
    """

    name: str
    salesforce_object: str
    forcemanager_resource: str
    required: bool = False


#: Parents before children: a contact needs its account, an activity its contact.
CATALOGUE: tuple[SyncObject, ...] = (
    SyncObject("accounts", "Account", "accounts", required=True),
    SyncObject("contacts", "Contact", "contacts"),
    SyncObject("opportunities", "Opportunity", "opportunities"),
    SyncObject("activities", "Task", "activities"),
    SyncObject("events", "Event", "calendar"),
    SyncObject("tasks", "Task", "calendar"),
)

#: The object names in write order (parents first).
OBJECTS: tuple[str, ...] = tuple(obj.name for obj in CATALOGUE)
#: Children before parents, so no delete leaves an orphan or is refused for having children.
DELETE_ORDER: tuple[str, ...] = tuple(reversed(OBJECTS))
#: Objects that cannot be off.
REQUIRED_OBJECTS: tuple[str, ...] = tuple(obj.name for obj in CATALOGUE if obj.required)
#: The Salesforce sObject of each object.
SALESFORCE_OBJECTS: dict[str, str] = {obj.name: obj.salesforce_object for obj in CATALOGUE}
#: The ForceManager resource of each object.
FORCEMANAGER_RESOURCES: dict[str, str] = {obj.name: obj.forcemanager_resource for obj in CATALOGUE}


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Return `values` without repeats, in first-seen order (`Task` and `calendar` repeat)."""
    return tuple(dict.fromkeys(values))


def in_write_order(names: Iterable[str]) -> list[str]:
    """Return `names` in write order: catalogue objects first, then any others sorted."""
    given = set(names)
    return [name for name in OBJECTS if name in given] + sorted(given - set(OBJECTS))
