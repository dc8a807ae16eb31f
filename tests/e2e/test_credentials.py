"""Salesforce credentials: each OAuth flow the README's table names runs a whole cycle."""

from __future__ import annotations

from collections.abc import Callable

from crmsync.local import LocalSync

from .crm import fm_by_ext_id, sf_live

PASSWORD_FLOW = ("SALESFORCE_USERNAME", "SALESFORCE_PASSWORD", "SALESFORCE_SECURITY_TOKEN")


def test_refresh_token_alone_runs_the_initial_and_incremental_syncs(
    local_sync: Callable[..., LocalSync],
) -> None:
    sync = local_sync()
    # No username, password or security token: the refresh token (and the client id) log in.
    initial = sync.run("sync-initial", unset=PASSWORD_FLOW, CRMSYNC_CONFIRM_INITIAL_WIPE="true")
    assert "with the refresh_token flow" in initial.output
    assert "with the password flow" not in initial.output
    accounts = sf_live(sync, "SELECT Id, Name FROM Account ORDER BY Name LIMIT 2")
    assert set(fm_by_ext_id(sync, "accounts")) >= {a["Id"] for a in accounts}

    sf_edit, fm_edit = accounts
    sync.salesforce.request(
        "PATCH", f"sobjects/Account/{sf_edit['Id']}", json={"Phone": "+34 911 000 111"}
    )
    fm_id = fm_by_ext_id(sync, "accounts")[fm_edit["Id"]]["id"]
    sync.forcemanager.update("accounts", fm_id, {"city": "Zaragoza"})

    incremental = sync.run("sync-incremental", unset=PASSWORD_FLOW)
    assert "with the refresh_token flow" in incremental.output
    assert "with the password flow" not in incremental.output
    assert fm_by_ext_id(sync, "accounts")[sf_edit["Id"]]["phone"] == "+34 911 000 111"
    [carried] = sf_live(sync, f"SELECT BillingCity FROM Account WHERE Id = '{fm_edit['Id']}'")
    assert carried["BillingCity"] == "Zaragoza"


def test_password_flow_without_a_refresh_token(local_sync: Callable[..., LocalSync]) -> None:
    # The sandbox writes a refresh token too, which wins when set: without it, the password.
    sync = local_sync()
    sync.initial_sync()
    [account] = sf_live(sync, "SELECT Id FROM Account ORDER BY Name LIMIT 1")
    fm_id = fm_by_ext_id(sync, "accounts")[account["Id"]]["id"]
    sync.forcemanager.update("accounts", fm_id, {"city": "Teruel"})

    incremental = sync.run("sync-incremental", unset=("SALESFORCE_REFRESH_TOKEN",))
    assert "with the password flow" in incremental.output
    assert "with the refresh_token flow" not in incremental.output
    [carried] = sf_live(sync, f"SELECT BillingCity FROM Account WHERE Id = '{account['Id']}'")
    assert carried["BillingCity"] == "Teruel"
