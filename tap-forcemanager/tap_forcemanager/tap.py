"""tap-forcemanager: ForceManager records, users, lookups and extra fields as Singer streams."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from crmsync_common.apicalls import record_calls, step_name
from crmsync_common.atrest import OwnerOnlyFiles
from crmsync_common.singerstate import input_bookmarks, kept_entry
from forcemanager_client import (
    DEFAULT_BASE_URL,
    DEFAULT_PAGE_SIZE,
    DEFAULT_REQUESTS_PER_SECOND,
    ForceManagerClient,
    ForceManagerSession,
)
from forcemanager_client.settings import connection_properties, private_key
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from typing_extensions import override

from tap_forcemanager.client import format_timestamp
from tap_forcemanager.schemas import (
    EXTRA_FIELDS_SCHEMA,
    FIELDS_SCHEMA,
    USERS_SCHEMA,
    field_limits,
    lookup_schema,
    resource_schema,
)
from tap_forcemanager.streams import (
    LOOKUP_NAMES,
    RECORD_STREAMS,
    SCHEMA_KEY,
    ExtraFieldsStream,
    FieldsStream,
    LookupStream,
    RecordStream,
    UsersStream,
)

#: Overlap re-read on every incremental run: records sharing the bookmark's timestamp, or
#: committed a little after their timestamp, are read again instead of being missed.
DEFAULT_LOOKBACK_SECONDS = 300
#: Value lists change rarely; reading all nine every 15 minutes would cost more calls than a
#: quiet cycle's records.
DEFAULT_LOOKUP_REFRESH_MINUTES = 60
#: A resource's standard fields change with ForceManager releases. A new `Z_` field needs no
#: refresh: records carry every extra field, so the first record read with a `Z_` key the kept
#: schema lacks makes the tap read that resource's schema again.
DEFAULT_SCHEMA_REFRESH_MINUTES = 1440


class TapForceManager(OwnerOnlyFiles, Tap):
    """Singer tap for the ForceManager (Sage Sales Management) REST API v4."""

    name = "tap-forcemanager"

    config_jsonschema = th.PropertiesList(
        *connection_properties(),
        th.Property(
            "full_refresh",
            th.BooleanType,
            default=False,
            title="Full refresh",
            description="Ignore bookmarks and read every record again (the initial sync).",
        ),
        th.Property(
            "lookup_refresh_minutes",
            th.IntegerType,
            default=DEFAULT_LOOKUP_REFRESH_MINUTES,
            title="Lookup refresh minutes",
            description="Read the value lists (branches, types, statuses, countries, "
            "currencies) again only when their last read is older than this; 0 reads them "
            "every run, and a full refresh always does.",
        ),
        th.Property(
            "schema_refresh_minutes",
            th.IntegerType,
            default=DEFAULT_SCHEMA_REFRESH_MINUTES,
            title="Schema refresh minutes",
            description="Read a resource's /schema and extra-field definitions again only "
            "when the schema kept in the state is older than this or a record carries a Z_ "
            "field it lacks; 0 reads them every run, and a full refresh always does.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start date",
            description="Read only records changed after this moment on the first run.",
        ),
        th.Property(
            "page_size",
            th.IntegerType,
            default=DEFAULT_PAGE_SIZE,
            title="Page size",
            description="Records per list call (the API's own default is 50).",
        ),
        th.Property(
            "lookback_seconds",
            th.IntegerType,
            default=DEFAULT_LOOKBACK_SECONDS,
            title="Lookback seconds",
            description="Incremental runs re-read this many seconds before the bookmark.",
        ),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Keep the input state's bookmarks: discovery runs before the SDK loads the state."""
        self._bookmarks = input_bookmarks(kwargs.get("state"))
        #: Schemas read from `/schema` this run, as the state keeps them, per resource.
        self.fresh_schemas: dict[str, dict[str, Any]] = {}
        #: Extra-field definitions read this run, per resource (the extra_fields stream's rows).
        self.definitions: dict[str, list[dict[str, Any]]] = {}
        #: Write limits read this run with a resource's schema (the fields stream's rows).
        self.field_limits: dict[str, list[dict[str, Any]]] = {}
        #: Resources read again this run because a record carried an unknown `Z_` field.
        self._reread: set[str] = set()
        super().__init__(*args, **kwargs)

    @cached_property
    def fm_session(self) -> ForceManagerSession:
        """One session for every stream: one login and one shared rate limit."""
        return self._client.session

    @cached_property
    def _client(self) -> ForceManagerClient:
        record_calls(step_name("extractor", self.name))
        return ForceManagerClient(
            self.config.get("base_url", DEFAULT_BASE_URL),
            self.config["public_key"],
            private_key(self.config),
            requests_per_second=float(
                self.config.get("requests_per_second", DEFAULT_REQUESTS_PER_SECOND)
            ),
        )

    @override
    def discover_streams(self) -> list[Stream]:
        streams: list[Stream] = [
            self._record_stream(stream_class) for stream_class in RECORD_STREAMS
        ]
        streams.append(UsersStream(self, schema=USERS_SCHEMA))
        streams.extend(self._lookup_stream(name) for name in LOOKUP_NAMES)
        streams.append(ExtraFieldsStream(self, schema=EXTRA_FIELDS_SCHEMA))
        streams.append(FieldsStream(self, schema=FIELDS_SCHEMA))
        return streams

    def _record_stream(self, stream_class: type[RecordStream]) -> RecordStream:
        """A record stream, its schema from the input catalog, the state or the API."""
        schema = self._catalog_schema(stream_class.name)
        if schema is None:
            schema = self._kept_schema(stream_class.name)
        if schema is None:
            schema = self._discovered_schema(stream_class.resource)
        return stream_class(self, schema=schema)

    def _catalog_schema(self, stream_name: str) -> dict[str, Any] | None:
        """The schema given in the input catalog: a run with a catalog costs no discovery."""
        catalog = self.input_catalog
        entry = catalog.get_stream(stream_name) if catalog is not None else None
        return entry.schema.to_dict() if entry is not None else None

    def _kept_schema(self, stream_name: str) -> dict[str, Any] | None:
        """The schema the stream's state keeps, while younger than `schema_refresh_minutes`."""
        kept = kept_entry(
            self._bookmarks,
            stream_name,
            SCHEMA_KEY,
            max_age_minutes=int(
                self.config.get("schema_refresh_minutes", DEFAULT_SCHEMA_REFRESH_MINUTES)
            ),
            refresh=bool(self.config.get("full_refresh")),
        )
        return kept["schema"] if kept is not None and "schema" in kept else None

    def _discovered_schema(self, resource: str) -> dict[str, Any]:
        """`/schema` (typed `Z_` fields included) plus the extra-field definitions, read once
        per resource (events and tasks share it)."""
        if resource not in self.fresh_schemas:
            document = self._client.schema(resource)
            self.definitions[resource] = self._client.extra_fields(resource)
            self.field_limits[resource] = field_limits(document, resource)
            schema = resource_schema(document, self.definitions[resource], resource)
            self.fresh_schemas[resource] = {
                "read_at": format_timestamp(datetime.now(UTC)),
                "schema": schema,
            }
        return self.fresh_schemas[resource]["schema"]

    def reread_schema(self, resource: str) -> dict[str, Any]:
        """A resource's schema read again from the API, at most once per run (a record
        carried a `Z_` field the schema lacks: an extra field created since it was read).

        Args:
            resource: The record resource.

        Returns:
            Its schema as read this run.
        """
        if resource not in self._reread:
            self._reread.add(resource)
            self.fresh_schemas.pop(resource, None)
        return self._discovered_schema(resource)

    def _lookup_stream(self, name: str) -> LookupStream:
        stream_class = type(
            f"{name[0].upper()}{name[1:]}Stream",
            (LookupStream,),
            {"name": name, "path": f"/{name}", "__doc__": f"The `{name}` value list."},
        )
        return stream_class(self, schema=lookup_schema(name))


if __name__ == "__main__":
    TapForceManager.cli()
