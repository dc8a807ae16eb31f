"""Start and stop `crmsync-sandbox serve` processes from tests, benchmarks and demos."""

from __future__ import annotations

import atexit
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from crmsync_sandbox.cli import ENV_FILE, READY_FILE
from crmsync_sandbox.exceptions import SandboxStartError

#: Start-up is about a second for `small`; `large` seeds 600,000 records first.
DEFAULT_START_TIMEOUT_S = 60.0
#: A clean stop takes well under a second; after this the process is killed.
STOP_TIMEOUT_S = 15.0
_POLL_S = 0.02
#: Admin calls are local and tiny.
_ADMIN_TIMEOUT_S = 10.0

_ROOT_VARIABLES = {
    "salesforce": "SANDBOX_SALESFORCE_URL",
    "forcemanager": "SANDBOX_FORCEMANAGER_URL",
}


def parse_env_file(path: Path) -> dict[str, str]:
    """Read a `sandbox.env` file written by the CLI.

    Args:
        path: The file.

    Returns:
        Its variables.
    """
    env: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        parts = shlex.split(value)
        env[key] = parts[0] if parts else ""
    return env


def options_to_args(options: dict[str, Any]) -> list[str]:
    """Turn keyword options into `serve` flags: `latency_ms=5` -> `--latency-ms 5`.

    Args:
        options: Option names with `_` for `-`; True adds a bare flag, None/False omits it.

    Returns:
        The command-line arguments.
    """
    args: list[str] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        args.extend([flag] if value is True else [flag, str(value)])
    return args


class SandboxProcess:
    """One `crmsync-sandbox serve` subprocess on a data dir.

    Attributes:
        data_dir: The data dir.
        env: Variables of `sandbox.env` (set once started).
    """

    def __init__(self, data_dir: Path, **options: Any) -> None:
        """Describe the process; `start()` runs it.

        Args:
            data_dir: The data dir (created if missing).
            **options: `serve` options, e.g. `seed=7, size="small", latency_ms=20`.
        """
        self.data_dir = Path(data_dir)
        self.options = dict(options)
        self.env: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path = self.data_dir.parent / f"{self.data_dir.name}.log"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = DEFAULT_START_TIMEOUT_S) -> SandboxProcess:
        """Start the server (again on the same ports after a `stop()`) and wait for `ready`.

        Args:
            timeout: Seconds to wait for the `ready` file.

        Returns:
            self, for chaining.

        Raises:
            SandboxStartError: If the process exits or is not ready in time.
        """
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ready = self.data_dir / READY_FILE
        ready.unlink(missing_ok=True)
        command = [sys.executable, "-m", "crmsync_sandbox", "serve", "--data-dir"]
        command += [str(self.data_dir), *options_to_args(self._start_options())]
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(ready, timeout)
        self.env = parse_env_file(self.data_dir / ENV_FILE)
        return self

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """Stop the server with SIGTERM (SIGKILL after `timeout`).

        Args:
            timeout: Seconds to wait for a clean exit.

        Returns:
            The exit status, or None if it was not running.
        """
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
        return process.wait()

    def restart(self) -> SandboxProcess:
        """Stop and start again on the same data dir and ports.

        Returns:
            self.
        """
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The process id, if started."""
        return None if self._process is None else self._process.pid

    # -- what clients need ----------------------------------------------------------------------
    @property
    def salesforce_url(self) -> str | None:
        """Root URL of the Salesforce server (`https://127.0.0.1:PORT`)."""
        return self.env.get("SANDBOX_SALESFORCE_URL")

    @property
    def forcemanager_url(self) -> str | None:
        """ForceManager API base URL (`http://127.0.0.1:PORT/api/v4`)."""
        return self.env.get("FORCEMANAGER_BASE_URL")

    @property
    def ca_bundle(self) -> str:
        """Path of the CA bundle that trusts the Salesforce server's certificate."""
        return self.env["REQUESTS_CA_BUNDLE"]

    @property
    def log(self) -> str:
        """Everything the process printed so far."""
        return self._log_path.read_text(encoding="utf-8", errors="replace")

    def root_url(self, system: str) -> str:
        """Root URL of one server, where `/__sandbox/...` lives.

        Args:
            system: `salesforce` or `forcemanager`.

        Returns:
            The URL.

        Raises:
            KeyError: If that server is not running in this sandbox.
        """
        return self.env[_ROOT_VARIABLES[system]]

    def calls(self, system: str) -> dict[str, Any]:
        """The API calls one server served since start or the last reset.

        Args:
            system: `salesforce` or `forcemanager`.

        Returns:
            `{"total": N, "by_route": {...}}`.
        """
        response = requests.get(
            f"{self.root_url(system)}/__sandbox/calls",
            verify=self.ca_bundle,
            timeout=_ADMIN_TIMEOUT_S,
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def reset_calls(self, system: str) -> None:
        """Zero one server's call counter.

        Args:
            system: `salesforce` or `forcemanager`.
        """
        response = requests.post(
            f"{self.root_url(system)}/__sandbox/calls/reset",
            verify=self.ca_bundle,
            timeout=_ADMIN_TIMEOUT_S,
        )
        response.raise_for_status()

    # -- runtime controls (docs/contracts.md section 2) -------------------------------------------
    def set_faults(self, system: str, **faults: float | None) -> dict[str, Any]:
        """Replace one server's fault injection; keys left out are off (no argument clears all).

        Args:
            system: `salesforce` or `forcemanager`.
            **faults: `fail_rate`, `latency_ms`, `rate_limit` (ForceManager) and `reset_share`
                (the share of injected failures that are connection resets).

        Returns:
            The setting now in force.
        """
        result: dict[str, Any] = self._admin(system, "POST", "faults", faults).json()
        return result

    def faults(self, system: str) -> dict[str, Any]:
        """One server's fault injection in force.

        Args:
            system: `salesforce` or `forcemanager`.

        Returns:
            `{"fail_rate", "latency_ms", "rate_limit", "reset_share"}`.
        """
        result: dict[str, Any] = self._admin(system, "GET", "faults").json()
        return result

    def expire_sessions(self, system: str) -> None:
        """Make one server refuse every session it issued so far (new logins work).

        Args:
            system: `salesforce` or `forcemanager`.
        """
        self._admin(system, "POST", "expire-sessions")

    def sessions(self, system: str) -> list[str]:
        """Every access token, refresh token or session key one server issued since start.

        Args:
            system: `salesforce` or `forcemanager`.

        Returns:
            The tokens, oldest first.
        """
        tokens: list[str] = self._admin(system, "GET", "sessions").json()["tokens"]
        return tokens

    def silent_update(
        self, system: str, obj: str, record_id: str | int, fields: dict[str, Any]
    ) -> None:
        """Change a record's fields without moving its modification stamps.

        Args:
            system: `salesforce` or `forcemanager`.
            obj: The API's object name (`Account`... or `accounts`...).
            record_id: The API's own id (a string on Salesforce, an int on ForceManager).
            fields: Field values as the API writes them.

        Raises:
            requests.HTTPError: 404 for an unknown object or id, 400 for a bad field.
        """
        body = {"object": obj, "id": record_id, "fields": fields}
        self._admin(system, "POST", "silent-update", body)

    def purge(self, system: str, obj: str, record_id: str | int) -> None:
        """Remove a record without a trace (no recycle-bin row, no `deleted` flag).

        Args:
            system: `salesforce` or `forcemanager`.
            obj: The API's object name.
            record_id: The API's own id.

        Raises:
            requests.HTTPError: 404 for an unknown object or id.
        """
        self._admin(system, "POST", "purge", {"object": obj, "id": record_id})

    def undelete(self, obj: str, record_id: str) -> None:
        """Restore a Salesforce record from the recycle bin (a user's restore, stamps moved).

        Args:
            obj: The Salesforce object name.
            record_id: The record id.

        Raises:
            requests.HTTPError: 404 for an unknown object or id, 400 if not deleted.
        """
        self._admin("salesforce", "POST", "undelete", {"object": obj, "id": record_id})

    def revoke(
        self,
        obj: str,
        permissions: list[str] | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        """Take Salesforce permissions away from the integration user (none given: restore all).

        Args:
            obj: The Salesforce object name; ``""`` with nothing else restores every object.
            permissions: Object permissions: ``queryable``, ``createable``, ``updateable``,
                ``deletable``.
            fields: Field name -> field permissions (``createable``, ``updateable``).

        Raises:
            requests.HTTPError: 404 for an unknown object, 400 for an unknown field or permission.
        """
        body: dict[str, Any] = (
            {"object": obj, "revoke": permissions or [], "fields": fields or {}} if obj else {}
        )
        self._admin("salesforce", "POST", "permissions", body)

    def _admin(
        self, system: str, method: str, route: str, body: dict[str, Any] | None = None
    ) -> requests.Response:
        response = requests.request(
            method,
            f"{self.root_url(system)}/__sandbox/{route}",
            json=body,
            verify=self.ca_bundle,
            timeout=_ADMIN_TIMEOUT_S,
        )
        response.raise_for_status()
        return response

    def environ(self) -> dict[str, str]:
        """`os.environ` plus `sandbox.env`: the environment of a process run against it."""
        return {**os.environ, **self.env}

    # -- internals --------------------------------------------------------------------------------
    def _start_options(self) -> dict[str, Any]:
        options = dict(self.options)
        # A restart reuses the ports the first start picked, so clients' URLs stay valid.
        for system, variable in _ROOT_VARIABLES.items():
            url = self.env.get(variable)
            if url and not options.get(f"{system}_port"):
                options[f"{system}_port"] = url.rsplit(":", 1)[1]
        return options

    def _wait_ready(self, ready: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ready.exists():
            assert self._process is not None
            if self._process.poll() is not None:
                raise SandboxStartError(
                    f"crmsync-sandbox exited with {self._process.returncode}:\n{self.log}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise SandboxStartError(f"crmsync-sandbox not ready after {timeout} s:\n{self.log}")
            time.sleep(_POLL_S)


def start_for_import(work_dir: Path, **options: Any) -> SandboxProcess:
    """Start a sandbox while a test module is imported, stopped when the process exits.

    For suites that need a server at collection time (the Singer SDK's standard tests discover
    streams then). requests reads its CA bundle from the environment, and other modules'
    sandboxes have test CAs of their own, so this one's CA is added to the bundle already set
    rather than replacing it.

    Args:
        work_dir: A fresh folder for the data dir and the combined CA bundle.
        **options: `serve` options, e.g. `seed=7`.

    Returns:
        The started sandbox.
    """
    process = SandboxProcess(work_dir / "data", **options).start()
    atexit.register(process.stop)
    bundle = work_dir / "ca-bundle.pem"
    paths = (os.environ.get("REQUESTS_CA_BUNDLE"), process.env["REQUESTS_CA_BUNDLE"])
    bundle.write_text("".join(Path(p).read_text() for p in paths if p and Path(p).is_file()))
    os.environ["REQUESTS_CA_BUNDLE"] = str(bundle)
    return process
