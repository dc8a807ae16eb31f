"""Run the tap: `python -m tap_forcemanager`."""

from tap_forcemanager.tap import TapForceManager

TapForceManager.cli()
