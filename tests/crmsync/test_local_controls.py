"""`LocalSync` passes the sandbox runtime controls through (no Meltano run needed)."""

from __future__ import annotations

from pathlib import Path

from crmsync.local import LocalSync


def test_local_sync_exposes_the_sandbox_runtime_controls(tmp_path: Path) -> None:
    """Faults, sessions, silent updates and purges reach the sandbox; its clients recover
    from expired sessions."""
    with LocalSync(tmp_path / "sync", {"objects": {}}, seed=3, size=3) as sync:
        assert sync.set_faults("forcemanager", latency_ms=1)["latency_ms"] == 1
        assert sync.set_faults("forcemanager") == {
            "fail_rate": 0.0,
            "latency_ms": 0,
            "rate_limit": None,
            "reset_share": 0.0,
        }
        [account] = sync.salesforce.query("SELECT Id, SystemModstamp FROM Account LIMIT 1")
        sync.silent_update("salesforce", "Account", account["Id"], {"Name": "Quietly renamed"})
        [after] = sync.salesforce.query(
            f"SELECT Name, SystemModstamp FROM Account WHERE Id = '{account['Id']}'"
        )
        assert after == {"Name": "Quietly renamed", "SystemModstamp": account["SystemModstamp"]}
        sync.purge("forcemanager", "accounts", 1)
        assert 1 not in {
            r["id"] for page in sync.forcemanager.iter_pages("/accounts") for r in page
        }
        assert sync.forcemanager.get_json("/branches")
        tokens = sync.sessions("forcemanager")
        sync.expire_sessions("forcemanager")
        sync.expire_sessions("salesforce")
        assert sync.forcemanager.get_json("/branches")
        assert list(sync.salesforce.query("SELECT Id FROM Account LIMIT 1"))
        assert len(sync.sessions("forcemanager")) == len(tokens) + 1
        assert sync.calls("forcemanager")["total"] >= 4
