"""The tap's streams: records (incremental), users and lookups (full table), extra fields."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crmsync_common.objects import FORCEMANAGER_RESOURCES, unique
from crmsync_common.progress import Progress
from typing_extensions import override

from tap_forcemanager.client import (
    READ_FROM_KEY,
    ForceManagerStream,
    format_timestamp,
    parse_timestamp,
)
from tap_forcemanager.schemas import DATE_MODIFIED

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


#: State key of a value list: when it was last read in full.
READ_AT_KEY = "read_at"
#: State key of a record stream: its schema and when `/schema` was read for it.
SCHEMA_KEY = "schema"
#: State key of a record stream: how many records its last complete full read returned (the
#: estimated total of the next full read's progress lines; ForceManager's lists carry no count).
FULL_READ_RECORDS_KEY = "full_read_records"
#: Where the estimated total of a full read comes from, as the progress lines say it.
FULL_READ_ESTIMATE = "the last full read"


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

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        started = datetime.now(UTC)
        known = set(self.schema["properties"])
        state = self.stream_state  # no partitions: the stream's state holds the bookmark
        # A full read (no changed-since filter) expects as many records as the last one; an
        # incremental read has no total (ForceManager's lists carry no count).
        full = self.changed_since_filter(context) is None
        progress = Progress(self.logger, self.name)
        if full:
            progress.set_total(expected_records(state), estimate=FULL_READ_ESTIMATE)
        for record in super().get_records(context):
            if not known.issuperset(record):
                known |= self._learn_fields(record)
            progress.tick()
            yield record
        progress.done()
        state[READ_FROM_KEY] = format_timestamp(started)
        if full:
            state[FULL_READ_RECORDS_KEY] = progress.count
        fresh = self.fm_tap.fresh_schemas.get(self.resource)
        if fresh is not None:
            state[SCHEMA_KEY] = fresh

    def _learn_fields(self, record: dict[str, Any]) -> set[str]:
        """Adopt the resource's schema read again when a record carries an extra field the
        schema lacks (created since the schema was read), so that its values are not dropped;
        a SCHEMA message precedes the record. Keys of no extra field are only noted.

        Returns:
            The record's keys, now known.
        """
        properties = self.schema["properties"]
        new_fields = sorted(k for k in record if k.startswith("Z_") and k not in properties)
        if new_fields:
            self.logger.info(
                "%s: records carry extra fields %s: reading the %s schema again.",
                self.name,
                new_fields,
                self.resource,
            )
            added = {
                name: prop
                for name, prop in self.fm_tap.reread_schema(self.resource)["properties"].items()
                if name not in properties
            }
            properties.update(added)
            if self._input_schema is not None:  # a given catalog's schema conforms records
                self._input_schema.setdefault("properties", {}).update(added)
            self._tap.mapper.register_raw_stream_schema(
                self.name, self.schema, list(self.primary_keys or [])
            )
            self._stream_maps = None
            self._write_schema_message()
        return set(record)


def expected_records(state: dict[str, Any]) -> int | None:
    """The records a stream's last complete full read returned, as its state keeps them.

    Returns:
        The count, or None when the state keeps none (or something that is not a count).
    """
    count = state.get(FULL_READ_RECORDS_KEY)
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return count
    return None


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
EXTRA_FIELD_RESOURCES = unique(FORCEMANAGER_RESOURCES.values())


class UsersStream(ForceManagerStream):
    """Users (read only; every `salesRepId` points at one)."""

    name = "users"
    path = "/users"


class LookupStream(ForceManagerStream):
    """A value list, read in full, at most every `lookup_refresh_minutes` (they change rarely).

    The time of the last complete read is kept in the stream's state; a run within the
    interval emits nothing and the warehouse keeps the list it has.
    """

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        now = datetime.now(UTC)
        last = parse_timestamp(self.stream_state.get(READ_AT_KEY))
        interval = timedelta(minutes=int(self.config.get("lookup_refresh_minutes", 60)))
        if last and now - last < interval and not self.config.get("full_refresh"):
            self.logger.info("%s: read at %s, within lookup_refresh_minutes.", self.name, last)
            return
        yield from super().get_records(context)
        self.stream_state[READ_AT_KEY] = format_timestamp(now)


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


class _PerResourceStream(ForceManagerStream):
    """A stream of what the tap read with each record resource's schema: one partition per
    resource."""

    @override
    @property
    def partitions(self) -> list[dict[str, Any]]:
        return [{"resource": resource} for resource in EXTRA_FIELD_RESOURCES]


class ExtraFieldsStream(_PerResourceStream):
    """Extra-field definitions of every record resource, one partition per resource, as read
    with the resources' schemas."""

    name = "extra_fields"
    path = "/extrafields/{resource}"
    primary_keys = ("resource", "id")

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The definitions read this run with a resource's schema; none for a resource whose
        kept schema served (the warehouse keeps the definitions it has)."""
        resource = (context or {})["resource"]
        for row in self.fm_tap.definitions.get(resource, ()):
            yield self.post_process(dict(row), context) or row

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        row = super().post_process(row, context) or row
        row["resource"] = (context or {}).get("resource")
        return row


class FieldsStream(_PerResourceStream):
    """What ForceManager refuses on write (`maxLength`, `required`) per resource and field, from
    the `/schema` answers read this run: no call of its own. A resource whose kept schema
    served emits nothing (the warehouse keeps the rows it has)."""

    name = "fields"
    path = "/{resource}/schema"
    primary_keys = ("resource", "field")

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        resource = (context or {})["resource"]
        yield from self.fm_tap.field_limits.get(resource, ())
