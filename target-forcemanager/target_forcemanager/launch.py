"""The `target-forcemanager` command: a quiet cycle with no input ends, else the target runs.

The check comes before the Singer SDK's import: a quiet cycle's apply step costs an interpreter
start, not the SDK's (`crmsync_common.quiet.skip_target`).
"""

from __future__ import annotations

from crmsync_common.quiet import skip_target


def main() -> None:
    """Run `TargetForceManager.cli()` unless this quiet `meltano run` sent it nothing."""
    if skip_target("target-forcemanager"):
        return
    from target_forcemanager.target import TargetForceManager  # noqa: PLC0415 - after the quiet check

    TargetForceManager.cli()
