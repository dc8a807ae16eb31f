"""Run crmsync's Meltano jobs against local sandbox servers: the demo, the end-to-end tests and
the benchmarks all drive a sync through this, exactly as a user would from a shell.

Each `LocalSync` is a fully independent sync (its own sandboxes, warehouse, sync log, settings
file, Meltano system database and dbt target and log folders), so several can run at once.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml
from crmsync_common.atrest import OWNER_ONLY_UMASK
from crmsync_common.paths import dbt_folders, link_installed_plugins, meltano_system_folder

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: A cycle on small sandboxes takes well under a minute; a stuck job is a failure, not a wait.
DEFAULT_JOB_TIMEOUT_S = 900.0


def _dbt_utility() -> dict[str, Any]:
    config = yaml.safe_load((PROJECT_ROOT / "meltano.yml").read_text())
    [dbt] = [u for u in config["plugins"]["utilities"] if u["name"] == "dbt-duckdb"]
    return dict(dbt)


def dbt_command(name: str) -> list[str]:
    """The dbt arguments of a `dbt-duckdb` command in meltano.yml (`plan`, `report`...).

    Tests and benchmarks that run dbt without Meltano run exactly what the jobs run.
    """
    return shlex.split(_dbt_utility()["commands"][name]["args"])


def dbt_executable() -> Path:
    """The executable the jobs' dbt steps run, in the utility's environment."""
    bin_dir = PROJECT_ROOT / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin"
    return bin_dir / str(_dbt_utility().get("executable", "dbt"))


class JobFailed(RuntimeError):  # noqa: N818 - reads as "the job failed"
    """A `meltano run` job exited non-zero; carries its output."""

    def __init__(self, job: str, result: subprocess.CompletedProcess[str]) -> None:
        self.job = job
        self.result = result
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
        super().__init__(f"meltano run {job} exited {result.returncode}:\n{tail}")


@dataclass
class JobRun:
    """What one `meltano run` did."""

    job: str
    returncode: int
    output: str
    seconds: float


class LocalSync:
    """Sandboxes plus a crmsync workspace in `directory`.

    Args:
        directory: where the sandbox data, warehouse, sync log, Meltano's database and system
            folder (its run files and logs; the plugins are the project's) and dbt's target and
            log folders live.
        settings: the sync settings document (docs/contracts.md section 3).
        **sandbox_options: `crmsync-sandbox serve` options (`seed`, `size`, `latency_ms`...).
    """

    def __init__(self, directory: Path, settings: dict[str, Any], **sandbox_options: Any) -> None:
        from crmsync_sandbox.testing import SandboxProcess  # noqa: PLC0415 - dev-only dependency

        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.sandbox = SandboxProcess(self.directory / "sandbox", **sandbox_options)
        self.warehouse = self.directory / "warehouse.duckdb"
        self.settings_file = self.directory / "sync.yml"
        self.meltano_dir = self.directory / "meltano"
        link_installed_plugins(self.meltano_dir, PROJECT_ROOT / ".meltano")
        self.write_settings(settings)
        self._salesforce: Any = None
        self._forcemanager: Any = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> LocalSync:
        """Start the sandboxes (and wait until they are ready)."""
        self.sandbox.start()
        return self

    def stop(self) -> None:
        """Close the API clients and stop the sandboxes."""
        for client in (self._salesforce, self._forcemanager):
            if client is not None:
                client.close()
        self._salesforce = self._forcemanager = None
        self.sandbox.stop()

    def __enter__(self) -> LocalSync:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def write_settings(self, settings: dict[str, Any]) -> None:
        """Replace the sync settings file."""
        self.settings_file.write_text(yaml.safe_dump(settings, sort_keys=False))

    # -- running jobs -------------------------------------------------------------------------
    def environment(self, *, unset: Iterable[str] = (), **extra: str) -> dict[str, str]:
        """The process environment a scheduler would give `meltano run` for this sync.

        Args:
            unset: variables to leave out (e.g. the password flow's, to log in otherwise).
            **extra: variables to add or override.
        """
        env = dict(os.environ)
        env.update(self.sandbox.env)
        env.update(
            {
                "CRMSYNC_WAREHOUSE": str(self.warehouse),
                "CRMSYNC_CONFIG": str(self.settings_file),
                "MELTANO_DATABASE_URI": f"sqlite:///{self.directory / 'meltano.db'}",
                "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
                **meltano_system_folder(self.meltano_dir),
                **dbt_folders(self.directory / "dbt"),
            }
        )
        env.update(extra)
        for name in unset:
            env.pop(name, None)
        return env

    def run(
        self,
        *blocks: str,
        check: bool = True,
        timeout: float = DEFAULT_JOB_TIMEOUT_S,
        unset: Iterable[str] = (),
        **env: str,
    ) -> JobRun:
        """Run `meltano --environment=sandbox run BLOCK...` (a job, or plugins) from the root.

        `unset` names variables the run does not get; `env` adds or overrides variables.
        """
        meltano = Path(sys.executable).with_name("meltano")
        started = time.monotonic()
        result = subprocess.run(
            [str(meltano), "--environment=sandbox", "run", *blocks],
            cwd=PROJECT_ROOT,
            env=self.environment(unset=unset, **env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            umask=OWNER_ONLY_UMASK,  # as orchestrate/run-job.sh: what the sync writes is private
        )
        job = " ".join(blocks)
        if check and result.returncode != 0:
            raise JobFailed(job, result)
        return JobRun(
            job, result.returncode, result.stdout + result.stderr, time.monotonic() - started
        )

    def run_scheduled(
        self, job: str, *, timeout: float = DEFAULT_JOB_TIMEOUT_S, **env: str
    ) -> JobRun:
        """Run `job` as cron runs it: `orchestrate/run-job.sh sandbox JOB` (the quiet probe
        first for `sync-incremental`); never raises on a non-zero exit."""
        started = time.monotonic()
        result = subprocess.run(
            [str(PROJECT_ROOT / "orchestrate" / "run-job.sh"), "sandbox", job],
            cwd=PROJECT_ROOT,
            env=self.environment(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return JobRun(
            job, result.returncode, result.stdout + result.stderr, time.monotonic() - started
        )

    def initial_sync(self) -> JobRun:
        """Run the confirmed initial sync."""
        return self.run("sync-initial", CRMSYNC_CONFIRM_INITIAL_WIPE="true")

    def incremental_sync(self) -> JobRun:
        """Run one 15-minute cycle."""
        return self.run("sync-incremental")

    # -- looking at the result ----------------------------------------------------------------
    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a read-only query on the warehouse."""
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql, params or []).fetchall()

    @property
    def salesforce(self) -> Any:
        """A `salesforce_client.SalesforceClient` logged in to the sandbox org."""
        if self._salesforce is None:
            from salesforce_client.client import SalesforceClient  # noqa: PLC0415

            env = self.sandbox.env
            self._salesforce = SalesforceClient.from_config(
                {
                    "login_url": env["SALESFORCE_LOGIN_URL"],
                    "client_id": env["SALESFORCE_CLIENT_ID"],
                    "client_secret": env["SALESFORCE_CLIENT_SECRET"],
                    "username": env["SALESFORCE_USERNAME"],
                    "password": env["SALESFORCE_PASSWORD"],
                    "security_token": env["SALESFORCE_SECURITY_TOKEN"],
                }
            )
            self._salesforce.session.verify = env["REQUESTS_CA_BUNDLE"]
            self._salesforce.session.trust_env = False
        return self._salesforce

    @property
    def forcemanager(self) -> Any:
        """A `forcemanager_client.ForceManagerClient` for the sandbox tenant."""
        if self._forcemanager is None:
            from forcemanager_client.client import ForceManagerClient  # noqa: PLC0415

            env = self.sandbox.env
            self._forcemanager = ForceManagerClient(
                env["FORCEMANAGER_BASE_URL"],
                env["FORCEMANAGER_PUBLIC_KEY"],
                env["FORCEMANAGER_PRIVATE_KEY"],
                requests_per_second=0,
            )
        return self._forcemanager

    def calls(self, system: str) -> dict[str, Any]:
        """The sandbox's API call counter for `salesforce` or `forcemanager`."""
        return self.sandbox.calls(system)

    def reset_calls(self) -> None:
        """Zero both sandboxes' call counters."""
        for system in ("salesforce", "forcemanager"):
            self.sandbox.reset_calls(system)

    # -- sandbox runtime controls (docs/contracts.md section 2) ----------------------------------
    def set_faults(self, system: str, **faults: float | None) -> dict[str, Any]:
        """Replace one sandbox's fault injection (`fail_rate`, `latency_ms`, `rate_limit`,
        `reset_share`); keys left out are off, so no argument clears every fault."""
        return self.sandbox.set_faults(system, **faults)

    def expire_sessions(self, system: str) -> None:
        """Make one sandbox refuse every session it issued so far (new logins work)."""
        self.sandbox.expire_sessions(system)

    def sessions(self, system: str) -> list[str]:
        """Every access token, refresh token or session key one sandbox issued since start."""
        return self.sandbox.sessions(system)

    def silent_update(
        self, system: str, obj: str, record_id: str | int, fields: dict[str, Any]
    ) -> None:
        """Change a record's fields without moving its modification stamps (no cursor sees it)."""
        self.sandbox.silent_update(system, obj, record_id, fields)

    def purge(self, system: str, obj: str, record_id: str | int) -> None:
        """Remove a record without a trace: a hard delete past the recycle bin."""
        self.sandbox.purge(system, obj, record_id)

    def undelete(self, obj: str, record_id: str) -> None:
        """Restore a Salesforce record from the recycle bin, as a user does."""
        self.sandbox.undelete(obj, record_id)

    def revoke(
        self,
        obj: str,
        permissions: list[str] | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        """Take Salesforce object (and field) permissions from the integration user; `""`
        with nothing else restores every permission."""
        self.sandbox.revoke(obj, permissions, fields)
