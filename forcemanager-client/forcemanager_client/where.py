"""Build ForceManager `where` filters (an SQL-like expression) safely."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

#: The date literal format of the API's request examples ("YYYY-MM-DD HH:MM:SS", UTC).
DATE_LITERAL_FORMAT = "%Y-%m-%d %H:%M:%S"

#: The three audit dates; a record changed after X has one of them after X.
AUDIT_DATES = ("dateCreated", "dateUpdated", "dateDeleted")


def quote(value: str) -> str:
    """Quote a string literal, doubling single quotes as SQL does."""
    return "'" + value.replace("'", "''") + "'"


def date_literal(moment: datetime) -> str:
    """Format a moment as a quoted UTC date literal, truncated to the second.

    Truncation widens a `>` filter by under a second, so it can only include more, never less.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return quote(moment.strftime(DATE_LITERAL_FORMAT))


def changed_since(moment: datetime) -> str:
    """Records created, updated or deleted after `moment`."""
    literal = date_literal(moment)
    return "(" + " OR ".join(f"{field} > {literal}" for field in AUDIT_DATES) + ")"


def any_equal(field: str, values: Iterable[str]) -> str:
    """`field` equals one of `values` (an OR list: the API documents no IN operator)."""
    return "(" + " OR ".join(f"{field} = {quote(value)}" for value in values) + ")"


def all_of(*clauses: str | None) -> str | None:
    """AND the given clauses, skipping empty ones; None when nothing is left."""
    present = [clause for clause in clauses if clause]
    if not present:
        return None
    return " AND ".join(present)
