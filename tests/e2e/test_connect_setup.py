"""A first connection to an org: `crmsync connect salesforce` and `crmsync setup salesforce`.

Both commands run as a person runs them, against a sandbox process; then the sync jobs run. One
story, not one test per command: each end-to-end test pays for a sandbox and two syncs.
"""

from __future__ import annotations

import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from crmsync.local import LocalSync

from .crm import fm_by_ext_id, refused, sf_live, write_calls
from .test_credentials import CREDENTIALS

CRMSYNC = Path(sys.executable).with_name("crmsync")
#: Seconds for one command, and for the printed URL to appear.
COMMAND_TIMEOUT_S = 120


def _crmsync(
    sync: LocalSync, *args: str, unset: list[str], **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CRMSYNC), *args],
        env=sync.environment(unset=unset, **env),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )


def _browse(sync: LocalSync, process: subprocess.Popen[str]) -> str:
    """Read the printed URL and follow it (and its redirect to the loopback callback)."""
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("https://"):
            url = line.strip()
            break
    else:
        pytest.fail("crmsync connect printed no authorisation URL")
    session = requests.Session()
    session.trust_env = False  # the callback is on the loopback: no proxy
    session.verify = sync.sandbox.ca_bundle
    page = session.get(url, timeout=COMMAND_TIMEOUT_S)
    assert page.status_code == 200
    assert "crmsync is authorised" in page.text
    return url


def _connect(sync: LocalSync, env_file: Path) -> tuple[str, str]:
    """Run `crmsync connect salesforce --no-browser`, play the browser; return URL and output."""
    process = subprocess.Popen(
        [
            *(str(CRMSYNC), "connect", "salesforce", "--no-browser", "--port", "0"),
            *("--env-file", str(env_file), "--timeout", str(COMMAND_TIMEOUT_S)),
        ],
        env=sync.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = _browse(sync, process)
        stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT_S)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    return url, stdout + stderr


@pytest.mark.slow
def test_a_bare_org_connected_in_a_browser_and_set_up_syncs_with_the_refresh_token_alone(
    local_sync: Callable[..., LocalSync], tmp_path: Path
) -> None:
    """The first connection to an org, as a person makes it, then both syncs.

    `connect` prints the URL (no browser), receives the callback and writes the refresh token
    into the .env file (mode 600, other lines kept). Before the set-up a cycle is refused by
    the access check with one line and no write. `setup` (dry run first: no write) creates
    ForceManager_Id__c and its access on the bare org. Every step after `connect` logs in with
    that refresh token alone; the initial and an incremental sync carry edits both ways; a
    second `setup` makes no write.
    """
    sync = local_sync(bare_org=True)
    env_file = tmp_path / ".env"
    env_file.write_text("# this deployment\nFORCEMANAGER_PUBLIC_KEY=kept\n")
    url, output = _connect(sync, env_file)
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A" in url
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    lines = env_file.read_text().splitlines()
    assert lines[:2] == ["# this deployment", "FORCEMANAGER_PUBLIC_KEY=kept"]
    [token_line] = [line for line in lines if line.startswith("SALESFORCE_REFRESH_TOKEN=")]
    token = token_line.split("=", 1)[1]
    assert token
    assert token != sync.sandbox.env["SALESFORCE_REFRESH_TOKEN"]
    assert token not in output

    # the sandbox's own refresh token is replaced by the new one, every other credential unset
    alone = {"SALESFORCE_REFRESH_TOKEN": token}
    unset = sorted(CREDENTIALS - {"SALESFORCE_CLIENT_ID", "SALESFORCE_REFRESH_TOKEN"})
    sync.reset_calls()
    dry = _crmsync(sync, "setup", "salesforce", "--dry-run", unset=unset, **alone)
    assert dry.returncode == 0, dry.stderr
    assert "would create: field Account.ForceManager_Id__c" in dry.stdout
    assert "would create: permission set crmsync_integration" in dry.stdout
    assert write_calls(sync, "salesforce") == {}

    # before the set-up the access check refuses the cycle: the link field does not exist
    run = sync.run(
        "sync-initial", check=False, unset=unset, CRMSYNC_CONFIRM_INITIAL_WIPE="true", **alone
    )
    refused(run, "ForceManager_Id__c", "crmsync setup salesforce")
    assert write_calls(sync, "salesforce") == {}
    assert write_calls(sync, "forcemanager") == {}

    first = _crmsync(sync, "setup", "salesforce", unset=unset, **alone)
    assert first.returncode == 0, first.stderr
    assert "with the refresh_token flow" in first.stderr
    created = [line for line in first.stdout.splitlines() if line.startswith("created: ")]
    # five objects' fields, the permission set, its assignment, five field permissions
    assert len(created) == 12, first.stdout
    assert "created: field Event.ForceManager_Id__c" in first.stdout

    initial = sync.run("sync-initial", unset=unset, CRMSYNC_CONFIRM_INITIAL_WIPE="true", **alone)
    accounts = sf_live(sync, "SELECT Id, ForceManager_Id__c FROM Account ORDER BY Name")
    fm_accounts = fm_by_ext_id(sync, "accounts")
    assert {a["Id"] for a in accounts} <= set(fm_accounts)
    [edited, other] = accounts[:2]
    sync.salesforce.request(
        "PATCH", f"sobjects/Account/{edited['Id']}", json={"Phone": "+34 600 000 018"}
    )
    sync.forcemanager.update("accounts", fm_accounts[other["Id"]]["id"], {"city": "Huesca"})
    incremental = sync.run("sync-incremental", unset=unset, **alone)
    assert fm_by_ext_id(sync, "accounts")[edited["Id"]]["phone"] == "+34 600 000 018"
    [carried] = sf_live(sync, f"SELECT BillingCity FROM Account WHERE Id = '{other['Id']}'")
    assert carried["BillingCity"] == "Huesca"
    for run in (initial, incremental):
        assert "Logged in to Salesforce with the refresh_token flow" in run.output
        assert token not in run.output

    sync.reset_calls()
    second = _crmsync(sync, "setup", "salesforce", unset=unset, **alone)
    assert second.returncode == 0, second.stderr
    assert "created: " not in second.stdout
    assert "exists: field Account.ForceManager_Id__c" in second.stdout
    assert "nothing to change" in second.stdout
    assert write_calls(sync, "salesforce") == {}
