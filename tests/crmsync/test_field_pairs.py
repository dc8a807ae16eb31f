"""The settings' `field_mapping`: user field pairs, checked when read and against both CRMs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from crmsync.field_pairs import resolve_field_pairs, store_field_pairs
from crmsync.settings import FieldPair, SettingsError, parse_settings

OBJECTS = {"accounts": "two-way", "contacts": "two-way", "opportunities": "one-way"}


def settings_with(field_mapping: Any) -> dict[str, Any]:
    return {"objects": OBJECTS, "field_mapping": field_mapping}


def test_pairs_are_read_with_two_way_as_the_default_direction() -> None:
    settings = parse_settings(
        settings_with(
            {
                "accounts": [
                    {"forcemanager": "vatNumber", "salesforce": "VAT_Number__c"},
                    {"forcemanager": "phone2", "salesforce": "Phone2__c", "direction": "sf_to_fm"},
                ],
                "contacts": [
                    {
                        "forcemanager": "linkedin",
                        "salesforce": "LinkedIn__c",
                        "direction": "fm_to_sf",
                    }
                ],
            }
        )
    )
    assert settings.field_pairs == (
        FieldPair("accounts", "vatNumber", "VAT_Number__c", "two-way", "field_mapping.accounts[0]"),
        FieldPair("accounts", "phone2", "Phone2__c", "sf_to_fm", "field_mapping.accounts[1]"),
        FieldPair("contacts", "linkedin", "LinkedIn__c", "fm_to_sf", "field_mapping.contacts[0]"),
    )


def test_no_field_mapping_means_no_pairs() -> None:
    assert parse_settings({"objects": OBJECTS}).field_pairs == ()
    assert parse_settings(settings_with({"accounts": None})).field_pairs == ()


@pytest.mark.parametrize(
    ("field_mapping", "named"),
    [
        (["vatNumber"], "`field_mapping` must map object names"),
        ({"leads": []}, "`field_mapping.leads`"),
        ({"accounts": {"forcemanager": "vatNumber"}}, "`field_mapping.accounts` must be a list"),
        ({"accounts": ["vatNumber"]}, "`field_mapping.accounts[0]` must be a mapping"),
        ({"accounts": [{"salesforce": "VAT_Number__c"}]}, "field_mapping.accounts[0].forcemanager"),
        ({"accounts": [{"forcemanager": "vatNumber"}]}, "field_mapping.accounts[0].salesforce"),
        (
            {"accounts": [{"forcemanager": "vat number", "salesforce": "VAT_Number__c"}]},
            "field_mapping.accounts[0].forcemanager",
        ),
        (
            {"accounts": [{"forcemanager": "vatNumber", "salesforce": "X", "size": 3}]},
            "field_mapping.accounts[0].size",
        ),
        (
            {"accounts": [{"forcemanager": "vatNumber", "salesforce": "X", "direction": "both"}]},
            "field_mapping.accounts[0].direction",
        ),
        # ForceManager's changes never reach Salesforce on a one-way object
        (
            {
                "opportunities": [
                    {"forcemanager": "wonDate", "salesforce": "X", "direction": "fm_to_sf"}
                ]
            },
            "field_mapping.opportunities[0].direction",
        ),
        # mapped already: built-in pairs (either side, any case), the link fields, other pairs
        (
            {"accounts": [{"forcemanager": "fax", "salesforce": "Fax2__c"}]},
            "`field_mapping.accounts[0].forcemanager`: fax is mapped already",
        ),
        (
            {"accounts": [{"forcemanager": "phone2", "salesforce": "billingcity"}]},
            "`field_mapping.accounts[0].salesforce`: billingcity is mapped already",
        ),
        (
            {"accounts": [{"forcemanager": "countryId", "salesforce": "Country__c"}]},
            "field_mapping.accounts[0].forcemanager",
        ),
        (
            {"events": [{"forcemanager": "endHour", "salesforce": "Hour__c"}]},
            "field_mapping.events[0].forcemanager",
        ),
        (
            {"accounts": [{"forcemanager": "extId", "salesforce": "Ext__c"}]},
            "holds the link",
        ),
        (
            {"accounts": [{"forcemanager": "phone2", "salesforce": "ForceManager_Id__c"}]},
            "holds the link",
        ),
        (
            {
                "accounts": [
                    {"forcemanager": "phone2", "salesforce": "Phone2__c"},
                    {"forcemanager": "phone3", "salesforce": "PHONE2__C"},
                ]
            },
            "`field_mapping.accounts[1].salesforce`: PHONE2__C is mapped already",
        ),
    ],
)
def test_bad_pair_is_refused_with_the_setting_named(field_mapping: Any, named: str) -> None:
    with pytest.raises(SettingsError, match=_escaped(named)) as raised:
        parse_settings(settings_with(field_mapping))
    assert "\n" not in str(raised.value)


def _escaped(text: str) -> str:
    return "".join("\\" + c if c in "[]().*" else c for c in text)


@pytest.fixture
def extracted(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A warehouse with Account's describe and ForceManager's accounts table as extracted."""
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute("create schema raw_salesforce")
    connection.execute("create schema raw_forcemanager")
    connection.execute(
        "create table raw_salesforce.fields (object varchar, name varchar, type varchar, "
        "_sdc_batched_at timestamp)"
    )
    connection.executemany(
        "insert into raw_salesforce.fields values (?, ?, ?, now())",
        [
            ("Account", "VAT_Number__c", "string"),
            ("Account", "Employees__c", "double"),
            ("Account", "Founded__c", "date"),
            ("Account", "ParentId", "reference"),
            ("Contact", "VAT_Number__c", "string"),
        ],
    )
    connection.execute(
        "create table raw_forcemanager.accounts (id bigint, vatnumber varchar, phone3 varchar, "
        "geocodingaccuracy bigint, dategeocoded timestamp, public boolean, "
        "segmentid__id bigint, segmentid__value varchar, z_founded timestamp)"
    )
    return connection


def pairs(*entries: dict[str, str]) -> tuple[FieldPair, ...]:
    return parse_settings(settings_with({"accounts": list(entries)})).field_pairs


def test_pairs_resolve_to_kinds_and_describe_spelling(
    extracted: duckdb.DuckDBPyConnection,
) -> None:
    resolved = resolve_field_pairs(
        extracted,
        pairs(
            {"forcemanager": "vatNumber", "salesforce": "vat_number__c"},
            {"forcemanager": "geocodingAccuracy", "salesforce": "Employees__c"},
            {"forcemanager": "Z_Founded", "salesforce": "Founded__c", "direction": "sf_to_fm"},
        ),
        ["accounts"],
    )
    assert [(p.field, p.kind, p.salesforce_field, p.direction) for p in resolved] == [
        ("map_vatnumber__vat_number__c", "text", "VAT_Number__c", "two-way"),
        ("map_geocodingaccuracy__employees__c", "number", "Employees__c", "two-way"),
        ("map_z_founded__founded__c", "date", "Founded__c", "sf_to_fm"),
    ]
    assert resolved[2].forcemanager_column == "z_founded"


def test_pairs_of_objects_not_synced_are_not_checked(
    extracted: duckdb.DuckDBPyConnection,
) -> None:
    unknown = pairs({"forcemanager": "nothing", "salesforce": "Nothing__c"})
    assert resolve_field_pairs(extracted, unknown, ["contacts"]) == []


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        (
            {"forcemanager": "vatNumber", "salesforce": "Vat__c"},
            "`field_mapping.accounts[0].salesforce`: Account has no field Vat__c",
        ),
        (
            {"forcemanager": "vat", "salesforce": "VAT_Number__c"},
            "`field_mapping.accounts[0].forcemanager`: ForceManager accounts.vat is not in its",
        ),
        (
            {"forcemanager": "segmentId", "salesforce": "VAT_Number__c"},
            "accounts.segmentId is a reference",
        ),
        (
            {"forcemanager": "public", "salesforce": "VAT_Number__c"},
            "`field_mapping.accounts[0]`: Account.VAT_Number__c (string) and ForceManager "
            "accounts.public (boolean) do not hold the same type",
        ),
        (
            {"forcemanager": "phone3", "salesforce": "Employees__c"},
            "(double) and ForceManager accounts.phone3 (text)",
        ),
        (
            {"forcemanager": "dateGeocoded", "salesforce": "ParentId"},
            "Account.ParentId (reference)",
        ),
    ],
)
def test_unknown_fields_and_mismatched_types_are_refused_in_one_line(
    extracted: duckdb.DuckDBPyConnection, entry: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=_escaped(named)) as raised:
        resolve_field_pairs(extracted, pairs(entry), ["accounts"])
    assert "\n" not in str(raised.value)


def test_pairs_are_stored_for_dbt_and_none_leaves_no_table(
    extracted: duckdb.DuckDBPyConnection,
) -> None:
    """dbt queries the table on every use of the mapping only when there are pairs."""
    extracted.execute("create schema crmsync_settings")
    resolved = resolve_field_pairs(
        extracted, pairs({"forcemanager": "vatNumber", "salesforce": "VAT_Number__c"}), ["accounts"]
    )
    store_field_pairs(extracted, resolved)
    assert extracted.execute("select * from crmsync_settings.field_pairs").fetchall() == [
        (
            "accounts",
            "map_vatnumber__vat_number__c",
            "text",
            "VAT_Number__c",
            "vatNumber",
            "vat_number__c",
            "vatnumber",
            "two-way",
        )
    ]
    store_field_pairs(extracted, [])
    tables = extracted.execute(
        "select table_name from information_schema.tables where table_schema = 'crmsync_settings'"
    ).fetchall()
    assert tables == []
