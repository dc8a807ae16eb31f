"""The fields mapped beyond the first set (issue 17): addresses, birthdays, faxes, coordinates,
countries (through ForceManager's countries list) and a user pair of the settings'
`field_mapping` (ForceManager's vatNumber with the org's VAT_Number__c)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crmsync.local import LocalSync

from .conftest import ALL_TWO_WAY
from .crm import fm_by_ext_id, fm_live, sf_live, write_calls

SF_ADDRESS = "MailingStreet, MailingCity, MailingPostalCode, MailingState"
VAT_PAIR = {"accounts": [{"forcemanager": "vatNumber", "salesforce": "VAT_Number__c"}]}


@pytest.mark.slow
def test_new_fields_carry_both_ways_and_the_cycle_after_is_quiet(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync({**ALL_TWO_WAY, "field_mapping": VAT_PAIR})
    sync.initial_sync()
    sf, fm = sync.salesforce, sync.forcemanager
    countries = {c["descriptionEN"]: c["id"] for c in fm_live(sync, "countries")}

    # the initial sync carried the seeded values of the new fields
    seeded = sf_live(
        sync,
        f"SELECT Id, {SF_ADDRESS}, MailingCountry, Birthdate FROM Contact "
        "WHERE MailingCity != null AND Birthdate != null ORDER BY Id LIMIT 1",
    )[0]
    fm_contacts = fm_by_ext_id(sync, "contacts")
    carried = fm_contacts[seeded["Id"]]
    assert (carried["address1"], carried["city"], carried["postcode"], carried["region"]) == (
        seeded["MailingStreet"],
        seeded["MailingCity"],
        seeded["MailingPostalCode"],
        seeded["MailingState"],
    )
    assert carried["birthday"] == f"{seeded['Birthdate']}T00:00:00Z"
    geo = sf_live(
        sync,
        "SELECT Id, BillingLatitude, BillingLongitude FROM Account "
        "WHERE BillingLatitude != null ORDER BY Id LIMIT 1",
    )[0]
    fm_accounts = fm_by_ext_id(sync, "accounts")
    assert fm_accounts[geo["Id"]]["latitude"] == pytest.approx(geo["BillingLatitude"])
    assert fm_accounts[geo["Id"]]["longitude"] == pytest.approx(geo["BillingLongitude"])
    # the user pair and the countries (the seeded names are all in ForceManager's list)
    assert carried["countryId"]["value"] == seeded["MailingCountry"]
    seeded_accounts = sf_live(sync, "SELECT Id, VAT_Number__c, BillingCountry FROM Account")
    assert any(a["VAT_Number__c"] for a in seeded_accounts)
    for account in seeded_accounts:
        carried_account = fm_accounts[account["Id"]]
        assert carried_account["vatNumber"] == account["VAT_Number__c"]
        assert carried_account["countryId"]["value"] == account["BillingCountry"]
        # a paired custom field syncs with its pair, not as an extra field of its own
        assert "Z_VAT_Number" not in carried_account

    contacts = sf_live(sync, "SELECT Id FROM Contact ORDER BY Id LIMIT 2")
    accounts = sf_live(sync, "SELECT Id, BillingCountry FROM Account ORDER BY Id LIMIT 3")
    sf_contact, fm_contact = (c["Id"] for c in contacts)
    sf_account, fm_account, unknown_country = (a["Id"] for a in accounts)
    kept_country = accounts[2]["BillingCountry"]
    sf.request(
        "PATCH",
        f"sobjects/Contact/{sf_contact}",
        json={
            "MailingStreet": "Calle Mayor 5",
            "MailingCity": "Zaragoza",
            "MailingPostalCode": "50001",
            "MailingState": "Aragón",
            "Birthdate": "1979-11-30",
            "Fax": "+34 976 000 111",
            # an ISO code, as an org with State and Country picklists may hold
            "MailingCountry": "DE",
        },
    )
    sf.request(
        "PATCH",
        f"sobjects/Account/{sf_account}",
        json={
            "Fax": "+34 976 000 222",
            "BillingLatitude": 41.6488,
            "BillingLongitude": -0.8891,
            "VAT_Number__c": "ESB50000001",
            # case and accents do not matter
            "BillingCountry": "FRANCÉ",
        },
    )
    sf.request("PATCH", f"sobjects/Account/{unknown_country}", json={"BillingCountry": "Narnia"})
    fm.update(
        "contacts",
        fm_contacts[fm_contact]["id"],
        {
            "address1": "Rua Augusta 10",
            "city": "Porto",
            "postcode": "4000-001",
            "region": "Norte",
            "birthday": "1990-02-14 00:00:00",
            "fax": "+351 22 000 333",
            "countryId": countries["Italy"],
        },
    )
    fm.update(
        "accounts",
        fm_accounts[fm_account]["id"],
        {
            "fax": "+351 22 000 444",
            "latitude": 41.1579,
            "longitude": -8.6291,
            "vatNumber": "PT500000002",
            "countryId": countries["Portugal"],
        },
    )

    sync.incremental_sync()

    fm_contacts, fm_accounts = fm_by_ext_id(sync, "contacts"), fm_by_ext_id(sync, "accounts")
    to_fm = fm_contacts[sf_contact]
    assert (to_fm["address1"], to_fm["city"], to_fm["postcode"], to_fm["region"]) == (
        "Calle Mayor 5",
        "Zaragoza",
        "50001",
        "Aragón",
    )
    assert to_fm["birthday"] == "1979-11-30T00:00:00Z"
    assert to_fm["fax"] == "+34 976 000 111"
    assert fm_accounts[sf_account]["fax"] == "+34 976 000 222"
    assert fm_accounts[sf_account]["latitude"] == pytest.approx(41.6488)
    assert fm_accounts[sf_account]["longitude"] == pytest.approx(-0.8891)
    assert fm_accounts[sf_account]["vatNumber"] == "ESB50000001"
    assert fm_accounts[sf_account]["countryId"] == {"id": countries["France"], "value": "France"}
    assert to_fm["countryId"] == {"id": countries["Germany"], "value": "Germany"}
    # a country ForceManager's list lacks: skipped for that field, with the reason in the plan
    assert fm_accounts[unknown_country]["countryId"]["value"] == kept_country
    [(action, reason)] = sync.query(
        "select action, skip_reason from main.sync_plan "
        "where object = 'accounts' and direction = 'sf_to_fm' and salesforce_id = ?",
        [unknown_country],
    )
    assert action == "skip"
    assert "Narnia" in reason
    assert "BillingCountry" in reason
    [to_sf] = sf_live(
        sync,
        f"SELECT {SF_ADDRESS}, MailingCountry, Birthdate, Fax FROM Contact "
        f"WHERE Id = '{fm_contact}'",
    )
    assert to_sf == {
        "MailingStreet": "Rua Augusta 10",
        "MailingCity": "Porto",
        "MailingPostalCode": "4000-001",
        "MailingState": "Norte",
        "MailingCountry": "Italy",
        "Birthdate": "1990-02-14",
        "Fax": "+351 22 000 333",
    }
    [account_to_sf] = sf_live(
        sync,
        "SELECT Fax, BillingLatitude, BillingLongitude, VAT_Number__c, BillingCountry "
        f"FROM Account WHERE Id = '{fm_account}'",
    )
    assert account_to_sf["Fax"] == "+351 22 000 444"
    assert account_to_sf["BillingLatitude"] == pytest.approx(41.1579)
    assert account_to_sf["BillingLongitude"] == pytest.approx(-8.6291)
    assert (account_to_sf["VAT_Number__c"], account_to_sf["BillingCountry"]) == (
        "PT500000002",
        "Portugal",
    )

    for _ in range(2):
        sync.reset_calls()
        sync.incremental_sync()
        assert write_calls(sync, "forcemanager") == {}
        assert write_calls(sync, "salesforce") == {}
