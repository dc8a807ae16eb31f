"""Benchmark results: rows of figures, printed as a table and written as JSON."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Row:
    """One measured figure.

    Attributes:
        figure: Issue 6 figure number (0 for the sandbox servers of issue 2).
        name: What was measured.
        value: The measurement (None when it could not be taken).
        unit: Unit of `value`.
        goal: The goal as text (empty when the figure has none).
        met: Whether the goal is met (None without a goal).
        note: Short context (sizes, counts, errors).
    """

    figure: int
    name: str
    value: float | int | str | None
    unit: str = ""
    goal: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Report:
    """Every row of one `python -m benchmarks` run, plus per-figure details for the JSON."""

    quick: bool
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    started_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    def add(self, *rows: Row) -> None:
        """Append rows.

        Args:
            *rows: The rows.
        """
        self.rows.extend(rows)

    def table(self) -> str:
        """The rows as a fixed-width text table.

        Returns:
            The table.
        """
        header = ("fig", "figure", "value", "goal", "met", "note")
        lines = [
            (
                str(row.figure),
                row.name,
                _format_value(row.value, row.unit),
                row.goal,
                {True: "yes", False: "NO", None: ""}[row.met],
                row.note,
            )
            for row in self.rows
        ]
        widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(5)]
        out = []
        for cells in [header, (*("-" * w for w in widths), "-" * 4), *lines]:
            fixed = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells[:5]))
            out.append(f"{fixed}  {cells[5]}".rstrip())
        return "\n".join(out)

    def write_json(self, directory: Path) -> Path:
        """Write the report as `bench-<time>.json` and `latest.json` in `directory`.

        Args:
            directory: The output folder (created if missing).

        Returns:
            The timestamped file.
        """
        directory.mkdir(parents=True, exist_ok=True)
        document = {
            "started_at": self.started_at,
            "quick": self.quick,
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": _cpu_count(),
            },
            "seconds": self.seconds,
            "rows": [asdict(row) for row in self.rows],
            "details": self.details,
        }
        text = json.dumps(document, indent=2, default=str)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = directory / f"bench-{stamp}{'-quick' if self.quick else ''}.json"
        path.write_text(text)
        (directory / ("latest-quick.json" if self.quick else "latest.json")).write_text(text)
        return path


def _format_value(value: float | int | str | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = value
    return f"{text} {unit}".rstrip()


def _cpu_count() -> int | None:
    return os.cpu_count()
