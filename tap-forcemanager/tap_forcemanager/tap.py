"""tap-forcemanager: ForceManager records, users, lookups and extra fields as Singer streams."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from forcemanager_client import (
    DEFAULT_BASE_URL,
    DEFAULT_PAGE_SIZE,
    DEFAULT_REQUESTS_PER_SECOND,
    ForceManagerClient,
    ForceManagerSession,
)
from forcemanager_client.settings import connection_properties
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from typing_extensions import override

from tap_forcemanager.schemas import (
    EXTRA_FIELDS_SCHEMA,
    USERS_SCHEMA,
    lookup_schema,
    resource_schema,
)
from tap_forcemanager.streams import (
    LOOKUP_NAMES,
    RECORD_STREAMS,
    ExtraFieldsStream,
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


class TapForceManager(Tap):
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

    @cached_property
    def fm_session(self) -> ForceManagerSession:
        """One session for every stream: one login and one shared rate limit."""
        return self._client.session

    @cached_property
    def _client(self) -> ForceManagerClient:
        return ForceManagerClient(
            self.config.get("base_url", DEFAULT_BASE_URL),
            self.config["public_key"],
            self.config["private_key"],
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
        return streams

    def _record_stream(self, stream_class: type[RecordStream]) -> RecordStream:
        """A record stream, its schema from the input catalog or else from the API."""
        schema = self._catalog_schema(stream_class.name)
        if schema is None:
            schema = self._discovered_schema(stream_class.resource)
        return stream_class(self, schema=schema)

    def _catalog_schema(self, stream_name: str) -> dict[str, Any] | None:
        """The schema given in the input catalog: a run with a catalog costs no discovery."""
        catalog = self.input_catalog
        entry = catalog.get_stream(stream_name) if catalog is not None else None
        return entry.schema.to_dict() if entry is not None else None

    def _discovered_schema(self, resource: str) -> dict[str, Any]:
        """`/schema`, fetched once per resource (events and tasks share it).

        The tenant's `/schema` lists its `Z_` extra fields, typed; only when it lists none are
        the extra-field definitions read to type them (one more call).
        """
        cache: dict[str, dict[str, Any]] = self.__dict__.setdefault("_schema_cache", {})
        if resource not in cache:
            document = self._client.schema(resource)
            properties = document.get("properties", document) if isinstance(document, dict) else {}
            has_extras = any(str(name).startswith("Z_") for name in properties or {})
            extras = [] if has_extras else self.extra_field_definitions(resource)
            cache[resource] = resource_schema(document, extras, resource)
        return cache[resource]

    def extra_field_definitions(self, resource: str) -> list[dict[str, Any]]:
        """A resource's extra-field definitions, read once per run (discovery and the
        `extra_fields` stream share them).

        Args:
            resource: The record resource.

        Returns:
            Its definitions, as `GET /extrafields/{resource}` lists them.
        """
        cache: dict[str, list[dict[str, Any]]] = self.__dict__.setdefault("_extra_fields", {})
        if resource not in cache:
            cache[resource] = self._client.extra_fields(resource)
        return cache[resource]

    def _lookup_stream(self, name: str) -> LookupStream:
        stream_class = type(
            f"{name[0].upper()}{name[1:]}Stream",
            (LookupStream,),
            {"name": name, "path": f"/{name}", "__doc__": f"The `{name}` value list."},
        )
        return stream_class(self, schema=lookup_schema(name))


if __name__ == "__main__":
    TapForceManager.cli()
