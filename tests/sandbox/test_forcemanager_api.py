"""The ForceManager sandbox over real HTTP: auth, lists, paging, where/order, CRUD, schema."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$")


def new_account(fm, **fields) -> int:
    """Create an account with the required fields plus `fields`."""
    return fm.create("accounts", {"name": "Test Account", "branchId": 1, **fields})


# -- login and sessions ----------------------------------------------------------------------------


def test_login_with_the_api_keys_returns_an_opaque_token(fm):
    response = fm.login()
    assert response.status_code == 200
    token = response.json()["token"]
    assert isinstance(token, str)
    assert len(token) >= 32


def test_several_tokens_are_valid_at_once(fm):
    first = fm.login().json()["token"]
    second = fm.login().json()["token"]
    assert first != second
    assert fm.get("/users", token=first).status_code == 200
    assert fm.get("/users", token=second).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("wrong-public", None), (None, "wrong-private"), ("", "")],
)
def test_login_with_bad_keys_is_a_401_json(fm, username, password):
    if username == "":
        response = fm.http.post(f"{fm.base}/login", json={}, timeout=10)
    else:
        response = fm.login(username, password)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert "token" not in response.json()


@pytest.mark.parametrize("token", ["", "not-a-session-key"])
def test_a_missing_or_bad_session_key_is_a_401_with_code_2(fm, token):
    response = fm.get("/accounts", token=token)
    assert response.status_code == 401
    assert response.json()["code"] == "2"
    assert response.json()["message"]


# -- lists and paging ------------------------------------------------------------------------------


def test_a_list_pages_by_50_by_default_with_no_duplicates_or_gaps(fm):
    """More than two default pages of records: full pages of 50, the rest, then `[]`; walked
    page by page they are the whole list (id order) once, with no record repeated or left out."""
    event = {"task": False, "startDate": "2024-05-01 09:00:00"}
    for n in range(len(ids(fm, "calendar")), 2 * 50 + 7):
        fm.create("calendar", {**event, "subject": f"Paging {n}"})
    everything = ids(fm, "calendar")
    assert 2 * 50 < len(everything) < 1000
    pages: list[list[int]] = []
    while not pages or pages[-1]:
        body = fm.ok("GET", "/calendar", params={"page": len(pages)})  # no page size header
        assert isinstance(body, list)
        pages.append([row["id"] for row in body])
        assert len(pages) <= len(everything) // 50 + 2, "paging never ended"
    full, rest = divmod(len(everything), 50)
    assert [len(page) for page in pages] == [50] * full + ([rest] if rest else []) + [0]
    walked = [record_id for page in pages for record_id in page]
    assert walked == everything
    assert len(set(walked)) == len(walked)


@pytest.mark.parametrize("header", ["Count", "X-FM-Entity-Count", "count", "x-fm-entity-count"])
def test_page_size_comes_from_either_header_in_any_case(fm, header):
    response = fm.get("/users", headers={header: "3"})
    assert [user["id"] for user in response.json()] == [1, 2, 3]
    assert response.headers["X-FM-Entity-Count"] == "3"


def test_pages_start_at_0_and_end_with_an_empty_array(fm):
    pages = []
    for page in range(5):
        response = fm.get("/users", params={"page": page}, headers={"Count": "3"})
        assert response.status_code == 200
        pages.append([user["id"] for user in response.json()])
        assert response.headers["X-FM-Page"] == str(page)
    assert pages == [[1, 2, 3], [4, 5, 6], [7, 8], [], []]


def test_paging_headers_tell_the_next_page(fm):
    full = fm.get("/users", params={"page": 0}, headers={"Count": "3"})
    short = fm.get("/users", params={"page": 2}, headers={"Count": "3"})
    assert full.headers["X-FM-Next-Page"] == "1"
    assert short.headers["X-FM-Next-Page"] == "2"
    assert short.headers["X-FM-Prev-Page"] == "1"


def test_page_size_is_capped_at_1000(fm):
    response = fm.get("/accounts", headers={"Count": "5000"})
    assert response.status_code == 200
    assert len(response.json()) <= 1000


@pytest.mark.parametrize(("params", "headers"), [({"page": "-1"}, {}), ({}, {"Count": "x"})])
def test_a_bad_page_or_page_size_is_a_400(fm, params, headers):
    assert fm.get("/accounts", params=params, headers=headers).status_code == 400


def test_lookups_carry_the_salesforce_stage_names_and_a_phone_call_type(fm):
    statuses = [s["descriptionEN"] for s in fm.ok("GET", "/opportunityStatuses")]
    assert statuses == [
        "Prospecting",
        "Qualification",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
    ]
    types = {t["descriptionEN"]: t for t in fm.ok("GET", "/activityTypes")}
    assert types["Phone call"]["phoneCall"] is True


@pytest.mark.parametrize(
    "lookup",
    [
        "branches",
        "accountTypes",
        "accountStatuses",
        "contactTypes",
        "opportunityTypes",
        "countries",
        "currencies",
    ],
)
def test_every_lookup_list_is_served_read_only(fm, lookup):
    rows = fm.ok("GET", f"/{lookup}")
    assert rows
    assert {"id", "descriptionEN", "deleted", "dateCreated"} <= set(rows[0])
    assert fm.request("POST", f"/{lookup}", json={"descriptionEN": "x"}).status_code == 405


def test_users_are_the_demo_users_with_described_references(fm):
    users = fm.ok("GET", "/users")
    assert [(u["name"], u["lastName"]) for u in users][:3] == [
        ("API", "Integration"),
        ("ana ", "GARCIA"),
        ("Bruno", "Keller"),
    ]
    assert users[0]["branches"] == {"id": 1, "description": "Headquarters"}
    assert users[0]["managerId"]["id"] == -1
    assert fm.request("PUT", "/users/1", json={"name": "x"}).status_code == 405


def test_lang_picks_the_label_of_lookup_references(fm):
    account = fm.ok("GET", "/accounts/1", params={"lang": "es"})
    english = fm.ok("GET", "/accounts/1")
    assert english["branchId"]["id"] == account["branchId"]["id"]
    assert account["typeId"]["value"] in {"Cliente", "Potencial", "Socio", "Distribuidor"}


# -- records ---------------------------------------------------------------------------------------


def test_references_read_as_id_and_value_and_write_as_ints(fm):
    account_id = new_account(fm, name="Ref Test Co", typeId=2, countryId=1)
    account = fm.ok("GET", f"/accounts/{account_id}")
    assert account["typeId"] == {"id": 2, "value": "Prospect"}
    assert account["countryId"] == {"id": 1, "value": "Spain"}
    contact_id = fm.create(
        "contacts", {"firstName": "Rita", "lastName": "Ref", "accountId": account_id}
    )
    contact = fm.ok("GET", f"/contacts/{contact_id}")
    assert contact["accountId"] == {"id": account_id, "value": "Ref Test Co"}


def test_renaming_a_record_relabels_every_reference_to_it(fm):
    account_id = new_account(fm, name="Old Name SA")
    body = {"firstName": "Re", "lastName": "Label", "accountId": account_id}
    contact_id = fm.create("contacts", body)
    fm.ok("PUT", f"/accounts/{account_id}", json={"name": "New Name SA"})
    contact = fm.ok("GET", f"/contacts/{contact_id}")
    assert contact["accountId"] == {"id": account_id, "value": "New Name SA"}


def test_create_sets_audit_fields_and_leaves_date_updated_null(fm):
    record = fm.ok("GET", f"/accounts/{new_account(fm)}")
    assert TIMESTAMP.match(record["dateCreated"])
    assert record["dateUpdated"] is None
    assert record["deleted"] is False
    assert record["dateDeleted"] is None
    assert record["salesRepIdCreated"] == 1


def test_an_omitted_owner_defaults_to_the_api_user(fm):
    record = fm.ok("GET", f"/accounts/{new_account(fm)}")
    assert record["salesRepId1"] == {"id": 1, "value": "API Integration"}


def test_an_explicit_owner_is_kept(fm):
    record = fm.ok("GET", f"/accounts/{new_account(fm, salesRepId1=3)}")
    assert record["salesRepId1"] == {"id": 3, "value": "Bruno Keller"}


def test_put_is_partial_and_sets_date_updated(fm):
    account_id = new_account(fm, city="Girona", phone="+34 600 000 000")
    assert fm.ok("PUT", f"/accounts/{account_id}", json={"city": "Lleida"}) == {
        "Message": "entity updated"
    }
    record = fm.ok("GET", f"/accounts/{account_id}")
    assert record["city"] == "Lleida"
    assert record["phone"] == "+34 600 000 000"
    assert TIMESTAMP.match(record["dateUpdated"])
    # Compared as instants: trimmed fractions make the strings unsortable ("12Z" vs "12.5Z").
    updated = datetime.fromisoformat(record["dateUpdated"])
    assert updated >= datetime.fromisoformat(record["dateCreated"])
    assert record["salesRepIdUpdated"] == 1


def test_delete_is_soft_and_the_row_stays_listed_and_gettable(fm):
    account_id = new_account(fm, name="Soon Deleted Ltd")
    assert fm.ok("DELETE", f"/accounts/{account_id}") == {"Message": "entity deleted"}
    record = fm.ok("GET", f"/accounts/{account_id}")
    assert record["deleted"] is True
    assert TIMESTAMP.match(record["dateDeleted"])
    assert record["salesRepIdDeleted"] == 1
    listed = fm.ok("GET", "/accounts", params={"where": f"id = {account_id}"})
    assert [row["id"] for row in listed] == [account_id]


def test_seeded_data_includes_deleted_rows_and_null_ext_ids(fm):
    contacts = fm.ok("GET", "/contacts", headers={"Count": "1000"}, params={"where": "id <= 25"})
    assert any(c["extId"] is None for c in contacts)
    assert any(c["extId"] is not None for c in contacts)
    deleted = fm.ok("GET", "/calendar", params={"where": "deleted = true"})
    assert all(row["deleted"] for row in deleted)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("record_id", ["999999", "abc"])
def test_a_missing_id_is_a_400_bad_request(fm, method, record_id):
    kwargs = {"json": {"city": "x"}} if method == "PUT" else {}
    response = fm.request(method, f"/accounts/{record_id}", **kwargs)
    assert response.status_code == 400
    assert response.json() == {"Message": "Bad Request"}


@pytest.mark.parametrize(
    ("resource", "body", "field"),
    [
        ("accounts", {"branchId": 1}, "name"),
        ("accounts", {"name": "No Branch"}, "branchId"),
        ("accounts", {"name": "Null Owner", "branchId": 1, "salesRepId1": None}, "salesRepId1"),
        ("contacts", {"firstName": "A", "accountId": 1}, "lastName"),
        ("contacts", {"firstName": "A", "lastName": "B"}, "accountId"),
        ("opportunities", {"reference": "R", "branchId": 1, "statusId": 1}, "salesProbability"),
        ("opportunities", {"reference": "R", "branchId": 1, "salesProbability": 1}, "statusId"),
        ("activities", {"accountId": 1, "typeId": 1}, "date"),
    ],
)
def test_a_missing_required_field_is_a_400_naming_it(fm, resource, body, field):
    response = fm.request("POST", f"/{resource}", json=body)
    assert response.status_code == 400
    assert field in response.json()["Message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"typeId": 999}, "typeId"),
        ({"salesRepId1": 42}, "salesRepId1"),
        ({"countryId": "1"}, "countryId"),
        ({"phone": 12}, "phone"),
        ({"name": "x" * 201}, "name"),
        ({"nonsense": 1}, "nonsense"),
        ({"dateCreated": "2024-01-01 00:00:00"}, "dateCreated"),
    ],
)
def test_bad_values_on_create_are_a_400_naming_the_field(fm, body, field):
    response = fm.request("POST", "/accounts", json={"name": "Bad", "branchId": 1, **body})
    assert response.status_code == 400
    assert field in response.json()["Message"]


def test_a_bad_reference_on_update_is_a_400_and_changes_nothing(fm):
    account_id = new_account(fm, typeId=1)
    response = fm.request("PUT", f"/accounts/{account_id}", json={"typeId": 77})
    assert response.status_code == 400
    record = fm.ok("GET", f"/accounts/{account_id}")
    assert record["typeId"]["id"] == 1
    assert record["dateUpdated"] is None


def test_a_required_field_cannot_be_nulled_by_put(fm):
    account_id = new_account(fm)
    response = fm.request("PUT", f"/accounts/{account_id}", json={"name": None})
    assert response.status_code == 400


def test_a_body_that_is_not_a_json_object_is_a_400(fm):
    response = fm.request("POST", "/accounts", data=b"[1, 2]")
    assert response.status_code == 400


def test_opportunity_quirks_type_id_and_probability_range(fm):
    body = {"reference": "Quirks", "branchId": 1, "salesProbability": 7, "statusId": 2}
    opportunity_id = fm.create("opportunities", {**body, "type_id": 1, "total": 1200.5})
    record = fm.ok("GET", f"/opportunities/{opportunity_id}")
    assert record["type_id"] == {"id": 1, "value": "New business"}
    assert record["total"] == 1200.5
    too_high = fm.request("POST", "/opportunities", json={**body, "salesProbability": 11})
    assert too_high.status_code == 400


def test_contacts_read_use_company_address_with_a_capital_u(fm):
    body = {"firstName": "U", "lastName": "Case", "accountId": 1, "useCompanyAddress": True}
    record = fm.ok("GET", f"/contacts/{fm.create('contacts', body)}")
    assert record["UseCompanyAddress"] is True
    assert "useCompanyAddress" not in record


def test_dates_are_accepted_in_both_forms_and_returned_trimmed_utc(fm):
    body = {"accountId": 1, "typeId": 1, "comment": "dated"}
    plain = fm.create("activities", {**body, "date": "2024-03-05 10:42:12"})
    iso = fm.create("activities", {**body, "date": "2024-03-05T10:42:12.500+01:00"})
    assert fm.ok("GET", f"/activities/{plain}")["date"] == "2024-03-05T10:42:12Z"
    assert fm.ok("GET", f"/activities/{iso}")["date"] == "2024-03-05T09:42:12.5Z"
    bad = fm.request("POST", "/activities", json={**body, "date": "05/03/2024"})
    assert bad.status_code == 400


def test_calendar_holds_events_and_tasks(fm):
    event = {"subject": "Demo", "task": False, "startDate": "2024-05-01 09:00:00"}
    task = {"subject": "Call back", "task": True, "startHour": "09:30", "accountId": 1}
    event_id = fm.create("calendar", event)
    task_id = fm.create("calendar", task)
    assert fm.ok("GET", f"/calendar/{event_id}")["task"] is False
    assert fm.ok("GET", f"/calendar/{task_id}")["task"] is True
    tasks = fm.ok("GET", "/calendar", params={"where": "task = true"}, headers={"Count": "1000"})
    assert tasks
    assert all(row["task"] for row in tasks)
    bad_hour = fm.request("POST", "/calendar", json={"subject": "x", "startHour": "25:00"})
    assert bad_hour.status_code == 400


# -- where and order -------------------------------------------------------------------------------


def ids(fm, resource: str, where: str | None = None, order: str | None = None) -> list[int]:
    """Ids a list returns for a where/order (page size 1000)."""
    params = {key: value for key, value in (("where", where), ("order", order)) if value}
    rows = fm.ok("GET", f"/{resource}", params=params, headers={"Count": "1000"})
    return [row["id"] for row in rows]


@pytest.fixture(scope="module")
def where_accounts(fm):
    """Three accounts with a unique marker in `region`."""
    made = {
        "alpha": new_account(fm, name="Alpha O'Neil", region="WZ", phone="1", typeId=1),
        "beta": new_account(fm, name="beta GmbH", region="WZ", typeId=2),
        "gamma": new_account(fm, name="Gamma", region="WZ", phone="3", typeId=3),
    }
    fm.ok("PUT", f"/accounts/{made['gamma']}", json={"city": "Updated"})
    return made


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("region = 'WZ'", ["alpha", "beta", "gamma"]),
        ("region = 'wz' AND name = 'BETA GMBH'", ["beta"]),
        ("region = \"WZ\" AND typeId = 1", ["alpha"]),
        ("region = 'WZ' AND typeId <> 1", ["beta", "gamma"]),
        ("region = 'WZ' AND typeId != 1 AND typeId >= 3", ["gamma"]),
        ("region = 'WZ' AND name LIKE 'a%'", ["alpha"]),
        ("region = 'WZ' AND name NOT LIKE '%a'", ["alpha", "beta"]),
        ("region = 'WZ' AND name = 'Alpha O''Neil'", ["alpha"]),
        ("region = 'WZ' AND phone IS NULL", ["beta"]),
        ("region = 'WZ' AND phone IS NOT NULL", ["alpha", "gamma"]),
        ("region = 'WZ' AND (typeId = 1 OR typeId = 3)", ["alpha", "gamma"]),
        ("region = 'WZ' AND typeId = 1 OR region = 'WZ' AND typeId = 2", ["alpha", "beta"]),
        ("region = 'WZ' AND NOT (typeId = 2)", ["alpha", "gamma"]),
        ("region = 'WZ' AND typeId IN (2, 3)", ["beta", "gamma"]),
        ("region = 'WZ' AND dateUpdated IS NOT NULL", ["gamma"]),
        ("region = 'WZ' AND deleted = false", ["alpha", "beta", "gamma"]),
        ("region = 'WZ' AND dateCreated > '2000-01-01 00:00:00'", ["alpha", "beta", "gamma"]),
        ("region = 'WZ' AND dateCreated > '2000-01-01T00:00:00Z'", ["alpha", "beta", "gamma"]),
        ("region = 'WZ' AND dateCreated < '2000-01-01T00:00:00.123Z'", []),
        ("region = 'WZ' AND dateCreated > '2999-01-01'", []),
    ],
)  # fmt: skip
def test_where_filters_like_sql(fm, where_accounts, where, expected):
    assert ids(fm, "accounts", where) == [where_accounts[name] for name in expected]


def test_the_incremental_recipe_of_the_reference_works(fm, where_accounts):
    newest = fm.ok("GET", f"/accounts/{where_accounts['gamma']}")["dateUpdated"]
    bookmark = newest.replace("T", " ").rstrip("Z").split(".")[0]
    where = (
        f"(dateUpdated > '{bookmark}' OR (dateUpdated IS NULL AND dateCreated > '{bookmark}')"
        f" OR dateDeleted > '{bookmark}') AND region = 'WZ'"
    )
    assert set(ids(fm, "accounts", where)) <= set(where_accounts.values())


@pytest.mark.parametrize(
    "where",
    [
        "nosuchfield = 1",
        "name = ",
        "name = 'unterminated",
        "(name = 'x'",
        "name === 'x'",
        "typeId = 'abc'",
        "dateCreated > 'yesterday'",
        "name LIKE 5",
        "deleted = maybe",
    ],
)
def test_a_bad_where_is_a_400_with_code_901(fm, where):
    response = fm.get("/accounts", params={"where": where})
    assert response.status_code == 400
    assert response.json() == {"code": "901", "message": "The SQL is not generated correctly"}


def test_extra_fields_can_be_filtered(fm):
    account_id = new_account(fm, Z_Source="where-extra-test")
    assert ids(fm, "accounts", "Z_Source = 'where-extra-test'") == [account_id]


def test_default_order_is_id_ascending(fm, where_accounts):
    assert ids(fm, "accounts", "region = 'WZ'") == sorted(where_accounts.values())


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("name", ["gamma", "beta", "alpha"]),  # a bare field sorts descending, as documented
        ("name DESC", ["gamma", "beta", "alpha"]),
        ("name ASC", ["alpha", "beta", "gamma"]),
        ("phone ASC, name ASC", ["beta", "alpha", "gamma"]),  # nulls first ascending
        ("typeId asc", ["alpha", "beta", "gamma"]),
    ],
)
def test_order_sorts_by_fields(fm, where_accounts, order, expected):
    found = ids(fm, "accounts", "region = 'WZ'", order)
    assert found == [where_accounts[name] for name in expected]


@pytest.mark.parametrize("order", ["nosuchfield", "name SIDEWAYS", "name ASC DESC"])
def test_a_bad_order_is_a_400_with_code_901(fm, order):
    response = fm.get("/accounts", params={"order": order})
    assert response.status_code == 400
    assert response.json()["code"] == "901"


# -- schema and extra fields -----------------------------------------------------------------------


def test_schema_describes_fields_with_types_lengths_and_references(fm):
    schema = fm.ok("GET", "/accounts/schema")
    props = schema["properties"]
    assert props["name"]["type"] == ["string", "null"]
    assert props["name"]["maxLength"] == 200
    assert props["branchId"]["table"] == "branches"
    assert props["branchId"]["type"] == ["object", "null"]
    assert props["dateCreated"]["readOnly"] is True
    assert props["dateCreated"]["format"] == "date-time"
    assert props["Z_Source"]["type"] == ["string", "null"]
    assert set(schema["required"]) == {"name", "branchId", "salesRepId1"}


@pytest.mark.parametrize(
    "resource", ["contacts", "opportunities", "activities", "calendar", "users", "branches"]
)
def test_every_resource_has_a_schema(fm, resource):
    props = fm.ok("GET", f"/{resource}/schema")["properties"]
    assert {"id", "deleted", "dateCreated", "dateUpdated"} <= set(props)


def test_seeded_extra_fields_are_listed(fm):
    fields = {f["fieldName"]: f for f in fm.ok("GET", "/extrafields/accounts")}
    assert fields["Source"]["type"] == "text"
    priority = fm.ok("GET", "/extrafields/opportunities")[0]
    assert priority["values"] == ["High", "Medium", "Low"]


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("text", "some text", 12),
        ("decimal", 12.5, "12.5"),
        ("bit", True, "yes"),
        ("datetime", "2024-01-02 03:04:05", "not a date"),
        ("list", "Blue", "Purple"),
    ],
)
def test_an_extra_field_is_created_then_read_written_and_type_checked(fm, kind, good, bad):
    name = f"Api{kind.title()}Field"
    body = {"entity": "contacts", "fieldName": name, "type": kind}
    if kind == "list":
        body["values"] = ["Red", "Blue"]
    created = fm.ok("POST", "/extrafields/contacts", json=body)
    assert created["Message"] == "entity created"
    listed = fm.ok("GET", "/extrafields/contacts")
    assert name in [d["fieldName"] for d in listed]
    assert f"Z_{name}" in fm.ok("GET", "/contacts/schema")["properties"]
    assert fm.ok("GET", "/contacts/1")[f"Z_{name}"] is None
    contact = {"firstName": "Z", "lastName": kind, "accountId": 1, f"Z_{name}": good}
    record = fm.ok("GET", f"/contacts/{fm.create('contacts', contact)}")
    expected = "2024-01-02T03:04:05Z" if kind == "datetime" else good
    assert record[f"Z_{name}"] == expected
    response = fm.request("POST", "/contacts", json={**contact, f"Z_{name}": bad})
    assert response.status_code == 400
    assert f"Z_{name}" in response.json()["Message"]


@pytest.mark.parametrize(
    "body",
    [
        {"fieldName": "Source", "type": "text"},  # duplicate of a seeded field
        {"fieldName": "source", "type": "text"},  # duplicates ignore case
        {"fieldName": "Bad Name", "type": "text"},
        {"fieldName": "NoType"},
        {"fieldName": "WrongType", "type": "integer"},
        {"fieldName": "EmptyList", "type": "list", "values": []},
        {"entity": "contacts", "fieldName": "WrongEntity", "type": "text"},
    ],
)
def test_a_bad_extra_field_definition_is_a_400(fm, body):
    assert fm.request("POST", "/extrafields/accounts", json=body).status_code == 400


def test_an_unknown_extra_field_key_is_a_400(fm):
    response = fm.request("POST", "/accounts", json={"name": "Z", "branchId": 1, "Z_Nope": "x"})
    assert response.status_code == 400
    assert "Z_Nope" in response.json()["Message"]


def test_extra_fields_of_an_unknown_resource_are_a_400(fm):
    response = fm.get("/extrafields/spaceships")
    assert response.status_code == 400
    assert response.json()["code"] == "910"


def test_an_unknown_path_is_a_json_404(fm):
    response = fm.get("/spaceships")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
