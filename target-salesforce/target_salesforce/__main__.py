"""Run the target: ``python -m target_salesforce``."""

from target_salesforce.target import TargetSalesforce

TargetSalesforce.cli()
