"""target-forcemanager against the ForceManager sandbox over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def row(
    run_id: str,
    action: str,
    *,
    sf: str | None = None,
    fm: int | None = None,
    fields: dict[str, Any] | None = None,
    refs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One publish row."""
    return {
        "run_id": run_id,
        "action": action,
        "salesforce_id": sf,
        "forcemanager_id": fm,
        "fields": fields or {},
        "refs": refs or {},
    }


def account_fields(name: str, ext_id: str | None = None) -> dict[str, Any]:
    """The required fields of an account."""
    fields: dict[str, Any] = {"name": name, "branchId": 1, "salesRepId1": 1}
    if ext_id:
        fields["extId"] = ext_id
    return fields


def test_creates_updates_deletes_land_with_refs_and_partial_updates(
    fm, config, run_target, run_id, sync_log
):
    """Creates (with a ref to a new account), a partial update and a delete all land."""
    existing = fm.create("accounts", {**account_fields(f"{run_id} old"), "comment": "keep me"})
    doomed = fm.create("accounts", account_fields(f"{run_id} doomed"))
    sf_account, sf_contact = f"{run_id}A", f"{run_id}C"
    new_fields = account_fields(f"{run_id} new", sf_account)
    contact_fields = {"firstName": "Ada", "lastName": run_id, "salesRepId": 1, "extId": sf_contact}
    rows = {
        "accounts": [
            row(run_id, "create", sf=sf_account, fields=new_fields),
            row(run_id, "update", sf=f"{run_id}U", fm=existing, fields={"phone": "555-0101"}),
            row(run_id, "delete", sf=f"{run_id}D", fm=doomed),
        ],
        "contacts": [
            row(
                run_id,
                "create",
                sf=sf_contact,
                fields=contact_fields,
                refs={"accountId": {"object": "accounts", "salesforce_id": sf_account}},
            )
        ],
    }
    run_target(config, rows)

    new_account = fm.find_by_ext_ids("accounts", [sf_account])[sf_account]
    contact_id = fm.find_by_ext_ids("contacts", [sf_contact])[sf_contact]
    assert fm.get_json(f"/accounts/{new_account}")["name"] == f"{run_id} new"
    assert fm.get_json(f"/contacts/{contact_id}")["accountId"]["id"] == new_account
    updated = fm.get_json(f"/accounts/{existing}")
    assert updated["phone"] == "555-0101"
    assert updated["comment"] == "keep me"  # a partial update leaves other fields alone
    assert updated["name"] == f"{run_id} old"
    assert fm.get_json(f"/accounts/{doomed}")["deleted"] is True

    lines = sync_log(Path(config["sync_log_dir"]), run_id)
    outcomes = {(line["object"], line["action"], line["status"]) for line in lines}
    assert outcomes == {
        ("accounts", "create", "success"),
        ("accounts", "update", "success"),
        ("accounts", "delete", "success"),
        ("contacts", "create", "success"),
    }
    assert {line["direction"] for line in lines} == {"sf_to_fm"}
    by_sf = {line["salesforce_id"]: line["forcemanager_id"] for line in lines}
    assert by_sf[sf_account] == new_account
    assert by_sf[sf_contact] == contact_id


def test_rerun_of_the_same_input_creates_no_duplicates(fm, config, run_target, run_id, sync_log):
    """A second run of the same creates links the records the first run made."""
    ids = [f"{run_id}{n}" for n in range(3)]
    rows = {"accounts": [row(run_id, "create", sf=i, fields=account_fields(i, i)) for i in ids]}
    run_target(config, rows)
    first = fm.find_by_ext_ids("accounts", ids)
    run_target(config, rows)

    matches = [
        record
        for page in fm.iter_pages("/accounts", where=f"extId LIKE '{run_id}%'")
        for record in page
    ]
    assert len(matches) == 3
    assert fm.find_by_ext_ids("accounts", ids) == first
    lines = sync_log(Path(config["sync_log_dir"]), run_id)
    assert len(lines) == 6
    assert all(line["status"] == "success" for line in lines)
    assert {line["forcemanager_id"] for line in lines[3:]} == set(first.values())


def test_a_rejected_record_is_logged_with_the_api_error_and_the_rest_succeed(
    fm, config, run_target, run_id, sync_log
):
    """A create missing a required field fails alone, with the API's message in the log."""
    good, bad, orphan = f"{run_id}G", f"{run_id}B", f"{run_id}O"
    rows = {
        "accounts": [
            row(run_id, "create", sf=bad, fields={"branchId": 1, "salesRepId1": 1, "extId": bad}),
            row(run_id, "create", sf=good, fields=account_fields(good, good)),
        ],
        "contacts": [
            row(
                run_id,
                "create",
                sf=orphan,
                fields={"firstName": "No", "lastName": "Parent", "salesRepId": 1},
                refs={"accountId": {"object": "accounts", "salesforce_id": f"{run_id}missing"}},
            )
        ],
    }
    run_target(config, rows)

    lines = {line["salesforce_id"]: line for line in sync_log(Path(config["sync_log_dir"]), run_id)}
    assert lines[good]["status"] == "success"
    assert fm.find_by_ext_ids("accounts", [good])
    assert lines[bad]["status"] == "error"
    assert lines[bad]["error_code"]
    assert "name" in lines[bad]["error_message"]
    assert lines[orphan]["status"] == "error"
    assert lines[orphan]["error_code"] == "unresolved_reference"
    assert not fm.find_by_ext_ids("accounts", [bad])


def test_extra_field_definitions_as_published_are_created_before_records(
    fm, config, run_target, run_id
):
    """A definition row (resource, fieldName, type, values as JSON text) creates the field,
    and records of the same run may already carry its value."""
    name = f"Tier{run_id[-6:]}"
    rows = {
        "extra_fields": [
            {
                "run_id": run_id,
                "resource": "accounts",
                "fieldName": name,
                "type": "list",
                "values": '["Gold", "Silver"]',
            }
        ],
        "accounts": [
            row(
                run_id,
                "create",
                sf=f"{run_id}X",
                fields={**account_fields(f"{run_id} tiered", f"{run_id}X"), f"Z_{name}": "Gold"},
            )
        ],
    }
    run_target(config, rows)

    definitions = {d["fieldName"]: d for d in fm.extra_fields("accounts")}
    assert definitions[name]["type"] == "list"
    found = fm.find_by_ext_ids("accounts", [f"{run_id}X"])
    record = fm.get_json(f"/accounts/{found[f'{run_id}X']}")
    assert record[f"Z_{name}"] == "Gold"
