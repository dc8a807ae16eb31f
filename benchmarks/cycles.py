"""stub."""

from benchmarks.context import Bench


def run(bench: Bench) -> None:
    """Stub."""
