"""tap-salesforce: the tap class, its settings and its streams."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from crmsync_common.apicalls import record_calls, step_name
from crmsync_common.atrest import OwnerOnlyFiles
from crmsync_common.objects import SALESFORCE_OBJECTS, unique
from crmsync_common.singerstate import input_bookmarks, kept_entry, parse_moment
from salesforce_client import (
    ApiBudgetExceededError,
    SalesforceApiError,
    SalesforceClient,
    auth_properties,
)
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.singerlib import Catalog, Schema
from typing_extensions import override

from tap_salesforce.exceptions import UnknownObjectError
from tap_salesforce.schema import json_type, queryable_fields
from tap_salesforce.streams import DESCRIBE_KEY, FieldsStream, SalesforceObjectStream

#: The synced objects' sObjects, and `User` (owners are linked by name).
DEFAULT_OBJECTS = [*unique(SALESFORCE_OBJECTS.values()), "User"]
#: Records changed within this many seconds before the bookmark are read again: a record
#: committed late can carry an older SystemModstamp than one already read.
DEFAULT_LOOKBACK_SECONDS = 300
#: Above this many records, Bulk API 2.0 costs fewer calls than REST pages of 2,000.
DEFAULT_BULK_THRESHOLD = 10_000
#: Exit status of a run stopped by the API budget guard (the state written resumes it).
EXIT_BUDGET_SPENT = 2
#: Describes are kept while the org reports no metadata change, and at most this long.
DEFAULT_SCHEMA_REFRESH_MINUTES = 1440
#: How often the org is asked whether its metadata changed (one describe-global call): a new
#: field reaches the sync within this, and is then read for every record.
DEFAULT_METADATA_CHECK_MINUTES = 60
#: The describe keys the tap uses (the state keeps only these).
_DESCRIBE_FIELD_KEYS = (
    "name", "label", "type", "custom", "createable", "updateable", "nillable", "externalId",
    "length", "precision", "scale", "picklistValues", "referenceTo",
)  # fmt: skip


class TapSalesforce(OwnerOnlyFiles, Tap):
    """Singer tap for Salesforce."""

    name = "tap-salesforce"

    config_jsonschema = th.PropertiesList(
        *auth_properties(),
        th.Property(
            "objects",
            th.ArrayType(th.StringType),
            default=DEFAULT_OBJECTS,
            title="Objects",
            description="Object API names to extract, one stream each.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description="Only records changed at or after this instant on the first run.",
        ),
        th.Property(
            "lookback_seconds",
            th.IntegerType,
            default=DEFAULT_LOOKBACK_SECONDS,
            title="Lookback Seconds",
            description="Overlap window re-read before the bookmark, so records sharing a "
            "timestamp or committed late are never missed.",
        ),
        th.Property(
            "query_api",
            th.StringType,
            default="auto",
            allowed_values=["auto", "rest", "bulk"],
            title="Query API",
            description="auto: REST paging, Bulk API 2.0 above bulk_threshold records; "
            "rest or bulk: always that API.",
        ),
        th.Property(
            "bulk_threshold",
            th.IntegerType,
            default=DEFAULT_BULK_THRESHOLD,
            title="Bulk Threshold",
            description="Record count above which query_api=auto uses Bulk API 2.0.",
        ),
        th.Property(
            "full_refresh",
            th.BooleanType,
            default=False,
            title="Full Refresh",
            description="Ignore bookmarks and read every record again.",
        ),
        th.Property(
            "schema_refresh_minutes",
            th.IntegerType,
            default=DEFAULT_SCHEMA_REFRESH_MINUTES,
            title="Schema Refresh Minutes",
            description="Reuse the describes kept in the state while the org reports no "
            "metadata change since they were read and they are younger than this; 0 "
            "describes every run, and a full refresh always does.",
        ),
        th.Property(
            "metadata_check_minutes",
            th.IntegerType,
            default=DEFAULT_METADATA_CHECK_MINUTES,
            title="Metadata Check Minutes",
            description="Ask the org whether its metadata changed since the kept describes "
            "were read (one describe-global call with If-Modified-Since) when the last check "
            "is older than this; 0 asks every run. A field created in between reaches the "
            "next run that asks, which reads every record of its object again.",
        ),
        th.Property(
            "refresh_schema_at_run",
            th.BooleanType,
            default=True,
            title="Refresh Schema At Run",
            description="Add fields created since the catalog was made (from this run's "
            "describe) to the streams, so cached catalogs never hide new fields.",
        ),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._client: SalesforceClient | None = None
        # Discovery runs before the SDK loads the state, and reads the describes kept in it.
        self._bookmarks = input_bookmarks(kwargs.get("state"))
        #: Describes fetched this run, as the state keeps them: ``{"read_at", "describe"}``.
        self.fresh_describes: dict[str, dict[str, Any]] = {}
        #: Kept describes the org confirmed this run, with the check's time (``checked_at``).
        self.confirmed_describes: dict[str, dict[str, Any]] = {}
        self._catalog_refreshed = False
        self.budget_error: ApiBudgetExceededError | None = None
        super().__init__(*args, **kwargs)

    @property
    def client(self) -> SalesforceClient:
        """The run's one Salesforce session."""
        if self._client is None:
            record_calls(step_name("extractor", self.name))
            self._client = SalesforceClient.from_config(self.config)
        return self._client

    @property
    def object_names(self) -> list[str]:
        """The configured objects."""
        return list(self.config.get("objects") or DEFAULT_OBJECTS)

    def describe(self, sobject: str, *, refresh: bool = False) -> dict[str, Any]:
        """Describe one configured object: the one kept in the state while the org's metadata
        is unchanged since and it is younger than ``schema_refresh_minutes``, else from the
        API (kept in ``fresh_describes``).

        Args:
            sobject: the object API name.
            refresh: describe from the API whatever the state holds.

        Returns:
            The describe, with the keys the tap uses.

        Raises:
            UnknownObjectError: the org has no such object.
        """
        if sobject in self.fresh_describes:
            return self.fresh_describes[sobject]["describe"]
        kept = self._kept_describe(sobject)
        if kept is not None and not refresh and not self._metadata_changed:
            return kept
        try:
            full = self.client.describe(sobject)
        except SalesforceApiError as exc:
            if exc.status == 404 or exc.error_code in {"NOT_FOUND", "INVALID_TYPE"}:
                msg = f"Object {sobject!r} in the objects setting does not exist in the org."
                raise UnknownObjectError(msg) from None
            raise
        describe = {
            "name": full["name"],
            "fields": [
                {key: field[key] for key in _DESCRIBE_FIELD_KEYS if key in field}
                for field in full.get("fields", [])
            ],
        }
        self.fresh_describes[sobject] = {
            "read_at": datetime.now(UTC).isoformat(),
            "describe": describe,
        }
        return describe

    @cached_property
    def _metadata_changed(self) -> bool:
        """Whether the org's metadata changed since the oldest describe kept in the state.

        The org is asked (one describe-global call) only when a kept describe could serve and
        the last check is older than ``metadata_check_minutes``; an unchanged answer is kept
        as each describe's ``checked_at``.
        """
        kept = {
            name: entry
            for name in self.object_names
            if (entry := self._kept_entry(name)) is not None
        }
        if not kept:
            return True
        now = datetime.now(UTC)
        last_check = min(
            parse_moment(entry.get("checked_at") or entry["read_at"]) for entry in kept.values()
        )
        interval = timedelta(
            minutes=int(self.config.get("metadata_check_minutes", DEFAULT_METADATA_CHECK_MINUTES))
        )
        if now - last_check < interval:
            return False
        oldest = min(parse_moment(entry["read_at"]) for entry in kept.values())
        changed = self.client.metadata_changed_since(oldest)
        if changed:
            self.logger.info("The org's metadata changed since %s: describing again.", oldest)
        else:
            self.confirmed_describes = {
                name: {**entry, "checked_at": now.isoformat()} for name, entry in kept.items()
            }
        return changed

    def describe_is_kept(self, sobject: str) -> bool:
        """True when this run uses the describe kept in the state.

        Args:
            sobject: the object API name.

        Returns:
            Whether the describe came from the state.
        """
        return sobject not in self.fresh_describes and self._kept_describe(sobject) is not None

    def _kept_describe(self, sobject: str) -> dict[str, Any] | None:
        entry = self._kept_entry(sobject)
        return None if entry is None else entry["describe"]

    def _kept_entry(self, sobject: str) -> dict[str, Any] | None:
        entry = kept_entry(
            self._bookmarks,
            sobject,
            DESCRIBE_KEY,
            max_age_minutes=int(
                self.config.get("schema_refresh_minutes", DEFAULT_SCHEMA_REFRESH_MINUTES)
            ),
            refresh=bool(self.config.get("full_refresh")),
        )
        return entry if entry is not None and "describe" in entry else None

    @override
    def discover_streams(self) -> list[Stream]:
        """One stream per configured object, plus ``fields``.

        Returns:
            The streams.
        """
        describes = [self.describe(name) for name in self.object_names]
        streams: list[Stream] = [SalesforceObjectStream(self, d) for d in describes]
        streams.append(FieldsStream(self, describes))
        return streams

    @property
    @override
    def input_catalog(self) -> Catalog | None:
        """The given catalog, with fields created since it was made added to its schemas."""
        catalog = super().input_catalog
        if catalog is not None and not self._catalog_refreshed:
            self._catalog_refreshed = True
            if self.config.get("refresh_schema_at_run", True):
                self._add_new_fields(catalog)
        return catalog

    def _add_new_fields(self, catalog: Catalog) -> None:
        for name in self.object_names:
            entry = catalog.get_stream(name)
            if entry is None or entry.schema.properties is None:
                continue
            for field in queryable_fields(self.describe(name)):
                if field["name"] not in entry.schema.properties:
                    self.logger.info(
                        "%s.%s is new since the catalog was made.", name, field["name"]
                    )
                    entry.schema.properties[field["name"]] = Schema.from_dict(json_type(field))

    @override
    def sync_all(self) -> None:
        """Sync every stream; exit non-zero after a clean stop by the API budget guard."""
        super().sync_all()
        if self.budget_error is not None:
            self.logger.error("Stopped early: %s", self.budget_error)
            sys.exit(EXIT_BUDGET_SPENT)


if __name__ == "__main__":
    TapSalesforce.cli()
