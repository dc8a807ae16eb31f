"""Throughput of the Salesforce sandbox, measured over real HTTPS for the benchmark suite.

The small-request figure is measured from separate client processes (so the client's Python
does not share the server's GIL), each driving several keep-alive HTTPS connections with a
minimal HTTP/1.1 client: a request is a pre-built byte string and a reply is read up to its
``Content-Length``, which costs the client a fraction of what the server spends. When the
server's pid is known (``DIR/ready``), the server's own CPU time is reported too, so the figure
can be told apart from what the machine had left for the server.

``python -m crmsync_sandbox.salesforce.selfbench DATA_DIR`` measures a running sandbox.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
import requests

from crmsync_sandbox.cli import ENV_FILE
from crmsync_sandbox.salesforce.app import LIMITS_ADMIN_PATH
from crmsync_sandbox.testing import parse_env_file

#: A query page as large as the API allows, so paging measures rendering, not round trips.
_PAGE_HEADERS = {"Sforce-Query-Options": "batchSize=2000"}
_TIMEOUT_S = 60
_VERSION = "v59.0"
DEFAULT_SMALL_REQUESTS = 6000
#: Client processes and keep-alive connections per process for the small requests.
DEFAULT_PROCESSES = 2
DEFAULT_CONNECTIONS = 4
_WARMUP_REQUESTS = 20


def login(env: dict[str, str], ca_bundle: str) -> tuple[requests.Session, str]:
    """Log in with the OAuth password grant.

    Args:
        env: the ``sandbox.env`` variables.
        ca_bundle: CA bundle trusting the sandbox certificate.

    Returns:
        A session trusting the sandbox CA, and an access token.
    """
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_bundle
    reply = session.post(
        env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/token",
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


class _RawClient:
    """One keep-alive HTTPS connection sending one pre-built GET at a time."""

    def __init__(self, base_url: str, ca_bundle: str, request: bytes) -> None:
        parts = urlsplit(base_url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 443
        context = ssl.create_default_context(cafile=ca_bundle)
        raw = socket.create_connection((host, port), timeout=_TIMEOUT_S)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = context.wrap_socket(raw, server_hostname=host)
        self.request = request
        self.buffer = b""

    def get(self) -> int:
        """Send the request and read the whole reply; return the HTTP status."""
        self.sock.sendall(self.request)
        buffer = self.buffer
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            buffer += self._recv()
        head = buffer[:end].decode("latin-1")
        status = int(head[9:12])
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        total = end + 4 + length
        while len(buffer) < total:
            buffer += self._recv()
        self.buffer = buffer[total:]
        return status

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        return chunk

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()


@dataclass(frozen=True)
class _ClientJob:
    """What one client process does: ``per_connection`` requests on each connection."""

    base_url: str
    ca_bundle: str
    request: bytes
    connections: int
    per_connection: int


def _client_process(job: _ClientJob, barrier: Any, results: Any) -> None:
    """Run ``job.connections`` threads sending their requests once the barrier opens."""
    base_url, ca_bundle, request = job.base_url, job.ca_bundle, job.request
    connections, per_connection = job.connections, job.per_connection
    clients = [_RawClient(base_url, ca_bundle, request) for _ in range(connections)]
    for client in clients:
        for _ in range(_WARMUP_REQUESTS):
            client.get()
    errors: list[int] = []

    def run(client: _RawClient) -> None:
        for _ in range(per_connection):
            status = client.get()
            if status != 200:
                errors.append(status)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((started, time.perf_counter(), connections * per_connection, len(errors)))
    for client in clients:
        client.close()


class _Allowance:
    """Raises the org's daily API allocation for a benchmark and restores it afterwards.

    A benchmark sends more calls than a Developer Edition's 15,000 a day; the admin route
    (uncounted) lifts the cap during the run so no reply is a 403 ``REQUEST_LIMIT_EXCEEDED``.
    """

    def __init__(self, env: dict[str, str], ca_bundle: str, calls: int) -> None:
        self.url = env["SALESFORCE_LOGIN_URL"] + LIMITS_ADMIN_PATH
        self.verify = ca_bundle
        self.calls = calls
        self.saved: dict[str, int] = {}

    def __enter__(self) -> _Allowance:
        self.saved = self._post(None)
        self._post({"max": max(self.saved["max"], self.saved["used"] + self.calls), "used": 0})
        return self

    def __exit__(self, *_exc: object) -> None:
        self._post(self.saved)

    def _post(self, body: dict[str, int] | None) -> dict[str, int]:
        method = "POST" if body is not None else "GET"
        reply = requests.request(method, self.url, json=body, verify=self.verify, timeout=10)
        reply.raise_for_status()
        return dict(reply.json())


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a local process, or None when unknown."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid(env: dict[str, str]) -> int | None:
    """The pid of the sandbox serving ``env`` (from ``DIR/ready``), or None."""
    data_dir = env.get("SANDBOX_DATA_DIR")
    try:
        return int((Path(data_dir) / "ready").read_text().split()[0]) if data_dir else None
    except (OSError, ValueError, IndexError):
        return None


def measure_small_requests(
    env: dict[str, str],
    ca_bundle: str,
    requests_total: int = DEFAULT_SMALL_REQUESTS,
    processes: int = DEFAULT_PROCESSES,
    connections: int = DEFAULT_CONNECTIONS,
) -> dict[str, Any]:
    """Time authenticated ``GET limits/`` calls from separate client processes.

    Args:
        env: the ``sandbox.env`` variables.
        ca_bundle: CA bundle trusting the sandbox certificate.
        requests_total: requests to send in all (rounded down to a multiple of the connections).
        processes: client processes.
        connections: keep-alive connections (threads) per client process.

    Returns:
        ``requests``, ``errors``, ``seconds``, ``requests_per_s`` and, when the server's pid is
        known, ``server_cpu_s`` and ``requests_per_server_cpu_s`` (the server's capacity).

    Raises:
        RuntimeError: when a client process fails.
    """
    base_url = env["SALESFORCE_LOGIN_URL"]
    _session, token = login(env, ca_bundle)
    host = urlsplit(base_url).netloc
    request = (
        f"GET /services/data/{_VERSION}/limits/ HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    per_connection = max(requests_total // (processes * connections), 1)
    job = _ClientJob(base_url, ca_bundle, request, connections, per_connection)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    results = context.Queue()
    workers = [
        context.Process(
            target=_client_process,
            args=(job, barrier, results),
            daemon=True,
        )
        for _ in range(processes)
    ]
    warmup = processes * connections * _WARMUP_REQUESTS
    with _Allowance(env, ca_bundle, per_connection * processes * connections + warmup):
        for worker in workers:
            worker.start()
        pid = server_pid(env)
        barrier.wait(timeout=_TIMEOUT_S)
        cpu_before = _cpu_seconds(pid)
        rows = [results.get(timeout=_TIMEOUT_S * 5) for _ in workers]
        cpu_after = _cpu_seconds(pid)
    for worker in workers:
        worker.join(_TIMEOUT_S)
        if worker.exitcode not in (0, None):
            raise RuntimeError(f"benchmark client exited with {worker.exitcode}")
    seconds = max(r[1] for r in rows) - min(r[0] for r in rows)
    sent = sum(r[2] for r in rows)
    out: dict[str, Any] = {
        "requests": sent,
        "errors": sum(r[3] for r in rows),
        "connections": processes * connections,
        "seconds": round(seconds, 2),
        "requests_per_s": round(sent / seconds),
    }
    if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
        out["server_cpu_s"] = round(cpu_after - cpu_before, 2)
        out["requests_per_server_cpu_s"] = round(sent / (cpu_after - cpu_before))
    return out


def measure_paging(env: dict[str, str], ca_bundle: str, sobject: str = "Account") -> dict[str, Any]:
    """Page through every record of ``sobject`` with ``query`` and ``nextRecordsUrl``.

    Args:
        env: the ``sandbox.env`` variables.
        ca_bundle: CA bundle trusting the sandbox certificate.
        sobject: the object to read.

    Returns:
        ``records``, ``pages``, ``seconds``, ``records_per_s`` and, when the server's pid is
        known, ``server_cpu_s`` and ``records_per_server_cpu_s``.
    """
    base_url = env["SALESFORCE_LOGIN_URL"]
    session, token = login(env, ca_bundle)
    headers = {"Authorization": f"Bearer {token}", **_PAGE_HEADERS}
    soql = f"SELECT Id, Name, OwnerId, SystemModstamp, CreatedDate FROM {sobject}"
    url = f"{base_url}/services/data/{_VERSION}/query/?{urlencode({'q': soql})}"
    records = pages = 0
    pid = server_pid(env)
    with _Allowance(env, ca_bundle, 10_000):
        cpu_before = _cpu_seconds(pid)
        started = time.perf_counter()
        while True:
            reply = session.get(url, headers=headers, timeout=_TIMEOUT_S)
            reply.raise_for_status()
            body = orjson.loads(reply.content)
            records += len(body["records"])
            pages += 1
            if body["done"]:
                break
            url = base_url + body["nextRecordsUrl"]
        seconds = time.perf_counter() - started
        cpu_after = _cpu_seconds(pid)
    out: dict[str, Any] = {
        "records": records,
        "pages": pages,
        "seconds": round(seconds, 2),
        "records_per_s": round(records / seconds),
    }
    if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
        out["server_cpu_s"] = round(cpu_after - cpu_before, 2)
        out["records_per_server_cpu_s"] = round(records / (cpu_after - cpu_before))
    return out


def measure(
    env: dict[str, str],
    ca_bundle: str,
    small_requests: int = DEFAULT_SMALL_REQUESTS,
    clients: int = DEFAULT_PROCESSES * DEFAULT_CONNECTIONS,
    sobject: str = "Account",
) -> dict[str, Any]:
    """Measure small-request throughput and query paging speed.

    Args:
        env: the ``sandbox.env`` variables (login URL and credentials).
        ca_bundle: CA bundle trusting the sandbox certificate.
        small_requests: how many ``GET limits/`` calls to time.
        clients: concurrent keep-alive connections, spread over two client processes.
        sobject: the object whose every record is paged through with ``query``.

    Returns:
        ``requests``, ``requests_per_s``, ``small_requests_s``, ``records``, ``records_per_s``,
        ``paging_s`` (and the server's CPU figures when its pid is known).
    """
    processes = min(DEFAULT_PROCESSES, clients)
    small = measure_small_requests(
        env, ca_bundle, small_requests, processes, max(clients // processes, 1)
    )
    paging = measure_paging(env, ca_bundle, sobject)
    result: dict[str, Any] = {
        "requests": small["requests"],
        "requests_per_s": small["requests_per_s"],
        "small_requests_s": small["seconds"],
        "records": paging["records"],
        "records_per_s": paging["records_per_s"],
        "paging_s": paging["seconds"],
    }
    for key in ("errors", "connections", "server_cpu_s", "requests_per_server_cpu_s"):
        if key in small:
            result[key] = small[key]
    return result


def main(argv: list[str] | None = None) -> int:
    """Measure the running sandbox of a data dir and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="data dir of a running sandbox")
    parser.add_argument("--requests", type=int, default=DEFAULT_SMALL_REQUESTS)
    parser.add_argument("--processes", type=int, default=DEFAULT_PROCESSES)
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS)
    parser.add_argument("--sobject", default="Account", help="object to page through")
    args = parser.parse_args(argv)
    env = parse_env_file(args.data_dir / ENV_FILE)
    ca_bundle = env["REQUESTS_CA_BUNDLE"]
    figures = {
        "small_requests": measure_small_requests(
            env, ca_bundle, args.requests, args.processes, args.connections
        ),
        "paging": measure_paging(env, ca_bundle, args.sobject),
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
