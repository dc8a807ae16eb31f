"""A fixture warehouse: raw, settings and sync-log tables in the shapes the real loaders write.

The tests drive the dbt project the way a sync cycle does: load raw rows, run the plan, apply
its publish rows to the raw tables as the APIs would (new ids, read-back values), log the
writes, run the report, and plan again.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from crmsync_common.objects import OBJECTS

PROJECT_DIR = Path(__file__).resolve().parents[2] / "transform"
DEFAULT_DBT = Path(__file__).resolve().parents[2] / ".meltano/utilities/dbt-duckdb/venv/bin/dbt"

# Raw columns per table, as target-warehouse creates them (lower case, references flattened).
AUDIT_SF = {
    "id": "varchar",
    "isdeleted": "boolean",
    "ownerid": "varchar",
    "systemmodstamp": "timestamp",
    "forcemanager_id__c": "varchar",
    "_sdc_batched_at": "timestamp",
}
AUDIT_FM = {
    "id": "bigint",
    "deleted": "boolean",
    "extid": "varchar",
    "datemodified": "timestamp",
    "_sdc_batched_at": "timestamp",
}
WHO_WHAT_SF = {"whoid": "varchar", "whatid": "varchar", "accountid": "varchar"}
REFS_FM = {
    "accountid__id": "bigint",
    "contactid__id": "bigint",
    "opportunityid__id": "bigint",
    "salesrepid__id": "bigint",
}

RAW_TABLES: dict[str, dict[str, str]] = {
    "raw_salesforce.account": {
        **AUDIT_SF,
        "name": "varchar",
        "phone": "varchar",
        "website": "varchar",
        "billingstreet": "varchar",
        "billingcity": "varchar",
        "billingpostalcode": "varchar",
        "billingstate": "varchar",
        "description": "varchar",
    },
    "raw_salesforce.contact": {
        **AUDIT_SF,
        "accountid": "varchar",
        "firstname": "varchar",
        "lastname": "varchar",
        "email": "varchar",
        "phone": "varchar",
        "mobilephone": "varchar",
        "description": "varchar",
    },
    "raw_salesforce.opportunity": {
        **AUDIT_SF,
        "accountid": "varchar",
        "name": "varchar",
        "stagename": "varchar",
        "amount": "double",
        "probability": "double",
        "closedate": "date",
        "description": "varchar",
    },
    "raw_salesforce.task": {
        **AUDIT_SF,
        **WHO_WHAT_SF,
        "subject": "varchar",
        "status": "varchar",
        "priority": "varchar",
        "activitydate": "date",
        "description": "varchar",
        "tasksubtype": "varchar",
    },
    "raw_salesforce.event": {
        **AUDIT_SF,
        **WHO_WHAT_SF,
        "subject": "varchar",
        "startdatetime": "timestamp",
        "enddatetime": "timestamp",
        "isalldayevent": "boolean",
        "description": "varchar",
    },
    "raw_salesforce.user": {
        "id": "varchar",
        "firstname": "varchar",
        "lastname": "varchar",
        "name": "varchar",
        "isactive": "boolean",
        "_sdc_batched_at": "timestamp",
    },
    "raw_salesforce.fields": {
        "object": "varchar",
        "name": "varchar",
        "label": "varchar",
        "type": "varchar",
        "custom": "boolean",
        "picklist_values": "varchar",
        "_sdc_batched_at": "timestamp",
    },
    "raw_forcemanager.accounts": {
        **AUDIT_FM,
        "name": "varchar",
        "branchid__id": "bigint",
        "salesrepid1__id": "bigint",
        "phone": "varchar",
        "website": "varchar",
        "address1": "varchar",
        "city": "varchar",
        "postcode": "varchar",
        "region": "varchar",
        "comment": "varchar",
    },
    "raw_forcemanager.contacts": {
        **AUDIT_FM,
        "firstname": "varchar",
        "lastname": "varchar",
        "accountid__id": "bigint",
        "branchid__id": "bigint",
        "salesrepid__id": "bigint",
        "email": "varchar",
        "phone1": "varchar",
        "phone2": "varchar",
        "comment": "varchar",
    },
    "raw_forcemanager.opportunities": {
        **AUDIT_FM,
        "reference": "varchar",
        "branchid__id": "bigint",
        "salesrepid__id": "bigint",
        "salesprobability": "bigint",
        "statusid__id": "bigint",
        "total": "double",
        "accountid1__id": "bigint",
        "salesforecastdate": "varchar",
        "comments": "varchar",
    },
    "raw_forcemanager.activities": {
        **AUDIT_FM,
        **REFS_FM,
        "typeid__id": "bigint",
        "date": "varchar",
        "comment": "varchar",
    },
    "raw_forcemanager.events": {
        **AUDIT_FM,
        **REFS_FM,
        "subject": "varchar",
        "task": "boolean",
        "completed": "boolean",
        "allday": "boolean",
        "startdate": "varchar",
        "enddate": "varchar",
        "starthour": "varchar",
        "endhour": "varchar",
        "comment": "varchar",
    },
    "raw_forcemanager.users": {
        "id": "bigint",
        "name": "varchar",
        "lastname": "varchar",
        "isactive": "boolean",
        "deleted": "boolean",
        "_sdc_batched_at": "timestamp",
    },
    "raw_forcemanager.extra_fields": {
        "id": "bigint",
        "resource": "varchar",
        "fieldname": "varchar",
        "type": "varchar",
        "values": "varchar",
        "deleted": "boolean",
        "_sdc_batched_at": "timestamp",
    },
}
RAW_TABLES["raw_forcemanager.tasks"] = RAW_TABLES["raw_forcemanager.events"]
LOOKUP = {
    "id": "bigint",
    "descriptionen": "varchar",
    "deleted": "boolean",
    "_sdc_batched_at": "timestamp",
}
for _lookup in ("branches", "opportunitystatuses", "activitytypes", "accounttypes"):
    RAW_TABLES[f"raw_forcemanager.{_lookup}"] = LOOKUP

SETTINGS_TABLES = {
    "crmsync_settings.objects": {"object": "varchar", "mode": "varchar"},
    "crmsync_settings.user_mapping": {
        "salesforce_user_id": "varchar",
        "forcemanager_user_id": "bigint",
    },
    "crmsync_settings.options": {
        "auto_match_users": "boolean",
        "default_forcemanager_owner": "bigint",
        "default_salesforce_owner": "varchar",
    },
    "crmsync_log.sync_log_lines": {
        "synced_at": "timestamp",
        "run_id": "varchar",
        "object": "varchar",
        "action": "varchar",
        "direction": "varchar",
        "salesforce_id": "varchar",
        "forcemanager_id": "varchar",
        "status": "varchar",
        "error_code": "varchar",
        "error_message": "varchar",
        "source_file": "varchar",
        "line_number": "bigint",
    },
}

# Where each object lives on each side.
SF_TABLE = {
    "accounts": "account",
    "contacts": "contact",
    "opportunities": "opportunity",
    "activities": "task",
    "events": "event",
    "tasks": "task",
}
SF_PREFIX = {
    "account": "001",
    "contact": "003",
    "opportunity": "006",
    "task": "00T",
    "event": "00U",
}
FM_TABLE = {o: o for o in SF_TABLE}


def dbt_executable() -> Path | None:
    """The dbt to run: $DBT_EXECUTABLE, else the Meltano utility's, else none."""
    configured = os.environ.get("DBT_EXECUTABLE")
    candidate = Path(configured) if configured else DEFAULT_DBT
    return candidate if candidate.exists() else None


@dataclass
class DbtResult:
    """The outcome of one dbt invocation."""

    returncode: int
    output: str
    invocation_id: str | None


@dataclass
class Warehouse:
    """A DuckDB file with crmsync's raw, settings and log tables, and dbt runs against it."""

    path: Path
    dbt: Path
    target_dir: Path
    clock: datetime = field(default_factory=lambda: datetime(2025, 1, 1, tzinfo=UTC))
    _next_id: dict[str, int] = field(default_factory=dict)

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path))

    def create_tables(self, tables: dict[str, dict[str, str]] | None = None) -> None:
        with self.connect() as con:
            for name, columns in (tables or {**RAW_TABLES, **SETTINGS_TABLES}).items():
                schema = name.split(".")[0]
                con.execute(f"create schema if not exists {schema}")
                cols = ", ".join(f'"{c}" {t}' for c, t in columns.items())
                con.execute(f"create table if not exists {name} ({cols})")

    def add_column(self, table: str, column: str, type_: str) -> None:
        with self.connect() as con:
            con.execute(f'alter table {table} add column if not exists "{column}" {type_}')

    def tick(self) -> datetime:
        """Advance the fixture clock by a minute (modification stamps must move forward)."""
        self.clock = self.clock.replace(minute=(self.clock.minute + 1) % 60)
        if self.clock.minute == 0:
            self.clock = self.clock.replace(hour=self.clock.hour + 1)
        return self.clock

    def new_sf_id(self, table: str) -> str:
        prefix = SF_PREFIX[table]
        self._next_id[prefix] = self._next_id.get(prefix, 0) + 1
        return f"{prefix}{self._next_id[prefix]:012d}AAA"

    def new_fm_id(self, table: str) -> int:
        key = f"fm:{table}"
        self._next_id[key] = self._next_id.get(key, 1000) + 1
        return self._next_id[key]

    def upsert(self, table: str, row: dict[str, Any]) -> None:
        """Insert or replace a raw row by `id`, the way target-warehouse upserts."""
        schema = table.split(".", maxsplit=1)[0]
        stamp = self.tick()
        row = dict(row)
        row.setdefault("_sdc_batched_at", stamp.replace(tzinfo=None))
        if schema == "raw_salesforce" and "isdeleted" in RAW_TABLES.get(table, {}):
            row.setdefault("systemmodstamp", stamp.replace(tzinfo=None))
        if schema == "raw_forcemanager" and "datemodified" in RAW_TABLES.get(table, {}):
            row.setdefault("datemodified", stamp.replace(tzinfo=None))
        with self.connect() as con:
            existing = con.execute(f"select * from {table} where id = ?", [row["id"]])
            names = [d[0] for d in existing.description]
            old = existing.fetchone()
            merged = dict(zip(names, old, strict=True)) if old else {}
            merged.update(row)
            con.execute(f"delete from {table} where id = ?", [row["id"]])
            cols = list(merged)
            quoted = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join("?" for _ in cols)
            con.execute(
                f"insert into {table} ({quoted}) values ({marks})", [merged[c] for c in cols]
            )

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        with self.connect() as con:
            for row in rows:
                cols = list(row)
                quoted = ", ".join(f'"{c}"' for c in cols)
                marks = ", ".join("?" for _ in cols)
                con.execute(f"insert into {table} ({quoted}) values ({marks})", list(row.values()))

    def replace(self, table: str, rows: list[dict[str, Any]]) -> None:
        with self.connect() as con:
            con.execute(f"delete from {table}")
        self.insert(table, rows)

    def set_modes(self, **modes: str) -> None:
        """Set the objects' sync modes; an object not named is off."""
        unknown = set(modes) - set(OBJECTS)
        assert not unknown, f"not objects: {sorted(unknown)}"
        self.replace(
            "crmsync_settings.objects",
            [{"object": name, "mode": modes.get(name, "off")} for name in OBJECTS],
        )

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with self.connect() as con:
            cursor = con.execute(sql, params or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def row(self, table: str, id_: Any) -> dict[str, Any]:
        rows = self.query(f"select * from {table} where id = ?", [id_])
        assert rows, f"no row {id_} in {table}"
        return rows[0]

    def dbt_run(self, *args: str) -> DbtResult:
        """Run dbt on this warehouse; return its exit code, output and invocation id."""
        env = {
            **os.environ,
            "CRMSYNC_WAREHOUSE": str(self.path),
            "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
            "DBT_TARGET_PATH": str(self.target_dir),
            "DBT_LOG_PATH": str(self.target_dir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        proc = subprocess.run(
            # run_results.json gives the run id (the cycle's commands do not write it)
            [str(self.dbt), *args, "--write-json", "--project-dir", str(PROJECT_DIR)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        invocation_id = None
        results = self.target_dir / "run_results.json"
        if results.exists():
            invocation_id = json.loads(results.read_text())["metadata"]["invocation_id"]
        return DbtResult(proc.returncode, proc.stdout + proc.stderr, invocation_id)
