"""The resources, fields and lookup lists the ForceManager sandbox serves (docs/internals.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FieldKind = Literal[
    "int", "decimal", "text", "bool", "datetime", "hour", "ref", "userid", "gender", "reflist"
]

#: Lengths observed on the real `/schema` pages (docs/reference-forcemanager.md 8.1).
ADDRESS_LENGTH = 180
CITY_LENGTH = 200
COMMENT_LENGTH = 6000
NAME_LENGTH = 200
PHONE_LENGTH = 50
EMAIL_LENGTH = 100
EXT_ID_LENGTH = 50
URL_LENGTH = 200
#: Contacts' `gender`: read as `{"id", "value"}`, written as the int id
#: (docs/reference-forcemanager.md 10.2).
GENDERS = {0: "Male", 1: "Female"}

#: The audit fields every entity carries; all read only.
AUDIT_FIELDS = (
    "deleted",
    "dateCreated",
    "dateUpdated",
    "dateDeleted",
    "salesRepIdCreated",
    "salesRepIdUpdated",
    "salesRepIdDeleted",
)


@dataclass(frozen=True)
class FieldDef:
    """One field of a resource.

    Attributes:
        name: The name on read (and on write unless `write_name` is set).
        kind: Value type; `ref` is `{id, value}` on read and an int on write, `userid` a plain
            user id (the audit `salesRepId*` fields).
        table: The referenced table for `ref` fields.
        max_length: Longest text accepted.
        required: Must be present and not null on create.
        read_only: Rejected in request bodies.
        write_name: The name a client writes when it differs from the read name.
        write_aliases: Other names a write (and a filter) may use for the field, where the
            published sources disagree on its spelling.
        minimum: Smallest number accepted.
        maximum: Largest number accepted.
        default: Value on create when omitted.
    """

    name: str
    kind: FieldKind
    table: str | None = None
    max_length: int | None = None
    required: bool = False
    read_only: bool = False
    write_name: str | None = None
    write_aliases: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None


@dataclass(frozen=True)
class ResourceDef:
    """One REST resource (`/accounts`, `/calendar`, `/users`, a lookup list).

    Attributes:
        name: The path segment, e.g. `accounts`.
        fields: The fields besides `id` and the audit block.
        owner: The field that holds the owning user, defaulted to the session's user.
        writable: Whether POST, PUT and DELETE exist.
        label_fields: Fields whose values, joined by a space, label a reference to a record.
        extra_fields: Whether `Z_` extra fields can be defined on it.
        required_any: Fields of which a create must give at least one (where the published
            sources disagree on which one is required).
    """

    name: str
    fields: tuple[FieldDef, ...]
    owner: str | None = None
    writable: bool = True
    label_fields: tuple[str, ...] = ()
    extra_fields: bool = True
    required_any: tuple[str, ...] = ()
    by_name: dict[str, FieldDef] = field(init=False, repr=False, compare=False)
    by_write_name: dict[str, FieldDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the fields by read and write name."""
        every = (*_fixed_fields(), *self.fields)
        object.__setattr__(self, "by_name", {f.name: f for f in every})
        writes = {(f.write_name or f.name): f for f in every}
        writes.update({alias: f for f in every for alias in f.write_aliases})
        object.__setattr__(self, "by_write_name", writes)

    @property
    def all_fields(self) -> tuple[FieldDef, ...]:
        """`id`, the resource's own fields, then the audit block."""
        fixed = _fixed_fields()
        return (fixed[0], *self.fields, *fixed[1:])

    @property
    def ref_fields(self) -> tuple[FieldDef, ...]:
        """The fields rendered as `{id, value}`."""
        return tuple(f for f in self.fields if f.kind == "ref")


def _fixed_fields() -> tuple[FieldDef, ...]:
    return (
        FieldDef("id", "int", read_only=True),
        FieldDef("deleted", "bool", read_only=True),
        FieldDef("dateCreated", "datetime", read_only=True),
        FieldDef("dateUpdated", "datetime", read_only=True),
        FieldDef("dateDeleted", "datetime", read_only=True),
        FieldDef("salesRepIdCreated", "userid", read_only=True),
        FieldDef("salesRepIdUpdated", "userid", read_only=True),
        FieldDef("salesRepIdDeleted", "userid", read_only=True),
    )


def _text(name: str, length: int, **options: Any) -> FieldDef:
    return FieldDef(name, "text", max_length=length, **options)


def _ref(name: str, table: str, **options: Any) -> FieldDef:
    return FieldDef(name, "ref", table=table, **options)


def _geo() -> tuple[FieldDef, ...]:
    """The geocoding fields of accounts, opportunities and activities."""
    return (
        FieldDef("geocoded", "bool", default=False),
        FieldDef("geocodingAccuracy", "int"),
        FieldDef("latitude", "decimal", minimum=-90, maximum=90),
        FieldDef("longitude", "decimal", minimum=-180, maximum=180),
    )


def _address(*, line2: bool = True) -> tuple[FieldDef, ...]:
    lines = (_text("address1", ADDRESS_LENGTH),)
    if line2:
        lines = (*lines, _text("address2", ADDRESS_LENGTH))
    return (
        *lines,
        _text("city", CITY_LENGTH),
        _text("postcode", 20),
        _text("region", 100),
        _ref("countryId", "countries"),
    )


ACCOUNTS = ResourceDef(
    "accounts",
    (
        _text("name", NAME_LENGTH, required=True),
        _ref("branchId", "branches", required=True),
        _ref("salesRepId1", "users", required=True),
        *(_ref(f"salesRepId{n}", "users") for n in range(2, 6)),
        _ref("typeId", "accountTypes"),
        _ref("statusId", "accountStatuses"),
        _ref("segmentId", "accountSegments"),
        _ref("rateId", "rates"),
        _text("vatNumber", 50),
        _text("phone", PHONE_LENGTH),
        _text("phone2", PHONE_LENGTH),
        _text("phone3", PHONE_LENGTH),
        _text("fax", PHONE_LENGTH),
        _text("email", EMAIL_LENGTH),
        _text("website", NAME_LENGTH),
        *_address(),
        _text("comment", COMMENT_LENGTH),
        *_geo(),
        FieldDef("dateGeocoded", "datetime", read_only=True),
        FieldDef("marketingCommunications", "bool", default=False),
        FieldDef("public", "bool"),
        _text("extId", EXT_ID_LENGTH),
        FieldDef("permissionLevel", "int", read_only=True, default=2),
        FieldDef("readOnly", "bool", read_only=True, default=False),
    ),
    owner="salesRepId1",
    label_fields=("name",),
)

CONTACTS = ResourceDef(
    "contacts",
    (
        _text("firstName", 100, required=True),
        _text("lastName", 100, required=True),
        _ref("accountId", "accounts", required=True),
        _ref("salesRepId", "users", required=True),
        # One source requires `branchId` on create, the other does not list it: taken, not
        # required (docs/reference-forcemanager.md 6).
        _ref("branchId", "branches"),
        _ref("typeId", "contactTypes"),
        _text("email", EMAIL_LENGTH),
        _text("email2", EMAIL_LENGTH),
        _text("email3", EMAIL_LENGTH),
        _text("phone1", PHONE_LENGTH),
        _text("phone2", PHONE_LENGTH),
        _text("fax", PHONE_LENGTH),
        *_address(line2=False),
        FieldDef("birthday", "datetime"),
        # `{"id": 0, "value": "Male"}` on read, the int id on write.
        FieldDef("gender", "gender"),
        _text("linkedin", URL_LENGTH),
        _text("skype", 100),
        FieldDef("marketingCommunications", "bool", default=False),
        _text("comment", COMMENT_LENGTH),
        # Read with a capital U, written with a lower-case u (docs/reference-forcemanager.md 8.2).
        FieldDef("UseCompanyAddress", "bool", write_name="useCompanyAddress", default=False),
        _text("extId", EXT_ID_LENGTH),
        FieldDef("permissionLevel", "int", read_only=True, default=2),
        FieldDef("readOnly", "bool", read_only=True, default=False),
    ),
    owner="salesRepId",
    label_fields=("firstName", "lastName"),
)

OPPORTUNITIES = ResourceDef(
    "opportunities",
    (
        _text("reference", NAME_LENGTH, required=True),
        _ref("branchId", "branches", required=True),
        _ref("salesRepId", "users", required=True),
        FieldDef("salesProbability", "int", required=True, minimum=0, maximum=10),
        # One source requires `statusId` on create, the other `accountId1`: either will do.
        _ref("statusId", "opportunityStatuses"),
        # Read as `type_id` (snake case), as the published samples spell it; whether writes and
        # filters take `type_id` or `typeId` is not documented, so both are taken.
        _ref("type_id", "opportunityTypes", write_aliases=("typeId",)),
        FieldDef("total", "decimal"),
        _ref("currencyId", "currencies"),
        _ref("accountId1", "accounts"),
        _ref("accountId2", "accounts"),
        _ref("accountId3", "accounts"),
        FieldDef("salesForecastDate", "datetime"),
        FieldDef("closedDate", "datetime"),
        FieldDef("wonDate", "datetime"),
        FieldDef("lostDate", "datetime"),
        _text("comments", COMMENT_LENGTH),
        *_address(),
        *_geo(),
        FieldDef("dateGeocoded", "datetime", read_only=True),
        _text("extId", EXT_ID_LENGTH),
        FieldDef("permissionLevel", "int", read_only=True, default=2),
        FieldDef("readOnly", "bool", read_only=True, default=False),
    ),
    owner="salesRepId",
    label_fields=("reference",),
    required_any=("statusId", "accountId1"),
)

ACTIVITIES = ResourceDef(
    "activities",
    (
        _ref("accountId", "accounts", required=True),
        _ref("typeId", "activityTypes", required=True),
        _ref("salesRepId", "users", required=True),
        FieldDef("date", "datetime", required=True),
        _ref("contactId", "contacts"),
        _ref("opportunityId", "opportunities"),
        _text("comment", COMMENT_LENGTH),
        FieldDef("checkin", "bool", default=False),
        # 1 = at an account, 2 = at an opportunity, 3 = fast check-in.
        FieldDef("checkinTypeId", "int", minimum=1, maximum=3),
        FieldDef("checkoutDate", "datetime"),
        *_geo(),
        _text("extId", EXT_ID_LENGTH),
        FieldDef("permissionLevel", "int", read_only=True, default=2),
        FieldDef("readOnly", "bool", read_only=True, default=False),
    ),
    owner="salesRepId",
    label_fields=("comment",),
)

CALENDAR = ResourceDef(
    "calendar",
    (
        _text("subject", NAME_LENGTH),
        FieldDef("task", "bool", default=False),
        FieldDef("completed", "bool", default=False),
        FieldDef("allDay", "bool", default=False),
        FieldDef("startDate", "datetime"),
        FieldDef("endDate", "datetime"),
        FieldDef("startHour", "hour"),
        FieldDef("endHour", "hour"),
        # -2 = no reminder; otherwise minutes before the start.
        FieldDef("reminder", "int", default=-2),
        FieldDef("sendNotification", "bool", default=False),
        _ref("typeId", "activityTypes"),
        _ref("accountId", "accounts"),
        _ref("contactId", "contacts"),
        _ref("opportunityId", "opportunities"),
        _ref("salesRepId", "users"),
        _ref("branchId", "branches"),
        _text("comment", COMMENT_LENGTH),
        _text("city", CITY_LENGTH),
        _text("extId", EXT_ID_LENGTH),
        FieldDef("permissionLevel", "int", read_only=True, default=2),
        FieldDef("readOnly", "bool", read_only=True, default=False),
    ),
    owner="salesRepId",
    label_fields=("subject",),
)

USERS = ResourceDef(
    "users",
    (
        _text("name", 100),
        _text("lastName", 100),
        _text("nic", 100),
        _text("email", EMAIL_LENGTH),
        _text("phone", PHONE_LENGTH),
        _text("phoneExtension", 10),
        FieldDef("idPrefix", "int"),
        FieldDef("isActive", "bool"),
        FieldDef("billable", "bool"),
        FieldDef("computeSfm", "bool"),
        FieldDef("branchRestriction", "bool"),
        FieldDef("level", "int"),
        _text("locale", 10),
        _text("dbLanguage", 2),
        _text("uiLanguage", 2),
        FieldDef("lastPasswordChangeDate", "datetime"),
        _text("extId", EXT_ID_LENGTH),
        # `branches`, `userTypeId`, `managerId` and `rateId` are `{id, description}` objects
        # (`id: -1` for none), served as is.
    ),
    writable=False,
    label_fields=("name", "lastName"),
    extra_fields=False,
)

ENTITIES: dict[str, ResourceDef] = {
    r.name: r for r in (ACCOUNTS, CONTACTS, OPPORTUNITIES, ACTIVITIES, CALENDAR)
}

#: Language codes of `lang` and the description field each one reads.
LANGUAGES = {
    "en": "descriptionEN",
    "es": "descriptionES",
    "pt": "descriptionPT",
    "it": "descriptionIT",
    "fr": "descriptionFR",
    "de": "descriptionDE",
    "ru": "descriptionRU",
}
_DESCRIPTION_SUFFIXES = ("ES", "EN", "US", "IT", "DE", "FR", "BR", "DK", "PT", "RU")
ACTIVITY_TYPE_FLAGS = (
    "automatic",
    "checkin",
    "fastCheckin",
    "general",
    "hide",
    "phoneCall",
    "visit",
    "videoCall",
    "visibleInActivities",
    "visibleInAgendaActivities",
    "workflow",
)


def _lookup(name: str, extra: tuple[FieldDef, ...] = ()) -> ResourceDef:
    descriptions = tuple(_text(f"description{s}", 200) for s in _DESCRIPTION_SUFFIXES)
    # `branchVisibility`: the branches that see the entry (`[{id, value}]`), null for all.
    visibility = FieldDef("branchVisibility", "reflist", table="branches")
    own = (FieldDef("order", "int"), *descriptions, visibility, *extra)
    return ResourceDef(
        name, own, writable=False, label_fields=("descriptionEN",), extra_fields=False
    )


LOOKUPS: dict[str, ResourceDef] = {
    r.name: r
    for r in (
        _lookup(
            "branches",
            (
                FieldDef("default", "bool"),
                FieldDef("imperialSystem", "bool"),
                FieldDef("mainEnvironment", "bool"),
                _ref("currencyId", "currencies"),
                _ref("timeZoneId", "timezones"),
            ),
        ),
        _lookup(
            "accountTypes",
            (
                FieldDef("internal", "bool"),
                FieldDef("computeSfm", "bool"),
                FieldDef("visitCycle", "int"),
            ),
        ),
        _lookup("accountStatuses", (FieldDef("won", "bool"), FieldDef("lost", "bool"))),
        _lookup("accountSegments"),
        _lookup("contactTypes"),
        _lookup(
            "opportunityStatuses",
            (
                *(_text(f"statusDetails{s}", 200) for s in _DESCRIPTION_SUFFIXES),
                FieldDef("idParent", "int"),
                FieldDef("won", "int"),
                FieldDef("endStatus", "bool"),
            ),
        ),
        _lookup("opportunityTypes", (_ref("defaultStatus", "opportunityStatuses"),)),
        _lookup("activityTypes", tuple(FieldDef(name, "bool") for name in ACTIVITY_TYPE_FLAGS)),
        _lookup("userTypes"),
        _lookup(
            "countries",
            (
                _text("iso2", 2),
                _text("iso3", 3),
                FieldDef("isoNum", "int"),
                _text("phoneCode", 10),
                _text("strName", 100),
            ),
        ),
        _lookup("currencies", (_text("isoCode", 3), _text("symbol", 5))),
        _lookup(
            "timezones",
            (_text("idIanaZone", 64), _text("shortDescription", 64), _text("fullDescription", 200)),
        ),
        _lookup(
            "salesorderStatuses",
            (
                *(_text(f"statusDetails{s}", 200) for s in _DESCRIPTION_SUFFIXES),
                FieldDef("won", "bool"),
                FieldDef("lost", "bool"),
            ),
        ),
        # Price lists (accounts' `rateId`).
        _lookup("rates"),
    )
}

#: Every table a reference can point at, by name.
ALL_RESOURCES: dict[str, ResourceDef] = {**ENTITIES, **LOOKUPS, "users": USERS}

EXTRA_FIELD_TYPES = ("text", "decimal", "bit", "datetime", "list")
EXTRA_TEXT_LENGTH = 4000
