"""Deterministic demo data for the ForceManager sandbox (`--seed`, `--size`, `--empty`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmsync_sandbox.common import DemoData
from crmsync_sandbox.common.demo import DEMO_EPOCH
from crmsync_sandbox.config import SandboxConfig
from crmsync_sandbox.forcemanager.db import EXTRA_FIELDS, Database
from crmsync_sandbox.forcemanager.timefmt import format_timestamp
from crmsync_sandbox.users import FORCEMANAGER_USERS

#: Share of seeded records that carry an ERP key in `extId`; the rest have null, as in real data.
EXT_ID_SHARE = 0.3
#: Share of seeded child records that are already soft-deleted (listed with `deleted: true`).
DELETED_SHARE = 0.02
#: Share of seeded records that were updated after creation (`dateUpdated` set).
UPDATED_SHARE = 0.5
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


#: Lookup lists: (English label, Spanish label, extra fields).
LOOKUP_DATA: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "branches": [
        ("Headquarters", "Sede central", {"default": True, "currencyId": 1}),
        ("Iberia", "Iberia", {"default": False, "currencyId": 1}),
        ("North America", "Norteamérica", {"default": False, "currencyId": 2}),
    ],
    "accountTypes": [
        ("Customer", "Cliente", {}),
        ("Prospect", "Potencial", {}),
        ("Partner", "Socio", {}),
        ("Distributor", "Distribuidor", {}),
    ],
    "accountStatuses": [
        ("Active", "Activo", {"won": True, "lost": False}),
        ("Inactive", "Inactivo", {"won": False, "lost": False}),
        ("Lost", "Perdido", {"won": False, "lost": True}),
    ],
    "contactTypes": [
        ("Decision maker", "Decisor", {}),
        ("Technical", "Técnico", {}),
        ("Purchasing", "Compras", {}),
        ("Other", "Otro", {}),
    ],
    # The Salesforce stage names, so the sync maps stages to statuses by name.
    "opportunityStatuses": [
        ("Prospecting", "Prospección", {"won": 0, "endStatus": False}),
        ("Qualification", "Cualificación", {"won": 0, "endStatus": False}),
        ("Proposal", "Propuesta", {"won": 0, "endStatus": False}),
        ("Negotiation", "Negociación", {"won": 0, "endStatus": False}),
        ("Closed Won", "Ganada", {"won": 1, "endStatus": True}),
        ("Closed Lost", "Perdida", {"won": 0, "endStatus": True}),
    ],
    "opportunityTypes": [
        ("New business", "Nuevo negocio", {}),
        ("Upsell", "Venta adicional", {}),
        ("Renewal", "Renovación", {}),
    ],
    "activityTypes": [
        ("Phone call", "Llamada", {"phoneCall": True, "visit": False}),
        ("Visit", "Visita", {"phoneCall": False, "visit": True}),
        ("Meeting", "Reunión", {"phoneCall": False, "visit": False}),
        ("Email", "Correo", {"phoneCall": False, "visit": False}),
        ("Video call", "Videollamada", {"phoneCall": False, "visit": False}),
    ],
    "countries": [
        ("Spain", "España", {"iso2": "ES", "iso3": "ESP"}),
        ("Portugal", "Portugal", {"iso2": "PT", "iso3": "PRT"}),
        ("France", "Francia", {"iso2": "FR", "iso3": "FRA"}),
        ("Germany", "Alemania", {"iso2": "DE", "iso3": "DEU"}),
        ("Italy", "Italia", {"iso2": "IT", "iso3": "ITA"}),
        ("United Kingdom", "Reino Unido", {"iso2": "GB", "iso3": "GBR"}),
        ("United States", "Estados Unidos", {"iso2": "US", "iso3": "USA"}),
    ],
    "currencies": [
        ("euro", "euro", {"isoCode": "EUR", "symbol": "€"}),
        ("US dollar", "dólar", {"isoCode": "USD", "symbol": "$"}),
        ("pound sterling", "libra", {"isoCode": "GBP", "symbol": "£"}),
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
        db.bulk_insert(table, _lookup_rows(entries))
    db.bulk_insert(EXTRA_FIELDS, _extra_field_rows())
    count = config.records_per_object
    if count:
        _Records(db, demo, count).seed()


def _users() -> list[dict[str, Any]]:
    rows = []
    for index, user in enumerate(FORCEMANAGER_USERS, start=1):
        row = {
            "id": index,
            "name": user.first_name,
            "lastName": user.last_name,
            "nic": user.login,
            "email": f"{user.login}@forcemanager.example.com",
            "isActive": True,
            "level": 5 if index == 1 else 2,
            "extId": None,
            "branches": {"id": 1, "description": "Headquarters"},
            "userTypeId": {"id": 1, "description": "Sales rep"},
            "managerId": {"id": -1, "description": ""},
            **_audit(_LOOKUP_CREATED),
        }
        rows.append(row)
    # A quirk of real tenants: a sentinel `dateDeleted` on a user that is not deleted.
    rows[-1]["dateDeleted"] = "1899-12-30T00:00:00Z"
    return rows


def _lookup_rows(entries: list[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for index, (english, spanish, extra) in enumerate(entries, start=1):
        labels = {f"description{suffix}": english for suffix in _LANG_SUFFIXES}
        row = {"id": index, "order": index, "descriptionEN": english, "descriptionES": spanish}
        rows.append({**row, **labels, **extra, **_audit(_LOOKUP_CREATED)})
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
    """Generates `count` records per object, children pointing at existing parents."""

    def __init__(self, db: Database, demo: DemoData, count: int) -> None:
        self.db = db
        self.demo = demo
        self.count = count
        self.user_ids = list(range(1, len(FORCEMANAGER_USERS) + 1))
        self.account_of_contact: list[int] = []

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
        return {
            "id": index,
            "name": name,
            "branchId": self.lookup("branches"),
            "salesRepId1": demo.pick(self.user_ids),
            "typeId": self.lookup("accountTypes"),
            "statusId": self.lookup("accountStatuses"),
            "phone": demo.phone(),
            "phone2": None,
            "email": f"info{index}@{website.split('.', 1)[1]}",
            "website": website,
            "address1": demo.street(),
            "address2": None,
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
        }

    def contact(self, index: int) -> dict[str, Any]:
        demo = self.demo
        first, last = demo.first_name(), demo.last_name()
        account_id = demo.between(1, self.count)
        self.account_of_contact.append(account_id)
        return {
            "id": index,
            "firstName": first,
            "lastName": last,
            "accountId": account_id,
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
        }

    def opportunity(self, index: int) -> dict[str, Any]:
        demo = self.demo
        status = self.lookup("opportunityStatuses")
        forecast_day = demo.between(30, 2 * 365 + 300)
        return {
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
            "accountId2": None,
            "accountId3": None,
            "salesForecastDate": _stamp(forecast_day * _DAY),
            "comments": demo.phrase() if demo.maybe(0.3) else None,
            "extId": self.ext_id("OPP", index),
            "permissionLevel": 2,
            "readOnly": False,
            "Z_Priority": demo.pick(("High", "Medium", "Low")) if demo.maybe(0.6) else None,
            **self.audit(),
        }

    def activity(self, index: int) -> dict[str, Any]:
        demo = self.demo
        contact = demo.between(1, self.count)
        return {
            "id": index,
            "accountId": self.account_of_contact[contact - 1],
            "typeId": self.lookup("activityTypes"),
            "salesRepId": demo.pick(self.user_ids),
            "date": _stamp(demo.between(0, _DEMO_SPAN_S - 1)),
            "contactId": contact if demo.maybe(0.7) else None,
            "opportunityId": None,
            "comment": demo.phrase(),
            "extId": self.ext_id("ACT", index),
            "permissionLevel": 2,
            "readOnly": False,
            **self.audit(),
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
        }


def _country_id(name: str) -> int:
    names = [english for english, _, _ in LOOKUP_DATA["countries"]]
    return names.index(name) + 1
