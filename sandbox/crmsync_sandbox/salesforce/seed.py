"""Deterministic demo data for the sandbox org (``--seed``/``--size``).

Seeding ``--size large`` builds 600,000 records, so the generator works on integer seconds and
lookup tables instead of ``datetime`` objects and ``random.choice``: a record costs a few
microseconds, and the records reach SQLite in a handful of large transactions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

from crmsync_sandbox.common import DemoData, gc_paused
from crmsync_sandbox.common.demo import (
    CITIES,
    CITY_COORDINATES,
    COMPANY_KINDS,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    DEMO_EPOCH,
    FIRST_NAMES,
    LAST_NAMES,
    MORE_SEED_OFFSET,
    PHRASES,
    STREETS,
    SUBJECTS,
    VAT_PREFIXES,
)
from crmsync_sandbox.salesforce.org import Org, Record
from crmsync_sandbox.salesforce.schema import (
    CLOSED_STAGES,
    OPPORTUNITY_STAGES,
    STAGE_PROBABILITY,
    TASK_CLOSED_STATUS,
    TASK_STATUSES,
    WON_STAGE,
)
from crmsync_sandbox.users import SALESFORCE_USERS

#: Mail domain of the demo users; their usernames are ``<login>@<domain>``.
USER_DOMAIN = "crmsync-sandbox.example.com"
#: Records are last modified within this many days before seeding ("recent past").
_RECENT_DAYS = 20
#: Share of records that reuse the previous record's SystemModstamp, as bulk loads do.
_SHARED_STAMP_SHARE = 0.2
#: Demo creation dates fall in the two years before the demo epoch.
_DEMO_SPAN_S = 2 * 365 * 86_400
_EPOCH_S = int(DEMO_EPOCH.timestamp())
_DAY_S = 86_400
_TIERS = ("Gold", "Silver", "Bronze", None)
_CHANNELS = ("Email", "Phone", "Visit", None)
_INDUSTRIES = ("Banking", "Energy", "Healthcare", "Manufacturing", "Retail", "Technology")
_TYPES = ("Prospect", "Customer - Direct", "Customer - Channel", "Partner")
_TITLES = ("CEO", "CFO", "Buyer", "Sales Manager", "Engineer", None)
_COMPETITORS = ("Globex", "Initech", "Umbrella", None)
_PRIORITIES = ("High", "Normal", "Low")
#: ``HH:MM`` of every minute of a day and ``:SS.000+0000`` of every second of a minute.
_MINUTES = [f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)]
_SECONDS = [f":{s:02d}.000+0000" for s in range(60)]

T = TypeVar("T")


def login_username(login: str) -> str:
    """Return the Salesforce username of a demo user's login."""
    return f"{login}@{USER_DOMAIN}"


class _Texts:
    """Renders epoch seconds as API dates and datetimes, caching the date part per day."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def date(self, seconds: int) -> str:
        """Return ``YYYY-MM-DD`` of an epoch second (UTC)."""
        day = seconds // _DAY_S
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = datetime.fromtimestamp(day * _DAY_S, UTC).date().isoformat()
        return text

    def datetime(self, seconds: int) -> str:
        """Return an epoch second as ``2013-05-20T20:49:32.000+0000``."""
        rest = seconds % _DAY_S
        return f"{self.date(seconds)}T{_MINUTES[rest // 60]}{_SECONDS[rest % 60]}"


def seed_users(org: Org) -> list[str]:
    """Create the demo users (the first is the integration user); return their ids."""
    obj = org.objects["User"]
    now = org.clock.now()
    user_ids = []
    for user in SALESFORCE_USERS:
        user_id = org.new_id(obj.key_prefix)
        user_ids.append(user_id)
        record: Record = {f: fdef.default for f, fdef in obj.fields.items()}
        record.update(
            Id=user_id,
            Username=login_username(user.login),
            FirstName=user.first_name,
            LastName=user.last_name,
            Email=login_username(user.login),
            IsActive=True,
            CreatedDate=now,
            CreatedById=user_ids[0],
            LastModifiedDate=now,
            LastModifiedById=user_ids[0],
            SystemModstamp=now,
        )
        org.derive(obj, record)
        org.records["User"][user_id] = record
    return user_ids


def seed(org: Org, seed_value: int | None, count: int) -> None:
    """Fill an empty org: users always, then ``count`` records per object.

    Tasks come as ``count`` logged calls (``TaskSubtype = 'Call'``) plus ``count`` tasks. Each
    object's records go to SQLite in large transactions on a writer thread (SQLite releases the
    GIL while it writes) as soon as they are built, while the next object is generated.
    """
    with gc_paused(), ThreadPoolExecutor(1, thread_name_prefix="seed-writer") as writer:
        user_ids = seed_users(org)
        more = DemoData(None if seed_value is None else seed_value + MORE_SEED_OFFSET)
        builder = _Builder(org, DemoData(seed_value), user_ids, writer, more)
        builder.write("User", list(org.records["User"].values()))
        accounts = builder.many("Account", count, builder.account)
        contacts = builder.many("Contact", count, builder.contact)
        builder.many("Opportunity", count, builder.opportunity)
        builder.contacts = [r["Id"] for r in contacts]
        builder.account_ids = [r["Id"] for r in accounts]
        builder.opportunities = list(org.records["Opportunity"])
        builder.many("Task", count, lambda r: builder.task(r, "Call"))
        builder.many("Task", count, lambda r: builder.task(r, "Task"))
        builder.many("Event", count, builder.event)
        for pending in builder.writes:
            pending.result()
    org.save_counters()
    org.reindex()


class _Builder:
    """Fills record dicts from one seeded RNG (``random()`` only, bound once)."""

    def __init__(
        self,
        org: Org,
        demo: DemoData,
        user_ids: list[str],
        writer: ThreadPoolExecutor,
        more: DemoData,
    ) -> None:
        self.org = org
        #: draws the fields added after the first ones, so those keep their values per seed
        self.more = more
        self.writer = writer
        self.writes: list[Future[None]] = []
        self.demo = demo
        self.random = demo.rng.random
        self.texts = _Texts()
        self.user_ids = user_ids
        anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.anchor_s = int(anchor.timestamp())
        self.last_modified = ""
        self.accounts: list[Record] = []
        self.account_ids: list[str] = []
        self.contacts: list[str] = []
        self.opportunities: list[str] = []
        self._emails: dict[tuple[str, str], str] = {}
        self._websites: dict[str, str] = {}

    # ---------------------------------------------------------------- draws
    def pick(self, options: Sequence[T]) -> T:
        """One element of ``options``, uniformly."""
        return options[int(self.random() * len(options))]

    def between(self, low: int, high: int) -> int:
        """An integer in ``low..high`` inclusive."""
        return low + int(self.random() * (high - low + 1))

    def maybe(self, share: float) -> bool:
        """True with probability ``share``."""
        return self.random() < share

    def moment(self) -> int:
        """An epoch second within the two years before the demo epoch."""
        return _EPOCH_S - int(self.random() * _DEMO_SPAN_S)

    def phone(self) -> str:
        """A phone number in international format."""
        between = self.between
        return f"+34 9{between(10, 99)} {between(100, 999)} {between(100, 999)}"

    def company(self) -> str:
        """A company name such as ``Atlas Foods S.L.``."""
        pick = self.pick
        return f"{pick(COMPANY_WORDS)} {pick(COMPANY_KINDS)} {pick(COMPANY_SUFFIXES)}"

    def stamps(self) -> tuple[str, str]:
        """``(CreatedDate, LastModifiedDate)``: created long ago, modified recently."""
        created = self.texts.datetime(self.moment())
        if self.last_modified and self.random() < _SHARED_STAMP_SHARE:
            modified = self.last_modified
        else:
            back = int(self.random() * _RECENT_DAYS * _DAY_S)
            modified = self.texts.datetime(self.anchor_s - back)
        self.last_modified = modified
        return created, max(created, modified)

    # ---------------------------------------------------------------- records
    def many(self, obj_name: str, count: int, fill: Callable[[Record], None]) -> list[Record]:
        """Build ``count`` records of an object, store them in the org and in SQLite."""
        org = self.org
        obj = org.objects[obj_name]
        template = {f: fdef.default for f, fdef in obj.fields.items()}
        store = org.records[obj_name]
        new_ids = org.new_ids(obj.key_prefix, count)
        integration = self.user_ids[0]
        users = self.user_ids
        out = []
        for record_id in new_ids:
            record = template.copy()
            fill(record)
            created, modified = self.stamps()
            record["Id"] = record_id
            record["OwnerId"] = users[int(self.random() * len(users))]
            record["CreatedDate"] = created
            record["CreatedById"] = integration
            record["LastModifiedDate"] = modified
            record["LastModifiedById"] = integration
            record["SystemModstamp"] = modified
            store[record_id] = record
            out.append(record)
        self.write(obj_name, out)
        return out

    def write(self, obj_name: str, records: list[Record]) -> None:
        """Queue records for the SQLite writer thread (no-op for an in-memory org)."""
        store = self.org.store
        if store is not None:
            pairs = [(r["Id"], r) for r in records]
            self.writes.append(self.writer.submit(store.put_many, obj_name, pairs))

    def account(self, record: Record) -> None:
        """Fill an Account."""
        pick, maybe = self.pick, self.maybe
        name = self.company()
        city, state, postcode, country = pick(CITIES)
        website = self._websites.get(name)
        if website is None:
            website = self._websites[name] = self.demo.website(name)
        record.update(
            Name=name,
            Type=pick(_TYPES),
            Industry=pick(_INDUSTRIES),
            Phone=self.phone(),
            Website=website,
            BillingStreet=f"{pick(STREETS)} {self.between(1, 250)}",
            BillingCity=city,
            BillingPostalCode=postcode,
            BillingState=state,
            BillingCountry=country,
            Description=pick(PHRASES) if maybe(0.5) else None,
            NumberOfEmployees=self.between(1, 5000),
            AnnualRevenue=float(self.between(10, 50_000) * 1000),
            Customer_Tier__c=pick(_TIERS),
            Annual_Visits__c=float(self.between(0, 24)),
            Is_Key_Account__c=maybe(0.2),
            Contract_Start__c=self.texts.date(self.moment()) if maybe(0.6) else None,
            Account_Notes__c=pick(PHRASES) if maybe(0.3) else None,
        )
        more = self.more
        if more.maybe(0.3):
            record["Fax"] = more.phone()
        if more.maybe(0.7):
            lat, lon = CITY_COORDINATES[city]
            record["BillingLatitude"] = round(lat + (more.rng.random() - 0.5) / 50, 6)
            record["BillingLongitude"] = round(lon + (more.rng.random() - 0.5) / 50, 6)
        # drawn last, so the fields drawn before keep their values for a given seed
        if more.maybe(0.6):
            record["VAT_Number__c"] = f"{VAT_PREFIXES[country]}{more.between(10**7, 10**8 - 1)}B"
        self.accounts.append(record)

    def contact(self, record: Record) -> None:
        """Fill a Contact (``Name`` derived as the org does)."""
        pick = self.pick
        first, last = pick(FIRST_NAMES), pick(LAST_NAMES)
        email = self._emails.get((first, last))
        if email is None:
            email = self._emails[first, last] = _ascii(self.demo.email(first, last))
        accounts = self.accounts
        record.update(
            AccountId=pick(accounts)["Id"] if accounts and self.maybe(0.95) else None,
            FirstName=first,
            LastName=last,
            Name=f"{first} {last}",
            Email=email,
            Phone=self.phone(),
            MobilePhone=self.phone() if self.maybe(0.5) else None,
            Title=pick(_TITLES),
            Preferred_Channel__c=pick(_CHANNELS),
            Newsletter_Opt_In__c=self.maybe(0.4),
        )
        more = self.more
        if more.maybe(0.6):
            city, state, postcode, country = more.city()
            record.update(
                MailingStreet=more.street(),
                MailingCity=city,
                MailingPostalCode=postcode,
                MailingState=state,
                MailingCountry=country,
            )
        if more.maybe(0.4):
            year, month, day = more.between(1955, 2000), more.between(1, 12), more.between(1, 28)
            record["Birthdate"] = f"{year}-{month:02d}-{day:02d}"
        if more.maybe(0.1):
            record["Fax"] = more.phone()

    def opportunity(self, record: Record) -> None:
        """Fill an Opportunity (``IsClosed``/``IsWon`` derived as the org does)."""
        pick = self.pick
        stage = pick(OPPORTUNITY_STAGES)
        account = pick(self.accounts) if self.accounts else None
        prefix = account["Name"] if account else self.company()
        record.update(
            AccountId=account["Id"] if account else None,
            Name=f"{prefix} - {pick(SUBJECTS)}"[:120],
            StageName=stage,
            IsClosed=stage in CLOSED_STAGES,
            IsWon=stage == WON_STAGE,
            Amount=float(self.between(1, 500) * 100),
            Probability=STAGE_PROBABILITY[stage],
            CloseDate=self.texts.date(self.moment() + 400 * _DAY_S),
            Competitor__c=pick(_COMPETITORS),
            Discount_Percent__c=float(self.between(0, 20)) if self.maybe(0.5) else None,
        )

    def _link(self, record: Record) -> None:
        """Set ``WhoId``/``WhatId`` and the derived activity ``AccountId``."""
        contacts = self.contacts
        who = self.pick(contacts) if contacts and self.maybe(0.7) else None
        pool = self.opportunities if self.maybe(0.3) else self.account_ids
        what = self.pick(pool) if pool else None
        record["WhoId"] = who
        record["WhatId"] = what
        record["AccountId"] = self.org.activity_account(record)

    def task(self, record: Record, subtype: str) -> None:
        """Fill a Task: a logged call (``Call``) or an open or done task."""
        status = TASK_CLOSED_STATUS if subtype == "Call" else self.pick(TASK_STATUSES)
        subject = self.pick(SUBJECTS)
        record.update(
            Subject=f"Call: {subject}" if subtype == "Call" else subject,
            Status=status,
            IsClosed=status == TASK_CLOSED_STATUS,
            Priority=self.pick(_PRIORITIES),
            ActivityDate=self.texts.date(self.moment()),
            Description=self.pick(PHRASES) if self.maybe(0.5) else None,
            TaskSubtype=subtype,
        )
        self._link(record)

    def event(self, record: Record) -> None:
        """Fill an Event on whole hours; all-day events last a day."""
        start = self.moment()
        start -= start % 3600
        all_day = self.maybe(0.1)
        end = start + (_DAY_S if all_day else 3600 * self.between(1, 3))
        record.update(
            Subject=self.pick(SUBJECTS),
            StartDateTime=self.texts.datetime(start),
            EndDateTime=self.texts.datetime(end),
            IsAllDayEvent=all_day,
            Location=self.pick(CITIES)[0] if self.maybe(0.6) else None,
            Description=self.pick(PHRASES) if self.maybe(0.4) else None,
        )
        self._link(record)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
