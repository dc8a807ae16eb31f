"""The tap's streams: records (incremental), users and lookups (full table), extra fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from tap_forcemanager.client import ForceManagerStream
from tap_forcemanager.schemas import DATE_MODIFIED

if TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context


class RecordStream(ForceManagerStream):
    """A CRM record resource read incrementally on `dateModified`.

    `dateModified` is the latest of dateCreated, dateUpdated and dateDeleted: ForceManager
    leaves dateUpdated null on new records, so none of the three alone sees every change.
    """

    replication_key = DATE_MODIFIED
    #: Records come back in id order, not in dateModified order.
    is_sorted = False
    #: The ForceManager resource the stream reads (its `/schema` and extra fields too).
    resource: str = ""


class AccountsStream(RecordStream):
    """Accounts (companies)."""

    name = "accounts"
    path = "/accounts"
    resource = "accounts"


class ContactsStream(RecordStream):
    """Contacts."""

    name = "contacts"
    path = "/contacts"
    resource = "contacts"


class OpportunitiesStream(RecordStream):
    """Opportunities."""

    name = "opportunities"
    path = "/opportunities"
    resource = "opportunities"


class ActivitiesStream(RecordStream):
    """Logged activities (calls, visits)."""

    name = "activities"
    path = "/activities"
    resource = "activities"


class EventsStream(RecordStream):
    """Calendar entries that are events (`task = false`)."""

    name = "events"
    path = "/calendar"
    resource = "calendar"
    where_filter = "task = false"


class TasksStream(RecordStream):
    """Calendar entries that are tasks (`task = true`)."""

    name = "tasks"
    path = "/calendar"
    resource = "calendar"
    where_filter = "task = true"


RECORD_STREAMS: tuple[type[RecordStream], ...] = (
    AccountsStream,
    ContactsStream,
    OpportunitiesStream,
    ActivitiesStream,
    EventsStream,
    TasksStream,
)

#: Resources whose extra fields the tap reports (the `{resource}` of `/extrafields`).
EXTRA_FIELD_RESOURCES = ("accounts", "contacts", "opportunities", "activities", "calendar")


class UsersStream(ForceManagerStream):
    """Users (read only; every `salesRepId` points at one)."""

    name = "users"
    path = "/users"


class LookupStream(ForceManagerStream):
    """A value list, read in full each run (they are small)."""


LOOKUP_NAMES = (
    "branches",
    "accountTypes",
    "accountStatuses",
    "contactTypes",
    "opportunityStatuses",
    "opportunityTypes",
    "activityTypes",
    "countries",
    "currencies",
)


class ExtraFieldsStream(ForceManagerStream):
    """Extra-field definitions of every record resource, one partition per resource."""

    name = "extra_fields"
    path = "/extrafields/{resource}"
    primary_keys = ("resource", "id")

    @override
    @property
    def partitions(self) -> list[dict[str, Any]]:
        return [{"resource": resource} for resource in EXTRA_FIELD_RESOURCES]

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        yield from super().parse_response(response)

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row = super().post_process(row, context) or row
        row["resource"] = (context or {}).get("resource")
        return row
