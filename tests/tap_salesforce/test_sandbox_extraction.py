"""tap-salesforce against the HTTPS sandbox: incremental reads, deletes, Bulk 2.0, budget."""

from __future__ import annotations

import copy
import logging
import re
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests
from crmsync_common.progress import INTERVAL_VARIABLE
from crmsync_sandbox.testing import SandboxProcess
from salesforce_client import SalesforceClient

from tests.tap_salesforce.tap_helpers import run_tap, sandbox_config


def _create_accounts(client: SalesforceClient, names: list[str]) -> list[str]:
    records = [{"attributes": {"type": "Account"}, "Name": name} for name in names]
    results = client.request(
        "POST", "composite/sobjects", json={"allOrNone": False, "records": records}
    ).json()
    return [result["id"] for result in results]


def test_incremental_run_brings_updates_and_deletes(
    https: SandboxProcess, client: SalesforceClient
) -> None:
    """After a first run, the next one reads the changed record and the deleted one."""
    tag = uuid.uuid4().hex[:8]
    updated_id, deleted_id = _create_accounts(client, [f"upd-{tag}", f"del-{tag}"])
    config = sandbox_config(https, objects=["Account"], lookback_seconds=0)
    first = run_tap(config)
    assert {updated_id, deleted_id} <= {r["Id"] for r in first.records["Account"]}

    client.request("PATCH", f"sobjects/Account/{updated_id}", json={"Name": f"renamed-{tag}"})
    client.request("DELETE", f"sobjects/Account/{deleted_id}")
    second = run_tap(config, state=first.state)

    by_id = {r["Id"]: r for r in second.records["Account"]}
    assert by_id[updated_id]["Name"] == f"renamed-{tag}"
    assert by_id[updated_id]["IsDeleted"] is False
    assert by_id[deleted_id]["IsDeleted"] is True
    assert len(second.records["Account"]) < len(first.records["Account"])


def test_records_sharing_the_bookmark_timestamp_are_not_lost(
    https: SandboxProcess, client: SalesforceClient
) -> None:
    """Every record stamped exactly at the bookmark is read again, not skipped."""
    tag = uuid.uuid4().hex[:8]
    ids = set(_create_accounts(client, [f"same-{tag}-{i}" for i in range(150)]))
    stamps = {
        r["Id"]: r["SystemModstamp"]
        for r in client.query(
            f"SELECT Id, SystemModstamp FROM Account WHERE Name LIKE 'same-{tag}-%'"
        )
    }
    shared, count = Counter(stamps.values()).most_common(1)[0]
    assert count > 1, "the sandbox stamps a 150-record call within few milliseconds"
    state = {
        "bookmarks": {
            "Account": {"replication_key": "SystemModstamp", "replication_key_value": shared}
        }
    }
    run = run_tap(sandbox_config(https, objects=["Account"], lookback_seconds=0), state=state)
    read = {r["Id"] for r in run.records["Account"]}
    sharing = {i for i, stamp in stamps.items() if stamp == shared}
    assert sharing <= read
    assert sharing <= ids


def test_a_quiet_run_does_not_read_the_last_changes_again(
    https: SandboxProcess, client: SalesforceClient
) -> None:
    """The next run starts at the last read's start less the lookback, not at the newest
    record less the lookback: once the lookback has passed, nothing is read twice."""
    _create_accounts(client, [f"quiet-{uuid.uuid4().hex[:8]}"])
    time.sleep(2.2)  # the write is now older than the lookback window
    config = sandbox_config(https, objects=["Account"], lookback_seconds=1)
    first = run_tap(config)
    assert first.records["Account"]
    second = run_tap(config, state=first.state)
    assert second.records.get("Account", []) == []
    assert (
        second.state["bookmarks"]["Account"]["read_from"]
        > first.state["bookmarks"]["Account"]["read_from"]
    )


def test_bulk_path_equals_rest_path(own_sandbox: SandboxProcess) -> None:
    """Bulk API 2.0 yields exactly the records REST paging yields, typed the same."""
    objects = ["Account", "Contact", "Opportunity", "Task", "Event", "User"]
    rest = run_tap(sandbox_config(own_sandbox, objects=objects, query_api="rest"))
    bulk = run_tap(sandbox_config(own_sandbox, objects=objects, query_api="bulk"))
    for name in objects:
        assert rest.records[name], name
        assert sorted(rest.records[name], key=lambda r: r["Id"]) == sorted(
            bulk.records[name], key=lambda r: r["Id"]
        ), name


def test_a_forced_bulk_read_knows_its_total(
    https: SandboxProcess, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With query_api=bulk no REST page gives `totalSize`: the finished query job's
    `numberRecordsProcessed` is the progress lines' total."""
    monkeypatch.setenv(INTERVAL_VARIABLE, "0.000001")  # a line per record
    caplog.set_level(logging.INFO)
    run = run_tap(sandbox_config(https, objects=["User"], query_api="bulk"))
    count = len(run.records["User"])
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("User: ")]
    assert count > 1
    assert lines[-1].startswith(f"User: {count:,} records done in ")
    assert lines[:-1]
    for line in lines[:-1]:
        assert re.fullmatch(rf"User: [\d,]+ of {count:,} records \(\d+%\), .* left", line), line


def test_auto_mode_switches_to_bulk_above_threshold(own_sandbox: SandboxProcess) -> None:
    """Above bulk_threshold, query_api=auto reads through a Bulk 2.0 query job."""
    config = sandbox_config(own_sandbox, objects=["Account"], bulk_threshold=5)
    run = run_tap(config)
    routes = own_sandbox.calls("salesforce")["by_route"]
    assert run.records["Account"]
    assert routes.get("POST /services/data/v62.0/jobs/query") == 1


def _data_calls(sandbox: SandboxProcess) -> dict[str, int]:
    routes = sandbox.calls("salesforce")["by_route"]
    return {route: n for route, n in routes.items() if "oauth2" not in route}


def _reset_calls(sandbox: SandboxProcess) -> None:
    requests.post(sandbox.root_url("salesforce") + "/__sandbox/calls/reset", timeout=10)


def _aged(state: dict, key: str, minutes: int) -> dict:
    """A copy of a state whose kept Account describe has `key` (read_at, checked_at) set
    `minutes` ago."""
    state = copy.deepcopy(state)
    moment = datetime.now(UTC) - timedelta(minutes=minutes)
    state["bookmarks"]["Account"]["describe"][key] = moment.isoformat()
    return state


def test_quiet_run_costs_one_query_per_object(own_sandbox: SandboxProcess) -> None:
    """With nothing changed, a run within metadata_check_minutes of the describes costs one
    query per object and nothing else; past it, one describe-global call too (304), whose
    answer renews the check; with schema_refresh_minutes 0, the run describes."""
    objects = ["Account", "Contact"]
    config = sandbox_config(own_sandbox, objects=objects)
    first = run_tap(config)
    assert set(first.state["bookmarks"]["Account"]["describe"]) == {"read_at", "describe"}
    _reset_calls(own_sandbox)
    second = run_tap(config, state=first.state)
    assert _data_calls(own_sandbox) == {"GET /services/data/v62.0/queryAll": 2}
    assert second.schemas == first.schemas
    assert (
        second.state["bookmarks"]["Account"]["describe"]
        == (first.state["bookmarks"]["Account"]["describe"])
    )

    _reset_calls(own_sandbox)
    checked = run_tap(config, state=_aged(second.state, "read_at", 61))
    assert _data_calls(own_sandbox) == {
        "GET /services/data/v62.0/sobjects": 1,
        "GET /services/data/v62.0/queryAll": 2,
    }
    kept = checked.state["bookmarks"]["Account"]["describe"]
    assert datetime.now(UTC) - datetime.fromisoformat(kept["checked_at"]) < timedelta(minutes=1)
    assert kept["describe"] == first.state["bookmarks"]["Account"]["describe"]["describe"]
    _reset_calls(own_sandbox)
    run_tap(config, state=checked.state)
    assert _data_calls(own_sandbox) == {"GET /services/data/v62.0/queryAll": 2}

    _reset_calls(own_sandbox)
    run_tap({**config, "schema_refresh_minutes": 0}, state=first.state)
    assert _data_calls(own_sandbox) == {
        "GET /services/data/v62.0/sobjects/Account/describe": 1,
        "GET /services/data/v62.0/sobjects/Contact/describe": 1,
        "GET /services/data/v62.0/queryAll": 2,
    }


def _create_segment_field(config: dict) -> None:
    SalesforceClient.from_config(config).request(
        "POST",
        "tooling/sobjects/CustomField",
        json={
            "FullName": "Account.Segment__c",
            "Metadata": {"label": "Segment", "type": "Text", "length": 40},
        },
    )


def test_new_field_arrives_in_the_next_run_and_old_describes_are_renewed(
    own_sandbox: SandboxProcess,
) -> None:
    """A field created after the describes were kept changes the org's metadata: the next
    run that asks (every run with metadata_check_minutes 0) describes again and reads the
    field for every record. Describes older than schema_refresh_minutes are renewed even
    without a change."""
    config = sandbox_config(own_sandbox, objects=["Account"], metadata_check_minutes=0)
    first = run_tap(config)
    _create_segment_field(config)
    after = run_tap(config, state=first.state)
    assert "Segment__c" in after.schemas["Account"]["properties"]
    assert len(after.records["Account"]) == len(first.records["Account"])
    assert all("Segment__c" in record for record in after.records["Account"])

    _reset_calls(own_sandbox)
    run_tap(config, state=_aged(after.state, "read_at", 1441))
    assert _data_calls(own_sandbox) == {
        "GET /services/data/v62.0/sobjects/Account/describe": 1,
        "GET /services/data/v62.0/queryAll": 1,
    }


def test_a_field_created_between_metadata_checks_reaches_every_record_at_the_next_check(
    own_sandbox: SandboxProcess,
) -> None:
    """Within metadata_check_minutes a new field is not asked about; the first run past it
    describes again and reads every record with the field, those changed in between too."""
    config = sandbox_config(own_sandbox, objects=["Account"])
    client = SalesforceClient.from_config(config)
    first = run_tap(config)
    _create_segment_field(config)
    record_id = first.records["Account"][0]["Id"]
    client.request("PATCH", f"sobjects/Account/{record_id}", json={"Segment__c": "Retail"})

    within = run_tap(config, state=first.state)
    assert "Segment__c" not in within.schemas["Account"]["properties"]
    assert [r["Id"] for r in within.records["Account"]] == [record_id]

    past = run_tap(config, state=_aged(within.state, "read_at", 61))
    assert "Segment__c" in past.schemas["Account"]["properties"]
    assert len(past.records["Account"]) == len(first.records["Account"])
    segments = {r["Id"]: r["Segment__c"] for r in past.records["Account"]}
    assert segments[record_id] == "Retail"


def test_a_field_deleted_since_the_kept_describe_is_described_again(
    own_sandbox: SandboxProcess,
) -> None:
    """The query of a kept describe naming a field the org no longer has fails; the tap
    describes the object again and reads the records without it."""
    config = sandbox_config(own_sandbox, objects=["Account"])
    first = run_tap(config)
    state = copy.deepcopy(first.state)
    kept = state["bookmarks"]["Account"]["describe"]["describe"]
    kept["fields"].append({"name": "Gone__c", "type": "string", "custom": True})
    run = run_tap(config, state=state)
    assert run.exit_code == 0
    assert len(run.records["Account"]) == len(first.records["Account"])
    assert all("Gone__c" not in record for record in run.records["Account"])
    fresh = run.state["bookmarks"]["Account"]["describe"]["describe"]["fields"]
    assert "Gone__c" not in {field["name"] for field in fresh}


def test_budget_guard_stops_with_resumable_state(own_sandbox: SandboxProcess) -> None:
    """Past the run's API share the tap exits 2 with a clear message; its state resumes."""
    requests.post(
        own_sandbox.root_url("salesforce") + "/__sandbox/salesforce/limits",
        json={"max": 100, "used": 0},
        timeout=10,
    )
    objects = ["Account", "Contact"]
    # Two describes and the Account query fit in 2.5 calls' worth; the Contact query does not.
    stopped = run_tap(sandbox_config(own_sandbox, objects=objects, max_api_share_per_run=0.025))
    assert stopped.exit_code == 2
    assert stopped.records.get("Account")
    assert not stopped.records.get("Contact")
    assert stopped.state["bookmarks"]["Account"]["replication_key_value"]
    assert "Contact" not in stopped.state["bookmarks"] or not stopped.state["bookmarks"][
        "Contact"
    ].get("replication_key_value")

    resumed = run_tap(sandbox_config(own_sandbox, objects=objects), state=stopped.state)
    assert resumed.exit_code == 0
    assert resumed.records.get("Contact")
    assert len(resumed.records.get("Account", [])) < len(stopped.records["Account"])


def test_new_field_is_read_for_every_record_even_with_a_cached_catalog(
    own_sandbox: SandboxProcess,
) -> None:
    """A field added after the catalog and the bookmark arrives for all records (with
    every run describing)."""
    config = sandbox_config(own_sandbox, objects=["Account"], schema_refresh_minutes=0)
    catalog = TapSalesforceCatalog.discover(config)
    first = run_tap(config, catalog=catalog)
    client = SalesforceClient.from_config(config)
    client.request(
        "POST",
        "tooling/sobjects/CustomField",
        json={
            "FullName": "Account.Region__c",
            "Metadata": {"label": "Region", "type": "Text", "length": 80},
        },
    )
    second = run_tap(config, state=first.state, catalog=catalog)
    assert "Region__c" in second.schemas["Account"]["properties"]
    assert len(second.records["Account"]) == len(first.records["Account"])
    assert all("Region__c" in record for record in second.records["Account"])


class TapSalesforceCatalog:
    """Discovery in process, as Meltano caches it."""

    @staticmethod
    def discover(config: dict) -> dict:
        """Return the catalog a discovery run writes."""
        from tap_salesforce.tap import TapSalesforce  # noqa: PLC0415

        return TapSalesforce(config=config, parse_env_config=False).catalog_dict
