"""The access check at the start of every cycle: bad credentials, an unreachable URL or a
missing permission stop the cycle before anything is extracted or written, with one line that
names what to fix, and nothing is lost: the held-back change goes through once it is fixed."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from crmsync.local import JobRun, LocalSync

from .crm import fm_by_ext_id, refused, sf_live, write_calls

#: A port nothing listens on (discard): the connection is refused at once.
UNREACHABLE = "127.0.0.1:9"

#: (case, variables the run gets instead, the setting the line must name)
BAD_ACCESS = [
    (
        "Salesforce password",
        {"SALESFORCE_PASSWORD": "not-the-password"},
        "SALESFORCE_PASSWORD",
    ),
    (
        "ForceManager private key",
        {"FORCEMANAGER_PRIVATE_KEY": "not-the-key"},
        "FORCEMANAGER_PRIVATE_KEY",
    ),
    (
        "Salesforce login URL",
        {"SALESFORCE_LOGIN_URL": f"https://{UNREACHABLE}"},
        "SALESFORCE_LOGIN_URL",
    ),
    (
        "ForceManager base URL",
        {"FORCEMANAGER_BASE_URL": f"http://{UNREACHABLE}/api/v4"},
        "FORCEMANAGER_BASE_URL",
    ),
]
#: The password case runs the password flow: the flows that win over it are not given.
PASSWORD_FLOW_ONLY = ("SALESFORCE_REFRESH_TOKEN", "SALESFORCE_JWT_KEY_FILE")


def _extract_calls(sync: LocalSync) -> dict[str, int]:
    """Calls that read records (Salesforce queries, ForceManager listings) since the reset."""
    routes = {
        **sync.calls("salesforce")["by_route"],
        **sync.calls("forcemanager")["by_route"],
    }
    return {
        route: count
        for route, count in routes.items()
        if "/query" in route or "/queryAll" in route or route.startswith("GET /api/v4/accounts")
    }


def test_bad_credentials_or_url_stop_the_cycle_before_it_reads(
    local_sync: Callable[..., LocalSync],
) -> None:
    """Each bad setting, on either side, ends the cycle at its first step with one line naming
    the setting; neither sandbox served a record read or a write."""
    sync = local_sync()
    for case, variables, setting in BAD_ACCESS:
        sync.reset_calls()
        unset = PASSWORD_FLOW_ONLY if "SALESFORCE_PASSWORD" in variables else ()
        run = sync.run("sync-incremental", check=False, unset=unset, **variables)
        refused(run, setting)
        assert write_calls(sync, "salesforce") == {}, case
        assert write_calls(sync, "forcemanager") == {}, case
        assert _extract_calls(sync) == {}, case
        for value in variables.values():
            if "not-the" in value:
                assert value not in run.output, f"{case}: the bad secret was printed"


@pytest.mark.slow
def test_missing_permission_stops_the_cycle_until_granted(
    local_sync: Callable[..., LocalSync],
) -> None:
    """Without Edit on Contact (or on one of its synced fields) the two-way contacts cannot be
    written: the cycle stops before it reads or writes, naming object, field and permission
    (Read and the other permissions: tests/crmsync/test_access.py); once the permission is
    back, the change it held back goes through, and the run logs the plugins' progress."""
    sync = local_sync()
    sync.initial_sync()
    [contact] = sf_live(sync, "SELECT Id FROM Contact WHERE AccountId != null ORDER BY Id LIMIT 1")
    fm_contact = fm_by_ext_id(sync, "contacts")[contact["Id"]]
    sync.forcemanager.update("contacts", fm_contact["id"], {"phone1": "+34 600 111 222"})

    for permissions, fields, needles in (
        (["updateable"], {}, ("cannot Edit Contact records", "contacts is two-way")),
        ([], {"Phone": ["updateable"]}, ("cannot Edit the field Contact.Phone",)),
    ):
        sync.revoke("Contact", permissions, fields)
        sync.reset_calls()
        run = sync.run("sync-incremental", check=False)
        refused(run, "Salesforce permission missing", *needles)
        assert write_calls(sync, "salesforce") == {}
        assert write_calls(sync, "forcemanager") == {}
        assert _extract_calls(sync) == {}

    sync.revoke("")
    [account] = sf_live(sync, "SELECT Id FROM Account ORDER BY Id LIMIT 1")
    sync.salesforce.request("PATCH", f"sobjects/Account/{account['Id']}", json={"Phone": "42"})
    # every record a progress line: the four plugins' lines show in the run's output
    run = sync.run("sync-incremental", CRMSYNC_PROGRESS_SECONDS="0.000001")
    [carried] = sf_live(sync, f"SELECT Phone FROM Contact WHERE Id = '{contact['Id']}'")
    assert carried["Phone"] == "+34 600 111 222"
    assert fm_by_ext_id(sync, "accounts")[account["Id"]]["phone"] == "42"
    for pattern in (
        r"Salesforce writes: 1 of 1 records \(100%\)",  # target-salesforce: the contact
        r"ForceManager writes: 1 of 1 records \(100%\)",  # target-forcemanager: the account
        r"Account: \d+ of \d+ records \(\d+%\), [\d.]+ records/s",  # tap-salesforce: totalSize
        r"contacts: \d+ records so far, [\d.]+ records/s",  # tap-forcemanager: no total known
    ):
        assert re.search(pattern, run.output), (pattern, _progress_lines(run))


def _progress_lines(run: JobRun) -> list[str]:
    return [line for line in run.output.splitlines() if "records/s" in line][:40]
