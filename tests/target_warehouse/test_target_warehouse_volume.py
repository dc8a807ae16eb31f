"""A 100,000-record load through the target's command line, as Meltano runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

from tests.target_warehouse.target_helpers import SCHEMA_NAME, Warehouse

RECORDS = 100_000
#: A generous bound: the target's own peak was measured at about 210 MB.
MAX_PEAK_RSS_MB = 400


def _write_input(path: Path) -> None:
    """Write a SCHEMA and RECORDS records of about 30 columns, with a nested reference."""
    properties: dict[str, t.Any] = {"id": {"type": "integer"}}
    properties |= {f"text{n}": {"type": ["string", "null"]} for n in range(12)}
    properties |= {f"amount{n}": {"type": ["number", "null"]} for n in range(6)}
    properties |= {f"count{n}": {"type": ["integer", "null"]} for n in range(4)}
    properties |= {f"at{n}": {"type": ["string", "null"], "format": "date-time"} for n in range(4)}
    properties["flag"] = {"type": ["boolean", "null"]}
    properties["owner"] = {
        "type": ["object", "null"],
        "properties": {"id": {"type": "integer"}, "value": {"type": "string"}},
    }
    with path.open("w", encoding="utf-8") as out:
        schema = {"type": "object", "properties": properties}
        out.write(
            json.dumps(
                {"type": "SCHEMA", "stream": "bulk", "schema": schema, "key_properties": ["id"]}
            )
            + "\n"
        )
        for n in range(RECORDS):
            record: dict[str, t.Any] = {"id": n, "flag": n % 2 == 0}
            record |= {f"text{i}": f"value {n} {i}" for i in range(12)}
            record |= {f"amount{i}": n * 1.25 + i for i in range(6)}
            record |= {f"count{i}": n + i for i in range(4)}
            record |= {f"at{i}": "2024-05-01T10:00:00+00:00" for i in range(4)}
            record["owner"] = {"id": n % 50, "value": f"user {n % 50}"}
            out.write(json.dumps({"type": "RECORD", "stream": "bulk", "record": record}) + "\n")


@pytest.mark.slow
def test_given_100k_records_when_loaded_then_all_land_in_bounded_memory(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """The whole load lands, and the target's own peak memory stays bounded (batches)."""
    singer_input = tmp_path / "bulk.singer"
    _write_input(singer_input)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(warehouse.config()), encoding="utf-8")

    with singer_input.open("rb") as stdin:
        target = subprocess.Popen(
            [sys.executable, "-m", "target_warehouse", "--config", str(config)],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # wait4 reports this child's own usage; RUSAGE_CHILDREN would report the largest
        # child this test worker ever reaped (a dbt or Meltano run of another test).
        _, status, usage = os.wait4(target.pid, 0)
    target.returncode = os.waitstatus_to_exitcode(status)

    assert target.returncode == 0
    assert warehouse.query(f"SELECT count(*), count(DISTINCT id) FROM {SCHEMA_NAME}.bulk") == [
        (RECORDS, RECORDS)
    ]
    assert usage.ru_maxrss / 1024 < MAX_PEAK_RSS_MB
