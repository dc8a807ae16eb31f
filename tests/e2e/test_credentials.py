"""Salesforce credentials: each OAuth flow the README's table names runs a whole cycle alone."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from crmsync.local import LocalSync

from .crm import fm_by_ext_id, sf_live

#: The variables of each flow's table row in the README; a flow runs with the others unset.
FLOW_VARIABLES = {
    "refresh_token": ("SALESFORCE_REFRESH_TOKEN", "SALESFORCE_CLIENT_ID"),
    "jwt_bearer": ("SALESFORCE_JWT_KEY_FILE", "SALESFORCE_CLIENT_ID", "SALESFORCE_USERNAME"),
    "password": (
        "SALESFORCE_USERNAME",
        "SALESFORCE_PASSWORD",
        "SALESFORCE_SECURITY_TOKEN",
        "SALESFORCE_CLIENT_ID",
        "SALESFORCE_CLIENT_SECRET",
    ),
    "client_credentials": ("SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET"),
}
CREDENTIALS = {name for names in FLOW_VARIABLES.values() for name in names}
#: Times each case expires the Salesforce sessions during its incremental run.
EXPIRIES = 3
#: Latency of each Salesforce call meanwhile, so that a plugin outlives its first session.
LATENCY_MS = 300


class _SessionExpirer:
    """Expires the Salesforce sessions as soon as a new one is issued, a few times.

    After each expiry it lets a second pass, so that the renewed session serves calls.
    """

    def __init__(self, sync: LocalSync) -> None:
        self.sync = sync
        self.expired = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _SessionExpirer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        seen = len(self.sync.sessions("salesforce"))
        while self.expired < EXPIRIES and not self._stop.wait(0.1):
            if len(self.sync.sessions("salesforce")) > seen:
                self.sync.expire_sessions("salesforce")
                self.expired += 1
                if self._stop.wait(1.0):
                    return
                seen = len(self.sync.sessions("salesforce"))


def _secrets(sync: LocalSync) -> list[str]:
    env = sync.sandbox.env
    names = (
        "SALESFORCE_CLIENT_SECRET",
        "SALESFORCE_PASSWORD",
        "SALESFORCE_SECURITY_TOKEN",
        "SALESFORCE_REFRESH_TOKEN",
        "FORCEMANAGER_PRIVATE_KEY",
    )
    pem = Path(env["SALESFORCE_JWT_KEY_FILE"]).read_text()
    key_lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return [*(env[name] for name in names), *key_lines]


@pytest.mark.parametrize("flow", list(FLOW_VARIABLES))
def test_each_flow_alone_runs_the_initial_and_incremental_syncs(
    local_sync: Callable[..., LocalSync], flow: str
) -> None:
    """Only the flow's own variables are set; edits on both sides are carried both ways.

    During the incremental run the sessions are expired again and again: the plugins log in
    again with the same flow (a new assertion, the refresh token, ...) and carry on. No
    secret, the private key's lines included, appears in any run's output.
    """
    sync = local_sync()
    unset = sorted(CREDENTIALS - set(FLOW_VARIABLES[flow]))
    initial = sync.run("sync-initial", unset=unset, CRMSYNC_CONFIRM_INITIAL_WIPE="true")
    accounts = sf_live(sync, "SELECT Id, Name FROM Account ORDER BY Name LIMIT 2")
    assert set(fm_by_ext_id(sync, "accounts")) >= {a["Id"] for a in accounts}

    sf_edit, fm_edit = accounts
    sync.salesforce.request(
        "PATCH", f"sobjects/Account/{sf_edit['Id']}", json={"Phone": "+34 911 000 111"}
    )
    fm_id = fm_by_ext_id(sync, "accounts")[fm_edit["Id"]]["id"]
    sync.forcemanager.update("accounts", fm_id, {"city": "Zaragoza"})

    sync.set_faults("salesforce", latency_ms=LATENCY_MS)
    with _SessionExpirer(sync) as expirer:
        incremental = sync.run("sync-incremental", unset=unset)
    sync.set_faults("salesforce")
    assert expirer.expired >= 1
    assert "Salesforce session expired; logging in again." in incremental.output
    assert fm_by_ext_id(sync, "accounts")[sf_edit["Id"]]["phone"] == "+34 911 000 111"
    [carried] = sf_live(sync, f"SELECT BillingCity FROM Account WHERE Id = '{fm_edit['Id']}'")
    assert carried["BillingCity"] == "Zaragoza"

    secrets = _secrets(sync)
    for run in (initial, incremental):
        assert f"Logged in to Salesforce with the {flow} flow" in run.output
        for other in set(FLOW_VARIABLES) - {flow}:
            assert f"with the {other} flow" not in run.output
        leaked = [secret for secret in secrets if secret in run.output]
        assert not leaked, f"{len(leaked)} secret values in the {run.job} output"
