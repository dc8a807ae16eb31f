"""Figure 9: the quality of `initial_sync: match` on a generated pair of CRMs with known truth.

`generate` builds two CRMs' accounts and contacts from one list of companies: a share held by
both (ForceManager's copy spelled differently: case, accents, legal form, a typo, a missing or
reformatted secondary field, e-mails in other case), some companies with the same name in
other cities, and companies on one side only. Contacts differ likewise (accents, a misspelt
last name, e-mail case, a missing e-mail or phone, a reformatted phone; a few moved to another
company on one side only), and their few dozen names repeat across companies. The truth is
which records are the same. Contacts' precision, recall, duplicates and deletes are also
printed on their own.

The figure runs the matching models directly (dbt's `plan_initial`, as `sync-initial-plan` runs
it) on a warehouse whose raw tables hold the generated records: running 10,000 accounts and
their contacts through the sandboxes' APIs would take most of the benchmark's time. The
warehouse template (every raw, settings and state table in the loaders' shapes) is the cycles
figure's synced warehouse, or a small sandbox pair's `sync-initial-plan` when that figure did
not run, with the settings of MATCH_SETTINGS. It prints the precision and recall of the links
against the truth, the duplicates the plan would create (a true pair left unmatched on both
sides is created on each side), the deletes it plans, and the plan's wall time. A smaller
generated pair then goes through the sandboxes' APIs and a real `sync-initial` with `match`:
the same quality figures, its wall time and its API calls.
"""

from __future__ import annotations

import json
import random
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from crmsync_common.objects import OBJECTS

from benchmarks.context import Bench, fatal_note, meltano_run
from benchmarks.plan import forget_sync_state, run_dbt
from benchmarks.report import Row

FIGURE = 9
PRECISION_GOAL = 0.995
RECALL_GOAL = 0.98
#: Accounts of the warehouse run and of the smaller run through the sandboxes (full, quick).
ACCOUNTS = {"full": 10_000, "quick": 300}
#: The quick run (the test suite's) leaves the sandbox run out: the fixture test of the quick
#: size covers the matching, and the suite's e2e tests the sync-initial with match.
E2E_ACCOUNTS = {"full": 300, "quick": 0}
#: Salesforce sObject Collections take up to 200 records a call.
COLLECTION_SIZE = 200
#: Shares of the companies: held by both CRMs, by Salesforce only (the rest: ForceManager only).
BOTH_SHARE = 0.6
SALESFORCE_ONLY_SHARE = 0.2
#: Share of companies that take the name of an earlier one, in another city.
SAME_NAME_SHARE = 0.03
#: Share of contacts on both sides that ForceManager holds under another (earlier) company:
#: the person moved, and only one CRM was told.
MOVED_CONTACT_SHARE = 0.03
MATCH_SETTINGS: dict[str, Any] = {
    "objects": {
        "accounts": "two-way",
        "contacts": "two-way",
        "opportunities": "off",
        "activities": "off",
        "events": "off",
        "tasks": "off",
    },
    "user_mapping": {"auto": True},
    "initial_sync": "match",
}


def _words(text: str) -> list[str]:
    return text.split()


_FIRST = _words(
    "Acme Alba Altavista Arroyo Aurora Bahía Barnard Bellmont Bergmann Blackwood Bosque Brenner "
    "Calder Cantábrica Castellana Cedar Cobalto Cordillera Dalton Delta Dorada Duero Ebro "
    "Eichhorn Emerald Falcón Faro Fjord Fuchs Galaxia Garnet Glenmore Granada Halcyon Hartmann "
    "Heron Horizonte Ibérica Indigo Jasper Júcar Keystone Kessler Lago Lambert Levante Linden "
    "Lumen Marítima Meridian Mistral Montaña Nómada Norbert Oakridge Ocaso Olivo Orion Pinar "
    "Polar Quasar Quercus Ravensworth Redwood Ribera Roble Saffron Salinas Schäfer Sierra "
    "Solano Sterling Tajo Thornbury Tramontana Ulmen Umbría Valverde Vértice Wexford Whitford "
    "Xerxes Yarrow Zafiro Zenit Zürcher"
)
_SECOND = _words(
    "Logística Textil Consulting Ingeniería Foods Metals Pharma Robotics Energía Bau Software "
    "Capital Maquinaria Seguros Transportes Hoteles Construcciones Agrícola Química Medical "
    "Electrónica Publicidad Inmobiliaria Telecom Distribución Óptica Cerámica Papelera Vinos "
    "Aceites Cosmética Digital Aerospace Marine Plásticos Muebles Imprenta Automoción Solar"
)
_CITIES = _words(
    "Madrid Barcelona Valencia Sevilla Málaga Córdoba Bilbao Zaragoza Alicante Murcia Palma "
    "Berlin Hamburg München Köln Frankfurt Stuttgart Düsseldorf Leipzig Zürich Genève Wien "
    "London Leeds Manchester Bristol Glasgow Dublin Paris Lyon Marseille Lille Nantes Lisboa "
    "Porto Milano Torino Roma Napoli Bologna Kraków Praha Oslo Bergen Göteborg Malmö Aarhus"
)
_SUFFIXES = ("S.L.", "S.A.", "GmbH", "Ltd", "Inc", "SAS", "")
#: How ForceManager's users wrote a legal form (or dropped it).
_SUFFIX_VARIANTS = {
    "S.L.": ("SL", "S.L", "s.l.", ""),
    "S.A.": ("SA", "S.A", ""),
    "GmbH": ("GMBH", "Gmbh", ""),
    "Ltd": ("Ltd.", "Limited", ""),
    "Inc": ("Inc.", "Incorporated", ""),
    "SAS": ("S.A.S.", ""),
    "": ("",),
}
_FIRST_NAMES = _words(
    "José María Ana Lucía Jürgen Søren Zoë Noël Chloé Björn Ángel Inés Raúl Sofía Marta Pablo "
    "Laura David Elena Jan Petra Klaus Olga Tomás Irene Hugo Nora Ivan Lena Paolo"
)
_LAST_NAMES = _words(
    "García Pérez Müller Schmidt Núñez Gómez Rossi Dubois Smith Jones Kowalski Novák Larsen "
    "Ibáñez Martín Sánchez Weber Fischer Moreau Bianchi Silva Costa Hansen Nieminen Öztürk"
)


@dataclass
class Generated:
    """Two CRMs' accounts and contacts, and which of their records are the same.

    Attributes:
        salesforce: Raw rows per Salesforce raw table (`account`, `contact`).
        forcemanager: Raw rows per ForceManager raw table (`accounts`, `contacts`).
        truth: The true pairs per object, as (Salesforce Id, ForceManager id).
    """

    salesforce: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    forcemanager: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    truth: dict[str, set[tuple[str, int]]] = field(default_factory=dict)


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _typo(rng: random.Random, name: str) -> str:
    """One keyboard slip in a word of five letters or more (not its first letter)."""
    words = name.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 5]
    if not long_words:
        return name
    i = rng.choice(long_words)
    word = words[i]
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        word = word[:at] + word[at + 1 :]
    elif kind == "double":
        word = word[:at] + word[at] + word[at:]
    elif kind == "swap":
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    else:
        word = word[:at] + rng.choice("aeiourstln") + word[at + 1 :]
    words[i] = word
    return " ".join(words)


def _recase(rng: random.Random, text: str) -> str:
    return rng.choice((text, text.upper(), text.lower(), text.title()))


def _sf_id(prefix: str, index: int) -> str:
    return f"{prefix}{index:012d}AAA"


def generate(accounts: int, seed: int = 7) -> Generated:
    """Generate the pair of CRMs: `accounts` companies and their contacts.

    Args:
        accounts: Companies (each held by one side or both).
        seed: Random seed (the same seed gives the same CRMs).

    Returns:
        The generated records and the truth.
    """
    rng = random.Random(seed)
    out = Generated(
        salesforce={"account": [], "contact": []},
        forcemanager={"accounts": [], "contacts": []},
        truth={"accounts": set(), "contacts": set()},
    )
    names: list[str] = []
    fm_accounts: list[int] = []
    sf_next = {"001": 0, "003": 0}
    fm_next = {"accounts": 0, "contacts": 0}
    for index in range(accounts):
        city = rng.choice(_CITIES)
        base = _company_base(rng, names)
        suffix = rng.choice(_SUFFIXES)
        slug = _strip_accents(base).lower().replace(" ", "-")
        company = {
            "name": f"{base} {suffix}".strip(),
            "city": city,
            "phone": f"+34 9{index // 10_000 % 10}{index % 10_000:04d} {rng.randrange(1000):03d}",
            "website": f"https://www.{slug}-{index}.example",
            "domain": f"{slug}-{index}.example",
        }
        draw = rng.random()
        on_salesforce = draw < BOTH_SHARE + SALESFORCE_ONLY_SHARE
        on_forcemanager = draw < BOTH_SHARE or draw >= BOTH_SHARE + SALESFORCE_ONLY_SHARE
        sf_account = fm_account = None
        if on_salesforce:
            sf_next["001"] += 1
            sf_account = _sf_id("001", sf_next["001"])
            out.salesforce["account"].append(
                {
                    "id": sf_account,
                    "name": company["name"],
                    "billingcity": city,
                    "phone": company["phone"] if rng.random() < 0.8 else None,
                    "website": company["website"] if rng.random() < 0.7 else None,
                }
            )
        if on_forcemanager:
            fm_next["accounts"] += 1
            fm_account = fm_next["accounts"]
            row = _forcemanager_account(rng, company, base, suffix, differ=on_salesforce)
            out.forcemanager["accounts"].append({"id": fm_account, **row})
        if sf_account and fm_account:
            out.truth["accounts"].add((sf_account, fm_account))
        _add_contacts(
            rng,
            out,
            company["domain"],
            (sf_account, fm_account),
            (sf_next, fm_next),
            earlier_accounts=fm_accounts,
        )
        if fm_account:
            fm_accounts.append(fm_account)
    return out


def _company_base(rng: random.Random, names: list[str]) -> str:
    """A new company name, or now and then an earlier one (another company, another city)."""
    if names and rng.random() < SAME_NAME_SHARE:
        return rng.choice(names)
    base = ""
    while not base or base in names:
        base = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"
        if rng.random() < 0.3:
            base += f" {rng.choice(_FIRST)}"
    names.append(base)
    return base


def _add_contacts(
    rng: random.Random,
    out: Generated,
    domain: str,
    accounts: tuple[str | None, int | None],
    next_ids: tuple[dict[str, int], dict[str, int]],
    *,
    earlier_accounts: list[int],
) -> None:
    """A company's contacts: most on both sides where the company is, some on one side.

    ForceManager's copy differs as a rep's typing does: accents dropped, a typo in the last
    name, the last name and e-mail in other case, a missing e-mail or phone, the phone
    reformatted; now and then it sits under an earlier company (the person moved). Names repeat
    across companies (a few dozen first and last names), so the same name is in other accounts.
    """
    sf_account, fm_account = accounts
    sf_next, fm_next = next_ids
    people: set[tuple[str, str]] = set()
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        if (first, last) in people:
            continue  # one person per company: a second one would share the e-mail
        people.add((first, last))
        email = f"{_strip_accents(first)}.{_strip_accents(last)}@{domain}"
        number = sf_next["003"] + fm_next["contacts"]
        phone = f"+34 6{number % 100_000_000:08d}"
        both = sf_account and fm_account and rng.random() < 0.8
        sf_contact = fm_contact = None
        if sf_account and (both or not fm_account or rng.random() < 0.5):
            sf_next["003"] += 1
            sf_contact = _sf_id("003", sf_next["003"])
            out.salesforce["contact"].append(
                {"id": sf_contact, "firstname": first, "lastname": last, "email": email,
                 "phone": phone if rng.random() < 0.7 else None, "accountid": sf_account}
            )  # fmt: skip
        if fm_account and (both or not sf_contact):
            fm_next["contacts"] += 1
            fm_contact = fm_next["contacts"]
            fm_email = (
                None if both and rng.random() < 0.1
                else _recase(rng, email) if rng.random() < 0.5 else email
            )  # fmt: skip
            home = fm_account
            if both and fm_email and earlier_accounts and rng.random() < MOVED_CONTACT_SHARE:
                home = rng.choice(earlier_accounts)
            digits = phone.replace("+", "").replace(" ", "")
            out.forcemanager["contacts"].append(
                {
                    "id": fm_contact,
                    "firstname": _strip_accents(first) if rng.random() < 0.3 else first,
                    "lastname": _recase(
                        rng, _typo(rng, last) if both and rng.random() < 0.1 else last
                    ),
                    "email": fm_email,
                    "phone1": rng.choice((phone, f"{digits[2:5]} {digits[5:]}", None)),
                    "accountid__id": home,
                }
            )  # fmt: skip
        if sf_contact and fm_contact:
            out.truth["contacts"].add((sf_contact, fm_contact))


def _forcemanager_account(
    rng: random.Random, company: dict[str, str], base: str, suffix: str, *, differ: bool
) -> dict[str, Any]:
    """ForceManager's copy of a company: as Salesforce holds it, or as a rep typed it."""
    if not differ:
        return {"name": company["name"], "city": company["city"], "phone": company["phone"],
                "website": company["website"]}  # fmt: skip
    name = base
    if rng.random() < 0.3:
        name = _strip_accents(name)
    if rng.random() < 0.12:
        name = _typo(rng, name)
    name = _recase(rng, f"{name} {rng.choice(_SUFFIX_VARIANTS[suffix])}".strip())
    city = company["city"]
    draw = rng.random()
    if draw < 0.15:
        city = None
    elif draw < 0.35:
        city = _recase(rng, _strip_accents(city))
    phone: str | None = company["phone"]
    draw = rng.random()
    if draw < 0.25:
        phone = None
    elif draw < 0.6:
        digits = "".join(c for c in company["phone"] if c.isdigit())
        phone = f"00{digits[:2]}-{digits[2:5]}-{digits[5:]}"
    website: str | None = rng.choice(
        (company["website"], company["domain"], f"www.{company['domain']}/", None, None)
    )
    return {"name": name, "city": city, "phone": phone, "website": website}


def seed_warehouse(warehouse: Path, generated: Generated) -> dict[str, int]:
    """Replace the synced objects' raw rows with the generated records.

    Only the columns a raw table has are written; every record is live, owned by the first
    user of its side and stamped now (as a first load stamps it).

    Args:
        warehouse: A DuckDB file with the loaders' raw tables.
        generated: The generated CRMs.

    Returns:
        Rows written per raw table.
    """
    counts: dict[str, int] = {}
    sides = {"raw_salesforce": generated.salesforce, "raw_forcemanager": generated.forcemanager}
    with duckdb.connect(str(warehouse)) as con:
        sf_owner = con.execute("select min(id) from raw_salesforce.user").fetchone()
        fm_owner = con.execute("select min(id) from raw_forcemanager.users").fetchone()
        branch = con.execute("select min(id) from raw_forcemanager.branches").fetchone()
        defaults = {
            "isdeleted": False,
            "deleted": False,
            "ownerid": sf_owner[0] if sf_owner else None,
            "salesrepid1__id": fm_owner[0] if fm_owner else None,
            "salesrepid__id": fm_owner[0] if fm_owner else None,
            "branchid__id": branch[0] if branch else None,
        }
        for schema, tables in sides.items():
            for table in _synced_raw_tables(con, schema):
                con.execute(f'delete from {schema}."{table}"')
            for table, rows in tables.items():
                types = dict(
                    con.execute(
                        "select column_name, data_type from information_schema.columns "
                        "where table_schema = ? and table_name = ?",
                        [schema, table],
                    ).fetchall()
                )
                stamps = [c for c in ("systemmodstamp", "datemodified", "_sdc_batched_at")
                          if c in types]  # fmt: skip
                names = sorted({k for row in rows for k in row} | set(defaults))
                names = [n for n in names if n in types]
                # one bulk read of a JSON lines file: row-by-row inserts take minutes at 10,000
                lines = warehouse.with_name(f"{warehouse.stem}-{table}.jsonl")
                lines.write_text(
                    "".join(
                        json.dumps({n: {**defaults, **row}.get(n) for n in names}) + "\n"
                        for row in rows
                    )
                )
                quoted = ['"' + n + '"' for n in names]
                shape = ", ".join(f"'{n}': '{types[n]}'" for n in names)
                con.execute(
                    f'insert into {schema}."{table}" '
                    f"({', '.join(quoted + stamps)}) "
                    f"select {', '.join(quoted + ['now()'] * len(stamps))} "
                    f"from read_json(?, format = 'newline_delimited', columns = {{{shape}}})",
                    [str(lines)],
                )
                lines.unlink()
                counts[f"{schema}.{table}"] = len(rows)
        forget_sync_state(con)
    return counts


def match_settings(warehouse: Path) -> None:
    """Set a warehouse's stored settings to MATCH_SETTINGS, as `crmsync:prepare` stores them.

    Args:
        warehouse: A DuckDB file with the settings tables.
    """
    with duckdb.connect(str(warehouse)) as con:
        columns = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'crmsync_settings' and table_name = 'options'"
            ).fetchall()
        }
        if "initial_sync" not in columns:
            con.execute("alter table crmsync_settings.options add column initial_sync varchar")
        con.execute("update crmsync_settings.options set initial_sync = 'match'")
        con.execute("delete from crmsync_settings.objects")
        con.executemany(
            "insert into crmsync_settings.objects (object, mode) values (?, ?)",
            [(obj, str(mode)) for obj, mode in MATCH_SETTINGS["objects"].items()],
        )
        con.execute("checkpoint")


def _synced_raw_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    wanted = (
        {"account", "contact", "opportunity", "task", "event"}
        if schema == "raw_salesforce"
        else set(OBJECTS)
    )
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [schema]
    ).fetchall()
    return [name for (name,) in rows if name in wanted]


@dataclass
class Quality:
    """How the plan's matching compares with the truth, per object and in all.

    Attributes:
        true_pairs: True pairs per object.
        linked: Pairs the plan linked, per object.
        correct: Linked pairs that are true, per object.
        ambiguous: Records held as ambiguous, per object.
        duplicates: True pairs left unmatched on both sides (each created on the other side,
            so each CRM would hold the record twice), per object.
        deletes: Deletes the plan holds (any object, either side).
        object_deletes: Deletes the plan holds, per object with any.
    """

    true_pairs: dict[str, int]
    linked: dict[str, int]
    correct: dict[str, int]
    ambiguous: dict[str, int]
    duplicates: dict[str, int]
    deletes: int
    object_deletes: dict[str, int] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        """Correct links over links (1 when nothing was linked)."""
        linked = sum(self.linked.values())
        return sum(self.correct.values()) / linked if linked else 1.0

    @property
    def recall(self) -> float:
        """Correct links over true pairs (1 when there were none)."""
        true = sum(self.true_pairs.values())
        return sum(self.correct.values()) / true if true else 1.0

    def precision_of(self, obj: str) -> float:
        """One object's correct links over its links (1 when nothing was linked)."""
        return self.correct[obj] / self.linked[obj] if self.linked[obj] else 1.0

    def recall_of(self, obj: str) -> float:
        """One object's correct links over its true pairs (1 when there were none)."""
        return self.correct[obj] / self.true_pairs[obj] if self.true_pairs[obj] else 1.0


def measure_quality(
    con: duckdb.DuckDBPyConnection, truth: dict[str, set[tuple[str, int]]]
) -> Quality:
    """Compare `main.sync_matches` and `main.sync_plan` with the truth.

    Args:
        con: A connection to the planned warehouse.
        truth: The true pairs per object.

    Returns:
        The comparison.
    """
    rows = con.execute(
        "select object, decision, salesforce_id, forcemanager_id from main.sync_matches"
    ).fetchall()
    linked: dict[str, set[tuple[str, int]]] = {obj: set() for obj in truth}
    unmatched: dict[str, set[Any]] = {obj: set() for obj in truth}
    ambiguous = dict.fromkeys(truth, 0)
    for obj, decision, sf, fm in rows:
        if obj not in truth:
            continue
        if decision == "linked":
            linked[obj].add((sf, int(fm)))
        elif decision == "ambiguous":
            ambiguous[obj] += 1
        else:
            unmatched[obj].add(sf if sf is not None else int(fm))
    object_deletes = dict(
        con.execute(
            "select object, count(*) from main.sync_plan where action = 'delete' group by object"
        ).fetchall()
    )
    return Quality(
        true_pairs={obj: len(pairs) for obj, pairs in truth.items()},
        linked={obj: len(pairs) for obj, pairs in linked.items()},
        correct={obj: len(linked[obj] & truth[obj]) for obj in truth},
        ambiguous=ambiguous,
        duplicates={
            obj: sum(1 for sf, fm in truth[obj] if sf in unmatched[obj] and fm in unmatched[obj])
            for obj in truth
        },
        deletes=sum(object_deletes.values()),
        object_deletes=object_deletes,
    )


def plan_match(template: Path, folder: Path, accounts: int) -> tuple[Quality, float, int]:
    """Seed a copy of the template with generated CRMs and run the initial-sync plan.

    Args:
        template: A warehouse from a `sync-initial-plan` with `initial_sync: match`.
        folder: Scratch folder.
        accounts: Companies to generate.

    Returns:
        The quality, the plan's wall time in seconds and the records generated.
    """
    generated = generate(accounts)
    warehouse = folder / f"match-{accounts}.duckdb"
    # a write-ahead log an interrupted run left beside it belongs to another file
    warehouse.with_name(warehouse.name + ".wal").unlink(missing_ok=True)
    shutil.copy(template, warehouse)
    counts = seed_warehouse(warehouse, generated)
    started = time.perf_counter()
    run_dbt(warehouse, folder / "dbt", "plan_initial")
    seconds = time.perf_counter() - started
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quality = measure_quality(con, generated.truth)
    warehouse.unlink()
    return quality, seconds, sum(counts.values())


def _quality_rows(label: str, quality: Quality, seconds: float, note: str) -> list[Row]:
    duplicates = sum(quality.duplicates.values())
    detail = ", ".join(
        f"{obj}: {quality.correct[obj]:,}/{quality.true_pairs[obj]:,} true pairs linked, "
        f"{quality.linked[obj] - quality.correct[obj]} wrong, {quality.ambiguous[obj]} ambiguous"
        for obj in quality.true_pairs
    )
    return [
        Row(FIGURE, f"{label}: precision of links", round(100 * quality.precision, 2), "%",
            ">= 99.5%", quality.precision >= PRECISION_GOAL, detail),
        Row(FIGURE, f"{label}: recall of links", round(100 * quality.recall, 2), "%",
            ">= 98%", quality.recall >= RECALL_GOAL, note),
        Row(FIGURE, f"{label}: duplicates created", duplicates, "records", "0",
            duplicates == 0, "true pairs left unmatched on both sides"),
        Row(FIGURE, f"{label}: deletes planned", quality.deletes, "records", "0",
            quality.deletes == 0),
        Row(FIGURE, f"{label}: contacts precision",
            round(100 * quality.precision_of("contacts"), 2), "%", ">= 99.5%",
            quality.precision_of("contacts") >= PRECISION_GOAL,
            "typos, accents, e-mail case, missing e-mails and phones, moved contacts, "
            "the same names in other accounts"),
        Row(FIGURE, f"{label}: contacts recall", round(100 * quality.recall_of("contacts"), 2),
            "%", ">= 98%", quality.recall_of("contacts") >= RECALL_GOAL),
        Row(FIGURE, f"{label}: contacts duplicates created", quality.duplicates["contacts"],
            "records", "0", quality.duplicates["contacts"] == 0),
        Row(FIGURE, f"{label}: contacts deletes planned", quality.object_deletes.get("contacts", 0),
            "records", "0", not quality.object_deletes.get("contacts")),
        Row(FIGURE, f"{label}: initial-sync plan wall time", round(seconds, 1), "s",
            note="dbt plan_initial as sync-initial runs it; no API calls (nothing written)"),
    ]  # fmt: skip


def run(bench: Bench) -> None:
    """Measure the match quality on the warehouse, then a smaller sync through the sandboxes.

    Args:
        bench: The benchmark run.
    """
    size = "quick" if bench.report.quick else "full"
    folder = bench.folder("match")
    try:
        synced = bench.synced_warehouse()
        if synced is not None:
            shutil.copy(synced, folder / "template.duckdb")
        else:
            sync = bench.local_sync("match-template", MATCH_SETTINGS, seed=1, size=5)
            meltano_run(sync, "sync-initial-plan")
            shutil.copy(sync.warehouse, folder / "template.duckdb")
            bench.release("match-template")
        match_settings(folder / "template.duckdb")
        accounts = ACCOUNTS[size]
        quality, seconds, records = plan_match(folder / "template.duckdb", folder, accounts)
        bench.report.add(
            *_quality_rows(
                f"match, {accounts:,} accounts (dbt plan on the warehouse)",
                quality,
                seconds,
                f"{records:,} generated records; the matching models run directly on a "
                "warehouse seeded with them (plan only, no API calls)",
            )
        )
        bench.report.details["match"] = {
            "accounts": accounts, "records": records, "plan_seconds": round(seconds, 1),
            "precision": quality.precision, "recall": quality.recall,
            "true_pairs": quality.true_pairs, "linked": quality.linked,
            "correct": quality.correct, "ambiguous": quality.ambiguous,
            "duplicates": quality.duplicates, "deletes": quality.deletes,
        }  # fmt: skip
    except Exception as error:
        bench.report.add(Row(FIGURE, "match quality", None, note=fatal_note(error)))
    if not E2E_ACCOUNTS[size]:
        return
    try:
        accounts = E2E_ACCOUNTS[size]
        quality, seconds, calls = sync_match(bench, accounts)
        rows = _quality_rows(
            f"match, {accounts:,} accounts (sync-initial through the sandboxes)",
            quality,
            seconds,
            "the generated records created through both APIs, then `meltano run sync-initial`",
        )
        rows[-1] = Row(
            FIGURE,
            rows[-1].name.replace("plan wall time", "wall time"),
            rows[-1].value,
            "s",
            note="meltano run sync-initial, initial_sync: match",
        )
        total = sum(calls.values())
        rows.append(
            Row(
                FIGURE,
                f"match, {accounts:,} accounts: sync-initial API calls",
                total,
                "calls",
                note=", ".join(f"{k} {v:,}" for k, v in calls.items()),
            )
        )
        bench.report.add(*rows)
    except Exception as error:
        bench.report.add(Row(FIGURE, "match through the sandboxes", None, note=fatal_note(error)))


def sync_match(bench: Bench, accounts: int) -> tuple[Quality, float, dict[str, int]]:
    """Create generated CRMs in empty sandboxes and run `sync-initial` with `match`.

    Args:
        bench: The benchmark run.
        accounts: Companies to generate.

    Returns:
        The quality (truth in the sandboxes' ids), the run's wall time and its API calls per
        system.
    """
    generated = generate(accounts, seed=11)
    sync = bench.local_sync("match-e2e", MATCH_SETTINGS, empty=True)
    try:
        sf_ids = _create_salesforce(sync, generated)
        fm_ids = _create_forcemanager(sync, generated)
        truth = {
            obj: {(sf_ids[sf], fm_ids[(obj, fm)]) for sf, fm in pairs}
            for obj, pairs in generated.truth.items()
        }
        sync.reset_calls()
        measured = meltano_run(sync, "sync-initial")
        calls = {
            system: int(sync.calls(system)["total"]) for system in ("salesforce", "forcemanager")
        }
        with duckdb.connect(str(sync.warehouse), read_only=True) as con:
            quality = measure_quality(con, truth)
        return quality, measured.seconds, calls
    finally:
        bench.release("match-e2e")


def _create_salesforce(sync: Any, generated: Generated) -> dict[str, str]:
    """Create the generated Salesforce records; map generated ids to the org's."""
    ids: dict[str, str] = {}
    shapes = {
        "account": ("Account", {"name": "Name", "billingcity": "BillingCity", "phone": "Phone",
                                "website": "Website"}),
        "contact": ("Contact", {"firstname": "FirstName", "lastname": "LastName",
                                "email": "Email", "phone": "Phone", "accountid": "AccountId"}),
    }  # fmt: skip
    for table, (sobject, fields) in shapes.items():
        rows = generated.salesforce[table]
        for start in range(0, len(rows), COLLECTION_SIZE):
            chunk = rows[start : start + COLLECTION_SIZE]
            records = [
                {"attributes": {"type": sobject}}
                | {
                    api: ids[row[col]] if col == "accountid" else row[col]
                    for col, api in fields.items()
                    if row.get(col) is not None
                }
                for row in chunk
            ]
            results = sync.salesforce.request(
                "POST", "composite/sobjects", json={"allOrNone": True, "records": records}
            ).json()
            for row, result in zip(chunk, results, strict=True):
                ids[row["id"]] = result["id"]
    return ids


def _create_forcemanager(sync: Any, generated: Generated) -> dict[tuple[str, int], int]:
    """Create the generated ForceManager records; map (object, generated id) to the API's."""
    ids: dict[tuple[str, int], int] = {}
    for row in generated.forcemanager["accounts"]:
        body = {"branchId": 1} | {
            k: row[k] for k in ("name", "city", "phone", "website") if row[k] is not None
        }
        ids[("accounts", row["id"])] = sync.forcemanager.create("accounts", body)
    names = {"firstname": "firstName", "lastname": "lastName", "email": "email", "phone1": "phone1"}
    for row in generated.forcemanager["contacts"]:
        body = {"accountId": ids[("accounts", row["accountid__id"])]} | {
            api: row[col] for col, api in names.items() if row[col] is not None
        }
        ids[("contacts", row["id"])] = sync.forcemanager.create("contacts", body)
    return ids
