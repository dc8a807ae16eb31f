"""The match figure's quick size: the initial sync's matching on generated CRMs with known
truth meets its goals (precision, recall, no duplicates, no deletes).

The plan runs on a fixture warehouse (the loaders' raw tables, no sandboxes), as the figure
runs it on a warehouse seeded with the generated records."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.match import (
    ACCOUNTS,
    PRECISION_GOAL,
    RECALL_GOAL,
    _strip_accents,
    generate,
    plan_match,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "transform"))

from warehouse import Warehouse, dbt_executable

pytestmark = pytest.mark.slow


def test_generated_truth_has_every_kind_of_difference() -> None:
    generated = generate(ACCOUNTS["quick"])
    salesforce = {r["id"]: r for r in generated.salesforce["account"]}
    forcemanager = {r["id"]: r for r in generated.forcemanager["accounts"]}
    pairs = generated.truth["accounts"]
    assert len(salesforce) > len(pairs)
    assert len(forcemanager) > len(pairs)
    differ = [p for p in pairs if salesforce[p[0]]["name"] != forcemanager[p[1]]["name"]]
    no_city = [p for p in pairs if forcemanager[p[1]]["city"] is None]
    assert len(differ) > len(pairs) / 3
    assert no_city
    names = [r["name"] for r in salesforce.values()]
    assert len(set(names)) < len(names), "some companies share a name (in other cities)"
    assert generate(ACCOUNTS["quick"]).truth == generated.truth, "deterministic"


def test_generated_contacts_differ_as_reps_type_them() -> None:
    generated = generate(ACCOUNTS["quick"])
    salesforce = {r["id"]: r for r in generated.salesforce["contact"]}
    forcemanager = {r["id"]: r for r in generated.forcemanager["contacts"]}
    account_pairs = dict(generated.truth["accounts"])
    pairs = [(salesforce[sf], forcemanager[fm]) for sf, fm in generated.truth["contacts"]]
    assert len(salesforce) > len(pairs)
    assert len(forcemanager) > len(pairs)
    assert any(sf["firstname"] != fm["firstname"] for sf, fm in pairs), "accents dropped"
    typos = [
        (sf, fm) for sf, fm in pairs
        if sf["lastname"].lower() != fm["lastname"].lower()
        and _strip_accents(sf["lastname"]).lower() != fm["lastname"].lower()
    ]  # fmt: skip
    assert typos, "misspelt last names"
    assert any(fm["email"] is None for _, fm in pairs), "missing e-mails"
    assert any(fm["email"] and fm["email"] != sf["email"] for sf, fm in pairs), "e-mail case"
    assert any(fm["phone1"] is None for _, fm in pairs), "missing phones"
    assert any(fm["phone1"] and fm["phone1"] != sf["phone"] for sf, fm in pairs), "phone format"
    moved = [
        (sf, fm) for sf, fm in pairs if account_pairs.get(sf["accountid"]) != fm["accountid__id"]
    ]
    assert moved, "contacts moved to another company on one side"
    names = [(r["firstname"], r["lastname"]) for r in salesforce.values()]
    assert len(set(names)) < len(names), "the same names in different accounts"


def test_match_on_generated_crms_meets_the_goals(tmp_path: Path) -> None:
    dbt = dbt_executable()
    if dbt is None:
        pytest.skip("no dbt: `meltano install` the dbt-duckdb utility")
    wh = Warehouse(tmp_path / "template.duckdb", dbt, tmp_path / "target")
    wh.create_tables()
    wh.insert("raw_salesforce.user", [{"id": "005000000000001AAA", "firstname": "Integration",
                                       "lastname": "User", "isactive": True}])  # fmt: skip
    wh.insert("raw_forcemanager.users", [{"id": 1, "name": "API", "lastname": "Integration"}])
    wh.insert("raw_forcemanager.branches", [{"id": 3, "descriptionen": "Main"}])
    wh.set_modes(accounts="two-way", contacts="two-way")
    wh.add_column("crmsync_settings.options", "initial_sync", "varchar")
    wh.insert("crmsync_settings.options", [{"auto_match_users": True, "initial_sync": "match"}])

    quality, _, records = plan_match(wh.path, tmp_path, ACCOUNTS["quick"])

    assert records > ACCOUNTS["quick"]
    assert quality.precision >= PRECISION_GOAL, quality
    assert quality.recall >= RECALL_GOAL, quality
    assert sum(quality.duplicates.values()) == 0, quality
    assert quality.deletes == 0
    assert quality.true_pairs["contacts"] > 100, quality
    assert quality.precision_of("contacts") >= PRECISION_GOAL, quality
    assert quality.recall_of("contacts") >= RECALL_GOAL, quality
    assert quality.duplicates["contacts"] == 0, quality
    assert not quality.object_deletes, quality
