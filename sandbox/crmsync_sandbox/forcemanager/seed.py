"""Deterministic demo data for the ForceManager sandbox (`--seed`, `--size`, `--empty`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmsync_sandbox.common import DemoData
from crmsync_sandbox.common.demo import (
    CITY_COORDINATES,
    DEMO_EPOCH,
    MORE_SEED_OFFSET,
    VAT_PREFIXES,
)
from crmsync_sandbox.config import SandboxConfig
from crmsync_sandbox.forcemanager.db import EXTRA_FIELDS, Database
from crmsync_sandbox.forcemanager.schema import ACTIVITY_TYPE_FLAGS, GENDERS, LOOKUPS
from crmsync_sandbox.forcemanager.timefmt import format_timestamp
from crmsync_sandbox.users import FORCEMANAGER_USERS

#: Share of seeded records that carry an ERP key in `extId`; the rest have null, as in real data.
EXT_ID_SHARE = 0.3
#: Share of seeded child records that are already soft-deleted (listed with `deleted: true`).
DELETED_SHARE = 0.02
#: Share of seeded records that were updated after creation (`dateUpdated` set).
UPDATED_SHARE = 0.5
#: The third RNG, which draws the fields filled after the second one's, is seeded this far from
#: the main one, so the fields of the first two keep their values for a given seed.
FILL_SEED_OFFSET = 104_729
#: A second address line, where a record has one.
_ADDRESS_LINES = (
    "Floor 2",
    "Suite 300",
    "Building B",
    "Unit 12",
    "2nd floor, door 3",
    "Polígono Industrial Norte, nave 7",
)
_LOOKUP_CREATED = format_timestamp(DEMO_EPOCH - timedelta(days=3 * 365))
_DAY = 86_400
_HOUR = 3_600
#: Demo instants are whole seconds after this start, spread over two years, plus up to a year
#: of later updates and deletes.
_DEMO_START = DEMO_EPOCH - timedelta(days=2 * 365)
_DEMO_SPAN_S = 2 * 365 * _DAY
#: Date strings per day of the demo period: formatting with integer arithmetic and this table is
#: ~10x faster than datetime formatting, which is what lets `--size large` seed in seconds.
_DAYS = [(_DEMO_START + timedelta(days=d)).date().isoformat() for d in range(4 * 365)]


def _stamp(seconds: int) -> str:
    """The timestamp `seconds` after the demo start, as the API renders it."""
    day, rest = divmod(seconds, _DAY)
    return f"{_DAYS[day]}T{rest // _HOUR:02d}:{rest % _HOUR // 60:02d}:{rest % 60:02d}Z"


def _hour_of(seconds: int) -> str:
    rest = seconds % _DAY
    return f"{rest // _HOUR:02d}:{rest % _HOUR // 60:02d}"


def _branch(default: bool, currency: int, zone: int, *, imperial: bool = False) -> dict[str, Any]:
    return {
        "default": default,
        "imperialSystem": imperial,
        "mainEnvironment": default,
        "currencyId": currency,
        "timeZoneId": zone,
    }


def _zone(iana: str, short: str) -> dict[str, Any]:
    return {"idIanaZone": iana, "shortDescription": short, "fullDescription": iana}


def _country(iso2: str, iso3: str, iso_num: int, phone_code: str, official: str) -> dict[str, Any]:
    return {
        "iso2": iso2,
        "iso3": iso3,
        "isoNum": iso_num,
        "phoneCode": phone_code,
        "strName": official,
    }


def _status(won: int | bool, lost: bool, end: bool | None = None) -> dict[str, Any]:
    """An opportunity or sales order status's flags (`won` is an int on opportunities)."""
    flags: dict[str, Any] = {"won": won}
    if end is None:
        flags["lost"] = lost
    else:
        flags.update(endStatus=end, idParent=1)
    return flags


#: An activity type's flags (the schema's list): general and visible, the rest off.
_ACTIVITY_FLAGS = {
    **dict.fromkeys(ACTIVITY_TYPE_FLAGS, False),
    "general": True,
    "visibleInActivities": True,
    "visibleInAgendaActivities": True,
}


def _activity_type(**flags: bool) -> dict[str, Any]:
    return {**_ACTIVITY_FLAGS, **flags}


#: The seeded branches' ids and English labels (the first entries of LOOKUP_DATA below).
_BRANCH_LABELS = {1: "Headquarters", 2: "Iberia", 3: "North America"}


def _visible_to(*branch_ids: int) -> dict[str, Any]:
    """A lookup entry's `branchVisibility`: only these branches see it (null: every branch)."""
    return {"branchVisibility": [{"id": b, "value": _BRANCH_LABELS[b]} for b in branch_ids]}


#: Lookup lists: (English label, Spanish label, extra fields).
LOOKUP_DATA: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "branches": [
        (_BRANCH_LABELS[1], "Sede central", _branch(True, 1, 1)),
        (_BRANCH_LABELS[2], "Iberia", _branch(False, 1, 1)),
        (_BRANCH_LABELS[3], "Norteamérica", _branch(False, 2, 2, imperial=True)),
    ],
    "accountTypes": [
        ("Customer", "Cliente", {"internal": False, "computeSfm": True, "visitCycle": 30}),
        ("Prospect", "Potencial", {"internal": False, "computeSfm": True, "visitCycle": 60}),
        ("Partner", "Socio", {"internal": False, "computeSfm": False, "visitCycle": 90}),
        (
            "Distributor",
            "Distribuidor",
            {"internal": False, "computeSfm": False, "visitCycle": None, **_visible_to(2, 3)},
        ),
    ],
    "accountSegments": [
        ("Enterprise", "Gran cuenta", {}),
        ("Mid-market", "Mediana empresa", {}),
        ("Small business", "Pequeña empresa", {}),
    ],
    "accountStatuses": [
        ("Active", "Activo", {"won": True, "lost": False}),
        ("Inactive", "Inactivo", {"won": False, "lost": False}),
        ("Lost", "Perdido", {"won": False, "lost": True}),
    ],
    "contactTypes": [
        ("Decision maker", "Decisor", {}),
        ("Technical", "Técnico", {}),
        ("Purchasing", "Compras", _visible_to(1, 2)),
        ("Other", "Otro", {}),
    ],
    # The Salesforce stage names, so the sync maps stages to statuses by name.
    "opportunityStatuses": [
        ("Prospecting", "Prospección", _status(0, False, end=False)),
        ("Qualification", "Cualificación", _status(0, False, end=False)),
        ("Proposal", "Propuesta", _status(0, False, end=False)),
        ("Negotiation", "Negociación", _status(0, False, end=False)),
        ("Closed Won", "Ganada", _status(1, False, end=True)),
        ("Closed Lost", "Perdida", _status(0, True, end=True)),
    ],
    "opportunityTypes": [
        ("New business", "Nuevo negocio", {"defaultStatus": 1}),
        ("Upsell", "Venta adicional", {"defaultStatus": 2}),
        ("Renewal", "Renovación", {"defaultStatus": 3, **_visible_to(1, 3)}),
    ],
    "activityTypes": [
        ("Phone call", "Llamada", _activity_type(phoneCall=True)),
        ("Visit", "Visita", _activity_type(visit=True, checkin=True)),
        ("Meeting", "Reunión", _activity_type()),
        ("Email", "Correo", _activity_type()),
        ("Video call", "Videollamada", {**_activity_type(videoCall=True), **_visible_to(1, 3)}),
    ],
    "userTypes": [
        ("Sales rep", "Comercial", {}),
        ("Manager", "Director", {}),
    ],
    "countries": [
        ("Spain", "España", _country("ES", "ESP", 724, "+34", "Kingdom of Spain")),
        ("Portugal", "Portugal", _country("PT", "PRT", 620, "+351", "Portuguese Republic")),
        ("France", "Francia", _country("FR", "FRA", 250, "+33", "French Republic")),
        (
            "Germany",
            "Alemania",
            _country("DE", "DEU", 276, "+49", "Federal Republic of Germany"),
        ),
        ("Italy", "Italia", _country("IT", "ITA", 380, "+39", "Italian Republic")),
        (
            "United Kingdom",
            "Reino Unido",
            _country(
                "GB", "GBR", 826, "+44", "United Kingdom of Great Britain and Northern Ireland"
            ),
        ),
        (
            "United States",
            "Estados Unidos",
            _country("US", "USA", 840, "+1", "United States of America"),
        ),
    ],
    "currencies": [
        ("euro", "euro", {"isoCode": "EUR", "symbol": "€"}),
        ("US dollar", "dólar", {"isoCode": "USD", "symbol": "$"}),
        ("pound sterling", "libra", {"isoCode": "GBP", "symbol": "£"}),
    ],
    "timezones": [
        ("(UTC+01:00) Madrid", "(UTC+01:00) Madrid", _zone("Europe/Madrid", "CET")),
        ("(UTC-05:00) New York", "(UTC-05:00) Nueva York", _zone("America/New_York", "EST")),
    ],
    "salesorderStatuses": [
        ("Draft", "Borrador", _status(False, False)),
        ("Confirmed", "Confirmado", _status(True, False)),
        ("Cancelled", "Cancelado", _status(False, True)),
    ],
    "rates": [
        ("Standard", "General", {}),
        ("Wholesale", "Mayorista", {}),
    ],
}

#: Extra fields the tenant already has: (resource, fieldName, type, values).
SEED_EXTRA_FIELDS: list[tuple[str, str, str, list[str] | None]] = [
    ("accounts", "Source", "text", None),
    ("opportunities", "Priority", "list", ["High", "Medium", "Low"]),
]
_SOURCES = ("Trade fair", "Website", "Referral", "Cold call")
_LANG_SUFFIXES = ("US", "IT", "DE", "FR", "BR", "DK", "PT", "RU")


def _audit(created: str, updated: str | None = None, owner: int = 1) -> dict[str, Any]:
    return {
        "deleted": False,
        "dateCreated": created,
        "dateUpdated": updated,
        "dateDeleted": None,
        "salesRepIdCreated": owner,
        "salesRepIdUpdated": owner if updated else None,
        "salesRepIdDeleted": None,
    }


def seed(db: Database, config: SandboxConfig) -> None:
    """Fill a new database: users, lookups, extra fields, then records unless `--empty`.

    Args:
        db: The (empty) database.
        config: The sandbox config (seed, size, empty).
    """
    demo = DemoData(config.seed)
    db.bulk_insert("users", _users())
    for table, entries in LOOKUP_DATA.items():
        db.bulk_insert(table, _lookup_rows(table, entries))
    db.bulk_insert(EXTRA_FIELDS, _extra_field_rows())
    count = config.records_per_object
    if count:
        more = DemoData(None if config.seed is None else config.seed + MORE_SEED_OFFSET)
        fill = DemoData(None if config.seed is None else config.seed + FILL_SEED_OFFSET)
        _Records(db, demo, count, more, fill).seed()


def _users() -> list[dict[str, Any]]:
    rows = []
    for index, user in enumerate(FORCEMANAGER_USERS, start=1):
        row = {
            "id": index,
            "name": user.first_name,
            "lastName": user.last_name,
            "nic": user.login,
            "email": f"{user.login}@forcemanager.example.com",
            "phone": f"+34 910 000 {100 + index}",
            "phoneExtension": str(200 + index),
            "idPrefix": 1,
            "isActive": True,
            "billable": True,
            "computeSfm": True,
            "branchRestriction": False,
            "level": 5 if index == 1 else 2,
            "locale": "en-GB",
            "dbLanguage": "EN",
            "uiLanguage": "EN",
            "lastPasswordChangeDate": _LOOKUP_CREATED,
            "extId": None,
            "branches": {"id": 1, "description": "Headquarters"},
            "userTypeId": {"id": 1, "description": "Sales rep"},
            "managerId": {"id": -1, "description": ""},
            "rateId": {"id": -1, "description": ""},
            **_audit(_LOOKUP_CREATED),
        }
        rows.append(row)
    # A quirk of real tenants: a sentinel `dateDeleted` on a user that is not deleted.
    rows[-1]["dateDeleted"] = "1899-12-30T00:00:00Z"
    return rows


def _lookup_rows(
    table: str, entries: list[tuple[str, str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Rows of a lookup list: every field the list has, null where the demo sets nothing."""
    every = dict.fromkeys(f.name for f in LOOKUPS[table].fields)
    rows = []
    for index, (english, spanish, extra) in enumerate(entries, start=1):
        labels = {f"description{suffix}": english for suffix in _LANG_SUFFIXES}
        row = {"id": index, "order": index, "descriptionEN": english, "descriptionES": spanish}
        if "statusDetailsEN" in every:
            details = {f"statusDetails{suffix}": english for suffix in _LANG_SUFFIXES}
            row.update(details, statusDetailsEN=english, statusDetailsES=spanish)
        rows.append({**every, **row, **labels, **extra, **_audit(_LOOKUP_CREATED)})
    return rows


def _extra_field_rows() -> list[dict[str, Any]]:
    rows = []
    for index, (resource, name, kind, values) in enumerate(SEED_EXTRA_FIELDS, start=1):
        definition = {
            "id": index,
            "entity": resource,
            "fieldName": name,
            "type": kind,
            "values": values,
            "label": name,
            "mandatory": False,
            "branches": [],
            "defaultValue": None,
        }
        rows.append({**definition, **_audit(_LOOKUP_CREATED)})
    return rows


class _Records:
    """Generates `count` records per object, children pointing at existing parents.

    Three RNGs draw the values: `demo` the original demo record's, `more` the fields added
    next, `fill` the ones after those; each later one leaves the earlier ones' values alone.
    """

    def __init__(
        self, db: Database, demo: DemoData, count: int, more: DemoData, fill: DemoData
    ) -> None:
        self.db = db
        self.demo = demo
        self.more = more
        self.fill = fill
        self.count = count
        self.user_ids = list(range(1, len(FORCEMANAGER_USERS) + 1))
        self.account_of_contact: list[int] = []
        self.branch_of_account: list[int] = []

    def seed(self) -> None:
        self.db.bulk_insert("accounts", (self.account(i) for i in range(1, self.count + 1)))
        self.db.bulk_insert("contacts", (self.contact(i) for i in range(1, self.count + 1)))
        self.db.bulk_insert(
            "opportunities", (self.opportunity(i) for i in range(1, self.count + 1))
        )
        self.db.bulk_insert("activities", (self.activity(i) for i in range(1, self.count + 1)))
        self.db.bulk_insert("calendar", (self.entry(i) for i in range(1, 2 * self.count + 1)))

    def lookup(self, table: str) -> int:
        return self.demo.between(1, len(LOOKUP_DATA[table]))

    def audit(self, deletable: bool = True) -> dict[str, Any]:
        demo = self.demo
        created = demo.between(0, _DEMO_SPAN_S - 1)
        updated = None
        if demo.maybe(UPDATED_SHARE):
            updated = _stamp(created + demo.between(_HOUR, 200 * _DAY))
        owner = demo.pick(self.user_ids)
        audit = _audit(_stamp(created), updated, owner)
        if deletable and demo.maybe(DELETED_SHARE):
            deleted_at = created + demo.between(201 * _DAY, 300 * _DAY)
            audit.update(deleted=True, dateDeleted=_stamp(deleted_at))
            audit["salesRepIdDeleted"] = owner
        return audit

    def ext_id(self, prefix: str, index: int) -> str | None:
        return f"{prefix}-{index:06d}" if self.demo.maybe(EXT_ID_SHARE) else None

    def account(self, index: int) -> dict[str, Any]:
        demo = self.demo
        name = demo.company()
        website = demo.website(name)
        city, region, postcode, country = demo.city()
        branch = self.lookup("branches")
        self.branch_of_account.append(branch)
        record = {
            "id": index,
            "name": name,
            "branchId": branch,
            "salesRepId1": demo.pick(self.user_ids),
            "typeId": self.lookup("accountTypes"),
            "statusId": self.lookup("accountStatuses"),
            "phone": demo.phone(),
            "email": f"info{index}@{website.split('.', 1)[1]}",
            "website": website,
            "address1": demo.street(),
            "city": city,
            "postcode": postcode,
            "region": region,
            "countryId": _country_id(country),
            "comment": demo.phrase() if demo.maybe(0.5) else None,
            "extId": self.ext_id("ACC", index),
            "permissionLevel": 2,
            "readOnly": False,
            "Z_Source": demo.pick(_SOURCES) if demo.maybe(0.5) else None,
            **self.audit(deletable=False),
            **self.more_account(index, city, country),
        }
        record.update(self.filled_account(record["public"]))
        return record

    def more_account(self, index: int, city: str, country: str) -> dict[str, Any]:
        """The account fields beyond the original demo record, from their own RNG."""
        more = self.more
        reps = [more.pick(self.user_ids) if more.maybe(0.2) else None for _ in range(4)]
        return {
            **{f"salesRepId{n}": rep for n, rep in enumerate(reps, start=2)},
            "segmentId": more.between(1, 3) if more.maybe(0.7) else None,
            "rateId": more.between(1, 2) if more.maybe(0.5) else None,
            "vatNumber": f"{VAT_PREFIXES[country]}{more.between(10**7, 10**8 - 1)}B"
            if more.maybe(0.8)
            else None,
            "fax": more.phone() if more.maybe(0.3) else None,
            "marketingCommunications": more.maybe(0.6),
            # true or null here; `filled_account` sets some of the nulls to false
            "public": more.maybe(0.1) or None,
            **self.geo(city),
        }

    def filled_account(self, public: bool | None) -> dict[str, Any]:
        """The account fields the `fill` RNG draws: more phones, a second address line, and
        `public` false on about half the records `more` left it null on."""
        fill = self.fill
        phone2 = fill.phone() if fill.maybe(0.3) else None
        return {
            "phone2": phone2,
            "phone3": fill.phone() if phone2 and fill.maybe(0.3) else None,
            "address2": fill.pick(_ADDRESS_LINES) if fill.maybe(0.25) else None,
            "public": public or (False if fill.maybe(0.5) else None),
        }

    def geo(self, city: str | None) -> dict[str, Any]:
        """Geocoding near a city (none for about a third of the records)."""
        more = self.more
        if city is None or not more.maybe(0.7):
            return {
                "geocoded": False,
                "geocodingAccuracy": None,
                "latitude": None,
                "longitude": None,
                "dateGeocoded": None,
            }
        lat, lon = CITY_COORDINATES[city]
        return {
            "geocoded": True,
            "geocodingAccuracy": more.between(1, 9),
            "latitude": round(lat + (more.rng.random() - 0.5) / 50, 6),
            "longitude": round(lon + (more.rng.random() - 0.5) / 50, 6),
            "dateGeocoded": _stamp(more.between(0, _DEMO_SPAN_S - 1)),
        }

    def contact(self, index: int) -> dict[str, Any]:
        demo = self.demo
        first, last = demo.first_name(), demo.last_name()
        account_id = demo.between(1, self.count)
        self.account_of_contact.append(account_id)
        record = {
            "id": index,
            "firstName": first,
            "lastName": last,
            "accountId": account_id,
            # the account's branch (one published source requires a contact's branch)
            "branchId": self.branch_of_account[account_id - 1],
            "salesRepId": demo.pick(self.user_ids),
            "typeId": self.lookup("contactTypes"),
            "email": demo.email(first, last),
            "phone1": demo.phone(),
            "phone2": None,
            "comment": demo.phrase() if demo.maybe(0.3) else None,
            "UseCompanyAddress": demo.maybe(0.5),
            "extId": self.ext_id("CON", index),
            "permissionLevel": 2,
            "readOnly": False,
            **self.audit(),
            **self.more_contact(first, last),
        }
        # a third address, on some of the contacts that have a second one
        has_third = record["email2"] is not None and self.fill.maybe(0.3)
        record["email3"] = self.fill.email(first, last, "example.net") if has_third else None
        return record

    def more_contact(self, first: str, last: str) -> dict[str, Any]:
        """The contact fields beyond the original demo record, from their own RNG."""
        more = self.more
        city, region, postcode, country = more.city()
        has_address = more.maybe(0.6)
        handle = more.email(first, last).split("@")[0]
        year, month, day = more.between(1955, 2000), more.between(1, 12), more.between(1, 28)
        return {
            "email2": more.email(first, last, "mail.example.org") if more.maybe(0.2) else None,
            "fax": more.phone() if more.maybe(0.1) else None,
            "address1": more.street() if has_address else None,
            "city": city if has_address else None,
            "postcode": postcode if has_address else None,
            "region": region if has_address else None,
            "countryId": _country_id(country) if has_address else None,
            "birthday": f"{year}-{month:02d}-{day:02d}T00:00:00Z" if more.maybe(0.4) else None,
            "gender": {"id": g, "value": GENDERS[g]} if (g := more.between(-1, 1)) >= 0 else None,
            "linkedin": f"https://www.linkedin.com/in/{handle}" if more.maybe(0.3) else None,
            "skype": f"live:{handle}" if more.maybe(0.1) else None,
            "marketingCommunications": more.maybe(0.5),
        }

    def opportunity(self, index: int) -> dict[str, Any]:
        demo = self.demo
        status = self.lookup("opportunityStatuses")
        forecast_day = demo.between(30, 2 * 365 + 300)
        record = {
            "id": index,
            "reference": f"{demo.subject()} #{index}",
            "branchId": self.lookup("branches"),
            "salesRepId": demo.pick(self.user_ids),
            "salesProbability": 10 if status == 5 else 0 if status == 6 else min(status * 2, 9),
            "statusId": status,
            "type_id": self.lookup("opportunityTypes"),
            "total": round(demo.rng.uniform(500, 250_000), 2),
            "currencyId": self.lookup("currencies"),
            "accountId1": demo.between(1, self.count),
            "salesForecastDate": _stamp(forecast_day * _DAY),
            "comments": demo.phrase() if demo.maybe(0.3) else None,
            "extId": self.ext_id("OPP", index),
            "permissionLevel": 2,
            "readOnly": False,
            "Z_Priority": demo.pick(("High", "Medium", "Low")) if demo.maybe(0.6) else None,
            **self.audit(),
            **self.more_opportunity(status, forecast_day),
        }
        record.update(self.filled_opportunity(record["accountId1"], record["address1"]))
        return record

    def more_opportunity(self, status: int, forecast_day: int) -> dict[str, Any]:
        """The opportunity fields beyond the original demo record, from their own RNG."""
        more = self.more
        closed = _stamp(forecast_day * _DAY) if status in (5, 6) else None
        city, region, postcode, country = more.city()
        has_address = more.maybe(0.3)
        return {
            "closedDate": closed,
            "wonDate": closed if status == 5 else None,
            "lostDate": closed if status == 6 else None,
            "address1": more.street() if has_address else None,
            "city": city if has_address else None,
            "postcode": postcode if has_address else None,
            "region": region if has_address else None,
            "countryId": _country_id(country) if has_address else None,
            **self.geo(city if has_address else None),
        }

    def filled_opportunity(self, account: int, address1: str | None) -> dict[str, Any]:
        """The opportunity fields the `fill` RNG draws: accounts besides the main one (a partner,
        a distributor) and a second address line where there is a first."""
        fill = self.fill
        second = third = None
        if self.count > 2 and fill.maybe(0.15):
            second = self.other_account(account)
            if fill.maybe(0.3):
                third = self.other_account(account, second)
        return {
            "accountId2": second,
            "accountId3": third,
            "address2": fill.pick(_ADDRESS_LINES) if address1 and fill.maybe(0.2) else None,
        }

    def other_account(self, *taken: int) -> int:
        """An account id, drawn by the `fill` RNG, that is none of `taken` (fewer than count)."""
        while True:
            account = self.fill.between(1, self.count)
            if account not in taken:
                return account

    def activity(self, index: int) -> dict[str, Any]:
        demo = self.demo
        contact = demo.between(1, self.count)
        record = {
            "id": index,
            "accountId": self.account_of_contact[contact - 1],
            "typeId": self.lookup("activityTypes"),
            "salesRepId": demo.pick(self.user_ids),
            "date": _stamp(when := demo.between(0, _DEMO_SPAN_S - 1)),
            "contactId": contact if demo.maybe(0.7) else None,
            "opportunityId": None,
            "comment": demo.phrase(),
            "extId": self.ext_id("ACT", index),
            "permissionLevel": 2,
            "readOnly": False,
            **self.audit(),
            **self.more_activity(),
        }
        if record["checkin"]:
            # checked out a quarter of an hour to two hours after the visit began
            record["checkoutDate"] = _stamp(when + self.fill.between(15, 120) * 60)
        return record

    def more_activity(self) -> dict[str, Any]:
        """The activity fields beyond the original demo record, from their own RNG."""
        more = self.more
        checkin = more.maybe(0.2)
        geo = self.geo(more.city()[0] if checkin else None)
        del geo["dateGeocoded"]
        return {
            "checkin": checkin,
            "checkinTypeId": more.between(1, 3) if checkin else None,
            "checkoutDate": None,
            **geo,
        }

    def entry(self, index: int) -> dict[str, Any]:
        demo = self.demo
        is_task = index % 2 == 0
        start = demo.between(0, _DEMO_SPAN_S // _HOUR - 1) * _HOUR
        end = start + demo.between(1, 3) * _HOUR
        contact = demo.between(1, self.count)
        return {
            "id": index,
            "subject": demo.subject(),
            "task": is_task,
            "completed": is_task and demo.maybe(0.4),
            "allDay": False,
            "startDate": _stamp(start),
            "endDate": _stamp(end),
            "startHour": _hour_of(start),
            "endHour": _hour_of(end),
            "typeId": self.lookup("activityTypes"),
            "accountId": self.account_of_contact[contact - 1],
            "contactId": contact if demo.maybe(0.5) else None,
            "opportunityId": None,
            "salesRepId": demo.pick(self.user_ids),
            "comment": demo.phrase() if demo.maybe(0.3) else None,
            "extId": self.ext_id("CAL", index),
            "permissionLevel": 2,
            "readOnly": False,
            **self.audit(),
            "reminder": -2 if is_task else 15,
            "sendNotification": False,
            "branchId": None,
            "city": None,
        }


def _country_id(name: str) -> int:
    names = [english for english, _, _ in LOOKUP_DATA["countries"]]
    return names.index(name) + 1
