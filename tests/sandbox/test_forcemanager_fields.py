"""The ForceManager sandbox serves the whole record: every field the published API has."""

from __future__ import annotations

import re

import pytest

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$")
AUDIT = {
    "id",
    "deleted",
    "dateCreated",
    "dateUpdated",
    "dateDeleted",
    "salesRepIdCreated",
    "salesRepIdUpdated",
    "salesRepIdDeleted",
}
COMMON = {"extId", "permissionLevel", "readOnly"}
#: Seeded records were created before this instant; the tests' own records after it.
DEMO_EPOCH = "2025-01-01T00:00:00Z"
GEO = {"geocoded", "geocodingAccuracy", "latitude", "longitude"}
ADDRESS = {"address1", "address2", "city", "postcode", "region", "countryId"}

#: The fields of each entity as the API reference (section 11) lists them.
DOCUMENTED = {
    "accounts": {
        "name", "typeId", "statusId", "segmentId", "rateId", "branchId",
        "salesRepId1", "salesRepId2", "salesRepId3", "salesRepId4", "salesRepId5",
        "vatNumber", "email", "phone", "phone2", "phone3", "fax", "website",
        *ADDRESS, "comment", *GEO, "dateGeocoded", "marketingCommunications", "public",
    },
    "contacts": {
        "firstName", "lastName", "accountId", "branchId", "typeId", "salesRepId", "email", "email2",
        "email3", "phone1", "phone2", "fax", "address1", "city", "postcode", "region",
        "countryId", "UseCompanyAddress", "birthday", "gender", "linkedin", "skype", "comment",
        "marketingCommunications",
    },
    "opportunities": {
        "reference", "type_id", "statusId", "total", "currencyId", "accountId1", "accountId2",
        "accountId3", "salesRepId", "branchId", "salesProbability", "salesForecastDate",
        "closedDate", "wonDate", "lostDate", "comments", *ADDRESS, *GEO, "dateGeocoded",
    },
    "activities": {
        "typeId", "date", "accountId", "contactId", "opportunityId", "salesRepId", "comment",
        "checkin", "checkinTypeId", "checkoutDate", *GEO,
    },
    "calendar": {
        "subject", "task", "completed", "allDay", "startDate", "endDate", "startHour",
        "endHour", "reminder", "sendNotification", "typeId", "accountId", "contactId",
        "opportunityId", "branchId", "salesRepId", "comment", "city",
    },
}  # fmt: skip
USERS = {
    "name", "lastName", "nic", "email", "phone", "phoneExtension", "idPrefix", "extId", "level",
    "isActive", "billable", "computeSfm", "branchRestriction", "locale", "dbLanguage",
    "uiLanguage", "lastPasswordChangeDate", "branches", "userTypeId", "managerId", "rateId",
}  # fmt: skip
LOOKUP_EXTRAS = {
    "accountTypes": {"internal", "computeSfm", "visitCycle"},
    "accountStatuses": {"won", "lost"},
    "accountSegments": set(),
    "contactTypes": set(),
    "opportunityTypes": {"defaultStatus"},
    "opportunityStatuses": {"statusDetailsEN", "idParent", "won", "endStatus"},
    "activityTypes": {"automatic", "checkin", "fastCheckin", "phoneCall", "visit", "workflow"},
    "userTypes": set(),
    "branches": {"default", "imperialSystem", "mainEnvironment", "currencyId", "timeZoneId"},
    "countries": {"iso2", "iso3", "isoNum", "phoneCode", "strName"},
    "currencies": {"isoCode", "symbol"},
    "timezones": {"idIanaZone", "shortDescription", "fullDescription"},
    "salesorderStatuses": {"statusDetailsEN", "won", "lost"},
}


@pytest.mark.parametrize("resource", sorted(DOCUMENTED))
def test_schema_and_seeded_records_carry_every_documented_field(fm, resource):
    props = set(fm.ok("GET", f"/{resource}/schema")["properties"])
    expected = DOCUMENTED[resource] | AUDIT | COMMON
    assert expected <= props, sorted(expected - props)
    records = fm.ok("GET", f"/{resource}", headers={"X-Page-Size": "200"})
    assert records
    for record in records:
        assert set(record) >= expected, sorted(expected - set(record))


@pytest.mark.parametrize("lookup", sorted(LOOKUP_EXTRAS))
def test_lookup_lists_carry_their_own_fields(fm, lookup):
    props = set(fm.ok("GET", f"/{lookup}/schema")["properties"])
    common = {"order", "descriptionEN", "descriptionRU", "branchVisibility", "deleted"}
    assert common | LOOKUP_EXTRAS[lookup] <= props
    [first, *_] = fm.ok("GET", f"/{lookup}")
    assert set(first) >= common | LOOKUP_EXTRAS[lookup]


def test_users_carry_every_documented_field(fm):
    assert set(fm.ok("GET", "/users/schema")["properties"]) >= USERS
    for user in fm.ok("GET", "/users"):
        assert set(user) >= USERS
        assert user["rateId"] == {"id": -1, "description": ""}
        assert user["locale"] == "en-GB"


def test_seeded_records_fill_the_new_fields_realistically(fm):
    accounts = fm.ok("GET", "/accounts", headers={"X-Page-Size": "200"})
    geocoded = [a for a in accounts if a["geocoded"]]
    assert geocoded
    assert len(geocoded) < len(accounts)
    for account in geocoded:
        assert -90 <= account["latitude"] <= 90
        assert -180 <= account["longitude"] <= 180
        assert TIMESTAMP.match(account["dateGeocoded"])
    assert any(a["vatNumber"] for a in accounts)
    assert any(a["vatNumber"] is None for a in accounts)
    assert any(a["segmentId"] and a["segmentId"]["value"] for a in accounts)
    contacts = fm.ok("GET", "/contacts", headers={"X-Page-Size": "200"})
    birthdays = [c["birthday"] for c in contacts if c["birthday"]]
    assert birthdays
    assert all(b.endswith("T00:00:00Z") and TIMESTAMP.match(b) for b in birthdays)
    genders = [c["gender"] for c in contacts if c["gender"] is not None]
    assert {g["value"] for g in genders} == {"Male", "Female"}
    assert any(c["address1"] and c["countryId"]["value"] for c in contacts)
    won = [o for o in fm.ok("GET", "/opportunities") if o["statusId"]["value"] == "Closed Won"]
    assert won
    assert all(o["wonDate"] and o["closedDate"] == o["wonDate"] for o in won)


def _some_not_all(records: list[dict], name: str) -> list:
    """The set values of a field, asserting some records have one and some are null."""
    values = [r[name] for r in records if r[name] is not None]
    assert values, f"no record sets {name}"
    assert len(values) < len(records), f"every record sets {name}"
    return values


def _seeded(fm, resource: str) -> list[dict]:
    """The seeded records of a resource (created in the demo period, before the other tests')."""
    records = fm.ok("GET", f"/{resource}", headers={"X-Page-Size": "200"})
    return [r for r in records if r["dateCreated"] < DEMO_EPOCH]


def test_seeded_records_fill_the_rarer_fields_on_some_records(fm):
    accounts = _seeded(fm, "accounts")
    for name in ("phone2", "phone3", "address2"):
        assert all(isinstance(v, str) and v for v in _some_not_all(accounts, name))
    assert all(a["phone2"] for a in accounts if a["phone3"])
    # `public` is a nullable flag: false on some records, never set on others
    assert {False, None} <= {a["public"] for a in accounts}
    contacts = _seeded(fm, "contacts")
    assert all("@" in v for v in _some_not_all(contacts, "email3"))
    assert all(c["email2"] for c in contacts if c["email3"])
    branch_of = {a["id"]: a["branchId"]["id"] for a in accounts}
    for contact in contacts:
        assert contact["branchId"]["value"]
        assert contact["branchId"]["id"] == branch_of[contact["accountId"]["id"]]
    opportunities = _seeded(fm, "opportunities")
    for name in ("accountId2", "accountId3", "address2"):
        _some_not_all(opportunities, name)
    for opportunity in opportunities:
        linked = [opportunity[f"accountId{n}"] for n in (1, 2, 3) if opportunity[f"accountId{n}"]]
        assert len({ref["id"] for ref in linked}) == len(linked)
        assert all(ref["value"] for ref in linked)
        assert opportunity["accountId2"] or not opportunity["accountId3"]
        assert opportunity["address1"] or not opportunity["address2"]
    for activity in _seeded(fm, "activities"):
        assert bool(activity["checkoutDate"]) == activity["checkin"]
        if activity["checkoutDate"]:
            assert TIMESTAMP.match(activity["checkoutDate"])
            assert activity["checkoutDate"] > activity["date"]


def test_seeded_lookups_carry_official_names_and_branch_visibility(fm):
    countries = fm.ok("GET", "/countries")
    names = {c["descriptionEN"]: c["strName"] for c in countries}
    assert names["Spain"] == "Kingdom of Spain"
    assert names["United States"] == "United States of America"
    assert all(names.values())
    branches = {b["id"]: b["descriptionEN"] for b in fm.ok("GET", "/branches")}
    entries = [
        entry
        for lookup in ("accountTypes", "contactTypes", "opportunityTypes", "activityTypes")
        for entry in fm.ok("GET", f"/{lookup}")
    ]
    # null: every branch sees the entry; a list: only those branches do
    restricted = _some_not_all(entries, "branchVisibility")
    for visibility in restricted:
        assert visibility
        assert all(ref["value"] == branches[ref["id"]] for ref in visibility)


def test_new_fields_are_written_and_read_back_with_their_types(fm):
    contact_id = fm.create(
        "contacts",
        {
            "firstName": "Greta",
            "lastName": "Lind",
            "accountId": 1,
            "email2": "greta@home.example.org",
            "fax": "+46 8 123 456",
            "address1": "Drottninggatan 1",
            "city": "Stockholm",
            "postcode": "111 51",
            "region": "Stockholm",
            "countryId": 1,
            "birthday": "1984-02-29 00:00:00",
            "gender": 1,
            "linkedin": "https://www.linkedin.com/in/gretalind",
            "marketingCommunications": True,
        },
    )
    contact = fm.ok("GET", f"/contacts/{contact_id}")
    assert contact["gender"] == {"id": 1, "value": "Female"}
    assert contact["birthday"] == "1984-02-29T00:00:00Z"
    assert contact["countryId"] == {"id": 1, "value": "Spain"}
    assert (contact["fax"], contact["city"], contact["marketingCommunications"]) == (
        "+46 8 123 456",
        "Stockholm",
        True,
    )
    account_id = fm.create(
        "accounts",
        {"name": "Geo", "branchId": 1, "latitude": 59.33, "longitude": 18.07, "vatNumber": "X1"},
    )
    fm.ok("PUT", f"/accounts/{account_id}", json={"salesRepId2": 2, "phone3": "+1", "fax": None})
    account = fm.ok("GET", f"/accounts/{account_id}")
    assert (account["latitude"], account["longitude"], account["vatNumber"]) == (59.33, 18.07, "X1")
    assert account["salesRepId2"]["id"] == 2
    assert account["salesRepId3"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"gender": 2}, "gender"),
        ({"gender": True}, "gender"),
        ({"birthday": "yesterday"}, "birthday"),
        ({"email2": 5}, "email2"),
        ({"countryId": 99}, "countryId"),
    ],
)
def test_bad_new_contact_fields_are_a_400_naming_the_field(fm, body, field):
    contact = {"firstName": "Bad", "lastName": "Value", "accountId": 1, **body}
    response = fm.request("POST", "/contacts", json=contact)
    assert response.status_code == 400
    assert field in response.json()["Message"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"statusId": 1}, 200),
        ({"accountId1": 1}, 200),
        ({"statusId": 1, "accountId1": 1}, 200),
        ({}, 400),
    ],
)
def test_opportunity_create_needs_a_status_or_a_main_account(fm, body, status):
    required = {"reference": "Either", "branchId": 1, "salesProbability": 5}
    response = fm.request("POST", "/opportunities", json={**required, **body})
    assert response.status_code == status
    if status == 400:
        assert "statusId" in response.json()["Message"]
        assert "accountId1" in response.json()["Message"]
    schema = fm.ok("GET", "/opportunities/schema")
    assert schema["anyOf"] == [{"required": ["statusId"]}, {"required": ["accountId1"]}]


def test_read_only_geocoding_date_is_refused(fm):
    response = fm.request(
        "POST", "/accounts", json={"name": "RO", "branchId": 1, "dateGeocoded": "2024-01-01"}
    )
    assert response.status_code == 400
    assert "dateGeocoded" in response.json()["Message"]


def test_contacts_take_a_branch_without_requiring_one(fm):
    """One published source requires `branchId` on a contact create, the other does not list
    it: the sandbox takes a contact either way and serves the branch like an account's."""
    schema = fm.ok("GET", "/contacts/schema")
    assert schema["properties"]["branchId"]["table"] == "branches"
    assert "branchId" not in schema["required"]
    bare = fm.create("contacts", {"firstName": "No", "lastName": "Branch", "accountId": 1})
    assert fm.ok("GET", f"/contacts/{bare}")["branchId"] is None
    placed = fm.create(
        "contacts", {"firstName": "With", "lastName": "Branch", "accountId": 1, "branchId": 2}
    )
    assert fm.ok("GET", f"/contacts/{placed}")["branchId"] == {"id": 2, "value": "Iberia"}
    fm.ok("PUT", f"/contacts/{placed}", json={"branchId": 3})
    assert fm.ok("GET", f"/contacts/{placed}")["branchId"]["value"] == "North America"
    found = fm.ok("GET", "/contacts", params={"where": f"branchId = 3 AND id = {placed}"})
    assert [c["id"] for c in found] == [placed]
    response = fm.request("PUT", f"/contacts/{placed}", json={"branchId": 99})
    assert response.status_code == 400
    assert "branchId" in response.json()["Message"]


@pytest.mark.parametrize("spelling", ["type_id", "typeId"])
def test_opportunity_type_is_written_under_either_spelling_and_read_as_type_id(fm, spelling):
    body = {"reference": f"Typed {spelling}", "branchId": 1, "salesProbability": 5}
    opportunity_id = fm.create("opportunities", {**body, "statusId": 1, spelling: 2})
    stored = fm.ok("GET", f"/opportunities/{opportunity_id}")
    assert stored["type_id"] == {"id": 2, "value": "Upsell"}
    assert "typeId" not in stored
    fm.ok("PUT", f"/opportunities/{opportunity_id}", json={spelling: 3})
    assert fm.ok("GET", f"/opportunities/{opportunity_id}")["type_id"]["id"] == 3
    where = f"{spelling} = 3 AND id = {opportunity_id}"
    assert [o["id"] for o in fm.ok("GET", "/opportunities", params={"where": where})] == [
        opportunity_id
    ]
    props = fm.ok("GET", "/opportunities/schema")["properties"]
    assert "type_id" in props
    assert "typeId" not in props


def test_opportunity_type_under_both_spellings_must_agree(fm):
    body = {"reference": "Both", "branchId": 1, "salesProbability": 5, "statusId": 1}
    agreed = fm.create("opportunities", {**body, "type_id": 1, "typeId": 1})
    assert fm.ok("GET", f"/opportunities/{agreed}")["type_id"]["id"] == 1
    response = fm.request("POST", "/opportunities", json={**body, "type_id": 1, "typeId": 2})
    assert response.status_code == 400
    assert "given twice" in response.json()["Message"]
