"""Deterministic demo data for the sandbox org (``--seed``/``--size``)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from crmsync_sandbox.common import DemoData
from crmsync_sandbox.salesforce.org import Org, Record
from crmsync_sandbox.salesforce.schema import OPPORTUNITY_STAGES, STAGE_PROBABILITY, TASK_STATUSES
from crmsync_sandbox.salesforce.values import format_datetime
from crmsync_sandbox.users import SALESFORCE_USERS

#: Mail domain of the demo users; their usernames are ``<login>@<domain>``.
USER_DOMAIN = "crmsync-sandbox.example.com"
#: Records are last modified within this many days before seeding ("recent past").
_RECENT_DAYS = 20
#: Share of records that reuse the previous record's SystemModstamp, as bulk loads do.
_SHARED_STAMP_SHARE = 0.2
_TIERS = ("Gold", "Silver", "Bronze", None)
_CHANNELS = ("Email", "Phone", "Visit", None)
_INDUSTRIES = ("Banking", "Energy", "Healthcare", "Manufacturing", "Retail", "Technology")
_TYPES = ("Prospect", "Customer - Direct", "Customer - Channel", "Partner")


def login_username(login: str) -> str:
    """Return the Salesforce username of a demo user's login."""
    return f"{login}@{USER_DOMAIN}"


class _Stamps:
    """Creation and modification stamps: created long ago, modified recently, some shared."""

    def __init__(self, demo: DemoData, anchor: datetime) -> None:
        self.demo = demo
        self.anchor = anchor
        self.last = ""

    def pair(self) -> tuple[str, str]:
        created = format_datetime(self.demo.moment())
        if self.last and self.demo.maybe(_SHARED_STAMP_SHARE):
            modified = self.last
        else:
            back = self.demo.rng.randrange(_RECENT_DAYS * 86_400)
            modified = format_datetime(self.anchor - timedelta(seconds=back))
        self.last = modified
        return created, max(created, modified)


def seed_users(org: Org) -> list[str]:
    """Create the demo users (the first is the integration user); return their ids."""
    obj = org.objects["User"]
    now = org.clock.now()
    user_ids = []
    for user in SALESFORCE_USERS:
        user_id = org.new_id(obj.key_prefix)
        user_ids.append(user_id)
        record: Record = {
            "Id": user_id,
            "Username": login_username(user.login),
            "FirstName": user.first_name,
            "LastName": user.last_name,
            "Email": login_username(user.login),
            "IsActive": True,
            "CreatedDate": now,
            "CreatedById": user_ids[0],
            "LastModifiedDate": now,
            "LastModifiedById": user_ids[0],
            "SystemModstamp": now,
        }
        org.derive(obj, record)
        org.records["User"][user_id] = record
    return user_ids


def seed(org: Org, seed_value: int | None, count: int) -> None:
    """Fill an empty org: users always, then ``count`` records per object.

    Tasks come as ``count`` logged calls (``TaskSubtype = 'Call'``) plus ``count`` tasks.
    """
    user_ids = seed_users(org)
    demo = DemoData(seed_value)
    anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    stamps = _Stamps(demo, anchor)
    builder = _Builder(org, demo, stamps, user_ids)
    accounts = builder.many("Account", count, builder.account)
    contacts = builder.many("Contact", count, lambda: builder.contact(accounts))
    opportunities = builder.many("Opportunity", count, lambda: builder.opportunity(accounts))
    links = (accounts, contacts, opportunities)
    builder.many("Task", count, lambda: builder.task(links, "Call"))
    builder.many("Task", count, lambda: builder.task(links, "Task"))
    builder.many("Event", count, lambda: builder.event(links))
    if org.store is not None:
        for name, records in org.records.items():
            org.store.put_many(name, ((r["Id"], r) for r in records.values()))
    org.save_counters()
    org.reindex()


class _Builder:
    def __init__(self, org: Org, demo: DemoData, stamps: _Stamps, user_ids: list[str]) -> None:
        self.org = org
        self.demo = demo
        self.rng = demo.rng
        self.stamps = stamps
        self.user_ids = user_ids

    def many(self, obj_name: str, count: int, make: Any) -> list[Record]:
        obj = self.org.objects[obj_name]
        store = self.org.records[obj_name]
        out = []
        for _ in range(count):
            record = {f: fdef.default for f, fdef in obj.fields.items()}
            record.update(make())
            created, modified = self.stamps.pair()
            owner = self.rng.choice(self.user_ids)
            record.update(
                Id=self.org.new_id(obj.key_prefix),
                OwnerId=owner,
                CreatedDate=created,
                CreatedById=self.user_ids[0],
                LastModifiedDate=modified,
                LastModifiedById=self.user_ids[0],
                SystemModstamp=modified,
            )
            self.org.derive(obj, record)
            store[record["Id"]] = record
            out.append(record)
        return out

    def account(self) -> dict[str, Any]:
        demo, rng = self.demo, self.rng
        name = demo.company()
        city, state, postcode, country = demo.city()
        return {
            "Name": name,
            "Type": rng.choice(_TYPES),
            "Industry": rng.choice(_INDUSTRIES),
            "Phone": demo.phone(),
            "Website": demo.website(name),
            "BillingStreet": demo.street(),
            "BillingCity": city,
            "BillingPostalCode": postcode,
            "BillingState": state,
            "BillingCountry": country,
            "Description": demo.phrase() if demo.maybe(0.5) else None,
            "NumberOfEmployees": rng.randint(1, 5000),
            "AnnualRevenue": float(rng.randint(10, 50_000) * 1000),
            "Customer_Tier__c": rng.choice(_TIERS),
            "Annual_Visits__c": float(rng.randint(0, 24)),
            "Is_Key_Account__c": demo.maybe(0.2),
            "Contract_Start__c": demo.moment().date().isoformat() if demo.maybe(0.6) else None,
            "Account_Notes__c": demo.phrase() if demo.maybe(0.3) else None,
        }

    def contact(self, accounts: list[Record]) -> dict[str, Any]:
        demo, rng = self.demo, self.rng
        first, last = demo.first_name(), demo.last_name()
        return {
            "AccountId": rng.choice(accounts)["Id"] if accounts and demo.maybe(0.95) else None,
            "FirstName": first,
            "LastName": last,
            "Email": _ascii(demo.email(first, last)),
            "Phone": demo.phone(),
            "MobilePhone": demo.phone() if demo.maybe(0.5) else None,
            "Title": rng.choice(("CEO", "CFO", "Buyer", "Sales Manager", "Engineer", None)),
            "Preferred_Channel__c": rng.choice(_CHANNELS),
            "Newsletter_Opt_In__c": demo.maybe(0.4),
        }

    def opportunity(self, accounts: list[Record]) -> dict[str, Any]:
        demo, rng = self.demo, self.rng
        stage = rng.choice(OPPORTUNITY_STAGES)
        account = rng.choice(accounts) if accounts else None
        return {
            "AccountId": account["Id"] if account else None,
            "Name": f"{account['Name'] if account else demo.company()} - {demo.subject()}"[:120],
            "StageName": stage,
            "Amount": float(rng.randint(1, 500) * 100),
            "Probability": STAGE_PROBABILITY[stage],
            "CloseDate": (demo.moment() + timedelta(days=400)).date().isoformat(),
            "Competitor__c": rng.choice(("Globex", "Initech", "Umbrella", None)),
            "Discount_Percent__c": float(rng.randint(0, 20)) if demo.maybe(0.5) else None,
        }

    def _links(self, links: tuple[list[Record], ...]) -> dict[str, Any]:
        accounts, contacts, opportunities = links
        rng = self.rng
        who = rng.choice(contacts) if contacts and self.demo.maybe(0.7) else None
        pool = opportunities if self.demo.maybe(0.3) else accounts
        what = rng.choice(pool) if pool else None
        return {"WhoId": who["Id"] if who else None, "WhatId": what["Id"] if what else None}

    def task(self, links: tuple[list[Record], ...], subtype: str) -> dict[str, Any]:
        demo = self.demo
        status = "Completed" if subtype == "Call" else self.rng.choice(TASK_STATUSES)
        return {
            "Subject": ("Call: " if subtype == "Call" else "") + demo.subject(),
            "Status": status,
            "Priority": self.rng.choice(("High", "Normal", "Low")),
            "ActivityDate": demo.moment().date().isoformat(),
            "Description": demo.phrase() if demo.maybe(0.5) else None,
            "TaskSubtype": subtype,
            **self._links(links),
        }

    def event(self, links: tuple[list[Record], ...]) -> dict[str, Any]:
        demo = self.demo
        start = demo.moment().replace(minute=0)
        all_day = demo.maybe(0.1)
        end = start + (timedelta(days=1) if all_day else timedelta(hours=self.rng.randint(1, 3)))
        return {
            "Subject": demo.subject(),
            "StartDateTime": format_datetime(start),
            "EndDateTime": format_datetime(end),
            "IsAllDayEvent": all_day,
            "Location": demo.city()[0] if demo.maybe(0.6) else None,
            "Description": demo.phrase() if demo.maybe(0.4) else None,
            **self._links(links),
        }


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
