"""Incremental extraction against a dedicated ForceManager sandbox over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from tap_forcemanager.streams import EXTRA_FIELD_RESOURCES
from tap_forcemanager.tap import TapForceManager


def tap_config(box, **overrides: Any) -> dict[str, Any]:
    return {
        "base_url": box.env["FORCEMANAGER_BASE_URL"],
        "public_key": box.env["FORCEMANAGER_PUBLIC_KEY"],
        "private_key": box.env["FORCEMANAGER_PRIVATE_KEY"],
        "start_date": "2000-01-01T00:00:00Z",
        "requests_per_second": 0,
        **overrides,
    }


def run_tap(config, capsys, streams, state=None):
    """Sync the selected streams in-process; return their records and the final state."""
    catalog = TapForceManager(config=config).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    capsys.readouterr()
    TapForceManager(config=config, catalog=catalog, state=state or {}).sync_all()
    messages = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    records = [m["record"] for m in messages if m["type"] == "RECORD"]
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    return records, states[-1]


def account(name: str) -> dict[str, Any]:
    return {"name": name, "branchId": 1, "salesRepId1": 1}


def test_incremental_run_sees_creates_updates_and_deletes_and_nothing_else(box, fm, capsys):
    """After a bookmark, only records changed since (minus the lookback) come back."""
    config = tap_config(box, lookback_seconds=1)
    untouched = fm.create("accounts", account("untouched"))
    time.sleep(2.2)  # older than the next bookmark minus lookback and the second's truncation
    to_update = fm.create("accounts", account("to update"))
    to_delete = fm.create("accounts", account("to delete"))
    first, state = run_tap(config, capsys, {"accounts"})
    assert {r["id"] for r in first} == {untouched, to_update, to_delete}

    time.sleep(2.2)
    fm.update("accounts", to_update, {"phone": "555-0199"})
    fm.delete("accounts", to_delete)
    created = fm.create("accounts", account("created"))
    second, _ = run_tap(config, capsys, {"accounts"}, state)

    by_id = {r["id"]: r for r in second}
    assert set(by_id) == {to_update, to_delete, created}
    assert by_id[to_update]["phone"] == "555-0199"
    assert by_id[to_delete]["deleted"] is True
    assert by_id[created]["dateUpdated"] is None
    assert by_id[created]["dateModified"][:19] == by_id[created]["dateCreated"][:19]
    assert all(r["dateModified"] for r in second)


def test_records_sharing_the_bookmark_timestamp_are_not_lost(box, fm, capsys):
    """A record stamped at (or just before) the bookmark is read again, not skipped."""
    record_id = fm.create("accounts", account("same timestamp"))
    stamped = fm.get_json(f"/accounts/{record_id}")["dateCreated"]
    config = tap_config(box)  # the default lookback window
    moment = datetime.fromisoformat(stamped.replace("Z", "+00:00"))
    late = (moment + timedelta(seconds=0.5)).isoformat()  # committed after the bookmark moved
    for bookmark in (stamped, late):
        state = {
            "bookmarks": {
                "accounts": {"replication_key": "dateModified", "replication_key_value": bookmark}
            }
        }
        records, _ = run_tap(config, capsys, {"accounts"}, state)
        assert record_id in {r["id"] for r in records}


def test_a_quiet_run_does_not_read_the_last_changes_again(box, fm, capsys):
    """The next run starts at the last read's start less the lookback, not at the newest
    record less the lookback: once the lookback has passed, nothing is read twice."""
    config = tap_config(box, lookback_seconds=1)
    fm.create("accounts", account("written before the first read"))
    time.sleep(2.2)  # the write is now older than the lookback window
    first, state = run_tap(config, capsys, {"accounts"})
    assert len(first) == 1
    assert state["bookmarks"]["accounts"]["read_from"] > first[0]["dateModified"]
    second, state_again = run_tap(config, capsys, {"accounts"}, state)
    assert second == []
    read_from = state["bookmarks"]["accounts"]["read_from"]
    assert state_again["bookmarks"]["accounts"]["read_from"] > read_from


def test_a_change_committed_during_the_last_read_is_not_lost(box, fm, capsys):
    """A record stamped before the newest record seen, but after the last read started (it
    was committed late), is read by the next run."""
    late = fm.create("accounts", account("committed late"))
    stamped = fm.get_json(f"/accounts/{late}")["dateCreated"]
    moment = datetime.fromisoformat(stamped.replace("Z", "+00:00"))
    state = {
        "bookmarks": {
            "accounts": {
                "replication_key": "dateModified",
                # a record stamped well after the late one was seen by the last read
                "replication_key_value": (moment + timedelta(seconds=600)).isoformat(),
                "read_from": (moment - timedelta(seconds=1)).isoformat(),
            }
        }
    }
    records, _ = run_tap(tap_config(box), capsys, {"accounts"}, state)
    assert late in {r["id"] for r in records}


def test_events_and_tasks_split_the_calendar(box, fm, capsys):
    """Calendar entries go to `events` or `tasks` by their task flag."""
    event = fm.create("calendar", {"subject": "meeting", "task": False, "salesRepId": 1})
    task = fm.create("calendar", {"subject": "call back", "task": True, "salesRepId": 1})
    records, _ = run_tap(tap_config(box), capsys, {"events"})
    assert [r["id"] for r in records] == [event]
    records, _ = run_tap(tap_config(box), capsys, {"tasks"})
    assert [r["id"] for r in records] == [task]


def test_full_refresh_reads_every_record(box, fm, capsys):
    """Without a replication key, a run reads every record, deleted ones included."""
    ids = {fm.create("accounts", account(f"full {n}")) for n in range(3)}
    fm.delete("accounts", min(ids))
    config = tap_config(box, page_size=2)  # also pages past a full page
    catalog = TapForceManager(config=config).catalog_dict
    for entry in catalog["streams"]:
        entry["replication_method"] = "FULL_TABLE"
        entry.pop("replication_key", None)
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] == "accounts"
                metadata["metadata"]["forced-replication-method"] = "FULL_TABLE"
                metadata["metadata"].pop("replication-key", None)
    capsys.readouterr()
    state = {"bookmarks": {"accounts": {"replication_key_value": "2999-01-01T00:00:00Z"}}}
    TapForceManager(config=config, catalog=catalog, state=state).sync_all()
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line)["record"] for line in lines if '"RECORD"' in line]
    assert {r["id"] for r in records} == ids


def test_full_refresh_setting_ignores_the_bookmark(box, fm, capsys):
    """`full_refresh: true` (the initial sync's extractor) reads past a bookmark in the future."""
    created = fm.create("accounts", account("read again"))
    state = {
        "bookmarks": {
            "accounts": {
                "replication_key": "dateModified",
                "replication_key_value": "2999-01-01T00:00:00Z",
            }
        }
    }
    records, _ = run_tap(tap_config(box), capsys, {"accounts"}, state)
    assert created not in {r["id"] for r in records}
    records, _ = run_tap(tap_config(box, full_refresh=True), capsys, {"accounts"}, state)
    assert created in {r["id"] for r in records}


def test_value_lists_are_read_again_only_after_the_refresh_interval(box, capsys):
    """A run within `lookup_refresh_minutes` of the last read costs no call for the list."""
    streams = {"branches", "currencies"}
    records, state = run_tap(tap_config(box), capsys, streams)
    assert records
    box.reset_calls("forcemanager")
    again, state_again = run_tap(tap_config(box), capsys, streams, state)
    assert again == []
    assert not [r for r in box.calls("forcemanager")["by_route"] if "branches" in r]
    assert state_again["bookmarks"]["branches"] == state["bookmarks"]["branches"]

    refreshed, _ = run_tap(tap_config(box, lookup_refresh_minutes=0), capsys, streams, state)
    assert len(refreshed) == len(records)
    forced, _ = run_tap(tap_config(box, full_refresh=True), capsys, streams, state)
    assert len(forced) == len(records)


def test_wrong_key_exits_non_zero_without_leaking_it(box, tmp_path):
    """A run with a wrong private key fails clearly and never prints either key."""
    config = tap_config(box, private_key="wrong-key-24680")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tap_forcemanager", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "401" in done.stderr
    assert "wrong-key-24680" not in done.stderr + done.stdout
    assert box.env["FORCEMANAGER_PUBLIC_KEY"] not in done.stderr + done.stdout


def run_without_catalog(config, capsys, state=None):
    """Sync every stream in-process, discovering as Meltano runs the tap (no catalog).

    Returns:
        The messages, and the last state.
    """
    capsys.readouterr()
    TapForceManager(config=config, state=state or {}).sync_all()
    messages = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return messages, [m["value"] for m in messages if m["type"] == "STATE"][-1]


def rows(messages, stream):
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]


def metadata_reads(box) -> dict[str, int]:
    """Calls per metadata path: `/<resource>/schema` and `/extrafields/<resource>`."""
    routes = box.calls("forcemanager")["by_route"]
    return {r: n for r, n in routes.items() if r.endswith("/schema") or "/extrafields/" in r}


def test_a_quiet_run_reads_no_metadata_and_reports_no_definitions(box, fm, capsys):
    """Schemas (with the extra-field definitions) are kept in the state for
    schema_refresh_minutes: a later run reads records only, and emits no definitions."""
    config = tap_config(box)
    messages, state = run_without_catalog(config, capsys)
    assert set(state["bookmarks"]["accounts"]["schema"]) == {"read_at", "schema"}
    assert rows(messages, "extra_fields")
    limits = {(r["resource"], r["field"]): r for r in rows(messages, "fields")}
    assert limits[("activities", "comment")]["max_length"] == 6000
    assert limits[("activities", "date")]["required"] is True
    assert limits[("calendar", "comment")]["required"] is False
    assert limits[("accounts", "id")]["max_length"] is None

    box.reset_calls("forcemanager")
    messages, state = run_without_catalog(config, capsys, state)
    assert metadata_reads(box) == {}
    assert rows(messages, "extra_fields") == []
    assert rows(messages, "fields") == []

    box.reset_calls("forcemanager")
    run_without_catalog({**config, "schema_refresh_minutes": 0}, capsys, state)
    reads = metadata_reads(box)
    assert reads == {
        **{f"GET /api/v4/{r}/schema": 1 for r in EXTRA_FIELD_RESOURCES},
        **{f"GET /api/v4/extrafields/{r}": 1 for r in EXTRA_FIELD_RESOURCES},
    }


def test_a_record_with_a_new_extra_field_makes_its_resource_schema_be_read_again(box, fm, capsys):
    """An extra field created after the schema was kept: the first record carrying it makes
    the tap read that resource's schema and definitions again, announce the field in a SCHEMA
    message before the record, keep its value, report the definitions and keep the schema."""
    config = tap_config(box)
    _, state = run_without_catalog(config, capsys)

    fm.create_extra_field("accounts", {"entity": "accounts", "fieldName": "Tier", "type": "text"})
    record_id = fm.create("accounts", {**account("tiered"), "Z_Tier": "Gold"})
    box.reset_calls("forcemanager")
    messages, state = run_without_catalog(config, capsys, state)

    assert metadata_reads(box) == {
        "GET /api/v4/accounts/schema": 1,
        "GET /api/v4/extrafields/accounts": 1,
    }
    accounts = [m for m in messages if m.get("stream") == "accounts"]
    schemas = [i for i, m in enumerate(accounts) if m["type"] == "SCHEMA"]
    first_record = next(i for i, m in enumerate(accounts) if m["type"] == "RECORD")
    assert "Z_Tier" not in accounts[schemas[0]]["schema"]["properties"]
    assert "Z_Tier" in accounts[schemas[-1]]["schema"]["properties"]
    assert schemas[-1] < first_record
    assert {r["id"]: r.get("Z_Tier") for r in rows(messages, "accounts")}[record_id] == "Gold"
    assert {d["fieldName"] for d in rows(messages, "extra_fields")} >= {"Tier"}
    assert {d["resource"] for d in rows(messages, "extra_fields")} == {"accounts"}
    assert "Z_Tier" in state["bookmarks"]["accounts"]["schema"]["schema"]["properties"]

    fm.update("accounts", record_id, {"Z_Tier": "Silver"})
    box.reset_calls("forcemanager")
    messages, _ = run_without_catalog(config, capsys, state)
    assert metadata_reads(box) == {}
    assert {r["id"]: r.get("Z_Tier") for r in rows(messages, "accounts")}[record_id] == "Silver"


def test_a_new_extra_field_is_kept_when_a_catalog_is_given(box, fm, capsys):
    """A run given a catalog made before the field existed keeps its values too."""
    config = tap_config(box)
    catalog = TapForceManager(config=config).catalog_dict
    fm.create_extra_field("accounts", {"entity": "accounts", "fieldName": "Tier", "type": "text"})
    record_id = fm.create("accounts", {**account("tiered"), "Z_Tier": "Gold"})
    capsys.readouterr()
    TapForceManager(config=config, catalog=catalog, state={}).sync_all()
    messages = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["id"]: r.get("Z_Tier") for r in rows(messages, "accounts")}[record_id] == "Gold"
