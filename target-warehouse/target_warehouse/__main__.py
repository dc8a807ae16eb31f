"""Run the target as ``python -m target_warehouse``."""

from target_warehouse.target import TargetWarehouse

TargetWarehouse.cli()
