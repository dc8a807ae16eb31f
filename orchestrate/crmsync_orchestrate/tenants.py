"""Tenants as folders: `<tenants dir>/<name>/sync.yml` and `<name>/tenant.env`.

`tenant.env` holds `KEY=value` lines (the variable names of a crmsync run, e.g.
`SALESFORCE_LOGIN_URL`, `FORCEMANAGER_PRIVATE_KEY`, `CRMSYNC_WAREHOUSE`). A value is literal or
takes `${VAR}` from the orchestrator's environment, so secrets stay in the deployment's secret
store. Extra keys this package reads:

- `CRMSYNC_MELTANO_ENVIRONMENT`: the Meltano environment (`prod`, the default, or `sandbox`);
- `CRMSYNC_ENV_FILE`: a further `KEY=value` file read first (relative to the tenant folder), e.g.
  a sandbox's `sandbox.env`; the tenant's own lines override it;
- `CRMSYNC_ALERT_WEBHOOK_URL`: where alerts go (a Slack-compatible incoming webhook);
- `CRMSYNC_ALERT_FAILED_RECORDS`: failed records in a cycle above which it alerts (default 0).

Unless the tenant sets them, its warehouse, Meltano system database and dbt target and log
folders live in its own data folder (`CRMSYNC_TENANTS_DATA_DIR/<name>/`, default
`output/tenants/<name>/`), and its settings file is its `sync.yml`: every tenant is an
independent sync.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from crmsync_common.paths import dbt_folders, meltano_system_folder

from crmsync_orchestrate.project import PROJECT_ROOT

#: The run tag naming a run's tenant: the per-tenant concurrency limit keys on it.
TENANT_TAG = "crmsync/tenant"
TENANTS_DIR_VARIABLE = "CRMSYNC_TENANTS_DIR"
DATA_DIR_VARIABLE = "CRMSYNC_TENANTS_DATA_DIR"
DEFAULT_TENANTS_DIR = PROJECT_ROOT / "orchestrate" / "tenants"
DEFAULT_DATA_DIR = PROJECT_ROOT / "output" / "tenants"
SETTINGS_FILE = "sync.yml"
ENV_FILE = "tenant.env"

#: A tenant's name is its folder's: it becomes part of job, schedule and asset names.
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_KEY = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

#: Prefixes of the variables a run takes from its tenant only, never from the orchestrator's own
#: environment: one tenant's credentials, warehouse or state can never leak into another's run.
TENANT_ONLY_PREFIXES = (
    "SALESFORCE_",
    "FORCEMANAGER_",
    "CRMSYNC_",
    "MELTANO_",
    "TAP_",
    "TARGET_",
    "DBT_",
    "REQUESTS_CA_BUNDLE",
)
#: Per-run permissions: given as run config for the one run, never kept in a tenant's file.
RUN_ONLY_VARIABLES = ("CRMSYNC_CONFIRM_INITIAL_WIPE", "CRMSYNC_ALLOW_MASS_CHANGE")
#: Variables whose values are secrets (contracts.md section 4): masked in every log line.
SECRET_VARIABLES = (
    "SALESFORCE_CLIENT_SECRET",
    "SALESFORCE_PASSWORD",
    "SALESFORCE_SECURITY_TOKEN",
    "SALESFORCE_REFRESH_TOKEN",
    "FORCEMANAGER_PRIVATE_KEY",
    "CRMSYNC_ALERT_WEBHOOK_URL",
)


class TenantError(ValueError):
    """A tenant folder or its `tenant.env` is unusable; the message is one line."""


def parse_env_text(text: str, source: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Read `KEY=value` lines, resolving `${VAR}` from `environ`.

    Args:
        text: The file's text.
        source: The file's name for error messages.
        environ: Where `${VAR}` values come from.

    Returns:
        The variables.

    Raises:
        TenantError: A malformed line, or a `${VAR}` that is not set.
    """
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals or not _KEY.match(key):
            raise TenantError(f"{source} line {number}: expected KEY=value with an upper-case KEY")
        try:
            parts = shlex.split(value, comments=True)
        except ValueError as error:
            raise TenantError(f"{source} line {number} ({key}): {error}") from None
        if len(parts) > 1:
            raise TenantError(f"{source} line {number} ({key}): quote a value that has spaces")
        resolved = parts[0] if parts else ""

        def substitute(match: re.Match[str], key: str = key, number: int = number) -> str:
            name = match.group(1)
            if name not in environ:
                raise TenantError(
                    f"{source} line {number} ({key}): ${{{name}}} is not set in the "
                    "orchestrator's environment"
                )
            return environ[name]

        values[key] = _REFERENCE.sub(substitute, resolved)
    return values


@dataclass(frozen=True)
class Tenant:
    """One tenant: a folder with its settings file and variables."""

    name: str
    folder: Path
    data_dir: Path

    @property
    def key(self) -> str:
        """The name as Dagster job, schedule and asset names need it (no `-`)."""
        return self.name.replace("-", "_")

    @property
    def settings_file(self) -> Path:
        return self.folder / SETTINGS_FILE

    @property
    def lock_file(self) -> Path:
        """Held while a run of this tenant executes (see `runner.tenant_lock`)."""
        return self.data_dir / "run.lock"

    def variables(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The tenant's variables, `${VAR}` resolved (its `CRMSYNC_ENV_FILE` first).

        Raises:
            TenantError: A missing file, a malformed line or an unset `${VAR}`.
        """
        environ = os.environ if environ is None else environ
        env_path = self.folder / ENV_FILE
        if not env_path.is_file():
            raise TenantError(f"tenant {self.name}: {env_path} is missing")
        own = parse_env_text(env_path.read_text(encoding="utf-8"), str(env_path), environ)
        values: dict[str, str] = {}
        if own.get("CRMSYNC_ENV_FILE"):
            extra = Path(own["CRMSYNC_ENV_FILE"]).expanduser()
            extra = extra if extra.is_absolute() else self.folder / extra
            if not extra.is_file():
                raise TenantError(f"tenant {self.name}: CRMSYNC_ENV_FILE {extra} is missing")
            values.update(parse_env_text(extra.read_text(encoding="utf-8"), str(extra), environ))
        values.update(own)
        return values

    def run_environment(
        self, environ: Mapping[str, str] | None = None, **run_only: str
    ) -> dict[str, str]:
        """The process environment of this tenant's `meltano run`.

        The orchestrator's environment minus every crmsync, CRM and Meltano variable, then the
        tenant's variables and its defaults (warehouse, settings file, Meltano's database and system
        folder, dbt's folders), then
        `run_only` (`CRMSYNC_CONFIRM_INITIAL_WIPE` for one run).
        """
        environ = os.environ if environ is None else environ
        env = {k: v for k, v in environ.items() if not k.startswith(TENANT_ONLY_PREFIXES)}
        env.update(
            {
                "CRMSYNC_CONFIG": str(self.settings_file),
                "CRMSYNC_WAREHOUSE": str(self.data_dir / "warehouse.duckdb"),
                "MELTANO_DATABASE_URI": f"sqlite:///{self.data_dir / 'meltano.db'}",
                "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
                **meltano_system_folder(self.data_dir / "meltano"),
                **dbt_folders(self.data_dir / "dbt"),
            }
        )
        tenant = {k: v for k, v in self.variables(environ).items() if k not in RUN_ONLY_VARIABLES}
        tenant.pop("CRMSYNC_ENV_FILE", None)
        env.update(tenant)
        env.update(run_only)
        return env

    def meltano_environment(self, environ: Mapping[str, str] | None = None) -> str:
        return self.variables(environ).get("CRMSYNC_MELTANO_ENVIRONMENT") or "prod"

    def warehouse(self, environ: Mapping[str, str] | None = None) -> Path:
        return Path(self.run_environment(environ)["CRMSYNC_WAREHOUSE"])

    def secrets(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """The tenant's secret values, to mask in log lines and alerts."""
        try:
            values = self.variables(environ)
        except TenantError:
            return []
        return [values[k] for k in SECRET_VARIABLES if values.get(k)]


def tenants_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`CRMSYNC_TENANTS_DIR`, or `orchestrate/tenants`."""
    environ = os.environ if environ is None else environ
    value = environ.get(TENANTS_DIR_VARIABLE)
    return Path(value).expanduser() if value else DEFAULT_TENANTS_DIR


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`CRMSYNC_TENANTS_DATA_DIR`, or `output/tenants`."""
    environ = os.environ if environ is None else environ
    value = environ.get(DATA_DIR_VARIABLE)
    return Path(value).expanduser() if value else DEFAULT_DATA_DIR


def discover(
    directory: Path | None = None, data: Path | None = None
) -> tuple[list[Tenant], list[str]]:
    """The tenants: every folder of `directory` holding a `sync.yml`, by name.

    Returns:
        The tenants, and one line per folder that was left out and why.
    """
    directory = tenants_dir() if directory is None else directory
    data = data_dir() if data is None else data
    tenants: list[Tenant] = []
    problems: list[str] = []
    if not directory.is_dir():
        return tenants, [f"{directory} is not a folder: no tenants"]
    for folder in sorted(directory.iterdir()):
        if not folder.is_dir() or folder.name.startswith((".", "_")):
            continue
        if not (folder / SETTINGS_FILE).is_file():
            problems.append(f"{folder.name}: no {SETTINGS_FILE}, not a tenant")
            continue
        if not _NAME.match(folder.name):
            problems.append(
                f"{folder.name}: a tenant's folder name is lower-case letters, digits, - and _ "
                "(at most 40)"
            )
            continue
        tenants.append(Tenant(folder.name, folder, data / folder.name))
    keys = [t.key for t in tenants]
    for tenant in list(tenants):
        if keys.count(tenant.key) > 1:
            problems.append(f"{tenant.name}: its name clashes with another once - reads as _")
            tenants.remove(tenant)
    return tenants, problems
