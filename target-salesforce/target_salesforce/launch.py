"""The `target-salesforce` command: a quiet cycle with no input ends, else the target runs.

The check comes before the Singer SDK's import: a quiet cycle's apply step costs an interpreter
start, not the SDK's (`crmsync_common.quiet.skip_target`).
"""

from __future__ import annotations

from crmsync_common.quiet import skip_target


def main() -> None:
    """Run `TargetSalesforce.cli()` unless this quiet `meltano run` sent it nothing."""
    if skip_target("target-salesforce"):
        return
    from target_salesforce.target import TargetSalesforce  # noqa: PLC0415 - after the quiet check

    TargetSalesforce.cli()
