"""tap-salesforce: the tap class, its settings and its streams."""

from __future__ import annotations

import sys
from typing import Any

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
from tap_salesforce.streams import FieldsStream, SalesforceObjectStream

DEFAULT_OBJECTS = ["Account", "Contact", "Opportunity", "Task", "Event", "User"]
#: Records changed within this many seconds before the bookmark are read again: a record
#: committed late can carry an older SystemModstamp than one already read.
DEFAULT_LOOKBACK_SECONDS = 300
#: Above this many records, Bulk API 2.0 costs fewer calls than REST pages of 2,000.
DEFAULT_BULK_THRESHOLD = 10_000
#: Exit status of a run stopped by the API budget guard (the state written resumes it).
EXIT_BUDGET_SPENT = 2


class TapSalesforce(Tap):
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
        self._catalog_refreshed = False
        self.budget_error: ApiBudgetExceededError | None = None
        super().__init__(*args, **kwargs)

    @property
    def client(self) -> SalesforceClient:
        """The run's one Salesforce session (describes cached: one call per object per run)."""
        if self._client is None:
            self._client = SalesforceClient.from_config(self.config)
        return self._client

    @property
    def object_names(self) -> list[str]:
        """The configured objects."""
        return list(self.config.get("objects") or DEFAULT_OBJECTS)

    def describe(self, sobject: str) -> dict[str, Any]:
        """Describe one configured object.

        Args:
            sobject: the object API name.

        Returns:
            The describe.

        Raises:
            UnknownObjectError: the org has no such object.
        """
        try:
            return self.client.describe(sobject)
        except SalesforceApiError as exc:
            if exc.status == 404 or exc.error_code in {"NOT_FOUND", "INVALID_TYPE"}:
                msg = f"Object {sobject!r} in the objects setting does not exist in the org."
                raise UnknownObjectError(msg) from None
            raise

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
