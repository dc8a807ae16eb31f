"""Throughput of the Salesforce sandbox, measured over real HTTPS for the benchmark suite."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

#: A query page as large as the API allows, so paging measures rendering, not round trips.
_PAGE_HEADERS = {"Sforce-Query-Options": "batchSize=2000"}
_TIMEOUT_S = 60


def _login(base_url: str, env: dict[str, str], ca_bundle: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_bundle
    reply = session.post(
        base_url + "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": env["SALESFORCE_CLIENT_ID"],
            "client_secret": env["SALESFORCE_CLIENT_SECRET"],
            "username": env["SALESFORCE_USERNAME"],
            "password": env["SALESFORCE_PASSWORD"] + env["SALESFORCE_SECURITY_TOKEN"],
        },
        timeout=_TIMEOUT_S,
    )
    reply.raise_for_status()
    return session, reply.json()["access_token"]


def measure(
    env: dict[str, str],
    ca_bundle: str,
    small_requests: int = 2000,
    clients: int = 4,
    sobject: str = "Account",
) -> dict[str, Any]:
    """Measure small-request throughput and query paging speed.

    Args:
        env: the ``sandbox.env`` variables (login URL and credentials).
        ca_bundle: CA bundle trusting the sandbox certificate.
        small_requests: how many ``GET limits/`` calls to time.
        clients: concurrent keep-alive connections for the small requests.
        sobject: the object whose every record is paged through with ``query``.

    Returns:
        ``requests_per_s``, ``records``, ``records_per_s`` and the seconds each part took.
    """
    base_url = env["SALESFORCE_LOGIN_URL"]
    limits_url = base_url + "/services/data/v59.0/limits/"
    per_client = max(small_requests // clients, 1)

    def worker(_index: int) -> None:
        session, token = _login(base_url, env, ca_bundle)
        headers = {"Authorization": f"Bearer {token}"}
        session.get(limits_url, headers=headers, timeout=_TIMEOUT_S)  # warm the connection
        for _ in range(per_client):
            session.get(limits_url, headers=headers, timeout=_TIMEOUT_S).raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    small_s = time.perf_counter() - started

    session, token = _login(base_url, env, ca_bundle)
    headers = {"Authorization": f"Bearer {token}", **_PAGE_HEADERS}
    started = time.perf_counter()
    reply = session.get(
        base_url + "/services/data/v59.0/query/",
        params={"q": f"SELECT Id, Name, OwnerId, SystemModstamp, CreatedDate FROM {sobject}"},
        headers=headers,
        timeout=_TIMEOUT_S,
    ).json()
    records = len(reply["records"])
    while not reply["done"]:
        reply = session.get(
            base_url + reply["nextRecordsUrl"], headers=headers, timeout=_TIMEOUT_S
        ).json()
        records += len(reply["records"])
    paging_s = time.perf_counter() - started
    return {
        "requests": per_client * clients,
        "requests_per_s": round(per_client * clients / small_s),
        "small_requests_s": round(small_s, 2),
        "records": records,
        "records_per_s": round(records / paging_s),
        "paging_s": round(paging_s, 2),
    }
