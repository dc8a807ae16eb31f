"""The convergence soak: random edits on both CRMs between cycles, with faults and kills.

A seeded generator drives both sandboxes through the production clients with random
operations between `sync-incremental` cycles: creates, updates, deletes and restores on one
side or both, the same field or different fields edited on both sides, owner changes, a contact
moved to another account, a parent deleted with its children, a record created and deleted
between two cycles, and values at the edges (accents, spaces, several lines, empty text,
checkboxes, decimals, dates, picklists, stages, probabilities, task status, and event times
around the daylight-saving changes and midnight). Cycles run with transient failures and
sessions expired mid-run, and some are killed (SIGKILL to the whole process group) at a
chosen step, then forced again through the cron wrapper (`orchestrate/run-job.sh`).

After each round's cycle and one settling cycle, the invariants are checked against both CRMs
as read through their APIs (never through the warehouse under test):
- both sides hold the same records, with equal values through the field mapping (bar what the
  plan or the log reports as skipped or rejected);
- the next cycle makes no write call on either sandbox;
- no record exists twice on either side, and every link is one to one;
- the last edit of every field is on both sides (Salesforce's where both sides edited it);
  ForceManager edits of one-way objects never reach Salesforce;
- every write is in `sync_log`, and `sync_stats` adds up to it.

`run_soak` returns the figures and the broken invariants with the operations that led to them;
`tests/e2e/test_soak.py` runs a short seeded slice, `make soak` (or `python -m benchmarks
--only soak`) the long one.
"""

from __future__ import annotations

import math
import os
import random
import re
import signal
import subprocess
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import yaml
from crmsync_common.keys import forcemanager_id_of_key
from crmsync_common.objects import FORCEMANAGER_RESOURCES, SALESFORCE_OBJECTS
from crmsync_sandbox.forcemanager.schema import ALL_RESOURCES as FM_SCHEMA
from crmsync_sandbox.salesforce.schema import OPPORTUNITY_STAGES, TASK_STATUSES
from forcemanager_client.exceptions import ForceManagerAPIError
from salesforce_client.exceptions import SalesforceApiError

from benchmarks.context import Bench
from benchmarks.report import Row
from crmsync.local import PROJECT_ROOT, LocalSync

#: The filters the sync applies where two objects share a Salesforce object or ForceManager
#: resource (the catalogue in crmsync_common.objects names them).
SF_FILTER = {"activities": "TaskSubtype = 'Call'", "tasks": "TaskSubtype != 'Call'"}
FM_TASK_FLAG = {"events": False, "tasks": True}

#: The oracle's field mapping (independent of the dbt project's): Salesforce field,
#: ForceManager field, kind. `ref` fields name the referenced object.
FIELDS: dict[str, list[tuple[str, str, str]]] = {
    "accounts": [
        ("Name", "name", "text"),
        ("Phone", "phone", "text"),
        ("Fax", "fax", "text"),
        ("Website", "website", "text"),
        ("BillingCity", "city", "text"),
        ("BillingLatitude", "latitude", "number"),
        ("BillingLongitude", "longitude", "number"),
        ("Description", "comment", "text"),
        ("Is_Key_Account__c", "Z_Is_Key_Account", "boolean"),
        ("Annual_Visits__c", "Z_Annual_Visits", "number"),
        ("Contract_Start__c", "Z_Contract_Start", "date"),
        ("Customer_Tier__c", "Z_Customer_Tier", "picklist"),
        # a user pair of the settings' field_mapping (SOAK_SETTINGS)
        ("VAT_Number__c", "vatNumber", "text"),
        ("BillingCountry", "countryId", "country"),
        ("OwnerId", "salesRepId1", "owner"),
    ],
    "contacts": [
        ("FirstName", "firstName", "text"),
        ("LastName", "lastName", "text"),
        ("Email", "email", "text"),
        ("Phone", "phone1", "text"),
        ("Fax", "fax", "text"),
        ("MailingStreet", "address1", "text"),
        ("MailingCity", "city", "text"),
        ("MailingPostalCode", "postcode", "text"),
        ("MailingState", "region", "text"),
        ("Birthdate", "birthday", "date"),
        ("MailingCountry", "countryId", "country"),
        ("Description", "comment", "text"),
        ("Newsletter_Opt_In__c", "Z_Newsletter_Opt_In", "boolean"),
        ("AccountId", "accountId", "ref:accounts"),
        ("OwnerId", "salesRepId", "owner"),
    ],
    "opportunities": [
        ("Name", "reference", "text"),
        ("StageName", "statusId", "stage"),
        ("Amount", "total", "number"),
        ("Probability", "salesProbability", "probability"),
        ("CloseDate", "salesForecastDate", "date"),
        ("Description", "comments", "text"),
        ("AccountId", "accountId1", "ref:accounts"),
    ],
    "activities": [
        ("Description", "comment", "text"),
        ("ActivityDate", "date", "date"),
    ],
    "events": [
        ("Subject", "subject", "text"),
        ("StartDateTime", "startDate", "datetime_split"),
        ("EndDateTime", "endDate", "datetime_split"),
        ("Description", "comment", "text"),
    ],
    "tasks": [
        ("Subject", "subject", "text"),
        ("ActivityDate", "startDate", "date"),
        ("Status", "completed", "completed"),
        ("Description", "comment", "text"),
    ],
}
#: ForceManager keeps a calendar entry's time as a date field and an `HH:MM` hour field.
FM_HOUR_FIELD = {"startDate": "startHour", "endDate": "endHour"}

#: Values at the edges, per kind or field (None: empty the field). A name or subject is never
#: empty (both CRMs require one); a description longer than ForceManager's 6,000-character
#: comment is one the plan skips (the check leaves out values ForceManager's /schema refuses).
NAME_VALUES = (
    "Zoë Müller-Łukasiewicz",
    "  leading and trailing spaces  ",
    "Ñandú & Söhne — «quoted» 'text'",
    "日本語のテキスト",
    "O'Brien S.L.",
)
TEXT_VALUES = (
    *NAME_VALUES,
    "line one\nline two\nline three",
    "",
    None,
    "x" * 250,
    "y" * 7000,
)
FIELD_VALUES: dict[str, tuple[Any, ...]] = {
    "Email": ("Mixed.Case@Example.COM", "plain@example.org", None, ""),
    "Phone": ("+34 600 123 456", "(030) 1234-567", None, " 555 0100 "),
    "Fax": ("+34 600 123 457", None, "(030) 1234-568"),
    # ForceManager takes latitudes from -90 to 90 and longitudes from -180 to 180 only
    "BillingLatitude": (41.3874, -33.8688, 0, 89.999999, None),
    "BillingLongitude": (2.1686, -74.006, 0, 179.999999, -179.5, None),
    # within ForceManager's limits (address1 180, postcode 20, region 100 characters) and
    # Salesforce's (street 255, postal code 20, state 80)
    "MailingStreet": (
        "Gran Via 28",
        "Rua Augusta 24, 3.º Esq.",
        "Hauptstraße 5\nHinterhaus, 2. OG",
        "  Calle Mayor 1  ",
        "z" * 180,
        None,
        "",
    ),
    "MailingPostalCode": ("28013", "1100-148", "SW1A 1AA", " 75008 ", None, ""),
    "MailingState": ("Madrid", "Île-de-France", "Baden-Württemberg", "NY", None, ""),
    "Website": ("https://www.example.com/path?q=1", "example.org", None),
    "Name": NAME_VALUES,
    "LastName": NAME_VALUES,
    "Subject": NAME_VALUES,
    # a whole number in Salesforce (scale 0): a decimal sent to it is rounded there
    "Annual_Visits__c": (0, 1, 12, 250, None),
    "Customer_Tier__c": ("Gold", "Silver", "Bronze", None),
    "StageName": OPPORTUNITY_STAGES,
    # a percentage; ForceManager keeps tenths (0-10), so 25 and 35 are the rounding edges
    "Probability": (0, 10, 25, 35, 100, None),
    "Status": TASK_STATUSES,
    # Salesforce's 20 characters; the pair compares as text
    "VAT_Number__c": ("ESB12345678", "PT500000002", " DE123456789 ", None, ""),
    # names, official names, ISO codes, other cases and accents: all the same country of
    # ForceManager's list
    "BillingCountry": (
        "Spain",
        "FRANCE",
        "de",
        "España",
        "United States",
        "GBR",
        "Federal Republic of Germany",
        None,
    ),
    "MailingCountry": ("Portugal", "italy", "ES", "Alemania", "Kingdom of Spain", "Germany", None),
}
NUMBER_VALUES = (0, 1, 12.5, 1234567.891234, -3.25, None, 99.999999)
DATE_VALUES = ("2024-02-29", "2026-03-29", "2026-10-25", "1999-12-31", None)
#: Event starts (UTC) in the hours the clocks change in Europe and the US, and the last hour of
#: a year (the end falls on the next day); an event lasts an hour.
EVENT_STARTS = (
    "2026-03-29T00:30:00Z",
    "2026-03-29T01:30:00Z",
    "2026-03-08T10:00:00Z",
    "2026-10-25T00:30:00Z",
    "2026-11-01T06:45:00Z",
    "2026-12-31T23:30:00Z",
)

#: The steps of a cycle, in order: each step's first task in the `sync-incremental` job, and
#: about how long the step takes on the small sandbox (the kill lands at a random moment of it).
STEPS = (
    ("extract", "tap-salesforce", 3.0),
    ("plan", "dbt-duckdb:plan", 5.0),
    ("apply-forcemanager", "tap-warehouse-forcemanager", 1.0),
    ("apply-salesforce", "tap-warehouse-salesforce", 1.0),
    ("collect-log", "crmsync:collect-log", 0.4),
    ("report", "dbt-duckdb:report", 3.0),
)
#: What Meltano logs as each task (block) of a job ends.
BLOCK_END = "Block run completed"


def _step_starts() -> dict[str, int]:
    """How many tasks of `sync-incremental` end before each step's first task starts."""
    jobs = yaml.safe_load((PROJECT_ROOT / "orchestrate" / "jobs.meltano.yml").read_text())["jobs"]
    tasks = next(job["tasks"] for job in jobs if job["name"] == "sync-incremental")
    return {
        first: next(i for i, task in enumerate(tasks) if task.split()[0] == first)
        for _, first, _ in STEPS
    }


def _step_of(ended: int, starts: dict[str, int]) -> str:
    """The step that runs once `ended` tasks of the job have ended."""
    return [step for step, first, _ in STEPS if starts[first] <= ended][-1]


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: Passes over every operation for each one a round asks for: one that finds no record to act
#: on, or that the CRM refuses, is replaced by another, so a round applies exactly `operations`.
OPERATION_TRIES = 5
#: A Salesforce record Id (15 or 18 characters).
SALESFORCE_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")
#: `match` starts the soak from a matched first sync (SoakOptions.initial_sync).
INITIAL_SYNC_VARIABLE = "SOAK_INITIAL_SYNC"
NOT_WRITES = ("/services/oauth2/token", "/services/Soap/", "/login", "/jobs/query")

SOAK_SETTINGS: dict[str, Any] = {
    "objects": {
        "accounts": "two-way",
        "contacts": "two-way",
        "opportunities": "one-way",
        "activities": "two-way",
        "events": "two-way",
        "tasks": "two-way",
    },
    "user_mapping": {"auto": True},
    "field_mapping": {"accounts": [{"forcemanager": "vatNumber", "salesforce": "VAT_Number__c"}]},
}


@dataclass
class SoakOptions:
    """What one soak does.

    Attributes:
        seed: Seed of the operation generator (the same seed replays the same operations).
        rounds: Rounds of operations, each followed by a cycle and a settling cycle.
        operations: Operations per round.
        kill_share: Share of rounds whose cycle is killed at a random step.
        fault_share: Share of rounds whose cycle runs with injected faults.
        fail_rate: Transient failures injected during a faulty round's cycles.
        expire_sessions: Expire every session mid-cycle in the faulty rounds.
        size: Sandbox demo data size.
        settings: The sync settings (all six objects by default).
        initial_sync: `replace` (ForceManager's demo data wiped, Salesforce's copied over) or
            `match`: the first sync pairs the records both CRMs' demo data hold, merges them and
            deletes nothing; records it holds back as ambiguous are left out of the checks.
    """

    seed: int = 1
    rounds: int = 3
    operations: int = 12
    kill_share: float = 0.5
    fault_share: float = 0.5
    fail_rate: float = 0.1
    expire_sessions: bool = True
    size: str = "small"
    settings: dict[str, Any] = field(default_factory=lambda: dict(SOAK_SETTINGS))
    initial_sync: str = "replace"


@dataclass
class SoakResult:
    """The figures of one soak and what broke."""

    operations: int = 0
    cycles: int = 0
    kills: int = 0
    killed_steps: list[str] = field(default_factory=list)
    faulty_cycles: int = 0
    duplicates: int = 0
    lost_edits: int = 0
    settle_writes: int = 0
    #: Writes the check cycles made that the other side rejected again (a pending retry the
    #: plan could not foresee: tolerated, but counted; goal 0).
    rejected_writes: int = 0
    unpaired: int = 0
    differences: int = 0
    wall_s: float = 0.0
    failures: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No invariant broke."""
        return not self.failures


@dataclass
class Edit:
    """A field value one side was given in a round (the oracle of lost edits): the value the
    side stored (read back: a CRM may round or trim what it is sent) and the side's value when
    the round began (an edit back to it is no change)."""

    side: str
    obj: str
    sf_id: str | None
    fm_id: int | None
    field: str
    value: Any
    before: Any


class Soak:
    """One soak on one `LocalSync` (started, with the initial sync done)."""

    def __init__(self, sync: LocalSync, options: SoakOptions) -> None:
        self.sync = sync
        self.options = options
        self.rng = random.Random(options.seed)
        self.result = SoakResult()
        self.edits: list[Edit] = []
        #: (object, Salesforce id, field) where ForceManager holds its own value of a one-way
        #: object (never carried to Salesforce): excluded from the equality check.
        self.diverged: set[tuple[str, str, str]] = set()
        #: (ForceManager resource, field) -> (maxLength, required), as its /schema states them
        self._limits: dict[tuple[str, str], tuple[int | None, bool]] = {}
        self.deleted_sf: list[tuple[str, str]] = []
        self._sf_users: dict[str, str] = {}
        self._fm_users: dict[str, int] = {}
        #: ForceManager opportunity status id <-> its English label (a Salesforce stage name)
        self._stage_of_status: dict[int, str] = {}
        self._status_of_stage: dict[str, int] = {}
        #: ForceManager's countries by every text Salesforce may name one with (normalised)
        self._country_of_text: dict[str, int] = {}

    # -- the run -------------------------------------------------------------------------------
    def run(self) -> SoakResult:
        """Every round, then the figures."""
        started = time.monotonic()
        self._read_users()
        for number in range(1, self.options.rounds + 1):
            self.edits = []
            for _ in range(self.options.operations):
                self._operation()
            kill = self.rng.random() < self.options.kill_share
            faulty = self.rng.random() < self.options.fault_share
            self._cycle(number, kill=kill, faulty=faulty)
            self._settle_and_check(number)
        self.result.wall_s = round(time.monotonic() - started, 1)
        return self.result

    def _note(self, text: str) -> None:
        self.result.log.append(text)

    def _fail(self, text: str) -> None:
        self.result.failures.append(text)

    # -- cycles --------------------------------------------------------------------------------
    def _cycle(self, number: int, *, kill: bool, faulty: bool) -> None:
        sync = self.sync
        if faulty:
            self.result.faulty_cycles += 1
            for system in ("salesforce", "forcemanager"):
                sync.set_faults(system, fail_rate=self.options.fail_rate)
        try:
            if kill:
                self._killed_cycle(number)
            else:
                expiry = self._expire_later() if faulty and self.options.expire_sessions else None
                run = sync.run("sync-incremental", check=False, MELTANO_RUN_FORCE="true")
                if expiry is not None:
                    expiry.join()
                self.result.cycles += 1
                if run.returncode != 0:
                    self._note(f"round {number}: cycle exited {run.returncode}, run again")
                    self._forced_cycle()
        finally:
            if faulty:
                for system in ("salesforce", "forcemanager"):
                    sync.set_faults(system)

    def _expire_later(self) -> threading.Thread:
        delay = self.rng.uniform(2.0, 15.0)

        def expire() -> None:
            time.sleep(delay)
            for system in ("salesforce", "forcemanager"):
                self.sync.expire_sessions(system)

        thread = threading.Thread(target=expire, daemon=True)
        thread.start()
        return thread

    def _killed_cycle(self, number: int) -> None:
        """Kill the cycle at a random moment of a random step, then force a cycle as the cron
        wrapper does. The step a kill lands in is told by how many of the job's tasks had
        ended (a step that ends before its moment passes the kill on to the next one)."""
        _, first_task, duration = self.rng.choice(STEPS)
        delay = self.rng.uniform(0.0, duration)
        starts = _step_starts()
        log_path = self.sync.directory / f"killed-{number}.log"
        with log_path.open("w") as output:
            process = subprocess.Popen(
                [str(PROJECT_ROOT / ".venv" / "bin" / "meltano"), "--environment=sandbox", "run",
                 "--force", "sync-incremental"],
                cwd=PROJECT_ROOT,
                env=self.sync.environment(),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            deadline = time.monotonic() + 600
            killed_in: str | None = None
            kill_at: float | None = None
            while time.monotonic() < deadline and process.poll() is None:
                ended = log_path.read_text(errors="replace").count(BLOCK_END)
                if kill_at is None and ended >= starts[first_task]:
                    kill_at = time.monotonic() + delay
                if kill_at is not None and time.monotonic() >= kill_at:
                    os.killpg(process.pid, signal.SIGKILL)
                    killed_in = _step_of(ended, starts)
                    break
                time.sleep(0.02)
            process.wait()
        self.result.cycles += 1
        if killed_in is not None:
            self.result.kills += 1
            self.result.killed_steps.append(killed_in)
            self._note(f"round {number}: killed during {killed_in}")
        self._forced_cycle()

    def _forced_cycle(self) -> None:
        """The cron wrapper's run: `orchestrate/run-job.sh sandbox sync-incremental`."""
        result = subprocess.run(
            [str(PROJECT_ROOT / "orchestrate" / "run-job.sh"), "sandbox", "sync-incremental"],
            cwd=PROJECT_ROOT,
            env=self.sync.environment(),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        self.result.cycles += 1
        if result.returncode != 0:
            tail = (result.stdout + result.stderr)[-2000:]
            self._fail(f"the forced cycle exited {result.returncode}: {tail}")

    def _settle_and_check(self, number: int) -> None:
        sync = self.sync
        sync.run("sync-incremental", MELTANO_RUN_FORCE="true")  # settling cycle
        self.result.cycles += 1
        sync.reset_calls()
        sync.run("sync-incremental", MELTANO_RUN_FORCE="true")
        self.result.cycles += 1
        writes = {
            system: {
                route: count
                for route, count in sync.calls(system)["by_route"].items()
                if route.split(" ", 1)[0] in WRITE_METHODS
                and not any(part in route for part in NOT_WRITES)
            }
            for system in ("salesforce", "forcemanager")
        }
        # a record the other side rejects in a way the plan cannot foresee (ForceManager's
        # /schema limits are planned as skips) is retried every cycle (its base stays): not a
        # write of a settled record, as long as the cycle logged nothing but those rejections;
        # counted apart (rejected_writes, goal 0)
        lines = dict(
            sync.query(
                "select status, count(*) from main.sync_log where run_id = "
                "(select max_by(run_id, run_started_at) from main.sync_stats) group by status"
            )
        )
        count = sum(sum(routes.values()) for routes in writes.values())
        if count and not lines.get("success") and count <= lines.get("error", 0):
            self.result.rejected_writes += count
        elif count:
            self.result.settle_writes += count
            # what each write was, so a failure found hours into a soak can be diagnosed
            logged = sync.query(
                "select object, action, direction, salesforce_id, forcemanager_id, status, "
                "left(error_message, 160) from main.sync_log where run_id = "
                "(select max_by(run_id, run_started_at) from main.sync_stats) order by synced_at"
            )
            self._fail(
                f"round {number}: the cycle after settling wrote {writes}, log {lines}: "
                + "; ".join(" ".join(str(value) for value in row) for row in logged)
            )
        self._check_records(number)
        self._check_log(number)

    # -- reading both sides --------------------------------------------------------------------
    def _read_users(self) -> None:
        for user in self.sync.salesforce.query("SELECT Id, Name FROM User"):
            self._sf_users[user["Id"]] = _norm_name(user["Name"])
        names: dict[str, list[int]] = {}
        for user in self.sync.forcemanager.get_json("/users"):
            full = f"{user.get('name') or ''} {user.get('lastName') or ''}"
            names.setdefault(_norm_name(full), []).append(int(user["id"]))
        for status in self.sync.forcemanager.get_json("/opportunityStatuses"):
            self._stage_of_status[int(status["id"])] = status["descriptionEN"]
            self._status_of_stage[status["descriptionEN"]] = int(status["id"])
        for country in self.sync.forcemanager.get_json("/countries"):
            texts = [v for k, v in country.items() if k.startswith("description") and v]
            for text in (*texts, country.get("strName"), country.get("iso2"), country.get("iso3")):
                if text:
                    self._country_of_text.setdefault(_norm_name(text), int(country["id"]))
        sf_names = list(self._sf_users.values())
        # a name matches only where exactly one user on each side has it
        self._fm_users = {
            name: ids[0]
            for name, ids in names.items()
            if len(ids) == 1 and sf_names.count(name) == 1
        }

    def _sf_records(self, obj: str) -> list[dict[str, Any]]:
        fields = ["Id", "ForceManager_Id__c"] + [sf for sf, _fm, _k in FIELDS[obj]]
        where = f" WHERE {SF_FILTER[obj]}" if obj in SF_FILTER else ""
        soql = f"SELECT {', '.join(dict.fromkeys(fields))} FROM {SALESFORCE_OBJECTS[obj]}{where}"
        return list(self.sync.salesforce.query(soql))

    def _fm_records(self, obj: str) -> list[dict[str, Any]]:
        records = []
        path = f"/{FORCEMANAGER_RESOURCES[obj]}"
        for page in self.sync.forcemanager.iter_pages(path, page_size=1000):
            for record in page:
                if record.get("deleted"):
                    continue
                if obj in FM_TASK_FLAG and bool(record.get("task")) != FM_TASK_FLAG[obj]:
                    continue
                records.append(record)
        return records

    # -- the invariants ------------------------------------------------------------------------
    def _excluded(self) -> set[tuple[str, str]]:
        """(object, either id) the last cycles report as skipped or rejected, and those a
        matched first sync held back as ambiguous (with the candidates their rows name)."""
        held = (
            "select object, coalesce(salesforce_id, ''), coalesce(cast(forcemanager_id as "
            "varchar), '') from main.sync_matches where decision = 'ambiguous' union all "
            if self.options.initial_sync == "match"
            else ""
        )
        rows = self.sync.query(
            held + "select object, coalesce(salesforce_id, ''), coalesce(cast(forcemanager_id as "
            "varchar), '') from main.sync_plan where action = 'skip' union all "
            "select object, coalesce(salesforce_id, ''), coalesce(forcemanager_id, '') "
            "from main.sync_log where status = 'error' and synced_at >= "
            "(select max(synced_at) - interval 1 hour from main.sync_log)"
        )
        excluded = set()
        for obj, sf_id, fm_id in rows:
            excluded.update({(obj, sf_id), (obj, fm_id)})
        return excluded

    def _refused(self, obj: str, fm_field: str, kind: str, sf_value: Any) -> bool:
        """Whether ForceManager's /schema refuses Salesforce's value (the plan skips it): a text
        longer than the field takes, or an empty value in a required field."""
        if not self._limits:
            rows = self.sync.query(
                "select resource, field, max_length, required from raw_forcemanager.fields"
            )
            self._limits = {(r, f): (n, bool(q)) for r, f, n, q in rows}
        limit, required = self._limits.get((FORCEMANAGER_RESOURCES[obj], fm_field), (None, False))
        value = self._canonical(kind, sf_value, "salesforce")
        if kind == "text" and limit and isinstance(value, str) and len(value) > limit:
            return True
        return required and kind != "owner" and value in (None, "")

    def _check_records(self, number: int) -> None:
        excluded = self._excluded()
        sf_by_obj = {obj: self._sf_records(obj) for obj in FIELDS}
        fm_by_obj = {obj: self._fm_records(obj) for obj in FIELDS}
        links = {obj: self._links(number, obj, sf_by_obj[obj], fm_by_obj[obj]) for obj in FIELDS}
        for obj in FIELDS:
            fm_of_sf = links[obj]
            sf_index = {r["Id"]: r for r in sf_by_obj[obj]}
            fm_index = {int(r["id"]): r for r in fm_by_obj[obj]}
            skipped = {record_id for name, record_id in excluded if name == obj}
            two_way = self.options.settings["objects"].get(obj) == "two-way"
            for sf_id, fm_id in fm_of_sf.items():
                if sf_id in skipped or str(fm_id) in skipped:
                    continue
                if sf_id not in sf_index or fm_id not in fm_index:
                    self.result.unpaired += 1
                    self._fail(
                        f"round {number}: {obj} link {sf_id} / {fm_id}: "
                        f"{'Salesforce' if sf_id not in sf_index else 'ForceManager'} does not "
                        "hold the record live"
                    )
                    continue
                self._compare(number, obj, sf_index[sf_id], fm_index[fm_id], links)
            for sf_id, record in sf_index.items():
                if sf_id in fm_of_sf or sf_id in skipped:
                    continue
                if obj == "contacts" and not record.get("AccountId"):
                    continue  # ForceManager cannot hold a contact without an account
                self.result.unpaired += 1
                self._fail(f"round {number}: {obj} {sf_id} has no ForceManager partner")
            linked_fm = set(fm_of_sf.values())
            for fm_id in fm_index:
                if two_way and fm_id not in linked_fm and str(fm_id) not in skipped:
                    self.result.unpaired += 1
                    self._fail(f"round {number}: {obj} ForceManager {fm_id} has no partner")
        self._check_edits(number, sf_by_obj, fm_by_obj, links, excluded)

    def _links(
        self,
        number: int,
        obj: str,
        sf_records: list[dict[str, Any]],
        fm_records: list[dict[str, Any]],
    ) -> dict[str, int]:
        """Salesforce id -> ForceManager id, from the links both CRMs' records carry
        (ForceManager `extId`, Salesforce `ForceManager_Id__c`); every link one to one."""
        found: set[tuple[str, int]] = set()
        for record in fm_records:
            # an extId another system wrote (the demo data's `ACC-000004`, kept by a matched
            # first sync) is no link: only a Salesforce Id is
            if record.get("extId") and SALESFORCE_ID.fullmatch(str(record["extId"])):
                found.add((str(record["extId"]), int(record["id"])))
        for record in sf_records:
            if record.get("ForceManager_Id__c"):
                fm_id = forcemanager_id_of_key(record["ForceManager_Id__c"])
                if fm_id is not None:
                    found.add((record["Id"], fm_id))
        fm_of_sf: dict[str, int] = {}
        sf_of_fm: dict[int, str] = {}
        for sf_id, fm_id in sorted(found):
            if sf_id in fm_of_sf or fm_id in sf_of_fm:
                self.result.duplicates += 1
                self._fail(
                    f"round {number}: {obj} link {sf_id} / {fm_id} is not one to one "
                    f"(also {fm_of_sf.get(sf_id)} / {sf_of_fm.get(fm_id)})"
                )
                continue
            fm_of_sf[sf_id] = fm_id
            sf_of_fm[fm_id] = sf_id
        return fm_of_sf

    def _compare(
        self,
        number: int,
        obj: str,
        sf: dict[str, Any],
        fm: dict[str, Any],
        links: dict[str, dict[str, int]],
    ) -> None:
        for sf_field, fm_field, kind in FIELDS[obj]:
            if (obj, sf["Id"], sf_field) in self.diverged:
                continue
            if self._refused(obj, fm_field, kind, sf.get(sf_field)):
                continue  # skipped by the plan, with its reason
            left = self._canonical(kind, sf.get(sf_field), "salesforce")
            right = self._canonical(kind, _fm_read(fm, fm_field, kind), "forcemanager")
            if kind.startswith("ref:"):
                left = links[kind[4:]].get(left) if left else None
            elif kind == "owner":
                left = self._fm_users.get(self._sf_users.get(left or "", ""), right)
            if left != right:
                self.result.differences += 1
                self._fail(
                    f"round {number}: {obj} {sf['Id']}.{sf_field} = {sf.get(sf_field)!r} "
                    f"but ForceManager {fm['id']}.{fm_field} = {_fm_read(fm, fm_field, kind)!r}"
                )

    def _check_edits(
        self,
        number: int,
        sf_by_obj: dict[str, list[dict[str, Any]]],
        fm_by_obj: dict[str, list[dict[str, Any]]],
        links: dict[str, dict[str, int]],
        excluded: set[tuple[str, str]],
    ) -> None:
        """The last edit of each field is what both sides hold (Salesforce's on a tie)."""
        sf_index = {(obj, r["Id"]): r for obj, rows in sf_by_obj.items() for r in rows}
        fm_index = {(obj, int(r["id"])): r for obj, rows in fm_by_obj.items() for r in rows}
        last: dict[tuple[str, str, str], Edit] = {}
        final = {(e.side, e.obj, e.sf_id, e.field): e for e in self.edits}
        for edit in self.edits:
            latest = final[(edit.side, edit.obj, edit.sf_id, edit.field)]
            if self._canonical(_field_kind(latest), latest.value, latest.side) == latest.before:
                continue  # the side ended the round where it began: no change to carry
            key = (edit.obj, edit.sf_id or f"fm:{edit.fm_id}", edit.field)
            earlier = last.get(key)
            # edits of one round meet in one cycle: Salesforce's wins a tie
            if earlier is None or not (earlier.side == "salesforce" and edit.side != "salesforce"):
                last[key] = edit
        for edit in last.values():
            _sf_field, fm_field, kind = next(f for f in FIELDS[edit.obj] if f[0] == edit.field)
            if (edit.obj, edit.sf_id or "") in excluded or (edit.obj, str(edit.fm_id)) in excluded:
                continue
            if links[edit.obj].get(edit.sf_id or "") != edit.fm_id:
                continue  # deleted or re-created since (checked as pairs above)
            sf = sf_index.get((edit.obj, edit.sf_id or ""))
            fm = fm_index.get((edit.obj, edit.fm_id or 0))
            if sf is None or fm is None:
                continue
            if self._refused(edit.obj, fm_field, kind, sf.get(edit.field)):
                continue  # skipped by the plan, with its reason
            expected = self._canonical(kind, edit.value, edit.side)
            one_way = self.options.settings["objects"].get(edit.obj) != "two-way"
            holders = [("forcemanager", _fm_read(fm, fm_field, kind))]
            if not (one_way and edit.side == "forcemanager"):
                holders.append(("salesforce", sf.get(edit.field)))
            for side, value in holders:
                if self._canonical(kind, value, side) != expected:
                    self.result.lost_edits += 1
                    self._fail(
                        f"round {number}: {edit.side} set {edit.obj} {sf['Id']}.{edit.field} to "
                        f"{edit.value!r}; {side} holds {value!r}"
                    )

    def _check_log(self, number: int) -> None:
        rows = self.sync.query(
            "with log as (select run_id, object, direction, action, count(*) as n from "
            "main.sync_log where status = 'success' group by all), "
            "stats as (select run_id, object, direction, created, updated, deleted "
            "from main.sync_stats) "
            "select log.run_id, log.object, log.direction, log.action, log.n, "
            "case log.action when 'create' then stats.created when 'update' then stats.updated "
            "else stats.deleted end from log left join stats using (run_id, object, direction)"
        )
        for run_id, obj, direction, action, logged, counted in rows:
            if logged != (counted or 0):
                self._fail(
                    f"round {number}: run {run_id} {obj} {direction}: {logged} {action} lines "
                    f"in sync_log, {counted} in sync_stats"
                )
        one_way = [o for o, d in self.options.settings["objects"].items() if d == "one-way"]
        if one_way:
            rows = self.sync.query(
                "select object, count(*) from main.sync_log where direction = 'fm_to_sf' "
                f"and object in ({', '.join(repr(o) for o in one_way)}) group by object"
            )
            if rows:
                self._fail(f"round {number}: one-way objects written to Salesforce: {rows}")

    # -- operations ----------------------------------------------------------------------------
    def _operation(self) -> None:
        operations: list[tuple[float, Callable[[], str | None]]] = [
            (6, self._op_update_one_side),
            (2, self._op_update_both_same_field),
            (2, self._op_update_both_other_fields),
            (2, self._op_create_salesforce),
            (2, self._op_create_forcemanager),
            (1.5, self._op_delete_salesforce),
            (1.5, self._op_delete_forcemanager),
            (1, self._op_undelete_salesforce),
            (1, self._op_create_then_delete),
            (1, self._op_move_contact),
            (1, self._op_change_owner),
            (1, self._op_reschedule_event),
            (0.5, self._op_delete_parent_with_children),
        ]
        for _ in range(OPERATION_TRIES):
            # an operation that found nothing or was refused sits out the rest of this pass
            left = list(operations)
            while left:
                index = self.rng.choices(range(len(left)), [w for w, _op in left])[0]
                chosen = left.pop(index)[1]
                try:
                    described = chosen()
                except (SalesforceApiError, ForceManagerAPIError) as error:
                    # the CRM refused the edit itself (a value it does not take): not an operation
                    self._note(f"{chosen.__name__}: refused by the CRM: {error}")
                    continue
                if described:  # else it found nothing to act on (no restorable record, ...)
                    self.result.operations += 1
                    self._note(described)
                    return
        self._fail(f"no operation could be applied in {OPERATION_TRIES} passes over them all")

    def _pair(self, obj: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """A random linked pair of `obj`, live on both sides, by either side's link (a record
        ForceManager created carries its link in Salesforce's `ForceManager_Id__c` only, as
        does a matched pair whose ForceManager record kept another system's `extId`)."""
        fm_index = {int(r["id"]): r for r in self._fm_records(obj)}
        found = {
            (str(r["extId"]), fm_id)
            for fm_id, r in fm_index.items()
            if SALESFORCE_ID.fullmatch(str(r.get("extId") or ""))
        }
        for record in self._sf_records(obj):
            fm_id = forcemanager_id_of_key(record.get("ForceManager_Id__c"))
            if fm_id in fm_index:
                found.add((record["Id"], fm_id))
        candidates = sorted(found)
        self.rng.shuffle(candidates)
        for sf_id, fm_id in candidates[:10]:
            sf = self._sf_get(obj, sf_id)
            if sf is not None:
                return sf, fm_index[fm_id]
        return None

    def _sf_get(self, obj: str, sf_id: str) -> dict[str, Any] | None:
        fields = ["Id"] + [sf for sf, _fm, _k in FIELDS[obj]]
        columns = ", ".join(dict.fromkeys(fields))
        soql = f"SELECT {columns} FROM {SALESFORCE_OBJECTS[obj]} WHERE Id = '{sf_id}'"
        found = list(self.sync.salesforce.query(soql))
        return found[0] if found else None

    def _value(self, sf_field: str, kind: str, *, required: bool = False) -> Any:
        """A value at the edges for the field; never None (null) where `required`."""
        if sf_field in FIELD_VALUES:
            values = FIELD_VALUES[sf_field]
        elif kind == "text":
            values = TEXT_VALUES
        elif kind == "number":
            values = NUMBER_VALUES
        elif kind == "boolean":
            values = (True, False)
        elif kind == "date":
            values = DATE_VALUES
        else:
            raise ValueError(kind)
        if required:
            values = tuple(v for v in values if v is not None)
        return self.rng.choice(values)

    def _fm_value(self, kind: str, value: Any) -> Any:
        """A value picked in Salesforce's terms, as ForceManager is given it."""
        converters: dict[str, Callable[[Any], Any]] = {
            "date": lambda v: f"{v}T00:00:00Z" if v else v,
            "stage": self._status_of_stage.__getitem__,
            "probability": lambda v: math.floor(v / 10 + 0.5),
            "completed": lambda v: v == "Completed",
            # a country is a reference to ForceManager's countries list
            "country": lambda v: self._country_of_text[_norm_name(v)] if v else None,
        }
        if value is None or kind not in converters:
            return value
        return converters[kind](value)

    def _canonical(self, kind: str, value: Any, side: str) -> Any:
        """`_canonical`, with a ForceManager status as its stage name."""
        if kind == "stage" and side == "forcemanager" and value is not None:
            status = value.get("id") if isinstance(value, dict) else value
            return self._stage_of_status.get(int(status), f"status {status}")
        if kind == "country" and side == "salesforce" and value:
            # Salesforce's text names a country of ForceManager's list (the soak picks no other)
            return self._country_of_text.get(_norm_name(value), f"unknown {value}")
        return _canonical(kind, value, side)

    def _editable(self, obj: str) -> list[tuple[str, str, str]]:
        # an event's start and end move together (`_op_reschedule_event`): one alone could
        # end an event before it starts
        return [
            f for f in FIELDS[obj] if f[2] not in {"owner", "datetime_split"} and ":" not in f[2]
        ]

    def _set(self, side: str, obj: str, sf: dict[str, Any], fm: dict[str, Any],
             spec: tuple[str, str, str]) -> str:  # fmt: skip
        sf_field, fm_field, kind = spec
        # a person cannot null a field ForceManager requires (an activity's date, a contact's
        # first name): ForceManager refuses it, so the soak asks for no such edit
        value = self._value(
            sf_field, kind, required=side == "forcemanager" and _fm_required(obj, fm_field)
        )
        earlier = [
            e
            for e in self.edits
            if (e.side, e.obj, e.sf_id, e.field) == (side, obj, sf["Id"], sf_field)
        ]
        if side == "salesforce":
            before = sf.get(sf_field)
            self.sync.salesforce.request(
                "PATCH",
                f"sobjects/{SALESFORCE_OBJECTS[obj]}/{sf['Id']}",
                json={sf_field: value},
            )
            stored = (self._sf_get(obj, sf["Id"]) or {}).get(sf_field)
            self.diverged.discard((obj, sf["Id"], sf_field))
        else:
            before = _fm_read(fm, fm_field, kind)
            resource = FORCEMANAGER_RESOURCES[obj]
            self.sync.forcemanager.update(
                resource, fm["id"], {fm_field: self._fm_value(kind, value)}
            )
            stored = _fm_read(
                self.sync.forcemanager.get_json(f"/{resource}/{fm['id']}"), fm_field, kind
            )
            if self.options.settings["objects"].get(obj) != "two-way":
                self.diverged.add((obj, sf["Id"], sf_field))
        before = earlier[0].before if earlier else self._canonical(kind, before, side)
        self.edits.append(Edit(side, obj, sf["Id"], int(fm["id"]), sf_field, stored, before))
        return f"{side} {obj} {sf['Id']}/{fm['id']}: {sf_field} = {value!r} (stored {stored!r})"

    def _random_object(self, *, two_way: bool = False) -> str:
        objects = [
            o for o, d in self.options.settings["objects"].items()
            if d in ({"two-way"} if two_way else {"two-way", "one-way"})
        ]  # fmt: skip
        return self.rng.choice(objects)

    def _op_update_one_side(self) -> str | None:
        obj = self._random_object()
        pair = self._pair(obj)
        if pair is None:
            return None
        side = self.rng.choice(("salesforce", "forcemanager"))
        return self._set(side, obj, *pair, self.rng.choice(self._editable(obj)))

    def _op_update_both_same_field(self) -> str | None:
        obj = self._random_object(two_way=True)
        pair = self._pair(obj)
        if pair is None:
            return None
        spec = self.rng.choice(self._editable(obj))
        first = self._set("forcemanager", obj, *pair, spec)
        return first + "; " + self._set("salesforce", obj, *pair, spec)

    def _op_update_both_other_fields(self) -> str | None:
        obj = self._random_object(two_way=True)
        pair = self._pair(obj)
        if pair is None:
            return None
        left, right = self.rng.sample(self._editable(obj), 2)
        return (
            self._set("salesforce", obj, *pair, left)
            + "; "
            + self._set("forcemanager", obj, *pair, right)
        )

    def _account_pair(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        return self._pair("accounts")

    def _op_create_salesforce(self) -> str | None:
        obj = self.rng.choice(("accounts", "contacts", "events", "tasks", "activities"))
        account = self._account_pair()
        if account is None:
            return None
        tag = f"{self.rng.randrange(10**6):06d}"
        body: dict[str, Any]
        if obj == "accounts":
            body = {"Name": f"Soak SF account {tag}", "Phone": "+34 600 000 000",
                    "Is_Key_Account__c": self.rng.choice((True, False))}  # fmt: skip
        elif obj == "contacts":
            body = {"FirstName": "Ada", "LastName": f"Soak {tag}", "AccountId": account[0]["Id"],
                    "Email": f"ada.{tag}@example.com"}  # fmt: skip
        elif obj == "events":
            body = {"Subject": f"Soak event {tag}", "StartDateTime": "2026-05-04T09:00:00Z",
                    "EndDateTime": "2026-05-04T10:00:00Z", "WhatId": account[0]["Id"]}  # fmt: skip
        elif obj == "tasks":
            body = {"Subject": f"Soak task {tag}", "Status": "Not Started",
                    "ActivityDate": "2026-05-04", "WhatId": account[0]["Id"]}  # fmt: skip
        else:
            body = {"Subject": "Call", "TaskSubtype": "Call", "Status": "Completed",
                    "ActivityDate": "2026-05-04", "Description": f"Soak call {tag}",
                    "WhatId": account[0]["Id"]}  # fmt: skip
        created = self.sync.salesforce.request(
            "POST", f"sobjects/{SALESFORCE_OBJECTS[obj]}", json=body
        ).json()["id"]
        return f"salesforce create {obj} {created}"

    def _op_create_forcemanager(self) -> str | None:
        obj = self.rng.choice(("accounts", "contacts", "events", "tasks", "activities"))
        account = self._account_pair()
        if account is None:
            return None
        fm_account = int(account[1]["id"])
        tag = f"{self.rng.randrange(10**6):06d}"
        body: dict[str, Any]
        if obj == "accounts":
            body = {"name": f"Soak FM account {tag}", "branchId": 1, "salesRepId1": 1}
        elif obj == "contacts":
            body = {"firstName": "Bo", "lastName": f"Soak {tag}", "accountId": fm_account}
        elif obj in {"events", "tasks"}:
            body = {"subject": f"Soak {obj} {tag}", "task": obj == "tasks",
                    "startDate": "2026-06-01T09:00:00Z", "endDate": "2026-06-01T10:00:00Z",
                    "startHour": "09:00", "endHour": "10:00", "typeId": 1,
                    "accountId": fm_account, "salesRepId": 1}  # fmt: skip
        else:
            body = {"typeId": 1, "date": "2026-06-01T09:00:00Z", "accountId": fm_account,
                    "comment": f"Soak FM call {tag}", "salesRepId": 1}  # fmt: skip
        created = self.sync.forcemanager.create(FORCEMANAGER_RESOURCES[obj], body)
        return f"forcemanager create {obj} {created}"

    def _op_delete_salesforce(self) -> str | None:
        obj = self.rng.choice(("contacts", "events", "tasks", "activities", "opportunities"))
        pair = self._pair(obj)
        if pair is None:
            return None
        sf_id = pair[0]["Id"]
        self.sync.salesforce.request("DELETE", f"sobjects/{SALESFORCE_OBJECTS[obj]}/{sf_id}")
        self.deleted_sf.append((obj, sf_id))
        return f"salesforce delete {obj} {sf_id}"

    def _op_delete_forcemanager(self) -> str | None:
        obj = self.rng.choice(("contacts", "events", "tasks", "activities"))
        pair = self._pair(obj)
        if pair is None:
            return None
        self.sync.forcemanager.delete(FORCEMANAGER_RESOURCES[obj], pair[1]["id"])
        return f"forcemanager delete {obj} {pair[1]['id']}"

    def _op_undelete_salesforce(self) -> str | None:
        if not self.deleted_sf:
            return None
        obj, sf_id = self.deleted_sf.pop(self.rng.randrange(len(self.deleted_sf)))
        try:
            self.sync.undelete(SALESFORCE_OBJECTS[obj], sf_id)
        except requests.HTTPError:  # restored already, or its parent is gone
            return None
        return f"salesforce undelete {obj} {sf_id}"

    def _op_create_then_delete(self) -> str | None:
        account = self._account_pair()
        if account is None:
            return None
        tag = f"{self.rng.randrange(10**6):06d}"
        if self.rng.random() < 0.5:
            created = self.sync.salesforce.request(
                "POST", "sobjects/Contact",
                json={"LastName": f"Ephemeral {tag}", "AccountId": account[0]["Id"]},
            ).json()["id"]  # fmt: skip
            self.sync.salesforce.request("DELETE", f"sobjects/Contact/{created}")
            return f"salesforce create and delete contact {created}"
        created_fm = self.sync.forcemanager.create(
            "contacts",
            {"firstName": "Eph", "lastName": f"Emeral {tag}", "accountId": int(account[1]["id"])},
        )
        self.sync.forcemanager.delete("contacts", created_fm)
        return f"forcemanager create and delete contact {created_fm}"

    def _op_move_contact(self) -> str | None:
        pair = self._pair("contacts")
        account = self._account_pair()
        if pair is None or account is None:
            return None
        if self.rng.random() < 0.5:
            self.sync.salesforce.request(
                "PATCH", f"sobjects/Contact/{pair[0]['Id']}", json={"AccountId": account[0]["Id"]}
            )
            return f"salesforce move contact {pair[0]['Id']} to {account[0]['Id']}"
        self.sync.forcemanager.update(
            "contacts", pair[1]["id"], {"accountId": int(account[1]["id"])}
        )
        return f"forcemanager move contact {pair[1]['id']} to {account[1]['id']}"

    def _op_change_owner(self) -> str | None:
        obj = self.rng.choice(("accounts", "contacts"))
        pair = self._pair(obj)
        if pair is None:
            return None
        owner = self.rng.choice(sorted(self._sf_users))
        self.sync.salesforce.request(
            "PATCH", f"sobjects/{SALESFORCE_OBJECTS[obj]}/{pair[0]['Id']}", json={"OwnerId": owner}
        )
        return f"salesforce owner of {obj} {pair[0]['Id']} = {owner}"

    def _op_reschedule_event(self) -> str | None:
        """Move an event's start and end together, on one side or on both."""
        pair = self._pair("events")
        if pair is None:
            return None
        sf, fm = pair
        start = datetime.fromisoformat(self.rng.choice(EVENT_STARTS).replace("Z", "+00:00"))
        end = start + timedelta(hours=1)
        sides = self.rng.choice((["salesforce"], ["forcemanager"], ["forcemanager", "salesforce"]))
        done = []
        for side in sides:
            times = {"StartDateTime": start, "EndDateTime": end}
            if side == "salesforce":
                body = {name: moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
                        for name, moment in times.items()}  # fmt: skip
                self.sync.salesforce.request("PATCH", f"sobjects/Event/{sf['Id']}", json=body)
                stored = self._sf_get("events", sf["Id"]) or {}
            else:
                body = {}
                for name, moment in times.items():
                    fm_field = next(f for s_, f, _k in FIELDS["events"] if s_ == name)
                    body[fm_field] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
                    body[FM_HOUR_FIELD[fm_field]] = moment.strftime("%H:%M")
                self.sync.forcemanager.update("calendar", fm["id"], body)
                read = self.sync.forcemanager.get_json(f"/calendar/{fm['id']}")
                stored = {name: _fm_read(read, f, k) for name, f, k in FIELDS["events"]}
            for name in times:
                fm_field = next(f for s_, f, _k in FIELDS["events"] if s_ == name)
                earlier = [
                    e for e in self.edits
                    if (e.side, e.obj, e.sf_id, e.field) == (side, "events", sf["Id"], name)
                ]  # fmt: skip
                before = (
                    earlier[0].before
                    if earlier
                    else self._canonical(
                        "datetime_split",
                        sf.get(name) if side == "salesforce" else _fm_read(fm, fm_field, "x"),
                        side,
                    )
                )
                self.edits.append(
                    Edit(side, "events", sf["Id"], int(fm["id"]), name, stored.get(name), before)
                )
            done.append(f"{side} reschedule event {sf['Id']}/{fm['id']} to {start:%Y-%m-%d %H:%M}Z")
        return "; ".join(done)

    def _op_delete_parent_with_children(self) -> str | None:
        pair = self._pair("accounts")
        if pair is None:
            return None
        if self.rng.random() < 0.5:
            self.sync.salesforce.request("DELETE", f"sobjects/Account/{pair[0]['Id']}")
            self.deleted_sf.append(("accounts", pair[0]["Id"]))
            return f"salesforce delete account {pair[0]['Id']} with its children"
        self.sync.forcemanager.delete("accounts", pair[1]["id"])
        return f"forcemanager delete account {pair[1]['id']}"


def _fm_required(obj: str, fm_field: str) -> bool:
    """Whether ForceManager refuses `fm_field` of `obj` empty (its API's required fields)."""
    definition = FM_SCHEMA[FORCEMANAGER_RESOURCES[obj]].by_name.get(fm_field)
    return definition is not None and definition.required


def _field_kind(edit: Edit) -> str:
    """The oracle's kind of the edited field."""
    return next(kind for sf_field, _fm, kind in FIELDS[edit.obj] if sf_field == edit.field)


def _norm_name(text: str) -> str:
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    return " ".join(stripped.lower().split())


def _is_true(value: Any) -> bool:
    return str(value).lower() in {"true", "1"}


def _utc_minute(value: Any) -> str:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


#: Per kind, a set value as the sync compares it, from Salesforce and from ForceManager.
CANONICAL: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "number": (lambda v: round(float(v), 6), lambda v: round(float(v), 6)),
    "date": (lambda v: str(v)[:10], lambda v: str(v)[:10]),
    # in ForceManager's tenths (0-10), as it keeps them
    "probability": (lambda v: math.floor(float(v) / 10 + 0.5), lambda v: int(float(v))),
    # UTC to the minute (ForceManager keeps no seconds)
    "datetime_split": (_utc_minute, _utc_minute),
    "owner": (str, int),
    # ForceManager's reference by its id (Salesforce's text: Soak._canonical, by the countries
    # list)
    "country": (str, int),
}


def _canonical(kind: str, value: Any, side: str) -> Any:
    """A value as the sync compares it: empty text is null, a checkbox is never null, numbers
    and dates by value, references and owners by id."""
    if isinstance(value, dict):
        value = value.get("id")
    if kind == "boolean":
        return _is_true(value)
    if kind == "completed":
        return value == "Completed" if side == "salesforce" else _is_true(value)
    if value is None or value == "":
        return None
    from_salesforce, from_forcemanager = CANONICAL.get(
        "owner" if kind.startswith("ref:") else kind, (str, str)
    )
    return from_salesforce(value) if side == "salesforce" else from_forcemanager(value)


def _fm_read(record: dict[str, Any], fm_field: str, kind: str) -> Any:
    """A ForceManager field as the oracle compares it: a calendar time is its date field's day
    with its hour field's `HH:MM`."""
    value = record.get(fm_field)
    if kind != "datetime_split" or not value:
        return value
    hour = record.get(FM_HOUR_FIELD[fm_field]) or str(value)[11:16]
    return f"{str(value)[:10]}T{hour}:00Z"


def run_soak(directory: Path, options: SoakOptions) -> SoakResult:
    """Start sandboxes in `directory`, run the initial sync and the soak."""
    settings = {**options.settings, "initial_sync": options.initial_sync}
    sync = LocalSync(directory, settings, seed=options.seed, size=options.size)
    with sync:
        if options.initial_sync == "match":
            sync.run("sync-initial", unset=["CRMSYNC_CONFIRM_INITIAL_WIPE"])
        else:
            sync.initial_sync()
        sync.incremental_sync()
        return Soak(sync, options).run()


def run(bench: Bench) -> None:
    """The soak figure: operations, cycles, kills and faults, and the invariants' counts.

    Every round's cycle is killed at a random step (so the full run kills at least 20 times)
    and half of them run with 10% transient failures and sessions expired mid-cycle.

    Args:
        bench: The benchmark run.
    """
    initial_sync = os.environ.get(INITIAL_SYNC_VARIABLE, "replace")
    if initial_sync not in {"replace", "match"}:
        raise ValueError(f"{INITIAL_SYNC_VARIABLE} must be replace or match, not {initial_sync!r}")
    options = SoakOptions(
        seed=20261205,
        rounds=bench.sizes.soak_rounds,
        operations=bench.sizes.soak_operations,
        kill_share=1.0,
        initial_sync=initial_sync,
    )
    result = run_soak(bench.folder("soak"), options)
    steps = ", ".join(f"{s} {result.killed_steps.count(s)}" for s, _, _ in STEPS)
    bench.report.add(
        Row(8, "soak: operations applied", result.operations, "", "", None,
            f"{options.rounds} rounds of {options.operations}, seed {options.seed}, "
            f"initial sync: {options.initial_sync}"),
        Row(8, "soak: cycles run", result.cycles),
        Row(8, "soak: cycles killed", result.kills, "", ">= 20" if options.rounds >= 20 else "",
            result.kills >= 20 if options.rounds >= 20 else None, steps),
        Row(8, "soak: cycles with faults", result.faulty_cycles, "", "", None,
            f"{options.fail_rate:.0%} transient failures, sessions expired mid-cycle"),
        Row(8, "soak: duplicates", result.duplicates, "", "0", result.duplicates == 0),
        Row(8, "soak: lost edits", result.lost_edits, "", "0", result.lost_edits == 0),
        Row(8, "soak: writes in settling cycles", result.settle_writes, "", "0",
            result.settle_writes == 0),
        Row(8, "soak: rejected writes retried in check cycles", result.rejected_writes, "", "0",
            result.rejected_writes == 0, "a rejection the plan could not foresee (tolerated)"),
        Row(8, "soak: broken invariants, all kinds", len(result.failures), "", "0", result.ok,
            f"unpaired {result.unpaired}, differing values {result.differences}"),
        Row(8, "soak: wall time", result.wall_s, "s"),
    )  # fmt: skip
    bench.report.details["soak"] = {
        "failures": result.failures,
        "operations": result.log,
    }
