"""`crmsync-sandbox serve` as a process: files, variables, shutdown, counters, faults."""

from __future__ import annotations

import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from crmsync_sandbox.testing import parse_env_file

FM_ONLY = {"only": "forcemanager", "seed": 1, "size": 1}


def test_ready_and_env_file_hold_every_contract_variable(sandbox):
    env = parse_env_file(sandbox.data_dir / "sandbox.env")
    required = {
        "SALESFORCE_LOGIN_URL",
        "SALESFORCE_CLIENT_ID",
        "SALESFORCE_CLIENT_SECRET",
        "SALESFORCE_USERNAME",
        "SALESFORCE_PASSWORD",
        "SALESFORCE_SECURITY_TOKEN",
        "SALESFORCE_REFRESH_TOKEN",
        "SALESFORCE_JWT_KEY_FILE",
        "FORCEMANAGER_BASE_URL",
        "FORCEMANAGER_PUBLIC_KEY",
        "FORCEMANAGER_PRIVATE_KEY",
        "REQUESTS_CA_BUNDLE",
    }
    assert required <= set(env)
    assert all(env[name] for name in required)
    assert (sandbox.data_dir / "ready").exists()
    assert env["FORCEMANAGER_BASE_URL"].startswith("http://127.0.0.1:")
    assert env["FORCEMANAGER_BASE_URL"].endswith("/api/v4")
    assert env["SALESFORCE_LOGIN_URL"].startswith("https://127.0.0.1:")


def test_the_jwt_key_file_is_a_private_key_only_its_owner_reads(sandbox):
    key_file = Path(parse_env_file(sandbox.data_dir / "sandbox.env")["SALESFORCE_JWT_KEY_FILE"])
    assert key_file.is_relative_to(sandbox.data_dir.resolve())
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert (
        (key_file.parent / "certificate.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    )


def test_the_env_file_is_valid_shell(sandbox):
    script = f"set -a; . {shlex.quote(str(sandbox.data_dir / 'sandbox.env'))}; env"
    output = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=True
    ).stdout
    shell_env = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    for key, value in sandbox.env.items():
        assert shell_env[key] == value


def test_the_ca_bundle_trusts_the_salesforce_certificate(sandbox):
    bundle = (sandbox.data_dir / "ca-bundle.pem").read_text()
    assert bundle.count("BEGIN CERTIFICATE") > 10  # the system CAs plus the test CA
    response = requests.get(
        f"{sandbox.salesforce_url}/__sandbox/calls", verify=sandbox.ca_bundle, timeout=10
    )
    assert response.status_code == 200


def test_sigterm_stops_cleanly_and_removes_ready(sandbox_factory):
    process = sandbox_factory(**FM_ONLY)
    ready = process.data_dir / "ready"
    assert ready.exists()
    assert process.stop() == 0
    assert not ready.exists()


def test_sigint_stops_cleanly(sandbox_factory):
    import signal  # noqa: PLC0415 - only this test sends SIGINT

    process = sandbox_factory(**FM_ONLY)
    process._process.send_signal(signal.SIGINT)
    assert process._process.wait(15) == 0
    assert not (process.data_dir / "ready").exists()


def test_a_restart_reuses_the_tls_files_and_ports(sandbox_factory):
    process = sandbox_factory(seed=1, size=1)
    chain = (process.data_dir / "tls" / "server-chain.pem").read_bytes()
    env = dict(process.env)
    process.restart()
    assert (process.data_dir / "tls" / "server-chain.pem").read_bytes() == chain
    assert process.env == env


def test_a_bad_option_exits_with_an_error():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crmsync_sandbox",
            "serve",
            "--data-dir",
            "/tmp/x",
            "--size",
            "huge",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "size" in result.stderr


def test_an_explicit_port_is_used(sandbox_factory, unused_port):
    process = sandbox_factory(forcemanager_port=unused_port, **FM_ONLY)
    assert process.forcemanager_url == f"http://127.0.0.1:{unused_port}/api/v4"


@pytest.fixture
def unused_port():
    """A port nothing listens on right now."""
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- call counter -------------------------------------------------------------------------


def test_calls_are_counted_by_route_template_and_reset(fm_factory):
    fm = fm_factory(**FM_ONLY)
    fm.process.reset_calls("forcemanager")
    fm.get("/accounts")
    fm.get("/accounts/1")
    fm.get("/accounts/2")
    fm.request("PUT", "/accounts/1", json={"city": "Vigo"})
    fm.get("/accounts/999")  # a 400 is still a served call
    fm.login()
    calls = fm.process.calls("forcemanager")
    assert calls == {
        "total": 6,
        "by_route": {
            "GET /api/v4/accounts": 1,
            "GET /api/v4/accounts/{id}": 3,
            "PUT /api/v4/accounts/{id}": 1,
            "POST /api/v4/login": 1,
        },
    }
    assert fm.process.calls("forcemanager")["total"] == 6  # admin routes are not counted
    fm.process.reset_calls("forcemanager")
    assert fm.process.calls("forcemanager") == {"total": 0, "by_route": {}}


def test_both_servers_count_their_own_calls(sandbox):
    sandbox.reset_calls("forcemanager")
    sandbox.reset_calls("salesforce")
    requests.get(f"{sandbox.forcemanager_url}/users", timeout=10)
    assert sandbox.calls("forcemanager")["by_route"] == {"GET /api/v4/users": 1}
    assert sandbox.calls("salesforce")["total"] == 0


# -- faults and latency ------------------------------------------------------------------


def test_fail_rate_1_answers_every_call_with_a_transient_503(sandbox_factory):
    process = sandbox_factory(fail_rate=1.0, **FM_ONLY)
    base = process.forcemanager_url
    for path in ("/login", "/accounts", "/accounts/1"):
        response = requests.get(f"{base}{path}", timeout=10)
        assert response.status_code == 503
        assert response.json()["code"] == "900"
    assert process.calls("forcemanager")["total"] == 3


def test_fail_rate_03_fails_roughly_that_share(sandbox_factory):
    process = sandbox_factory(fail_rate=0.3, **FM_ONLY)
    session = requests.Session()
    statuses = [
        session.get(f"{process.forcemanager_url}/users", timeout=10).status_code for _ in range(300)
    ]
    failed = statuses.count(503) / len(statuses)
    assert 0.2 < failed < 0.4
    assert set(statuses) == {401, 503}  # the rest reach the API (and lack a session key)


def test_latency_delays_each_call_and_concurrent_calls_overlap(sandbox_factory):
    process = sandbox_factory(latency_ms=300, **FM_ONLY)
    url = f"{process.forcemanager_url}/users"
    started = time.perf_counter()
    requests.get(url, timeout=10)
    assert time.perf_counter() - started >= 0.3
    threads = [threading.Thread(target=requests.get, args=(url,)) for _ in range(6)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.perf_counter() - started < 0.3 * 3  # six calls overlap instead of queueing
    admin_started = time.perf_counter()
    process.calls("forcemanager")
    assert time.perf_counter() - admin_started < 0.3  # admin routes are not delayed
