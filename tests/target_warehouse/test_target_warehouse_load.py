"""target-warehouse over a real DuckDB file: naming, types, upserts, evolution, metadata."""

from __future__ import annotations

import datetime

import duckdb
import pytest

from tests.target_warehouse.target_helpers import (
    SCHEMA_NAME,
    Warehouse,
    record_message,
    schema_message,
)

ACCOUNT_PROPERTIES = {
    "id": {"type": "integer"},
    "name": {"type": ["string", "null"]},
    "salesRepId1": {
        "type": ["object", "null"],
        "properties": {"id": {"type": ["integer", "null"]}, "value": {"type": ["string", "null"]}},
    },
}


def test_given_camel_case_stream_and_nested_objects_when_loaded_then_names_are_flattened(
    warehouse: Warehouse,
) -> None:
    """Table and columns are lower case; objects flatten one level with a double underscore."""
    properties = {
        **ACCOUNT_PROPERTIES,
        "audit": {
            "type": "object",
            "properties": {"deep": {"type": "object", "properties": {"x": {"type": "integer"}}}},
        },
        "tags": {"type": ["array", "null"], "items": {"type": "string"}},
        "free": {"type": ["object", "null"]},
    }
    record = {
        "id": 1,
        "name": "Acme",
        "salesRepId1": {"id": 7, "value": "Ana"},
        "audit": {"deep": {"x": 1}},
        "tags": ["a", "b"],
        "free": {"k": "v"},
    }
    warehouse.load(
        [schema_message("Accounts", properties, ["id"]), record_message("Accounts", record)]
    )

    rows = warehouse.query(
        f"SELECT salesrepid1__id, salesrepid1__value, audit__deep, tags, free "
        f"FROM {SCHEMA_NAME}.accounts"
    )
    assert len(rows) == 1
    rep_id, rep_name, deep, tags, free = rows[0]
    assert (rep_id, rep_name) == (7, "Ana")
    assert (deep, tags, free) == ('{"x":1}', '["a","b"]', '{"k":"v"}')


def test_given_json_schema_types_when_loaded_then_columns_get_matching_duckdb_types(
    warehouse: Warehouse,
) -> None:
    """date-time, date, integer, number, boolean and anything else map to DuckDB types."""
    properties = {
        "id": {"type": "integer"},
        "at": {"type": ["string", "null"], "format": "date-time"},
        "on": {"type": ["null", "string"], "format": "date"},
        "amount": {"type": ["number", "null"]},
        "flag": {"type": ["boolean", "null"]},
        "hour": {"type": ["string", "null"], "format": "time"},
        "mixed": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    }
    record = {
        "id": 1,
        "at": "2024-03-01T10:00:00+02:00",
        "on": "2024-03-01",
        "amount": 12.5,
        "flag": True,
        "hour": "09:30",
        "mixed": "x",
    }
    warehouse.load([schema_message("typed", properties, ["id"]), record_message("typed", record)])

    types = warehouse.column_types("typed")
    assert types["id"] == "BIGINT"
    assert types["at"] == "TIMESTAMP"
    assert types["on"] == "DATE"
    assert types["amount"] == "DOUBLE"
    assert types["flag"] == "BOOLEAN"
    assert types["hour"] == "VARCHAR"
    assert types["mixed"] == "VARCHAR"
    row = warehouse.query(f'SELECT "at", "on", amount, flag FROM {SCHEMA_NAME}.typed')[0]
    # Offsets are applied: timestamps are stored as naive UTC.
    assert row == (datetime.datetime(2024, 3, 1, 8, 0), datetime.date(2024, 3, 1), 12.5, True)


def test_given_repeated_keys_across_and_within_batches_when_loaded_then_latest_version_wins(
    warehouse: Warehouse,
) -> None:
    """The table holds one row per key: the last record seen, even inside one batch."""
    schema = schema_message("accounts", ACCOUNT_PROPERTIES, ["id"])
    warehouse.load(
        [
            schema,
            record_message("accounts", {"id": 1, "name": "first"}),
            record_message("accounts", {"id": 2, "name": "other"}),
            record_message("accounts", {"id": 1, "name": "second"}),
        ]
    )
    warehouse.load([schema, record_message("accounts", {"id": 1, "name": "third"})])

    rows = warehouse.query(f"SELECT id, name FROM {SCHEMA_NAME}.accounts ORDER BY id")
    assert rows == [(1, "third"), (2, "other")]


def test_given_small_batches_when_a_key_repeats_then_later_batches_overwrite_earlier_ones(
    warehouse: Warehouse,
) -> None:
    """With one record per batch, the upsert still keeps the last version of each key."""
    messages = [schema_message("accounts", ACCOUNT_PROPERTIES, ["id"])]
    messages += [record_message("accounts", {"id": n % 3, "name": f"v{n}"}) for n in range(9)]
    warehouse.load(messages, batch_size_rows=1)

    rows = warehouse.query(f"SELECT id, name FROM {SCHEMA_NAME}.accounts ORDER BY id")
    assert rows == [(0, "v6"), (1, "v7"), (2, "v8")]


def test_given_no_key_properties_when_loaded_twice_then_every_record_is_appended(
    warehouse: Warehouse,
) -> None:
    """A stream without a key is appended to."""
    messages = [
        schema_message("events", {"id": {"type": "integer"}}),
        record_message("events", {"id": 1}),
        record_message("events", {"id": 1}),
    ]
    warehouse.load(messages)
    warehouse.load(messages)

    assert warehouse.query(f"SELECT count(*) FROM {SCHEMA_NAME}.events") == [(4,)]


def test_given_the_same_input_when_reloaded_then_the_table_is_unchanged(
    warehouse: Warehouse,
) -> None:
    """Reloading the same records is idempotent for keyed streams."""
    messages = [
        schema_message("accounts", ACCOUNT_PROPERTIES, ["id"]),
        *[record_message("accounts", {"id": n, "name": f"n{n}"}) for n in range(50)],
    ]
    warehouse.load(messages)
    first = warehouse.query(f"SELECT id, name FROM {SCHEMA_NAME}.accounts ORDER BY id")
    warehouse.load(messages)

    assert warehouse.query(f"SELECT id, name FROM {SCHEMA_NAME}.accounts ORDER BY id") == first
    assert len(first) == 50


def test_given_a_new_property_in_a_later_run_when_loaded_then_a_column_is_added(
    warehouse: Warehouse,
) -> None:
    """Schema evolution adds the column and keeps the earlier rows."""
    warehouse.load(
        [
            schema_message("accounts", ACCOUNT_PROPERTIES, ["id"]),
            record_message("accounts", {"id": 1, "name": "old"}),
        ]
    )
    wider = {**ACCOUNT_PROPERTIES, "region": {"type": ["string", "null"]}}
    warehouse.load(
        [
            schema_message("accounts", wider, ["id"]),
            record_message("accounts", {"id": 2, "name": "new", "region": "North"}),
        ]
    )

    rows = warehouse.query(f"SELECT id, name, region FROM {SCHEMA_NAME}.accounts ORDER BY id")
    assert rows == [(1, "old", None), (2, "new", "North")]


def test_given_a_schema_message_again_mid_run_with_more_properties_then_both_parts_load(
    warehouse: Warehouse,
) -> None:
    """A second SCHEMA message in the same run adds columns; earlier records load first."""
    wider = {**ACCOUNT_PROPERTIES, "region": {"type": ["string", "null"]}}
    warehouse.load(
        [
            schema_message("accounts", ACCOUNT_PROPERTIES, ["id"]),
            record_message("accounts", {"id": 1, "name": "before"}),
            schema_message("accounts", wider, ["id"]),
            record_message("accounts", {"id": 1, "name": "after", "region": "South"}),
            record_message("accounts", {"id": 2, "name": "other", "region": "East"}),
        ]
    )

    rows = warehouse.query(f"SELECT id, name, region FROM {SCHEMA_NAME}.accounts ORDER BY id")
    assert rows == [(1, "after", "South"), (2, "other", "East")]


def test_given_a_value_that_no_longer_fits_when_loaded_then_the_column_widens_to_varchar(
    warehouse: Warehouse,
) -> None:
    """An integer column receiving text becomes VARCHAR; earlier values survive as text."""
    properties = {"id": {"type": "integer"}, "code": {"type": ["integer", "null"]}}
    warehouse.load(
        [
            schema_message("items", properties, ["id"]),
            record_message("items", {"id": 1, "code": 42}),
        ]
    )
    changed = {"id": {"type": "integer"}, "code": {"type": ["string", "null"]}}
    warehouse.load(
        [
            schema_message("items", changed, ["id"]),
            record_message("items", {"id": 2, "code": "A-7"}),
        ]
    )

    assert warehouse.column_types("items")["code"] == "VARCHAR"
    rows = warehouse.query(f"SELECT id, code FROM {SCHEMA_NAME}.items ORDER BY id")
    assert rows == [(1, "42"), (2, "A-7")]


@pytest.mark.parametrize(
    ("properties", "value"),
    [
        ({"type": ["integer", "null"]}, 1.5),
        ({"type": ["string", "null"], "format": "date"}, "2024-01-01T10:00:00"),
        ({"type": ["string", "null"], "format": "date-time"}, "not a time"),
        ({"type": ["boolean", "null"]}, "maybe"),
    ],
)
def test_given_a_value_that_does_not_fit_its_declared_type_then_nothing_is_lost(
    warehouse: Warehouse, properties: dict, value: object
) -> None:
    """A value a cast would round, truncate or reject is kept as text instead."""
    schema = {"id": {"type": "integer"}, "v": properties}
    warehouse.load(
        [schema_message("odd", schema, ["id"]), record_message("odd", {"id": 1, "v": value})]
    )

    assert warehouse.column_types("odd")["v"] == "VARCHAR"
    assert warehouse.query(f"SELECT v FROM {SCHEMA_NAME}.odd") == [(str(value),)]


def test_given_an_integer_value_for_a_number_column_then_the_column_stays_double(
    warehouse: Warehouse,
) -> None:
    """Values that fit the existing type keep it."""
    schema = {"id": {"type": "integer"}, "amount": {"type": ["number", "null"]}}
    warehouse.load(
        [
            schema_message("money", schema, ["id"]),
            record_message("money", {"id": 1, "amount": 3}),
            record_message("money", {"id": 2, "amount": 2.25}),
        ]
    )

    assert warehouse.column_types("money")["amount"] == "DOUBLE"
    assert warehouse.query(f"SELECT sum(amount) FROM {SCHEMA_NAME}.money") == [(5.25,)]


def test_given_records_when_loaded_then_singer_metadata_columns_are_filled(
    warehouse: Warehouse,
) -> None:
    """_sdc_extracted_at comes from the message, _sdc_batched_at from the load, deletes kept."""
    warehouse.load(
        [
            schema_message("accounts", ACCOUNT_PROPERTIES, ["id"]),
            record_message("accounts", {"id": 1}, extracted_at="2024-05-01T12:00:00+00:00"),
            record_message(
                "accounts",
                {"id": 2, "_sdc_deleted_at": "2024-05-02T00:00:00Z"},
                extracted_at="2024-05-01T12:00:00+00:00",
            ),
        ]
    )

    types = warehouse.column_types("accounts")
    assert {"_sdc_extracted_at", "_sdc_batched_at", "_sdc_deleted_at"} <= types.keys()
    assert "_sdc_sequence" not in types
    rows = warehouse.query(
        f"SELECT id, _sdc_extracted_at, _sdc_batched_at IS NOT NULL, _sdc_deleted_at "
        f"FROM {SCHEMA_NAME}.accounts ORDER BY id"
    )
    extracted = datetime.datetime(2024, 5, 1, 12, 0)
    assert rows == [
        (1, extracted, True, None),
        (2, extracted, True, datetime.datetime(2024, 5, 2, 0, 0)),
    ]


def test_given_a_finished_run_then_the_file_is_released_for_the_next_writer(
    warehouse: Warehouse,
) -> None:
    """The target closes the file at the end of the pipe, so the next step can write it."""
    warehouse.load(
        [
            schema_message("accounts", ACCOUNT_PROPERTIES, ["id"]),
            record_message("accounts", {"id": 1}),
        ]
    )

    with duckdb.connect(str(warehouse.path)) as writer:
        writer.execute(f"INSERT INTO {SCHEMA_NAME}.accounts (id) VALUES (2)")
    assert warehouse.query(f"SELECT count(*) FROM {SCHEMA_NAME}.accounts") == [(2,)]
