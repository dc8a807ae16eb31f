"""The dbt project's object catalogue equals the one the settings, taps and targets read."""

from __future__ import annotations

from crmsync_common.objects import CATALOGUE, OBJECTS
from warehouse import Warehouse

#: Renders the dbt macros' catalogue as `name sf_object fm_resource` lines, then the order.
CATALOGUE_SQL = (
    "{% for name, spec in crmsync_objects().items() %}"
    "catalogue: {{ name }} {{ spec.sf_object }} {{ spec.fm_resource }}\n"
    "{% endfor %}"
    "order: {{ crmsync_object_names() | join(' ') }}"
)


def test_the_dbt_catalogue_is_the_python_catalogue(warehouse: Warehouse) -> None:
    result = warehouse.dbt_run("--quiet", "compile", "--inline", CATALOGUE_SQL)
    assert result.returncode == 0, result.output[-4000:]
    lines = result.output.splitlines()
    dbt_catalogue = [line.split()[1:] for line in lines if line.startswith("catalogue: ")]
    python_catalogue = [
        [obj.name, obj.salesforce_object, obj.forcemanager_resource] for obj in CATALOGUE
    ]
    assert dbt_catalogue == python_catalogue
    [order] = [line.split()[1:] for line in lines if line.startswith("order: ")]
    assert order == list(OBJECTS)
