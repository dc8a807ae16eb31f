"""Peak memory of child processes: every descendant's high-water RSS (`VmHWM`), by name.

A sampler thread walks the process tree of the benchmark every `interval` seconds and keeps,
per process, the largest `VmHWM` the kernel reported; `VmHWM` is the process's own peak, so a
coarse interval still sees the true peak of any process that lives longer than one interval.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import psutil

#: Names we report processes under: the first of these found in the command line.
KNOWN_NAMES = (
    "tap-salesforce",
    "tap-forcemanager",
    "tap-warehouse",
    "target-salesforce",
    "target-forcemanager",
    "target-warehouse",
    "dbt",
    "crmsync_sandbox",
    "crmsync",
    "meltano",
)


def process_name(cmdline: list[str]) -> str:
    """A short name for a process from its command line.

    Args:
        cmdline: The process's arguments.

    Returns:
        The plugin (or tool) name, else the executable's base name.
    """
    for part in cmdline[:3]:
        base = Path(part).name
        for name in KNOWN_NAMES:
            if base.startswith(name):
                return base if name.startswith(("tap-", "target-")) else name
    for part in cmdline[:3]:
        for name in KNOWN_NAMES:
            if name in part:
                return name
    return Path(cmdline[0]).name if cmdline else "?"


def _peak_rss_mb(pid: int) -> float | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


@dataclass
class PeakMemory:
    """Sample the descendants of `root_pid` (this process by default) while in a `with` block.

    Attributes:
        interval: Seconds between samples.
        root_pid: The process whose descendants are sampled (None: this one).
        exclude_names: Process names left out (the sandbox servers are not plugins).
        peaks: Largest peak RSS in MB seen per process name (max over processes of that name).
    """

    interval: float = 0.05
    root_pid: int | None = None
    exclude_names: frozenset[str] = frozenset({"crmsync_sandbox"})
    peaks: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _names: dict[int, str] = field(default_factory=dict)

    def __enter__(self) -> PeakMemory:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        root = psutil.Process(self.root_pid)
        while not self._stop.is_set():
            self.sample(root)
            time.sleep(self.interval)
        self.sample(root)

    def sample(self, root: psutil.Process) -> None:
        """Take one sample of the tree under `root`.

        Args:
            root: The process whose descendants are sampled.
        """
        try:
            children = root.children(recursive=True)
        except psutil.Error:
            return
        for child in children:
            name = self._names.get(child.pid)
            if name is None:
                try:
                    name = process_name(child.cmdline())
                except psutil.Error:
                    continue
                # A child sampled between fork and exec still shows its parent's command
                # line: only a known name is final.
                if name in KNOWN_NAMES or name.startswith(("tap-", "target-")):
                    self._names[child.pid] = name
            if name in self.exclude_names:
                continue
            peak = _peak_rss_mb(child.pid)
            if peak is not None and peak > self.peaks.get(name, 0.0):
                self.peaks[name] = peak

    def rounded(self) -> dict[str, float]:
        """The peaks in MB, rounded, largest first.

        Returns:
            Name -> MB.
        """
        ordered = sorted(self.peaks.items(), key=lambda item: -item[1])
        return {name: round(mb) for name, mb in ordered}
