"""What every figure shares: sizes, the work folder, timing helpers and the plugins' paths."""

from __future__ import annotations

import contextlib
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.procmem import PeakMemory
from benchmarks.report import Report
from crmsync.local import PROJECT_ROOT, LocalSync

T = TypeVar("T")
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z) ")

#: Where the plugins' own executables live once `meltano install` ran.
MELTANO_DIR = PROJECT_ROOT / ".meltano"

#: Every object synced in both directions where the API allows (opportunities are one-way).
ALL_OBJECTS: dict[str, Any] = {
    "objects": {
        "accounts": "two-way",
        "contacts": "two-way",
        "opportunities": "one-way",
        "activities": "two-way",
        "events": "two-way",
        "tasks": "two-way",
    },
    "user_mapping": {"auto": True},
}


@dataclass(frozen=True)
class Sizes:
    """How big each figure's workload is.

    Attributes:
        server_records: Records per object the server self-benchmark pages through (fig. 0).
        server_small_requests: Small requests timed per server (fig. 0).
        fm_rate_limits: ForceManager rate limits (requests/s) of figure 1.
        fm_write_seconds: Seconds of writing per run at the limit (records = limit x seconds).
        fm_latency_ms: Added latency of figure 1.
        sf_write_records: Records created, updated and deleted in figure 2.
        extract_records: Records per object of the extraction runs (fig. 3).
        cycle_records: Records in all (over the six objects) of the synced data (figs. 4, 5).
        change_share: Share of records changed before the change cycle (fig. 5).
        plan_records: Records per object of the dbt plan runs (fig. 6).
        repeats: Runs per short measurement (the median is reported).
        wait_lookback: Let the taps' lookback window pass after the initial sync, as the
            15-minute schedule does, so the quiet cycles measure a quiet cycle.
        soak_rounds: Rounds of the convergence soak (each killed at a random step).
        soak_operations: Random operations per soak round.
    """

    server_records: int
    server_small_requests: int
    fm_rate_limits: tuple[float, ...]
    fm_write_seconds: float
    fm_latency_ms: int
    sf_write_records: int
    extract_records: int
    cycle_records: int
    change_share: float
    plan_records: tuple[int, ...]
    repeats: int
    wait_lookback: bool
    soak_rounds: int
    soak_operations: int


FULL = Sizes(
    server_records=100_000,
    server_small_requests=4_000,
    fm_rate_limits=(4, 13),
    fm_write_seconds=20,
    fm_latency_ms=100,
    sf_write_records=10_000,
    extract_records=100_000,
    cycle_records=100_000,
    change_share=0.01,
    plan_records=(10_000, 100_000, 1_000_000),
    repeats=3,
    wait_lookback=True,
    soak_rounds=30,
    soak_operations=15,
)
QUICK = Sizes(
    server_records=2_000,
    server_small_requests=400,
    fm_rate_limits=(4, 13),
    fm_write_seconds=2,
    fm_latency_ms=100,
    sf_write_records=400,
    extract_records=100,
    cycle_records=300,
    change_share=0.05,
    plan_records=(500,),
    repeats=1,
    wait_lookback=False,
    soak_rounds=1,
    soak_operations=6,
)


@dataclass
class Bench:
    """One benchmark run: its sizes, work folder, report and the sandboxes it shares.

    Attributes:
        sizes: The workload sizes.
        work_dir: Scratch folder (removed at the end unless kept).
        report: Where figures go.
    """

    sizes: Sizes
    work_dir: Path
    report: Report
    _syncs: dict[str, LocalSync] = field(default_factory=dict)

    def local_sync(self, name: str, settings: dict[str, Any] | None = None, **options: Any) -> Any:
        """A started `LocalSync` named `name`, created on first use and shared afterwards.

        Args:
            name: Key of the shared sync (also its folder name).
            settings: Sync settings (all objects by default).
            **options: Sandbox options (`seed`, `size`...).

        Returns:
            The started `LocalSync`.
        """
        if name not in self._syncs:
            sync = LocalSync(self.work_dir / name, settings or ALL_OBJECTS, **options)
            sync.sandbox.start(timeout=1800)
            self._syncs[name] = sync
        return self._syncs[name]

    def release(self, name: str) -> None:
        """Stop a shared sync and delete its folder.

        Args:
            name: Its key.
        """
        sync = self._syncs.pop(name, None)
        if sync is not None:
            sync.stop()
            shutil.rmtree(sync.directory, ignore_errors=True)

    def synced_warehouse(self) -> Path | None:
        """The warehouse of the cycles' sync, if one was set up by a full sync.

        Returns:
            Its path, or None.
        """
        sync = self._syncs.get("cycles")
        if sync is None or not sync.warehouse.exists():
            return None
        try:
            sync.query("select count(*) from main.sync_stats")
        except Exception:
            return None
        return Path(sync.warehouse)

    def close(self) -> None:
        """Stop every shared sync."""
        for name in list(self._syncs):
            self.release(name)

    def folder(self, name: str) -> Path:
        """A fresh empty folder under the work dir.

        Args:
            name: Its name.

        Returns:
            The folder.
        """
        path = self.work_dir / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path


def median_of(repeats: int, run: Callable[[], T], key: Callable[[T], float]) -> tuple[T, list[T]]:
    """Run `run` `repeats` times; return the run with the median `key` and all runs.

    Args:
        repeats: How many runs.
        run: One run.
        key: The figure the median is taken on.

    Returns:
        (the median run, every run).
    """
    runs = [run() for _ in range(max(1, repeats))]
    middle = statistics.median_low([key(r) for r in runs])
    return next(r for r in runs if key(r) == middle), runs


@dataclass
class Measured:
    """A timed child-process run: seconds, exit code, output, per-process peak memory (MB)."""

    seconds: float
    returncode: int
    output: str
    peak_mb: dict[str, float]


def run_measured(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    stdin: Path | None = None,
    cwd: Path = PROJECT_ROOT,
    timeout: float = 3600,
) -> Measured:
    """Run a command, timing it and sampling the peak memory of its process tree.

    Args:
        command: The command.
        env: Its environment (this process's by default).
        stdin: A file fed to its standard input.
        cwd: Its working folder.
        timeout: Seconds before it is killed.

    Returns:
        The measurement.
    """
    with contextlib.ExitStack() as stack:
        stdin_file = stack.enter_context(stdin.open("rb")) if stdin else subprocess.DEVNULL
        memory = stack.enter_context(PeakMemory())
        started = time.perf_counter()
        result = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            stdin=stdin_file,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        seconds = time.perf_counter() - started
    output = (result.stdout + result.stderr).decode(errors="replace")
    return Measured(seconds, result.returncode, output, memory.rounded())


def meltano_run(
    sync: LocalSync, *blocks: str, timeout: float = 3600, cwd: Path = PROJECT_ROOT, **env: str
) -> Measured:
    """`meltano --environment=sandbox run BLOCK...` for `sync`, timed, with peak memory.

    Args:
        sync: The local sync (its sandboxes, warehouse and Meltano DB).
        *blocks: Job or plugin names (and `run` options such as `--full-refresh`).
        timeout: Seconds before it is killed.
        cwd: The Meltano project to run in.
        **env: Extra environment variables.

    Returns:
        The measurement.

    Raises:
        RuntimeError: If the run failed.
    """
    meltano = str(Path(sys.executable).with_name("meltano"))
    measured = run_measured(
        [meltano, "--environment=sandbox", "run", *blocks],
        env=sync.environment(**env),
        timeout=timeout,
        cwd=cwd,
    )
    if measured.returncode != 0:
        lines = measured.output.splitlines()
        errors = [line for line in lines if "error" in line.lower()][:5]
        tail = "\n".join(errors + lines[-40:])
        raise RuntimeError(f"meltano run {' '.join(blocks)} exited {measured.returncode}:\n{tail}")
    return measured


def block_seconds(output: str) -> list[float]:
    """Seconds each block of a `meltano run` took, from the timestamps of its log lines.

    A block ends at its "Block run completed" line; the first starts at the first log line.

    Args:
        output: The run's output.

    Returns:
        One duration per completed block, in order.
    """
    stamps: list[tuple[datetime, bool]] = []
    for line in output.splitlines():
        match = _STAMP.match(line)
        if match:
            stamp = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
            stamps.append((stamp, "Block run completed" in line))
    if not stamps:
        return []
    durations, start = [], stamps[0][0]
    for stamp, completed in stamps:
        if completed:
            durations.append(round((stamp - start).total_seconds(), 1))
            start = stamp
    return durations


def plugin_executable(kind: str, name: str) -> Path:
    """The installed executable of a Meltano plugin.

    Args:
        kind: `extractors`, `loaders` or `utilities`.
        name: The plugin name (the executable's name too).

    Returns:
        Its path.
    """
    return MELTANO_DIR / kind / name / "venv" / "bin" / name


def fatal_note(error: BaseException) -> str:
    """A one-line description of why a figure could not be measured.

    Args:
        error: What went wrong.

    Returns:
        The note.
    """
    lines = [line for line in str(error).splitlines() if line.strip()]
    first = lines[0] if lines else ""
    second = lines[1] if len(lines) > 1 else ""
    text = f"{type(error).__name__}: {first}" + (f" ... {second}" if second else "")
    return text[:400]


@contextlib.contextmanager
def timed(report: Report, name: str) -> Iterator[None]:
    """Record how long a block took in `report.seconds[name]`.

    Args:
        report: The report.
        name: The block's name.

    Yields:
        Nothing.
    """
    started = time.perf_counter()
    try:
        yield
    finally:
        report.seconds[name] = round(time.perf_counter() - started, 1)
