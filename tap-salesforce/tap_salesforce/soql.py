"""SOQL statements of the tap."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime


def soql_datetime(value: datetime) -> str:
    """Format a datetime as an unquoted SOQL dateTime literal, in UTC, to the second.

    Args:
        value: an aware (or UTC-naive) datetime.

    Returns:
        E.g. ``2024-01-01T00:00:00Z``.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def extraction_query(
    sobject: str,
    fields: Sequence[str],
    *,
    replication_key: str | None,
    since: datetime | None,
) -> str:
    """Build the extraction query of one object.

    Records come ordered by the replication key, then ``Id``: a stable order, so a run that
    stops part way leaves a bookmark every record before it was read up to.

    Args:
        sobject: the object API name.
        fields: the fields to select.
        replication_key: the clock field, or None for an object without one.
        since: read records whose clock is at or after this instant (None: all records).

    Returns:
        The SOQL statement.
    """
    soql = f"SELECT {', '.join(fields)} FROM {sobject}"
    if replication_key and since is not None:
        soql += f" WHERE {replication_key} >= {soql_datetime(since)}"
    if replication_key:
        soql += f" ORDER BY {replication_key} ASC, Id ASC"
    return soql
