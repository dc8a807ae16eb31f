"""Run the tap: ``python -m tap_salesforce``."""

from tap_salesforce.tap import TapSalesforce

TapSalesforce.cli()
