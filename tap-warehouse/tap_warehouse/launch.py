"""The `tap-warehouse` command: ends at once in a quiet cycle, else runs the tap.

The check comes before the Singer SDK's import: a quiet cycle's apply steps cost an interpreter
start, not the SDK's. A `--about` or `--discover` call always runs the tap.
"""

from __future__ import annotations

import sys

from crmsync_common.quiet import skip_step


def main() -> None:
    """Run `TapWarehouse.cli()` unless this `meltano run` is a quiet cycle."""
    arguments = set(sys.argv)
    if "--config" in arguments and not {"--about", "--discover"} & arguments:  # noqa: SIM102
        if skip_step("tap-warehouse"):
            return
    from tap_warehouse.tap import TapWarehouse  # noqa: PLC0415 - after the quiet check

    TapWarehouse.cli()
