"""Run the tap as ``python -m tap_warehouse``."""

from tap_warehouse.tap import TapWarehouse

TapWarehouse.cli()
