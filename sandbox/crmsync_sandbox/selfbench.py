"""Measures how fast the sandbox servers answer, so benchmarks can prove they are not the limit.

`python -m crmsync_sandbox.selfbench` prints the ForceManager figures as JSON.
"""

from __future__ import annotations

import http.client
import json
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson

from crmsync_sandbox.testing import SandboxProcess

#: Paging benchmark volume: the 100,000-record object of the issue's performance target.
DEFAULT_RECORDS = 100_000
#: The largest page the ForceManager API serves.
DEFAULT_PAGE_SIZE = 1_000
DEFAULT_SMALL_REQUESTS = 4_000
#: Client threads; with keep-alive connections two cores keep the server saturated.
DEFAULT_CONCURRENCY = 4
#: Seconds any single benchmark request may take.
_REQUEST_TIMEOUT_S = 60
_START_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class ServerFigures:
    """What one measurement found.

    Attributes:
        records: Records per object the server was seeded with.
        seed_seconds: Time from process start to `ready` on a new data dir (includes seeding).
        restart_seconds: Time from process start to `ready` on the existing data dir.
        small_requests: Small requests sent.
        small_requests_per_second: Throughput of small authenticated GETs.
        pages: Pages read in the paging run.
        paged_records: Records read in the paging run.
        paging_records_per_second: Records per second when paging the whole object.
        filtered_paging_records_per_second: The same with an incremental-style `where`.
    """

    records: int
    seed_seconds: float
    restart_seconds: float
    small_requests: int
    small_requests_per_second: float
    pages: int
    paged_records: int
    paging_records_per_second: float
    filtered_paging_records_per_second: float


class _Client:
    """A keep-alive HTTP/1.1 client; far lighter than requests, so the server is measured."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        parts = urlsplit(base_url)
        self.prefix = parts.path
        self.token = token
        self.conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=_REQUEST_TIMEOUT_S
        )

    def call(
        self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            all_headers["X-Session-Key"] = self.token
        payload = None if body is None else json.dumps(body)
        self.conn.request(method, self.prefix + path, body=payload, headers=all_headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.conn.close()


def measure_forcemanager(
    *,
    records: int = DEFAULT_RECORDS,
    page_size: int = DEFAULT_PAGE_SIZE,
    small_requests: int = DEFAULT_SMALL_REQUESTS,
    concurrency: int = DEFAULT_CONCURRENCY,
    work_dir: Path | None = None,
    measure_restart: bool = True,
) -> ServerFigures:
    """Start a ForceManager sandbox with `records` per object and measure it.

    Args:
        records: Records per object to seed (and page through).
        page_size: Page size of the paging run.
        small_requests: How many small GETs to time.
        concurrency: Client threads for the small requests.
        work_dir: Folder for the data dir; a temporary one by default.
        measure_restart: Also time a restart on the seeded data dir (0 when False).

    Returns:
        The figures.
    """
    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        process = SandboxProcess(Path(folder) / "data", only="forcemanager", size=records, seed=1)
        started = time.perf_counter()
        process.start(timeout=_START_TIMEOUT_S)
        seed_seconds = time.perf_counter() - started
        restart_seconds = 0.0
        try:
            if measure_restart:
                process.stop()
                started = time.perf_counter()
                process.start(timeout=_START_TIMEOUT_S)
                restart_seconds = time.perf_counter() - started
            base = process.env["FORCEMANAGER_BASE_URL"]
            token = _login(base, process.env)
            rate = _small_request_rate(base, token, small_requests, concurrency)
            pages, paged, paging_rate = _paging_rate(base, token, page_size, None)
            where = "(dateUpdated > '2020-01-01 00:00:00' OR dateCreated > '2020-01-01 00:00:00')"
            _, _, filtered_rate = _paging_rate(base, token, page_size, where)
        finally:
            process.stop()
    return ServerFigures(
        records=records,
        seed_seconds=round(seed_seconds, 2),
        restart_seconds=round(restart_seconds, 2),
        small_requests=small_requests,
        small_requests_per_second=round(rate),
        pages=pages,
        paged_records=paged,
        paging_records_per_second=round(paging_rate),
        filtered_paging_records_per_second=round(filtered_rate),
    )


def _login(base: str, env: dict[str, str]) -> str:
    client = _Client(base)
    body = {"username": env["FORCEMANAGER_PUBLIC_KEY"], "password": env["FORCEMANAGER_PRIVATE_KEY"]}
    status, payload = client.call("POST", "/login", body)
    client.close()
    if status != 200:
        raise RuntimeError(f"login failed with {status}")
    token: str = json.loads(payload)["token"]
    return token


def _small_request_rate(base: str, token: str, total: int, concurrency: int) -> float:
    per_thread = max(1, total // concurrency)
    errors: list[int] = []

    def worker() -> None:
        client = _Client(base, token)
        for _ in range(per_thread):
            status, _ = client.call("GET", "/accountTypes/1")
            if status != 200:
                errors.append(status)
        client.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} small requests failed, e.g. {errors[0]}")
    return per_thread * concurrency / elapsed


def _paging_rate(
    base: str, token: str, page_size: int, where: str | None
) -> tuple[int, int, float]:
    client = _Client(base, token)
    query = "" if where is None else "&where=" + _quote(where)
    pages = records = 0
    started = time.perf_counter()
    while True:
        status, payload = client.call(
            "GET", f"/accounts?page={pages}{query}", headers={"Count": str(page_size)}
        )
        if status != 200:
            raise RuntimeError(f"paging failed with {status}")
        rows = orjson.loads(payload)
        pages += 1
        if not rows:
            break
        records += len(rows)
    elapsed = time.perf_counter() - started
    client.close()
    return pages, records, records / elapsed


def _quote(text: str) -> str:
    from urllib.parse import quote  # noqa: PLC0415 - only the filtered run needs it

    return quote(text, safe="")


def main() -> int:
    """Print the ForceManager figures as JSON.

    Returns:
        0.
    """
    figures = measure_forcemanager()
    print(json.dumps(asdict(figures), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
