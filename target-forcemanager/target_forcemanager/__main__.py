"""Run the target: `python -m target_forcemanager`."""

from target_forcemanager.target import TargetForceManager

TargetForceManager.cli()
