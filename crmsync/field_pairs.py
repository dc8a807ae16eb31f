"""The user's field pairs (`field_mapping:` in the settings) checked against both CRMs.

The settings reader (`crmsync.settings`) checks a pair's shape and that neither field is mapped
already. Whether each field exists, and whether the two types agree, can only be told from the
CRMs' own field lists, which the taps extract before the plan: Salesforce's describe
(`raw_salesforce.fields`) and ForceManager's `/schema`, whose properties are the columns of the
raw tables (a reference `{"id", "value"}` loads as `<field>__id` and `<field>__value`).
`crmsync prepare` resolves each pair here and stores it for dbt (`crmsync_settings.field_pairs`),
which adds it to the field mapping (transform/macros/field_mapping.sql).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crmsync import warehouse
from crmsync.settings import FieldPair, SettingsError, builtin_field_mapping

if TYPE_CHECKING:
    import duckdb

#: Salesforce describe types -> the comparison kind (transform/macros/canonical.sql).
SALESFORCE_KINDS = {
    **dict.fromkeys(("double", "currency", "percent", "int", "long"), "number"),
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    **dict.fromkeys(
        (
            "string",
            "textarea",
            "phone",
            "email",
            "url",
            "picklist",
            "multipicklist",
            "combobox",
            "encryptedstring",
        ),
        "text",
    ),
}
#: ForceManager raw column types (from `/schema`) -> what they hold.
_FORCEMANAGER_TYPES = {
    "VARCHAR": "text",
    "DOUBLE": "number",
    "FLOAT": "number",
    "BIGINT": "number",
    "INTEGER": "number",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "date-time",
    "TIMESTAMP WITH TIME ZONE": "date-time",
    "DATE": "date-time",
}
#: Which Salesforce kinds each ForceManager type pairs with.
_COMPATIBLE = {
    "text": {"text"},
    "number": {"number"},
    "boolean": {"boolean"},
    "date-time": {"date", "datetime"},
}


@dataclass(frozen=True)
class ResolvedPair:
    """A user pair as the plan reads it (a row of `crmsync_settings.field_pairs`)."""

    object: str
    #: the canonical field name (sync_base, sync_plan): `map_<fm>__<sf>`, lower case
    field: str
    kind: str
    salesforce_field: str
    forcemanager_field: str
    salesforce_column: str
    forcemanager_column: str
    direction: str


def resolve_field_pairs(
    connection: duckdb.DuckDBPyConnection, pairs: tuple[FieldPair, ...], synced: list[str]
) -> list[ResolvedPair]:
    """Check each pair of a synced object against the extracted field lists.

    Raises:
        SettingsError: one line naming the setting, the field and what is wrong.
    """
    mapping = builtin_field_mapping()
    resolved = []
    for pair in pairs:
        if pair.object not in synced:
            continue
        spec = mapping[pair.object]
        sf_name, sf_type = _salesforce_field(connection, pair, spec["sf_object"])
        fm_type = _forcemanager_type(connection, pair, spec["forcemanager"], spec["fm_resource"])
        kind = SALESFORCE_KINDS.get(sf_type)
        if kind is None or kind not in _COMPATIBLE[fm_type]:
            msg = (
                f"`{pair.setting}`: {spec['sf_object']}.{sf_name} ({sf_type}) and ForceManager "
                f"{spec['fm_resource']}.{pair.forcemanager} ({fm_type}) do not hold the same type "
                "of value"
            )
            raise SettingsError(msg)
        resolved.append(
            ResolvedPair(
                object=pair.object,
                field=f"map_{pair.forcemanager.lower()}__{sf_name.lower()}",
                kind=kind,
                salesforce_field=sf_name,
                forcemanager_field=pair.forcemanager,
                salesforce_column=sf_name.lower(),
                forcemanager_column=pair.forcemanager.lower(),
                direction=pair.direction,
            )
        )
    return resolved


def _salesforce_field(
    connection: duckdb.DuckDBPyConnection, pair: FieldPair, sobject: str
) -> tuple[str, str]:
    """The field's describe name and type; unknown is a `SettingsError`."""
    if not warehouse.table_exists(connection, "raw_salesforce", "fields"):
        msg = "raw_salesforce.fields is missing: describe was not extracted before this step"
        raise SettingsError(msg)
    row = connection.execute(
        "select name, lower(type) from raw_salesforce.fields "
        "where object = ? and lower(name) = lower(?) order by _sdc_batched_at desc limit 1",
        [sobject, pair.salesforce],
    ).fetchone()
    if row is None:
        msg = f"`{pair.setting}.salesforce`: {sobject} has no field {pair.salesforce} (describe)"
        raise SettingsError(msg)
    return str(row[0]), str(row[1])


def _forcemanager_type(
    connection: duckdb.DuckDBPyConnection, pair: FieldPair, table: str, resource: str
) -> str:
    """What the field holds, from the raw table's columns (`/schema`); unknown is an error."""
    columns = dict(
        connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_forcemanager' and table_name = ?",
            [table],
        ).fetchall()
    )
    name = pair.forcemanager.lower()
    if name not in columns:
        why = (
            "is a reference to a list or record, which only the built-in pairs map"
            if f"{name}__id" in columns
            else "is not in its /schema (nor an extra field)"
        )
        msg = f"`{pair.setting}.forcemanager`: ForceManager {resource}.{pair.forcemanager} {why}"
        raise SettingsError(msg)
    kind = _FORCEMANAGER_TYPES.get(str(columns[name]).upper())
    if kind is None:
        msg = (
            f"`{pair.setting}.forcemanager`: ForceManager {resource}.{pair.forcemanager} holds "
            f"{columns[name]}, which no Salesforce field type pairs with"
        )
        raise SettingsError(msg)
    return kind


def store_field_pairs(connection: duckdb.DuckDBPyConnection, pairs: list[ResolvedPair]) -> None:
    """Replace `crmsync_settings.field_pairs` (inside the caller's transaction).

    Without pairs the table is dropped rather than left empty: dbt reads it with a query per
    use of the field mapping (about 80 in a plan) only when it exists, so a sync without
    pairs plans as fast as before they existed.
    """
    if not pairs:
        connection.execute("drop table if exists crmsync_settings.field_pairs")
        return
    connection.execute(
        "create or replace table crmsync_settings.field_pairs (object varchar, field varchar, "
        "kind varchar, salesforce_field varchar, forcemanager_field varchar, "
        "salesforce_column varchar, forcemanager_column varchar, direction varchar)"
    )
    connection.executemany(
        "insert into crmsync_settings.field_pairs values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                p.object,
                p.field,
                p.kind,
                p.salesforce_field,
                p.forcemanager_field,
                p.salesforce_column,
                p.forcemanager_column,
                p.direction,
            )
            for p in pairs
        ],
    )
