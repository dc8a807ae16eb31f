"""Run one tenant's `meltano run` job, as a cron user runs it, one run per tenant at a time."""

from __future__ import annotations

import contextlib
import fcntl
import re
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from crmsync_common.atrest import OWNER_ONLY_UMASK
from crmsync_common.paths import link_installed_plugins
from crmsync_common.redact import redact

from crmsync_orchestrate.project import PROJECT_ROOT, meltano_executable
from crmsync_orchestrate.tenants import Tenant

#: Lines of a failed run's output kept for its error message and alert.
TAIL_LINES = 40
#: A stuck cycle is a failure, not a wait (a quiet cycle takes seconds, a large one minutes).
DEFAULT_TIMEOUT_S = 3 * 3600.0


class TenantBusy(RuntimeError):  # noqa: N818 - reads as "the tenant is busy"
    """Another run of the tenant holds its lock."""


@contextlib.contextmanager
def tenant_lock(tenant: Tenant, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the tenant's run lock (as cron's `flock`): DuckDB admits one writer per warehouse.

    Args:
        tenant: The tenant.
        wait_seconds: How long to wait for a running run to end; 0 gives up at once.

    Raises:
        TenantBusy: The lock is still held after `wait_seconds`.
    """
    tenant.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tenant.lock_file.open("a") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TenantBusy(
                        f"tenant {tenant.name}: another run of this tenant is in progress "
                        f"(lock {tenant.lock_file} held)"
                    ) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class JobResult:
    """What one `meltano run` did."""

    job: str
    returncode: int
    seconds: float
    tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def error_line(self) -> str:
        """The most telling line of a failed run: the step's own error, else the last line."""
        messages = [_message(line) for line in self.tail if line.strip()]
        for wanted in (_STEP_ERROR.search, _ANY_ERROR.search):
            for text in reversed(messages):
                if wanted(text) and not text.startswith(_MELTANO_SUMMARIES):
                    return text
        return messages[-1] if messages else f"exit status {self.returncode}"


#: Meltano's log prefix: `2026-01-01T00:00:00.000000Z [error    ] plugin-name   message`.
_PREFIX = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z \[\s*\w+\s*\] \S+\s+")
_STEP_ERROR = re.compile(r"(^|: )error: ")
_ANY_ERROR = re.compile(r"(?i)error")
#: Meltano's own closing lines, which say a step failed but not why.
_MELTANO_SUMMARIES = ("Block run completed", "Run invocation could not be completed", "Need help")


def _message(line: str) -> str:
    return _PREFIX.sub("", line.strip())


def run_meltano(
    tenant: Tenant,
    blocks: list[str],
    log: Callable[[str], None],
    *,
    run_only: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> JobResult:
    """Run `meltano --environment=ENV run --force BLOCK...` with the tenant's environment.

    The caller holds the tenant's lock, which is why `--force` is safe (as in
    `orchestrate/run-job.sh`: a killed run leaves its job marked running until Meltano's
    heartbeat timeout). Every output line goes to `log` with the tenant's secrets masked.
    """
    env = tenant.run_environment(**(run_only or {}))
    # the tenant's own Meltano system folder (its taps' state and catalog files), with the
    # project's installed plugins
    link_installed_plugins(Path(env["MELTANO_SYS_DIR_ROOT"]), PROJECT_ROOT / ".meltano")
    secrets = tenant.secrets()
    command = [
        str(meltano_executable()),
        f"--environment={tenant.meltano_environment()}",
        "run",
        "--force",
        *blocks,
    ]
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    started = time.monotonic()
    with subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        umask=OWNER_ONLY_UMASK,  # what the run writes is readable by its owner only
        start_new_session=True,
    ) as process:
        assert process.stdout is not None
        for raw in process.stdout:
            line = redact(raw.rstrip("\n"), secrets)
            tail.append(line)
            log(line)
            if time.monotonic() - started > timeout:
                process.kill()
                tail.append(f"crmsync-orchestrate: killed after {timeout:.0f} s")
                break
        returncode = process.wait()
    return JobResult(" ".join(blocks), returncode, time.monotonic() - started, list(tail))
