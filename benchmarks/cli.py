"""`python -m benchmarks [--quick] [--only NAME]...`: measure, print the table, write JSON."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import cycles, extraction, match, plan, servers, soak, tenants, writes
from benchmarks.context import FULL, QUICK, Bench, timed
from benchmarks.report import Report
from crmsync.local import PROJECT_ROOT

#: Figure names in run order. Extraction runs right after the servers: both use the same
#: 100,000-records-per-object sandbox, which is released after it.
FIGURES: dict[str, tuple[str, Callable[[Bench], None]]] = {
    "servers": ("0: sandbox servers' throughput (issue 2)", servers.run),
    "extract": ("3 and 7: extraction records/s and the plugins' peak memory", extraction.run),
    "fm-writes": ("1: ForceManager write utilisation and 429s", writes.run_forcemanager),
    "sf-writes": ("2: Salesforce collection calls per ceil(n/200)", writes.run_salesforce),
    "cycles": ("4, 5 and 7: quiet and 1% change cycles, API calls, peak memory", cycles.run),
    "plan": ("6: the dbt plan alone at growing sizes", plan.run),
    "match": ("9: initial_sync: match precision, recall and duplicates, known truth", match.run),
    "soak": ("8: the convergence soak: random edits, faults and kills", soak.run),
    "tenants": ("10: quiet cycles of many sandbox tenants through Dagster", tenants.run),
}
#: Figures run only when named with --only (the soak takes about an hour; the tenants figure
#: sets up 40 tenants, each with its own sandboxes and initial sync).
ON_DEMAND = {"soak", "tenants"}
DEFAULT_OUTPUT = PROJECT_ROOT / "output" / "bench"


def build_parser() -> argparse.ArgumentParser:
    """The command-line options.

    Returns:
        The parser.
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure crmsync's speed and API-call efficiency on local sandboxes.",
        epilog="Figures: " + "; ".join(f"{name} ({text})" for name, (text, _) in FIGURES.items()),
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument(
        "--only", action="append", choices=sorted(FIGURES), metavar="NAME",
        help=f"run only this figure (repeatable): {', '.join(FIGURES)}",
    )  # fmt: skip
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON folder")
    parser.add_argument("--work-dir", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected figures, print the table and write the JSON.

    Args:
        argv: Arguments (sys.argv by default).

    Returns:
        0 when every figure was measured, 1 when one could not be.
    """
    args = build_parser().parse_args(argv)
    selected = [
        name for name in FIGURES
        if name in (args.only or ()) or (not args.only and name not in ON_DEMAND)
    ]  # fmt: skip
    report = Report(quick=args.quick)
    work_dir = Path(args.work_dir or tempfile.mkdtemp(prefix="crmsync-bench-"))
    work_dir.mkdir(parents=True, exist_ok=True)
    bench = Bench(QUICK if args.quick else FULL, work_dir, report)
    started = time.perf_counter()
    try:
        for name in selected:
            print(f"[bench] {FIGURES[name][0]} ...", file=sys.stderr, flush=True)
            with timed(report, name):
                FIGURES[name][1](bench)
            print(f"[bench] {name}: {report.seconds[name]} s", file=sys.stderr, flush=True)
            # Figures so far, in case a later one is interrupted.
            print(report.table(), file=sys.stderr, flush=True)
            if name in {"extract", "plan"}:
                bench.release("extract")
                bench.release("cycles")
    finally:
        bench.close()
        report.seconds["total"] = round(time.perf_counter() - started, 1)
        if not args.keep and not args.work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    path = report.write_json(args.output)
    print(report.table())
    print(f"\n{'quick' if args.quick else 'full'} run, {report.seconds['total']} s; JSON: {path}")
    return 0 if all(row.value is not None for row in report.rows) else 1
