"""Streams: one per Salesforce object, plus the ``fields`` metadata stream."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crmsync_common.progress import Progress
from salesforce_client import (
    ApiBudgetExceededError,
    BulkClient,
    SalesforceApiError,
    SalesforceClient,
)
from singer_sdk import Stream
from singer_sdk import typing as th
from typing_extensions import override

from tap_salesforce.schema import REPLICATION_KEY, conform, object_schema, queryable_fields
from tap_salesforce.soql import extraction_query

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_salesforce.tap import TapSalesforce

#: State key holding the object's field list as of the last complete read.
FIELD_NAMES_KEY = "field_names"
#: State key: when the last complete read started. A change it missed was committed after
#: that moment, so its SystemModstamp is later than the moment less the lookback window;
#: starting there (not at the newest record seen) keeps a quiet cycle from re-reading the
#: last writes.
READ_FROM_KEY = "read_from"
#: State key holding the object's describe and when it was read (see schema_refresh_minutes).
DESCRIBE_KEY = "describe"


class SalesforceObjectStream(Stream):
    """Records of one object, incremental on ``SystemModstamp`` through ``queryAll``.

    Args:
        tap: the tap.
        describe: the object's describe (fetched once per run).
    """

    primary_keys = ("Id",)
    is_sorted = True  # the query orders by SystemModstamp, Id

    def __init__(self, tap: TapSalesforce, describe: dict[str, Any]) -> None:
        self.describe = describe
        names = {field["name"] for field in describe.get("fields", [])}
        super().__init__(tap, schema=object_schema(describe), name=describe["name"])
        self.replication_key = REPLICATION_KEY if REPLICATION_KEY in names else None
        self.sf_tap = tap
        #: This read's progress; the first query page sets its total (`totalSize`), or a Bulk
        #: 2.0 query job's `numberRecordsProcessed`.
        self._progress = Progress(self.logger, self.name)

    @property
    @override
    def check_sorted(self) -> bool:
        """The overlap window re-reads records older than the bookmark on purpose."""
        return False

    @property
    def client(self) -> SalesforceClient:
        """The tap's shared session."""
        return self.sf_tap.client

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Yield the object's changed records (or all of them), deleted ones included.

        Args:
            context: unused (no partitions).

        Yields:
            Each record, typed to the schema.
        """
        if self.sf_tap.budget_error is not None:
            self.logger.warning("Skipping %s: the API budget is spent.", self.name)
            return
        started = datetime.now(UTC)
        fields = self._selected_fields()
        since = self._since(context, fields)
        properties = self.schema["properties"]
        progress = self._progress = Progress(self.logger, self.name)
        try:
            for row in self._rows(fields, since):
                progress.tick()
                yield {name: conform(row.get(name), properties[name]) for name in fields}
        except ApiBudgetExceededError as exc:
            self.sf_tap.budget_error = exc
            self.logger.error("%s: %s", self.name, exc)
            return
        progress.done()
        self.stream_state[FIELD_NAMES_KEY] = sorted(fields)
        self.stream_state[READ_FROM_KEY] = started.isoformat()
        entry = self.sf_tap.fresh_describes.get(self.name) or (
            self.sf_tap.confirmed_describes.get(self.name)
        )
        if entry is not None:
            self.stream_state[DESCRIBE_KEY] = entry

    def _rows(self, fields: list[str], since: datetime | None) -> Iterator[dict[str, Any]]:
        """The query's rows. A field deleted since the describe kept in the state was read
        fails the query before any row: the object is described again and the query re-run
        without it (the field stays in this run's schema, empty)."""
        soql = extraction_query(
            self.name, fields, replication_key=self.replication_key, since=since
        )
        rows = self._read(soql)
        try:
            first = next(rows, None)
        except SalesforceApiError as exc:
            if exc.error_code != "INVALID_FIELD" or not self.sf_tap.describe_is_kept(self.name):
                raise
            self.logger.warning("%s: %s. Describing %s again.", self.name, exc, self.name)
            describe = self.sf_tap.describe(self.name, refresh=True)
            current = {field["name"] for field in queryable_fields(describe)}
            fields[:] = [name for name in fields if name in current]
            soql = extraction_query(
                self.name, fields, replication_key=self.replication_key, since=since
            )
            rows = self._read(soql)
            first = next(rows, None)
        if first is not None:
            yield first
            yield from rows

    def _selected_fields(self) -> list[str]:
        """Describe's fields that are selected, in describe order (new fields are selected)."""
        return [
            field["name"]
            for field in queryable_fields(self.describe)
            if field["name"] in ("Id", self.replication_key)
            or self.mask.get(("properties", field["name"]), True)
        ]

    def _since(self, context: Context | None, fields: list[str]) -> datetime | None:
        """Where to start reading: the last complete read's start (before one, the bookmark)
        less the overlap window, or the start date.

        A field that was not there at the last complete read means a full read, so that its
        values arrive although no record's SystemModstamp moved.
        """
        if not self.replication_key or self.config.get("full_refresh"):
            return None
        known = self.stream_state.get(FIELD_NAMES_KEY)
        new_fields = sorted(set(fields) - set(known)) if known is not None else []
        if new_fields:
            self.logger.info(
                "%s has new fields %s: reading every record again.", self.name, new_fields
            )
            return None
        read_from = self.stream_state.get(READ_FROM_KEY)
        start = (
            datetime.fromisoformat(read_from) if read_from else self.get_starting_timestamp(context)
        )
        if start is not None and (read_from or self.stream_state.get("replication_key_value")):
            start -= timedelta(seconds=int(self.config.get("lookback_seconds", 300)))
        return start

    def _read(self, soql: str) -> Iterator[dict[str, Any]]:
        """Read through REST paging, or Bulk API 2.0 when the result is large."""
        mode = self.config.get("query_api", "auto")
        if mode == "bulk":
            yield from self._read_bulk(soql)
            return
        pages = self.client.query_pages(soql, include_deleted=True)
        first = next(pages)
        self._progress.set_total(first.get("totalSize"))
        threshold = int(self.config.get("bulk_threshold", 10_000))
        if mode == "auto" and first.get("totalSize", 0) > threshold:
            pages.close()
            self.logger.info(
                "%s: %d records to read, more than bulk_threshold=%d: using Bulk API 2.0.",
                self.name,
                first["totalSize"],
                threshold,
            )
            yield from self._read_bulk(soql)
            return
        yield from first.get("records", [])
        for page in pages:
            yield from page.get("records", [])

    def _read_bulk(self, soql: str) -> Iterator[dict[str, Any]]:
        """A Bulk API 2.0 query job's rows; the finished job's record count is the total."""
        yield from BulkClient(self.client).query(
            soql, include_deleted=True, on_total=self._progress.set_total
        )


class FieldsStream(Stream):
    """One row per field of every extracted object, from describe."""

    name = "fields"
    primary_keys = ("object", "name")
    schema = th.PropertiesList(
        th.Property("object", th.StringType, required=True),
        th.Property("name", th.StringType, required=True),
        th.Property("label", th.StringType),
        th.Property("type", th.StringType),
        th.Property("custom", th.BooleanType),
        th.Property("createable", th.BooleanType),
        th.Property("updateable", th.BooleanType),
        th.Property("nillable", th.BooleanType),
        th.Property("external_id", th.BooleanType),
        th.Property("length", th.IntegerType),
        th.Property("precision", th.IntegerType),
        th.Property("scale", th.IntegerType),
        th.Property("picklist_values", th.ArrayType(th.StringType)),
        th.Property("reference_to", th.ArrayType(th.StringType)),
    ).to_dict()

    def __init__(self, tap: TapSalesforce, describes: list[dict[str, Any]]) -> None:
        super().__init__(tap)
        self.describes = describes

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Yield every field of every object.

        Args:
            context: unused.

        Yields:
            One row per field.
        """
        for describe in self.describes:
            for field in describe.get("fields", []):
                yield {
                    "object": describe["name"],
                    "name": field["name"],
                    "label": field.get("label"),
                    "type": field.get("type"),
                    "custom": field.get("custom"),
                    "createable": field.get("createable"),
                    "updateable": field.get("updateable"),
                    "nillable": field.get("nillable"),
                    "external_id": field.get("externalId"),
                    "length": field.get("length"),
                    "precision": field.get("precision"),
                    "scale": field.get("scale"),
                    "picklist_values": [
                        value["value"]
                        for value in field.get("picklistValues") or []
                        if value.get("active", True)
                    ],
                    "reference_to": list(field.get("referenceTo") or []),
                }
