"""dbt's graph (the manifest's `depends_on`, `dbt ls`, `dbt docs`) shows what each model reads.

The values and records models stage each object's raw rows themselves, with a filter pushed
into the raw read (macros/lineage.sql says why), so their reads of the staging models are
declared rather than `ref`'d in the compiled SQL: these tests hold the declarations true.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from crmsync_common.objects import OBJECTS
from warehouse import Warehouse, dbt_executable

SIDES = ("salesforce", "forcemanager")
#: The models that read the six objects' rows.
OBJECT_READERS = [f"int_{side}__{kind}" for side in SIDES for kind in ("records", "values")]


def manifest(wh: Warehouse, *args: str) -> dict[str, Any]:
    """Parse the project (with `args`, e.g. vars) and return its manifest."""
    result = wh.dbt_run("parse", "--no-partial-parse", *args)
    assert result.returncode == 0, result.output[-4000:]
    return json.loads((wh.target_dir / "manifest.json").read_text())


def models(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The project's models by name."""
    return {
        node["name"]: node
        for node in graph["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "crmsync"
    }


def upstream_names(node: dict[str, Any]) -> set[str]:
    """The names of the models and sources (`source_name.table`) a node depends on."""
    names = set()
    for unique_id in node["depends_on"]["nodes"]:
        kind, _, *rest = unique_id.split(".")
        names.add(".".join(rest) if kind == "source" else rest[-1])
    return names


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The manifest of a parse with the default vars (a cycle's plan)."""
    dbt = dbt_executable()
    if dbt is None:
        pytest.skip("no dbt: set DBT_EXECUTABLE or run `meltano install`")
    folder = tmp_path_factory.mktemp("lineage")
    return manifest(Warehouse(folder / "warehouse.duckdb", dbt, folder / "target"))


def test_every_object_reader_depends_on_the_objects_staging_models(
    graph: dict[str, Any],
) -> None:
    by_name = models(graph)
    for reader in OBJECT_READERS:
        side = reader.split("_")[1]
        expected = {f"stg_{side}__{obj}" for obj in OBJECTS}
        assert expected <= upstream_names(by_name[reader]), reader


def test_a_model_reading_a_staged_raw_table_depends_on_its_staging_models(
    graph: dict[str, Any],
) -> None:
    by_name = models(graph)
    staged = {
        name: {table for table in upstream_names(node) if table.startswith("raw_")}
        for name, node in by_name.items()
        if name.startswith(("stg_salesforce__", "stg_forcemanager__"))
    }
    missing = []
    for name, node in by_name.items():
        if not name.startswith("int_"):
            continue
        upstream = upstream_names(node)
        for staging, raw in staged.items():
            # a model that reads a raw table the staging model stages reads that staging
            # (an object's Salesforce raw table can hold two objects: task)
            if raw & upstream and staging not in upstream:
                missing.append(f"{name} reads {sorted(raw & upstream)} without {staging}")
    assert not missing, "\n".join(missing)


def test_every_staging_model_feeds_a_model(graph: dict[str, Any]) -> None:
    by_name = models(graph)
    children = graph["child_map"]
    unused = [
        name
        for name, node in by_name.items()
        if name.startswith("stg_")
        and not any(child.startswith("model.") for child in children[node["unique_id"]])
    ]
    assert by_name.keys() >= {f"stg_{side}__{obj}" for side in SIDES for obj in OBJECTS}
    assert not unused, f"staging models no model reads: {unused}"


def test_the_matching_declares_what_an_initial_sync_reads(
    graph: dict[str, Any], warehouse: Warehouse
) -> None:
    incremental = models(graph)["int_matches"]
    initial = models(manifest(warehouse, "--vars", "sync_mode: initial"))["int_matches"]
    assert upstream_names(initial) <= upstream_names(incremental)
    assert {"stg_salesforce__accounts", "int_salesforce__records"} <= upstream_names(initial)


def test_the_comparison_reads_values_through_one_narrow_table(graph: dict[str, Any]) -> None:
    # In a plan with no sync state the value joins match every value of every record. Carrying
    # the pair's and the field's other columns through them ran past DuckDB's memory limit
    # (docs/internals.md, "Clean pairs"), so they are a table model of their own.
    by_name = models(graph)
    values = {f"int_{side}__values" for side in SIDES}
    assert values <= upstream_names(by_name["int_pair_values"])
    assert "int_pair_values" in upstream_names(by_name["int_field_changes"])
    assert not values & upstream_names(by_name["int_field_changes"])
    assert by_name["int_pair_values"]["config"]["materialized"] == "table"
    assert set(by_name["int_pair_values"]["columns"]) == {
        "object",
        "sync_key",
        "field",
        "salesforce_value",
        "forcemanager_value",
        "is_ref_blocked_in_forcemanager",
        "is_ref_held_in_forcemanager",
    }
