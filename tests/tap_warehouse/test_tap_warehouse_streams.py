"""tap-warehouse over a real DuckDB file: streams, order, JSON columns, file handling."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from tap_warehouse.exceptions import WarehouseNotFoundError
from tap_warehouse.streams import CHUNK_ROWS

from tests.tap_warehouse.tap_helpers import build_publish, run_tap, tap_config


def _stream_order(messages: list[dict]) -> list[str]:
    """Return the streams in the order their SCHEMA messages came."""
    return [m["stream"] for m in messages if m["type"] == "SCHEMA"]


def _records(messages: list[dict], stream: str) -> list[dict]:
    """Return one stream's records."""
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]


def test_given_prefixed_tables_when_run_then_streams_are_named_without_the_prefix(
    publish_file: Path,
) -> None:
    """Only tables with the prefix become streams; the prefix is dropped from the name."""
    messages = run_tap(tap_config(publish_file))

    assert sorted(_stream_order(messages)) == ["accounts", "contacts", "extra_fields"]


def test_given_a_stream_order_when_run_then_listed_streams_come_first_then_the_rest_sorted(
    publish_file: Path,
) -> None:
    """Streams named in stream_order are emitted first, in that order."""
    messages = run_tap(tap_config(publish_file, stream_order=["extra_fields", "contacts"]))

    assert _stream_order(messages) == ["extra_fields", "contacts", "accounts"]
    record_streams = [m["stream"] for m in messages if m["type"] == "RECORD"]
    assert record_streams == ["extra_fields"] * 3 + ["contacts"] * 3 + ["accounts"] * 3


def test_given_json_text_columns_when_run_then_records_carry_parsed_objects(
    publish_file: Path,
) -> None:
    """fields and refs are emitted as objects, and typed as free objects."""
    messages = run_tap(tap_config(publish_file))

    schema = next(m for m in messages if m["type"] == "SCHEMA" and m["stream"] == "accounts")
    assert schema["schema"]["properties"]["fields"]["type"] == ["object", "null"]
    record = _records(messages, "accounts")[1]
    assert record["fields"] == {"name": "Record 1", "salesRepId1": 1}
    assert record["refs"] == {}
    assert record["forcemanager_id"] == 101
    assert record["salesforce_id"] == "001000000000000001"
    assert record["is_even"] is False
    assert record["planned_at"].startswith("2024-05-01T10:00:00")


def test_given_more_rows_than_one_chunk_when_run_then_every_row_is_emitted(
    tmp_path: Path,
) -> None:
    """Rows are fetched in chunks; none is lost at a chunk boundary."""
    path = tmp_path / "big.duckdb"
    build_publish(path, rows_per_table=CHUNK_ROWS * 2 + 7)

    messages = run_tap(tap_config(path, stream_order=["accounts"]))

    ids = [r["salesforce_id"] for r in _records(messages, "accounts")]
    assert len(ids) == len(set(ids)) == CHUNK_ROWS * 2 + 7


@pytest.mark.parametrize(
    "config_change",
    [{"schema": "no_such_schema"}, {"table_prefix": "pub_salesforce__"}],
)
def test_given_no_matching_schema_or_table_when_run_then_no_streams_and_no_error(
    publish_file: Path, config_change: dict
) -> None:
    """A quiet cycle publishes nothing."""
    messages = run_tap({**tap_config(publish_file), **config_change})

    assert [m for m in messages if m["type"] in {"SCHEMA", "RECORD"}] == []


def test_given_a_missing_warehouse_file_when_run_then_a_clear_error_names_the_path(
    tmp_path: Path,
) -> None:
    """A missing file is an error that says which file and which setting."""
    missing = tmp_path / "absent.duckdb"

    with pytest.raises(WarehouseNotFoundError, match=r"absent\.duckdb"):
        run_tap(tap_config(missing))
    assert not missing.exists()


def test_given_a_file_another_process_just_wrote_when_run_then_it_reads_and_releases_it(
    tmp_path: Path,
) -> None:
    """The tap reads what a writer left and lets another process write right after."""
    path = tmp_path / "shared.duckdb"
    writer = (
        "import duckdb, sys\n"
        "with duckdb.connect(sys.argv[1]) as c:\n"
        "    c.execute('CREATE SCHEMA IF NOT EXISTS publish')\n"
        '    c.execute("CREATE OR REPLACE TABLE publish.pub_forcemanager__accounts AS "\n'
        '              "SELECT \'update\' AS action, \'{\\"name\\": \\"x\\"}\' AS fields")\n'
    )
    subprocess.run([sys.executable, "-c", writer, str(path)], check=True)

    messages = run_tap(tap_config(path))

    assert _records(messages, "accounts") == [{"action": "update", "fields": {"name": "x"}}]
    subprocess.run(
        [sys.executable, "-c", writer.replace("'update'", "'delete'"), str(path)], check=True
    )
    with duckdb.connect(str(path), read_only=True) as connection:
        actions = connection.execute(
            "SELECT action FROM publish.pub_forcemanager__accounts"
        ).fetchall()
    assert actions == [("delete",)]
