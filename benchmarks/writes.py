"""Figures 1 and 2: how close the targets get to each CRM's write limits."""

from __future__ import annotations

import contextlib
import json
import math
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from crmsync_sandbox.testing import SandboxProcess
from target_forcemanager.bench import measure_writes

from benchmarks.context import Bench, fatal_note, median_of, plugin_executable, run_measured
from benchmarks.report import Row

UTILISATION_GOAL = 0.95
#: ForceManager's rate limit counts the calls of any one-second window.
RATE_WINDOW_S = 1.0
#: Salesforce sObject Collections take at most this many records per call.
COLLECTION_SIZE = 200
PUBLISH_SCHEMA = {
    "type": "object",
    "properties": {
        "run_id": {"type": "string"},
        "action": {"type": "string"},
        "salesforce_id": {"type": ["string", "null"]},
        "forcemanager_id": {"type": ["integer", "null"]},
        "fields": {"type": "object"},
        "refs": {"type": "object"},
    },
}


@contextlib.contextmanager
def count_statuses() -> Iterator[Counter[int]]:
    """Count the HTTP status of every response `requests` receives in this process.

    Yields:
        The counter (status -> responses), filled while the block runs.
    """
    statuses: Counter[int] = Counter()
    original = requests.adapters.HTTPAdapter.send

    def send(self: requests.adapters.HTTPAdapter, *args: Any, **kwargs: Any) -> Any:
        response = original(self, *args, **kwargs)
        statuses[response.status_code] += 1
        return response

    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        yield statuses
    finally:
        requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]


def run_forcemanager(bench: Bench) -> None:
    """Figure 1: target-forcemanager's write rate over the sandbox's rate limit.

    For each limit R the sandbox runs with `--forcemanager-rate-limit R` and 100 ms added
    latency; target-forcemanager's apply path (login, extId lookups, creates) writes R x
    `fm_write_seconds` new accounts with its client limit set to R, as a user would set it.

    Args:
        bench: The benchmark run.
    """
    sizes = bench.sizes
    details: dict[str, Any] = {}
    for limit in sizes.fm_rate_limits:
        try:
            sandbox = SandboxProcess(
                bench.folder(f"fm-writes-{limit:g}") / "sandbox",
                empty=True,
                only="forcemanager",
                latency_ms=sizes.fm_latency_ms,
                forcemanager_rate_limit=limit,
            ).start()
            try:
                count = max(1, round(limit * sizes.fm_write_seconds))

                def one_run(
                    sandbox: SandboxProcess = sandbox, count: int = count, limit: float = limit
                ) -> dict[str, Any]:
                    # A cycle starts with the rate-limit window empty, not full of the last
                    # repeat's calls.
                    time.sleep(RATE_WINDOW_S)
                    env = sandbox.env
                    with count_statuses() as statuses:
                        result = measure_writes(
                            env["FORCEMANAGER_BASE_URL"],
                            env["FORCEMANAGER_PUBLIC_KEY"],
                            env["FORCEMANAGER_PRIVATE_KEY"],
                            count=count,
                            requests_per_second=limit,
                        )
                    return {
                        "records": result.records,
                        "succeeded": result.succeeded,
                        "failed": result.failed,
                        "seconds": round(result.seconds, 2),
                        "records_per_s": round(result.records_per_second, 3),
                        "responses_429": statuses.get(429, 0),
                        "responses": dict(statuses),
                    }

                median, runs = median_of(sizes.repeats, one_run, lambda r: r["records_per_s"])
            finally:
                sandbox.stop()
            utilisation = median["records_per_s"] / limit
            storms = max(r["responses_429"] for r in runs)
            details[f"{limit:g}"] = {"median": median, "runs": runs}
            bench.report.add(
                Row(1, f"ForceManager write utilisation, limit {limit:g}/s",
                    round(utilisation, 3), "", f">= {UTILISATION_GOAL}",
                    utilisation >= UTILISATION_GOAL and median["failed"] == 0,
                    f"{median['records_per_s']:.2f} rec/s, {median['records']} creates in "
                    f"{median['seconds']} s, median of {len(runs)}"),
                Row(1, f"ForceManager 429s, limit {limit:g}/s", storms, "", "no storm",
                    storms <= max(2, count // 20), f"worst of {len(runs)} runs"),
            )  # fmt: skip
        except Exception as error:
            bench.report.add(Row(1, f"ForceManager writes, limit {limit:g}/s", None,
                                 note=fatal_note(error)))  # fmt: skip
    bench.report.details["fm_writes"] = details


def run_salesforce(bench: Bench) -> None:
    """Figure 2: collection calls target-salesforce uses per ceil(records / 200).

    The target plugin's own executable creates, then updates, then deletes N accounts
    (three runs, each fed Singer messages on standard input); the sandbox's call counter
    counts every call of each run.

    Args:
        bench: The benchmark run.
    """
    count = bench.sizes.sf_write_records
    folder = bench.folder("sf-writes")
    details: dict[str, Any] = {}
    try:
        sandbox = SandboxProcess(folder / "sandbox", empty=True, only="salesforce").start()
        try:
            env = sandbox.environ()
            config = folder / "config.json"
            config.write_text(
                json.dumps(
                    {
                        "login_url": env["SALESFORCE_LOGIN_URL"],
                        "client_id": env["SALESFORCE_CLIENT_ID"],
                        "client_secret": env["SALESFORCE_CLIENT_SECRET"],
                        "refresh_token": env["SALESFORCE_REFRESH_TOKEN"],
                        "sync_log_dir": str(folder / "sync_log"),
                    }
                )
            )
            ids: list[str] = []
            for action in ("create", "update", "delete"):
                run_id = f"bench-{action}-{uuid.uuid4().hex[:8]}"
                messages = folder / f"{action}.jsonl"
                _write_messages(messages, _rows(action, run_id, count, ids))
                sandbox.reset_calls("salesforce")
                measured = run_measured(
                    [str(plugin_executable("loaders", "target-salesforce")), "--config",
                     str(config)],
                    env=env,
                    stdin=messages,
                )  # fmt: skip
                if measured.returncode != 0:
                    raise RuntimeError(f"target-salesforce {action}: {measured.output[-2000:]}")
                calls = sandbox.calls("salesforce")["by_route"]
                if action == "create":
                    ids = _created_ids(folder / "sync_log", run_id)
                collection = sum(n for route, n in calls.items() if "/composite/sobjects" in route)
                writes = sum(
                    n for route, n in calls.items()
                    if route.split()[0] in {"POST", "PATCH", "PUT", "DELETE"}
                    and "oauth2" not in route
                )  # fmt: skip
                ideal = math.ceil(count / COLLECTION_SIZE)
                ratio = writes / ideal
                details[action] = {
                    "records": count,
                    "collection_calls": collection,
                    "write_calls": writes,
                    "ideal": ideal,
                    "calls": calls,
                    "seconds": round(measured.seconds, 2),
                    "peak_mb": measured.peak_mb,
                }
                bench.report.add(
                    Row(2, f"Salesforce write calls / ceil(n/200), {action}", round(ratio, 2),
                        "", "1.00", ratio <= 1.0 and collection == writes,
                        f"{writes} write calls ({collection} collections) for {count:,} "
                        f"{action}s in {measured.seconds:.1f} s ({count / measured.seconds:,.0f} "
                        f"rec/s)"),
                )  # fmt: skip
        finally:
            sandbox.stop()
    except Exception as error:
        bench.report.add(Row(2, "Salesforce writes", None, note=fatal_note(error)))
    bench.report.details["sf_writes"] = details


def _rows(action: str, run_id: str, count: int, ids: list[str]) -> Iterator[dict[str, Any]]:
    if action != "create" and len(ids) != count:
        raise RuntimeError(f"{len(ids)} accounts created of {count}; cannot {action} them")
    for index in range(count):
        fm_id = 10_000_000 + index
        row: dict[str, Any] = {
            "run_id": run_id,
            "action": action,
            "salesforce_id": None if action == "create" else ids[index],
            "forcemanager_id": fm_id,
            "fields": {},
            "refs": {},
        }
        if action == "create":
            row["fields"] = {"Name": f"Bench account {index}", "ForceManager_Id__c": str(fm_id)}
        elif action == "update":
            row["fields"] = {"Phone": f"+34 600 {index:06d}"}
        yield row


def _write_messages(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    with path.open("w") as out:
        schema = {
            "type": "SCHEMA",
            "stream": "accounts",
            "schema": PUBLISH_SCHEMA,
            "key_properties": [],
        }
        out.write(json.dumps(schema) + "\n")
        for row in rows:
            out.write(json.dumps({"type": "RECORD", "stream": "accounts", "record": row}) + "\n")


def _created_ids(log_dir: Path, run_id: str) -> list[str]:
    path = log_dir / f"{run_id}.target-salesforce.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        line["salesforce_id"]
        for line in sorted(lines, key=lambda line: int(line["forcemanager_id"]))
        if line["status"] == "success"
    ]
