"""The access check of the user's field pairs (`field_mapping:`), against both sandboxes.

Each pair's Salesforce field must be in the object's describe, and createable and updateable
where the pair writes ForceManager's values to Salesforce; its ForceManager field must be in the
resource's `/schema` (or its extra fields). A problem is one line naming the setting; the check
only reads, and pairs that pass cost no API call beyond the check without them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crmsync_sandbox.testing import SandboxProcess

from crmsync import access
from crmsync.settings import SyncSettings, parse_settings

WRITES = {"POST", "PATCH", "PUT", "DELETE"}
#: Authentication is not a write (contracts.md section 2).
LOGINS = ("/services/oauth2/token", "/api/v4/login")
VAT = {"forcemanager": "vatNumber", "salesforce": "VAT_Number__c"}
#: `Z_Source` is the sandbox tenant's extra text field on accounts.
SOURCE = {"forcemanager": "Z_Source", "salesforce": "Account_Notes__c", "direction": "sf_to_fm"}


def _settings(pairs: list[dict[str, str]] | None = None, **objects: str) -> SyncSettings:
    raw: dict[str, Any] = {"objects": {"accounts": "two-way", "contacts": "off", **objects}}
    if pairs is not None:
        raw["field_mapping"] = {"accounts": pairs}
    return parse_settings(raw)


@pytest.fixture(scope="module")
def crms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """Both sandboxes, with users and lookups only (describe and `/schema` are all it needs)."""
    process = SandboxProcess(tmp_path_factory.mktemp("access") / "data", empty=True).start()
    yield process
    process.stop()


@pytest.fixture
def sandbox_env(crms: SandboxProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The check's variables; the sandbox's CA trusted, every permission restored afterwards."""
    for name, value in crms.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(access.RATE_VARIABLE, "50")
    for system in ("salesforce", "forcemanager"):
        crms.reset_calls(system)
    yield {**crms.env, access.RATE_VARIABLE: "50"}
    crms.revoke("")


def _calls(crms: SandboxProcess) -> dict[str, int]:
    routes: dict[str, int] = {}
    for system in ("salesforce", "forcemanager"):
        routes.update(crms.calls(system)["by_route"])
        crms.reset_calls(system)
    return routes


def _writes(routes: dict[str, int]) -> dict[str, int]:
    return {
        route: n
        for route, n in routes.items()
        if route.split(" ")[0] in WRITES and not route.endswith(LOGINS)
    }


def _refused(settings: SyncSettings, environ: dict[str, str]) -> str:
    with pytest.raises(access.AccessError) as refused:
        access.check(settings, environ=environ)
    line = str(refused.value)
    assert "\n" not in line
    return line


def test_pairs_that_pass_cost_no_call_beyond_the_check_without_them(
    crms: SandboxProcess, sandbox_env: dict[str, str]
) -> None:
    """A two-way pair and an extra-field pair pass, read from the same describe and `/schema`
    answers as the built-in fields: the same calls, route by route."""
    access.check(_settings(), environ=sandbox_env)
    without = _calls(crms)
    access.check(_settings([VAT, SOURCE]), environ=sandbox_env)
    assert _calls(crms) == without
    assert without["GET /api/v4/accounts/schema"] == 1
    assert not any("extrafields" in route for route in without)


def test_a_pair_naming_no_salesforce_field_is_refused_naming_the_setting(
    crms: SandboxProcess, sandbox_env: dict[str, str]
) -> None:
    line = _refused(
        _settings([VAT, {"forcemanager": "email", "salesforce": "Email__c"}]), sandbox_env
    )
    assert line.startswith("`field_mapping.accounts[1].salesforce`: Salesforce field ")
    assert "Account.Email__c is missing" in line
    assert _writes(_calls(crms)) == {}


def test_a_pair_naming_no_forcemanager_field_is_refused_after_the_extra_fields(
    crms: SandboxProcess, sandbox_env: dict[str, str]
) -> None:
    """A name `/schema` lacks is looked up once among the extra fields before it is refused."""
    line = _refused(
        _settings([{"forcemanager": "Z_Sorce", "salesforce": "Account_Notes__c"}]), sandbox_env
    )
    assert line.startswith("`field_mapping.accounts[0].forcemanager`: ForceManager ")
    assert "accounts.Z_Sorce is missing (not in GET /accounts/schema nor its extra fields)" in line
    routes = _calls(crms)
    assert routes["GET /api/v4/extrafields/accounts"] == 1
    assert _writes(routes) == {}


def test_a_pair_writing_to_salesforce_needs_edit_on_its_field(
    crms: SandboxProcess, sandbox_env: dict[str, str]
) -> None:
    """Without Edit Access to VAT_Number__c a two-way pair is refused, naming the setting and
    the fix; the same pair from Salesforce to ForceManager only reads the field, and passes."""
    crms.revoke("Account", fields={"VAT_Number__c": ["updateable"]})
    line = _refused(_settings([VAT]), sandbox_env)
    assert line == (
        "`field_mapping.accounts[0]`: the integration user cannot Edit the field "
        "Account.VAT_Number__c (direction two-way writes ForceManager's values to Salesforce): "
        "grant Edit Access to Account.VAT_Number__c in its field-level security, or set "
        "`direction: sf_to_fm`."
    )
    assert _writes(_calls(crms)) == {}
    access.check(_settings([{**VAT, "direction": "sf_to_fm"}]), environ=sandbox_env)
    # the built-in fields are unaffected: the pair's field is the only one refused
    access.check(_settings(), environ=sandbox_env)


def test_a_pair_on_an_object_that_is_off_is_not_checked(
    crms: SandboxProcess, sandbox_env: dict[str, str]
) -> None:
    settings = parse_settings(
        {
            "objects": {"accounts": "two-way", "contacts": "off"},
            "field_mapping": {"contacts": [{"forcemanager": "nope", "salesforce": "Nope__c"}]},
        }
    )
    access.check(settings, environ=sandbox_env)
    assert not any("Contact" in route or "contacts" in route for route in _calls(crms))


def test_the_preflight_command_refuses_a_bad_pair_in_one_line(
    crms: SandboxProcess, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    """`crmsync preflight --access`, the first step of every job: exit 1, one line on stderr
    naming the setting, no secret in it, and no write to either CRM."""
    (tmp_path / "sync.yml").write_text(
        "objects: {accounts: two-way, contacts: off}\n"
        "field_mapping:\n  accounts:\n    - {forcemanager: vatNumber, salesforce: VAT_Nmbr__c}\n"
    )
    environ = {
        **crms.environ(),
        **sandbox_env,
        "CRMSYNC_CONFIG": str(tmp_path / "sync.yml"),
        "CRMSYNC_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "MELTANO_PROJECT_ROOT": str(tmp_path),
    }
    for variable in ("CRMSYNC_SYNC_LOG_DIR", "MELTANO_DATABASE_URI", "MELTANO_STATE_BACKEND_URI"):
        environ.pop(variable, None)
    run = subprocess.run(
        [str(Path(sys.executable).parent / "crmsync"), "preflight", "--access"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    [line] = [line for line in run.stderr.splitlines() if line.startswith("crmsync: error:")]
    assert line.startswith("crmsync: error: `field_mapping.accounts[0].salesforce`: ")
    assert "Account.VAT_Nmbr__c is missing" in line
    for secret in ("SALESFORCE_PASSWORD", "SALESFORCE_CLIENT_SECRET", "FORCEMANAGER_PRIVATE_KEY"):
        assert crms.env[secret] not in run.stderr + run.stdout
    assert _writes(_calls(crms)) == {}
